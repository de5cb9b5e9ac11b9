#pragma once
// A rejected input: the spec's error category, where it was found and a detail.
// Every decoder, assembler, loader and parser in Morel returns Result<T>.
#include <cstddef>
#include <expected>
#include <string>

namespace morel {

struct Diagnostic {
  enum class Unit { Byte, Line, Instruction };
  std::string category;  // the spec's wording, e.g. "unexpected end", "type mismatch"
  std::size_t position = 0;
  Unit unit = Unit::Byte;
  std::string detail;  // optional, free text for humans
  std::size_t column = 0;  // with Unit::Line: the column (from 1), 0 when unknown

  /// "type mismatch at byte 0x1f: expected i32" / "unknown opcode at line 3: foo" /
  /// "unknown operator at line 3:7: i32.foo".
  std::string toString() const;
};

template <class T>
using Result = std::expected<T, Diagnostic>;

inline std::unexpected<Diagnostic> fail(std::string category, std::size_t position,
                                        Diagnostic::Unit unit = Diagnostic::Unit::Byte,
                                        std::string detail = {}) {
  return std::unexpected(Diagnostic{std::move(category), position, unit, std::move(detail), 0});
}

/// A rejection of text at a line and column (both from 1).
inline std::unexpected<Diagnostic> failAt(std::string category, std::size_t line,
                                          std::size_t column, std::string detail = {}) {
  return std::unexpected(
      Diagnostic{std::move(category), line, Diagnostic::Unit::Line, std::move(detail), column});
}

}  // namespace morel

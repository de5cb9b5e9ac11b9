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

  /// "type mismatch at byte 0x1f: expected i32" / "unknown opcode at line 3: foo".
  std::string toString() const;
};

template <class T>
using Result = std::expected<T, Diagnostic>;

inline std::unexpected<Diagnostic> fail(std::string category, std::size_t position,
                                        Diagnostic::Unit unit = Diagnostic::Unit::Byte,
                                        std::string detail = {}) {
  return std::unexpected(Diagnostic{std::move(category), position, unit, std::move(detail)});
}

}  // namespace morel

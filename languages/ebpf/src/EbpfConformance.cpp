// The bpf_conformance `.data` format: `#` comment lines, then sections opened by `-- name`:
//
//   -- asm      the program (EbpfAssembler syntax)
//   -- mem      the input memory as hex bytes, `00 11 22`, over any number of lines
//   -- result   the expected r0, hex (`0x2a`) or decimal
//   -- error    the expected error text, for programs that must be rejected
//   -- raw      the expected encoding, one 64-bit hex word per instruction slot
//   -- c, -- no register offset   notes for other tools; skipped
//
// Unknown section names are skipped too, so newer suite files still load.
#include <charconv>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {
namespace {

constexpr std::string_view kSpace = " \t\r\v\f";

std::string_view trim(std::string_view s) {
  std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// `0x..` hex or decimal, optionally negative (two's complement, as r0 would hold it).
std::optional<uint64_t> parseWord(std::string_view s) {
  bool negative = s.starts_with('-');
  if (negative) s.remove_prefix(1);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return negative ? uint64_t{0} - value : value;
}

std::optional<uint8_t> parseByte(std::string_view s) {
  if (s.size() != 2) return std::nullopt;
  uint8_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + 2, value, 16);
  if (ec != std::errc() || end != s.data() + 2) return std::nullopt;
  return value;
}

// Reads one section's lines into the case; `line` is the file line for errors.
class CaseBuilder {
 public:
  Result<void> startSection(std::string_view name, std::size_t line) {
    section_ = std::string(name);
    if (!seen_.insert(section_).second) {
      return fail("duplicate section", line, Diagnostic::Unit::Line, section_);
    }
    if (section_ == "asm") result_.asmLine = line + 1;
    if (section_ == "error") result_.error = std::string();
    return {};
  }

  Result<void> addLine(std::string_view text, std::size_t line) {
    if (section_ == "asm") {
      result_.asmText.append(text).push_back('\n');
    } else if (section_ == "mem") {
      return addMemory(text, line);
    } else if (section_ == "result") {
      return addResult(trim(text), line);
    } else if (section_ == "error") {
      addError(trim(text));
    } else if (section_ == "raw") {
      return addRaw(trim(text), line);
    }
    return {};
  }

  Result<ConformanceCase> finish() {
    if (!seen_.contains("asm")) return fail("missing section", 0, Diagnostic::Unit::Line, "asm");
    return std::move(result_);
  }

  bool inSection() const { return !section_.empty(); }

 private:
  Result<void> addMemory(std::string_view text, std::size_t line) {
    while (!(text = trim(text)).empty()) {
      std::string_view token = text.substr(0, text.find_first_of(kSpace));
      std::optional<uint8_t> byte = parseByte(token);
      if (!byte) return fail("bad memory byte", line, Diagnostic::Unit::Line, std::string(token));
      result_.memory.push_back(*byte);
      text.remove_prefix(token.size());
    }
    return {};
  }

  Result<void> addResult(std::string_view text, std::size_t line) {
    if (text.empty()) return {};
    std::optional<uint64_t> value = parseWord(text);
    if (!value || result_.result) {
      return fail("bad result", line, Diagnostic::Unit::Line, std::string(text));
    }
    result_.result = value;
    return {};
  }

  void addError(std::string_view text) {
    if (text.empty()) return;
    if (!result_.error->empty()) result_.error->push_back('\n');
    result_.error->append(text);
  }

  Result<void> addRaw(std::string_view text, std::size_t line) {
    if (text.empty()) return {};
    std::optional<uint64_t> word = parseWord(text);
    if (!word) return fail("bad raw word", line, Diagnostic::Unit::Line, std::string(text));
    result_.raw.push_back(*word);
    return {};
  }

  ConformanceCase result_;
  std::string section_;
  std::set<std::string> seen_;
};

}  // namespace

Result<ConformanceCase> parseConformanceCase(std::string_view text) {
  CaseBuilder builder;
  for (std::size_t line = 1; !text.empty(); ++line) {
    std::size_t newline = text.find('\n');
    std::string_view lineText = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (lineText.starts_with("-- ")) {
      if (auto ok = builder.startSection(trim(lineText.substr(3)), line); !ok) {
        return std::unexpected(ok.error());
      }
    } else if (builder.inSection()) {
      if (auto ok = builder.addLine(lineText, line); !ok) return std::unexpected(ok.error());
    } else if (std::string_view t = trim(lineText); !t.empty() && !t.starts_with('#')) {
      return fail("text outside a section", line, Diagnostic::Unit::Line, std::string(t));
    }
  }
  return builder.finish();
}

}  // namespace morel::ebpf

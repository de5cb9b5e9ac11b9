// Number literals: the digits are checked here (underscores only between digits), then
// the C library rounds (strtof/strtod round correctly from decimal and hex, so an f32 is
// never rounded twice through a double).
#include "WatNumbers.h"

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace morel::wasm::text {
namespace {

bool isDigit(char c, bool hex) {
  if (c >= '0' && c <= '9') return true;
  return hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

// Digits with single underscores between them, starting at `pos`; advances past them.
// Appends the digits to `out` and reports whether there was at least one.
bool digits(std::string_view s, std::size_t& pos, bool hex, std::string& out) {
  const std::size_t start = pos;
  while (pos < s.size()) {
    if (isDigit(s[pos], hex)) {
      out += s[pos++];
    } else if (s[pos] == '_' && pos > start && pos + 1 < s.size() && isDigit(s[pos + 1], hex)) {
      ++pos;
    } else {
      break;
    }
  }
  return pos > start;
}

struct Sign {
  bool negative = false;
  bool present = false;
};

Sign readSign(std::string_view& s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    Sign sign{s[0] == '-', true};
    s.remove_prefix(1);
    return sign;
  }
  return {};
}

bool hexPrefix(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && s[1] == 'x';
}

// The magnitude of an unsigned literal; Range when it exceeds 64 bits.
std::expected<uint64_t, NumberError> magnitude(std::string_view s) {
  const bool hex = hexPrefix(s);
  std::size_t pos = hex ? 2 : 0;
  std::string ds;
  if (!digits(s, pos, hex, ds) || pos != s.size()) return std::unexpected(NumberError::Syntax);
  const unsigned base = hex ? 16 : 10;
  uint64_t value = 0;
  bool overflow = false;
  for (char c : ds) {
    const unsigned d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    if (value > (UINT64_MAX - d) / base) overflow = true;
    value = value * base + d;
  }
  if (overflow) return std::unexpected(NumberError::Range);
  return value;
}

template <class Bits>
struct FloatFormat;
template <>
struct FloatFormat<uint32_t> {
  static constexpr int kMantissaBits = 23;
  static constexpr uint32_t kExponentMask = 0x7f800000;
  static constexpr uint32_t kSignBit = 0x80000000;
};
template <>
struct FloatFormat<uint64_t> {
  static constexpr int kMantissaBits = 52;
  static constexpr uint64_t kExponentMask = 0x7ff0000000000000;
  static constexpr uint64_t kSignBit = 0x8000000000000000;
};

// A float literal without its sign, as the digits strtod reads (underscores removed).
std::expected<std::string, NumberError> floatDigits(std::string_view s) {
  const bool hex = hexPrefix(s);
  std::size_t pos = hex ? 2 : 0;
  std::string out = hex ? "0x" : "";
  if (!digits(s, pos, hex, out)) return std::unexpected(NumberError::Syntax);
  if (pos < s.size() && s[pos] == '.') {
    out += s[pos++];
    digits(s, pos, hex, out);
  }
  if (pos < s.size() &&
      (hex ? (s[pos] == 'p' || s[pos] == 'P') : (s[pos] == 'e' || s[pos] == 'E'))) {
    out += s[pos++];
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) out += s[pos++];
    if (!digits(s, pos, false, out)) return std::unexpected(NumberError::Syntax);
  }
  if (pos != s.size()) return std::unexpected(NumberError::Syntax);
  return out;
}

template <class Bits, class Float>
std::expected<Bits, NumberError> parseFloat(std::string_view text) {
  using F = FloatFormat<Bits>;
  std::string_view s = text;
  const Sign sign = readSign(s);
  const Bits signBit = sign.negative ? F::kSignBit : 0;
  if (s == "inf") return signBit | F::kExponentMask;
  if (s == "nan") return signBit | F::kExponentMask | Bits{1} << (F::kMantissaBits - 1);
  if (s.starts_with("nan:0x")) {
    auto payload = magnitude(s.substr(4));
    if (!payload) return std::unexpected(payload.error());
    if (*payload == 0 || *payload >= (uint64_t{1} << F::kMantissaBits)) {
      return std::unexpected(NumberError::Range);
    }
    return signBit | F::kExponentMask | static_cast<Bits>(*payload);
  }
  auto ds = floatDigits(s);
  if (!ds) return std::unexpected(ds.error());
  errno = 0;
  Float value;
  if constexpr (sizeof(Float) == 4) {
    value = std::strtof(ds->c_str(), nullptr);
  } else {
    value = std::strtod(ds->c_str(), nullptr);
  }
  if (std::isinf(value)) return std::unexpected(NumberError::Range);
  return signBit | std::bit_cast<Bits>(value);
}

}  // namespace

std::expected<uint32_t, NumberError> parseU32(std::string_view text) {
  auto value = magnitude(text);
  if (!value) return std::unexpected(value.error());
  if (*value > UINT32_MAX) return std::unexpected(NumberError::Range);
  return static_cast<uint32_t>(*value);
}

std::expected<uint64_t, NumberError> parseInt(std::string_view text, int bits) {
  std::string_view s = text;
  const Sign sign = readSign(s);
  auto value = magnitude(s);
  if (!value) return std::unexpected(value.error());
  const uint64_t mask = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  if (sign.negative) {
    if (*value > (uint64_t{1} << (bits - 1))) return std::unexpected(NumberError::Range);
    return (0 - *value) & mask;
  }
  if (*value > mask) return std::unexpected(NumberError::Range);
  return *value;
}

std::expected<uint32_t, NumberError> parseF32(std::string_view text) {
  return parseFloat<uint32_t, float>(text);
}
std::expected<uint64_t, NumberError> parseF64(std::string_view text) {
  return parseFloat<uint64_t, double>(text);
}

bool isNumberLiteral(std::string_view text) {
  auto asFloat = parseF64(text);
  return asFloat || asFloat.error() == NumberError::Range;
}

}  // namespace morel::wasm::text

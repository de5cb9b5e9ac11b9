#pragma once
// The numeric literals of the text format (spec 6.3.1): integers in decimal or hex with
// an optional sign and '_' between digits, floats in decimal or hex, inf, nan and
// nan:0xPAYLOAD.
#include <cstdint>
#include <expected>
#include <string_view>

namespace morel::wasm::text {

enum class NumberError : uint8_t {
  Syntax,  // not a literal of the kind asked for
  Range,   // a literal that does not fit ("constant out of range")
};

/// An unsigned index (u32): no sign.
std::expected<uint32_t, NumberError> parseU32(std::string_view text);
/// An iN literal (N = 32 or 64): signed or unsigned, returned as its N-bit pattern.
std::expected<uint64_t, NumberError> parseInt(std::string_view text, int bits);
/// The IEEE bit pattern of an f32 / f64 literal, rounded to nearest even.
std::expected<uint32_t, NumberError> parseF32(std::string_view text);
std::expected<uint64_t, NumberError> parseF64(std::string_view text);
/// Whether `text` is written as a number (integer or float), in range or not.
bool isNumberLiteral(std::string_view text);

}  // namespace morel::wasm::text

#pragma once
// Splits WebAssembly text into tokens: parentheses, keywords, $identifiers, strings and
// the rest (numbers and reserved words), skipping white space and comments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm::text {

enum class TokenKind : uint8_t {
  LParen,
  RParen,
  Keyword,   // starts with a lower-case letter: "module", "i32.add", "offset=4", "nan:0x1"
  Id,        // "$name", text includes the '$'
  String,    // the decoded bytes are in Token::bytes
  Reserved,  // anything else made of id characters: numbers ("-0x1p3") and junk
  End,       // after the last token
};

struct Token {
  TokenKind kind = TokenKind::End;
  std::string_view text;  // as written (a string's includes its quotes)
  uint32_t line = 1;
  uint32_t column = 1;
  std::string bytes;  // a string's decoded bytes

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
};

/// All tokens of `source`, ending with an End token; tokens view `source`. Malformed
/// text (an unclosed string or comment, a bad escape) is rejected with its line:column.
Result<std::vector<Token>> tokenize(std::string_view source);

/// Whether `bytes` are well-formed UTF-8 (names must be).
bool isValidUtf8(std::string_view bytes);

}  // namespace morel::wasm::text

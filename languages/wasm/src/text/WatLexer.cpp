// The lexical grammar of the WebAssembly text format (spec 6.3): tokens are separated
// by white space, comments ("(; ;)" nest, ";;" runs to the end of the line) and
// parentheses.
#include "WatLexer.h"

#include <array>

namespace morel::wasm::text {
namespace {

// The characters of keywords, ids and numbers (spec 6.3.4 idchar), as a table: the lexer
// asks once per character.
constexpr auto kIdChars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-./:<=>?@\\^_`|~")) table[static_cast<uint8_t>(c)] = true;
  return table;
}();

bool isIdChar(char c) {
  return kIdChars[static_cast<uint8_t>(c)];
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> tokens;
    tokens.reserve(src_.size() / 6 + 16);  // typical text: a token every 6 to 8 bytes
    for (;;) {
      if (auto skipped = skipSpace(); !skipped) return std::unexpected(skipped.error());
      Token t;
      t.line = line_;
      t.column = column();
      if (pos_ >= src_.size()) {
        t.text = src_.substr(src_.size());  // empty, at the end: never a null view
        tokens.push_back(std::move(t));
        return tokens;
      }
      const std::size_t start = pos_;
      const char c = src_[pos_];
      if (c == '(') {
        t.kind = TokenKind::LParen;
        ++pos_;
      } else if (c == ')') {
        t.kind = TokenKind::RParen;
        ++pos_;
      } else if (c == '"') {
        t.kind = TokenKind::String;
        auto bytes = string();
        if (!bytes) return std::unexpected(bytes.error());
        t.bytes = std::move(*bytes);
      } else if (isIdChar(c)) {
        while (pos_ < src_.size() && isIdChar(src_[pos_])) ++pos_;
        t.kind = c == '$'                 ? TokenKind::Id
                 : (c >= 'a' && c <= 'z') ? TokenKind::Keyword
                                          : TokenKind::Reserved;
        if (c == '$' && pos_ - start == 1) return error("empty identifier", t);
      } else {
        return error("unexpected character", t);
      }
      // Atoms must be separated: `"a""b"`, `$x"a"` and `"a"x` are one malformed token.
      if (t.kind != TokenKind::LParen && t.kind != TokenKind::RParen && pos_ < src_.size() &&
          (src_[pos_] == '"' || (t.kind == TokenKind::String && isIdChar(src_[pos_])))) {
        return error("unknown operator", t);
      }
      t.text = src_.substr(start, pos_ - start);
      tokens.push_back(std::move(t));
    }
  }

 private:
  uint32_t column() const { return static_cast<uint32_t>(pos_ - lineStart_ + 1); }

  std::unexpected<Diagnostic> error(std::string category, const Token& at) const {
    return failAt(std::move(category), at.line, at.column);
  }
  std::unexpected<Diagnostic> errorHere(std::string category) const {
    return failAt(std::move(category), line_, column());
  }

  void newline() {
    ++line_;
    lineStart_ = pos_ + 1;
  }

  char at(std::size_t i) const { return i < src_.size() ? src_[i] : '\0'; }

  Result<void> skipSpace() {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '\n') {
        newline();
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == ';' && at(pos_ + 1) == ';') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '(' && at(pos_ + 1) == ';') {
        if (auto closed = blockComment(); !closed) return closed;
      } else {
        return {};
      }
    }
    return {};
  }

  Result<void> blockComment() {
    const uint32_t line = line_;
    const uint32_t col = column();
    int depth = 0;
    while (pos_ < src_.size()) {
      if (src_.substr(pos_, 2) == "(;") {
        ++depth;
        pos_ += 2;
      } else if (src_.substr(pos_, 2) == ";)") {
        pos_ += 2;
        if (--depth == 0) return {};
      } else {
        if (src_[pos_] == '\n') newline();
        ++pos_;
      }
    }
    return failAt("unclosed comment", line, col);
  }

  // A string literal from its opening quote; the bytes it denotes.
  Result<std::string> string() {
    const uint32_t line = line_;
    const uint32_t col = column();
    ++pos_;
    std::string out;
    for (;;) {
      if (pos_ >= src_.size() || src_[pos_] == '\n') return failAt("unclosed string", line, col);
      const char c = src_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return errorHere("illegal character in string");
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) return failAt("unclosed string", line, col);
      const char e = src_[pos_ + 1];
      switch (e) {
        case 't':
          out += '\t';
          pos_ += 2;
          continue;
        case 'n':
          out += '\n';
          pos_ += 2;
          continue;
        case 'r':
          out += '\r';
          pos_ += 2;
          continue;
        case '"':
          out += '"';
          pos_ += 2;
          continue;
        case '\'':
          out += '\'';
          pos_ += 2;
          continue;
        case '\\':
          out += '\\';
          pos_ += 2;
          continue;
        case 'u': {
          if (auto unicode = unicodeEscape(out); !unicode) return std::unexpected(unicode.error());
          continue;
        }
        default:
          break;
      }
      const int hi = hexValue(e);
      const int lo = pos_ + 2 < src_.size() ? hexValue(src_[pos_ + 2]) : -1;
      if (hi < 0 || lo < 0) return errorHere("illegal escape");
      out += static_cast<char>(hi << 4 | lo);
      pos_ += 3;
    }
  }

  // "\u{hex}" naming a Unicode scalar value, appended as UTF-8.
  Result<void> unicodeEscape(std::string& out) {
    const std::size_t at = pos_;
    pos_ += 2;
    if (pos_ >= src_.size() || src_[pos_] != '{') return errorHere("illegal escape");
    ++pos_;
    uint32_t cp = 0;
    int digits = 0;
    while (pos_ < src_.size() && (hexValue(src_[pos_]) >= 0 || (src_[pos_] == '_' && digits))) {
      if (src_[pos_] != '_') {
        cp = cp * 16 + static_cast<uint32_t>(hexValue(src_[pos_]));
        if (cp > 0x10ffff) break;
        ++digits;
      }
      ++pos_;
    }
    if (digits == 0 || pos_ >= src_.size() || src_[pos_] != '}' || (cp >= 0xd800 && cp < 0xe000)) {
      pos_ = at;
      return errorHere("illegal escape");
    }
    ++pos_;
    appendUtf8(out, cp);
    return {};
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t lineStart_ = 0;
  uint32_t line_ = 1;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  return Lexer(source).run();
}

bool isValidUtf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    int extra = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if (b >= 0xc2 && b < 0xe0) {
      extra = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b < 0xf0) {
      extra = 2;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b < 0xf5) {
      extra = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(bytes[i + k]);
      if ((cont & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cont & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp < 0xe000)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace morel::wasm::text

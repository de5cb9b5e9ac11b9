// The script layer of the spec tests (the reference interpreter's script grammar):
// module definitions, register, actions and assertions. Each command is a list of
// tokens; modules inside them are handed to parseWat.
#include "morel/wasm/WastScript.h"

#include <algorithm>
#include <span>

#include "TextResult.h"
#include "WatLexer.h"
#include "WatNumbers.h"
#include "absl/strings/str_cat.h"
#include "morel/wasm/WasmText.h"

namespace morel::wasm {
namespace {

using text::Token;
using text::TokenKind;

class ScriptReader {
 public:
  ScriptReader(std::string_view source, std::span<const Token> tokens)
      : source_(source), tokens_(tokens) {}

  Result<std::vector<WastCommand>> run() {
    std::vector<WastCommand> commands;
    while (peek().kind == TokenKind::LParen) {
      MOREL_TRY_TEXT(command, this->command());
      if (command) commands.push_back(std::move(*command));
    }
    if (peek().kind != TokenKind::End) return unexpected(peek());
    return commands;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool peekParen(std::string_view keyword) const {
    return peek().kind == TokenKind::LParen && peek(1).is(TokenKind::Keyword, keyword);
  }
  std::unexpected<Diagnostic> unexpected(const Token& t) const {
    return failAt(t.kind == TokenKind::End ? "unexpected end" : "unexpected token", t.line,
                  t.column, std::string(t.text));
  }
  Result<void> close() {
    if (peek().kind != TokenKind::RParen) return unexpected(peek());
    next();
    return {};
  }
  // The index of the ')' closing the list opened at `open`.
  std::size_t matching(std::size_t open) const {
    int depth = 0;
    for (std::size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::LParen) ++depth;
      if (tokens_[i].kind == TokenKind::RParen && --depth == 0) return i;
    }
    return tokens_.size() - 1;
  }
  Result<std::string> string() {
    const Token& t = next();
    if (t.kind != TokenKind::String) return unexpected(t);
    return t.bytes;
  }

  // A command, or nothing for one a driver has no use for (`script`, `input`, ...).
  Result<std::optional<WastCommand>> command() {
    const Token& open = peek();
    const Token& kw = peek(1);
    WastCommand c;
    c.line = open.line;
    c.type = std::string(kw.text);
    if (kw.is(TokenKind::Keyword, "module")) {
      MOREL_TRY_TEXT(m, module());
      c.module = std::move(m);
      return c;
    }
    pos_ += 2;
    if (kw.is(TokenKind::Keyword, "register")) {
      MOREL_TRY_TEXT(as, string());
      c.registerAs = std::move(as);
      if (peek().kind == TokenKind::Id) c.name = std::string(next().text);
    } else if (kw.is(TokenKind::Keyword, "invoke") || kw.is(TokenKind::Keyword, "get")) {
      pos_ -= 2;
      c.type = "action";
      MOREL_TRY_TEXT(a, action());
      c.action = std::move(a);
      return c;
    } else if (c.type == "assert_return") {
      MOREL_TRY_TEXT(a, action());
      c.action = std::move(a);
      while (peek().kind == TokenKind::LParen) {
        MOREL_TRY_TEXT(v, value(true));
        c.expected.push_back(std::move(v));
      }
    } else if (c.type == "assert_trap" || c.type == "assert_exhaustion") {
      if (peekParen("module")) {  // a module whose instantiation traps
        c.type = "assert_uninstantiable";
        MOREL_TRY_TEXT(m, module());
        c.module = std::move(m);
      } else {
        MOREL_TRY_TEXT(a, action());
        c.action = std::move(a);
      }
      MOREL_TRY_TEXT(message, string());
      c.text = std::move(message);
    } else if (c.type == "assert_malformed" || c.type == "assert_invalid" ||
               c.type == "assert_unlinkable" || c.type == "assert_uninstantiable") {
      MOREL_TRY_TEXT(m, module());
      c.module = std::move(m);
      MOREL_TRY_TEXT(message, string());
      c.text = std::move(message);
    } else {
      pos_ = matching(pos_ - 2) + 1;
      return std::nullopt;
    }
    MOREL_CHECK_TEXT(close());
    return c;
  }

  // (module $name? binary "..."*) | (module $name? quote "..."*) | (module $name? field*)
  Result<WastModule> module() {
    const std::size_t open = pos_;
    const std::size_t end = matching(open);
    if (tokens_[end].kind != TokenKind::RParen) return unexpected(tokens_[end]);
    pos_ += 2;
    WastModule m;
    if (peek().kind == TokenKind::Id) m.name = std::string(next().text);
    const bool binary = peek().is(TokenKind::Keyword, "binary");
    if (binary || peek().is(TokenKind::Keyword, "quote")) {
      next();
      m.form = binary ? WastModule::Form::Binary : WastModule::Form::Quote;
      while (peek().kind == TokenKind::String) {
        const std::string& bytes = next().bytes;
        if (binary) {
          m.bytes.insert(m.bytes.end(), bytes.begin(), bytes.end());
        } else {
          m.quoted += bytes;
          m.quoted += ' ';
        }
      }
      MOREL_CHECK_TEXT(close());
      return m;
    }
    // Encoded from its own text: positions in errors are then relative to the module.
    const Token& first = tokens_[open];
    const Token& last = tokens_[end];
    const auto begin = static_cast<std::size_t>(first.text.data() - source_.data());
    const auto stop = static_cast<std::size_t>(last.text.data() - source_.data()) + 1;
    auto encoded = parseWat(source_.substr(begin, stop - begin));
    if (encoded) {
      m.bytes = std::move(*encoded);
    } else {
      m.error = encoded.error();
    }
    pos_ = end + 1;
    return m;
  }

  // (invoke $module? "name" const*) | (get $module? "name")
  Result<WastAction> action() {
    if (peek().kind != TokenKind::LParen) return unexpected(peek());
    next();
    const Token& kw = next();
    if (!kw.is(TokenKind::Keyword, "invoke") && !kw.is(TokenKind::Keyword, "get")) {
      return unexpected(kw);
    }
    WastAction a;
    a.type = std::string(kw.text);
    if (peek().kind == TokenKind::Id) a.module = std::string(next().text);
    MOREL_TRY_TEXT(field, string());
    a.field = std::move(field);
    while (peek().kind == TokenKind::LParen) {
      MOREL_TRY_TEXT(v, value(false));
      a.args.push_back(std::move(v));
    }
    MOREL_CHECK_TEXT(close());
    return a;
  }

  // (t.const literal), (ref.null func|extern), (ref.extern n), (ref.func), and in results
  // also nan:canonical / nan:arithmetic, (v128.const ...) and (either ...).
  Result<WastValue> value(bool result) {
    const std::size_t open = pos_;
    next();
    const Token& kw = next();
    WastValue v;
    const std::string_view op = kw.text;
    if (kw.kind != TokenKind::Keyword) return unexpected(kw);
    if (op == "i32.const" || op == "i64.const" || op == "f32.const" || op == "f64.const") {
      v.type = std::string(op.substr(0, 3));
      MOREL_TRY_TEXT(number, literal(v.type, result));
      v.value = std::move(number);
    } else if (op == "v128.const") {
      // A shape ("i32x4") and one literal a lane.
      const Token& shape = next();
      const std::size_t x = shape.text.find('x');
      v.type = "v128";
      v.laneType = std::string(shape.text.substr(0, x == std::string_view::npos ? 0 : x));
      static constexpr std::string_view kLaneTypes[] = {"i8", "i16", "i32", "i64", "f32", "f64"};
      if (std::find(std::begin(kLaneTypes), std::end(kLaneTypes), v.laneType) ==
          std::end(kLaneTypes)) {
        return unexpected(shape);
      }
      while (peek().kind == TokenKind::Reserved || peek().kind == TokenKind::Keyword) {
        MOREL_TRY_TEXT(lane, literal(v.laneType, result));
        v.lanes.push_back(std::move(lane));
      }
    } else if (op == "ref.null") {
      const Token& heap = next();
      v.type = heap.text == "extern" ? "externref" : "funcref";
      v.value = "null";
    } else if (op == "ref.extern") {
      v.type = "externref";
      const Token& n = next();
      auto bits = text::parseInt(n.text, 64);
      if (!bits) return unexpected(n);
      v.value = absl::StrCat(*bits);
    } else if (op == "ref.func") {
      v.type = "funcref";
    } else if (result && op == "either") {
      v.type = "either";
    } else {
      return unexpected(kw);
    }
    pos_ = matching(open);
    MOREL_CHECK_TEXT(close());
    return v;
  }

  // A number of type `type` ("i8" .. "i64", "f32", "f64") as the unsigned decimal text
  // of its bits; in results a float may be nan:canonical or nan:arithmetic.
  Result<std::string> literal(std::string_view type, bool result) {
    const Token& t = next();
    if (result && type[0] == 'f' && (t.text == "nan:canonical" || t.text == "nan:arithmetic")) {
      return std::string(t.text);
    }
    std::optional<uint64_t> bits;
    if (type == "f32") {
      if (auto f = text::parseF32(t.text)) bits = *f;
    } else if (type == "f64") {
      if (auto f = text::parseF64(t.text)) bits = *f;
    } else if (auto n = text::parseInt(t.text, type == "i8"    ? 8
                                               : type == "i16" ? 16
                                               : type == "i32" ? 32
                                                               : 64)) {
      bits = *n;
    }
    if (!bits) return unexpected(t);
    return absl::StrCat(*bits);
  }

  std::string_view source_;
  std::span<const Token> tokens_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<WastCommand>> readWastScript(std::string_view script) {
  auto tokens = text::tokenize(script);
  if (!tokens) return std::unexpected(tokens.error());
  return ScriptReader(script, *tokens).run();
}

}  // namespace morel::wasm

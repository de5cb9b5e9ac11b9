// Module fields of the text format (spec 6.6): types, imports, functions, tables,
// memories, globals, exports, start, element and data segments, with their inline
// abbreviations, encoded into the sections of the binary format.
#include "WatModuleParser.h"

#include <utility>

#include "TextResult.h"
#include "WatNumbers.h"
#include "absl/strings/str_cat.h"
#include "morel/wasm/WasmText.h"

namespace morel::wasm::text {

// ---- tokens

const Token& ModuleParser::peek(std::size_t ahead) const {
  const std::size_t at = pos_ + ahead;
  return tokens_[at < tokens_.size() ? at : tokens_.size() - 1];
}

bool ModuleParser::peekParen(std::string_view keyword) const {
  return peek().kind == TokenKind::LParen && peek(1).is(TokenKind::Keyword, keyword);
}

bool ModuleParser::peekIndex(std::size_t ahead) const {
  const Token& t = peek(ahead);
  return t.kind == TokenKind::Id ||
         (t.kind == TokenKind::Reserved && !t.text.empty() && t.text[0] >= '0' && t.text[0] <= '9');
}

std::unexpected<Diagnostic> ModuleParser::error(std::string category, const Token& at,
                                                std::string detail) const {
  return failAt(std::move(category), at.line, at.column, std::move(detail));
}

std::unexpected<Diagnostic> ModuleParser::unexpected(const Token& at) const {
  if (at.kind == TokenKind::End) return error("unexpected end", at);
  // As the reference lexer has it, id characters that form no number, keyword or id
  // ("0drop", "1x") are an unknown operator wherever they stand.
  const bool nanKeyword = at.text == "nan:canonical" || at.text == "nan:arithmetic";
  if ((at.kind == TokenKind::Reserved || (at.text.starts_with("nan:") && !nanKeyword)) &&
      !isNumberLiteral(at.text)) {
    return error("unknown operator", at, std::string(at.text));
  }
  return error("unexpected token", at, std::string(at.text));
}

Result<void> ModuleParser::expectParen(std::string_view keyword) {
  if (!peekParen(keyword)) {
    const Token& at = peek().kind == TokenKind::LParen ? peek(1) : peek();
    return error(at.kind == TokenKind::End ? "unexpected end" : "unexpected token", at,
                 absl::StrCat("expected (", std::string(keyword)));
  }
  pos_ += 2;
  return {};
}

Result<void> ModuleParser::expectClose() {
  if (peek().kind != TokenKind::RParen) return unexpected(peek());
  next();
  return {};
}

Result<void> ModuleParser::skipToClose() {
  int depth = 0;
  for (;;) {
    const Token& t = next();
    if (t.kind == TokenKind::End) return unexpected(t);
    if (t.kind == TokenKind::LParen) ++depth;
    if (t.kind == TokenKind::RParen && depth-- == 0) return {};
  }
}

const Token* ModuleParser::optionalId() {
  return peek().kind == TokenKind::Id ? &next() : nullptr;
}

Result<std::string> ModuleParser::name() {
  const Token& t = next();
  if (t.kind != TokenKind::String) return unexpected(t);
  if (!isValidUtf8(t.bytes)) return error("malformed UTF-8 encoding", t);
  return t.bytes;
}

// ---- the first pass

Result<void> ModuleParser::define(IndexSpace& space, const Token* id, const Token& at) {
  const uint32_t index = space.count++;
  if (id != nullptr && !space.names.emplace(id->text, index).second) {
    return error(absl::StrCat("duplicate ", space.kind), *id, std::string(id->text));
  }
  (void)at;
  return {};
}

Result<void> ModuleParser::scanImportOrder(const Token& at) {
  if (lastDefinition_ != nullptr) return error(absl::StrCat("import after ", lastDefinition_), at);
  return {};
}

Result<void> ModuleParser::scanFields() {
  const std::size_t start = pos_;
  while (peek().kind == TokenKind::LParen) MOREL_CHECK_TEXT(scanField());
  pos_ = start;
  return {};
}

Result<void> ModuleParser::scanField() {
  const Token& open = next();
  const Token& kw = next();
  if (kw.kind != TokenKind::Keyword) return unexpected(kw);
  IndexSpace* space = nullptr;
  const char* definition = nullptr;
  if (kw.text == "type") {
    const Token* id = optionalId();
    MOREL_CHECK_TEXT(expectParen("func"));
    std::vector<const Token*> paramNames;  // allowed, and unused: no instruction sees them
    MOREL_TRY_TEXT(type, funcType(&paramNames));
    MOREL_CHECK_TEXT(expectClose());
    types_.push_back(std::move(type));
    MOREL_CHECK_TEXT(define(typeSpace_, id, kw));
  } else if (kw.text == "import") {
    for (int i = 0; i < 2; ++i) {
      if (peek().kind != TokenKind::String) return unexpected(peek());
      next();
    }
    if (peek().kind != TokenKind::LParen) return unexpected(peek());
    next();
    const Token& kind = next();
    IndexSpace* spaces[] = {&funcs_, &tables_, &memories_, &globals_};
    const std::string_view kinds[] = {"func", "table", "memory", "global"};
    for (int i = 0; i < 4; ++i) {
      if (kind.is(TokenKind::Keyword, kinds[i])) space = spaces[i];
    }
    if (space == nullptr) return unexpected(kind);
    MOREL_CHECK_TEXT(scanImportOrder(open));
    MOREL_CHECK_TEXT(define(*space, optionalId(), kind));
    MOREL_CHECK_TEXT(skipToClose());
  } else if (kw.text == "func" || kw.text == "table" || kw.text == "memory" ||
             kw.text == "global") {
    space = kw.text == "func"     ? &funcs_
            : kw.text == "table"  ? &tables_
            : kw.text == "memory" ? &memories_
                                  : &globals_;
    definition = kw.text == "func" ? "function" : space->kind;
    MOREL_CHECK_TEXT(define(*space, optionalId(), kw));
    while (peekParen("export")) {
      next();
      MOREL_CHECK_TEXT(skipToClose());
    }
    if (peekParen("import")) {
      MOREL_CHECK_TEXT(scanImportOrder(open));
      definition = nullptr;
    } else if (kw.text == "table" || kw.text == "memory") {
      // An inline segment, `(table funcref (elem ...))` or `(memory (data ...))`, takes the
      // next element or data index.
      if (kw.text == "table" && peekValType() && peek(1).kind == TokenKind::LParen) {
        ++elems_.count;
      }
      if (kw.text == "table" && peekParen("ref") && peek(5).kind == TokenKind::LParen) {
        ++elems_.count;  // `(table (ref null func) (elem ...))`
      }
      if (kw.text == "memory" && peekParen("data")) ++datas_.count;
    }
  } else if (kw.text == "elem") {
    MOREL_CHECK_TEXT(define(elems_, optionalId(), kw));
  } else if (kw.text == "data") {
    MOREL_CHECK_TEXT(define(datas_, optionalId(), kw));
  } else if (kw.text != "export" && kw.text != "start") {
    return unexpected(kw);
  }
  if (definition != nullptr) lastDefinition_ = definition;
  MOREL_CHECK_TEXT(skipToClose());
  return {};
}

// ---- types and indices

std::optional<ValType> ModuleParser::peekValType() const {
  const Token& t = peek();
  if (t.kind != TokenKind::Keyword) return std::nullopt;
  if (t.text == "i32") return ValType::I32;
  if (t.text == "i64") return ValType::I64;
  if (t.text == "f32") return ValType::F32;
  if (t.text == "f64") return ValType::F64;
  if (t.text == "funcref") return ValType::FuncRef;
  if (t.text == "externref") return ValType::ExternRef;
  if (t.text == "v128") return static_cast<ValType>(0x7b);
  return std::nullopt;
}

Result<ValType> ModuleParser::valType() {
  if (auto t = peekValType()) {
    next();
    return *t;
  }
  // `(ref null func)` and `(ref null extern)`, the long forms of the two reference types.
  if (peekParen("ref")) {
    pos_ += 2;
    if (!peek().is(TokenKind::Keyword, "null")) return unexpected(peek());
    next();
    MOREL_TRY_TEXT(heap, heapType());
    MOREL_CHECK_TEXT(expectClose());
    return valTypeOf(heap);
  }
  const Token& t = peek();
  if (t.kind == TokenKind::Keyword) return error("unknown type", t, std::string(t.text));
  return unexpected(t);
}

Result<RefType> ModuleParser::refType() {
  const Token& at = peek();
  MOREL_TRY_TEXT(t, valType());
  if (!isReference(t)) return error("unexpected token", at, "expected a reference type");
  return static_cast<RefType>(t);
}

Result<RefType> ModuleParser::heapType() {
  const Token& t = next();
  if (t.is(TokenKind::Keyword, "func")) return RefType::FuncRef;
  if (t.is(TokenKind::Keyword, "extern")) return RefType::ExternRef;
  return unexpected(t);
}

// (param ...)* (result ...)* after `func` (or in a type use); consumes through the last.
Result<FuncType> ModuleParser::funcType(std::vector<const Token*>* paramNames) {
  FuncType type;
  while (peekParen("param")) {
    pos_ += 2;
    if (const Token* id = optionalId()) {
      if (paramNames == nullptr) return unexpected(*id);
      MOREL_TRY_TEXT(t, valType());
      type.params.push_back(t);
      paramNames->push_back(id);
    } else {
      while (peek().kind != TokenKind::RParen) {
        MOREL_TRY_TEXT(t, valType());
        type.params.push_back(t);
        if (paramNames != nullptr) paramNames->push_back(nullptr);
      }
    }
    MOREL_CHECK_TEXT(expectClose());
  }
  while (peekParen("result")) {
    pos_ += 2;
    while (peek().kind != TokenKind::RParen) {
      MOREL_TRY_TEXT(t, valType());
      type.results.push_back(t);
    }
    MOREL_CHECK_TEXT(expectClose());
  }
  if (peekParen("param"))
    return error("unexpected token", peek(1), "a parameter after the results");
  return type;
}

Result<TypeUse> ModuleParser::typeUse(bool allowNames) {
  TypeUse use;
  use.at = &peek();
  if (peekParen("type")) {
    pos_ += 2;
    MOREL_TRY_TEXT(i, index(typeSpace_));
    use.index = i;
    MOREL_CHECK_TEXT(expectClose());
  }
  use.hasInline = peekParen("param") || peekParen("result");
  MOREL_TRY_TEXT(type, funcType(&use.paramNames));
  if (!allowNames) {
    for (const Token* id : use.paramNames) {
      if (id != nullptr) return unexpected(*id);
    }
  }
  use.inlineType = std::move(type);
  return use;
}

Result<uint32_t> ModuleParser::resolveTypeUse(const TypeUse& use) {
  if (use.index) {
    // An index past the types defined so far may name an implicit type still to come; if
    // it names none, the validator reports it.
    if (use.hasInline && *use.index < types_.size() && types_[*use.index] != use.inlineType) {
      return error("inline function type", *use.at);
    }
    if (use.hasInline && *use.index >= types_.size()) pendingTypeUses_.push_back(use);
    return *use.index;
  }
  for (uint32_t i = 0; i < types_.size(); ++i) {
    if (types_[i] == use.inlineType) return i;
  }
  types_.push_back(use.inlineType);
  return static_cast<uint32_t>(types_.size() - 1);
}

Result<uint32_t> ModuleParser::index(const IndexSpace& space) {
  const Token& t = next();
  if (t.kind == TokenKind::Id) {
    auto it = space.names.find(t.text);
    if (it == space.names.end()) {
      return error(absl::StrCat("unknown ", space.kind), t, std::string(t.text));
    }
    return it->second;
  }
  if (t.kind == TokenKind::Reserved) {
    auto value = parseU32(t.text);
    if (value) return *value;
    if (value.error() == NumberError::Range) return error("constant out of range", t);
  }
  return unexpected(t);
}

// A limit (u32). Too large is the reference interpreter's "i32 constant out of range".
Result<uint32_t> ModuleParser::limit() {
  const Token& t = next();
  auto value = parseU32(t.text);
  if (t.kind == TokenKind::Reserved && value) return *value;
  if (t.kind == TokenKind::Reserved && value.error() == NumberError::Range) {
    return error("i32 constant out of range", t);
  }
  return unexpected(t);
}

Result<Limits> ModuleParser::limits() {
  Limits l;
  MOREL_TRY_TEXT(min, limit());
  l.min = min;
  if (peek().kind == TokenKind::Reserved) {
    MOREL_TRY_TEXT(max, limit());
    l.max = max;
  }
  return l;
}

Result<GlobalType> ModuleParser::globalType() {
  GlobalType g;
  if (peekParen("mut")) {
    pos_ += 2;
    MOREL_TRY_TEXT(t, valType());
    MOREL_CHECK_TEXT(expectClose());
    return GlobalType{t, true};
  }
  MOREL_TRY_TEXT(t, valType());
  g.type = t;
  return g;
}

void ModuleParser::writeLimits(BinaryWriter& out, const Limits& l) {
  out.byte(l.max ? 1 : 0);
  out.u32(l.min);
  if (l.max) out.u32(*l.max);
}

// ---- the second pass

Result<std::vector<uint8_t>> ModuleParser::encodeFields() {
  MOREL_CHECK_TEXT(scanFields());
  while (peek().kind == TokenKind::LParen) MOREL_CHECK_TEXT(encodeField());
  if (peek().kind != TokenKind::RParen && peek().kind != TokenKind::End) return unexpected(peek());
  // An inline type must agree with the type it names, so that type must exist.
  for (const TypeUse& use : pendingTypeUses_) {
    if (*use.index >= types_.size()) return error("unknown type", *use.at);
    if (types_[*use.index] != use.inlineType) return error("inline function type", *use.at);
  }
  return assemble();
}

Result<void> ModuleParser::encodeField() {
  const std::string_view kw = peek(1).text;
  if (kw == "type") return typeField();
  if (kw == "import") return importField();
  if (kw == "func") return funcField();
  if (kw == "table") return tableField();
  if (kw == "memory") return memoryField();
  if (kw == "global") return globalField();
  if (kw == "export") return exportField();
  if (kw == "start") return startField();
  if (kw == "elem") return elemField();
  if (kw == "data") return dataField();
  return unexpected(peek(1));
}

// Types were read by the first pass.
Result<void> ModuleParser::typeField() {
  next();
  return skipToClose();
}

Result<std::optional<std::pair<std::string, std::string>>> ModuleParser::inlineImport() {
  if (!peekParen("import")) return std::nullopt;
  pos_ += 2;
  MOREL_TRY_TEXT(module, name());
  MOREL_TRY_TEXT(field, name());
  MOREL_CHECK_TEXT(expectClose());
  return std::make_pair(std::move(module), std::move(field));
}

void ModuleParser::writeImport(const std::pair<std::string, std::string>& names,
                               ExternalKind kind) {
  imports_.content.string(names.first);
  imports_.content.string(names.second);
  imports_.content.byte(static_cast<uint8_t>(kind));
  ++imports_.count;
}

Result<void> ModuleParser::inlineExports(ExternalKind kind, uint32_t index) {
  while (peekParen("export")) {
    pos_ += 2;
    MOREL_TRY_TEXT(exported, name());
    MOREL_CHECK_TEXT(expectClose());
    exports_.content.string(exported);
    exports_.content.byte(static_cast<uint8_t>(kind));
    exports_.content.u32(index);
    ++exports_.count;
  }
  return {};
}

Result<ModuleParser::FieldHead> ModuleParser::fieldHead(ExternalKind kind, uint32_t& counter) {
  pos_ += 2;
  optionalId();
  const uint32_t index = counter++;
  MOREL_CHECK_TEXT(inlineExports(kind, index));
  MOREL_TRY_TEXT(imported, inlineImport());
  return FieldHead{index, std::move(imported)};
}

Result<void> ModuleParser::importField() {
  pos_ += 2;
  MOREL_TRY_TEXT(module, name());
  MOREL_TRY_TEXT(field, name());
  const std::pair names{std::move(module), std::move(field)};
  if (peek().kind != TokenKind::LParen) return unexpected(peek());
  next();
  const Token& kind = next();
  optionalId();
  if (kind.text == "func") {
    MOREL_TRY_TEXT(use, typeUse(true));
    MOREL_TRY_TEXT(typeIndex, resolveTypeUse(use));
    writeImport(names, ExternalKind::Func);
    imports_.content.u32(typeIndex);
    ++funcIndex_;
  } else if (kind.text == "table") {
    MOREL_TRY_TEXT(l, limits());
    MOREL_TRY_TEXT(t, refType());
    writeImport(names, ExternalKind::Table);
    imports_.content.byte(static_cast<uint8_t>(t));
    writeLimits(imports_.content, l);
    ++tableIndex_;
  } else if (kind.text == "memory") {
    MOREL_TRY_TEXT(l, limits());
    writeImport(names, ExternalKind::Memory);
    writeLimits(imports_.content, l);
    ++memoryIndex_;
  } else {
    MOREL_TRY_TEXT(g, globalType());
    writeImport(names, ExternalKind::Global);
    writeValType(imports_.content, g.type);
    imports_.content.byte(g.isMutable ? 1 : 0);
    ++globalIndex_;
  }
  MOREL_CHECK_TEXT(expectClose());
  return expectClose();
}

Result<void> ModuleParser::funcField() {
  MOREL_TRY_TEXT(head, fieldHead(ExternalKind::Func, funcIndex_));
  const uint32_t index = head.index;
  const auto& imported = head.imported;
  MOREL_TRY_TEXT(use, typeUse(true));
  MOREL_TRY_TEXT(typeIndex, resolveTypeUse(use));
  if (imported) {
    writeImport(*imported, ExternalKind::Func);
    imports_.content.u32(typeIndex);
    return expectClose();
  }
  functions_.content.u32(typeIndex);
  ++functions_.count;

  // Parameters are the first locals; a type use by index alone names none of them.
  locals_ = IndexSpace{"local"};
  if (use.hasInline) {
    for (const Token* id : use.paramNames) MOREL_CHECK_TEXT(define(locals_, id, *use.at));
  } else if (typeIndex < types_.size()) {
    locals_.count = static_cast<uint32_t>(types_[typeIndex].params.size());
  }
  std::vector<ValType> locals;
  while (peekParen("local")) {
    const Token& at = peek(1);
    pos_ += 2;
    if (const Token* id = optionalId()) {
      MOREL_TRY_TEXT(t, valType());
      locals.push_back(t);
      MOREL_CHECK_TEXT(define(locals_, id, at));
    } else {
      while (peek().kind != TokenKind::RParen) {
        MOREL_TRY_TEXT(t, valType());
        locals.push_back(t);
        ++locals_.count;
      }
    }
    MOREL_CHECK_TEXT(expectClose());
  }

  BinaryWriter body;
  // Locals are written as runs of one type.
  uint32_t runs = 0;
  for (std::size_t i = 0; i < locals.size(); ++i) runs += i == 0 || locals[i] != locals[i - 1];
  body.u32(runs);
  for (std::size_t i = 0; i < locals.size();) {
    std::size_t j = i;
    while (j < locals.size() && locals[j] == locals[i]) ++j;
    body.u32(static_cast<uint32_t>(j - i));
    writeValType(body, locals[i]);
    i = j;
  }
  labels_.clear();
  MOREL_CHECK_TEXT(instrs(body));
  body.byte(0x0b);
  MOREL_CHECK_TEXT(expectClose());
  code_.content.u32(static_cast<uint32_t>(body.size()));
  code_.content.append(body.bytes());
  ++code_.count;
  return {};
}

Result<void> ModuleParser::tableField() {
  MOREL_TRY_TEXT(head, fieldHead(ExternalKind::Table, tableIndex_));
  const uint32_t index = head.index;
  const auto& imported = head.imported;
  if (!imported && (peekValType() || peekParen("ref"))) {
    // `(table reftype (elem ...))`: a table just large enough for an active segment at 0.
    MOREL_TRY_TEXT(type, refType());
    MOREL_CHECK_TEXT(expectParen("elem"));
    const bool indices = peek().kind != TokenKind::LParen;
    MOREL_TRY_TEXT(items, elemList(indices));
    items.type = type;
    MOREL_CHECK_TEXT(expectClose());
    const auto size = static_cast<uint32_t>(items.exprs.size());
    tableSection_.content.byte(static_cast<uint8_t>(type));
    writeLimits(tableSection_.content, Limits{size, size});
    ++tableSection_.count;
    BinaryWriter zero;
    zero.byte(0x41);
    zero.byte(0);
    zero.byte(0x0b);
    writeElemSegment(ElementSegment::Mode::Active, index, &zero.bytes(), items);
    return expectClose();
  }
  MOREL_TRY_TEXT(l, limits());
  MOREL_TRY_TEXT(type, refType());
  BinaryWriter& out = imported ? imports_.content : tableSection_.content;
  if (imported) {
    writeImport(*imported, ExternalKind::Table);
  } else {
    ++tableSection_.count;
  }
  out.byte(static_cast<uint8_t>(type));
  writeLimits(out, l);
  return expectClose();
}

Result<void> ModuleParser::memoryField() {
  MOREL_TRY_TEXT(head, fieldHead(ExternalKind::Memory, memoryIndex_));
  const uint32_t index = head.index;
  const auto& imported = head.imported;
  if (!imported && peekParen("data")) {
    // `(memory (data ...))`: just enough pages for the bytes, at offset 0.
    pos_ += 2;
    std::vector<uint8_t> bytes = dataStrings();
    MOREL_CHECK_TEXT(expectClose());
    const auto pages = static_cast<uint32_t>((bytes.size() + kPageSize - 1) / kPageSize);
    writeLimits(memorySection_.content, Limits{pages, pages});
    ++memorySection_.count;
    BinaryWriter zero;
    zero.byte(0x41);
    zero.byte(0);
    zero.byte(0x0b);
    writeDataSegment(index, &zero.bytes(), bytes);
    return expectClose();
  }
  MOREL_TRY_TEXT(l, limits());
  if (imported) {
    writeImport(*imported, ExternalKind::Memory);
    writeLimits(imports_.content, l);
  } else {
    writeLimits(memorySection_.content, l);
    ++memorySection_.count;
  }
  return expectClose();
}

Result<void> ModuleParser::globalField() {
  MOREL_TRY_TEXT(head, fieldHead(ExternalKind::Global, globalIndex_));
  const uint32_t index = head.index;
  const auto& imported = head.imported;
  MOREL_TRY_TEXT(g, globalType());
  BinaryWriter& out = imported ? imports_.content : globalSection_.content;
  if (imported) writeImport(*imported, ExternalKind::Global);
  writeValType(out, g.type);
  out.byte(g.isMutable ? 1 : 0);
  if (!imported) {
    labels_.clear();
    MOREL_CHECK_TEXT(instrs(out));
    out.byte(0x0b);
    ++globalSection_.count;
  }
  return expectClose();
}

Result<void> ModuleParser::exportField() {
  pos_ += 2;
  MOREL_TRY_TEXT(exported, name());
  if (peek().kind != TokenKind::LParen) return unexpected(peek());
  next();
  const Token& kind = next();
  const std::pair<std::string_view, std::pair<ExternalKind, const IndexSpace*>> kinds[] = {
      {"func", {ExternalKind::Func, &funcs_}},
      {"table", {ExternalKind::Table, &tables_}},
      {"memory", {ExternalKind::Memory, &memories_}},
      {"global", {ExternalKind::Global, &globals_}}};
  for (const auto& [text, what] : kinds) {
    if (!kind.is(TokenKind::Keyword, text)) continue;
    MOREL_TRY_TEXT(i, index(*what.second));
    MOREL_CHECK_TEXT(expectClose());
    exports_.content.string(exported);
    exports_.content.byte(static_cast<uint8_t>(what.first));
    exports_.content.u32(i);
    ++exports_.count;
    return expectClose();
  }
  return unexpected(kind);
}

Result<void> ModuleParser::startField() {
  const Token& at = peek(1);
  pos_ += 2;
  if (start_) return error("multiple start sections", at);
  MOREL_TRY_TEXT(i, index(funcs_));
  start_ = i;
  return expectClose();
}

Result<void> ModuleParser::offsetExpr(BinaryWriter& out) {
  if (peekParen("offset")) {
    pos_ += 2;
    MOREL_CHECK_TEXT(instrs(out));
    MOREL_CHECK_TEXT(expectClose());
  } else {
    MOREL_CHECK_TEXT(foldedInstr(out));
  }
  out.byte(0x0b);
  return {};
}

// Function indices (each becomes ref.func), or `(item instr*)` / one folded instruction
// per item, up to the closing ')'.
Result<ModuleParser::ElemItems> ModuleParser::elemList(bool funcIndicesOnly) {
  ElemItems items;
  labels_.clear();
  while (peek().kind != TokenKind::RParen) {
    BinaryWriter expr;
    if (funcIndicesOnly) {
      MOREL_TRY_TEXT(f, index(funcs_));
      items.funcRefs.push_back(f);
      expr.byte(0xd2);
      expr.u32(f);
    } else {
      if (peekParen("item")) {
        pos_ += 2;
        MOREL_CHECK_TEXT(instrs(expr));
        MOREL_CHECK_TEXT(expectClose());
      } else {
        MOREL_CHECK_TEXT(foldedInstr(expr));
      }
      // An item that is exactly one ref.func can be written as a function index.
      std::optional<uint32_t> f;
      if (expr.size() > 1 && expr.bytes()[0] == 0xd2) {
        uint32_t v = 0;
        int shift = 0;
        std::size_t i = 1;
        for (; i < expr.size(); ++i) {
          v |= static_cast<uint32_t>(expr.bytes()[i] & 0x7f) << shift;
          shift += 7;
          if ((expr.bytes()[i] & 0x80) == 0) break;
        }
        if (i + 1 == expr.size()) f = v;
      }
      items.funcRefs.push_back(f);
    }
    expr.byte(0x0b);
    items.exprs.push_back(std::move(expr.bytes()));
  }
  return items;
}

void ModuleParser::writeElemSegment(ElementSegment::Mode mode, uint32_t table,
                                    const std::vector<uint8_t>* offset, const ElemItems& items) {
  bool indices = items.type == RefType::FuncRef;
  for (const auto& f : items.funcRefs) indices = indices && f.has_value();
  // The flags (spec 5.5.12): bit 0 passive or declarative, bit 1 an explicit table index
  // (active) or declarative, bit 2 expressions rather than function indices.
  uint8_t flags = indices ? 0 : 4;
  const bool explicitTable = mode == ElementSegment::Mode::Active &&
                             (table != 0 || (!indices && items.type != RefType::FuncRef));
  if (mode == ElementSegment::Mode::Passive) flags |= 1;
  if (mode == ElementSegment::Mode::Declarative) flags |= 3;
  if (explicitTable) flags |= 2;
  BinaryWriter& out = elements_.content;
  out.u32(flags);
  if (explicitTable) out.u32(table);
  if (offset != nullptr) out.append(*offset);
  if (flags & 3) {
    if (indices) {
      out.byte(0x00);  // elemkind funcref
    } else {
      out.byte(static_cast<uint8_t>(items.type));
    }
  }
  out.u32(static_cast<uint32_t>(items.exprs.size()));
  for (std::size_t i = 0; i < items.exprs.size(); ++i) {
    if (indices) {
      out.u32(*items.funcRefs[i]);
    } else {
      out.append(items.exprs[i]);
    }
  }
  ++elements_.count;
}

Result<void> ModuleParser::elemField() {
  pos_ += 2;
  optionalId();
  auto mode = ElementSegment::Mode::Passive;
  uint32_t table = 0;
  BinaryWriter offset;
  if (peek().is(TokenKind::Keyword, "declare")) {
    next();
    mode = ElementSegment::Mode::Declarative;
  } else {
    if (peekParen("table")) {
      pos_ += 2;
      MOREL_TRY_TEXT(t, index(tables_));
      table = t;
      MOREL_CHECK_TEXT(expectClose());
      mode = ElementSegment::Mode::Active;
    }
    if (peek().kind == TokenKind::LParen) {
      labels_.clear();
      MOREL_CHECK_TEXT(offsetExpr(offset));
      mode = ElementSegment::Mode::Active;
    }
  }
  ElemItems items;
  if (peek().is(TokenKind::Keyword, "func")) {
    next();
    MOREL_TRY_TEXT(list, elemList(true));
    items = std::move(list);
  } else if (peekValType() || peekParen("ref")) {
    MOREL_TRY_TEXT(type, refType());
    MOREL_TRY_TEXT(list, elemList(false));
    items = std::move(list);
    items.type = type;
  } else {
    // The legacy abbreviation `(elem (offset) x*)`: function indices without `func`.
    if (mode != ElementSegment::Mode::Active && peek().kind != TokenKind::RParen) {
      return unexpected(peek());
    }
    MOREL_TRY_TEXT(list, elemList(true));
    items = std::move(list);
  }
  writeElemSegment(mode, table, mode == ElementSegment::Mode::Active ? &offset.bytes() : nullptr,
                   items);
  return expectClose();
}

std::vector<uint8_t> ModuleParser::dataStrings() {
  std::vector<uint8_t> bytes;
  while (peek().kind == TokenKind::String) {
    const Token& s = next();
    bytes.insert(bytes.end(), s.bytes.begin(), s.bytes.end());
  }
  return bytes;
}

void ModuleParser::writeDataSegment(std::optional<uint32_t> memory,
                                    const std::vector<uint8_t>* offset,
                                    const std::vector<uint8_t>& bytes) {
  BinaryWriter& out = data_.content;
  if (offset == nullptr) {
    out.u32(1);
  } else if (memory.value_or(0) == 0) {
    out.u32(0);
  } else {
    out.u32(2);
    out.u32(*memory);
  }
  if (offset != nullptr) out.append(*offset);
  out.u32(static_cast<uint32_t>(bytes.size()));
  out.bytes().insert(out.bytes().end(), bytes.begin(), bytes.end());
  ++data_.count;
}

Result<void> ModuleParser::dataField() {
  pos_ += 2;
  optionalId();
  std::optional<uint32_t> memory;
  BinaryWriter offset;
  bool active = false;
  if (peekParen("memory")) {
    pos_ += 2;
    MOREL_TRY_TEXT(m, index(memories_));
    memory = m;
    MOREL_CHECK_TEXT(expectClose());
    active = true;
  }
  if (peek().kind == TokenKind::LParen) {
    labels_.clear();
    MOREL_CHECK_TEXT(offsetExpr(offset));
    active = true;
  }
  if (active && !offset.size()) return unexpected(peek());
  std::vector<uint8_t> bytes = dataStrings();
  writeDataSegment(memory, active ? &offset.bytes() : nullptr, bytes);
  return expectClose();
}

std::vector<uint8_t> ModuleParser::assemble() {
  BinaryWriter out;
  for (uint8_t b : {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}) out.byte(b);
  auto section = [&out](uint8_t id, const Section& s) {
    if (s.count == 0) return;
    BinaryWriter content;
    content.u32(s.count);
    content.append(s.content.bytes());
    out.byte(id);
    out.u32(static_cast<uint32_t>(content.size()));
    out.append(content.bytes());
  };
  Section types;
  for (const FuncType& t : types_) {
    types.content.byte(0x60);
    types.content.u32(static_cast<uint32_t>(t.params.size()));
    for (ValType v : t.params) writeValType(types.content, v);
    types.content.u32(static_cast<uint32_t>(t.results.size()));
    for (ValType v : t.results) writeValType(types.content, v);
  }
  types.count = static_cast<uint32_t>(types_.size());
  section(1, types);
  section(2, imports_);
  section(3, functions_);
  section(4, tableSection_);
  section(5, memorySection_);
  section(6, globalSection_);
  section(7, exports_);
  if (start_) {
    BinaryWriter content;
    content.u32(*start_);
    out.byte(8);
    out.u32(static_cast<uint32_t>(content.size()));
    out.append(content.bytes());
  }
  section(9, elements_);
  // As the spec's interpreter encodes it: present whenever the code uses memory.init or
  // data.drop, even with no segments (wat2wasm leaves it out then), so such code
  // is invalid ("unknown data segment"), not malformed.
  if (needsDataCount_) {
    BinaryWriter content;
    content.u32(datas_.count);
    out.byte(12);
    out.u32(static_cast<uint32_t>(content.size()));
    out.append(content.bytes());
  }
  section(10, code_);
  section(11, data_);
  return std::move(out.bytes());
}

}  // namespace morel::wasm::text

namespace morel::wasm {

Result<std::vector<uint8_t>> parseWat(std::string_view source) {
  MOREL_TRY_TEXT(tokens, text::tokenize(source));
  std::size_t pos = 0;
  const bool wrapped = tokens.size() > 2 && tokens[0].kind == text::TokenKind::LParen &&
                       tokens[1].is(text::TokenKind::Keyword, "module");
  if (wrapped) {
    pos = 2;
    if (tokens[pos].kind == text::TokenKind::Id) ++pos;
  }
  text::ModuleParser parser(tokens, pos);
  MOREL_TRY_TEXT(bytes, parser.encodeFields());
  pos = parser.end();
  if (wrapped) {
    if (tokens[pos].kind != text::TokenKind::RParen) {
      return failAt(
          tokens[pos].kind == text::TokenKind::End ? "unexpected end" : "unexpected token",
          tokens[pos].line, tokens[pos].column);
    }
    ++pos;
  }
  if (tokens[pos].kind != text::TokenKind::End) {
    return failAt("unexpected token", tokens[pos].line, tokens[pos].column,
                  std::string(tokens[pos].text));
  }
  return bytes;
}

bool looksLikeWat(std::string_view bytes) {
  // White space and comments, then '(' (a binary module starts with a NUL byte).
  std::size_t i = 0;
  while (i < bytes.size()) {
    const char c = bytes[i];
    const char after = i + 1 < bytes.size() ? bytes[i + 1] : '\0';
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == ';' && after == ';') {
      while (i < bytes.size() && bytes[i] != '\n') ++i;
    } else if (c == '(' && after == ';') {
      int depth = 0;
      do {
        if (bytes.substr(i, 2) == "(;") {
          ++depth;
          i += 2;
        } else if (bytes.substr(i, 2) == ";)") {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (depth > 0 && i < bytes.size());
    } else {
      return c == '(';
    }
  }
  return false;
}

}  // namespace morel::wasm

// Instructions of the text format (spec 6.5): plain ones, their immediates, structured
// blocks with labels, and the folded form `(op operand*)`, which is the operands'
// instructions followed by op.
#include <bit>
#include <string>

#include "../WasmImmediates.h"
#include "TextResult.h"
#include "WatModuleParser.h"
#include "WatNumbers.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace morel::wasm::text {
namespace {

struct TextOp {
  uint32_t code;
  Imm imm;
};

// Mnemonic to opcode. `select` with types is the same mnemonic followed by `(result ...)`,
// so the table keeps the untyped one.
const absl::flat_hash_map<std::string_view, TextOp>& textOps() {
  static const auto ops = [] {
    absl::flat_hash_map<std::string_view, TextOp> table;
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) table.emplace(text, TextOp{code, Imm::imm});
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
    return table;
  }();
  return ops;
}

void writeOpcode(BinaryWriter& out, uint32_t code) {
  if (code < 0x100) {
    out.byte(static_cast<uint8_t>(code));
  } else {
    out.byte(static_cast<uint8_t>(code >> 8));
    out.u32(code & 0xff);
  }
}

// Keywords of the grammar around instructions: where an instruction is expected, one
// of them is a misplaced token rather than an unknown operator.
bool isSyntaxKeyword(std::string_view word) {
  static constexpr std::string_view kWords[] = {
      "param",  "result", "type", "local", "then",  "export", "import", "func", "table",
      "memory", "global", "elem", "data",  "start", "offset", "item",   "mut",  "module"};
  for (std::string_view w : kWords) {
    if (word == w) return true;
  }
  return false;
}

bool isBlockKeyword(const Token& t) {
  return t.kind == TokenKind::Keyword && (t.text == "block" || t.text == "loop" || t.text == "if");
}

}  // namespace

Result<void> ModuleParser::instrs(BinaryWriter& out) {
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::RParen || t.kind == TokenKind::End) return {};
    if (t.is(TokenKind::Keyword, "end") || t.is(TokenKind::Keyword, "else")) return {};
    MOREL_CHECK_TEXT(instr(out));
  }
}

Result<void> ModuleParser::instr(BinaryWriter& out) {
  // Blocks and folded operands recurse once per level: deeper text is refused rather
  // than overflowing the host's stack (the validator refuses deeper blocks anyway).
  if (++depth_ > kMaxNesting) {
    --depth_;
    return error("nesting too deep", peek(),
                 absl::StrCat("Morel reads at most ", kMaxNesting, " nested instructions"));
  }
  auto done = peek().kind == TokenKind::LParen ? foldedInstr(out) : plainInstr(out);
  --depth_;
  return done;
}

Result<void> ModuleParser::plainInstr(BinaryWriter& out) {
  const Token& op = peek();
  if (op.kind != TokenKind::Keyword) return unexpected(op);
  if (isBlockKeyword(op)) {
    next();
    return blockInstr(op, out, false);
  }
  next();
  return immediates(op, out);
}

Result<void> ModuleParser::foldedInstr(BinaryWriter& out) {
  if (peek().kind != TokenKind::LParen) return unexpected(peek());
  next();
  const Token& op = peek();
  if (op.kind != TokenKind::Keyword) return unexpected(op);
  next();
  if (op.text == "if") return ifFolded(out);
  if (isBlockKeyword(op)) return blockInstr(op, out, true);
  // The instruction follows its operands: it waits in a buffer of this nesting level,
  // reused from one instruction to the next.
  if (scratch_.size() <= static_cast<std::size_t>(depth_)) scratch_.resize(depth_ + 1);
  BinaryWriter& self = scratch_[depth_];
  self.bytes().clear();
  MOREL_CHECK_TEXT(immediates(op, self));
  while (peek().kind == TokenKind::LParen) MOREL_CHECK_TEXT(instr(out));
  out.append(scratch_[depth_].bytes());
  return expectClose();
}

Result<void> ModuleParser::blockType(BinaryWriter& out) {
  MOREL_TRY_TEXT(use, typeUse(false));
  // As wat2wasm does: a type of no parameters and at most one result is written as that
  // result, even when named by index.
  const FuncType* type = &use.inlineType;
  if (use.index) {
    MOREL_TRY_TEXT(index, resolveTypeUse(use));
    if (index >= types_.size()) {  // not known yet: the validator's question
      out.s64(index);
      return {};
    }
    type = &types_[index];
  }
  if (type->params.empty() && type->results.size() <= 1) {
    if (type->results.empty()) {
      out.byte(0x40);
    } else {
      writeValType(out, type->results[0]);
    }
    return {};
  }
  MOREL_TRY_TEXT(index, resolveTypeUse(use));
  out.s64(index);
  return {};
}

Result<void> ModuleParser::endLabel(const Token* label) {
  if (const Token* id = optionalId()) {
    if (label == nullptr || label->text != id->text) return error("mismatching label", *id);
  }
  return {};
}

// block, loop and flat if: label, block type, body, [else body,] end.
Result<void> ModuleParser::blockInstr(const Token& op, BinaryWriter& out, bool folded) {
  const Token* label = optionalId();
  writeOpcode(out, op.text == "block" ? 0x02 : op.text == "loop" ? 0x03 : 0x04);
  MOREL_CHECK_TEXT(blockType(out));
  labels_.push_back(label);
  MOREL_CHECK_TEXT(instrs(out));
  if (!folded && op.text == "if" && peek().is(TokenKind::Keyword, "else")) {
    next();
    MOREL_CHECK_TEXT(endLabel(label));
    MOREL_CHECK_TEXT(elseBody(out));
  }
  labels_.pop_back();
  out.byte(0x0b);
  if (folded) return expectClose();
  if (!peek().is(TokenKind::Keyword, "end")) return unexpected(peek());
  next();
  return endLabel(label);
}

// As wat2wasm does, an empty else branch is left out: `if ... end` means the same.
Result<void> ModuleParser::elseBody(BinaryWriter& out) {
  BinaryWriter body;
  MOREL_CHECK_TEXT(instrs(body));
  if (body.size() == 0) return {};
  out.byte(0x05);
  out.append(body.bytes());
  return {};
}

// (if label blocktype folded-condition* (then instr*) (else instr*)?)
Result<void> ModuleParser::ifFolded(BinaryWriter& out) {
  const Token* label = optionalId();
  BinaryWriter head;
  head.byte(0x04);
  MOREL_CHECK_TEXT(blockType(head));
  while (peek().kind == TokenKind::LParen && !peekParen("then")) MOREL_CHECK_TEXT(instr(out));
  out.append(head.bytes());
  labels_.push_back(label);
  MOREL_CHECK_TEXT(expectParen("then"));
  MOREL_CHECK_TEXT(instrs(out));
  MOREL_CHECK_TEXT(expectClose());
  if (peekParen("else")) {
    pos_ += 2;
    MOREL_CHECK_TEXT(elseBody(out));
    MOREL_CHECK_TEXT(expectClose());
  }
  labels_.pop_back();
  out.byte(0x0b);
  return expectClose();
}

Result<uint32_t> ModuleParser::label() {
  const Token& t = peek();
  if (t.kind == TokenKind::Id) {
    next();
    for (std::size_t depth = 0; depth < labels_.size(); ++depth) {
      const Token* l = labels_[labels_.size() - 1 - depth];
      if (l != nullptr && l->text == t.text) return static_cast<uint32_t>(depth);
    }
    return error("unknown label", t, std::string(t.text));
  }
  return index(IndexSpace{"label"});
}

Result<uint32_t> ModuleParser::optionalTable() {
  if (!peekIndex()) return 0;
  return index(tables_);
}

// The number of `offset=N` or `align=N` (the reference interpreter calls one past u32
// an "i32 constant").
Result<uint32_t> ModuleParser::memargField(std::string_view prefix) {
  const Token& t = next();
  auto value = parseU32(t.text.substr(prefix.size()));
  if (!value) {
    // `offset=-1` and the like are no token of the grammar at all.
    return error(value.error() == NumberError::Range ? "i32 constant" : "unknown operator", t);
  }
  return *value;
}

Result<void> ModuleParser::memarg(BinaryWriter& out, uint32_t naturalAlignLog2) {
  uint64_t offset = 0;
  uint32_t alignLog2 = naturalAlignLog2;
  if (peek().kind == TokenKind::Keyword && peek().text.starts_with("offset=")) {
    MOREL_TRY_TEXT(value, memargField("offset="));
    offset = value;
  }
  if (peek().kind == TokenKind::Keyword && peek().text.starts_with("align=")) {
    const Token& t = peek();
    MOREL_TRY_TEXT(value, memargField("align="));
    if (value == 0 || !std::has_single_bit(value))
      return error("alignment must be a power of two", t);
    alignLog2 = static_cast<uint32_t>(std::countr_zero(value));
  }
  out.u32(alignLog2);
  out.u32(static_cast<uint32_t>(offset));
  return {};
}

Result<void> ModuleParser::constant(const Token& op, BinaryWriter& out) {
  const Token& t = next();
  if (t.kind != TokenKind::Reserved && t.kind != TokenKind::Keyword) return unexpected(t);
  const std::string_view type = op.text.substr(0, 3);
  auto failed = [&](NumberError e) {
    return e == NumberError::Range ? error("constant out of range", t) : unexpected(t);
  };
  if (type == "i32" || type == "i64") {
    const int bits = type == "i32" ? 32 : 64;
    auto v = parseInt(t.text, bits);
    if (!v || t.kind != TokenKind::Reserved) return failed(v ? NumberError::Syntax : v.error());
    if (bits == 32) {
      out.s32(static_cast<int32_t>(static_cast<uint32_t>(*v)));
    } else {
      out.s64(static_cast<int64_t>(*v));
    }
    return {};
  }
  if (type == "f32") {
    auto v = parseF32(t.text);
    if (!v) return failed(v.error());
    out.fixed32(*v);
    return {};
  }
  auto v = parseF64(t.text);
  if (!v) return failed(v.error());
  out.fixed64(*v);
  return {};
}

Result<void> ModuleParser::immediates(const Token& op, BinaryWriter& out) {
  if (op.text == "select" && peekParen("result")) {
    MOREL_TRY_TEXT(type, funcType(nullptr));
    // `select (result)` stays a typed select with no type (wat2wasm writes the untyped
    // one), so the validator reports its arity as the spec's interpreter does.
    out.byte(0x1c);
    out.u32(static_cast<uint32_t>(type.results.size()));
    for (ValType t : type.results) writeValType(out, t);
    return {};
  }
  const auto& ops = textOps();
  auto it = ops.find(op.text);
  if (isSyntaxKeyword(op.text)) return unexpected(op);  // `(param ...)` after a body began
  if (it == ops.end() || isBlockKeyword(op) || op.text == "else" || op.text == "end") {
    return error("unknown operator", op, std::string(op.text));
  }
  const TextOp& info = it->second;
  writeOpcode(out, info.code);
  switch (info.imm) {
    case Imm::None:
    case Imm::BlockType:
      return {};
    case Imm::LabelIdx: {
      MOREL_TRY_TEXT(depth, label());
      out.u32(depth);
      return {};
    }
    case Imm::BrTable: {
      std::vector<uint32_t> depths;
      while (peekIndex()) {
        MOREL_TRY_TEXT(depth, label());
        depths.push_back(depth);
      }
      if (depths.empty()) return unexpected(peek());
      out.u32(static_cast<uint32_t>(depths.size() - 1));
      for (uint32_t d : depths) out.u32(d);
      return {};
    }
    case Imm::FuncIdx:
    case Imm::LocalIdx:
    case Imm::GlobalIdx:
    case Imm::DataIdx:
    case Imm::ElemIdx: {
      const IndexSpace& space = info.imm == Imm::FuncIdx     ? funcs_
                                : info.imm == Imm::LocalIdx  ? locals_
                                : info.imm == Imm::GlobalIdx ? globals_
                                : info.imm == Imm::DataIdx   ? datas_
                                                             : elems_;
      if (info.imm == Imm::DataIdx) needsDataCount_ = true;
      MOREL_TRY_TEXT(i, index(space));
      out.u32(i);
      return {};
    }
    case Imm::CallIndirect: {
      MOREL_TRY_TEXT(table, optionalTable());
      MOREL_TRY_TEXT(use, typeUse(false));
      MOREL_TRY_TEXT(type, resolveTypeUse(use));
      out.u32(type);
      out.u32(table);
      return {};
    }
    case Imm::MemIdx:
      out.byte(0);
      return {};
    case Imm::MemoryCopy:
      out.byte(0);
      out.byte(0);
      return {};
    case Imm::MemoryInit: {
      needsDataCount_ = true;
      MOREL_TRY_TEXT(data, index(datas_));
      out.u32(data);
      out.byte(0);
      return {};
    }
    case Imm::SelectTypes:  // reached only through `select (result ...)` above
      return {};
    case Imm::RefType: {
      MOREL_TRY_TEXT(type, heapType());
      out.byte(static_cast<uint8_t>(type));
      return {};
    }
    case Imm::TableIdx: {
      MOREL_TRY_TEXT(table, optionalTable());
      out.u32(table);
      return {};
    }
    case Imm::TableInit: {
      // `table.init x y` is table x, element y; `table.init y` is table 0.
      MOREL_TRY_TEXT(table, peekIndex(1) ? index(tables_) : Result<uint32_t>(0));
      MOREL_TRY_TEXT(elem, index(elems_));
      out.u32(elem);
      out.u32(table);
      return {};
    }
    case Imm::TableCopy: {
      uint32_t dst = 0;
      uint32_t src = 0;
      if (peekIndex()) {
        MOREL_TRY_TEXT(d, index(tables_));
        MOREL_TRY_TEXT(s, index(tables_));
        dst = d;
        src = s;
      }
      out.u32(dst);
      out.u32(src);
      return {};
    }
    case Imm::I32:
    case Imm::I64:
    case Imm::F32:
    case Imm::F64:
      return constant(op, out);
    case Imm::Mem8:
      return memarg(out, 0);
    case Imm::Mem16:
      return memarg(out, 1);
    case Imm::Mem32:
      return memarg(out, 2);
    case Imm::Mem64:
      return memarg(out, 3);
    case Imm::Mem128:
      return memarg(out, 4);
    case Imm::MemLane8:
    case Imm::MemLane16:
    case Imm::MemLane32:
    case Imm::MemLane64: {
      const uint32_t alignLog2 = info.imm == Imm::MemLane8    ? 0
                                 : info.imm == Imm::MemLane16 ? 1
                                 : info.imm == Imm::MemLane32 ? 2
                                                              : 3;
      MOREL_CHECK_TEXT(memarg(out, alignLog2));
      MOREL_TRY_TEXT(lane, laneIndex());
      out.byte(lane);
      return {};
    }
    case Imm::Lane16:
    case Imm::Lane8:
    case Imm::Lane4:
    case Imm::Lane2: {  // the validator checks the index against the lane count
      MOREL_TRY_TEXT(lane, laneIndex());
      out.byte(lane);
      return {};
    }
    case Imm::V128Const:
      return v128Constant(out);
    case Imm::Shuffle:
      return shuffleLanes(out);
  }
  return {};
}

// ---- SIMD

Result<uint8_t> ModuleParser::laneIndex() {
  const Token& t = next();
  if (t.kind != TokenKind::Reserved) return unexpected(t);
  auto lane = parseU32(t.text);
  if (!lane && lane.error() == NumberError::Syntax) return unexpected(t);
  if (!lane || *lane > 0xff) return error("malformed lane index", t);
  return static_cast<uint8_t>(*lane);
}

// v128.const SHAPE lane*: the lanes as little-endian bytes.
Result<void> ModuleParser::v128Constant(BinaryWriter& out) {
  const Token& shape = next();
  struct Shape {
    std::string_view name;
    int lanes;
    int bits;
    bool isFloat;
  };
  static constexpr Shape kShapes[] = {{"i8x16", 16, 8, false}, {"i16x8", 8, 16, false},
                                      {"i32x4", 4, 32, false}, {"i64x2", 2, 64, false},
                                      {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
  const Shape* found = nullptr;
  for (const Shape& candidate : kShapes) {
    if (shape.is(TokenKind::Keyword, candidate.name)) found = &candidate;
  }
  if (found == nullptr) return unexpected(shape);
  // The literals run to the next parenthesis; their count is checked before their values.
  int literals = 0;
  while (peek(literals).kind == TokenKind::Reserved || peek(literals).kind == TokenKind::Keyword) {
    ++literals;
  }
  if (literals != found->lanes) return error("wrong number of lane literals", peek(literals));
  for (int i = 0; i < found->lanes; ++i) {
    const Token& t = next();
    std::expected<uint64_t, NumberError> bits = std::unexpected(NumberError::Syntax);
    if (!found->isFloat) {
      if (t.kind == TokenKind::Reserved) bits = parseInt(t.text, found->bits);
    } else if (found->bits == 32) {
      bits = parseF32(t.text);
    } else {
      bits = parseF64(t.text);
    }
    if (!bits) {
      return bits.error() == NumberError::Range ? error("constant out of range", t) : unexpected(t);
    }
    for (int b = 0; b < found->bits / 8; ++b) out.byte(static_cast<uint8_t>(*bits >> (8 * b)));
  }
  return {};
}

// i8x16.shuffle's 16 lane indices (below 32 is the validator's question).
Result<void> ModuleParser::shuffleLanes(BinaryWriter& out) {
  std::vector<const Token*> lanes;
  while (peek().kind == TokenKind::Reserved || peek().kind == TokenKind::Keyword) {
    lanes.push_back(&next());
  }
  if (lanes.size() != 16) return error("invalid lane length", peek());
  for (const Token* t : lanes) {
    auto lane = parseU32(t->text);
    if (!lane || *lane > 0xff) return error("malformed lane index", *t);
    out.byte(static_cast<uint8_t>(*lane));
  }
  return {};
}

}  // namespace morel::wasm::text

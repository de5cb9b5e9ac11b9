// Validates a decoded module with the spec's algorithm (appendix "Validation Algorithm"): an
// operand stack and a control stack, where code after br/return/unreachable sees a
// polymorphic stack that yields values of unknown type.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {
namespace {

#define MOREL_TRY(var, expr)                                                  \
  auto var##OrError = (expr);                                                 \
  if (!var##OrError) return std::unexpected(std::move(var##OrError).error()); \
  auto var = *std::move(var##OrError)
#define MOREL_CHECK(expr) \
  if (auto checked = (expr); !checked) return std::unexpected(std::move(checked).error())

// The .def signature of a plain numeric instruction ("ii:i"); `special` marks "*" entries
// that the validator checks by hand.
struct Signature {
  bool special = true;
  uint8_t popCount = 0;
  uint8_t pushCount = 0;
  std::array<ValType, 3> pops{};
  std::array<ValType, 1> pushes{};
};

// The .def's type letters: i = i32, l = i64, f = f32, d = f64, v = v128.
constexpr ValType typeLetter(char c) {
  switch (c) {
    case 'v': return ValType::V128;
    case 'l': return ValType::I64;
    case 'f': return ValType::F32;
    case 'd': return ValType::F64;
    default: return ValType::I32;
  }
}

constexpr Signature parseSignature(std::string_view text) {
  Signature sig;
  if (text == "*") return sig;
  sig.special = false;
  const std::size_t colon = text.find(':');
  for (char c : text.substr(0, colon)) sig.pops[sig.popCount++] = typeLetter(c);
  for (char c : text.substr(colon + 1)) sig.pushes[sig.pushCount++] = typeLetter(c);
  return sig;
}

constexpr std::array<Signature, kOpcodeTableSize> kSignatures = [] {
  std::array<Signature, kOpcodeTableSize> table{};
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) table[opcodeIndex(code)] = parseSignature(sig);
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
  return table;
}();

// log2 of the bytes a memory access reads or writes (its natural alignment), from the
// immediate column ("Mem32" -> 2); -1 for everything that is not a memory access.
constexpr int accessLog2(std::string_view imm) {
  if (imm == "Mem8") return 0;
  if (imm == "Mem16") return 1;
  if (imm == "Mem32") return 2;
  if (imm == "Mem64" || imm == "MemLane64") return 3;
  if (imm == "Mem128") return 4;
  if (imm == "MemLane8") return 0;
  if (imm == "MemLane16") return 1;
  if (imm == "MemLane32") return 2;
  return -1;
}

// The lanes a SIMD lane-index immediate may name ("Lane4" -> 4, "MemLane16" -> 8); 0
// when the instruction has no lane index.
constexpr int laneCount(std::string_view imm) {
  if (imm == "Lane16" || imm == "MemLane8") return 16;
  if (imm == "Lane8" || imm == "MemLane16") return 8;
  if (imm == "Lane4" || imm == "MemLane32") return 4;
  if (imm == "Lane2" || imm == "MemLane64") return 2;
  return 0;
}

constexpr std::array<uint8_t, kOpcodeTableSize> kLaneCount = [] {
  std::array<uint8_t, kOpcodeTableSize> table{};
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) table[opcodeIndex(code)] = laneCount(#imm);
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
  return table;
}();

constexpr std::array<int8_t, kOpcodeTableSize> kAccessLog2 = [] {
  std::array<int8_t, kOpcodeTableSize> table{};
  table.fill(-1);
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) table[opcodeIndex(code)] = accessLog2(#imm);
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
  return table;
}();

const char* typeName(std::optional<ValType> t) {
  return t ? valTypeName(*t) : "unknown";
}

// An operand of unknown type (std::nullopt) only arises from a polymorphic stack.
using Operand = std::optional<ValType>;

struct ControlFrame {
  Opcode op;
  std::vector<ValType> params;
  std::vector<ValType> results;
  std::size_t height;  // operand stack height at entry, below the params
  bool unreachable = false;

  // A branch to a loop restarts it, so it carries the loop's params.
  const std::vector<ValType>& labelTypes() const { return op == Opcode::Loop ? params : results; }
};

class FunctionValidator {
 public:
  /// `declared`: the functions ref.func may name (C.refs: those referenced outside
  /// function bodies, in element segments, global initializers and exports).
  FunctionValidator(const Module& module, const Function& function, const std::set<uint32_t>& declared)
      : module_(module),
        type_(module.types[function.typeIndex]),
        function_(function),
        declared_(declared),
        offset_(function.bodyOffset) {
    locals_ = type_.params;
    locals_.insert(locals_.end(), function.locals.begin(), function.locals.end());
  }

  Result<void> run() {
    pushControl(Opcode::Block, {}, type_.results);
    // The decoder guarantees the body ends with the function's own `end`; hand-built modules
    // are checked too, so validate() never indexes an empty control stack.
    for (const Instr& in : function_.body) {
      offset_ = in.offset;
      if (controls_.empty()) return error("END opcode expected", "instruction after the end");
      MOREL_CHECK(instr(in));
    }
    if (!controls_.empty()) return error("END opcode expected");
    return {};
  }

 private:
  std::unexpected<Diagnostic> error(std::string_view category, std::string detail = {}) const {
    return fail(std::string(category), offset_, Diagnostic::Unit::Byte, std::move(detail));
  }

  // --- operand stack -------------------------------------------------------------------

  void push(Operand t) { operands_.push_back(t); }

  void pushAll(const std::vector<ValType>& types) {
    for (ValType t : types) push(t);
  }

  Result<Operand> pop() {
    const ControlFrame& frame = controls_.back();
    if (operands_.size() == frame.height) {
      if (frame.unreachable) return Operand{};
      return error("type mismatch", "operand stack is empty");
    }
    Operand t = operands_.back();
    operands_.pop_back();
    return t;
  }

  /// Pops an operand of type `expected`; an operand of unknown type stays unknown.
  Result<Operand> pop(ValType expected) {
    MOREL_TRY(actual, pop());
    if (actual && *actual != expected) {
      return error("type mismatch",
                   absl::StrCat("expected ", typeName(expected), ", got ", typeName(actual)));
    }
    return actual;
  }

  Result<void> popAll(const std::vector<ValType>& types) {
    for (auto it = types.rbegin(); it != types.rend(); ++it) MOREL_CHECK(pop(*it));
    return {};
  }

  // --- control stack -------------------------------------------------------------------

  static constexpr std::size_t kMaxControlNesting = 12000;

  void pushControl(Opcode op, std::vector<ValType> params, std::vector<ValType> results) {
    controls_.push_back(ControlFrame{op, std::move(params), std::move(results), operands_.size()});
    pushAll(controls_.back().params);
  }

  Result<ControlFrame> popControl() {
    MOREL_CHECK(popAll(controls_.back().results));
    if (operands_.size() != controls_.back().height) {
      return error("type mismatch", "values remain on the stack at the end of the block");
    }
    ControlFrame frame = std::move(controls_.back());
    controls_.pop_back();
    return frame;
  }

  void markUnreachable() {
    operands_.resize(controls_.back().height);
    controls_.back().unreachable = true;
  }

  Result<const ControlFrame*> label(int64_t depth) {
    if (depth < 0 || static_cast<uint64_t>(depth) >= controls_.size()) {
      return error("unknown label", absl::StrFormat("depth %d", depth));
    }
    return &controls_[controls_.size() - 1 - depth];
  }

  Result<FuncType> blockType(const BlockType& bt) {
    switch (bt.kind) {
      case BlockType::Kind::Empty:
        return FuncType{};
      case BlockType::Kind::Value:
        return FuncType{{}, {bt.value}};
      case BlockType::Kind::TypeIndex:
        if (bt.typeIndex >= module_.types.size()) {
          return error("unknown type", absl::StrFormat("type %d", bt.typeIndex));
        }
        return module_.types[bt.typeIndex];
    }
    return FuncType{};
  }

  Result<ValType> local(int64_t index) {
    if (index < 0 || static_cast<uint64_t>(index) >= locals_.size()) {
      return error("unknown local", absl::StrFormat("local %d", index));
    }
    return locals_[index];
  }

  // --- instructions --------------------------------------------------------------------

  Result<void> instr(const Instr& in) {
    const Signature& sig = kSignatures[opcodeIndex(in.op)];
    if (const int natural = kAccessLog2[opcodeIndex(in.op)]; natural >= 0) {
      MOREL_CHECK(memory());
      if (in.imm2 > static_cast<uint32_t>(natural)) {
        return error("alignment must not be larger than natural",
                     absl::StrFormat("2^%d for a %d-byte access", in.imm2, 1 << natural));
      }
    }
    if (const int lanes = kLaneCount[opcodeIndex(in.op)]; lanes > 0 && in.lane >= lanes) {
      return error("invalid lane index", absl::StrFormat("lane %d of %d", in.lane, lanes));
    }
    if (in.op == Opcode::I8x16Shuffle) {
      for (int i = 0; i < 16; ++i) {
        const uint64_t half = i < 8 ? static_cast<uint64_t>(in.imm) : in.immHi;
        if (((half >> (8 * (i % 8))) & 0xff) >= 32) return error("invalid lane index", "a shuffle lane of 32 or more");
      }
    }
    if (!sig.special) return simple(sig);
    switch (in.op) {
      case Opcode::Unreachable:
        markUnreachable();
        return {};
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If:
        return enterBlock(in);
      case Opcode::Else:
        return elseBranch();
      case Opcode::End:
        return end();
      case Opcode::Br:
        return br(in.imm);
      case Opcode::BrIf:
        return brIf(in.imm);
      case Opcode::BrTable:
        return brTable(function_.brTables[in.imm]);
      case Opcode::Return:
        return ret();
      case Opcode::Call:
        return call(in.imm);
      case Opcode::CallIndirect:
        return callIndirect(in);
      case Opcode::Drop:
        return drop();
      case Opcode::Select:
        return select();
      case Opcode::SelectT:
        return selectTyped(in);
      case Opcode::LocalGet:
      case Opcode::LocalSet:
      case Opcode::LocalTee:
        return localAccess(in);
      case Opcode::GlobalGet:
      case Opcode::GlobalSet:
        return globalAccess(in);
      case Opcode::MemorySize:
        MOREL_CHECK(memory());
        push(ValType::I32);
        return {};
      case Opcode::MemoryGrow:
        MOREL_CHECK(memory());
        MOREL_CHECK(pop(ValType::I32));
        push(ValType::I32);
        return {};
      case Opcode::MemoryInit:
        MOREL_CHECK(memory());
        MOREL_CHECK(dataSegment(in.imm));
        return popAll({ValType::I32, ValType::I32, ValType::I32});
      case Opcode::DataDrop:
        return dataSegment(in.imm);
      case Opcode::MemoryCopy:
      case Opcode::MemoryFill:
        MOREL_CHECK(memory());
        return popAll({ValType::I32, ValType::I32, ValType::I32});
      case Opcode::RefNull:
        push(static_cast<ValType>(in.imm));
        return {};
      case Opcode::RefIsNull: {
        MOREL_TRY(t, pop());
        if (t && !isReference(*t)) return error("type mismatch", absl::StrCat("ref.is_null of ", typeName(t)));
        push(ValType::I32);
        return {};
      }
      case Opcode::RefFunc:
        if (in.imm < 0 || static_cast<uint64_t>(in.imm) >= module_.functions.size()) {
          return error("unknown function", absl::StrFormat("function %d", in.imm));
        }
        if (!declared_.contains(static_cast<uint32_t>(in.imm))) {
          return error("undeclared function reference", absl::StrFormat("function %d", in.imm));
        }
        push(ValType::FuncRef);
        return {};
      case Opcode::TableGet:
      case Opcode::TableSet:
      case Opcode::TableSize:
      case Opcode::TableGrow:
      case Opcode::TableFill:
      case Opcode::TableCopy:
      case Opcode::TableInit:
      case Opcode::ElemDrop:
        return tableOp(in);
      default:
        return error("illegal opcode", opcodeName(in.op));
    }
  }

  Result<void> simple(const Signature& sig) {
    for (int i = sig.popCount - 1; i >= 0; --i) MOREL_CHECK(pop(sig.pops[i]));
    for (int i = 0; i < sig.pushCount; ++i) push(sig.pushes[i]);
    return {};
  }

  Result<void> enterBlock(const Instr& in) {
    // An implementation limit (the spec allows them): every tier recurses once
    // per nesting level on the host stack (interpreter, partial evaluation,
    // scheduling), so a module nested deeper is refused instead of crashing.
    if (controls_.size() >= kMaxControlNesting)
      return fail("control nesting too deep", in.offset, Diagnostic::Unit::Byte,
                  "Morel accepts at most 12000 nested blocks, loops and ifs");
    MOREL_TRY(type, blockType(in.block));
    if (in.op == Opcode::If) MOREL_CHECK(pop(ValType::I32));
    MOREL_CHECK(popAll(type.params));
    pushControl(in.op, std::move(type.params), std::move(type.results));
    return {};
  }

  Result<void> elseBranch() {
    if (controls_.back().op != Opcode::If) return error("type mismatch", "else without if");
    MOREL_TRY(frame, popControl());
    pushControl(Opcode::Else, std::move(frame.params), std::move(frame.results));
    return {};
  }

  Result<void> end() {
    MOREL_TRY(frame, popControl());
    // An if without else passes its params through the missing branch unchanged.
    if (frame.op == Opcode::If && frame.params != frame.results) {
      return error("type mismatch", "if without else must not change the stack");
    }
    if (!controls_.empty()) pushAll(frame.results);
    return {};
  }

  Result<void> br(int64_t depth) {
    MOREL_TRY(target, label(depth));
    MOREL_CHECK(popAll(target->labelTypes()));
    markUnreachable();
    return {};
  }

  Result<void> brIf(int64_t depth) {
    MOREL_TRY(target, label(depth));
    MOREL_CHECK(pop(ValType::I32));
    const std::vector<ValType> types = target->labelTypes();
    MOREL_CHECK(popAll(types));
    pushAll(types);
    return {};
  }

  // Every target takes the same number of values; each checks their types against what
  // is on the stack (a polymorphic stack may give each target its own types).
  Result<void> brTable(const std::vector<uint32_t>& labels) {
    MOREL_CHECK(pop(ValType::I32));
    MOREL_TRY(fallback, label(labels.back()));
    const std::size_t arity = fallback->labelTypes().size();
    for (uint32_t depth : labels) {
      MOREL_TRY(target, label(depth));
      if (target->labelTypes().size() != arity) {
        return error("type mismatch", "br_table targets take different numbers of values");
      }
      // Check without consuming: pop the types, then push back what was there (an
      // operand of unknown type stays unknown for the next target).
      const std::vector<ValType>& types = target->labelTypes();
      std::vector<Operand> popped(types.size());
      for (std::size_t i = types.size(); i-- > 0;) {
        MOREL_TRY(actual, pop(types[i]));
        popped[i] = actual;
      }
      for (Operand o : popped) push(o);
    }
    MOREL_CHECK(popAll(fallback->labelTypes()));
    markUnreachable();
    return {};
  }

  Result<void> ret() {
    MOREL_CHECK(popAll(type_.results));
    markUnreachable();
    return {};
  }

  Result<void> call(int64_t index) {
    if (index < 0 || static_cast<uint64_t>(index) >= module_.functions.size()) {
      return error("unknown function", absl::StrFormat("function %d", index));
    }
    const FuncType& callee = module_.typeOf(static_cast<uint32_t>(index));
    MOREL_CHECK(popAll(callee.params));
    pushAll(callee.results);
    return {};
  }

  Result<void> callIndirect(const Instr& in) {
    if (in.imm2 >= module_.tables.size()) {
      return error("unknown table", absl::StrFormat("table %d", in.imm2));
    }
    if (module_.tables[in.imm2].elemType != RefType::FuncRef) {
      return error("type mismatch", absl::StrFormat("call_indirect through table %d of externref", in.imm2));
    }
    if (static_cast<uint64_t>(in.imm) >= module_.types.size()) {
      return error("unknown type", absl::StrFormat("type %d", in.imm));
    }
    MOREL_CHECK(pop(ValType::I32));
    const FuncType& callee = module_.types[in.imm];
    MOREL_CHECK(popAll(callee.params));
    pushAll(callee.results);
    return {};
  }

  Result<const Table*> table(int64_t index) {
    if (index < 0 || static_cast<uint64_t>(index) >= module_.tables.size()) {
      return error("unknown table", absl::StrFormat("table %d", index));
    }
    return &module_.tables[index];
  }

  Result<const ElementSegment*> elementSegment(int64_t index) {
    if (index < 0 || static_cast<uint64_t>(index) >= module_.elements.size()) {
      return error("unknown elem segment", absl::StrFormat("element segment %d", index));
    }
    return &module_.elements[index];
  }

  Result<void> tableOp(const Instr& in) {
    const ValType i32 = ValType::I32;
    switch (in.op) {
      case Opcode::ElemDrop: {
        MOREL_TRY(segment, elementSegment(in.imm));
        (void)segment;
        return {};
      }
      case Opcode::TableInit: {
        MOREL_TRY(t, table(in.imm2));
        MOREL_TRY(segment, elementSegment(in.imm));
        if (segment->type != t->elemType) return error("type mismatch", "element segment and table types differ");
        return popAll({i32, i32, i32});
      }
      case Opcode::TableCopy: {
        MOREL_TRY(dst, table(in.imm));
        MOREL_TRY(src, table(in.imm2));
        if (dst->elemType != src->elemType) return error("type mismatch", "table types differ");
        return popAll({i32, i32, i32});
      }
      default:
        break;
    }
    MOREL_TRY(t, table(in.imm));
    const ValType elem = valTypeOf(t->elemType);
    switch (in.op) {
      case Opcode::TableGet:
        MOREL_CHECK(pop(i32));
        push(elem);
        return {};
      case Opcode::TableSet:
        return popAll({i32, elem});
      case Opcode::TableSize:
        push(i32);
        return {};
      case Opcode::TableGrow:
        MOREL_CHECK(popAll({elem, i32}));
        push(i32);
        return {};
      default:  // table.fill
        return popAll({i32, elem, i32});
    }
  }

  // Data segments are counted by the data count section (the decoder requires it here).
  Result<void> dataSegment(int64_t index) {
    if (index < 0 || static_cast<uint64_t>(index) >= module_.data.size()) {
      return error("unknown data segment", absl::StrFormat("data segment %d", index));
    }
    return {};
  }

  // select with its result type written: exactly one type.
  Result<void> selectTyped(const Instr& in) {
    if (in.imm != 1) return error("invalid result arity", absl::StrFormat("%d types", in.imm));
    MOREL_CHECK(pop(ValType::I32));
    MOREL_CHECK(pop(in.block.value));
    MOREL_CHECK(pop(in.block.value));
    push(in.block.value);
    return {};
  }

  Result<void> memory() {
    if (module_.memories.empty()) return error("unknown memory", "memory 0");
    return {};
  }

  Result<void> globalAccess(const Instr& in) {
    if (in.imm < 0 || static_cast<uint64_t>(in.imm) >= module_.globals.size()) {
      return error("unknown global", absl::StrFormat("global %d", in.imm));
    }
    const GlobalType& g = module_.globals[in.imm].type;
    if (in.op == Opcode::GlobalGet) {
      push(g.type);
      return {};
    }
    if (!g.isMutable) return error("global is immutable", absl::StrFormat("global %d", in.imm));
    MOREL_CHECK(pop(g.type));
    return {};
  }

  Result<void> drop() {
    MOREL_CHECK(pop());
    return {};
  }

  // Untyped select: both operands have the same numeric type (every type of the subset is).
  // Untyped select: numeric operands of one type (references need the typed form).
  Result<void> select() {
    MOREL_CHECK(pop(ValType::I32));
    MOREL_TRY(second, pop());
    MOREL_TRY(first, pop());
    if ((first && isReference(*first)) || (second && isReference(*second))) {
      return error("type mismatch", "select of references needs its result type");
    }
    if (first && second && *first != *second) {
      return error("type mismatch",
                   absl::StrCat("select of ", typeName(first), " and ", typeName(second)));
    }
    push(first ? first : second);
    return {};
  }

  Result<void> localAccess(const Instr& in) {
    MOREL_TRY(type, local(in.imm));
    if (in.op != Opcode::LocalGet) MOREL_CHECK(pop(type));
    if (in.op != Opcode::LocalSet) push(type);
    return {};
  }

  const Module& module_;
  const FuncType& type_;
  const Function& function_;
  const std::set<uint32_t>& declared_;
  std::vector<ValType> locals_;
  std::vector<Operand> operands_;
  std::vector<ControlFrame> controls_;
  std::size_t offset_;  // of the instruction being checked
};

Result<void> validateTypeIndices(const Module& module) {
  for (const Function& f : module.functions) {
    if (f.typeIndex >= module.types.size()) {
      return fail("unknown type", f.bodyOffset, Diagnostic::Unit::Byte,
                  absl::StrFormat("type %d", f.typeIndex));
    }
  }
  return {};
}

// Limits of a memory: at most 4 GiB, the minimum at most the maximum.
Result<void> validateMemories(const Module& module) {
  if (module.memories.size() > 1) {
    return fail("multiple memories", module.memories[1].offset, Diagnostic::Unit::Byte,
                "WebAssembly 2.0 allows one memory");
  }
  for (const Memory& m : module.memories) {
    if (m.limits.min > kMaxPages || m.limits.max.value_or(0) > kMaxPages) {
      return fail("memory size must be at most 65536 pages (4GiB)", m.offset);
    }
    if (m.limits.max && m.limits.min > *m.limits.max) {
      return fail("size minimum must not be greater than maximum", m.offset);
    }
  }
  return {};
}

Result<void> validateTables(const Module& module) {
  for (const Table& t : module.tables) {
    if (t.limits.max && t.limits.min > *t.limits.max) {
      return fail("size minimum must not be greater than maximum", t.offset);
    }
  }
  return {};
}

// A constant expression of type `type` (WebAssembly 2.0): one constant, or global.get of an
// imported immutable global. `what` names its owner in the detail ("global 3").
Result<void> validateConstExpr(const Module& module, const ConstExpr& e, ValType type,
                               const std::string& what) {
  auto mismatch = [&](std::size_t at, std::string detail) {
    return fail("type mismatch", at, Diagnostic::Unit::Byte, absl::StrCat(what, ": ", detail));
  };
  for (const Instr& in : e.instrs) {
    switch (in.op) {
      case Opcode::I32Const: case Opcode::I64Const: case Opcode::F32Const: case Opcode::F64Const:
      case Opcode::V128Const: case Opcode::RefNull:
        break;
      case Opcode::RefFunc:
        if (static_cast<uint64_t>(in.imm) >= module.functions.size()) {
          return fail("unknown function", in.offset, Diagnostic::Unit::Byte,
                      absl::StrFormat("%s: function %d", what, in.imm));
        }
        break;
      case Opcode::GlobalGet: {
        if (in.imm >= module.importedGlobalCount()) {
          return fail("unknown global", in.offset, Diagnostic::Unit::Byte,
                      absl::StrFormat("%s: only imported globals may initialize (global %d)", what, in.imm));
        }
        if (module.globals[in.imm].type.isMutable) {
          return fail("constant expression required", in.offset, Diagnostic::Unit::Byte,
                      absl::StrFormat("%s: global %d is mutable", what, in.imm));
        }
        break;
      }
      default:
        return fail("constant expression required", in.offset, Diagnostic::Unit::Byte,
                    absl::StrCat(what, ": ", opcodeName(in.op)));
    }
  }
  if (e.instrs.size() != 1) {
    return mismatch(e.endOffset, absl::StrFormat("%d values, expected one %s", e.instrs.size(), valTypeName(type)));
  }
  const Instr& in = e.instrs[0];
  ValType actual = ValType::I32;
  switch (in.op) {
    case Opcode::RefNull: actual = static_cast<ValType>(in.imm); break;
    case Opcode::RefFunc: actual = ValType::FuncRef; break;
    case Opcode::I64Const: actual = ValType::I64; break;
    case Opcode::F32Const: actual = ValType::F32; break;
    case Opcode::F64Const: actual = ValType::F64; break;
    case Opcode::V128Const: actual = ValType::V128; break;
    case Opcode::GlobalGet: actual = module.globals[in.imm].type.type; break;
    default: break;
  }
  if (actual != type) {
    return mismatch(in.offset, absl::StrCat("expected ", valTypeName(type), ", got ", valTypeName(actual)));
  }
  return {};
}

Result<void> validateGlobals(const Module& module) {
  for (std::size_t i = 0; i < module.globals.size(); ++i) {
    const Global& g = module.globals[i];
    if (g.imported) continue;
    MOREL_CHECK(validateConstExpr(module, g.init, g.type.type, absl::StrCat("global ", i)));
  }
  return {};
}

const char* refTypeName(RefType t) { return t == RefType::FuncRef ? "funcref" : "externref"; }

// An element: ref.func of a known function (a funcref) or ref.null of the segment's type.
Result<void> validateElement(const Module& module, const ElementSegment& seg, const ConstExpr& e,
                             const std::string& what) {
  for (const Instr& in : e.instrs) {
    const bool numeric = in.op == Opcode::I32Const || in.op == Opcode::I64Const || in.op == Opcode::F32Const ||
                         in.op == Opcode::F64Const;
    if (!numeric && in.op != Opcode::RefFunc && in.op != Opcode::RefNull && in.op != Opcode::GlobalGet) {
      return fail("constant expression required", in.offset, Diagnostic::Unit::Byte,
                  absl::StrCat(what, ": ", opcodeName(in.op)));
    }
    if (in.op == Opcode::RefFunc && static_cast<uint64_t>(in.imm) >= module.functions.size()) {
      return fail("unknown function", in.offset, Diagnostic::Unit::Byte, absl::StrFormat("%s: function %d", what, in.imm));
    }
    if (in.op == Opcode::GlobalGet && static_cast<uint64_t>(in.imm) >= module.importedGlobalCount()) {
      return fail("unknown global", in.offset, Diagnostic::Unit::Byte, absl::StrFormat("%s: global %d", what, in.imm));
    }
  }
  if (e.instrs.size() != 1) {
    return fail("type mismatch", e.endOffset, Diagnostic::Unit::Byte,
                absl::StrFormat("%s: %d values, expected one %s", what, e.instrs.size(), refTypeName(seg.type)));
  }
  const Instr& in = e.instrs[0];
  const bool matches = in.op == Opcode::RefFunc     ? seg.type == RefType::FuncRef
                       : in.op == Opcode::RefNull   ? static_cast<RefType>(in.imm) == seg.type
                       : in.op == Opcode::GlobalGet ? module.globals[in.imm].type.type == valTypeOf(seg.type) &&
                                                          !module.globals[in.imm].type.isMutable
                                                    : false;
  if (!matches) {
    return fail("type mismatch", in.offset, Diagnostic::Unit::Byte,
                absl::StrCat(what, ": expected ", refTypeName(seg.type)));
  }
  return {};
}

Result<void> validateSegments(const Module& module) {
  for (std::size_t i = 0; i < module.elements.size(); ++i) {
    const ElementSegment& seg = module.elements[i];
    const std::string what = absl::StrCat("element segment ", i);
    if (seg.mode == ElementSegment::Mode::Active) {
      if (seg.table >= module.tables.size()) {
        return fail("unknown table", seg.offset, Diagnostic::Unit::Byte, absl::StrFormat("table %d", seg.table));
      }
      MOREL_CHECK(validateConstExpr(module, seg.offsetExpr, ValType::I32, what));
      if (module.tables[seg.table].elemType != seg.type) {
        return fail("type mismatch", seg.offset, Diagnostic::Unit::Byte,
                    absl::StrFormat("%s of %s into a table of %s", what, refTypeName(seg.type),
                                    refTypeName(module.tables[seg.table].elemType)));
      }
    }
    for (const ConstExpr& e : seg.items) MOREL_CHECK(validateElement(module, seg, e, what));
  }
  for (std::size_t i = 0; i < module.data.size(); ++i) {
    const DataSegment& seg = module.data[i];
    if (!seg.active) continue;
    if (seg.memory >= module.memories.size()) {
      return fail("unknown memory", seg.offset, Diagnostic::Unit::Byte, absl::StrFormat("memory %d", seg.memory));
    }
    MOREL_CHECK(validateConstExpr(module, seg.offsetExpr, ValType::I32, absl::StrCat("data segment ", i)));
  }
  return {};
}

Result<void> validateStart(const Module& module) {
  if (!module.start) return {};
  if (*module.start >= module.functions.size()) {
    return fail("unknown function", module.startOffset, Diagnostic::Unit::Byte,
                absl::StrFormat("start function %d", *module.start));
  }
  const FuncType& t = module.typeOf(*module.start);
  if (!t.params.empty() || !t.results.empty()) {
    return fail("start function", module.startOffset, Diagnostic::Unit::Byte,
                "the start function must take and return nothing");
  }
  return {};
}

Result<void> validateExport(const Module& module, const Export& e) {
  auto unknown = [&](const char* category, std::size_t count) -> Result<void> {
    if (e.index < count) return {};
    return fail(category, e.offset, Diagnostic::Unit::Byte,
                absl::StrFormat("export \"%s\" of index %d", e.name, e.index));
  };
  switch (e.kind) {
    case ExternalKind::Func: return unknown("unknown function", module.functions.size());
    case ExternalKind::Table: return unknown("unknown table", module.tables.size());
    case ExternalKind::Memory: return unknown("unknown memory", module.memories.size());
    case ExternalKind::Global: return unknown("unknown global", module.globals.size());
  }
  return {};
}

Result<void> validateExports(const Module& module) {
  std::set<std::string_view> names;
  for (const Export& e : module.exports) {
    MOREL_CHECK(validateExport(module, e));
    if (!names.insert(e.name).second) {
      return fail("duplicate export name", e.offset, Diagnostic::Unit::Byte, e.name);
    }
  }
  return {};
}

}  // namespace

// C.refs: the functions ref.func may name in a body, those referenced elsewhere.
std::set<uint32_t> declaredFunctions(const Module& module) {
  std::set<uint32_t> refs;
  auto scan = [&](const ConstExpr& e) {
    for (const Instr& in : e.instrs)
      if (in.op == Opcode::RefFunc) refs.insert(static_cast<uint32_t>(in.imm));
  };
  for (const ElementSegment& seg : module.elements)
    for (const ConstExpr& e : seg.items) scan(e);
  for (const Global& g : module.globals) scan(g.init);
  for (const Export& e : module.exports)
    if (e.kind == ExternalKind::Func) refs.insert(e.index);
  return refs;
}

Result<void> validate(const Module& module) {
  MOREL_CHECK(validateTypeIndices(module));
  MOREL_CHECK(validateTables(module));
  MOREL_CHECK(validateMemories(module));
  MOREL_CHECK(validateGlobals(module));
  MOREL_CHECK(validateSegments(module));
  MOREL_CHECK(validateStart(module));
  const std::set<uint32_t> declared = declaredFunctions(module);
  for (const Function& f : module.functions)
    if (!f.imported) MOREL_CHECK(FunctionValidator(module, f, declared).run());
  return validateExports(module);
}

Result<Module> decodeAndValidate(std::span<const uint8_t> bytes) {
  MOREL_TRY(module, decode(bytes));
  MOREL_CHECK(validate(module));
  return module;
}

}  // namespace morel::wasm

#undef MOREL_TRY
#undef MOREL_CHECK

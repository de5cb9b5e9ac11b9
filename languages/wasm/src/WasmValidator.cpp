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
  std::array<ValType, 2> pops{};
  std::array<ValType, 1> pushes{};
};

// The .def's type letters: i = i32, l = i64, f = f32, d = f64.
constexpr ValType typeLetter(char c) {
  switch (c) {
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
  FunctionValidator(const Module& module, const Function& function)
      : module_(module),
        type_(module.types[function.typeIndex]),
        function_(function),
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

  Result<Operand> pop(ValType expected) {
    MOREL_TRY(actual, pop());
    if (actual && *actual != expected) {
      return error("type mismatch",
                   absl::StrCat("expected ", typeName(expected), ", got ", typeName(actual)));
    }
    return actual ? actual : Operand(expected);
  }

  Result<void> popAll(const std::vector<ValType>& types) {
    for (auto it = types.rbegin(); it != types.rend(); ++it) MOREL_CHECK(pop(*it));
    return {};
  }

  // --- control stack -------------------------------------------------------------------

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
      case Opcode::Return:
        return ret();
      case Opcode::Call:
        return call(in.imm);
      case Opcode::Drop:
        return drop();
      case Opcode::Select:
        return select();
      case Opcode::LocalGet:
      case Opcode::LocalSet:
      case Opcode::LocalTee:
        return localAccess(in);
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

  Result<void> drop() {
    MOREL_CHECK(pop());
    return {};
  }

  // Untyped select: both operands have the same numeric type (every type of the subset is).
  Result<void> select() {
    MOREL_CHECK(pop(ValType::I32));
    MOREL_TRY(second, pop());
    MOREL_TRY(first, pop());
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

Result<void> validateExport(const Module& module, const Export& e) {
  switch (e.kind) {
    case ExternalKind::Func:
      if (e.index < module.functions.size()) return {};
      return fail("unknown function", e.offset, Diagnostic::Unit::Byte,
                  absl::StrFormat("export \"%s\" of function %d", e.name, e.index));
    // The subset has no tables, memories or globals, so any index is out of range.
    case ExternalKind::Table:
      return fail("unknown table", e.offset);
    case ExternalKind::Memory:
      return fail("unknown memory", e.offset);
    case ExternalKind::Global:
      return fail("unknown global", e.offset);
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

Result<void> validate(const Module& module) {
  MOREL_CHECK(validateTypeIndices(module));
  for (const Function& f : module.functions) MOREL_CHECK(FunctionValidator(module, f).run());
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

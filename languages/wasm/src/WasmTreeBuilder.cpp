// Turns a validated function body into a node tree. The operand stack becomes
// frame slots above the locals; pure instructions stay pending as expression
// trees on an abstract stack and are materialized into their slots only before
// a statement (a side effect or control transfer), so each statement's tree
// keeps the evaluation order of the original stack code.
//
// Numeric instructions are built from the opcode table (WasmOpcodes.def): its
// node column names the node shape, its signature the C++ types.
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "morel/framework/ControlNodes.h"
#include "morel/framework/ValueTypes.h"
#include "morel/wasm/WasmInstance.h"
#include "morel/wasm/nodes/WasmCallIndirectNode.h"
#include "morel/wasm/nodes/WasmDivisionNodes.h"
#include "morel/wasm/nodes/WasmExpressionNodes.h"
#include "morel/wasm/nodes/WasmFloatOps.h"
#include "morel/wasm/nodes/WasmMemoryNodes.h"
#include "morel/wasm/nodes/WasmStatementNodes.h"
#include "morel/wasm/nodes/WasmVectorNodes.h"

namespace morel::wasm {

namespace {

/// The node shapes of the opcode table's last column.
namespace shape {
struct Special {};
struct Const {};
struct DivS {};
template <class O>
struct Pure {
  template <class To, class From>
  using Op = O;
};
template <template <class, class> class O>
struct Convert {
  template <class To, class From>
  using Op = O<To, From>;
};
template <class O>
struct CheckedDiv {
  using Op = O;
};
/// Memory shapes name the C++ type of the bytes in memory.
template <class S>
struct Memory {
  using Stored = S;
};
template <class S> struct Load : Memory<S> {};
template <class S> struct Store : Memory<S> {};
template <class S> struct VectorLoad : Memory<S> {};
template <class S> struct LoadLane : Memory<S> {};
template <class S> struct StoreLane : Memory<S> {};
struct Vector {};
struct Shuffle {};
/// Whether shape K is Of<S> for some S (kIs<K, Load>).
template <class K, template <class> class Of>
inline constexpr bool kIs = false;
template <class S, template <class> class Of>
inline constexpr bool kIs<Of<S>, Of> = true;
}  // namespace shape

/// A signature of the table reduced to what the builder needs: operand count,
/// the operands' type letters and the result type letter (0 when there is none).
struct Sig {
  int arity = 0;
  char operand = 0;
  char operand2 = 0;
  char operand3 = 0;
  char result = 0;
};
constexpr Sig sigOf(std::string_view text) {
  if (text == "*") return {};
  std::size_t colon = text.find(':');
  return {static_cast<int>(colon), colon > 0 ? text[0] : '\0', colon > 1 ? text[1] : '\0',
          colon > 2 ? text[2] : '\0', colon + 1 < text.size() ? text[colon + 1] : '\0'};
}

template <char kLetter>
struct Letter;
template <> struct Letter<'i'> { using type = int32_t; };
template <> struct Letter<'l'> { using type = int64_t; };
template <> struct Letter<'f'> { using type = float; };
template <> struct Letter<'d'> { using type = double; };
template <> struct Letter<'v'> { using type = V128; };
template <char kLetter>
using TypeOf = typename Letter<kLetter>::type;

template <class T>
constexpr ValType valTypeOf() {
  switch (valueTypeOf<T>()) {
    case ValueType::I32: return ValType::I32;
    case ValueType::I64: return ValType::I64;
    case ValueType::F32: return ValType::F32;
    case ValueType::F64: return ValType::F64;
    case ValueType::V128: return ValType::V128;
  }
  return ValType::I32;
}

/// Calls f(std::type_identity<T>{}) with the C++ type T of guest type t.
template <class F>
decltype(auto) withType(ValType t, F&& f) {
  switch (t) {
    case ValType::I64: return f(std::type_identity<int64_t>{});
    case ValType::F32: return f(std::type_identity<float>{});
    case ValType::F64: return f(std::type_identity<double>{});
    case ValType::V128: return f(std::type_identity<V128>{});
    case ValType::FuncRef:
    case ValType::ExternRef: return f(std::type_identity<int64_t>{});  // a reference is a 64-bit word
    case ValType::I32: break;
  }
  return f(std::type_identity<int32_t>{});
}
using BlockN = BlockNode<WasmStmt>;
using LoopN = LoopNode<WasmStmt>;
using IfN = IfNode<WasmStmt, WasmI32>;
using BreakN = BreakNode<WasmStmt>;
using BreakIfN = BreakIfNode<WasmStmt, WasmI32>;

struct StackEntry {
  ValType type;
  Node* pending;  // a WasmExpr of `type`, or nullptr once it lives in its slot
  uint32_t slot;  // its first frame slot (a v128 takes two)
};

struct ControlFrame {
  ControlFrame(Opcode k, uint32_t h, std::vector<ValType> p, std::vector<ValType> r, WasmI32* c)
      : kind(k), height(h), params(std::move(p)), results(std::move(r)), cond(c) {}

  Opcode kind;
  uint32_t height;  // operand-stack height at the label, below its parameters
  std::vector<ValType> params;
  std::vector<ValType> results;
  std::vector<WasmStmt*> stmts;
  std::vector<WasmStmt*> thenStmts;
  WasmI32* cond;
  bool sawElse = false;
  bool unreachable = false;
  const std::vector<ValType>& labelTypes() const { return kind == Opcode::Loop ? params : results; }
};

class TreeBuilder {
 public:
  TreeBuilder(WasmInstance& instance, uint32_t index, Arena& arena)
      : instance_(instance), m_(instance.module()), fn_(m_.functions[index]), type_(m_.typeOf(index)),
        arena_(arena) {
    localTypes_ = type_.params;
    localTypes_.insert(localTypes_.end(), fn_.locals.begin(), fn_.locals.end());
    for (ValType t : localTypes_) {
      localSlots_.push_back(stackBase_);
      stackBase_ += slotsOf(t);
    }
  }

  Result<void> build(WasmRootNode& root) {
    if (type_.params.size() > WasmCallNode::kMaxValues || type_.results.size() > WasmCallNode::kMaxValues)
      return fail("too many parameters or results", fn_.bodyOffset);
    ctrl_.emplace_back(Opcode::Block, 0, std::vector<ValType>{}, type_.results, nullptr);
    for (const Instr& in : fn_.body) {
      if (skipping(in)) continue;
      if (auto r = step(in); !r) return r;
      if (done_) break;
    }
    root.setBody(body_, maxSlots_);
    root.setInlineSize(static_cast<uint32_t>(fn_.body.size()));
    return {};
  }

 private:
  /// The first frame slot of the stack value at `height` (at the top: the next free one).
  uint32_t slot(uint32_t height) const {
    if (height < stack_.size()) return stack_[height].slot;
    return stack_.empty() ? stackBase_ : stack_.back().slot + slotsOf(stack_.back().type);
  }
  /// The slot of a label's i-th value (the label's values start at its height).
  uint32_t labelSlot(const ControlFrame& target, uint32_t i) const {
    uint32_t s = slot(target.height);
    for (uint32_t k = 0; k < i; ++k) s += slotsOf(target.labelTypes()[k]);
    return s;
  }
  /// The words the top `n` stack values take.
  uint32_t topWords(uint32_t n) const { return slot(height()) - slot(height() - n); }
  uint32_t height() const { return static_cast<uint32_t>(stack_.size()); }
  ControlFrame& top() { return ctrl_.back(); }
  void emit(WasmStmt* s) { top().stmts.push_back(s); }

  /// Code after an unconditional branch is never run: skip it up to its frame's else/end.
  bool skipping(const Instr& in) {
    if (!top().unreachable) return false;
    switch (in.op) {
      case Opcode::Block: case Opcode::Loop: case Opcode::If:
        ++skipDepth_;
        return true;
      case Opcode::Else:
        return skipDepth_ > 0;
      case Opcode::End:
        if (skipDepth_ == 0) return false;
        --skipDepth_;
        return true;
      default:
        return true;
    }
  }

  void push(ValType t, Node* expr) {
    uint32_t at = slot(height());
    stack_.push_back({t, expr, at});
    maxSlots_ = std::max(maxSlots_, at + slotsOf(t) - stackBase_);
  }

  template <class T>
  WasmExpr<T>* pop() {
    StackEntry e = stack_.back();
    stack_.pop_back();
    if (e.pending != nullptr) return static_cast<WasmExpr<T>*>(e.pending);
    return arena_.make<WasmLocalGetNode<T>>(e.slot);
  }

  /// Writes every pending stack value into its slot, oldest first.
  void flush() {
    for (uint32_t h = 0; h < stack_.size(); ++h) {
      StackEntry& e = stack_[h];
      if (e.pending == nullptr) continue;
      withType(e.type, [&]<class T>(std::type_identity<T>) {
        emit(arena_.make<WasmSetSlotNode<T>>(e.slot, static_cast<WasmExpr<T>*>(e.pending)));
      });
      e.pending = nullptr;
    }
  }

  void copySlot(ValType t, uint32_t from, uint32_t to) {
    if (from == to) return;
    withType(t, [&]<class T>(std::type_identity<T>) {
      emit(arena_.make<WasmSetSlotNode<T>>(to, arena_.make<WasmLocalGetNode<T>>(from)));
    });
  }

  /// Moves a branch's values from the stack top to the target label's slots.
  void copyBranchValues(const ControlFrame& target) {
    const auto& types = target.labelTypes();
    uint32_t n = static_cast<uint32_t>(types.size());
    for (uint32_t i = 0; i < n; ++i) copySlot(types[i], slot(height() - n + i), labelSlot(target, i));
  }

  void resetStack(uint32_t h, const std::vector<ValType>& types) {
    stack_.resize(h);
    for (ValType t : types) push(t, nullptr);
  }

  std::vector<ValType> blockParams(const BlockType& bt) const {
    return bt.kind == BlockType::Kind::TypeIndex ? m_.types[bt.typeIndex].params : std::vector<ValType>{};
  }
  std::vector<ValType> blockResults(const BlockType& bt) const {
    switch (bt.kind) {
      case BlockType::Kind::Empty: return {};
      case BlockType::Kind::Value: return {bt.value};
      case BlockType::Kind::TypeIndex: return m_.types[bt.typeIndex].results;
    }
    return {};
  }

  /// A vector instruction of signature S: its operands popped, its node pushed.
  template <Sig S>
  void vector(uint32_t op) {
    using R = TypeOf<S.result>;
    if constexpr (S.arity == 1) {
      auto* a = pop<TypeOf<S.operand>>();
      push(valTypeOf<R>(), arena_.make<WasmVectorNode<R, TypeOf<S.operand>>>(op, a));
    } else if constexpr (S.arity == 2) {
      auto* b = pop<TypeOf<S.operand2>>();
      auto* a = pop<TypeOf<S.operand>>();
      push(valTypeOf<R>(), arena_.make<WasmVectorNode<R, TypeOf<S.operand>, TypeOf<S.operand2>>>(op, a, b));
    } else {
      static_assert(S.arity == 3);
      auto* c = pop<TypeOf<S.operand3>>();
      auto* b = pop<TypeOf<S.operand2>>();
      auto* a = pop<TypeOf<S.operand>>();
      push(valTypeOf<R>(),
           arena_.make<WasmVectorNode<R, TypeOf<S.operand>, TypeOf<S.operand2>, TypeOf<S.operand3>>>(op, a, b, c));
    }
  }

  template <class T, class R, class Op>
  void binary() {
    auto* b = pop<T>();
    auto* a = pop<T>();
    push(valTypeOf<R>(), arena_.make<WasmBinaryNode<T, R, Op>>(a, b));
  }
  template <class T, class R, class Op>
  void unary() {
    auto* a = pop<T>();
    push(valTypeOf<R>(), arena_.make<WasmUnaryNode<T, R, Op>>(a));
  }
  template <class T, class Op>
  void checkedDiv() {
    auto* b = pop<T>();
    auto* a = pop<T>();
    push(valTypeOf<T>(), arena_.make<WasmCheckedDivNode<T, Op>>(a, b));
  }
  template <class T>
  void divS() {
    auto* b = pop<T>();
    auto* a = pop<T>();
    push(valTypeOf<T>(), arena_.make<WasmDivSNode<T>>(a, b));
  }
  template <class T>
  void setLocal(uint32_t index, bool tee) {
    auto* v = pop<T>();
    flush();
    emit(arena_.make<WasmSetSlotNode<T>>(localSlots_[index], v));
    if (tee) push(localTypes_[index], arena_.make<WasmLocalGetNode<T>>(localSlots_[index]));
  }
  template <class T>
  void select() {
    auto* c = pop<int32_t>();
    auto* b = pop<T>();
    auto* a = pop<T>();
    push(valTypeOf<T>(), arena_.make<WasmSelectNode<T>>(a, b, c));
  }

  void branch(uint32_t depth) {
    flush();
    copyBranchValues(ctrl_[ctrl_.size() - 1 - depth]);
    emit(arena_.make<BreakN>(depth));
    top().unreachable = true;
  }

  LinearMemory& memory() { return *instance_.memory(0)->memory; }

  /// A call statement: the top `argCount` stack values are its arguments (in their
  /// slots), the results replace them.
  Result<void> call(CallTarget& callee, std::size_t argCount, const std::vector<ValType>& results,
                    const Instr& in) {
    if (argCount > WasmCallNode::kMaxValues || results.size() > WasmCallNode::kMaxValues)
      return fail("too many parameters or results", in.offset);
    flush();
    auto n = static_cast<uint32_t>(argCount);
    uint32_t base = height() - n;
    // Arguments and results cross as words (a v128 is two).
    emit(arena_.make<WasmCallNode>(callee, slot(base), topWords(n), slot(base), slotsOf(results)));
    resetStack(base, results);
    return {};
  }

  /// call_indirect: an inline cache of the functions called (WasmCallIndirectNode)
  /// in front of the host function that checks the element and calls it.
  Result<void> callIndirect(const Instr& in) {
    const auto typeIndex = static_cast<uint32_t>(in.imm);
    const FuncType& t = m_.types[typeIndex];
    if (t.params.size() + 1 > WasmCallNode::kMaxValues ||
        t.results.size() > WasmCallNode::kMaxValues)
      return fail("too many parameters or results", in.offset);
    flush();
    const uint32_t base = height() - static_cast<uint32_t>(t.params.size() + 1);
    CallTarget& dispatch = instance_.indirectCall(in.imm2, typeIndex);
    emit(arena_.make<WasmCallIndirectNode>(*instance_.table(in.imm2), canonicalTypeId(t), dispatch,
                                           slot(base), slotsOf(t.params), slot(base),
                                           slotsOf(t.results)));
    resetStack(base, t.results);
    return {};
  }

  /// Statements that move the branch values to `target` and leave `extraLabels`
  /// more labels than the current frame's (those of enclosing ifs).
  std::vector<WasmStmt*> branchTo(uint32_t depth, uint32_t extraLabels) {
    std::vector<WasmStmt*> saved = std::move(top().stmts);
    top().stmts.clear();
    copyBranchValues(ctrl_[ctrl_.size() - 1 - depth]);
    emit(arena_.make<BreakN>(depth + extraLabels));
    std::vector<WasmStmt*> out = std::move(top().stmts);
    top().stmts = std::move(saved);
    return out;
  }

  /// br_table: the index goes to a slot above the stack; runs of equal targets
  /// become ranges, searched by a tree of unsigned compares (log n tests). When
  /// the runs are many and their targets few, the index is first looked up in a
  /// table of target ordinals and the tree searches the ordinals: a graph the
  /// size of the distinct targets, not of the table.
  static constexpr std::size_t kDirectTableRanges = 16;
  struct TableRange {
    uint32_t low;  // first index of the run
    uint32_t label;
  };
  void brTable(const std::vector<uint32_t>& labels) {
    WasmI32* index = pop<int32_t>();
    flush();
    const uint32_t indexSlot = slot(height());
    maxSlots_ = std::max(maxSlots_, indexSlot + 1 - stackBase_);
    emit(arena_.make<WasmSetSlotNode<int32_t>>(indexSlot, index));
    std::vector<TableRange> ranges;
    for (uint32_t i = 0; i < labels.size(); ++i)  // the default label covers n and above
      if (ranges.empty() || ranges.back().label != labels[i]) ranges.push_back({i, labels[i]});
    std::vector<uint32_t> targets;  // distinct labels, in order of first appearance
    absl::flat_hash_map<uint32_t, uint32_t> ordinalOf;
    for (const TableRange& r : ranges)
      if (ordinalOf.try_emplace(r.label, static_cast<uint32_t>(targets.size())).second) targets.push_back(r.label);
    if (ranges.size() > kDirectTableRanges && ranges.size() > 2 * targets.size()) {
      std::vector<uint32_t> ordinals(labels.size());
      for (std::size_t i = 0; i < labels.size(); ++i) ordinals[i] = ordinalOf.at(labels[i]);
      emit(arena_.make<WasmSetSlotNode<int32_t>>(
          indexSlot, arena_.make<WasmLookupConstantNode>(std::move(ordinals),
                                                         arena_.make<WasmLocalGetNode<int32_t>>(indexSlot))));
      ranges.clear();
      for (uint32_t k = 0; k < targets.size(); ++k) ranges.push_back({k, targets[k]});
    }
    for (WasmStmt* s : tableSearch(ranges, 0, ranges.size(), indexSlot, 0)) emit(s);
    top().unreachable = true;
  }
  std::vector<WasmStmt*> tableSearch(const std::vector<TableRange>& ranges, std::size_t begin, std::size_t end,
                                     uint32_t indexSlot, uint32_t extraLabels) {
    if (end - begin == 1) return branchTo(ranges[begin].label, extraLabels);
    std::size_t mid = begin + (end - begin) / 2;
    auto* below = arena_.make<WasmBinaryNode<int32_t, int32_t, ops::LtU>>(
        arena_.make<WasmLocalGetNode<int32_t>>(indexSlot),
        arena_.make<WasmConstNode<int32_t>>(static_cast<int32_t>(ranges[mid].low)));
    return {arena_.make<IfN>(below, tableSearch(ranges, begin, mid, indexSlot, extraLabels + 1),
                             tableSearch(ranges, mid, end, indexSlot, extraLabels + 1))};
  }

  void endFrame() {
    flush();
    ControlFrame f = std::move(ctrl_.back());
    ctrl_.pop_back();
    WasmStmt* node = nullptr;
    switch (f.kind) {
      case Opcode::Loop: node = arena_.make<LoopN>(std::move(f.stmts)); break;
      case Opcode::If:
        node = f.sawElse ? arena_.make<IfN>(f.cond, std::move(f.thenStmts), std::move(f.stmts))
                         : arena_.make<IfN>(f.cond, std::move(f.stmts), std::vector<WasmStmt*>{});
        break;
      default: node = arena_.make<BlockN>(std::move(f.stmts)); break;
    }
    if (ctrl_.empty()) {
      body_ = node;
      done_ = true;
      return;
    }
    resetStack(f.height, f.results);
    emit(node);
  }

  Result<void> step(const Instr& in) {
    switch (in.op) {
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) \
  case Opcode::Name:                                    \
    return build<shape::node, sigOf(sig)>(in);
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
    }
    return fail("illegal opcode", in.offset, Diagnostic::Unit::Byte, opcodeName(in.op));
  }

  /// Builds a table entry of shape Kind with signature S.
  template <class Kind, Sig S>
  Result<void> build(const Instr& in) {
    if constexpr (std::is_same_v<Kind, shape::Special>) {
      return special(in);
    } else if constexpr (std::is_same_v<Kind, shape::Const>) {
      using R = TypeOf<S.result>;
      if constexpr (std::is_same_v<R, V128>)
        push(ValType::V128, arena_.make<WasmConstNode<V128>>(V128{static_cast<uint64_t>(in.imm), in.immHi}));
      else
        push(valTypeOf<R>(), arena_.make<WasmConstNode<R>>(fromRaw<R>(static_cast<uint64_t>(in.imm))));
      return {};
    } else if constexpr (std::is_same_v<Kind, shape::Vector>) {
      vector<S>(vectorOpCode(static_cast<uint32_t>(in.op) & 0xff, in.lane));
      return {};
    } else if constexpr (std::is_same_v<Kind, shape::Shuffle>) {
      auto* b = pop<V128>();
      auto* a = pop<V128>();
      auto* lanes = arena_.make<WasmConstNode<V128>>(V128{static_cast<uint64_t>(in.imm), in.immHi});
      push(ValType::V128, arena_.make<WasmVectorNode<V128, V128, V128, V128>>(
                              vectorOpCode(static_cast<uint32_t>(in.op) & 0xff), a, b, lanes));
      return {};
    } else if constexpr (shape::kIs<Kind, shape::VectorLoad>) {  // a scalar load, then its vector operation
      using Stored = typename Kind::Stored;
      using Scalar = std::conditional_t<sizeof(Stored) == 8, int64_t, int32_t>;
      auto* address = pop<int32_t>();
      auto* load = arena_.make<WasmLoadNode<Stored, Scalar>>(memory(), address, static_cast<uint32_t>(in.imm));
      push(ValType::V128, arena_.make<WasmVectorNode<V128, Scalar>>(
                              vectorOpCode(static_cast<uint32_t>(in.op) & 0xff), load));
      return {};
    } else if constexpr (shape::kIs<Kind, shape::LoadLane>) {
      using Stored = typename Kind::Stored;
      using Scalar = std::conditional_t<sizeof(Stored) == 8, int64_t, int32_t>;
      auto* vector = pop<V128>();
      auto* address = pop<int32_t>();
      push(ValType::V128, arena_.make<WasmLoadLaneNode<Stored, Scalar>>(
                              vectorOpCode(static_cast<uint32_t>(in.op) & 0xff, in.lane), memory(), address,
                              vector, static_cast<uint32_t>(in.imm)));
      return {};
    } else if constexpr (shape::kIs<Kind, shape::StoreLane>) {  // the lane, then a scalar store
      using Stored = typename Kind::Stored;
      using Scalar = std::conditional_t<sizeof(Stored) == 8, int64_t, int32_t>;
      auto* vector = pop<V128>();
      auto* address = pop<int32_t>();
      flush();
      auto* lane = arena_.make<WasmVectorNode<Scalar, V128>>(
          vectorOpCode(static_cast<uint32_t>(in.op) & 0xff, in.lane), vector);
      emit(arena_.make<WasmStoreNode<Stored, Scalar>>(memory(), address, lane, static_cast<uint32_t>(in.imm)));
      return {};
    } else if constexpr (std::is_same_v<Kind, shape::DivS>) {
      divS<TypeOf<S.operand>>();
      return {};
    } else if constexpr (shape::kIs<Kind, shape::CheckedDiv>) {
      checkedDiv<TypeOf<S.operand>, typename Kind::Op>();
      return {};
    } else if constexpr (shape::kIs<Kind, shape::Load>) {
      using R = TypeOf<S.result>;
      auto* address = pop<int32_t>();
      push(valTypeOf<R>(), arena_.make<WasmLoadNode<typename Kind::Stored, R>>(
                               memory(), address, static_cast<uint32_t>(in.imm)));
      return {};
    } else if constexpr (shape::kIs<Kind, shape::Store>) {
      using T = TypeOf<S.operand2>;
      auto* value = pop<T>();
      auto* address = pop<int32_t>();
      flush();
      emit(arena_.make<WasmStoreNode<typename Kind::Stored, T>>(memory(), address, value,
                                                                static_cast<uint32_t>(in.imm)));
      return {};
    } else {  // Pure or Convert
      using T = TypeOf<S.operand>;
      using R = TypeOf<S.result>;
      using Op = typename Kind::template Op<R, T>;
      static_assert(S.arity == 1 || S.arity == 2);
      if constexpr (S.arity == 2) binary<T, R, Op>();
      else unary<T, R, Op>();
      return {};
    }
  }

  /// Control, parametric and local instructions (the table's Special entries).
  Result<void> special(const Instr& in) {
    switch (in.op) {
      case Opcode::Nop: return {};
      case Opcode::Unreachable:
        flush();
        emit(arena_.make<WasmUnreachableNode>());
        top().unreachable = true;
        return {};
      case Opcode::Block:
      case Opcode::Loop:
      case Opcode::If: {
        WasmI32* cond = in.op == Opcode::If ? pop<int32_t>() : nullptr;
        flush();
        auto params = blockParams(in.block);
        uint32_t base = height() - static_cast<uint32_t>(params.size());
        ctrl_.emplace_back(in.op, base, std::move(params), blockResults(in.block), cond);
        return {};
      }
      case Opcode::Else: {
        flush();
        ControlFrame& f = top();
        f.thenStmts = std::move(f.stmts);
        f.stmts.clear();
        f.sawElse = true;
        f.unreachable = false;
        resetStack(f.height, f.params);
        return {};
      }
      case Opcode::End: endFrame(); return {};
      case Opcode::Br: branch(static_cast<uint32_t>(in.imm)); return {};
      case Opcode::Return: branch(static_cast<uint32_t>(ctrl_.size() - 1)); return {};
      case Opcode::BrIf: {
        uint32_t depth = static_cast<uint32_t>(in.imm);
        WasmI32* cond = pop<int32_t>();
        flush();
        const ControlFrame& target = ctrl_[ctrl_.size() - 1 - depth];
        uint32_t n = static_cast<uint32_t>(target.labelTypes().size());
        if (n == 0 || target.height == height() - n) {
          emit(arena_.make<BreakIfN>(cond, depth));
          return {};
        }
        // Values must move only when the branch is taken: copy inside an if.
        emit(arena_.make<IfN>(cond, branchTo(depth, 1), std::vector<WasmStmt*>{}));
        return {};
      }
      case Opcode::Call: {
        const FuncType& t = m_.typeOf(static_cast<uint32_t>(in.imm));
        return call(instance_.function(static_cast<uint32_t>(in.imm)), t.params.size(), t.results, in);
      }
      case Opcode::CallIndirect:
        return callIndirect(in);
      case Opcode::BrTable: brTable(fn_.brTables[in.imm]); return {};
      case Opcode::GlobalGet: {
        const WasmGlobal& g = *instance_.global(static_cast<uint32_t>(in.imm));
        withType(g.type.type, [&]<class T>(std::type_identity<T>) {
          // An immutable global never changes: its value is a constant of the tree.
          if (!g.type.isMutable) push(valTypeOf<T>(), arena_.make<WasmConstNode<T>>(fromVector<T>(g.vector())));
          else push(valTypeOf<T>(), arena_.make<WasmGlobalGetNode<T>>(*g.cells, g.offset));
        });
        return {};
      }
      case Opcode::GlobalSet: {
        const WasmGlobal& g = *instance_.global(static_cast<uint32_t>(in.imm));
        withType(g.type.type, [&]<class T>(std::type_identity<T>) {
          auto* v = pop<T>();
          flush();
          emit(arena_.make<WasmGlobalSetNode<T>>(*g.cells, g.offset, v));
        });
        return {};
      }
      case Opcode::MemorySize:
        push(ValType::I32, arena_.make<WasmMemorySizeNode>(memory()));
        return {};
      case Opcode::MemoryGrow:  // a call of the memory's grow function: [delta] -> [old size or -1]
        return call(*instance_.memory(0)->grow, 1, {ValType::I32}, in);
      // Bulk memory operations are calls of the instance's host functions.
      case Opcode::MemoryCopy:
      case Opcode::MemoryFill:
        return call(instance_.bulkMemory(in.op), 3, {}, in);
      case Opcode::MemoryInit:
        return call(instance_.bulkMemory(in.op, static_cast<uint32_t>(in.imm)), 3, {}, in);
      case Opcode::DataDrop:
        return call(instance_.bulkMemory(in.op, static_cast<uint32_t>(in.imm)), 0, {}, in);
      case Opcode::RefNull:
        push(ValType::I64, arena_.make<WasmConstNode<int64_t>>(0));
        return {};
      case Opcode::RefIsNull: {
        auto* ref = pop<int64_t>();
        push(ValType::I32, arena_.make<WasmUnaryNode<int64_t, int32_t, ops::Eqz>>(ref));
        return {};
      }
      case Opcode::RefFunc:
        push(ValType::I64, arena_.make<WasmConstNode<int64_t>>(
                               static_cast<int64_t>(instance_.funcRef(static_cast<uint32_t>(in.imm)))));
        return {};
      // Table instructions are calls of the instance's host functions.
      case Opcode::TableGet:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), 0), 1, {ValType::I64}, in);
      case Opcode::TableSet:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), 0), 2, {}, in);
      case Opcode::TableSize:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), 0), 0, {ValType::I32}, in);
      case Opcode::TableGrow:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), 0), 2, {ValType::I32}, in);
      case Opcode::TableFill:
      case Opcode::TableCopy:
      case Opcode::TableInit:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), in.imm2), 3, {}, in);
      case Opcode::ElemDrop:
        return call(instance_.tableOp(in.op, static_cast<uint32_t>(in.imm), 0), 0, {}, in);
      case Opcode::SelectT:  // with its type written: the same as select
        withType(in.block.value, [&]<class T>(std::type_identity<T>) { select<T>(); });
        return {};
      case Opcode::Drop: {
        if (stack_.back().pending == nullptr) {
          stack_.pop_back();
          return {};
        }
        withType(stack_.back().type, [&]<class T>(std::type_identity<T>) {
          auto* v = pop<T>();
          flush();
          emit(arena_.make<WasmDropNode<T>>(v));
        });
        return {};
      }
      case Opcode::Select:
        withType(stack_[stack_.size() - 2].type, [&]<class T>(std::type_identity<T>) { select<T>(); });
        return {};
      case Opcode::LocalGet: {
        uint32_t i = static_cast<uint32_t>(in.imm);
        withType(localTypes_[i], [&]<class T>(std::type_identity<T>) {
          push(valTypeOf<T>(), arena_.make<WasmLocalGetNode<T>>(localSlots_[i]));
        });
        return {};
      }
      case Opcode::LocalSet:
      case Opcode::LocalTee: {
        uint32_t i = static_cast<uint32_t>(in.imm);
        bool tee = in.op == Opcode::LocalTee;
        withType(localTypes_[i], [&]<class T>(std::type_identity<T>) { setLocal<T>(i, tee); });
        return {};
      }
      default:
        return fail("illegal opcode", in.offset, Diagnostic::Unit::Byte, opcodeName(in.op));
    }
  }

  WasmInstance& instance_;
  const Module& m_;
  const Function& fn_;
  const FuncType& type_;
  Arena& arena_;
  std::vector<ValType> localTypes_;
  std::vector<uint32_t> localSlots_;  // each local's first frame slot
  uint32_t stackBase_ = 0;            // the operand stack's first slot, after the locals
  std::vector<StackEntry> stack_;
  std::vector<ControlFrame> ctrl_;
  uint32_t maxSlots_ = 0;             // the most operand-stack slots in use at once
  uint32_t skipDepth_ = 0;
  bool done_ = false;
  WasmStmt* body_ = nullptr;
};

}  // namespace

Result<void> buildFunctionTree(WasmInstance& instance, uint32_t index, Arena& arena, WasmRootNode& root) {
  return TreeBuilder(instance, index, arena).build(root);
}

}  // namespace morel::wasm

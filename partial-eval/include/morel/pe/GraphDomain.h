#pragma once
// The partial evaluator's execution domain. Node templates instantiated with
// it build a sea-of-nodes graph instead of computing: guest values are graph
// nodes, node fields (children, state, profiles) stay ordinary C++ values and
// so fold away. The frame is virtual: each slot holds the node of its current
// value, and merges of paths become Region/Loop nodes with Phis.
//
//   interpreter:  if (c) A else B          graph:  If(c) -> IfTrue: A, IfFalse: B
//                                                  Region(A, B) + Phi per slot
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/Frame.h"
#include "morel/framework/LinearMemory.h"
#include "morel/framework/Node.h"
#include "morel/framework/Osr.h"
#include "morel/framework/Profiles.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Trap.h"
#include "morel/framework/ValueTypes.h"
#include "morel/pe/Graph.h"

namespace morel::pe {

/// A graph value standing for a guest value of C++ type T (int32_t or int64_t).
template <class T>
struct GV {
  IrNode* node = nullptr;
};

/// The IR type of guest type T, from its value trait.
template <GuestValue T>
constexpr Type typeOf() {
  switch (valueTypeOf<T>()) {
    case ValueType::I32: return Type::I32;
    case ValueType::I64: return Type::I64;
    case ValueType::F32: return Type::F32;
    case ValueType::F64: return Type::F64;
    case ValueType::V128: return Type::V128;
  }
  return Type::None;
}

/// The signed integer type of a float's width, and its sign bit.
template <GuestFloat T>
using BitsOf = std::make_signed_t<typename ValueTraits<T>::Bits>;
template <GuestFloat T>
inline constexpr int64_t kSign =
    static_cast<BitsOf<T>>(typename ValueTraits<T>::Bits{1} << (sizeof(T) * 8 - 1));

struct GraphFrame {
  std::vector<IrNode*> slots;  // nullptr: no value on this path (never read)
};

class GraphDomain : public GraphDomainHandle {
 public:
  /// Compiled code turns a fault in a guarded memory's reservation into the
  /// out-of-bounds trap, so accesses there need no compare (MemoryAccess.h).
  static constexpr bool kGuardPagesTrap = true;
  using Frame = GraphFrame;
  template <class T>
  using V = GV<T>;
  using Label = std::size_t;
  struct Successor {};

  /// Builds the graph of `self`, a call target with `parameterCount` raw parameters.
  /// `inlining`: whether calls may be inlined (engine.Inlining still decides);
  /// `countDown`: the first tier's counter, counted at entry and loop headers.
  GraphDomain(Graph& graph, CallTarget& self, uint32_t parameterCount, bool inlining = true,
              TierUpCounter* countDown = nullptr);

  Graph& graph() { return g_; }
  CallTarget& self() { return self_; }

  // ---- root helpers (the language's root node uses these)
  GV<int64_t> parameter(uint32_t i);
  /// A virtual frame laid out by `descriptor`: Int32/Int64 slots hold a zero
  /// constant, Temporary slots no value yet.
  GraphFrame newFrame(const FrameDescriptor& descriptor);
  /// Ends the current path returning raw 64-bit results.
  void returnValues(std::span<const GV<int64_t>> results);
  /// Finishes the graph after the root has run.
  void finish();

  // ---- constants and frame slots
  GV<int32_t> i32(int32_t v) { return {g_.constant(Type::I32, v)}; }
  GV<int64_t> i64(int64_t v) { return {g_.constant(Type::I64, v)}; }
  GV<int32_t> loadI32(Frame& f, uint32_t slot) { return {convert(f.slots[slot], Type::I32)}; }
  GV<int64_t> loadI64(Frame& f, uint32_t slot) { return {convert(f.slots[slot], Type::I64)}; }
  void storeI32(Frame& f, uint32_t slot, GV<int32_t> v) { setSlot(f, slot, v.node); }
  void storeI64(Frame& f, uint32_t slot, GV<int64_t> v) { setSlot(f, slot, v.node); }
  /// The same, for a guest type T chosen by a node template (see ValueTraits).
  template <GuestValue T>
  GV<T> constant(T v) {
    if constexpr (GuestScalar<T>) return {g_.constant(typeOf<T>(), static_cast<int64_t>(toRaw(v)))};
    else return join(i64(static_cast<int64_t>(v.lo)), i64(static_cast<int64_t>(v.hi)));
  }
  /// A vector takes two slots: the first holds the vector (a V128 value, so merges
  /// make vector phis; as a word it reads as the low half), the second its high
  /// half (what frame states and calls see of it).
  template <class T>
  GV<T> load(Frame& f, uint32_t slot) {
    if constexpr (std::is_same_v<T, V128>) {
      IrNode* v = f.slots[slot];
      if (v != nullptr && v->type() == Type::V128) return {v};
      return join(loadI64(f, slot), loadI64(f, slot + 1));  // written as two words (arguments)
    } else {
      return {convert(f.slots[slot], typeOf<T>())};
    }
  }
  template <class T>
  void store(Frame& f, uint32_t slot, GV<T> v) {
    if constexpr (std::is_same_v<T, V128>) {
      setSlot(f, slot, v.node);
      setSlot(f, slot + 1, high(v).node);
    } else {
      setSlot(f, slot, v.node);
    }
  }

  // ---- vectors
  GV<V128> join(GV<int64_t> lo, GV<int64_t> hi) { return {g_.make(Op::V128Join, Type::V128, {lo.node, hi.node})}; }
  GV<int64_t> low(GV<V128> v) { return {g_.make(Op::V128Low, Type::I64, {v.node})}; }
  GV<int64_t> high(GV<V128> v) { return {g_.make(Op::V128High, Type::I64, {v.node})}; }
  /// One pure IR node; compiled code calls `fn` (the interpreter's meaning) for it.
  template <GuestValue R, GuestValue... A>
  GV<R> vector(VectorFn fn, uint32_t op, GV<A>... operands) {
    static_assert(sizeof...(A) <= 3);
    return {g_.make(Op::Vector, typeOf<R>(), {operands.node...}, op, reinterpret_cast<const void*>(fn))};
  }

  // ---- arithmetic: one IR node each, folded and value-numbered on creation.
  // Float operations get ops of their own (FAdd, ...), so integer rules never apply.
  template <class T> GV<T> add(GV<T> a, GV<T> b) { return bin<T>(GuestFloat<T> ? Op::FAdd : Op::Add, a, b); }
  template <class T> GV<T> sub(GV<T> a, GV<T> b) { return bin<T>(GuestFloat<T> ? Op::FSub : Op::Sub, a, b); }
  template <class T> GV<T> mul(GV<T> a, GV<T> b) { return bin<T>(GuestFloat<T> ? Op::FMul : Op::Mul, a, b); }
  template <class T>
  GV<T> neg(GV<T> a) {
    if constexpr (GuestFloat<T>) return flipSign(a);
    else return sub(GV<T>{g_.constant(typeOf<T>(), 0)}, a);
  }
  template <class T> GV<T> divS(GV<T> a, GV<T> b) { return pinned<T>(Op::DivS, a, b); }
  template <class T> GV<T> divU(GV<T> a, GV<T> b) { return pinned<T>(Op::DivU, a, b); }
  template <class T> GV<T> remS(GV<T> a, GV<T> b) { return pinned<T>(Op::RemS, a, b); }
  template <class T> GV<T> remU(GV<T> a, GV<T> b) { return pinned<T>(Op::RemU, a, b); }
  template <class T> GV<T> bitAnd(GV<T> a, GV<T> b) { return bin<T>(Op::And, a, b); }
  template <class T> GV<T> bitOr(GV<T> a, GV<T> b) { return bin<T>(Op::Or, a, b); }
  template <class T> GV<T> bitXor(GV<T> a, GV<T> b) { return bin<T>(Op::Xor, a, b); }
  template <class T> GV<T> shl(GV<T> a, GV<T> b) { return bin<T>(Op::Shl, a, b); }
  template <class T> GV<T> shrS(GV<T> a, GV<T> b) { return bin<T>(Op::ShrS, a, b); }
  template <class T> GV<T> shrU(GV<T> a, GV<T> b) { return bin<T>(Op::ShrU, a, b); }
  template <class T> GV<T> rotl(GV<T> a, GV<T> b) { return bin<T>(Op::Rotl, a, b); }
  template <class T> GV<T> rotr(GV<T> a, GV<T> b) { return bin<T>(Op::Rotr, a, b); }
  template <class T> GV<T> clz(GV<T> a) { return {g_.make(Op::Clz, typeOf<T>(), {a.node})}; }
  template <class T> GV<T> ctz(GV<T> a) { return {g_.make(Op::Ctz, typeOf<T>(), {a.node})}; }
  template <class T> GV<T> popcnt(GV<T> a) { return {g_.make(Op::Popcnt, typeOf<T>(), {a.node})}; }
  template <class T>
  GV<T> signExtend(GV<T> a, int bits) {
    return {g_.make(Op::SignExtend, typeOf<T>(), {a.node}, bits)};
  }

  template <class T> GV<int32_t> eq(GV<T> a, GV<T> b) { return cmp(GuestFloat<T> ? Op::FEq : Op::Eq, a.node, b.node); }
  template <class T> GV<int32_t> ne(GV<T> a, GV<T> b) { return cmp(GuestFloat<T> ? Op::FNe : Op::Ne, a.node, b.node); }
  template <class T> GV<int32_t> ltS(GV<T> a, GV<T> b) { return cmp(Op::LtS, a.node, b.node); }
  template <class T> GV<int32_t> ltU(GV<T> a, GV<T> b) { return cmp(Op::LtU, a.node, b.node); }
  template <class T> GV<int32_t> leS(GV<T> a, GV<T> b) { return cmp(Op::LeS, a.node, b.node); }
  template <class T> GV<int32_t> leU(GV<T> a, GV<T> b) { return cmp(Op::LeU, a.node, b.node); }
  template <class T> GV<int32_t> gtS(GV<T> a, GV<T> b) { return cmp(Op::GtS, a.node, b.node); }
  template <class T> GV<int32_t> gtU(GV<T> a, GV<T> b) { return cmp(Op::GtU, a.node, b.node); }
  template <class T> GV<int32_t> geS(GV<T> a, GV<T> b) { return cmp(Op::GeS, a.node, b.node); }
  template <class T> GV<int32_t> geU(GV<T> a, GV<T> b) { return cmp(Op::GeU, a.node, b.node); }
  template <class T> GV<int32_t> eqz(GV<T> a) { return {g_.make(Op::Eqz, Type::I32, {a.node})}; }
  GV<int32_t> both(GV<int32_t> a, GV<int32_t> b) { return bin<int32_t>(Op::And, a, b); }
  template <class T>
  GV<T> select(GV<int32_t> c, GV<T> a, GV<T> b) {
    if constexpr (std::is_same_v<T, V128>) return join(select(c, low(a), low(b)), select(c, high(a), high(b)));
    else return {g_.make(Op::Select, typeOf<T>(), {c.node, a.node, b.node})};
  }

  // ---- memory (raw accesses; MemoryAccess.h adds the bounds check)
  GV<int32_t> lookupConstant(std::span<const uint32_t> table, GV<int32_t> index) {
    return {g_.make(Op::LookupConstant, Type::I32, {index.node}, static_cast<int64_t>(table.size()), table.data())};
  }
  GV<int64_t> memSize(LinearMemory& m) {
    if (dead()) return i64(0);
    return {g_.make(Op::MemSize, Type::I64, {sizeAnchor(ctrl_)}, 0, &m)};
  }
  template <class Stored, GuestValue T>
  GV<T> loadMemory(LinearMemory& m, GV<int64_t> address) {
    if (dead()) return {g_.constant(typeOf<T>(), 0)};
    if constexpr (std::is_integral_v<Stored> && GuestInteger<T>) {
      if (IrNode* stored = forwardedStore(m, address.node, sizeof(Stored)))
        return loadedFrom<Stored, T>(stored);
    }
    IrNode* load = g_.make(Op::Load, Type::Tuple, {ctrl_, address.node},
                           accessCode<Stored>() | guarded(m), &m);
    ctrl_ = g_.make(Op::Proj, Type::Control, {load}, 0);
    return {g_.make(Op::Proj, typeOf<T>(), {load}, 1)};
  }
  template <class Stored, GuestValue T>
  void storeMemory(LinearMemory& m, GV<int64_t> address, GV<T> value) {
    if (dead()) return;
    ctrl_ = g_.make(Op::Store, Type::Control, {ctrl_, address.node, value.node},
                    accessCode<Stored>() | guarded(m), &m);
  }
  template <GuestInteger T>
  GV<T> byteSwap(GV<T> a) { return un<T>(Op::ByteSwap, a); }
  /// What a load of `Stored` into T reads from a stored integer `value`: its low
  /// sizeof(Stored) bytes, extended as Stored's signedness says.
  template <class Stored, GuestInteger T>
  GV<T> loadedFrom(IrNode* value) {
    IrNode* v = value;
    if (typeOf<T>() == Type::I32 && v->type() == Type::I64) v = g_.make(Op::Wrap, Type::I32, {v});
    if (typeOf<T>() == Type::I64 && v->type() == Type::I32) {
      // A 4-byte store of an i32 read back as an i64: extended as the load says.
      return {g_.make(std::is_signed_v<Stored> ? Op::ExtendS : Op::ExtendU, Type::I64, {v})};
    }
    constexpr int bits = 8 * sizeof(Stored);
    if constexpr (bits < 8 * sizeof(T)) {
      if constexpr (std::is_signed_v<Stored>) return signExtend(GV<T>{v}, bits);
      return bitAnd(GV<T>{v}, constant<T>(static_cast<T>((uint64_t{1} << bits) - 1)));
    }
    return {v};
  }
  /// An access to a guarded memory may fault: the backend registers it for the
  /// fault handler, whose trap unwinds like a TrapExit (see IrOps.def).
  static int64_t guarded(const LinearMemory& m) {
    return m.guard() == MemoryGuard::Below2To34 ? kGuardedAccess : 0;
  }
  /// bytes | signed << 5 | float << 6 (see IrOps.def); a V128 is 16 bytes, one access.
  template <class Stored>
  static constexpr int64_t accessCode() {
    return static_cast<int64_t>(sizeof(Stored)) | (std::is_signed_v<Stored> ? 32 : 0) |
           (std::is_floating_point_v<Stored> ? 64 : 0);
  }

  // ---- floating point
  template <GuestFloat T> GV<T> div(GV<T> a, GV<T> b) { return bin<T>(Op::FDiv, a, b); }
  template <GuestFloat T> GV<T> min(GV<T> a, GV<T> b) { return bin<T>(Op::FMin, a, b); }
  template <GuestFloat T> GV<T> max(GV<T> a, GV<T> b) { return bin<T>(Op::FMax, a, b); }
  template <GuestFloat T> GV<T> sqrt(GV<T> a) { return un<T>(Op::FSqrt, a); }
  template <GuestFloat T> GV<T> ceil(GV<T> a) { return un<T>(Op::FCeil, a); }
  template <GuestFloat T> GV<T> floor(GV<T> a) { return un<T>(Op::FFloor, a); }
  template <GuestFloat T> GV<T> trunc(GV<T> a) { return un<T>(Op::FTrunc, a); }
  template <GuestFloat T> GV<T> nearest(GV<T> a) { return un<T>(Op::FNearest, a); }
  /// Sign operations are bit operations on the pattern, as the interpreter's.
  template <GuestFloat T>
  GV<T> abs(GV<T> a) {
    return fromBits<T>(bitAnd(bits(a), GV<BitsOf<T>>{g_.constant(typeOf<BitsOf<T>>(), ~kSign<T>)}));
  }
  template <GuestFloat T>
  GV<T> copysign(GV<T> a, GV<T> b) {
    auto mask = GV<BitsOf<T>>{g_.constant(typeOf<BitsOf<T>>(), kSign<T>)};
    auto rest = GV<BitsOf<T>>{g_.constant(typeOf<BitsOf<T>>(), ~kSign<T>)};
    return fromBits<T>(bitOr(bitAnd(bits(a), rest), bitAnd(bits(b), mask)));
  }
  template <GuestFloat T> GV<int32_t> lt(GV<T> a, GV<T> b) { return cmp(Op::FLt, a.node, b.node); }
  template <GuestFloat T> GV<int32_t> gt(GV<T> a, GV<T> b) { return cmp(Op::FGt, a.node, b.node); }
  template <GuestFloat T> GV<int32_t> le(GV<T> a, GV<T> b) { return cmp(Op::FLe, a.node, b.node); }
  template <GuestFloat T> GV<int32_t> ge(GV<T> a, GV<T> b) { return cmp(Op::FGe, a.node, b.node); }
  template <GuestFloat To, GuestInteger From>
  GV<To> convertS(GV<From> a) { return {g_.make(Op::ConvertS, typeOf<To>(), {a.node})}; }
  template <GuestFloat To, GuestInteger From>
  GV<To> convertU(GV<From> a) { return {g_.make(Op::ConvertU, typeOf<To>(), {a.node})}; }
  template <GuestInteger To, GuestFloat From>
  GV<To> truncS(GV<From> a) { return {g_.make(Op::TruncS, typeOf<To>(), {a.node})}; }
  template <GuestInteger To, GuestFloat From>
  GV<To> truncU(GV<From> a) { return {g_.make(Op::TruncU, typeOf<To>(), {a.node})}; }
  GV<double> promote(GV<float> a) { return {g_.make(Op::Promote, Type::F64, {a.node})}; }
  GV<float> demote(GV<double> a) { return {g_.make(Op::Demote, Type::F32, {a.node})}; }
  template <GuestFloat T>
  GV<BitsOf<T>> bits(GV<T> a) { return {g_.make(Op::Bits, typeOf<BitsOf<T>>(), {a.node})}; }
  template <GuestFloat T, GuestInteger I>
  GV<T> fromBits(GV<I> a) { return {g_.make(Op::FromBits, typeOf<T>(), {a.node})}; }

  GV<int32_t> wrap(GV<int64_t> a) { return {g_.make(Op::Wrap, Type::I32, {a.node})}; }
  GV<int64_t> extendS(GV<int32_t> a) { return {g_.make(Op::ExtendS, Type::I64, {a.node})}; }
  GV<int64_t> extendU(GV<int32_t> a) { return {g_.make(Op::ExtendU, Type::I64, {a.node})}; }

  // ---- traps and speculation
  void trapIf(GV<int32_t> cond, const TrapKind& kind);
  void trap(const TrapKind& kind);
  /// Emits a deoptimizing guard on `cond` and continues where it is false;
  /// returns false, so the node's re-specialization code never runs here.
  bool unlikely(GV<int32_t> cond);

  // ---- statements: each start is a frame state that deopt exits resume at
  void beginStatement(const Node* statement, const Frame& f) {
    // The frame at the statement's start is what a deopt exit inside it hands the
    // interpreter. It is copied only if the statement has such an exit: until
    // then slot writes are logged, and the copy undoes them (O(slots) per
    // statement with a guard, not per statement).
    resumeAt_ = statement;
    statementFrame_ = &f;
    undo_.clear();
    snapshotTaken_ = false;
    if (stressDeopt_) stressTick();
  }
  /// Only the interpreter resumes activations.
  /// Only the interpreter resumes activations; the graph domain "resumes" once,
  /// for an OSR compilation that enters a dispatcher at a loop-header block.
  bool resuming() const { return osrEntry_ != nullptr; }
  bool resumeInto(const Node* node) {
    if (node != osrEntry_) return false;
    osrEntry_ = nullptr;
    return true;
  }
  bool resumesWithin(const Node* node) const { return node == osrEntry_; }
  /// Enters the next dispatcher at the block `entry` (OSR into an unstructured loop).
  void enterAtBlock(const Node* entry) { osrEntry_ = entry; }

  // ---- structured control
  bool dead() const { return ctrl_ == nullptr; }
  Label enterLabel();
  void exitLabel(Label label, Frame& f);
  void br(uint32_t depth, Frame& f);
  template <class Body>
  void loop(Frame& f, LoopProfile&, Body body, OsrPoint* = nullptr) {
    if (dead()) return;
    Label label = beginLoop(f);
    body();
    endLoop(label, f);
  }
  template <class Then, class Else>
  void ifElse(GV<int32_t> cond, BranchProfile& profile, Frame& f, Then thenBody, Else elseBody);

  // ---- unstructured control (basic-block dispatch, exploded)
  /// `entry` is always 0 here (only a resumed interpreter enters elsewhere).
  template <class RunBlock, class OsrAt = std::nullptr_t>
  void dispatch(Frame& f, uint32_t entry, const std::vector<uint32_t>& order,
                const std::vector<bool>& loopHeaders, RunBlock runBlock, OsrAt = nullptr);
  Successor jump(uint32_t block, Frame& f);
  Successor branch(GV<int32_t> cond, BranchProfile& profile, uint32_t taken, uint32_t fallthrough,
                   Frame& f);
  Successor leave(Frame& f);

  // ---- calls
  void call(CallTarget& callee, std::span<const GV<int64_t>> args, std::span<GV<int64_t>> results);

  // ---- statistics for traces and tests
  uint32_t deoptGuards() const { return deoptGuards_; }
  uint32_t inlinedCalls() const { return inlinedCalls_; }
  /// The roots inlined so far and their specialization versions as read.
  const std::vector<std::pair<RootNode*, uint64_t>>& inlinedVersions() const { return inlinedVersions_; }
  /// The frame-state chains the graph's Deopt exits refer to (their owner moves them
  /// into the compiled code).
  std::vector<std::unique_ptr<DeoptChain>> takeDeoptChains() { return std::move(deoptChains_); }

 private:
  struct State {
    IrNode* ctrl;
    std::vector<IrNode*> slots;
  };
  struct LabelInfo {
    bool isLoop = false;
    std::vector<State> pending;  // branches to this label
    IrNode* loopNode = nullptr;   // for loops: the Loop and its phis
    std::vector<IrNode*> phis;
  };
  /// An inlined call being partially evaluated: the callee's parameters and the
  /// paths that returned, and the caller's statement state, set aside.
  struct InlinedCall {
    CallTarget* target;
    std::vector<IrNode*> params;
    std::vector<State> returns;  // slots: the results
    uint32_t resultCount;
    const Node* callerResumeAt;
    const Frame* callerStatementFrame;
    std::vector<std::pair<uint32_t, IrNode*>> callerUndo;
    bool callerSnapshotTaken;
    std::vector<IrNode*> callerResumeSlots;  // the caller's frame at its call statement
    const Node* callerOsrEntry;
  };
  struct DispatchInfo {
    std::size_t current = 0;              // position in the block order
    std::vector<std::size_t> position;    // per block index
    std::vector<std::vector<State>> pending;  // per block index, forward entries
    std::vector<LabelInfo> loops;             // per block index, when it is a loop header
    Label exitLabel = 0;
  };

  template <class T>
  GV<T> bin(Op op, GV<T> a, GV<T> b) {
    return {g_.make(op, typeOf<T>(), {a.node, b.node})};
  }
  template <class T>
  GV<T> un(Op op, GV<T> a) {
    return {g_.make(op, typeOf<T>(), {a.node})};
  }
  template <GuestFloat T>
  GV<T> flipSign(GV<T> a) {
    return fromBits<T>(bitXor(bits(a), GV<BitsOf<T>>{g_.constant(typeOf<BitsOf<T>>(), kSign<T>)}));
  }
  template <class T>
  GV<T> pinned(Op op, GV<T> a, GV<T> b) {
    return {g_.make(op, typeOf<T>(), {ctrl_, a.node, b.node})};
  }
  GV<int32_t> cmp(Op op, IrNode* a, IrNode* b) { return {g_.make(op, Type::I32, {a, b})}; }

  IrNode* convert(IrNode* n, Type to);
  /// Splits on cond: returns {true-projection, false-projection}; nullptr for a side
  /// that a constant condition rules out.
  std::pair<IrNode*, IrNode*> split(IrNode* cond);
  /// split(), then a side the interpreter never took becomes a deopt exit
  /// (Truffle's branch profile) and is returned as nullptr.
  std::pair<IrNode*, IrNode*> splitProfiled(IrNode* cond, const BranchProfile& profile);
  void deoptExit(IrNode* ctrl);
  /// Whether `callee` is inlined at this call (engine.Inlining's budget, no recursion).
  bool shouldInline(CallTarget& callee);
  void inlineCall(CallTarget& callee, std::span<const GV<int64_t>> args, std::span<GV<int64_t>> results);
  /// The open inlined calls: an exit made now gives their frames back.
  int64_t inlineDepth() const { return static_cast<int64_t>(inlines_.size()); }
  void addExit(IrNode* exit);
  /// Leaves with the pending interrupt status, if any (a loop header's poll).
  void pollInterrupt();
  void countDownToLastTier();
  /// engine.StressDeopt: a guard at this statement boundary that fails on schedule.
  void stressTick();
  void mergeInto(const std::vector<State>& states, Frame& f);
  Label beginLoop(Frame& f);
  void endLoop(Label label, Frame& f);
  void addBackEdge(LabelInfo& loop, IrNode* ctrl, const std::vector<IrNode*>& slots);

  Graph& g_;
  CallTarget& self_;
  std::vector<IrNode*> params_;
  IrNode* ctrl_;
  /// Writes a frame slot, logging the old value for the current statement's snapshot.
  void setSlot(Frame& f, uint32_t slot, IrNode* v) {
    if (&f == statementFrame_ && !snapshotTaken_) undo_.push_back({slot, f.slots[slot]});
    f.slots[slot] = v;
  }
  /// The frame at the start of resumeAt_ (see beginStatement).
  const std::vector<IrNode*>& resumeSlots();
  /// The control a MemSize at `ctrl` may read at: the last call, merge or start
  /// before it. Only a call (memory.grow is a host function) changes a memory's
  /// size; loads, stores and the checks' branches do not, so every access between
  /// two calls shares one MemSize (value numbering merges them).
  IrNode* sizeAnchor(IrNode* ctrl);
  /// The value the last store to [address, address + bytes) of `m` wrote, when a
  /// short walk back along the control chain (loads, checks' branches, stores to
  /// provably other bytes) reaches a store of the same width at the same address
  /// node; nullptr otherwise. Calls, merges and other stores end the walk.
  IrNode* forwardedStore(const LinearMemory& m, IrNode* address, std::size_t bytes);

  const Node* resumeAt_;              // the innermost statement begun so far
  const Frame* statementFrame_ = nullptr;
  std::vector<std::pair<uint32_t, IrNode*>> undo_;  // slot writes since it began
  bool snapshotTaken_ = false;
  std::vector<IrNode*> resumeSlots_;  // the frame at its start, once taken
  absl::flat_hash_map<IrNode*, IrNode*> sizeAnchors_;  // sizeAnchor's answers
  std::vector<LabelInfo> labels_;
  std::vector<DispatchInfo*> dispatches_;
  uint32_t deoptGuards_ = 0;
  bool stressDeopt_ = false;
  bool inlining_ = true;
  TierUpCounter* countDown_ = nullptr;
  const Node* osrEntry_ = nullptr;
  int64_t stressTicks_ = 0;
  std::vector<InlinedCall> inlines_;
  std::vector<std::pair<RootNode*, uint64_t>> inlinedVersions_;
  std::vector<std::unique_ptr<DeoptChain>> deoptChains_;
  uint32_t inlinedCalls_ = 0;
};

template <class Then, class Else>
void GraphDomain::ifElse(GV<int32_t> cond, BranchProfile& profile, Frame& f, Then thenBody,
                         Else elseBody) {
  if (dead()) return;
  auto [t, e] = splitProfiled(cond.node, profile);
  std::vector<State> out;
  std::vector<IrNode*> before = f.slots;
  if (t != nullptr) {
    ctrl_ = t;
    thenBody();
    if (!dead()) out.push_back({ctrl_, f.slots});
  }
  if (e != nullptr) {
    ctrl_ = e;
    f.slots = before;
    elseBody();
    if (!dead()) out.push_back({ctrl_, f.slots});
  }
  mergeInto(out, f);
}

template <class RunBlock, class OsrAt>
void GraphDomain::dispatch(Frame& f, uint32_t entry, const std::vector<uint32_t>& order,
                           const std::vector<bool>& loopHeaders, RunBlock runBlock, OsrAt) {
  if (dead()) return;
  std::size_t blockCount = loopHeaders.size();
  DispatchInfo info;
  info.pending.resize(blockCount);
  info.loops.resize(blockCount);
  info.position.assign(blockCount, blockCount);
  for (std::size_t i = 0; i < order.size(); ++i) info.position[order[i]] = i;
  info.exitLabel = enterLabel();
  // Block 0, or the loop header an OSR compilation enters at: blocks before it
  // in the order are only reached through back-edges, which deoptimize.
  info.pending[entry].push_back({ctrl_, f.slots});
  ctrl_ = nullptr;
  dispatches_.push_back(&info);
  // Reverse post-order: every forward entry of a block is known when it starts.
  for (std::size_t i = 0; i < order.size(); ++i) {
    uint32_t b = order[i];
    if (info.pending[b].empty()) continue;
    info.current = i;
    mergeInto(info.pending[b], f);
    info.pending[b].clear();
    if (loopHeaders[b]) {
      info.loops[b].isLoop = true;
      Label l = beginLoop(f);
      info.loops[b].loopNode = labels_[l].loopNode;
      info.loops[b].phis = labels_[l].phis;
      labels_.pop_back();
    }
    runBlock(b);
    ctrl_ = nullptr;
  }
  dispatches_.pop_back();
  exitLabel(info.exitLabel, f);
}

}  // namespace morel::pe

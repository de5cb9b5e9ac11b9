#pragma once
// The interpreter's execution domain: guest values are C++ integers and guest
// control flow is C++ control flow. Node templates instantiated with this
// domain are the interpreter; the same templates instantiated with the graph
// domain (partial-eval) are the compiler's front end.
//
// Structured control: a break to label `depth` sets `unwind_` to depth + 1;
// every label exit decrements it, so the path is "dead" until the target label
// is reached. A loop label that receives unwind_ == 1 starts its next iteration.
#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "morel/framework/CallTarget.h"
#include "morel/framework/Frame.h"
#include "morel/framework/LinearMemory.h"
#include "morel/framework/Node.h"
#include "morel/framework/Osr.h"
#include "morel/framework/Profiles.h"
#include "morel/framework/Trap.h"
#include "morel/framework/ValueTypes.h"

namespace morel {

class InterpDomain {
 public:
  /// Every access compares its address (MemoryAccess.h): no guard-page traps here.
  static constexpr bool kGuardPagesTrap = false;
  using Frame = InterpFrame;
  template <class T>
  using V = T;
  using Label = int;
  using Successor = int32_t;

  explicit InterpDomain(CallTarget& target) : target_(target) {}

  // ---- constants and frame slots
  int32_t i32(int32_t v) const { return v; }
  int64_t i64(int64_t v) const { return v; }
  int32_t loadI32(Frame& f, uint32_t slot) const { return static_cast<int32_t>(f.slots[slot]); }
  int64_t loadI64(Frame& f, uint32_t slot) const { return f.slots[slot]; }
  void storeI32(Frame& f, uint32_t slot, int32_t v) const {
    f.slots[slot] = static_cast<int64_t>(static_cast<uint32_t>(v));
  }
  void storeI64(Frame& f, uint32_t slot, int64_t v) const { f.slots[slot] = v; }
  /// The same, for a guest type T chosen by a node template (ValueTraits names
  /// the types): slots hold raw 64-bit words (see ValueTypes.h).
  template <GuestValue T>
  T constant(T v) const { return v; }
  template <GuestValue T>
  T load(Frame& f, uint32_t slot) const {
    if constexpr (GuestScalar<T>) return fromRaw<T>(static_cast<uint64_t>(f.slots[slot]));
    else return V128{static_cast<uint64_t>(f.slots[slot]), static_cast<uint64_t>(f.slots[slot + 1])};
  }
  template <GuestValue T>
  void store(Frame& f, uint32_t slot, T v) const {
    if constexpr (GuestScalar<T>) {
      f.slots[slot] = static_cast<int64_t>(toRaw(v));
    } else {
      f.slots[slot] = static_cast<int64_t>(v.lo);
      f.slots[slot + 1] = static_cast<int64_t>(v.hi);
    }
  }

  // ---- vectors: the language's operation function computes the lanes
  template <GuestValue R, GuestValue... A>
  static R vector(VectorFn fn, uint32_t op, A... operands) {
    static_assert(sizeof...(A) <= 3);
    V128 in[3] = {};
    std::size_t i = 0;
    ((in[i++] = toVector(operands)), ...);
    V128 out;
    fn(op, in, &out);
    return fromVector<R>(out);
  }

  // ---- arithmetic: integers wrap like the hardware, floats are IEEE 754
  template <GuestValue T>
  static T add(T a, T b) {
    if constexpr (GuestFloat<T>) return propagateNaN(a, b, [](T x, T y) { return x + y; });
    else return static_cast<T>(U<T>(a) + U<T>(b));
  }
  template <GuestValue T>
  static T sub(T a, T b) {
    if constexpr (GuestFloat<T>) return propagateNaN(a, b, [](T x, T y) { return x - y; });
    else return static_cast<T>(U<T>(a) - U<T>(b));
  }
  template <GuestValue T>
  static T mul(T a, T b) {
    if constexpr (GuestFloat<T>) return propagateNaN(a, b, [](T x, T y) { return x * y; });
    else return static_cast<T>(U<T>(a) * U<T>(b));
  }
  /// Integers: 0 - a. Floats: the sign bit flipped (NaN payloads kept).
  template <GuestValue T>
  static T neg(T a) {
    if constexpr (GuestFloat<T>) return fromBits<T>(bits(a) ^ kSignBit<T>);
    else return static_cast<T>(U<T>(0) - U<T>(a));
  }
  /// Division preconditions (non-zero divisor, no MIN / -1) are the node's job.
  template <class T>
  static T divS(T a, T b) { return a / b; }
  template <class T>
  static T divU(T a, T b) { return static_cast<T>(U<T>(a) / U<T>(b)); }
  template <class T>
  static T remS(T a, T b) { return b == -1 ? 0 : a % b; }
  template <class T>
  static T remU(T a, T b) { return static_cast<T>(U<T>(a) % U<T>(b)); }
  template <class T>
  static T bitAnd(T a, T b) { return a & b; }
  template <class T>
  static T bitOr(T a, T b) { return a | b; }
  template <class T>
  static T bitXor(T a, T b) { return a ^ b; }
  template <class T>
  static T shl(T a, T b) { return static_cast<T>(U<T>(a) << (b & kShiftMask<T>)); }
  template <class T>
  static T shrS(T a, T b) { return a >> (b & kShiftMask<T>); }
  template <class T>
  static T shrU(T a, T b) { return static_cast<T>(U<T>(a) >> (b & kShiftMask<T>)); }
  template <class T>
  static T rotl(T a, T b) { return static_cast<T>(std::rotl(U<T>(a), static_cast<int>(b & kShiftMask<T>))); }
  template <class T>
  static T rotr(T a, T b) { return static_cast<T>(std::rotr(U<T>(a), static_cast<int>(b & kShiftMask<T>))); }
  template <class T>
  static T clz(T a) { return static_cast<T>(std::countl_zero(U<T>(a))); }
  template <class T>
  static T ctz(T a) { return static_cast<T>(std::countr_zero(U<T>(a))); }
  template <class T>
  static T popcnt(T a) { return static_cast<T>(std::popcount(U<T>(a))); }

  /// Sign-extends the low `bits` bits of `a` to the whole of T.
  template <class T>
  static T signExtend(T a, int bits) {
    int shift = static_cast<int>(sizeof(T) * CHAR_BIT) - bits;
    return static_cast<T>(static_cast<U<T>>(a) << shift) >> shift;
  }

  // ---- comparisons yield i32 0 or 1
  template <class T>
  static int32_t eq(T a, T b) { return a == b; }
  template <class T>
  static int32_t ne(T a, T b) { return a != b; }
  template <class T>
  static int32_t ltS(T a, T b) { return a < b; }
  template <class T>
  static int32_t ltU(T a, T b) { return U<T>(a) < U<T>(b); }
  template <class T>
  static int32_t leS(T a, T b) { return a <= b; }
  template <class T>
  static int32_t leU(T a, T b) { return U<T>(a) <= U<T>(b); }
  template <class T>
  static int32_t gtS(T a, T b) { return a > b; }
  template <class T>
  static int32_t gtU(T a, T b) { return U<T>(a) > U<T>(b); }
  template <class T>
  static int32_t geS(T a, T b) { return a >= b; }
  template <class T>
  static int32_t geU(T a, T b) { return U<T>(a) >= U<T>(b); }
  template <class T>
  static int32_t eqz(T a) { return a == 0; }
  static int32_t both(int32_t a, int32_t b) { return (a != 0) & (b != 0); }
  template <class T>
  static T select(int32_t cond, T a, T b) { return cond != 0 ? a : b; }

  // ---- floating point (IEEE 754: NaN in, NaN out; -0 < +0 for min/max)
  template <GuestFloat T>
  static T div(T a, T b) {
    return propagateNaN(a, b, [](T x, T y) { return x / y; });
  }
  template <GuestFloat T>
  static T min(T a, T b) {
    if (a != a || b != b) return add(a, b);  // a NaN operand gives a (quiet) NaN
    if (a == b) return std::signbit(a) ? a : b;  // min(-0, +0) is -0
    return a < b ? a : b;
  }
  template <GuestFloat T>
  static T max(T a, T b) {
    if (a != a || b != b) return add(a, b);
    if (a == b) return std::signbit(a) ? b : a;  // max(-0, +0) is +0
    return a > b ? a : b;
  }
  template <GuestFloat T>
  static T sqrt(T a) { return std::sqrt(a); }
  template <GuestFloat T>
  static T abs(T a) { return fromBits<T>(bits(a) & ~kSignBit<T>); }
  template <GuestFloat T>
  static T copysign(T a, T b) { return fromBits<T>((bits(a) & ~kSignBit<T>) | (bits(b) & kSignBit<T>)); }
  // Rounding: a NaN comes back quieted (an arithmetic NaN, as the
  // hardware's roundss gives; libm's ceil may return a signalling NaN as is).
  template <GuestFloat T>
  static T ceil(T a) { return a != a ? a + a : std::ceil(a); }
  template <GuestFloat T>
  static T floor(T a) { return a != a ? a + a : std::floor(a); }
  template <GuestFloat T>
  static T trunc(T a) { return a != a ? a + a : std::trunc(a); }
  /// Round to nearest, ties to even (the default rounding mode).
  template <GuestFloat T>
  static T nearest(T a) { return a != a ? a + a : std::nearbyint(a); }
  template <GuestFloat T>
  static int32_t lt(T a, T b) { return a < b; }
  template <GuestFloat T>
  static int32_t gt(T a, T b) { return a > b; }
  template <GuestFloat T>
  static int32_t le(T a, T b) { return a <= b; }
  template <GuestFloat T>
  static int32_t ge(T a, T b) { return a >= b; }

  /// Integer to float, rounding to nearest.
  template <GuestFloat To, GuestInteger From>
  static To convertS(From a) { return static_cast<To>(a); }
  template <GuestFloat To, GuestInteger From>
  static To convertU(From a) { return static_cast<To>(static_cast<U<From>>(a)); }
  /// Float to integer, rounding toward zero. Precondition (the node's job): the
  /// truncated value fits To (signed), or To's unsigned range (truncU).
  template <GuestInteger To, GuestFloat From>
  static To truncS(From a) { return static_cast<To>(a); }
  template <GuestInteger To, GuestFloat From>
  static To truncU(From a) { return static_cast<To>(static_cast<U<To>>(a)); }
  static double promote(float a) { return static_cast<double>(a); }
  static float demote(double a) { return static_cast<float>(a); }
  /// Reinterpretation: a float's bit pattern as the integer of its width, and back.
  template <GuestFloat T>
  static auto bits(T a) { return std::bit_cast<std::make_signed_t<typename ValueTraits<T>::Bits>>(a); }
  template <GuestFloat T, GuestInteger I>
  static T fromBits(I a) { return std::bit_cast<T>(a); }

  // ---- memory: raw accesses, in bounds by precondition (MemoryAccess.h checks)
  static int64_t memSize(const LinearMemory& m) { return static_cast<int64_t>(m.size()); }
  /// table[index], indices past the end reading its last entry (never empty).
  static int32_t lookupConstant(std::span<const uint32_t> table, int32_t index) {
    return static_cast<int32_t>(table[std::min<std::size_t>(static_cast<uint32_t>(index), table.size() - 1)]);
  }
  template <class Stored, GuestValue T>
  static T loadMemory(LinearMemory& m, int64_t address) {
    Stored v;
    std::memcpy(&v, m.base() + address, sizeof v);
    return static_cast<T>(v);
  }
  template <class Stored, GuestValue T>
  static void storeMemory(LinearMemory& m, int64_t address, T value) {
    auto v = static_cast<Stored>(value);
    std::memcpy(m.base() + address, &v, sizeof v);
  }
  /// Reverses the bytes of an integer.
  template <GuestInteger T>
  static T byteSwap(T a) { return static_cast<T>(std::byteswap(static_cast<U<T>>(a))); }

  // ---- conversions
  static int32_t wrap(int64_t a) { return static_cast<int32_t>(a); }
  static int64_t extendS(int32_t a) { return a; }
  static int64_t extendU(int32_t a) { return static_cast<uint32_t>(a); }

  // ---- traps and speculation
  static void trapIf(int32_t cond, const TrapKind& kind) {
    if (cond != 0) [[unlikely]] throw TrapException{&kind};
  }
  [[noreturn]] static void trap(const TrapKind& kind) { throw TrapException{&kind}; }
  /// The graph domain turns this into a deoptimizing guard; here it is the test.
  static bool unlikely(int32_t cond) { return cond != 0; }

  // ---- statements and resuming a deoptimized activation (design brief, rule 3)
  /// Compiled code records frame states here; the interpreter has nothing to do.
  void beginStatement(const Node*, const Frame&) const {}
  /// True while control nodes are finding their way to the statement a
  /// deoptimization resumes at: they skip what ran before it.
  bool resuming() const { return resumeAt_ != nullptr; }
  void resumeAt(const Node* statement) { resumeAt_ = statement; }
  /// Whether `node` is, or contains, the resume statement. Reaching the statement
  /// itself ends resuming: it then runs normally, from its start.
  bool resumeInto(const Node* node) {
    if (!resumesWithin(node)) return false;
    if (node == resumeAt_) resumeAt_ = nullptr;
    return true;
  }
  /// Whether `node` is, or contains, the resume statement (no state change).
  bool resumesWithin(const Node* node) const {
    for (const Node* n = resumeAt_; n != nullptr; n = n->parent())
      if (n == node) return true;
    return false;
  }

  // ---- structured control
  bool dead() const { return unwind_ != 0; }
  Label enterLabel() const { return 0; }
  void exitLabel(Label, Frame&) {
    if (unwind_ != 0) --unwind_;
  }
  void br(uint32_t depth, Frame&) { unwind_ = depth + 1; }
  /// `osr`, when given, may move the rest of the loop into compiled code at a
  /// back-edge (on-stack replacement); it answers how many labels the loop's exit leaves.
  template <class Body>
  void loop(Frame& f, LoopProfile& profile, Body body, OsrPoint* osr = nullptr) {
    for (;;) {
      body();
      if (unwind_ == 1) {
        unwind_ = 0;
        profile.backEdge();
        target_.onBackEdge();
        if (osr != nullptr) {
          int32_t exit = osr->onBackEdge(target_, f);
          if (exit >= 0) [[unlikely]] {
            unwind_ = static_cast<uint32_t>(exit);
            return;
          }
        }
        continue;
      }
      if (unwind_ != 0) --unwind_;
      return;
    }
  }
  template <class Then, class Else>
  void ifElse(int32_t cond, BranchProfile& profile, Frame&, Then thenBody, Else elseBody) {
    if (profile.profile(cond != 0)) thenBody();
    else elseBody();
  }

  // ---- unstructured control (basic-block dispatch)
  /// `osrAt(block)` names the OsrPoint of a loop-header block (or null): at a
  /// back-edge into it the rest of the program may move into compiled code.
  template <class RunBlock, class OsrAt = std::nullptr_t>
  void dispatch(Frame& f, uint32_t entry, const std::vector<uint32_t>& /*order*/,
                const std::vector<bool>& /*loopHeaders*/, RunBlock runBlock, OsrAt osrAt = nullptr) {
    auto block = static_cast<int32_t>(entry);
    while (block >= 0) {
      int32_t next = runBlock(static_cast<uint32_t>(block));
      if (next >= 0 && next <= block) {
        target_.onBackEdge();
        if constexpr (!std::is_same_v<OsrAt, std::nullptr_t>) {
          if (OsrPoint* osr = osrAt(static_cast<uint32_t>(next)); osr != nullptr)
            if (osr->onBackEdge(target_, f) >= 0) [[unlikely]] return;  // ran to the program's exit
        }
      }
      block = next;
    }
  }
  Successor jump(uint32_t block, Frame&) const { return static_cast<Successor>(block); }
  Successor branch(int32_t cond, BranchProfile& profile, uint32_t taken, uint32_t fallthrough,
                   Frame&) const {
    return static_cast<Successor>(profile.profile(cond != 0) ? taken : fallthrough);
  }
  Successor leave(Frame&) const { return -1; }

  // ---- calls: raw 64-bit arguments in, raw results out
  /// The next call (the one the resumed statement makes) returns these results
  /// without calling: its callee, inlined into compiled code, has run already.
  void takeCallResults(std::span<const uint64_t> results) {
    callResults_ = results;
    hasCallResults_ = true;
  }

  void call(CallTarget& callee, std::span<const int64_t> args, std::span<int64_t> results) {
    if (hasCallResults_) [[unlikely]] {
      for (std::size_t i = 0; i < results.size() && i < callResults_.size(); ++i)
        results[i] = static_cast<int64_t>(callResults_[i]);
      hasCallResults_ = false;
      return;
    }
    std::size_t slots = std::max(args.size(), results.size());
    if (slots <= kInlineCallSlots) [[likely]] {
      int64_t io[kInlineCallSlots];
      callWith(callee, io, args, results);
    } else {
      std::vector<int64_t> io(slots);
      callWith(callee, io.data(), args, results);
    }
  }
  /// Calls with more argument or result slots than this take a heap buffer: each
  /// guest call's host frame stays small, which bounds the depth the host stack allows.
  static constexpr size_t kInlineCallSlots = 8;

  CallTarget& target() const { return target_; }
  /// Labels still to leave on the current path (0 when it runs normally).
  uint32_t unwindDepth() const { return unwind_; }

 private:
  static void callWith(CallTarget& callee, int64_t* io, std::span<const int64_t> args,
                       std::span<int64_t> results) {
    for (size_t i = 0; i < args.size(); ++i) io[i] = args[i];
    Status s = callee.call(reinterpret_cast<uint64_t*>(io));
    if (s != 0) [[unlikely]] throw TrapException{trapOf(s)};
    for (size_t i = 0; i < results.size(); ++i) results[i] = io[i];
  }

  template <class T>
  using U = std::make_unsigned_t<T>;
  template <class T>
  static constexpr T kShiftMask = sizeof(T) * CHAR_BIT - 1;
  /// Which NaN comes out of `a op b` must not depend on how the C++ compiler
  /// orders a commutative operation's operands: like SSE's `addss a, b`, the
  /// first NaN operand wins, quieted (x + x quiets x and keeps its payload).
  template <GuestFloat T, class Op>
  static T propagateNaN(T a, T b, Op op) {
    if (a != a) [[unlikely]] return quiet(a);
    if (b != b) [[unlikely]] return quiet(b);
    return op(a, b);
  }
  template <GuestFloat T>
  static T quiet(T nan) {
    using Bits = typename ValueTraits<T>::Bits;
    constexpr Bits kQuiet = Bits{1} << (std::numeric_limits<T>::digits - 2);
    return std::bit_cast<T>(static_cast<Bits>(std::bit_cast<Bits>(nan) | kQuiet));
  }
  template <GuestFloat T>
  static constexpr auto kSignBit =
      std::bit_cast<std::make_signed_t<typename ValueTraits<T>::Bits>>(typename ValueTraits<T>::Bits{1}
                                                                        << (sizeof(T) * CHAR_BIT - 1));

  CallTarget& target_;
  uint32_t unwind_ = 0;
  const Node* resumeAt_ = nullptr;
  std::span<const uint64_t> callResults_;
  bool hasCallResults_ = false;
};

}  // namespace morel

#pragma once
// call_indirect with an inline cache of the functions it has called (Truffle's
// polymorphic inline cache). The element is read where the table keeps it and
// compared with each cached function; a hit calls that function's target
// directly, which the partial evaluator can inline. The cache goes
// uninitialized -> monomorphic -> polymorphic (kMaxTargets) -> megamorphic,
// where every call takes the generic dispatcher (WasmInstance::indirectCall),
// as all calls did before the cache. A miss in compiled code deoptimizes, so
// the interpreter learns the new function, unless the interpreter has already
// seen a miss it could not cache (a null or mistyped element: a trap), in
// which case compiled code calls the dispatcher on a miss. The dispatcher
// checks and traps as it always did; the node itself traps only for an index
// past the table, with the dispatcher's message.
#include <array>
#include <atomic>
#include <type_traits>

#include "absl/container/inlined_vector.h"

#include "morel/framework/CallTarget.h"
#include "morel/wasm/WasmTable.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

inline constexpr TrapKind kUndefinedElement{"undefined element"};
inline constexpr TrapKind kUninitializedElement{"uninitialized element"};
inline constexpr TrapKind kIndirectCallTypeMismatch{"indirect call type mismatch"};

class WasmCallIndirectNode final : public Implements<WasmCallIndirectNode, WasmStmt> {
 public:
  /// More distinct functions than this make the site megamorphic.
  static constexpr uint32_t kMaxTargets = 4;

  /// Arguments are `paramWords` words from `argSlot`, the element index the word
  /// after them; results go to `resultWords` words from `resultSlot`. `dispatch`
  /// takes the arguments and the index ([args..., index] -> [results]).
  WasmCallIndirectNode(WasmTable& table, uint32_t typeId, CallTarget& dispatch, uint32_t argSlot,
                       uint32_t paramWords, uint32_t resultSlot, uint32_t resultWords)
      : table_(table),
        typeId_(typeId),
        dispatch_(dispatch),
        argSlot_(argSlot),
        paramWords_(paramWords),
        resultSlot_(resultSlot),
        resultWords_(resultWords) {}

  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if (megamorphic()) return callTarget(d, f, dispatch_, paramWords_ + 1);
    // Tables never shrink: an index once in bounds stays so, but it is checked
    // each time, since the cache is keyed by function, not by index.
    auto at = d.shl(d.extendU(d.loadI32(f, argSlot_ + paramWords_)), d.i64(3));
    d.trapIf(d.geU(at, d.memSize(table_.words())), kUndefinedElement);
    auto element = d.template loadMemory<uint64_t, int64_t>(table_.words(), at);
    dispatchFrom(d, f, element, 0);
  }

  std::string_view kind() const override { return "CallIndirect"; }

  // The cache's state, for tests.
  uint32_t cachedTargets() const { return count_.load(std::memory_order_relaxed); }
  bool megamorphic() const { return megamorphic_.load(std::memory_order_relaxed); }
  bool sawUncachable() const { return sawUncachable_.load(std::memory_order_relaxed); }

 private:
  /// Compares `element` with cached function k and the ones after it.
  template <class D>
  void dispatchFrom(D& d, typename D::Frame& f, Val<D, int64_t> element, uint32_t k) {
    if (k < cachedTargets()) {
      const WasmFunctionRef* ref = targets_[k].load(std::memory_order_relaxed);
      d.ifElse(
          d.eq(element, d.i64(static_cast<int64_t>(reinterpret_cast<uintptr_t>(ref)))), hits_[k], f,
          [&] { callTarget(d, f, *ref->target, paramWords_); },
          [&] { dispatchFrom(d, f, element, k + 1); });
      return;
    }
    if (!sawUncachable()) {
      // A miss: compiled code leaves here (the graph domain makes the guard a
      // deopt exit and returns false); the interpreter caches the function and
      // runs the call again, nothing having happened yet.
      if (d.unlikely(d.i32(1))) {
        learn(observed(element));
        execute(d, f);
      }
      return;
    }
    callTarget(d, f, dispatch_, paramWords_ + 1);
  }

  /// Calls `callee` with the first `argWords` words from argSlot_ (the dispatcher
  /// also gets the index, the word after the arguments).
  template <class D>
  void callTarget(D& d, typename D::Frame& f, CallTarget& callee, uint32_t argWords) {
    absl::InlinedVector<Val<D, int64_t>, 4> args(argWords);
    absl::InlinedVector<Val<D, int64_t>, 4> results(resultWords_);
    for (uint32_t i = 0; i < argWords; ++i) args[i] = d.loadI64(f, argSlot_ + i);
    d.call(callee, std::span<const Val<D, int64_t>>(args.data(), argWords),
           std::span<Val<D, int64_t>>(results.data(), resultWords_));
    for (uint32_t i = 0; i < resultWords_; ++i) d.storeI64(f, resultSlot_ + i, results[i]);
  }

  /// The interpreter's concrete word; only the interpreter learns (the graph
  /// domain never reaches learn()).
  template <class V>
  static uint64_t observed(V v) {
    if constexpr (std::is_integral_v<V>)
      return static_cast<uint64_t>(v);
    else
      return 0;
  }

  /// Adds the function the element refers to; a null or mistyped element (the
  /// dispatcher traps) is not cached, and a function past kMaxTargets makes the
  /// site megamorphic.
  void learn(uint64_t element) {
    const auto* ref = reinterpret_cast<const WasmFunctionRef*>(element);
    this->specialize([&] {
      const uint32_t n = cachedTargets();
      if (ref == nullptr || ref->typeId != typeId_) {
        sawUncachable_.store(true, std::memory_order_relaxed);
      } else if (n == kMaxTargets) {
        megamorphic_.store(true, std::memory_order_relaxed);
      } else {
        targets_[n].store(ref, std::memory_order_relaxed);
        count_.store(n + 1, std::memory_order_relaxed);
      }
    });
  }

  WasmTable& table_;
  uint32_t typeId_;
  CallTarget& dispatch_;
  uint32_t argSlot_, paramWords_, resultSlot_, resultWords_;
  std::array<std::atomic<const WasmFunctionRef*>, kMaxTargets> targets_{};
  std::array<BranchProfile, kMaxTargets> hits_;
  std::atomic<uint32_t> count_{0};
  std::atomic<bool> megamorphic_{false};
  std::atomic<bool> sawUncachable_{false};
};

}  // namespace morel::wasm

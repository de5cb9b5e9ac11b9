#pragma once
// callx %rN with an inline cache of the helper numbers it has seen (as Wasm's
// call_indirect, WasmCallIndirectNode): the register is compared with each
// cached number, and a hit calls that helper's own host function, not the
// dispatcher that looks the helper up at run time. Up to kMaxHelpers numbers;
// one more makes the site megamorphic (the dispatcher only). A miss in compiled
// code deoptimizes so the interpreter learns the number, unless the interpreter
// has seen one it could not cache (an unknown helper: the dispatcher traps),
// in which case a miss calls the dispatcher.
#include <array>
#include <atomic>
#include <map>
#include <type_traits>

#include "morel/ebpf/EbpfHelpers.h"
#include "morel/ebpf/nodes/EbpfNodes.h"
#include "morel/framework/CallTarget.h"

namespace morel::ebpf {

class EbpfCallxNode final : public Implements<EbpfCallxNode, EbpfStmt> {
 public:
  static constexpr uint32_t kMaxHelpers = 4;

  /// `dispatch`: [number, r1..r5] -> [r0, unwind]; `helpers`: by number, the
  /// program's helper table (outlives the node).
  EbpfCallxNode(CallTarget& dispatch, const std::map<uint64_t, EbpfCallxHelper>& helpers,
                uint8_t indexRegister)
      : dispatch_(dispatch), helpers_(helpers), indexRegister_(indexRegister) {}

  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if (megamorphic()) return callDispatcher(d, f);
    auto number = d.loadI64(f, indexRegister_);
    dispatchFrom(d, f, number, 0);
  }
  std::string_view kind() const override { return "Callx"; }

  uint32_t cachedHelpers() const { return count_.load(std::memory_order_relaxed); }
  bool megamorphic() const { return megamorphic_.load(std::memory_order_relaxed); }
  bool sawUnknown() const { return sawUnknown_.load(std::memory_order_relaxed); }

 private:
  template <class D>
  void dispatchFrom(D& d, typename D::Frame& f, Val<D, int64_t> number, uint32_t k) {
    if (k < cachedHelpers()) {
      const EbpfCallxHelper* h = cached_[k].load(std::memory_order_relaxed);
      d.ifElse(
          d.eq(number, d.i64(static_cast<int64_t>(h->number))), hits_[k], f,
          [&] { callHelper(d, f, *h); }, [&] { dispatchFrom(d, f, number, k + 1); });
      return;
    }
    if (!sawUnknown()) {
      // A miss: compiled code deoptimizes here, before any effect; the
      // interpreter caches the number and runs the call again.
      if (d.unlikely(d.i32(1))) {
        learn(observed(number));
        execute(d, f);
      }
      return;
    }
    callDispatcher(d, f);
  }

  template <class D>
  void callHelper(D& d, typename D::Frame& f, const EbpfCallxHelper& h) {
    Val<D, int64_t> args[5];
    for (uint32_t r = 1; r <= 5; ++r) args[r - 1] = d.loadI64(f, r);
    Val<D, int64_t> results[2];
    d.call(*h.target, std::span<const Val<D, int64_t>>(args, 5),
           std::span<Val<D, int64_t>>(results, h.ending ? 2 : 1));
    d.storeI64(f, 0, results[0]);
    // The dispatcher's unwind answer: the helper ended the function, or it
    // unwinds on zero and returned zero.
    Val<D, int64_t> unwind = h.ending ? results[1] : d.i64(0);
    if (h.unwindsOnZero) unwind = d.bitOr(unwind, d.extendU(d.eqz(results[0])));
    d.storeI64(f, kUnwindSlot, unwind);
  }

  template <class D>
  void callDispatcher(D& d, typename D::Frame& f) {
    Val<D, int64_t> args[6];
    args[0] = d.loadI64(f, indexRegister_);
    for (uint32_t r = 1; r <= 5; ++r) args[r] = d.loadI64(f, r);
    Val<D, int64_t> results[2];
    d.call(dispatch_, std::span<const Val<D, int64_t>>(args, 6),
           std::span<Val<D, int64_t>>(results, 2));
    d.storeI64(f, 0, results[0]);
    d.storeI64(f, kUnwindSlot, results[1]);
  }

  /// The interpreter's concrete word (the graph domain never reaches learn()).
  template <class V>
  static uint64_t observed(V v) {
    if constexpr (std::is_integral_v<V>)
      return static_cast<uint64_t>(v);
    else
      return 0;
  }

  void learn(uint64_t number) {
    auto it = helpers_.find(number);
    this->specialize([&] {
      const uint32_t n = cachedHelpers();
      if (it == helpers_.end()) {
        sawUnknown_.store(true, std::memory_order_relaxed);
      } else if (n == kMaxHelpers) {
        megamorphic_.store(true, std::memory_order_relaxed);
      } else {
        cached_[n].store(&it->second, std::memory_order_relaxed);
        count_.store(n + 1, std::memory_order_relaxed);
      }
    });
  }

  CallTarget& dispatch_;
  const std::map<uint64_t, EbpfCallxHelper>& helpers_;
  uint8_t indexRegister_;
  std::array<std::atomic<const EbpfCallxHelper*>, kMaxHelpers> cached_{};
  std::array<BranchProfile, kMaxHelpers> hits_;
  std::atomic<uint32_t> count_{0};
  std::atomic<bool> megamorphic_{false};
  std::atomic<bool> sawUnknown_{false};
};

}  // namespace morel::ebpf

#pragma once
// callx %rN with an inline cache of the helper numbers it has seen
// (framework/InlineCache.h, as Wasm's call_indirect): the register is compared
// with each cached number, and a hit calls that helper's own host function, not
// the dispatcher that looks the helper up at run time, which is the generic
// path. An unknown helper is the value the cache cannot hold (the dispatcher
// traps on it).
#include <map>

#include "morel/ebpf/EbpfHelpers.h"
#include "morel/ebpf/nodes/EbpfNodes.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/InlineCache.h"

namespace morel::ebpf {

class EbpfCallxNode final : public Implements<EbpfCallxNode, EbpfStmt> {
 public:
  /// `dispatch`: [number, r1..r5] -> [r0, unwind]; `helpers`: by number, the
  /// program's helper table (outlives the node).
  EbpfCallxNode(CallTarget& dispatch, const std::map<uint64_t, EbpfCallxHelper>& helpers,
                uint8_t indexRegister)
      : dispatch_(dispatch), helpers_(helpers), indexRegister_(indexRegister) {}

  template <class D>
  void execute(D& d, typename D::Frame& f) {
    if (cache_.megamorphic()) return callDispatcher(d, f);
    auto number = d.loadI64(f, indexRegister_);
    cache_.dispatch(
        d, f, number, [](const EbpfCallxHelper& h) { return static_cast<int64_t>(h.number); },
        [&](const EbpfCallxHelper& h) { callHelper(d, f, h); },
        [&] {
          learn(Cache::observed(number));
          execute(d, f);
        },
        [&] { callDispatcher(d, f); });
  }
  std::string_view kind() const override { return "Callx"; }

  uint32_t cachedHelpers() const { return cache_.size(); }
  bool megamorphic() const { return cache_.megamorphic(); }
  bool sawUnknown() const { return cache_.sawUncachable(); }

 private:
  using Cache = InlineCache<EbpfCallxHelper>;

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

  void learn(uint64_t number) {
    auto it = helpers_.find(number);
    this->specialize([&] { cache_.record(it == helpers_.end() ? nullptr : &it->second); });
  }

  CallTarget& dispatch_;
  const std::map<uint64_t, EbpfCallxHelper>& helpers_;
  uint8_t indexRegister_;
  Cache cache_;
};

}  // namespace morel::ebpf

#pragma once
// A call site's polymorphic inline cache, as Truffle's: the callees a site has
// met, compared in order with what the site is about to call; a hit calls that
// callee directly, which the partial evaluator can inline. The cache goes
// uninitialized -> monomorphic -> polymorphic (up to kMax entries) ->
// megamorphic, where the node takes its generic path only. A miss in compiled
// code deoptimizes, so the interpreter learns the new callee, until the
// interpreter has met a value the cache cannot hold (its generic path traps on
// it, say); from then on a miss takes the generic path in every tier.
//
// The node owning a cache changes it only inside its own specialize() (the
// cache's fields are the node's specialization state, read by the partial
// evaluator as constants).
#include <array>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "morel/framework/DomainNode.h"
#include "morel/framework/Profiles.h"

namespace morel {

template <class Entry, uint32_t kMaxEntries = 4>
class InlineCache {
 public:
  static constexpr uint32_t kMax = kMaxEntries;

  uint32_t size() const { return count_.load(std::memory_order_relaxed); }
  bool megamorphic() const { return megamorphic_.load(std::memory_order_relaxed); }
  bool sawUncachable() const { return sawUncachable_.load(std::memory_order_relaxed); }

  /// What the interpreter met at a miss: `entry`, or null for a value the cache
  /// cannot hold. One entry past kMax makes the site megamorphic.
  void record(const Entry* entry) {
    const uint32_t n = size();
    if (entry == nullptr) {
      sawUncachable_.store(true, std::memory_order_relaxed);
    } else if (n == kMax) {
      megamorphic_.store(true, std::memory_order_relaxed);
    } else {
      entries_[n].store(entry, std::memory_order_relaxed);
      count_.store(n + 1, std::memory_order_relaxed);
    }
  }

  /// Compares `key` with `keyOf(entry)` for each cached entry, from entry `k`
  /// on: a hit runs `hit(entry)`. Past the last entry, while every miss so far
  /// was cachable, a miss leaves compiled code (the graph domain makes
  /// `unlikely(1)` a deopt exit, before any effect) and the interpreter runs
  /// `miss()` (record, then execute the node again); otherwise `generic()`.
  template <class D, class Frame, class KeyOf, class Hit, class Miss, class Generic>
  void dispatch(D& d, Frame& f, Val<D, int64_t> key, KeyOf keyOf, Hit hit, Miss miss,
                Generic generic, uint32_t k = 0) {
    if (k < size()) {
      const Entry* e = entries_[k].load(std::memory_order_relaxed);
      d.ifElse(
          d.eq(key, d.i64(keyOf(*e))), hits_[k], f, [&] { hit(*e); },
          [&] { dispatch(d, f, key, keyOf, hit, miss, generic, k + 1); });
      return;
    }
    if (!sawUncachable()) {
      if (d.unlikely(d.i32(1))) miss();
      return;
    }
    generic();
  }

  /// The interpreter's concrete word; 0 in the graph domain, which never
  /// reaches a miss's body.
  template <class V>
  static uint64_t observed(V v) {
    if constexpr (std::is_integral_v<V>)
      return static_cast<uint64_t>(v);
    else
      return 0;
  }

 private:
  std::array<std::atomic<const Entry*>, kMax> entries_{};
  std::array<BranchProfile, kMax> hits_;
  std::atomic<uint32_t> count_{0};
  std::atomic<bool> megamorphic_{false};
  std::atomic<bool> sawUncachable_{false};
};

}  // namespace morel

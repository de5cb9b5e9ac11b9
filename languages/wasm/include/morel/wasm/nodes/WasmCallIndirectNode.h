#pragma once
// call_indirect with an inline cache of the functions it has called
// (framework/InlineCache.h). The element is read where the table keeps it and
// compared with each cached function; a hit calls that function's target
// directly, which the partial evaluator can inline. The generic path is the
// dispatcher (WasmInstance::indirectCall), which all calls took before the
// cache; a null or mistyped element is the value the cache cannot hold (the
// dispatcher traps on it). The node itself traps only for an index past the
// table, with the dispatcher's message.
#include "absl/container/inlined_vector.h"

#include "morel/framework/CallTarget.h"
#include "morel/framework/InlineCache.h"
#include "morel/wasm/WasmTable.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

inline constexpr TrapKind kUndefinedElement{"undefined element"};
inline constexpr TrapKind kUninitializedElement{"uninitialized element"};
inline constexpr TrapKind kIndirectCallTypeMismatch{"indirect call type mismatch"};

class WasmCallIndirectNode final : public Implements<WasmCallIndirectNode, WasmStmt> {
 public:
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
    if (cache_.megamorphic()) return callTarget(d, f, dispatch_, paramWords_ + 1);
    // Tables never shrink: an index once in bounds stays so, but it is checked
    // each time, since the cache is keyed by function, not by index.
    auto at = d.shl(d.extendU(d.loadI32(f, argSlot_ + paramWords_)), d.i64(3));
    d.trapIf(d.geU(at, d.memSize(table_.words())), kUndefinedElement);
    auto element = d.template loadMemory<uint64_t, int64_t>(table_.words(), at);
    cache_.dispatch(
        d, f, element,
        [](const WasmFunctionRef& ref) {
          return static_cast<int64_t>(reinterpret_cast<uintptr_t>(&ref));
        },
        [&](const WasmFunctionRef& ref) { callTarget(d, f, *ref.target, paramWords_); },
        [&] {
          learn(Cache::observed(element));
          execute(d, f);
        },
        [&] { callTarget(d, f, dispatch_, paramWords_ + 1); });
  }

  std::string_view kind() const override { return "CallIndirect"; }

  // The cache's state, for tests.
  uint32_t cachedTargets() const { return cache_.size(); }
  bool megamorphic() const { return cache_.megamorphic(); }
  bool sawUncachable() const { return cache_.sawUncachable(); }

 private:
  using Cache = InlineCache<WasmFunctionRef>;

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

  /// Adds the function the element refers to; a null or mistyped element (the
  /// dispatcher traps) is not cached, and a function past Cache::kMax makes the
  /// site megamorphic.
  void learn(uint64_t element) {
    const auto* ref = reinterpret_cast<const WasmFunctionRef*>(element);
    this->specialize(
        [&] { cache_.record(ref == nullptr || ref->typeId != typeId_ ? nullptr : ref); });
  }

  WasmTable& table_;
  uint32_t typeId_;
  CallTarget& dispatch_;
  uint32_t argSlot_, paramWords_, resultSlot_, resultWords_;
  Cache cache_;
};

}  // namespace morel::wasm

#include "morel/wasm/WasmRootNode.h"

#include <array>

namespace morel::wasm {

void WasmRootNode::executeInterpreted(CallTarget& target, uint64_t* io) {
  // Small frames live on the host stack; large ones on the heap.
  constexpr uint32_t kInlineSlots = 64;
  std::array<int64_t, kInlineSlots> inlineSlots;
  std::vector<int64_t> heapSlots;
  int64_t* slots = inlineSlots.data();
  if (slotCount_ > kInlineSlots) {
    heapSlots.resize(slotCount_);
    slots = heapSlots.data();
  }
  uint32_t params = parameterCount();
  for (uint32_t i = 0; i < params; ++i) slots[i] = static_cast<int64_t>(io[i]);
  for (uint32_t i = params; i < slotCount_; ++i) slots[i] = 0;
  InterpDomain d(target);
  InterpFrame f{slots};
  body_->run(d, f);
  for (uint32_t i = 0; i < resultCount(); ++i) io[i] = static_cast<uint64_t>(slots[resultSlot() + i]);
}

void WasmRootNode::partialEvaluate(GraphDomainHandle& handle) {
  auto& d = static_cast<pe::GraphDomain&>(handle);
  pe::GraphFrame f;
  f.slots.assign(slotCount_, nullptr);
  uint32_t params = parameterCount();
  for (uint32_t i = 0; i < params; ++i) {
    auto raw = d.parameter(i);
    if (type_.params[i] == ValType::I32) d.storeI32(f, i, d.wrap(raw));
    else d.storeI64(f, i, raw);
  }
  for (uint32_t i = 0; i < locals_.size(); ++i) {
    if (locals_[i] == ValType::I32) d.storeI32(f, params + i, d.i32(0));
    else d.storeI64(f, params + i, d.i64(0));
  }
  body_->run(d, f);
  std::vector<pe::GV<int64_t>> results;
  for (uint32_t i = 0; i < resultCount(); ++i) {
    uint32_t slot = resultSlot() + i;
    results.push_back(type_.results[i] == ValType::I32 ? d.extendU(d.loadI32(f, slot))
                                                        : d.loadI64(f, slot));
  }
  d.returnValues(results);
}

}  // namespace morel::wasm

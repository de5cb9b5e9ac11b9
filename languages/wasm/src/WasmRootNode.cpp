#include "morel/wasm/WasmRootNode.h"

namespace morel::wasm {

namespace {
SlotKind kindOf(ValType t) { return t == ValType::I32 ? SlotKind::Int32 : SlotKind::Int64; }
}  // namespace

WasmRootNode::WasmRootNode(std::string name, FuncType type, const std::vector<ValType>& locals)
    : InterpretedRoot(std::move(name)), type_(std::move(type)) {
  for (ValType t : type_.params) frame_.add(kindOf(t));
  for (ValType t : locals) frame_.add(kindOf(t));
  resultSlot_ = frame_.size();
}

void WasmRootNode::bindArguments(InterpFrame f, const uint64_t* io) {
  for (uint32_t i = 0; i < parameterCount(); ++i) f.slots[i] = static_cast<int64_t>(io[i]);
}

void WasmRootNode::returnResults(InterpFrame f, uint64_t* io) {
  for (uint32_t i = 0; i < resultCount(); ++i) io[i] = static_cast<uint64_t>(f.slots[resultSlot_ + i]);
}

void WasmRootNode::partialEvaluate(GraphDomainHandle& handle) {
  auto& d = static_cast<pe::GraphDomain&>(handle);
  pe::GraphFrame f = d.newFrame(frame_);
  for (uint32_t i = 0; i < parameterCount(); ++i) {
    auto raw = d.parameter(i);
    if (frame_.kind(i) == SlotKind::Int32) d.storeI32(f, i, d.wrap(raw));
    else d.storeI64(f, i, raw);
  }
  body_->run(d, f);
  std::vector<pe::GV<int64_t>> results;
  for (uint32_t i = 0; i < resultCount(); ++i) {
    uint32_t slot = resultSlot_ + i;
    results.push_back(type_.results[i] == ValType::I32 ? d.extendU(d.loadI32(f, slot))
                                                        : d.loadI64(f, slot));
  }
  d.returnValues(results);
}

}  // namespace morel::wasm

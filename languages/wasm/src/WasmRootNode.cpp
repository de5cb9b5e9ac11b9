#include "morel/wasm/WasmRootNode.h"

namespace morel::wasm {

namespace {
SlotKind kindOf(ValType t) { return t == ValType::I32 ? SlotKind::Int32 : SlotKind::Int64; }
}  // namespace

WasmRootNode::WasmRootNode(std::string name, FuncType type, const std::vector<ValType>& locals)
    : RootNode(std::move(name)), type_(std::move(type)) {
  for (ValType t : type_.params) frame_.add(kindOf(t));
  for (ValType t : locals) frame_.add(kindOf(t));
  resultSlot_ = frame_.size();
}

void WasmRootNode::executeInterpreted(CallTarget& target, uint64_t* io) {
  InterpFrameStorage slots(frame_);
  for (uint32_t i = 0; i < parameterCount(); ++i) slots[i] = static_cast<int64_t>(io[i]);
  InterpDomain d(target);
  run(d, slots, io);
}

void WasmRootNode::resumeInterpreted(CallTarget& target, uint64_t* io, const Node* statement,
                                     const int64_t* frame) {
  if (statement == this) return executeInterpreted(target, io);
  InterpFrameStorage slots(frame_);
  for (uint32_t i = 0; i < frame_.size(); ++i) slots[i] = frame[i];
  InterpDomain d(target);
  d.resumeAt(statement);
  run(d, slots, io);
}

void WasmRootNode::run(InterpDomain& d, InterpFrameStorage& slots, uint64_t* io) {
  InterpFrame f = slots.frame();
  body_->run(d, f);
  for (uint32_t i = 0; i < resultCount(); ++i) io[i] = static_cast<uint64_t>(slots[resultSlot_ + i]);
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

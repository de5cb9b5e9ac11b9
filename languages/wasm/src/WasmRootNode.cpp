#include "morel/wasm/WasmRootNode.h"

#include "morel/pe/OsrRoot.h"

namespace morel::wasm {

namespace {

SlotKind kindOf(ValType t) {
  switch (t) {
    case ValType::I32: return SlotKind::Int32;
    case ValType::I64: return SlotKind::Int64;
    case ValType::F32: return SlotKind::Float32;
    case ValType::F64: return SlotKind::Float64;
    case ValType::V128: return SlotKind::Vector128;  // then an Int64 (see the constructor)
    case ValType::FuncRef:
    case ValType::ExternRef: return SlotKind::Int64;  // a reference is a 64-bit word (0: null)
  }
  return SlotKind::Int64;
}

// A raw 64-bit io word as the typed graph value of `t` and back (ValueTypes.h:
// i32 and f32 in the low half, floats as their bit patterns), as the interpreter's
// entries copy the words unchanged into and out of its raw frame slots.
void storeRaw(pe::GraphDomain& d, pe::GraphFrame& f, uint32_t slot, ValType t, pe::GV<int64_t> raw) {
  switch (t) {
    case ValType::I32: d.store(f, slot, d.wrap(raw)); return;
    case ValType::I64: d.store(f, slot, raw); return;
    case ValType::F32: d.store(f, slot, d.fromBits<float>(d.wrap(raw))); return;
    case ValType::F64: d.store(f, slot, d.fromBits<double>(raw)); return;
    case ValType::V128:  // a half: the frame holds a vector as its two words
    case ValType::FuncRef:
    case ValType::ExternRef: d.store(f, slot, raw); return;
  }
}

pe::GV<int64_t> loadRaw(pe::GraphDomain& d, pe::GraphFrame& f, uint32_t slot, ValType t) {
  switch (t) {
    case ValType::I32: return d.extendU(d.load<int32_t>(f, slot));
    case ValType::I64: return d.load<int64_t>(f, slot);
    case ValType::F32: return d.extendU(d.bits(d.load<float>(f, slot)));
    case ValType::F64: return d.bits(d.load<double>(f, slot));
    case ValType::V128:
    case ValType::FuncRef:
    case ValType::ExternRef: return d.load<int64_t>(f, slot);
  }
  return d.load<int64_t>(f, slot);
}

}  // namespace

WasmRootNode::WasmRootNode(std::string name, FuncType type, const std::vector<ValType>& locals)
    : InterpretedRoot(std::move(name)), type_(std::move(type)) {
  auto add = [&](ValType t) {
    frame_.add(kindOf(t));
    if (t == ValType::V128) frame_.add(SlotKind::Int64);  // its high word
  };
  for (ValType t : type_.params) add(t);
  for (ValType t : locals) add(t);
  resultSlot_ = frame_.size();
}

// Frame slots and io words are both raw 64-bit words: arguments and results
// cross unchanged whatever their type.
void WasmRootNode::bindArguments(InterpFrame f, const uint64_t* io) {
  for (uint32_t i = 0; i < parameterCount(); ++i) f.slots[i] = static_cast<int64_t>(io[i]);
}

void WasmRootNode::returnResults(InterpFrame f, uint64_t* io) {
  for (uint32_t i = 0; i < resultCount(); ++i) io[i] = static_cast<uint64_t>(f.slots[resultSlot_ + i]);
}

void WasmRootNode::partialEvaluate(GraphDomainHandle& handle) {
  auto& d = static_cast<pe::GraphDomain&>(handle);
  pe::GraphFrame f = d.newFrame(frame_);
  uint32_t word = 0;
  for (ValType t : type_.params) {
    if (t == ValType::V128) {  // one vector value, so loops over it get vector phis
      d.store(f, word, d.join(d.parameter(word), d.parameter(word + 1)));
      word += 2;
      continue;
    }
    storeRaw(d, f, word, t, d.parameter(word));
    ++word;
  }
  body_->run(d, f);
  std::vector<pe::GV<int64_t>> results;
  word = 0;
  for (ValType t : type_.results)
    for (uint32_t k = 0; k < slotsOf(t); ++k, ++word) results.push_back(loadRaw(d, f, resultSlot_ + word, t));
  d.returnValues(results);
}

std::unique_ptr<RootNode> WasmRootNode::createOsrRoot(Node& loop, uint32_t enclosingLabels,
                                                      const Node* /*entry: structured loops only*/) {
  auto* statement = dynamic_cast<WasmStmt*>(&loop);
  if (statement == nullptr) return nullptr;
  return std::make_unique<pe::OsrRoot<WasmStmt>>(*this, *statement, enclosingLabels);
}

}  // namespace morel::wasm

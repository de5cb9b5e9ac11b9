#pragma once
// A WebAssembly function's root: the frame layout (parameters, locals, then the
// operand stack) and the function-body label.
#include <vector>

#include "morel/framework/ControlNodes.h"
#include "morel/framework/RootNode.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

class WasmRootNode final : public RootNode {
 public:
  WasmRootNode(std::string name, FuncType type, std::vector<ValType> locals)
      : RootNode(std::move(name)), type_(std::move(type)), locals_(std::move(locals)) {}

  /// `slotCount`: parameters + locals + the operand stack's maximum height.
  void setBody(WasmStmt* body, uint32_t slotCount) {
    body_ = adopt(body);
    slotCount_ = slotCount;
  }
  WasmStmt* body() const { return body_; }

  uint32_t parameterCount() const override { return static_cast<uint32_t>(type_.params.size()); }
  uint32_t resultCount() const override { return static_cast<uint32_t>(type_.results.size()); }
  uint32_t slotCount() const { return slotCount_; }
  /// Results are left in the operand-stack slots at height 0.
  uint32_t resultSlot() const { return static_cast<uint32_t>(type_.params.size() + locals_.size()); }

  void executeInterpreted(CallTarget& target, uint64_t* io) override;
  void partialEvaluate(GraphDomainHandle& domain) override;

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(body_, o, n); }

 private:
  FuncType type_;
  std::vector<ValType> locals_;
  uint32_t slotCount_ = 0;
  WasmStmt* body_ = nullptr;
};

}  // namespace morel::wasm

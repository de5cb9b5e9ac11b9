#pragma once
// A WebAssembly function's root: the frame layout (parameters, locals, then the
// operand stack) and the function-body label.
#include <algorithm>
#include <vector>

#include "morel/framework/ControlNodes.h"
#include "morel/framework/RootNode.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/nodes/WasmNode.h"

namespace morel::wasm {

class WasmRootNode final : public InterpretedRoot<WasmRootNode> {
 public:
  /// Frame: parameters, then locals, then `stackHeight` words of operand-stack
  /// temporaries (a v128 takes two slots wherever it is).
  WasmRootNode(std::string name, FuncType type, const std::vector<ValType>& locals);

  void setBody(WasmStmt* body, uint32_t stackHeight) {
    body_ = adopt(body);
    // The results are read from the slots at height 0 even when the body never
    // pushes them (it always traps): they must exist.
    frame_.add(SlotKind::Temporary, std::max(stackHeight, resultCount()));
  }
  WasmStmt* body() const { return body_; }
  /// The inliner's measure: the function's instruction count.
  void setInlineSize(uint32_t instructions) { inlineSize_ = instructions; }
  uint32_t inlineSize() const override { return inlineSize_; }

  /// Parameters and results are counted in 64-bit words (a v128 takes two).
  uint32_t parameterCount() const override { return slotsOf(type_.params); }
  uint32_t resultCount() const override { return slotsOf(type_.results); }
  /// Results are left in the operand-stack slots at height 0.
  uint32_t resultSlot() const { return resultSlot_; }

  void partialEvaluate(GraphDomainHandle& domain) override;
  /// On-stack replacement of one of this function's loops (pe::OsrRoot).
  std::unique_ptr<RootNode> createOsrRoot(Node& loop, uint32_t enclosingLabels,
                                          const Node* entry) override;

  // The interpreter entries' parts (InterpretedRoot).
  void bindArguments(InterpFrame f, const uint64_t* io);
  void runBody(InterpDomain& d, InterpFrame& f) { body_->run(d, f); }
  void returnResults(InterpFrame f, uint64_t* io);

 protected:
  void replaceChild(Node* o, Node* n) override { swapChild(body_, o, n); }

 private:
  FuncType type_;
  uint32_t resultSlot_;
  WasmStmt* body_ = nullptr;
  uint32_t inlineSize_ = 0;
};

}  // namespace morel::wasm

#pragma once
// An instantiated module: one call target per function, each a tree of nodes
// built from the validated body.
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "morel/framework/Arena.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/Diagnostic.h"
#include "morel/framework/Runtime.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmRootNode.h"

namespace morel::wasm {

class WasmInstance {
 public:
  /// Decodes, validates and builds every function's tree.
  static Result<std::unique_ptr<WasmInstance>> instantiate(std::span<const uint8_t> bytes,
                                                           Runtime& runtime);

  const Module& module() const { return module_; }
  /// The exported function `name`, or nullptr.
  CallTarget* exportedFunction(std::string_view name) const;
  const FuncType* exportedType(std::string_view name) const;
  CallTarget& function(uint32_t index) const { return *targets_[index]; }
  WasmRootNode& root(uint32_t index) const { return *roots_[index]; }

 private:
  WasmInstance() = default;
  const Export* findExport(std::string_view name) const;

  Module module_;
  Arena arena_;
  std::vector<WasmRootNode*> roots_;
  std::vector<std::unique_ptr<CallTarget>> targets_;
};

/// Builds the node tree of function `index` into `root` (the module is valid).
Result<void> buildFunctionTree(const Module& module, uint32_t index,
                               std::span<const std::unique_ptr<CallTarget>> targets, Arena& arena,
                               WasmRootNode& root);

}  // namespace morel::wasm

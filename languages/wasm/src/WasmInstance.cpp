#include "morel/wasm/WasmInstance.h"

namespace morel::wasm {

Result<std::unique_ptr<WasmInstance>> WasmInstance::instantiate(std::span<const uint8_t> bytes,
                                                                Runtime& runtime) {
  auto module = decodeAndValidate(bytes);
  if (!module) return std::unexpected(module.error());
  std::unique_ptr<WasmInstance> instance(new WasmInstance());
  instance->module_ = std::move(*module);
  const Module& m = instance->module_;
  std::size_t n = m.functions.size();
  instance->roots_.resize(n);
  // Call targets exist before any tree, so call nodes can point at their callees.
  for (std::size_t i = 0; i < n; ++i) {
    std::string name = "func" + std::to_string(i);
    for (const Export& e : m.exports)
      if (e.kind == ExternalKind::Func && e.index == i) name = e.name;
    const Function& fn = m.functions[i];
    // The builder adds the operand-stack slots once it knows their height.
    instance->roots_[i] = instance->arena_.make<WasmRootNode>(
        name, m.typeOf(static_cast<uint32_t>(i)), fn.locals);
    instance->targets_.push_back(std::make_unique<CallTarget>(*instance->roots_[i], runtime));
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto built = buildFunctionTree(m, static_cast<uint32_t>(i), instance->targets_,
                                   instance->arena_, *instance->roots_[i]);
    if (!built) return std::unexpected(built.error());
  }
  return instance;
}

const Export* WasmInstance::findExport(std::string_view name) const {
  for (const Export& e : module_.exports)
    if (e.kind == ExternalKind::Func && e.name == name) return &e;
  return nullptr;
}

CallTarget* WasmInstance::exportedFunction(std::string_view name) const {
  const Export* e = findExport(name);
  return e ? targets_[e->index].get() : nullptr;
}

const FuncType* WasmInstance::exportedType(std::string_view name) const {
  const Export* e = findExport(name);
  return e ? &module_.typeOf(e->index) : nullptr;
}

}  // namespace morel::wasm

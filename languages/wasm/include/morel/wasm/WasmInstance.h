#pragma once
// An instantiated module: one call target per function, each a tree of nodes
// built from the validated body, and the module's memory, tables and globals.
// Imports are resolved by name against other instances (the embedder's
// registry, e.g. the spec's `register`), which share their memories, tables,
// globals and call targets with the importer.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "morel/framework/Arena.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/Diagnostic.h"
#include "morel/framework/HostFunction.h"
#include "morel/framework/LinearMemory.h"
#include "morel/framework/Runtime.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmRootNode.h"
#include "morel/wasm/WasmTable.h"

namespace morel::wasm {

/// A memory instance, shared by the module that defines it and every importer.
struct WasmMemory {
  std::unique_ptr<LinearMemory> memory;
  std::optional<uint32_t> max;  // the declared maximum in pages (for import matching)
  /// memory.grow as a host function: [delta pages] -> [old size in pages, or -1].
  std::unique_ptr<HostFunctionRoot> growRoot;
  std::unique_ptr<CallTarget> grow;

  uint32_t pages() const { return static_cast<uint32_t>(memory->size() / kPageSize); }
};

/// Bytes of a global's cell: room for a v128.
inline constexpr uint32_t kGlobalCellBytes = 16;

/// A global instance: a 16-byte cell (the value's raw bits, ValueTypes.h; a scalar in
/// the low word) in the globals' memory of the instance that defines it.
struct WasmGlobal {
  GlobalType type;
  std::shared_ptr<LinearMemory> cells;
  uint32_t offset = 0;

  uint64_t raw() const;  // a scalar's bits (the low word of a v128)
  void setRaw(uint64_t bits) const;
  V128 vector() const;  // the whole cell
  void setVector(V128 v) const;
};

/// The id call_indirect compares: equal for structurally equal function types.
uint32_t canonicalTypeId(const FuncType& type);

class WasmInstance {
 public:
  /// Finds the instance a module name refers to (nullptr: unknown).
  using Resolver = std::function<const WasmInstance*(std::string_view moduleName)>;

  struct Options {
    /// A memory reserves min(declared maximum, this) pages up front; growing past
    /// it fails (memory.grow returns -1).
    uint32_t maxMemoryPages = kMaxPages;
    /// A table reserves room for min(declared maximum, this) elements up front;
    /// growing past it fails (table.grow returns -1).
    uint64_t maxTableElements = WasmTable::kMaxElements;
    /// How compiled code bounds-checks the memories this instance defines
    /// (wasm.BoundsChecks): guard pages, or a compare per access.
    MemoryGuard memoryGuard = MemoryGuard::Below2To34;
    Resolver imports;
    /// When initialization traps, the instance is not returned, but what it wrote
    /// into imported tables stays and may refer to its functions: it is moved here
    /// (if set) for the caller to keep alive.
    std::unique_ptr<WasmInstance>* failedInstance = nullptr;
    /// Called once the instance's memories, tables and globals exist, before
    /// segments are written and the start function runs: an embedder binds host
    /// state to them here (WASI binds the exported memory).
    std::function<void(const WasmInstance&)> beforeInitialize;
  };

  /// Decodes, validates, links the imports, builds every function's tree, then
  /// initializes tables and memory from the segments and runs the start function.
  /// Link errors carry the spec's category ("unknown import", "incompatible import
  /// type"); a trap while initializing comes back as category "trap".
  static Result<std::unique_ptr<WasmInstance>> instantiate(std::span<const uint8_t> bytes,
                                                           Runtime& runtime, const Options& options);
  static Result<std::unique_ptr<WasmInstance>> instantiate(std::span<const uint8_t> bytes, Runtime& runtime) {
    return instantiate(bytes, runtime, Options{});
  }

  /// The spec test suite's host module "spectest": print functions that do nothing,
  /// global_i32 (666), global_i64 (666), global_f32 (666.6), global_f64 (666.6),
  /// memory (1 page, at most 2) and table (10 function references, at most 20).
  static std::unique_ptr<WasmInstance> spectest(Runtime& runtime,
                                                MemoryGuard memoryGuard = MemoryGuard::Below2To34);

  /// A function a host module exports: its Wasm type and the C++ behind it.
  struct HostExport {
    std::string name;
    FuncType type;
    HostFunctionRoot::Function function;
  };
  /// A module of host functions only (a system interface such as WASI): each
  /// export becomes a call target that importers call like guest code.
  static std::unique_ptr<WasmInstance> hostModule(Runtime& runtime, std::vector<HostExport> exports);

  const Module& module() const { return module_; }
  /// The exported function `name`, or nullptr.
  CallTarget* exportedFunction(std::string_view name) const;
  const FuncType* exportedType(std::string_view name) const;
  /// The export `name` of any kind, or nullptr.
  const Export* findExport(std::string_view name) const;

  // The index spaces, imports first.
  CallTarget& function(uint32_t index) const { return *functions_[index]; }
  const std::shared_ptr<WasmMemory>& memory(uint32_t index) const { return memories_[index]; }
  const std::shared_ptr<WasmGlobal>& global(uint32_t index) const { return globals_[index]; }
  const std::shared_ptr<WasmTable>& table(uint32_t index) const { return tables_[index]; }

  /// The host function call_indirect of `typeIndex` through `table` calls: it takes
  /// the arguments and the element index, checks the element and calls it.
  CallTarget& indirectCall(uint32_t table, uint32_t typeIndex);
  /// The host function of a bulk memory instruction on memory 0: memory.copy
  /// [dst src n] and memory.fill [dst value n]; memory.init [dst offset n] and
  /// data.drop [] of data segment `segment`.
  CallTarget& bulkMemory(Opcode op, uint32_t segment = 0);
  /// The host function of a table instruction with immediates a and b (see
  /// WasmOpcodes.def): table.get [i] -> [ref], table.set [i ref], table.size
  /// [] -> [n], table.grow [ref n] -> [old size or -1], table.fill [i ref n],
  /// table.copy and table.init [dst src n], elem.drop [].
  CallTarget& tableOp(Opcode op, uint32_t a, uint32_t b);
  /// The funcref of function `index` as a 64-bit word (stable for the instance's life).
  uint64_t funcRef(uint32_t index);

 private:
  explicit WasmInstance(Runtime& runtime) : runtime_(runtime) {}
  Result<void> link(const Options& options);
  Result<void> allocate(const Options& options);
  Result<void> initialize();
  CallTarget& hostFunction(std::string name, uint32_t params, uint32_t results, HostFunctionRoot::Function fn);
  std::shared_ptr<WasmMemory> newMemory(const Limits& limits, const Options& options,
                                        Result<void>& error);
  V128 evalConst(const ConstExpr& e);  // a scalar in the low word

  Runtime& runtime_;
  Module module_;
  Arena arena_;
  std::vector<CallTarget*> functions_;
  std::vector<std::unique_ptr<CallTarget>> ownTargets_;
  std::vector<std::shared_ptr<WasmMemory>> memories_;
  std::vector<std::shared_ptr<WasmGlobal>> globals_;
  std::vector<std::shared_ptr<WasmTable>> tables_;
  std::shared_ptr<LinearMemory> globalCells_;
  std::map<std::pair<uint32_t, uint32_t>, CallTarget*> indirectCalls_;
  std::map<std::pair<Opcode, uint32_t>, CallTarget*> bulkMemory_;
  std::map<std::tuple<Opcode, uint32_t, uint32_t>, CallTarget*> tableOps_;
  std::vector<std::unique_ptr<WasmFunctionRef>> funcRefs_;  // by function index, made when asked for
  /// The element segments' references; a dropped segment (elem.drop, or active or
  /// declarative once instantiated) is empty.
  std::vector<std::vector<uint64_t>> elements_;
  /// The data segments' bytes; a dropped segment (data.drop, or active once
  /// instantiated) is empty.
  std::vector<std::vector<uint8_t>> data_;
};

/// Builds the node tree of defined function `index` into `root` (the module is valid).
Result<void> buildFunctionTree(WasmInstance& instance, uint32_t index, Arena& arena, WasmRootNode& root);

}  // namespace morel::wasm

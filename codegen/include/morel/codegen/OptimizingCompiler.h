#pragma once
// The engine's compiler: partial evaluation, graph phases, global code motion,
// x86-64 emission. The phases run in the order compile() names them.
#include <string>

#include "morel/codegen/X86Backend.h"
#include "morel/framework/Runtime.h"

namespace morel::codegen {

class OptimizingCompiler final : public Compiler {
 public:
  /// `dumpDirectory`: when non-empty, one .dot file per compilation phase goes there.
  explicit OptimizingCompiler(std::string dumpDirectory = {});

  Result<CompilationResult> compile(CallTarget& target, CompileTier tier) override;
  /// The last tier (tests compile with it directly).
  Result<CompilationResult> compile(CallTarget& target) {
    return compile(target, CompileTier::Last);
  }

  /// Partial evaluation's budget of created nodes per live node of engine.MaximumGraphSize.
  static constexpr std::size_t kCreatedPerLiveNode = 4;
  /// The size engine.MaximumGraphSize bounds: live nodes plus frame-state values.
  static std::size_t backendSize(const pe::Graph& g);

 private:
  void dump(const pe::Graph& g, const CallTarget& target, const char* phase);

  std::string dumpDirectory_;
  X86Backend backend_;
  std::atomic<uint32_t> compilationId_{0};
};

}  // namespace morel::codegen

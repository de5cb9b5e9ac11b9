#include "morel/codegen/OptimizingCompiler.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "morel/codegen/Schedule.h"
#include "morel/pe/ControlFlow.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::codegen {

OptimizingCompiler::OptimizingCompiler(std::string dumpDirectory)
    : dumpDirectory_(std::move(dumpDirectory)) {}

void OptimizingCompiler::dump(const pe::Graph& g, const CallTarget& target, const char* phase) {
  if (dumpDirectory_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dumpDirectory_, ec);
  std::string file = absl::StrCat(dumpDirectory_, "/", target.name(), "-", compilationId_.load(), "-",
                                  phase, ".dot");
  std::ofstream(file) << pe::toGraphviz(g, absl::StrCat(target.name(), " ", phase));
}

/// What the backend's cost grows with: the live nodes, plus every value a deopt
/// exit's frame state keeps alive to it (a function of 1,000 locals with a deopt
/// exit at each of its 2,000 statements is 20,000 nodes, but 2 million live
/// ranges for asmjit's register allocator: minutes, not milliseconds).
std::size_t OptimizingCompiler::backendSize(const pe::Graph& g) {
  std::size_t size = 0;
  for (const pe::IrNode* n : g.liveNodes()) size += n->op() == pe::Op::Deopt ? n->inputCount() : 1;
  return size;
}

Result<CompilationResult> OptimizingCompiler::compile(CallTarget& target, CompileTier tier) {
  ++compilationId_;
  // The budget bounds what the backend sees, the live graph after optimization:
  // asmjit's register allocator is what grows faster than linearly. Partial
  // evaluation creates more nodes than survive (superseded frame values, folded
  // checks), so it gets four times as many before it gives up early.
  const auto maxLive = static_cast<std::size_t>(target.runtime().maximumGraphSize());
  // The first tier keeps calls as calls and counts down to the last tier.
  const bool first = tier == CompileTier::First;
  pe::PartialEvaluationTier peTier{
      .inlining = !first,
      .countDown = first && target.runtime().tiersUp() ? target.tierUpCounter() : nullptr};
  auto pe = pe::partialEvaluate(target, kCreatedPerLiveNode * maxLive, peTier);
  if (!pe) return std::unexpected(pe.error());
  pe::Graph& g = *pe->graph;
  dump(g, target, "after-pe");
  if (first)
    pe::optimizeFirstTier(g);
  else
    pe::optimize(g);
  dump(g, target, "after-opt");
  if (std::size_t size = backendSize(g); maxLive != 0 && size > maxLive)
    return fail("graph too large", 0, Diagnostic::Unit::Byte,
                absl::StrCat(size, " nodes and frame-state values after optimization passed "
                             "engine.MaximumGraphSize (", maxLive, "); the function stays interpreted"));
  pe::ControlFlowGraph cfg(g);
  Schedule schedule = scheduleGraph(g, cfg);

  auto code = backend_.emit(g, cfg, schedule, target);
  if (!code) return std::unexpected(code.error());
  (*code)->inlinedVersions = std::move(pe->inlinedVersions);
  (*code)->deoptChains = std::move(pe->deoptChains);
  return CompilationResult{std::move(*code), g.liveCount(), pe->inlinedCalls};
}

}  // namespace morel::codegen

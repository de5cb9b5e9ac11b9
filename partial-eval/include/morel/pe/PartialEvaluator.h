#pragma once
// Partial evaluation of one call target: its root node runs in the graph
// domain, and the specialized tree becomes a sea-of-nodes graph.
#include <memory>

#include "morel/framework/CallTarget.h"
#include "morel/framework/Diagnostic.h"
#include "morel/pe/Graph.h"

namespace morel::pe {

struct PartialEvaluation {
  std::unique_ptr<Graph> graph;
  uint32_t deoptGuards = 0;
  uint32_t inlinedCalls = 0;
  /// The roots inlined and their specialization versions (InstalledCode::inlinedVersions).
  std::vector<std::pair<RootNode*, uint64_t>> inlinedVersions;
  /// The chains the graph's Deopt exits inside inlined code point at.
  std::vector<std::unique_ptr<DeoptChain>> deoptChains;
};

/// What the tier asks of partial evaluation (CompileTier).
struct PartialEvaluationTier {
  bool inlining = true;  // and engine.Inlining allows it
  /// First-tier code counts down this counter at its entry and loop headers
  /// and calls its request when it reaches zero (null: no counting).
  TierUpCounter* countDown = nullptr;
};

/// Runs the target's tree in the graph domain while holding its root's
/// specialization lock (shared). Fails when the graph would exceed `maxNodes`
/// nodes (0: no limit): the caller leaves the target interpreted.
Result<PartialEvaluation> partialEvaluate(CallTarget& target, std::size_t maxNodes = 0,
                                          PartialEvaluationTier tier = {});

}  // namespace morel::pe

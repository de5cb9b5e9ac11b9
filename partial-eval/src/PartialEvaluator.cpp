#include "morel/pe/PartialEvaluator.h"

#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "morel/framework/RootNode.h"
#include "morel/pe/GraphDomain.h"

namespace morel::pe {

Result<PartialEvaluation> partialEvaluate(CallTarget& target, std::size_t maxNodes,
                                          PartialEvaluationTier tier) {
  std::shared_lock lock(target.root().specializationRoot().specializationMutex());
  auto graph = std::make_unique<Graph>();
  graph->setNodeLimit(maxNodes);
  try {
    GraphDomain domain(*graph, target, target.root().parameterCount(), tier.inlining,
                       tier.countDown);
    target.root().partialEvaluate(domain);
    domain.finish();
    graph->setNodeLimit(0);
    return PartialEvaluation{std::move(graph), domain.deoptGuards(), domain.inlinedCalls(),
                             domain.inlinedVersions(), domain.takeDeoptChains()};
  } catch (const GraphTooLarge& e) {
    return fail("graph too large", 0, Diagnostic::Unit::Byte,
                absl::StrCat("partial evaluation created ", e.limit,
                             " nodes; the function stays interpreted"));
  }
}

}  // namespace morel::pe

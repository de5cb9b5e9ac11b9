#include "morel/pe/PartialEvaluator.h"

#include "morel/framework/RootNode.h"
#include "morel/pe/GraphDomain.h"

namespace morel::pe {

PartialEvaluation partialEvaluate(CallTarget& target) {
  auto graph = std::make_unique<Graph>();
  GraphDomain domain(*graph, target, target.root().parameterCount());
  target.root().partialEvaluate(domain);
  domain.finish();
  return {std::move(graph), domain.deoptGuards()};
}

}  // namespace morel::pe

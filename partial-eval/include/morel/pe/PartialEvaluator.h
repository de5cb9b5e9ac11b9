#pragma once
// Partial evaluation of one call target: its root node runs in the graph
// domain, and the specialized tree becomes a sea-of-nodes graph.
#include <memory>

#include "morel/framework/CallTarget.h"
#include "morel/pe/Graph.h"

namespace morel::pe {

struct PartialEvaluation {
  std::unique_ptr<Graph> graph;
  uint32_t deoptGuards = 0;
};

PartialEvaluation partialEvaluate(CallTarget& target);

}  // namespace morel::pe

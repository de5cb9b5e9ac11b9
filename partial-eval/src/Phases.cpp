// The phase driver: the one place that says in which order phases run.
#include "morel/pe/Phases.h"

#include <cassert>
#include <cstring>

namespace morel::pe {

void optimize(Graph& g, std::vector<std::string>* ran) {
  std::size_t next = 0;
  // Each phase asserts it runs where kOptimizationPhases lists it.
  auto phase = [&](const char* name) {
    assert(next < std::size(kOptimizationPhases) &&
           std::strcmp(kOptimizationPhases[next], name) == 0);
    ++next;
    if (ran != nullptr) ran->push_back(name);
  };
  phase("simplifyPhis");
  simplifyPhis(g);
  phase("removeDeadNodes");
  removeDeadNodes(g);  // the control-flow graph below wants only live nodes
  phase("eliminateConditions");
  if (eliminateConditions(g) > 0) removeDeadNodes(g);
  // After conditional elimination: a check a dominating one decided is gone, not moved.
  phase("hoistLoopInvariants");
  if (hoistLoopInvariants(g) > 0) removeDeadNodes(g);
  phase("versionLoopsByBounds");
  if (versionLoopsByBounds(g) > 0) removeDeadNodes(g);
  phase("hoistMemorySizes");
  if (hoistMemorySizes(g) > 0) removeDeadNodes(g);
  // Last of the phases that read bounds checks: the others know the two-compare form.
  phase("fuseBoundsCompares");
  if (fuseBoundsCompares(g) > 0) removeDeadNodes(g);
  phase("reduceStrength");
  if (reduceStrength(g) > 0) removeDeadNodes(g);
  assert(next == std::size(kOptimizationPhases));
}

void optimizeFirstTier(Graph& g) {
  simplifyPhis(g);
  removeDeadNodes(g);
}

}  // namespace morel::pe

// The phase driver: the one place that says in which order phases run.
#include "morel/pe/Phases.h"

namespace morel::pe {

void optimize(Graph& g) {
  simplifyPhis(g);
  removeDeadNodes(g);  // the control-flow graph below wants only live nodes
  if (eliminateConditions(g) > 0) removeDeadNodes(g);
}

void optimizeFirstTier(Graph& g) {
  simplifyPhis(g);
  removeDeadNodes(g);
}

}  // namespace morel::pe

#pragma once
// Graph phases run after partial evaluation, in the order the driver names.
#include <string>

#include "morel/pe/Graph.h"

namespace morel::pe {

/// Phi(r, x, x) => x;  Loop(entry) without back-edges => entry.
void simplifyPhis(Graph& g);

/// Cuts every node End cannot reach, so use lists name only live nodes.
void removeDeadNodes(Graph& g);

/// Decides the Ifs a dominating If already decided, when the side not taken is
/// one trap or deopt exit: the same condition again, or a bounds check of an
/// access no further than one a dominating check admitted (`base + c > size`
/// known false decides `base + c' > size` for c' <= c when base cannot wrap).
/// Returns how many Ifs it removed. Needs a graph after removeDeadNodes.
uint32_t eliminateConditions(Graph& g);

/// Runs the optimization phases in order: phi simplification, dead code
/// removal, conditional elimination (and dead code removal after it).
void optimize(Graph& g);
/// The first tier's phases: what the control-flow graph needs (phi
/// simplification, dead code removal) and nothing that only makes code faster.
void optimizeFirstTier(Graph& g);

/// The graph in Graphviz dot syntax (rendered with `dot -Tsvg`).
std::string toGraphviz(const Graph& g, const std::string& title);

}  // namespace morel::pe

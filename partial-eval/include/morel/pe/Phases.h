#pragma once
// Graph phases run after partial evaluation, in the order the driver names.
#include <string>

#include "morel/pe/Graph.h"

namespace morel::pe {

/// Phi(r, x, x) => x;  Loop(entry) without back-edges => entry.
void simplifyPhis(Graph& g);

/// Cuts every node End cannot reach, so use lists name only live nodes.
void removeDeadNodes(Graph& g);

/// Runs the optimization phases in order: phi simplification, dead code removal.
void optimize(Graph& g);

/// The graph in Graphviz dot syntax (rendered with `dot -Tsvg`).
std::string toGraphviz(const Graph& g, const std::string& title);

}  // namespace morel::pe

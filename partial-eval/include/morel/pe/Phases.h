#pragma once
// Graph phases run after partial evaluation, in the order the driver names.
#include <string>
#include <vector>

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

/// Moves out of each loop the bounds checks and loads of its prefix (the run
/// from the header that every iteration passes before a side effect or branch
/// of its own) whose operands do not change in the loop: a check traps before
/// the loop with the kind the first iteration would have trapped with; a load
/// moves only when the loop neither stores to its memory nor calls. Returns how
/// many nodes it moved. Needs a graph after removeDeadNodes.
uint32_t hoistLoopInvariants(Graph& g);

/// Gives an innermost counted loop (a 64-bit counter stepping by one to an
/// invariant bound) whose bounds checks test addresses that advance by a power
/// of two a copy without those checks, entered when one test before the loop
/// proves every iteration in bounds; otherwise the checked loop runs, and traps
/// where it did. Returns how many loops it copied.
uint32_t versionLoopsByBounds(Graph& g);

/// Multiplications, divisions and remainders by a power of two become shifts and
/// masks (signed division rounds toward zero). Returns how many it replaced.
uint32_t reduceStrength(Graph& g);

/// The phases optimize runs, in order (dead code removal after a phase that
/// changed the graph is not listed).
inline constexpr const char* kOptimizationPhases[] = {"simplifyPhis",         "removeDeadNodes",
                                                      "eliminateConditions",  "hoistLoopInvariants",
                                                      "versionLoopsByBounds", "reduceStrength"};

/// Runs the optimization phases in the order kOptimizationPhases names, each
/// followed by dead code removal when it changed the graph. `ran`, when given,
/// receives each phase's name as it runs.
void optimize(Graph& g, std::vector<std::string>* ran = nullptr);
/// The first tier's phases: what the control-flow graph needs (phi
/// simplification, dead code removal) and nothing that only makes code faster.
void optimizeFirstTier(Graph& g);

/// The graph in Graphviz dot syntax (rendered with `dot -Tsvg`).
std::string toGraphviz(const Graph& g, const std::string& title);

}  // namespace morel::pe

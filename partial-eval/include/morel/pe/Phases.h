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
/// known false decides `base + c' > size` for c' <= c when base cannot wrap),
/// or one that ends below its memory's floor (LinearMemory::floor: a constant
/// address, or an index a passed `i <u K` bounds).
/// Returns how many Ifs it removed. Needs a graph after removeDeadNodes.
uint32_t eliminateConditions(Graph& g);

/// Moves out of each loop the bounds checks and loads of its prefix (the run
/// from the header that every iteration passes before a side effect or branch
/// of its own) whose operands do not change in the loop: a check traps before
/// the loop with the kind the first iteration would have trapped with; a load
/// moves only when the loop neither stores to its memory nor calls. Returns how
/// many nodes it moved. Needs a graph after removeDeadNodes.
uint32_t hoistLoopInvariants(Graph& g);

/// Gives an innermost loop without calls a copy without the bounds checks one
/// test before the loop proves: addresses that advance by a power of two over
/// a counted loop (a 64-bit or i32 counter, or pointer, stepping by ±2^k until it
/// equals an invariant bound, or by one while below it, `<u` or `<s`; an i32
/// address proven not to wrap), or a zero-extended index `zext(i << k) + c` bounded by a
/// passed `i <u b` in the same iteration. Otherwise the checked
/// loop runs, and traps where it did. Returns how many loops it copied.
uint32_t versionLoopsByBounds(Graph& g);

/// In a loop without calls, each memory's size is the one read before the loop
/// (only calls change a size): MemSizes anchored in the loop read it at the
/// loop's entry instead. Returns how many it moved.
uint32_t hoistMemorySizes(Graph& g);

/// In a loop whose memory size is read before it, a bounds check `a > size |
/// a + w > size` (a 64-bit address) or `zext(i) + c > size` (a 32-bit index) becomes one compare of
/// the address, `a >= limit` with limit = size >= w ? size - w + 1 : 0, computed once per size and
/// width. Returns how many checks it rewrote. Runs after the phases that read checks in their built
/// form.
uint32_t fuseBoundsCompares(Graph& g);

/// Multiplications, divisions and remainders by a power of two become shifts and
/// masks (signed division rounds toward zero). Returns how many it replaced.
uint32_t reduceStrength(Graph& g);

/// The phases optimize runs, in order (dead code removal after a phase that
/// changed the graph is not listed).
inline constexpr const char* kOptimizationPhases[] = {
    "simplifyPhis",         "removeDeadNodes",  "eliminateConditions", "hoistLoopInvariants",
    "versionLoopsByBounds", "hoistMemorySizes", "fuseBoundsCompares",  "reduceStrength"};

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

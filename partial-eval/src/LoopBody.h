#pragma once
// A loop's control nodes, walked back from each of its back-edges to the header
// (an inner loop's nodes and back-edges too), for the phases that ask what runs
// in a loop: its calls, its stores, the MemSizes anchored in it.
#include <vector>

#include "morel/pe/Graph.h"

namespace morel::pe {

/// The header first, then every other control node in the order the walk finds
/// them (the same every run, so phases that follow it build the same graph).
std::vector<IrNode*> loopControlBody(IrNode* loop);

}  // namespace morel::pe

#pragma once
// Global code motion (Click 1995): control nodes, phis and pinned values stay
// in their blocks; every floating value is placed as late as its uses allow,
// then hoisted towards its earliest legal block while that lowers the loop
// depth. Each block's nodes are then ordered so inputs come before users.
#include <vector>

#include "morel/pe/ControlFlow.h"
#include "morel/pe/Graph.h"

namespace morel::codegen {

struct Schedule {
  std::vector<std::vector<pe::IrNode*>> blockNodes;  // per block id, in emission order
  std::vector<int32_t> blockOfNode;                  // per node id; -1 for constants
};

/// A block that only leads from a loop's latch back to its header: one
/// predecessor, one successor, the loop it closes.
bool isBackEdgeBlock(const pe::ControlFlowGraph& cfg, uint32_t b);

/// Constants are not placed: the emitter materializes them at each use.
Schedule scheduleGraph(const pe::Graph& g, const pe::ControlFlowGraph& cfg);

}  // namespace morel::codegen

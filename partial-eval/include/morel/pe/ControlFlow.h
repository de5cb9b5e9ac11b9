#pragma once
// The basic blocks hidden in a graph's control edges, with their dominator
// tree (Boost.Graph's Lengauer-Tarjan) and loop nesting depth (natural loops of
// the back-edges). Global code motion places every floating node on this.
#include <cstdint>
#include <vector>

#include "morel/pe/Graph.h"

namespace morel::pe {

struct BasicBlock {
  uint32_t id = 0;
  IrNode* head = nullptr;             // Start, Region, Loop, IfTrue or IfFalse
  std::vector<IrNode*> controls;      // head first, then Calls/Projs and the terminator
  std::vector<uint32_t> preds;        // in the head's input order for Region/Loop
  std::vector<uint32_t> succs;        // If: {true, false}
  int32_t idom = -1;
  uint32_t domDepth = 0;
  uint32_t loopDepth = 0;
};

class ControlFlowGraph {
 public:
  /// Builds blocks from a graph that went through removeDeadNodes.
  explicit ControlFlowGraph(const Graph& g);

  const std::vector<BasicBlock>& blocks() const { return blocks_; }
  const BasicBlock& block(uint32_t id) const { return blocks_[id]; }
  /// The block whose control chain holds `n`, or -1 for data nodes.
  int32_t blockOf(const IrNode* n) const;
  /// Blocks in reverse post-order (entry first): the emission order.
  const std::vector<uint32_t>& reversePostOrder() const { return rpo_; }
  uint32_t commonDominator(uint32_t a, uint32_t b) const;
  bool dominates(uint32_t a, uint32_t b) const;

 private:
  void buildBlocks(const Graph& g);
  void computeDominators();
  void computeLoops();

  std::vector<BasicBlock> blocks_;
  std::vector<int32_t> blockOfNode_;
  std::vector<uint32_t> rpo_;
  std::vector<std::pair<uint32_t, uint32_t>> backEdges_;  // (source, header) from the DFS
};

}  // namespace morel::pe

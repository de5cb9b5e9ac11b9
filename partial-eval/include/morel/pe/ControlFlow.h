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
  /// Whether `block` lies in the natural loop headed by `header` (false when
  /// `header` heads none).
  bool loopContains(uint32_t header, uint32_t block) const {
    return loopOf_[header] >= 0 && loopBodies_[loopOf_[header]][block];
  }
  /// A loop header with no other loop header inside its loop: the code that runs most.
  bool isInnermostLoopHeader(uint32_t block) const { return innermost_[block]; }

 private:
  void buildBlocks(const Graph& g);
  void computeDominators();
  void computeLoops();

  std::vector<BasicBlock> blocks_;
  std::vector<int32_t> blockOfNode_;
  std::vector<uint32_t> rpo_;
  std::vector<std::pair<uint32_t, uint32_t>> backEdges_;  // (source, header) from the DFS
  std::vector<int32_t> loopOf_;                // per block: its loop's row in loopBodies_, or -1
  std::vector<std::vector<bool>> loopBodies_;  // per loop header: per block, inside it
  std::vector<bool> innermost_;                // per block: an innermost loop header
};

}  // namespace morel::pe

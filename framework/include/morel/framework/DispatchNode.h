#pragma once
// Unstructured control (design brief, rule 4): a program is a list of basic
// blocks, each returning the index of its successor. The interpreter loops over
// block indices; the graph domain runs each block once per distinct index,
// forking at conditional jumps and merging paths that reach the same block, so
// the dispatch loop disappears into the program's real control-flow graph.
//
// `B` is the language's block kind: its Result<D> is D::Successor. The block
// ends by returning d.jump(i, f), d.branch(cond, profile, taken, fallthrough, f)
// or d.leave(f).
#include <algorithm>
#include <memory>
#include <vector>

#include "morel/framework/DomainNode.h"
#include "morel/framework/Osr.h"

namespace morel {

template <class S, class B>
class BlockDispatchNode final : public Implements<BlockDispatchNode<S, B>, S> {
 public:
  /// `successors[i]` lists the blocks block i may jump to; block 0 is the entry.
  BlockDispatchNode(std::vector<B*> blocks, const std::vector<std::vector<uint32_t>>& successors) {
    for (B* b : blocks) blocks_.push_back(this->adopt(b));
    orderBlocks(successors);
    osr_.resize(blocks_.size());
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      if (!loopHeaders_[b]) continue;
      osr_[b] = std::make_unique<OsrPoint>();
      osr_[b]->setLoop(this, blocks_[b]);
    }
  }
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    // A resumed activation re-enters at the start of the block it deoptimized in.
    uint32_t entry = 0;
    if (d.resuming())
      while (entry < blocks_.size() && !d.resumeInto(blocks_[entry])) ++entry;
    d.dispatch(
        f, entry, order_, loopHeaders_,
        [&](uint32_t i) {
          d.beginStatement(blocks_[i], f);  // each block is a resume point
          return blocks_[i]->run(d, f);
        },
        [&](uint32_t i) { return osr_[i].get(); });
  }
  /// Reachable blocks in reverse post-order: every block after its forward predecessors.
  const std::vector<uint32_t>& order() const { return order_; }
  /// True for blocks entered by a back-edge (from a block at or after it in order()).
  const std::vector<bool>& loopHeaders() const { return loopHeaders_; }
  std::size_t blockCount() const { return blocks_.size(); }
  std::string_view kind() const override { return "BlockDispatch"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    for (B*& b : blocks_) swapChild(b, o, n);
  }

 private:
  void orderBlocks(const std::vector<std::vector<uint32_t>>& successors) {
    std::size_t n = blocks_.size();
    std::vector<uint8_t> state(n);  // 0 new, 1 on the DFS stack, 2 finished
    std::vector<std::pair<uint32_t, std::size_t>> stack;
    if (n > 0) stack.push_back({0, 0});
    if (n > 0) state[0] = 1;
    while (!stack.empty()) {
      auto& [b, next] = stack.back();
      if (next < successors[b].size()) {
        uint32_t s = successors[b][next++];
        if (state[s] == 0) {
          state[s] = 1;
          stack.push_back({s, 0});
        }
        continue;
      }
      state[b] = 2;
      order_.push_back(b);
      stack.pop_back();
    }
    std::reverse(order_.begin(), order_.end());
    std::vector<std::size_t> position(n, n);
    for (std::size_t i = 0; i < order_.size(); ++i) position[order_[i]] = i;
    loopHeaders_.assign(n, false);
    for (uint32_t b : order_)
      for (uint32_t s : successors[b])
        if (position[s] <= position[b]) loopHeaders_[s] = true;
  }

  std::vector<B*> blocks_;
  std::vector<std::unique_ptr<OsrPoint>> osr_;  // per loop-header block
  std::vector<uint32_t> order_;
  std::vector<bool> loopHeaders_;
};

}  // namespace morel

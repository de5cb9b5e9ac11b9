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
#include <vector>

#include "morel/framework/DomainNode.h"

namespace morel {

template <class S, class B>
class BlockDispatchNode final : public Implements<BlockDispatchNode<S, B>, S> {
 public:
  /// `loopHeaders[i]` is true when some block at index >= i jumps to block i.
  BlockDispatchNode(std::vector<B*> blocks, std::vector<bool> loopHeaders)
      : loopHeaders_(std::move(loopHeaders)) {
    for (B* b : blocks) blocks_.push_back(this->adopt(b));
  }
  template <class D>
  void execute(D& d, typename D::Frame& f) {
    d.dispatch(f, static_cast<uint32_t>(blocks_.size()), loopHeaders_,
               [&](uint32_t i) { return blocks_[i]->run(d, f); });
  }
  std::size_t blockCount() const { return blocks_.size(); }
  std::string_view kind() const override { return "BlockDispatch"; }

 protected:
  void replaceChild(Node* o, Node* n) override {
    for (B*& b : blocks_) swapChild(b, o, n);
  }

 private:
  std::vector<B*> blocks_;
  std::vector<bool> loopHeaders_;
};

}  // namespace morel

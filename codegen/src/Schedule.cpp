#include "morel/codegen/Schedule.h"

#include <algorithm>
#include <functional>

namespace morel::codegen {

using pe::IrNode;
using pe::Op;
using pe::OpClass;

namespace {

class Scheduler {
 public:
  Scheduler(const pe::Graph& g, const pe::ControlFlowGraph& cfg) : g_(g), cfg_(cfg) {
    block_.assign(g.nodes().size(), -1);
    early_.assign(g.nodes().size(), -1);
    live_ = g.liveNodes();
  }

  Schedule run() {
    pinAll();
    for (IrNode* n : live_) scheduleEarly(n);
    std::vector<bool> done(g_.nodes().size());
    for (IrNode* n : live_) scheduleLate(n, done);
    return order();
  }

 private:
  bool floats(const IrNode* n) const {
    return n->opClass() == OpClass::Pure;
  }

  void pinAll() {
    for (IrNode* n : live_) {
      int32_t b = cfg_.blockOf(n);
      if (b < 0) {
        switch (n->opClass()) {
          case OpClass::Phi: b = cfg_.blockOf(n->input(0)); break;
          case OpClass::Param: b = 0; break;
          case OpClass::Proj: b = cfg_.blockOf(n->input(0)); break;  // data results of a Call
          case OpClass::Pinned: b = cfg_.blockOf(n->input(0)); break;
          default: break;
        }
      }
      block_[n->id()] = b;
      if (b >= 0) early_[n->id()] = b;
    }
  }

  int32_t scheduleEarly(IrNode* n) {
    if (early_[n->id()] >= 0 || n->isConst()) return early_[n->id()];
    if (!floats(n)) return early_[n->id()];
    int32_t best = 0;
    for (IrNode* in : n->inputs()) {
      if (in == nullptr || in->isConst()) continue;
      int32_t b = scheduleEarly(in);
      if (b >= 0 && cfg_.block(b).domDepth > cfg_.block(best).domDepth) best = b;
    }
    early_[n->id()] = best;
    return best;
  }

  /// The block where `user` needs `n`: a phi needs it at the end of the matching predecessor.
  int32_t useBlock(IrNode* n, IrNode* user) {
    if (user->op() == Op::Phi) {
      const pe::BasicBlock& merge = cfg_.block(block_[user->id()]);
      int32_t lca = -1;
      for (std::size_t i = 1; i < user->inputCount(); ++i)
        if (user->input(i) == n) lca = combine(lca, merge.preds[i - 1]);
      return lca;
    }
    return block_[user->id()];
  }

  int32_t combine(int32_t lca, int32_t b) {
    if (b < 0) return lca;
    return lca < 0 ? b : static_cast<int32_t>(cfg_.commonDominator(lca, b));
  }

  void scheduleLate(IrNode* n, std::vector<bool>& done) {
    if (done[n->id()]) return;
    done[n->id()] = true;
    if (!floats(n)) return;
    int32_t lca = -1;
    for (IrNode* u : n->uses()) {
      scheduleLate(u, done);
      lca = combine(lca, useBlock(n, u));
    }
    int32_t early = early_[n->id()];
    if (lca < 0) lca = early;
    // Walk up the dominator tree from the latest block to the earliest,
    // keeping the shallowest loop depth (the latest block among equals).
    int32_t best = lca;
    for (int32_t b = lca; b >= 0; b = cfg_.block(b).idom) {
      if (cfg_.block(b).loopDepth < cfg_.block(best).loopDepth) best = b;
      if (b == early) break;
    }
    // A value only a loop's back edge needs is computed in the latch, not in the
    // edge's own block: that block stays empty, and the latch's conditional branch
    // can jump straight to the header. Not when the latch's branch still reads one
    // of its inputs (a loop tested at the top): the old and new values would both
    // be live there, and the phi would need a copy after all.
    if (best != early && isBackEdgeBlock(cfg_, static_cast<uint32_t>(best))) {
      const pe::BasicBlock& latch = cfg_.block(cfg_.block(best).idom);
      bool sameLoop = latch.loopDepth == cfg_.block(best).loopDepth;
      if (sameLoop && !branchReadsAnInputOf(latch, n) && phiInputsEndInLatch(latch, n))
        best = latch.id;
    }
    block_[n->id()] = best;
  }

  /// Whether every phi that `n` reads is used, besides by `n`, only within the
  /// iteration up to the latch: not by a phi (a loop exit's merge, an outer loop)
  /// nor in a block the latch does not dominate, where the old value would still
  /// be live after `n` is computed.
  bool phiInputsEndInLatch(const pe::BasicBlock& latch, const IrNode* n) const {
    for (IrNode* x : n->inputs()) {
      if (x == nullptr || x->op() != Op::Phi) continue;
      for (IrNode* u : x->uses()) {
        if (u == n) continue;
        int32_t b = block_[u->id()];
        if (u->op() == Op::Phi || b < 0 || !cfg_.dominates(static_cast<uint32_t>(b), latch.id))
          return false;
      }
    }
    return true;
  }

  /// Whether the branch that ends `latch` reads one of `n`'s inputs (through its
  /// condition, a compare or an or of compares).
  static bool branchReadsAnInputOf(const pe::BasicBlock& latch, const IrNode* n) {
    const IrNode* branch = latch.controls.back();
    if (branch->op() != Op::If) return false;
    auto reads = [&](const IrNode* c, auto& self, int depth) -> bool {
      for (IrNode* in : n->inputs())
        if (c == in) return true;
      if (depth == 0 || c->isConst() || c->op() == Op::Phi) return false;
      for (IrNode* x : c->inputs())
        if (x != nullptr && self(x, self, depth - 1)) return true;
      return false;
    };
    return reads(branch->input(1), reads, 2);
  }

  Schedule order() {
    Schedule s;
    s.blockNodes.resize(cfg_.blocks().size());
    s.blockOfNode = block_;
    std::vector<uint8_t> placed(g_.nodes().size());
    std::vector<std::vector<IrNode*>> members(cfg_.blocks().size());
    for (IrNode* n : live_)
      if (block_[n->id()] >= 0 && !n->isConst()) members[block_[n->id()]].push_back(n);

    for (const pe::BasicBlock& bb : cfg_.blocks()) {
      auto& out = s.blockNodes[bb.id];
      // Places `root` after its inputs in this block (post-order), with an explicit
      // stack: a long dependency chain must not recurse once per node on the host stack.
      auto eligible = [&](IrNode* n) {
        return n != nullptr && !placed[n->id()] && !n->isConst() &&
               block_[n->id()] == static_cast<int32_t>(bb.id);
      };
      std::vector<std::pair<IrNode*, std::size_t>> pending;
      auto place = [&](IrNode* root) {
        if (!eligible(root)) return;
        placed[root->id()] = 1;
        pending.push_back({root, 0});
        while (!pending.empty()) {
          IrNode* n = pending.back().first;
          std::size_t i = pending.back().second;
          bool expand = n->op() != Op::Phi && !n->isBlockStart();
          if (expand && i < n->inputCount()) {
            pending.back().second = i + 1;
            IrNode* in = n->input(i);
            if (eligible(in)) {
              placed[in->id()] = 1;
              pending.push_back({in, 0});
            }
            continue;
          }
          out.push_back(n);
          pending.pop_back();
        }
      };
      place(bb.head);
      for (IrNode* n : members[bb.id])
        if (n->op() == Op::Phi || n->op() == Op::Param) place(n);
      // Everything but the terminator, in chain order, each after its inputs;
      // then the remaining values; then the terminator.
      IrNode* last = bb.controls.back();
      bool terminates = last->op() == Op::If || last->isExit();
      std::size_t chainEnd = bb.controls.size() - (terminates ? 1 : 0);
      for (std::size_t i = 1; i < chainEnd; ++i) {
        place(bb.controls[i]);
        // A call's results are read right after it.
        for (IrNode* u : bb.controls[i]->uses())
          if (u->op() == Op::Proj) place(u);
      }
      // Control nodes were placed with the chain; the terminator goes last.
      for (IrNode* n : members[bb.id])
        if (!n->isControl()) place(n);
      if (terminates) place(last);
    }
    return s;
  }

  const pe::Graph& g_;
  const pe::ControlFlowGraph& cfg_;
  std::vector<IrNode*> live_;
  std::vector<int32_t> block_;
  std::vector<int32_t> early_;
};

}  // namespace

bool isBackEdgeBlock(const pe::ControlFlowGraph& cfg, uint32_t b) {
  const pe::BasicBlock& bb = cfg.block(b);
  if (bb.preds.size() != 1 || bb.succs.size() != 1) return false;
  uint32_t header = bb.succs[0];
  return cfg.block(header).head->op() == Op::Loop && cfg.dominates(header, b);
}

Schedule scheduleGraph(const pe::Graph& g, const pe::ControlFlowGraph& cfg) {
  return Scheduler(g, cfg).run();
}

}  // namespace morel::codegen

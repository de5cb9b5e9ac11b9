#include "morel/pe/ControlFlow.h"

#include <algorithm>
#include <cassert>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/dominator_tree.hpp>

namespace morel::pe {

namespace {

/// The control node that follows `n` in its chain (nullptr at an exit).
IrNode* nextControl(const IrNode* n) {
  if (n->type() == Type::Tuple) {  // Call, Load: control continues in projection 0
    for (IrNode* u : n->uses())
      if (u->op() == Op::Proj && u->type() == Type::Control) return u;
    return nullptr;
  }
  for (IrNode* u : n->uses()) {
    if (u->op() == Op::Region || u->op() == Op::Loop) return u;
    if (u->isControl() && u->op() != Op::Proj && u->op() != Op::End && u->inputCount() > 0 &&
        u->input(0) == n)
      return u;
  }
  return nullptr;
}

}  // namespace

ControlFlowGraph::ControlFlowGraph(const Graph& g) {
  buildBlocks(g);
  computeDominators();
  computeLoops();
}

int32_t ControlFlowGraph::blockOf(const IrNode* n) const {
  return n->id() < blockOfNode_.size() ? blockOfNode_[n->id()] : -1;
}

void ControlFlowGraph::buildBlocks(const Graph& g) {
  blockOfNode_.assign(g.nodes().size(), -1);
  std::vector<IrNode*> work{g.start()};
  auto blockFor = [&](IrNode* head) -> uint32_t {
    if (blockOfNode_[head->id()] >= 0) return static_cast<uint32_t>(blockOfNode_[head->id()]);
    uint32_t id = static_cast<uint32_t>(blocks_.size());
    blocks_.emplace_back();
    blocks_.back().id = id;
    blocks_.back().head = head;
    blockOfNode_[head->id()] = static_cast<int32_t>(id);
    work.push_back(head);
    return id;
  };
  work.clear();
  blockFor(g.start());
  while (!work.empty()) {
    IrNode* head = work.back();
    work.pop_back();
    uint32_t b = static_cast<uint32_t>(blockOfNode_[head->id()]);
    std::vector<IrNode*> chain{head};
    std::vector<uint32_t> succs;
    for (IrNode* cur = head;;) {
      IrNode* next = nextControl(cur);
      if (next == nullptr) break;
      if (next->op() == Op::Region || next->op() == Op::Loop) {
        succs.push_back(blockFor(next));
        break;
      }
      chain.push_back(next);
      blockOfNode_[next->id()] = static_cast<int32_t>(b);
      if (next->op() == Op::If) {
        IrNode* t = nullptr;
        IrNode* f = nullptr;
        for (IrNode* u : next->uses()) (u->op() == Op::IfTrue ? t : f) = u;
        succs.push_back(blockFor(t));
        succs.push_back(blockFor(f));
        break;
      }
      cur = next;
    }
    blocks_[b].controls = std::move(chain);
    blocks_[b].succs = std::move(succs);
  }
  for (BasicBlock& bb : blocks_) {
    IrNode* h = bb.head;
    if (h->op() == Op::Region || h->op() == Op::Loop) {
      for (IrNode* in : h->inputs()) bb.preds.push_back(static_cast<uint32_t>(blockOfNode_[in->id()]));
    } else if (h->op() == Op::IfTrue || h->op() == Op::IfFalse) {
      bb.preds.push_back(static_cast<uint32_t>(blockOfNode_[h->input(0)->id()]));
    }
  }
}

void ControlFlowGraph::computeDominators() {
  using G = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
  using Vertex = boost::graph_traits<G>::vertex_descriptor;
  G cfg(blocks_.size());
  for (const BasicBlock& b : blocks_)
    for (uint32_t s : b.succs) boost::add_edge(b.id, s, cfg);
  std::vector<Vertex> idom(blocks_.size(), boost::graph_traits<G>::null_vertex());
  auto idomMap = boost::make_iterator_property_map(idom.begin(), boost::get(boost::vertex_index, cfg));
  boost::lengauer_tarjan_dominator_tree(cfg, boost::vertex(0, cfg), idomMap);

  // One depth-first search gives the reverse post-order and the loops'
  // back-edges (edges into a block still on the DFS stack).
  struct Visitor : boost::default_dfs_visitor {
    std::vector<uint32_t>* postOrder;
    std::vector<std::pair<uint32_t, uint32_t>>* backEdges;
    void finish_vertex(Vertex v, const G&) const { postOrder->push_back(static_cast<uint32_t>(v)); }
    void back_edge(boost::graph_traits<G>::edge_descriptor e, const G& g) const {
      backEdges->push_back({static_cast<uint32_t>(boost::source(e, g)), static_cast<uint32_t>(boost::target(e, g))});
    }
  };
  Visitor visitor;
  visitor.postOrder = &rpo_;
  visitor.backEdges = &backEdges_;
  std::vector<boost::default_color_type> colors(blocks_.size());
  boost::depth_first_visit(cfg, boost::vertex(0, cfg), visitor,
                           boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, cfg)));
  std::reverse(rpo_.begin(), rpo_.end());

  for (uint32_t b : rpo_) {
    BasicBlock& bb = blocks_[b];
    bb.idom = b == 0 || idom[b] == boost::graph_traits<G>::null_vertex() ? -1 : static_cast<int32_t>(idom[b]);
    bb.domDepth = bb.idom < 0 ? 0 : blocks_[bb.idom].domDepth + 1;
  }
}

void ControlFlowGraph::computeLoops() {
  // Each DFS back-edge into a block that dominates its source (a natural loop;
  // irreducible cycles have none) adds one to the depth of every block of its loop.
  // A header's body is the union over its back edges.
  loopOf_.assign(blocks_.size(), -1);
  innermost_.assign(blocks_.size(), false);
  for (auto [source, header] : backEdges_) {
    if (!dominates(header, source)) continue;
    std::vector<bool> inLoop(blocks_.size());
    inLoop[header] = true;
    std::vector<uint32_t> work{source};
    while (!work.empty()) {
      uint32_t x = work.back();
      work.pop_back();
      if (inLoop[x]) continue;
      inLoop[x] = true;
      for (uint32_t p : blocks_[x].preds) work.push_back(p);
    }
    for (uint32_t i = 0; i < blocks_.size(); ++i)
      if (inLoop[i]) ++blocks_[i].loopDepth;
    if (loopOf_[header] < 0) {
      loopOf_[header] = static_cast<int32_t>(loopBodies_.size());
      loopBodies_.push_back(std::move(inLoop));
    } else {
      std::vector<bool>& body = loopBodies_[loopOf_[header]];
      for (uint32_t i = 0; i < blocks_.size(); ++i) body[i] = body[i] || inLoop[i];
    }
  }
  for (uint32_t h = 0; h < blocks_.size(); ++h) {
    if (loopOf_[h] < 0) continue;
    innermost_[h] = true;
    for (uint32_t other = 0; other < blocks_.size(); ++other)
      if (other != h && loopOf_[other] >= 0 && loopContains(h, other)) innermost_[h] = false;
  }
}

uint32_t ControlFlowGraph::commonDominator(uint32_t a, uint32_t b) const {
  while (a != b) {
    if (blocks_[a].domDepth < blocks_[b].domDepth) std::swap(a, b);
    a = static_cast<uint32_t>(blocks_[a].idom);
  }
  return a;
}

bool ControlFlowGraph::dominates(uint32_t a, uint32_t b) const {
  while (blocks_[b].domDepth > blocks_[a].domDepth) b = static_cast<uint32_t>(blocks_[b].idom);
  return a == b;
}

}  // namespace morel::pe

// Global code motion: loop-invariant values leave the loop; values used on one
// side of a branch sink into it.
#include <gtest/gtest.h>

#include "../../partial-eval/tests/TestTarget.h"
#include "morel/codegen/Schedule.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::codegen {
namespace {

using pe::GraphDomain;
using pe::GraphFrame;
using pe::GV;
using pe::Op;

TEST(Schedule, HoistsLoopInvariantsAndSinksIntoBranches) {
  pe::testing::TestTarget t(2, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node}};
    LoopProfile lp;
    BranchProfile bp, side;
    auto invariant = d.mul(d.parameter(0), d.parameter(1));  // used inside the loop only
    auto onlyInElse = d.bitXor(d.parameter(0), d.parameter(1));
    d.loop(f, lp, [&] {
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), invariant));
      d.ifElse(d.ltS(d.loadI64(f, 0), d.i64(100)), bp, f, [&] { d.br(0, f); }, [] {});
    });
    d.ifElse(d.wrap(d.parameter(0)), side, f, [] {}, [&] { d.storeI64(f, 0, onlyInElse); });
    pe::testing::returnSlot(d, f, 0);
  });
  auto result = pe::testing::optimizedGraph(t);
  pe::Graph& g = *result.graph;
  pe::ControlFlowGraph cfg(g);
  Schedule s = scheduleGraph(g, cfg);
  for (pe::IrNode* n : g.liveNodes()) {
    int32_t b = s.blockOfNode[n->id()];
    if (n->op() == Op::Mul) EXPECT_EQ(cfg.block(b).loopDepth, 0u) << "Mul stays out of the loop";
    if (n->op() == Op::Xor) EXPECT_EQ(cfg.block(b).head->op(), Op::IfFalse) << "Xor sinks into the else arm";
    if (n->op() == Op::Add) EXPECT_EQ(cfg.block(b).loopDepth, 1u);
  }
  // A block's terminator is emitted after everything else in it.
  for (const pe::BasicBlock& b : cfg.blocks()) {
    pe::IrNode* last = b.controls.back();
    if (last->op() == Op::If || last->isExit()) EXPECT_EQ(s.blockNodes[b.id].back(), last);
  }
  // Every block lists each node once, inputs before users.
  std::vector<int> position(g.nodes().size(), -1);
  for (const auto& block : s.blockNodes)
    for (size_t i = 0; i < block.size(); ++i) position[block[i]->id()] = static_cast<int>(i);
  for (pe::IrNode* n : g.liveNodes()) {
    if (n->op() == Op::Phi || s.blockOfNode[n->id()] < 0) continue;
    for (pe::IrNode* in : n->inputs())
      if (in && s.blockOfNode[in->id()] == s.blockOfNode[n->id()] && !n->isBlockStart())
        EXPECT_LT(position[in->id()], position[n->id()]);
  }
}

}  // namespace
}  // namespace morel::codegen

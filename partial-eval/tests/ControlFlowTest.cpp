// Blocks, dominators (Boost.Graph) and loop depth recovered from a graph.
#include <gtest/gtest.h>

#include "TestTarget.h"
#include "morel/pe/ControlFlow.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

TEST(ControlFlow, DiamondInsideALoop) {
  testing::TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node}};
    LoopProfile lp;
    BranchProfile b1, b2;
    d.loop(f, lp, [&] {
      d.ifElse(d.wrap(d.loadI64(f, 0)), b1, f, [&] { d.storeI64(f, 0, d.i64(1)); },
               [&] { d.storeI64(f, 0, d.i64(2)); });
      d.ifElse(d.ltS(d.loadI64(f, 0), d.parameter(0)), b2, f, [&] { d.br(0, f); }, [] {});
    });
    testing::returnSlot(d, f, 0);
  });
  auto pe = testing::optimizedGraph(t);
  ControlFlowGraph cfg(*pe.graph);
  // Start, Loop, the interrupt poll's exit and continuation, two arms, merge,
  // the loop-exit and back-edge projections.
  ASSERT_EQ(cfg.blocks().size(), 9u);
  EXPECT_EQ(cfg.reversePostOrder().front(), 0u);
  int loopBlocks = 0;
  for (const BasicBlock& b : cfg.blocks()) {
    EXPECT_TRUE(b.id == 0 || cfg.dominates(0, b.id));
    loopBlocks += b.loopDepth == 1;
    if (b.head->op() == Op::Region) {
      // The merge is dominated by the block that branched, not by either arm.
      for (uint32_t p : b.preds) EXPECT_NE(static_cast<int32_t>(p), b.idom);
    }
  }
  EXPECT_EQ(loopBlocks, 6);  // Loop, poll continuation, both arms, merge, back-edge
}

TEST(ControlFlow, NestedLoopsNest) {
  testing::TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node, d.i64(0).node}};
    LoopProfile outer, inner;
    BranchProfile b1, b2;
    d.loop(f, outer, [&] {
      d.storeI64(f, 1, d.i64(0));
      d.loop(f, inner, [&] {
        d.storeI64(f, 1, d.add(d.loadI64(f, 1), d.i64(1)));
        d.ifElse(d.ltS(d.loadI64(f, 1), d.parameter(0)), b1, f, [&] { d.br(0, f); }, [] {});
      });
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(1)));
      d.ifElse(d.ltS(d.loadI64(f, 0), d.parameter(0)), b2, f, [&] { d.br(0, f); }, [] {});
    });
    testing::returnSlot(d, f, 0);
  });
  auto pe = testing::optimizedGraph(t);
  ControlFlowGraph cfg(*pe.graph);
  uint32_t deepest = 0;
  for (const BasicBlock& b : cfg.blocks()) {
    deepest = std::max(deepest, b.loopDepth);
    if (b.head->op() == Op::Loop) EXPECT_GE(b.loopDepth, 1u);
  }
  EXPECT_EQ(deepest, 2u);
  EXPECT_EQ(cfg.block(0).loopDepth, 0u);
  // Loop bodies: the outer loop holds the inner header, not the other way round;
  // only the inner header is innermost, and the entry is in no loop.
  int32_t outerHeader = -1, innerHeader = -1;
  for (const BasicBlock& b : cfg.blocks())
    if (b.head->op() == Op::Loop)
      (b.loopDepth == 1 ? outerHeader : innerHeader) = static_cast<int32_t>(b.id);
  ASSERT_GE(outerHeader, 0);
  ASSERT_GE(innerHeader, 0);
  EXPECT_TRUE(cfg.loopContains(outerHeader, innerHeader));
  EXPECT_FALSE(cfg.loopContains(innerHeader, outerHeader));
  EXPECT_FALSE(cfg.loopContains(outerHeader, 0)) << "the entry block is outside every loop";
  EXPECT_TRUE(cfg.isInnermostLoopHeader(innerHeader));
  EXPECT_FALSE(cfg.isInnermostLoopHeader(outerHeader)) << "it holds the inner loop's header";
  for (const BasicBlock& b : cfg.blocks())
    EXPECT_EQ(cfg.loopContains(outerHeader, b.id), b.loopDepth >= 1) << "block " << b.id;
}

}  // namespace
}  // namespace morel::pe

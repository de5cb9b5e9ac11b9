// The graph domain's control flow: merges become Region + Phi, loops become Loop
// with back-edges, constant conditions fold away, dispatchers explode.
#include <gtest/gtest.h>

#include "TestTarget.h"
#include "morel/framework/MemoryAccess.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::pe {
namespace {

using testing::count;
using testing::optimizedGraph;
using testing::returnSlot;
using testing::TestTarget;

TEST(GraphDomain, NewFrameFollowsTheDescriptor) {
  FrameDescriptor fd;
  fd.add(SlotKind::Int32);
  fd.add(SlotKind::Int64);
  fd.add(SlotKind::Temporary);
  TestTarget t(0, [&](GraphDomain& d) {
    GraphFrame f = d.newFrame(fd);
    ASSERT_EQ(f.slots.size(), 3u);
    EXPECT_EQ(f.slots[0]->type(), Type::I32);
    EXPECT_EQ(f.slots[1]->type(), Type::I64);
    EXPECT_TRUE(f.slots[0]->isConst() && f.slots[0]->value() == 0);
    EXPECT_EQ(f.slots[2], nullptr);
    returnSlot(d, f, 1);
  });
  EXPECT_TRUE(partialEvaluate(t.target).has_value());
}

TEST(GraphDomain, IfElseMergesWithPhi) {
  TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    BranchProfile p;
    d.ifElse(d.wrap(d.parameter(0)), p, f, [&] { d.storeI64(f, 0, d.i64(1)); },
             [&] { d.storeI64(f, 0, d.i64(2)); });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::If), 1);
  EXPECT_EQ(count(*pe.graph, Op::Region), 1);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 1);
}

TEST(GraphDomain, ConstantConditionBuildsOneSide) {
  TestTarget t(0, [](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    BranchProfile p;
    d.ifElse(d.i32(0), p, f, [&] { d.storeI64(f, 0, d.i64(1)); }, [&] { d.storeI64(f, 0, d.i64(2)); });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(printGraph(*pe.graph), "%0 = Start\n%1 = End %4\n%3 = Const i64 #2\n%4 = Return %0 %3\n");
}

TEST(GraphDomain, LoopGetsBackEdgeAndPhis) {
  // i = 0; loop { i = i + 1; if (i < n) continue }; return i
  TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node}};
    LoopProfile lp;
    BranchProfile bp;
    auto n = d.parameter(0);
    d.loop(f, lp, [&] {
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(1)));
      d.ifElse(d.ltS(d.loadI64(f, 0), n), bp, f, [&] { d.br(0, f); }, [] {});
    });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 1);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 1);
  for (IrNode* n : pe.graph->liveNodes())
    if (n->op() == Op::Loop) EXPECT_EQ(n->inputCount(), 2u);
}

TEST(GraphDomain, LoopWithoutBackEdgeDisappears) {
  TestTarget t(0, [](GraphDomain& d) {
    GraphFrame f{{d.i64(5).node}};
    LoopProfile lp;
    d.loop(f, lp, [] {});
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 0);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 0);
}

TEST(GraphDomain, ProfileNeverTakenBecomesDeopt) {
  BranchProfile seenFalseOnly;
  seenFalseOnly.profile(false);
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node}};
    d.ifElse(d.wrap(d.parameter(0)), seenFalseOnly, f, [&] { d.storeI64(f, 0, d.i64(1)); }, [] {});
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(pe.deoptGuards, 1u);
  EXPECT_EQ(count(*pe.graph, Op::Deopt), 1);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 0);
}

// Loads, stores and their bounds checks do not change a memory's size, so the
// accesses between two merges (or calls) read one MemSize; a merge starts anew.
TEST(GraphDomain, AccessesBetweenMergesShareOneMemorySize) {
  auto memory = std::move(*LinearMemory::create(65536, 65536));
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    auto address = d.extendU(d.wrap(d.parameter(0)));
    auto a = checkedLoad<int64_t, int64_t>(d, *memory, address, AddressRange::Below2To34);
    checkedStore<int32_t, int32_t>(d, *memory, d.add(address, d.i64(8)), d.i32(1), AddressRange::Below2To34);
    auto b = checkedLoad<int64_t, int64_t>(d, *memory, d.add(address, d.i64(16)), AddressRange::Below2To34);
    d.storeI64(f, 0, d.add(a, b));
    BranchProfile p;
    d.ifElse(d.wrap(d.parameter(0)), p, f, [&] { d.storeI64(f, 0, d.i64(1)); }, [] {});
    auto c = checkedLoad<int64_t, int64_t>(d, *memory, address, AddressRange::Below2To34);
    d.storeI64(f, 0, d.add(d.loadI64(f, 0), c));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Load), 3);
  EXPECT_EQ(count(*pe.graph, Op::MemSize), 2) << "expected one before the merge and one after it";
}

// A load of what a store just wrote takes the stored value (extended as the load
// says), past loads, checks and stores to other bytes; a store the walk cannot
// tell apart (another base) keeps the load.
TEST(GraphDomain, LoadsOfJustStoredBytesTakeTheStoredValue) {
  auto memory = std::move(*LinearMemory::create(65536, 65536));
  auto build = [&](bool unknownStoreBetween) {
    return [&, unknownStoreBetween](GraphDomain& d) {
      GraphFrame f{{nullptr}};
      auto base = d.extendU(d.wrap(d.parameter(0)));
      auto at = [&](int64_t offset) { return d.add(base, d.i64(offset)); };
      checkedStore<int8_t, int64_t>(d, *memory, at(8), d.i64(-1), AddressRange::Below2To34);
      checkedStore<int32_t, int64_t>(d, *memory, at(0), d.i64(5), AddressRange::Below2To34);  // other bytes
      if (unknownStoreBetween)
        checkedStore<int8_t, int64_t>(d, *memory, d.extendU(d.wrap(d.parameter(1))), d.i64(0), AddressRange::Below2To34);
      auto unsignedByte = checkedLoad<uint8_t, int64_t>(d, *memory, at(8), AddressRange::Below2To34);
      auto signedByte = checkedLoad<int8_t, int64_t>(d, *memory, at(8), AddressRange::Below2To34);
      d.storeI64(f, 0, d.add(unsignedByte, signedByte));
      returnSlot(d, f, 0);
    };
  };
  TestTarget forwarded(2, build(false));
  auto pe = optimizedGraph(forwarded);
  EXPECT_EQ(count(*pe.graph, Op::Load), 0) << "expected both loads to take the stored byte";
  IrNode* result = nullptr;
  for (IrNode* n : pe.graph->liveNodes())
    if (n->op() == Op::Return) result = n->input(n->inputCount() - 1);
  ASSERT_NE(result, nullptr);
  ASSERT_TRUE(result->isConst()) << "expected 255 + -1 folded";
  EXPECT_EQ(result->value(), 254);
  TestTarget kept(2, build(true));
  EXPECT_EQ(count(*optimizedGraph(kept).graph, Op::Load), 2) << "expected a store at an unknown address to stop it";
}

TEST(GraphDomain, DispatcherExplodesIntoTheControlFlowGraph) {
  // 0: if p goto 2 else 1;  1: r = 7, goto 2;  2: exit
  TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.i64(3).node}};
    BranchProfile p;
    std::vector<bool> headers(3, false);
    d.dispatch(f, 0, {0, 1, 2}, headers, [&](uint32_t b) -> GraphDomain::Successor {
      if (b == 0) return d.branch(d.wrap(d.parameter(0)), p, 2, 1, f);
      if (b == 1) {
        d.storeI64(f, 0, d.i64(7));
        return d.jump(2, f);
      }
      return d.leave(f);
    });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::If), 1);
  EXPECT_EQ(count(*pe.graph, Op::Region), 1);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 0);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 1);
}

TEST(GraphDomain, BackwardJumpMakesALoop) {
  // 0: goto 1;  1: r = r - 1; if r != 0 goto 1 else 2;  2: exit
  TestTarget t(1, [](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node}};
    BranchProfile p;
    std::vector<bool> headers = {false, true, false};
    d.dispatch(f, 0, {0, 1, 2}, headers, [&](uint32_t b) -> GraphDomain::Successor {
      if (b == 0) return d.jump(1, f);
      if (b == 1) {
        d.storeI64(f, 0, d.sub(d.loadI64(f, 0), d.i64(1)));
        return d.branch(d.ne(d.loadI64(f, 0), d.i64(0)), p, 1, 2, f);
      }
      return d.leave(f);
    });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 1);
  EXPECT_EQ(count(*pe.graph, Op::Phi), 1);
  EXPECT_NE(toGraphviz(*pe.graph, "t").find("digraph"), std::string::npos);
}

TEST(GraphDomain, BackEdgeIntoASkippedBlockDeoptimizes) {
  // 0: goto 2 (constant);  1: exit;  2: goto 1 (backward, but 1 was never entered)
  TestTarget t(0, [](GraphDomain& d) {
    GraphFrame f{{d.i64(3).node}};
    BranchProfile p;
    std::vector<bool> headers = {false, true, false};
    d.dispatch(f, 0, {0, 1, 2}, headers, [&](uint32_t b) -> GraphDomain::Successor {
      if (b == 0) return d.branch(d.i32(1), p, 2, 1, f);
      if (b == 1) return d.leave(f);
      return d.jump(1, f);
    });
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Deopt), 1);
  EXPECT_EQ(count(*pe.graph, Op::Return), 0);
}

}  // namespace
}  // namespace morel::pe

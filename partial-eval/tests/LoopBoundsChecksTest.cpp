// Loop versioning for bounds checks, on eBPF-style loops built with the graph
// domain: a pointer that advances by a power of two while a counter steps to a
// bound gets an unchecked copy of its loop behind one test; other loops stay.
#include <gtest/gtest.h>

#include "TestTarget.h"
#include "morel/framework/MemoryAccess.h"

namespace morel::pe {
namespace {

using testing::count;
using testing::optimizedGraph;
using testing::returnSlot;
using testing::TestTarget;

/// A loop's shape: how the pointer and counter move and how the loop ends.
struct LoopShape {
  const char* name;
  int64_t pointerStep;
  int64_t counterStep;  // the counter starts at p1
  bool endsAtZero;      // `counter != 0`, else `counter < p2` (not counted by one)
  int64_t width;        // bytes per access
};

class LoopBoundsChecksTest : public ::testing::TestWithParam<LoopShape> {
 protected:
  /// r3 = p0, r4 = p1, r0 = 0; loop { r0 += load(r3); store(r3, r0); r3 += step; r4 += c } while
  /// test.
  std::function<void(GraphDomain&)> walk(const LoopShape& s) {
    return [this, s](GraphDomain& d) {
      GraphFrame f{{d.parameter(0).node, d.parameter(1).node, d.i64(0).node}};
      d.loop(f, loop_, [&] {
        auto address = d.loadI64(f, 0);
        GV<int64_t> v = s.width == 8 ? checkedLoad<int64_t, int64_t>(d, *memory_, address)
                                     : checkedLoad<uint8_t, int64_t>(d, *memory_, address);
        d.storeI64(f, 2, d.add(d.loadI64(f, 2), v));
        if (s.width == 8)
          checkedStore<int64_t, int64_t>(d, *memory_, address, d.loadI64(f, 2));
        else
          checkedStore<uint8_t, int64_t>(d, *memory_, address, d.loadI64(f, 2));
        d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(s.pointerStep)));
        d.storeI64(f, 1, d.add(d.loadI64(f, 1), d.i64(s.counterStep)));
        auto again =
            s.endsAtZero ? d.ne(d.loadI64(f, 1), d.i64(0)) : d.ltU(d.loadI64(f, 1), d.parameter(2));
        d.ifElse(
            again, backEdge_, f, [&] { d.br(0, f); }, [] {});
      });
      returnSlot(d, f, 2);
    };
  }

  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(65536, 65536));
  LoopProfile loop_;
  BranchProfile backEdge_;
};

class Versioned : public LoopBoundsChecksTest {};

TEST_P(Versioned, TheLoopGetsACopyWithoutChecks) {
  TestTarget t(3, walk(GetParam()));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 2) << "expected the checked loop and its unchecked copy";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1)
      << "expected only the checked loop's one check (the store's is the load's)";
  EXPECT_EQ(count(*pe.graph, Op::Poll), 2) << "expected both loops to poll";
  EXPECT_EQ(count(*pe.graph, Op::Load), 2);
  EXPECT_EQ(count(*pe.graph, Op::Store), 2);
  EXPECT_EQ(count(*pe.graph, Op::Return), 2) << "expected each loop to return on its own";
}

TEST_F(LoopBoundsChecksTest, WorkAfterTheLoopRunsOnceOnTheMergedValues) {
  // After the walk: sum + the word at p2. That load and add come after the merge,
  // on a phi of both loops' sums, not copied into either loop.
  TestTarget t(3, [&](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node, d.parameter(1).node, d.i64(0).node}};
    d.loop(f, loop_, [&] {
      auto v = checkedLoad<int64_t, int64_t>(d, *memory_, d.loadI64(f, 0));
      d.storeI64(f, 2, d.add(d.loadI64(f, 2), v));
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(8)));
      d.storeI64(f, 1, d.add(d.loadI64(f, 1), d.i64(-1)));
      d.ifElse(
          d.ne(d.loadI64(f, 1), d.i64(0)), backEdge_, f, [&] { d.br(0, f); }, [] {});
    });
    auto after = checkedLoad<int64_t, int64_t>(d, *memory_, d.parameter(2));
    d.storeI64(f, 2, d.add(d.loadI64(f, 2), after));
    returnSlot(d, f, 2);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 2);
  EXPECT_EQ(count(*pe.graph, Op::Load), 3) << "expected the load after the loop once";
  EXPECT_EQ(count(*pe.graph, Op::Return), 1);
  for (IrNode* ret : pe.graph->liveNodes()) {
    if (ret->op() != Op::Return) continue;
    IrNode* sum = ret->input(1);
    ASSERT_EQ(sum->op(), Op::Add);
    const bool fromMerge =
        (sum->input(0)->op() == Op::Phi && sum->input(0)->input(0)->op() == Op::Region) ||
        (sum->input(1)->op() == Op::Phi && sum->input(1)->input(0)->op() == Op::Region);
    EXPECT_TRUE(fromMerge) << "expected the add after the loop to read a phi of both loops' sums";
  }
}

TEST_F(LoopBoundsChecksTest, AnInnerLoopsCopyMergesWithItIntoTheOuterLoop) {
  // for (n = p2; n != 0; --n) { the walk of p1 words from p0 }: the inner loop's
  // sum leaves both copies into one merge, where a phi picks it.
  LoopProfile outer;
  BranchProfile outerBack;
  TestTarget t(3, [&](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node, d.parameter(1).node, d.i64(0).node, d.parameter(2).node}};
    d.loop(f, outer, [&] {
      d.storeI64(f, 0, d.parameter(0));
      d.storeI64(f, 1, d.parameter(1));
      d.loop(f, loop_, [&] {
        auto v = checkedLoad<int64_t, int64_t>(d, *memory_, d.loadI64(f, 0));
        d.storeI64(f, 2, d.add(d.loadI64(f, 2), v));
        d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(8)));
        d.storeI64(f, 1, d.add(d.loadI64(f, 1), d.i64(-1)));
        d.ifElse(
            d.ne(d.loadI64(f, 1), d.i64(0)), backEdge_, f, [&] { d.br(0, f); }, [] {});
      });
      d.storeI64(f, 3, d.add(d.loadI64(f, 3), d.i64(-1)));
      d.ifElse(
          d.ne(d.loadI64(f, 3), d.i64(0)), outerBack, f, [&] { d.br(0, f); }, [] {});
    });
    returnSlot(d, f, 2);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 3) << "expected the outer loop, the inner one and its copy";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1);
  IrNode* merge = nullptr;
  for (IrNode* n : pe.graph->liveNodes())
    if (n->op() == Op::Region) merge = n;
  ASSERT_NE(merge, nullptr) << "expected the two inner loops to merge";
  EXPECT_EQ(merge->inputCount(), 2u);
  int phis = 0;
  for (IrNode* u : merge->uses()) phis += u->op() == Op::Phi;
  EXPECT_GE(phis, 1) << "expected the inner loop's sum merged by a phi";
  EXPECT_EQ(count(*pe.graph, Op::Return), 1);
}

INSTANTIATE_TEST_SUITE_P(CountedWalks, Versioned,
                         ::testing::Values(LoopShape{"WordsCountingDown", 8, -1, true, 8},
                                           LoopShape{"BytesCountingDown", 1, -1, true, 1},
                                           LoopShape{"WordsEveryOtherCountingDown", 16, -1, true,
                                                     8}),
                         [](const auto& info) { return std::string(info.param.name); });

class NotVersioned : public LoopBoundsChecksTest {};

TEST_P(NotVersioned, TheLoopStaysAsItWas) {
  TestTarget t(3, walk(GetParam()));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 1) << "expected no copy";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1) << "expected the check to stay";
}

// A step that is no power of two, a pointer walking down, a counter stepping by
// two (it may jump over 0) and an unsigned-less-than test are not proven.
INSTANTIATE_TEST_SUITE_P(OtherWalks, NotVersioned,
                         ::testing::Values(LoopShape{"PointerStepOfTwelve", 12, -1, true, 8},
                                           LoopShape{"PointerWalkingDown", -8, -1, true, 8},
                                           LoopShape{"CounterSteppingByTwo", 8, -2, true, 8},
                                           LoopShape{"CounterBelowABound", 8, 1, false, 8}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace morel::pe

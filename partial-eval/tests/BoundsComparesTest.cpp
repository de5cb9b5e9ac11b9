// One compare of the address per bounds check, and a loop's memory size read
// before the loop, on graphs built with the graph domain.
#include <gtest/gtest.h>

#include "TestTarget.h"
#include "morel/framework/MemoryAccess.h"
#include "morel/pe/ControlFlow.h"

namespace morel::pe {
namespace {

using testing::count;
using testing::optimizedGraph;
using testing::returnSlot;
using testing::TestTarget;

class BoundsComparesTest : public ::testing::Test {
 protected:
  /// Loads an i64 at `address` once, with the given check, and returns it.
  std::function<void(GraphDomain&)> loadAt(std::function<GV<int64_t>(GraphDomain&)> address,
                                           AddressRange range) {
    return [this, address, range](GraphDomain& d) {
      GraphFrame f{{nullptr}};
      d.storeI64(f, 0, checkedLoad<int64_t, int64_t>(d, *memory_, address(d), range));
      returnSlot(d, f, 0);
    };
  }
  /// `do p = load(address(p)) while (p != end)`: a pointer chase, checked in every
  /// iteration (nothing proves it in bounds), in a loop without calls.
  std::function<void(GraphDomain&)> chase(
      std::function<GV<int64_t>(GraphDomain&, GV<int64_t>)> address, AddressRange range) {
    return [this, address, range](GraphDomain& d) {
      GraphFrame f{{d.parameter(0).node}};
      d.loop(f, loop_, [&] {
        d.storeI64(f, 0,
                   checkedLoad<int64_t, int64_t>(d, *memory_, address(d, d.loadI64(f, 0)), range));
        d.ifElse(
            d.ne(d.loadI64(f, 0), d.parameter(1)), back_, f, [&] { d.br(0, f); }, [] {});
      });
      returnSlot(d, f, 0);
    };
  }
  /// The condition of the graph's one bounds check (the If leading to its TrapExit).
  static IrNode* checkCondition(const Graph& g) {
    for (IrNode* n : g.liveNodes())
      if (n->op() == Op::TrapExit) return n->input(0)->input(0)->input(1);
    return nullptr;
  }
  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(65536, 65536));
  LoopProfile loop_;
  BranchProfile back_;
};

TEST_F(BoundsComparesTest, A64BitAddressInALoopIsComparedOnceWithALimit) {
  TestTarget t(2, chase([](GraphDomain&, GV<int64_t> p) { return p; }, AddressRange::Any));
  auto pe = optimizedGraph(t);
  IrNode* cond = checkCondition(*pe.graph);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->op(), Op::GeU) << "expected a >= limit instead of a > size | a + 8 > size";
  EXPECT_EQ(cond->input(0)->op(), Op::Phi) << "expected the address itself compared";
  IrNode* limit = cond->input(1);
  ASSERT_EQ(limit->op(), Op::Select) << "expected limit = size >= 8 ? size - 7 : 0";
  EXPECT_EQ(limit->input(0)->op(), Op::GeU);
  EXPECT_EQ(limit->input(1)->op(), Op::Add);
  EXPECT_EQ(limit->input(1)->input(1)->value(), -7);
  EXPECT_EQ(limit->input(2)->value(), 0) << "a memory smaller than the access admits nothing";
  EXPECT_EQ(count(*pe.graph, Op::Or), 0);
}

TEST_F(BoundsComparesTest, AWasmAddressInALoopIsComparedBeforeItsOffsetIsAdded) {
  TestTarget t(
      2, chase([](GraphDomain& d, GV<int64_t> p) { return d.add(d.extendU(d.wrap(p)), d.i64(16)); },
               AddressRange::Below2To34));
  auto pe = optimizedGraph(t);
  IrNode* cond = checkCondition(*pe.graph);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->op(), Op::GeU) << "expected zext(i) >= limit instead of zext(i) + 24 > size";
  EXPECT_EQ(cond->input(0)->op(), Op::ExtendU);
  ASSERT_EQ(cond->input(1)->op(), Op::Select);
  EXPECT_EQ(cond->input(1)->input(1)->input(1)->value(), -23) << "expected limit = size - 23";
}

TEST_F(BoundsComparesTest, ACheckOutsideLoopsKeepsItsCompares) {
  // Run once, a limit would cost more than the add it saves.
  TestTarget t(1, loadAt([](GraphDomain& d) { return d.parameter(0); }, AddressRange::Any));
  auto pe = optimizedGraph(t);
  IrNode* cond = checkCondition(*pe.graph);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->op(), Op::Or) << "expected a > size | a + 8 > size, as built";
  EXPECT_EQ(count(*pe.graph, Op::Select), 0);
}

TEST_F(BoundsComparesTest, ALoopWithoutCallsReadsTheSizeBeforeIt) {
  TestTarget t(2, [&](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node, d.i64(0).node}};
    d.loop(f, loop_, [&] {
      // A walk whose pointer is loaded from memory: nothing proves it in bounds.
      auto p = d.loadI64(f, 0);
      d.storeI64(f, 1, d.add(d.loadI64(f, 1), checkedLoad<int64_t, int64_t>(d, *memory_, p)));
      d.storeI64(f, 0, checkedLoad<int64_t, int64_t>(d, *memory_, d.add(p, d.i64(8))));
      d.ifElse(
          d.ne(d.loadI64(f, 0), d.parameter(1)), back_, f, [&] { d.br(0, f); }, [] {});
    });
    returnSlot(d, f, 1);
  });
  auto pe = optimizedGraph(t);
  ControlFlowGraph cfg(*pe.graph);
  int sizes = 0;
  for (IrNode* n : pe.graph->liveNodes()) {
    if (n->op() != Op::MemSize) continue;
    ++sizes;
    const int32_t b = cfg.blockOf(n->input(0));
    ASSERT_GE(b, 0);
    EXPECT_EQ(cfg.block(static_cast<uint32_t>(b)).loopDepth, 0u)
        << "expected the size read before the loop, not in every iteration";
  }
  EXPECT_EQ(sizes, 1);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2) << "expected both checks to stay in the loop";
}

}  // namespace
}  // namespace morel::pe

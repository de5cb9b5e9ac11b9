// Loop-invariant code motion of bounds checks and loads, on loops built with the
// graph domain: what every iteration checks or reads alike moves before the
// loop; what the first iteration might not reach, or a store or call in the
// loop might change, stays.
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

using Body = std::function<void(GraphDomain&, GraphFrame&)>;

class LoopInvariantCodeMotionTest : public ::testing::Test {
 protected:
  /// `i = 0; loop { body; i += 1; if (i < p0) continue }; return slot 1`, with slot 1
  /// starting at 0: the shape of a guest's counted loop after loop rotation.
  std::function<void(GraphDomain&)> countedLoop(Body body) {
    return [this, body](GraphDomain& d) {
      GraphFrame f{{d.i64(0).node, d.i64(0).node}};
      d.loop(f, loopProfile_, [&] {
        body(d, f);
        d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(1)));
        d.ifElse(
            d.ltS(d.loadI64(f, 0), d.parameter(0)), backEdge_, f, [&] { d.br(0, f); }, [] {});
      });
      returnSlot(d, f, 1);
    };
  }

  /// A Wasm-style address from parameter p: a 32-bit value zero-extended, plus `offset`.
  static GV<int64_t> wasmAddress(GraphDomain& d, GV<int64_t> p, int64_t offset) {
    return d.add(d.extendU(d.wrap(p)), d.i64(offset));
  }
  /// slot 1 += the i32 at `address`, checked.
  void addLoaded(GraphDomain& d, GraphFrame& f, GV<int64_t> address, AddressRange range) {
    auto v = checkedLoad<int32_t, int64_t>(d, *memory_, address, range);
    d.storeI64(f, 1, d.add(d.loadI64(f, 1), v));
  }

  /// How many live nodes of `op` lie inside a loop (loop depth above 0); an exit
  /// counts where the If that branches to it is (its own block leaves the loop).
  static int insideLoop(const Graph& g, Op op) {
    ControlFlowGraph cfg(g);
    int n = 0;
    for (IrNode* x : g.liveNodes()) {
      if (x->op() != op) continue;
      int32_t b = cfg.blockOf(x->isExit() ? x->input(0)->input(0) : x);
      n += b >= 0 && cfg.block(static_cast<uint32_t>(b)).loopDepth > 0;
    }
    return n;
  }

  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(65536, 65536));
  LoopProfile loopProfile_;
  BranchProfile backEdge_;
};

struct Shape {
  const char* name;
  AddressRange range;
};

class InvariantAccess : public LoopInvariantCodeMotionTest,
                        public ::testing::WithParamInterface<Shape> {};

TEST_P(InvariantAccess, CheckAndLoadMoveBeforeTheLoop) {
  const AddressRange range = GetParam().range;
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), range);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 0)
      << "expected the invariant check before the loop";
  EXPECT_EQ(insideLoop(*pe.graph, Op::Load), 0) << "expected the invariant load before the loop";
  EXPECT_EQ(insideLoop(*pe.graph, Op::MemSize), 0) << "expected the size read at the loop's entry";
  EXPECT_EQ(insideLoop(*pe.graph, Op::StatusExit), 1) << "expected the loop to keep its poll";
}

// Wasm's one-compare check (the end cannot wrap) and eBPF's two-compare one.
INSTANTIATE_TEST_SUITE_P(Checks, InvariantAccess,
                         ::testing::Values(Shape{"OneCompare", AddressRange::Below2To34},
                                           Shape{"TwoCompares", AddressRange::Any}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(LoopInvariantCodeMotionTest, AnAccessAtTheInductionVariableStays) {
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 addLoaded(d, f, wasmAddress(d, d.loadI64(f, 0), 0), AddressRange::Below2To34);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 1) << "expected the varying check in the loop";
  EXPECT_EQ(insideLoop(*pe.graph, Op::Load), 1);
}

TEST_F(LoopInvariantCodeMotionTest, ACheckAfterAStoreStays) {
  // The first iteration stores before it traps: trapping before the loop would lose the store.
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 checkedStore<int32_t, int32_t>(d, *memory_, wasmAddress(d, d.loadI64(f, 0), 0),
                                                d.i32(1), AddressRange::Below2To34);
                 addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), AddressRange::Below2To34);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 2) << "expected both checks to stay in the loop";
}

TEST_F(LoopInvariantCodeMotionTest, AStoreToTheMemoryLaterInTheLoopKeepsTheLoadButNotItsCheck) {
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), AddressRange::Below2To34);
                 checkedStore<int32_t, int32_t>(d, *memory_, wasmAddress(d, d.loadI64(f, 0), 0),
                                                d.i32(1), AddressRange::Below2To34);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(insideLoop(*pe.graph, Op::Load), 1) << "expected the load to see the loop's stores";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 1)
      << "expected only the store's varying check inside";
}

TEST_F(LoopInvariantCodeMotionTest, AConditionalAccessStays) {
  // The first iteration may not take the branch: the check must not run before the loop.
  BranchProfile taken;
  TestTarget t(
      3, countedLoop([&](GraphDomain& d, GraphFrame& f) {
        d.ifElse(
            d.wrap(d.parameter(2)), taken, f,
            [&] { addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), AddressRange::Below2To34); },
            [] {});
      }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 1);
  EXPECT_EQ(insideLoop(*pe.graph, Op::Load), 1);
}

TEST_F(LoopInvariantCodeMotionTest, ACheckBehindAnotherTrapKindStays) {
  // The first iteration would trap with "test trap" first; hoisting would change the trap.
  static const TrapKind kOtherTrap{"test trap"};
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 d.trapIf(d.eq(d.wrap(d.loadI64(f, 0)), d.i32(5)), kOtherTrap);
                 addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), AddressRange::Below2To34);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 2);
}

TEST_F(LoopInvariantCodeMotionTest, ALoadBehindAVaryingCheckStaysButALaterInvariantCheckMoves) {
  // The varying check may be what keeps the invariant load in bounds, so the load
  // stays; the invariant check after it traps with the same kind, so it moves.
  TestTarget t(2, countedLoop([&](GraphDomain& d, GraphFrame& f) {
                 checkBounds(d, *memory_, wasmAddress(d, d.loadI64(f, 0), 0), 4,
                             AddressRange::Below2To34);
                 addLoaded(d, f, wasmAddress(d, d.parameter(1), 8), AddressRange::Below2To34);
               }));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(insideLoop(*pe.graph, Op::TrapExit), 1) << "expected only the varying check inside";
  EXPECT_EQ(insideLoop(*pe.graph, Op::Load), 1);
}

}  // namespace
}  // namespace morel::pe

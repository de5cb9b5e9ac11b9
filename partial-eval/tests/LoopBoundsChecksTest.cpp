// Loop versioning for bounds checks, on eBPF-style and Wasm-style loops built with the graph
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
  bool endsAtZero;      // `counter != 0`, else `counter <u p2`
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

/// `do { sum += load(p); p += step } while (p != end)`: the pointer is its own counter.
std::function<void(GraphDomain&)> walkToEnd(LinearMemory& memory, LoopProfile& loop,
                                            BranchProfile& back, int64_t step) {
  return [&memory, &loop, &back, step](GraphDomain& d) {
    GraphFrame f{{d.parameter(0).node, d.i64(0).node}};
    d.loop(f, loop, [&] {
      auto v = checkedLoad<int64_t, int64_t>(d, memory, d.loadI64(f, 0));
      d.storeI64(f, 1, d.add(d.loadI64(f, 1), v));
      d.storeI64(f, 0, d.add(d.loadI64(f, 0), d.i64(step)));
      d.ifElse(
          d.ne(d.loadI64(f, 0), d.parameter(1)), back, f, [&] { d.br(0, f); }, [] {});
    });
    returnSlot(d, f, 1);
  };
}

TEST_F(LoopBoundsChecksTest, APointerComparedWithItsEndIsCounted) {
  TestTarget words(2, walkToEnd(*memory_, loop_, backEdge_, 8));
  auto pe = optimizedGraph(words);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 2)
      << "expected a copy: T = (end - p0) / 8 when end - p0 is a multiple of 8";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1);
  LoopProfile loop;
  BranchProfile back;
  TestTarget twelve(2, walkToEnd(*memory_, loop, back, 12));
  EXPECT_EQ(count(*optimizedGraph(twelve).graph, Op::Loop), 1)
      << "expected no copy for a step of 12 (no power of two)";
}

INSTANTIATE_TEST_SUITE_P(CountedWalks, Versioned,
                         ::testing::Values(LoopShape{"WordsCountingDown", 8, -1, true, 8},
                                           LoopShape{"BytesCountingDown", 1, -1, true, 1},
                                           LoopShape{"WordsEveryOtherCountingDown", 16, -1, true,
                                                     8},
                                           LoopShape{"CounterBelowABound", 8, 1, false, 8},
                                           LoopShape{"CounterSteppingByTwo", 8, -2, true, 8}),
                         [](const auto& info) { return std::string(info.param.name); });

class NotVersioned : public LoopBoundsChecksTest {};

TEST_P(NotVersioned, TheLoopStaysAsItWas) {
  TestTarget t(3, walk(GetParam()));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 1) << "expected no copy";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1) << "expected the check to stay";
}

// A step that is no power of two, a pointer walking down and a counter stepping
// by two below a bound (it may jump past it) are not proven. (A counter stepping
// by two to 0 is: the test checks its start is even.)
INSTANTIATE_TEST_SUITE_P(OtherWalks, NotVersioned,
                         ::testing::Values(LoopShape{"PointerStepOfTwelve", 12, -1, true, 8},
                                           LoopShape{"PointerWalkingDown", -8, -1, true, 8},
                                           LoopShape{"CounterByTwoBelowABound", 8, 2, false, 8}),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Wasm loops: 32-bit induction variables, addresses zext(i32) + offset.

/// A Wasm walk's shape: `do { sum += load(zext(p) + offset); p += step; j += 1 } while (j <u n)`.
struct WasmWalk {
  const char* name;
  int32_t pointerStep;
  int64_t offset;
  int64_t width;       // bytes per access: 8 or 1
  int32_t start = -1;  // p0, or -1 for the parameter
  int32_t bound = -1;  // n, or -1 for the parameter, -2 for a word loaded in every iteration
  int32_t scale = 0;   // the address is zext(p << scale) + offset
  bool signedTest = false;  // j <s n (C's int loops) instead of j <u n
};

/// What every Wasm loop test builds on: an explicitly checked memory of one page.
class WasmLoops {
 protected:
  static constexpr AddressRange kWasm = AddressRange::Below2To34;
  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(65536, 65536));
  LoopProfile loop_;
  BranchProfile backEdge_;
};

class WasmLoopTest : public ::testing::TestWithParam<WasmWalk>, protected WasmLoops {
 protected:
  /// Parameters: p0, n. Slots: p, j, sum.
  std::function<void(GraphDomain&)> walk(const WasmWalk& s) {
    return [this, s](GraphDomain& d) {
      auto p0 = s.start == -1 ? d.wrap(d.parameter(0)) : d.i32(s.start);
      GraphFrame f{{p0.node, d.i32(0).node, d.i64(0).node}};
      d.loop(f, loop_, [&] {
        auto index = s.scale == 0 ? d.loadI32(f, 0) : d.shl(d.loadI32(f, 0), d.i32(s.scale));
        auto address = d.add(d.extendU(index), d.i64(s.offset));
        auto v = s.width == 8 ? checkedLoad<int64_t, int64_t>(d, *memory_, address, kWasm)
                              : checkedLoad<uint8_t, int64_t>(d, *memory_, address, kWasm);
        d.storeI64(f, 2, d.add(d.loadI64(f, 2), v));
        d.storeI32(f, 0, d.add(d.loadI32(f, 0), d.i32(s.pointerStep)));
        d.storeI32(f, 1, d.add(d.loadI32(f, 1), d.i32(1)));
        GV<int32_t> n = s.bound == -1 ? d.wrap(d.parameter(1))
                        : s.bound == -2
                            ? checkedLoad<int32_t, int32_t>(d, *memory_, d.i64(0), kWasm)
                            : d.i32(s.bound);
        d.ifElse(
            s.signedTest ? d.ltS(d.loadI32(f, 1), n) : d.ltU(d.loadI32(f, 1), n), backEdge_, f,
            [&] { d.br(0, f); }, [] {});
      });
      returnSlot(d, f, 2);
    };
  }
};

class WasmWalkVersioned : public WasmLoopTest {};

TEST_P(WasmWalkVersioned, TheLoopGetsACopyWithoutChecks) {
  TestTarget t(2, walk(GetParam()));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 2) << "expected the checked loop and its unchecked copy";
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1) << "expected only the checked loop's check";
}

INSTANTIATE_TEST_SUITE_P(
    I32Walks, WasmWalkVersioned,
    ::testing::Values(WasmWalk{"Words", 8, 0, 8}, WasmWalk{"WordsAtAnOffset", 8, 16, 8},
                      WasmWalk{"Bytes", 1, 0, 1}, WasmWalk{"WordsEveryOther", 16, 0, 8},
                      WasmWalk{"ConstantStartBelowTheTop", 8, 0, 8, 0x7FFF'FFF0, 4},
                      WasmWalk{"WordIndices", 1, 0, 8, -1, -1, 3},
                      WasmWalk{"WordIndicesBelowTheTop", 1, 0, 8, 0x1FFF'FFFC, 4, 3},
                      WasmWalk{"WordsCountedBySignedTest", 8, 0, 8, -1, -1, 0, true}),
    [](const auto& info) { return std::string(info.param.name); });

class WasmWalkNotVersioned : public WasmLoopTest {};

TEST_P(WasmWalkNotVersioned, TheLoopKeepsItsCheck) {
  TestTarget t(2, walk(GetParam()));
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Loop), 1) << "expected no copy";
  EXPECT_GE(count(*pe.graph, Op::TrapExit), 1) << "expected the check to stay";
}

// A pointer walking down or by 12, a bound the loop reloads (it may change), a
// walk from 0xFFFFFFF0 by 8 for 4 iterations (i32 p wraps to 0 in the third:
// zext(p) is not start + 8k there, so the test must not pass), and word indices
// from 0x1FFFFFFE, whose i << 3 wraps in the third iteration.
INSTANTIATE_TEST_SUITE_P(OtherWalks, WasmWalkNotVersioned,
                         ::testing::Values(WasmWalk{"PointerWalkingDown", -8, 0, 8},
                                           WasmWalk{"PointerStepOfTwelve", 12, 0, 8},
                                           WasmWalk{"BoundLoadedInTheLoop", 8, 0, 8, -1, -2},
                                           WasmWalk{"WrapsAround", 8, 0, 8, -16, 4},
                                           WasmWalk{"WordIndicesWrapAround", 1, 0, 8, 0x1FFF'FFFE,
                                                    4, 3}),
                         [](const auto& info) { return std::string(info.param.name); });

/// A bounded index (memsieve's strike loop): `while (!(j cmp n)) { store8(zext(j) + offset); j +=
/// step }` with any step, so only the test of j itself bounds the address.
struct BoundedIndex {
  const char* name;
  Op exitWhen;  // GeU: j >=u n leaves (j <u n inside); others do not bound j below n
  int64_t offset = 0;
  bool boundLoaded = false;  // n is read from memory in every iteration
  int32_t scale = 0;         // the address is zext(j << scale) + offset
};

class WasmBoundedIndexTest : public ::testing::TestWithParam<BoundedIndex>, protected WasmLoops {
 protected:
  std::function<void(GraphDomain&)> strike(const BoundedIndex& s) {
    return [this, s](GraphDomain& d) {
      GraphFrame f{{d.wrap(d.parameter(0)).node}};
      auto done = d.enterLabel();
      d.loop(f, loop_, [&] {
        GV<int32_t> j = d.loadI32(f, 0);
        GV<int32_t> n = s.boundLoaded ? checkedLoad<int32_t, int32_t>(d, *memory_, d.i64(0), kWasm)
                                      : d.wrap(d.parameter(1));
        GV<int32_t> leave = s.exitWhen == Op::GeU   ? d.geU(j, n)
                            : s.exitWhen == Op::GtU ? d.gtU(j, n)
                                                    : d.geS(j, n);
        d.ifElse(
            leave, exit_, f, [&] { d.br(1, f); }, [] {});
        auto index = s.scale == 0 ? d.loadI32(f, 0) : d.shl(d.loadI32(f, 0), d.i32(s.scale));
        auto address = d.add(d.extendU(index), d.i64(s.offset));
        checkedStore<uint8_t, int32_t>(d, *memory_, address, d.i32(1), kWasm);
        d.storeI32(f, 0, d.add(d.loadI32(f, 0), d.wrap(d.parameter(2))));
        d.br(0, f);
      });
      d.exitLabel(done, f);
      GV<int64_t> r[] = {d.i64(0)};
      d.returnValues(r);
    };
  }
  BranchProfile exit_;
};

TEST_P(WasmBoundedIndexTest, TheStoreIsUncheckedOnlyWhenTheTestBoundsItsIndex) {
  const BoundedIndex& s = GetParam();
  TestTarget t(3, strike(s));
  auto pe = optimizedGraph(t);
  const bool proven = s.exitWhen == Op::GeU && !s.boundLoaded;
  EXPECT_EQ(count(*pe.graph, Op::Loop), proven ? 2 : 1)
      << (proven ? "expected an unchecked copy: j <u n and zext(n) + offset <= size bound the store"
                 : "expected no copy: nothing bounds the store's index");
  EXPECT_EQ(count(*pe.graph, Op::Store), proven ? 2 : 1);
}

INSTANTIATE_TEST_SUITE_P(Strikes, WasmBoundedIndexTest,
                         ::testing::Values(BoundedIndex{"BelowTheBound", Op::GeU},
                                           BoundedIndex{"BelowTheBoundAtAnOffset", Op::GeU, 100},
                                           BoundedIndex{"OffByOneAtMostTheBound", Op::GtU},
                                           BoundedIndex{"SignedBelowTheBound", Op::GeS},
                                           BoundedIndex{"BoundLoadedInTheLoop", Op::GeU, 0, true},
                                           BoundedIndex{"WordIndexBelowTheBound", Op::GeU, 0, false,
                                                        2}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace morel::pe

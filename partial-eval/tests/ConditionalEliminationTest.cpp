// Conditional elimination on graphs built with the graph domain: bounds checks
// and trapIfs that a dominating check already decided disappear, the others stay.
#include <gtest/gtest.h>

#include "TestTarget.h"
#include "morel/framework/MemoryAccess.h"

namespace morel::pe {
namespace {

using testing::count;
using testing::optimizedGraph;
using testing::returnSlot;
using testing::TestTarget;

const TrapKind kTestTrap{"test trap"};

class ConditionalEliminationTest : public ::testing::Test {
 protected:
  /// parameter 0 as a Wasm-style address: a 32-bit value zero-extended.
  static GV<int64_t> address(GraphDomain& d, int64_t offset) {
    return d.add(d.extendU(d.wrap(d.parameter(0))), d.i64(offset));
  }
  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(65536, 65536));
};

TEST_F(ConditionalEliminationTest, ALoadThenAStoreOfTheSameAddressChecksOnce) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    auto v = checkedLoad<int32_t, int32_t>(d, *memory_, address(d, 0), AddressRange::Below2To34);
    checkedStore<int32_t, int32_t>(d, *memory_, address(d, 0), d.add(v, d.i32(1)),
                                   AddressRange::Below2To34);
    d.storeI64(f, 0, d.extendU(v));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1)
      << "expected the store's check decided by the load's";
  EXPECT_EQ(count(*pe.graph, Op::If), 1);
}

TEST_F(ConditionalEliminationTest, AnAccessInsideAnAdmittedOneIsNotChecked) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    // An 8-byte load at base + 8 admits [base, base + 16): the loads at base + 4 and
    // base + 12 lie inside; the one at base + 16 does not.
    auto a = checkedLoad<int64_t, int64_t>(d, *memory_, address(d, 8), AddressRange::Below2To34);
    auto b = checkedLoad<int32_t, int64_t>(d, *memory_, address(d, 4), AddressRange::Below2To34);
    auto c = checkedLoad<int32_t, int64_t>(d, *memory_, address(d, 12), AddressRange::Below2To34);
    auto e = checkedLoad<int32_t, int64_t>(d, *memory_, address(d, 16), AddressRange::Below2To34);
    d.storeI64(f, 0, d.add(d.add(a, b), d.add(c, e)));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Load), 4);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2) << "expected checks only at base + 8 and base + 16";
}

TEST_F(ConditionalEliminationTest, AChecksFactHoldsOnlyWhereItDominates) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{d.i64(0).node}};
    BranchProfile p;
    // The check inside the if does not dominate the access after the merge.
    d.ifElse(
        d.wrap(d.parameter(0)), p, f,
        [&] {
          d.storeI64(
              f, 0,
              checkedLoad<int64_t, int64_t>(d, *memory_, address(d, 0), AddressRange::Below2To34));
        },
        [] {});
    auto after =
        checkedLoad<int64_t, int64_t>(d, *memory_, address(d, 0), AddressRange::Below2To34);
    d.storeI64(f, 0, d.add(d.loadI64(f, 0), after));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2) << "expected both checks kept";
}

TEST_F(ConditionalEliminationTest, TheSameTrapConditionTwiceTrapsOnce) {
  TestTarget t(2, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    auto c = d.ltS(d.parameter(0), d.parameter(1));
    d.trapIf(c, kTestTrap);
    d.trapIf(c, kTestTrap);
    d.trapIf(d.gtS(d.parameter(0), d.parameter(1)), kTestTrap);  // another condition: kept
    d.storeI64(f, 0, d.parameter(0));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2);
}

TEST_F(ConditionalEliminationTest, AnAddressThatMightWrapDecidesNothing) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    // A 64-bit address (eBPF's): base + 16 may wrap, so base + 8 is not known inside it.
    auto wide = d.parameter(0);
    auto a = checkedLoad<int64_t, int64_t>(d, *memory_, d.add(wide, d.i64(8)), AddressRange::Any);
    auto b = checkedLoad<int64_t, int64_t>(d, *memory_, wide, AddressRange::Any);
    d.storeI64(f, 0, d.add(a, b));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2);
}

TEST_F(ConditionalEliminationTest, ANarrowerAccessAtAnAdmittedWideAddressIsNotChecked) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    // eBPF's two compares: `a > size | a + 8 > size` passed says a <= size (so a + 8
    // did not wrap) and a + 8 <= size: the 4-byte load at a lies inside.
    auto wide = d.parameter(0);
    auto a = checkedLoad<int64_t, int64_t>(d, *memory_, wide, AddressRange::Any);
    auto b = checkedLoad<int32_t, int64_t>(d, *memory_, wide, AddressRange::Any);
    auto c = checkedLoad<int32_t, int64_t>(d, *memory_, d.add(wide, d.i64(4)), AddressRange::Any);
    d.storeI64(f, 0, d.add(d.add(a, b), c));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::Load), 3);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 1) << "expected only the 8-byte load's check";
}

TEST_F(ConditionalEliminationTest, AWideAccessAfterANarrowOneIsChecked) {
  TestTarget t(1, [&](GraphDomain& d) {
    GraphFrame f{{nullptr}};
    auto wide = d.parameter(0);
    auto a = checkedLoad<int32_t, int64_t>(d, *memory_, wide, AddressRange::Any);
    auto b = checkedLoad<int64_t, int64_t>(d, *memory_, wide, AddressRange::Any);
    d.storeI64(f, 0, d.add(a, b));
    returnSlot(d, f, 0);
  });
  auto pe = optimizedGraph(t);
  EXPECT_EQ(count(*pe.graph, Op::TrapExit), 2) << "expected a + 8 <= size still checked";
}

/// The Wasm memory model: a memory never shrinks below its floor (its declared
/// minimum), so accesses that end at or below it need no check.
class MemoryFloorTest : public ConditionalEliminationTest {
 protected:
  void SetUp() override { memory_->setFloor(65536); }
  /// Loads an i32 at `address` (constant or not) and returns it.
  std::function<void(GraphDomain&)> loadAt(std::function<GV<int64_t>(GraphDomain&)> address) {
    return [this, address](GraphDomain& d) {
      GraphFrame f{{nullptr}};
      auto v = checkedLoad<int32_t, int64_t>(d, *memory_, address(d), AddressRange::Below2To34);
      d.storeI64(f, 0, v);
      returnSlot(d, f, 0);
    };
  }
};

TEST_F(MemoryFloorTest, AConstantAddressBelowTheFloorIsNotChecked) {
  TestTarget inside(1, loadAt([](GraphDomain& d) { return d.i64(65532); }));
  EXPECT_EQ(count(*optimizedGraph(inside).graph, Op::TrapExit), 0)
      << "expected [65532, 65536) inside the floor: no check";
  TestTarget across(1, loadAt([](GraphDomain& d) { return d.i64(65533); }));
  EXPECT_EQ(count(*optimizedGraph(across).graph, Op::TrapExit), 1)
      << "expected [65533, 65537) past the floor: checked";
}

TEST_F(MemoryFloorTest, WithoutAFloorEvenAddressZeroIsChecked) {
  memory_->setFloor(0);  // an eBPF-style memory, resized per run
  TestTarget t(1, loadAt([](GraphDomain& d) { return d.i64(0); }));
  EXPECT_EQ(count(*optimizedGraph(t).graph, Op::TrapExit), 1);
}

TEST_F(MemoryFloorTest, AnIndexBoundedByAPassedTestIsNotChecked) {
  // if (i <u K) load(zext(i) + 8): the access ends below K - 1 + 12.
  for (auto [bound, checked] : {std::pair{65525, false}, std::pair{65526, true}}) {
    TestTarget t(1, [&, bound = bound](GraphDomain& d) {
      GraphFrame f{{d.i64(0).node}};
      BranchProfile p;
      auto i = d.wrap(d.parameter(0));
      d.ifElse(
          d.ltU(i, d.i32(bound)), p, f,
          [&] {
            d.storeI64(f, 0,
                       checkedLoad<int32_t, int64_t>(d, *memory_, d.add(d.extendU(i), d.i64(8)),
                                                     AddressRange::Below2To34));
          },
          [] {});
      returnSlot(d, f, 0);
    });
    EXPECT_EQ(count(*optimizedGraph(t).graph, Op::TrapExit), checked ? 1 : 0)
        << "i <u " << bound << ": the access ends at most at " << bound - 1 + 12
        << (checked ? ", past the floor" : ", inside the floor");
  }
}

TEST_F(MemoryFloorTest, AMaskedIndexIsNotChecked) {
  TestTarget t(1, loadAt([](GraphDomain& d) {
                 return d.extendU(d.bitAnd(d.wrap(d.parameter(0)), d.i32(0xFFFF)));
               }));
  // A 4-byte access at i & 0xFFFF may end at 65539: checked; at i & 0x3FFF it may not.
  EXPECT_EQ(count(*optimizedGraph(t).graph, Op::TrapExit), 1);
  TestTarget small(1, loadAt([](GraphDomain& d) {
                     return d.extendU(d.bitAnd(d.wrap(d.parameter(0)), d.i32(0x3FFF)));
                   }));
  EXPECT_EQ(count(*optimizedGraph(small).graph, Op::TrapExit), 0);
}

}  // namespace
}  // namespace morel::pe

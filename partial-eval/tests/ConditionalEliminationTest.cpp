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

}  // namespace
}  // namespace morel::pe

// Map semantics as Linux's helpers return them, and the sandbox: values are
// guest addresses inside the programs' memory, handles are not addresses.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/EbpfMap.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

std::vector<uint8_t> bytes(uint32_t v) {
  std::vector<uint8_t> b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}

class EbpfMapTest : public ::testing::Test {
 protected:
  std::unique_ptr<EbpfMap> make(MapType type, uint32_t maxEntries) {
    MapDefinition d{"m", static_cast<uint32_t>(type), 4, 4, maxEntries, 0};
    auto region = EbpfMap::regionBytes(d);
    EXPECT_TRUE(region.has_value());
    return EbpfMap::create(d, *memory_, 64);
  }
  uint32_t valueAt(uint64_t address) {
    uint32_t v = 0;
    std::memcpy(&v, memory_->base() + address, 4);
    return v;
  }
  std::unique_ptr<LinearMemory> memory_ = std::move(*LinearMemory::create(4096, 4096));
};

TEST_F(EbpfMapTest, ArrayLookupIsAnAddressInTheRegion) {
  auto m = make(MapType::Array, 4);
  EXPECT_EQ(m->lookup(bytes(0)), 64u);
  EXPECT_EQ(m->lookup(bytes(3)), 64u + 3 * 8) << "expected 8-byte slots";
  EXPECT_EQ(m->lookup(bytes(4)), std::nullopt) << "expected no slot past max_entries";
  EXPECT_EQ(m->update(bytes(1), bytes(42), kUpdateAny), 0);
  EXPECT_EQ(valueAt(*m->lookup(bytes(1))), 42u);
  EXPECT_EQ(m->update(bytes(1), bytes(1), kUpdateNoExist), -EEXIST)
      << "expected array slots to exist";
  EXPECT_EQ(m->update(bytes(9), bytes(1), kUpdateAny), -E2BIG);
  EXPECT_EQ(m->remove(bytes(1)), -EINVAL) << "expected arrays to refuse delete";
}

TEST_F(EbpfMapTest, HashHonoursUpdateFlagsAndCapacity) {
  auto m = make(MapType::Hash, 2);
  EXPECT_EQ(m->update(bytes(7), bytes(70), kUpdateExist), -ENOENT);
  EXPECT_EQ(m->update(bytes(7), bytes(70), kUpdateNoExist), 0);
  EXPECT_EQ(m->update(bytes(7), bytes(71), kUpdateNoExist), -EEXIST);
  EXPECT_EQ(m->update(bytes(8), bytes(80), kUpdateAny), 0);
  EXPECT_EQ(m->update(bytes(9), bytes(90), kUpdateAny), -E2BIG) << "expected a full hash to refuse";
  EXPECT_EQ(valueAt(*m->lookup(bytes(7))), 70u);
  EXPECT_EQ(m->remove(bytes(7)), 0);
  EXPECT_EQ(m->remove(bytes(7)), -ENOENT);
  EXPECT_EQ(m->lookup(bytes(7)), std::nullopt);
  EXPECT_EQ(m->update(bytes(9), bytes(90), kUpdateAny), 0) << "expected the freed slot reused";
  EXPECT_EQ(m->entryCount(), 2u);
}

TEST_F(EbpfMapTest, LruHashEvictsTheLeastRecentlyUsed) {
  auto m = make(MapType::LruHash, 2);
  ASSERT_EQ(m->update(bytes(1), bytes(10), kUpdateAny), 0);
  ASSERT_EQ(m->update(bytes(2), bytes(20), kUpdateAny), 0);
  ASSERT_TRUE(m->lookup(bytes(1)).has_value());  // 2 is now the least recent
  ASSERT_EQ(m->update(bytes(3), bytes(30), kUpdateAny), 0);
  EXPECT_EQ(m->lookup(bytes(2)), std::nullopt) << "expected key 2 evicted";
  EXPECT_EQ(valueAt(*m->lookup(bytes(1))), 10u);
  EXPECT_EQ(valueAt(*m->lookup(bytes(3))), 30u);
}

// A program may pass a pointer into the map's own values as the new value (the
// fuzzer found an array update whose value overlapped its slot).
TEST_F(EbpfMapTest, AnUpdateMayReadItsValueFromTheMapItself) {
  auto array = make(MapType::Array, 4);
  ASSERT_EQ(array->update(bytes(1), bytes(0x44332211), kUpdateAny), 0);
  ASSERT_EQ(array->update(bytes(2), bytes(0x88776655), kUpdateAny), 0);
  uint64_t one = *array->lookup(bytes(1));
  std::span<const uint8_t> overlapping{memory_->base() + one + 2, 4};
  ASSERT_EQ(array->update(bytes(1), overlapping, kUpdateAny), 0);
  EXPECT_EQ(valueAt(one) & 0xffff, 0x4433u) << "expected the value's bytes moved, not smeared";

  auto lru = make(MapType::LruHash, 1);
  ASSERT_EQ(lru->update(bytes(1), bytes(10), kUpdateAny), 0);
  std::span<const uint8_t> evicted{memory_->base() + *lru->lookup(bytes(1)), 4};
  ASSERT_EQ(lru->update(bytes(2), evicted, kUpdateAny), 0);
  EXPECT_EQ(lru->lookup(bytes(1)), std::nullopt);
  EXPECT_EQ(valueAt(*lru->lookup(bytes(2))), 10u)
      << "expected the value read before the eviction cleared its slot";
}

TEST_F(EbpfMapTest, PerCpuMapsHaveOneCpu) {
  auto array = make(MapType::PerCpuArray, 2);
  EXPECT_EQ(array->update(bytes(1), bytes(5), kUpdateAny), 0);
  EXPECT_EQ(valueAt(*array->lookup(bytes(1))), 5u);
  auto hash = make(MapType::PerCpuHash, 2);
  EXPECT_EQ(hash->update(bytes(1), bytes(6), kUpdateAny), 0);
  EXPECT_EQ(valueAt(*hash->lookup(bytes(1))), 6u);
}

TEST_F(EbpfMapTest, DefinitionsAreChecked) {
  EXPECT_EQ(EbpfMap::regionBytes({"m", 13, 4, 4, 16, 0}).error().category, "unsupported map type");
  EXPECT_EQ(EbpfMap::regionBytes({"a", 2, 8, 8, 4, 0}).error().category, "invalid map")
      << "expected an array's 8-byte key refused";
  EXPECT_EQ(EbpfMap::regionBytes({"h", 1, 4, 8, 0x7fffffff, 0}).error().category, "invalid map")
      << "expected a map larger than the limit refused";
}

TEST(EbpfRingBufTest, RecordsNeverWrapAndFreeWhenConsumed) {
  auto memory = std::move(*LinearMemory::create(16384, 16384));
  MapDefinition d{"ring", static_cast<uint32_t>(MapType::RingBuf), 0, 0, 4096, 0};
  ASSERT_EQ(EbpfMap::regionBytes(d).value_or(0), 4096u);
  EbpfRingBuf ring(d, *memory, 4096);
  auto big = ring.reserve(4000);
  ASSERT_EQ(big, 4096u + 8) << "expected the sample after an 8-byte header";
  EXPECT_EQ(ring.reserve(200), std::nullopt) << "expected no room while the big record is held";
  ASSERT_TRUE(ring.commit(*big, false));
  EXPECT_FALSE(ring.commit(*big, false)) << "expected a sample to end once";
  EXPECT_EQ(ring.records().size(), 1u);
  ring.consume();
  // 4008 bytes used so far: a 208-byte record would cross the end, so it starts over at 0.
  auto wrapped = ring.reserve(200);
  ASSERT_EQ(wrapped, 4096u + 8) << "expected the record at the start, the tail padded";
  EXPECT_EQ(ring.query(0), 88u + 208u) << "expected padding and record counted";
  EXPECT_TRUE(ring.commit(*wrapped, true));
  EXPECT_TRUE(ring.records().empty()) << "expected a discarded record not listed";
  EXPECT_EQ(EbpfMap::regionBytes({"r", 27, 0, 0, 5000, 0}).error().category, "invalid map")
      << "expected a size that is not a power of two refused";
}

TEST(EbpfMapHandleTest, AMapHandleIsNoAddress) {
  // What `lddw r1, map` loads traps when used as a pointer, in the sandbox.
  OptionValues options;
  Runtime runtime(options, nullptr, nullptr);
  EbpfInstance::Options o;
  o.mapLoad = [](const Instruction&, const Instruction&) -> std::expected<uint64_t, std::string> {
    return kMapHandleBase;
  };
  auto program = assemble("lddw_map_fd %r1, 0\nldxdw %r0, [%r1]\nexit\n");
  ASSERT_TRUE(program.has_value()) << program.error().toString();
  auto instance = EbpfInstance::load(*program, "handle", runtime, o);
  ASSERT_TRUE(instance.has_value()) << instance.error().toString();
  auto r = (*instance)->run();
  ASSERT_FALSE(r.has_value()) << "expected a trap";
  EXPECT_EQ(trapOf(r.error()), &kOutOfBoundsMemoryAccess);
}

TEST(EbpfMapHandleTest, MapLoadsWithoutMapsAreRefused) {
  OptionValues options;
  Runtime runtime(options, nullptr, nullptr);
  auto program = assemble("mov %r0, 0\nlddw_map_fd %r1, 3\nexit\n");
  ASSERT_TRUE(program.has_value());
  auto instance = EbpfInstance::load(*program, "nomaps", runtime);
  ASSERT_FALSE(instance.has_value());
  EXPECT_EQ(instance.error().category, "unknown map");
  EXPECT_EQ(instance.error().position, 1u) << "expected the lddw's index";
}

}  // namespace
}  // namespace morel::ebpf

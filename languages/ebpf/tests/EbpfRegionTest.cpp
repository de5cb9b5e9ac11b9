// Issue 8's per-region memory safety, in every tier: each load, store and atomic
// is checked against the region its pointer came from (the stack, the input, one
// map's values), proven in bounds at load time, or refused at load time. Before,
// every access was only checked against the whole memory, so a map value's
// overrun or an input pointer run backwards silently reached the neighbouring map.
#include <gtest/gtest.h>

#include <cstring>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"
#include "morel/pe/PartialEvaluator.h"
#include "morel/pe/Phases.h"

namespace morel::ebpf {
namespace {

// The memory: the stack, map 0 (4 values of 12 bytes, 16 apart), map 1 (one
// 8-byte value, right after map 0), then the input.
constexpr uint64_t kMap0 = EbpfInstance::kStackSize;
constexpr MapValueLayout kLayout0{kMap0, 16, 12, 4};
constexpr uint64_t kMap1 = kMap0 + 64;
constexpr MapValueLayout kLayout1{kMap1, 8, 8, 1};
constexpr uint64_t kInputBase = kMap1 + 8;
constexpr uint64_t kHandle = 0x1000;  // + the map's index
constexpr uint64_t kMap1Canary = 0x1111111111111111;

class EbpfRegionTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
    memory_ = std::move(*LinearMemory::create(kInputBase, kInputBase + 4096));
    for (uint64_t k = 0; k < kLayout0.entries; ++k) {
      uint64_t value = 100 + k;
      std::memcpy(memory_->base() + kMap0 + kLayout0.stride * k, &value, 8);
    }
    std::memcpy(memory_->base() + kMap1, &kMap1Canary, 8);
    // map_lookup_elem as an array answers it (used when the call's block did not load r1).
    helpers_.push_back({1, "map_lookup_elem", false, [](LinearMemory& m, const uint64_t* a) {
                          const MapValueLayout& map = a[0] == kHandle ? kLayout0 : kLayout1;
                          uint32_t key = 0;
                          std::memcpy(&key, m.base() + a[1], 4);
                          return key < map.entries ? map.base + map.stride * key : uint64_t{0};
                        }});
  }

  /// Assembles `text`, where `lddw %rN, M` names map M: its handle, or with a
  /// second slot k > 0 (`lddw %rN, 0x0000000k0000000M`) its value's byte k - 1
  /// (global data, an lddw with the map-value pseudo-source).
  Result<std::unique_ptr<EbpfInstance>> tryLoad(std::string_view text) {
    auto program = assemble(text);
    if (!program) return std::unexpected(program.error());
    for (std::size_t i = 0; i < program->size(); ++i)
      if ((*program)[i].opcode == 0x18) {
        Instruction& hi = (*program)[++i];
        (*program)[i - 1].src = hi.imm == 0 ? 1 : 2;
        if (hi.imm != 0) --hi.imm;
      }
    EbpfInstance::Options o;
    o.helpers = helpers_;
    o.memory = memory_.get();
    o.inputBase = kInputBase;
    o.mapLoad = [](const Instruction& lo,
                   const Instruction& hi) -> std::expected<uint64_t, std::string> {
      if (lo.imm > 1) return std::unexpected("no such map");
      if (lo.src == 1) return kHandle + lo.imm;
      return (lo.imm == 0 ? kMap0 : kMap1) + static_cast<uint32_t>(hi.imm);
    };
    o.arrayLookup = [](uint32_t helper,
                       uint64_t handle) -> std::optional<EbpfInstance::ArraySlots> {
      if (helper != 1) return std::nullopt;
      const MapValueLayout& map = handle == kHandle ? kLayout0 : kLayout1;
      return EbpfInstance::ArraySlots{map.base, map.stride, map.entries};
    };
    o.mapValues = [](const Instruction& lo) -> std::optional<MapValueLayout> {
      return lo.imm == 0 ? kLayout0 : kLayout1;
    };
    o.lookupHelper = 1;
    o.r1IsInput = true;
    return EbpfInstance::load(*program, "regions", *runtime_, o);
  }
  std::unique_ptr<EbpfInstance> load(std::string_view text) {
    auto p = tryLoad(text);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// The load's refusal: its category and the instruction it names.
  void expectRefused(std::string_view text, std::string_view category, std::size_t instruction) {
    auto p = tryLoad(text);
    ASSERT_FALSE(p.has_value()) << "expected \"" << category << "\" at instruction " << instruction;
    EXPECT_EQ(p.error().category, category) << p.error().toString();
    EXPECT_EQ(p.error().position, instruction) << p.error().toString();
    EXPECT_EQ(p.error().unit, Diagnostic::Unit::Instruction);
  }

  /// The input: an 8-byte number n the programs use as a variable offset.
  static std::vector<uint8_t> input(uint64_t n) {
    std::vector<uint8_t> bytes(16, 0);
    std::memcpy(bytes.data(), &n, 8);
    return bytes;
  }
  /// Runs often enough for tiered mode to compile; every result must be `expected`.
  void expectAlways(EbpfInstance& p, uint64_t n, uint64_t expected) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.runWithInput(input(n));
      ASSERT_TRUE(r.has_value()) << "expected no trap with n = " << n << ", run " << i;
      ASSERT_EQ(*r, expected) << "n = " << n << ", run " << i;
      runtime_->drainQueue();
    }
    expectCompiled();
  }
  /// Runs as often; every run must trap with "out of bounds memory access".
  void expectTrapAlways(EbpfInstance& p, uint64_t n) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.runWithInput(input(n));
      ASSERT_FALSE(r.has_value()) << "expected an out-of-bounds trap with n = " << n << ", run "
                                  << i << ", got " << *r;
      ASSERT_EQ(r.error(), statusOf(kOutOfBoundsMemoryAccess)) << "run " << i;
      runtime_->drainQueue();
    }
  }
  void expectCompiled() {
    if (testing::compiles(GetParam().name))
      EXPECT_GT(runtime_->installedCompilations(), 0u)
          << "expected compiled code in " << GetParam().name;
  }
  uint64_t map1Value() const {
    uint64_t v = 0;
    std::memcpy(&v, memory_->base() + kMap1, 8);
    return v;
  }

  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<LinearMemory> memory_;
  std::vector<EbpfHelper> helpers_;
};

// Looks up map 0's value 3 (its last, at byte 48 of the map), then stores 8 bytes at r0 + n.
constexpr std::string_view kStoreAtLastValuePlusN =
    "ldxdw %r6, [%r1]\n"
    "stw [%r10-4], 3\n"
    "lddw %r1, 0\n"
    "mov %r2, %r10\n"
    "add %r2, -4\n"
    "call 1\n"
    "jeq %r0, 0, miss\n"
    "add %r0, %r6\n"
    "mov %r7, 7\n"
    "stxdw [%r0], %r7\n"
    "miss:\n"
    "mov %r0, 1\n"
    "exit\n";

TEST_P(EbpfRegionTest, AVariableOverrunPastAMapsLastValueTrapsInsteadOfWritingTheNextMap) {
  auto p = load(kStoreAtLastValuePlusN);
  ASSERT_NE(p, nullptr);
  expectTrapAlways(*p, 16);  // map 1's value
  EXPECT_EQ(map1Value(), kMap1Canary) << "expected map 1's value untouched";
  expectTrapAlways(*p, static_cast<uint64_t>(-64));  // before the map: the stack's top
}

TEST_P(EbpfRegionTest, AVariableOffsetThatRunsPastTheValuesEndTraps) {
  auto p = load(kStoreAtLastValuePlusN);
  ASSERT_NE(p, nullptr);
  expectTrapAlways(*p, 8);  // bytes 8..16 of a 12-byte value: its padding
  expectAlways(*p, 4, 1);   // bytes 4..12 fit
}

// The run-time check is per value, not per lookup: another value of the same map passes.
TEST_P(EbpfRegionTest, AVariableOffsetInsideAnyValueOfTheMapIsAllowed) {
  auto p = load(kStoreAtLastValuePlusN);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 0, 1);
  expectAlways(*p, static_cast<uint64_t>(-16), 1);
  uint64_t value2 = 0;
  std::memcpy(&value2, memory_->base() + kMap0 + 32, 8);
  EXPECT_EQ(value2, 7u) << "expected value 2 written through value 3's pointer";
}

TEST_P(EbpfRegionTest, AnInputPointerWithANegativeOffsetTrapsInsteadOfReadingMapValues) {
  auto constant = load(
      "ldxdw %r0, [%r1-8]\n"
      "exit\n");
  ASSERT_NE(constant, nullptr);
  expectTrapAlways(*constant, 0);  // the 8 bytes before the input are map 1's value
  auto variable = load(
      "ldxdw %r6, [%r1]\n"
      "sub %r1, %r6\n"
      "ldxdw %r0, [%r1]\n"
      "exit\n");
  ASSERT_NE(variable, nullptr);
  expectTrapAlways(*variable, 8);
  expectAlways(*variable, 0, 0);  // the input's own first bytes: n = 0
}

TEST_P(EbpfRegionTest, AStackPointerWithAVariableOffsetStaysInsideTheStack) {
  auto p = load(
      "ldxdw %r6, [%r1]\n"
      "mov %r2, %r10\n"
      "add %r2, %r6\n"
      "ldxdw %r0, [%r2-8]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectTrapAlways(*p, 8);  // r10 + 8 - 8 is map 0's first value
  expectAlways(*p, 0, 0);   // the stack's last 8 bytes, zeroed for the run
}

struct Refusal {
  const char* name;
  const char* text;
  const char* category;
  std::size_t instruction;
};

// Looks up map 0's value 0 and ends when the lookup answers null.
#define LOOKUP_VALUE_0                                         \
  "stw [%r10-4], 0\nlddw %r1, 0\nmov %r2, %r10\nadd %r2, -4\n" \
  "call 1\njeq %r0, 0, out\n"
#define OUT "out:\nexit\n"

constexpr Refusal kRefusals[] = {
    {"AConstantOffsetPastAValuesEnd", LOOKUP_VALUE_0 "ldxw %r0, [%r0+12]\n" OUT,
     "invalid access to map value", 7},
    {"AConstantOffsetBeforeAValue", LOOKUP_VALUE_0 "ldxb %r0, [%r0-1]\n" OUT,
     "invalid access to map value", 7},
    {"AConstantOffsetAddedToThePointerFirst", LOOKUP_VALUE_0 "add %r0, 8\nstw [%r0+4], 1\n" OUT,
     "invalid access to map value", 8},
    {"AGlobalDataAccessPastItsValue", "lddw %r2, 0x0000000500000001\nldxdw %r0, [%r2]\nexit\n",
     "invalid access to map value", 2},
    {"AConstantOffsetPastTheValueWhereTwoCheckedLookupsJoin",
     "ldxdw %r6, [%r1]\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\njeq %r6, 0, second\n"
     "lddw %r1, 0\ncall 1\njeq %r0, 0, out\nja use\n"
     "second:\nlddw %r1, 0\ncall 1\njeq %r0, 0, out\n"
     "use:\nldxw %r0, [%r0+12]\n" OUT,
     "invalid access to map value", 14},
    {"ALoadBeforeTheNullCheck",
     "stw [%r10-4], 0\nlddw %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0]\nexit\n",
     "possible null dereference of a map value", 6},
    {"AStoreThroughACopyBeforeTheNullCheck",
     "stw [%r10-4], 0\nlddw %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\nmov %r6, %r0\n"
     "stdw [%r6+0], 1\nexit\n",
     "possible null dereference of a map value", 7},
    {"AnAccessOnThePathWhereTheLookupWasNull",
     "stw [%r10-4], 0\nlddw %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\njne %r0, 0, out\n"
     "ldxdw %r0, [%r0]\n" OUT,
     "possible null dereference of a map value", 7},
};

TEST_P(EbpfRegionTest, ProvablyWrongMapValueAccessesAreRefusedAtLoadNamingTheInstruction) {
  for (const Refusal& r : kRefusals) {
    SCOPED_TRACE(r.name);
    expectRefused(r.text, r.category, r.instruction);
  }
}

TEST_P(EbpfRegionTest, AccessesProvenInsideTheValueRunInEveryTier) {
  // Checking a copy of the result counts for the result too.
  auto copyChecked = load(LOOKUP_VALUE_0
                          "mov %r6, %r0\nadd %r6, 4\nldxw %r0, [%r6+4]\n"
                          "stw [%r6+0], 9\n" OUT);
  ASSERT_NE(copyChecked, nullptr);
  expectAlways(*copyChecked, 0, 0);  // bytes 8..12 of value 0 (100 is in bytes 0..8)
  uint32_t stored = 0;
  std::memcpy(&stored, memory_->base() + kMap0 + 4, 4);
  EXPECT_EQ(stored, 9u) << "expected bytes 4..8 of value 0 written";
  auto notNullTaken = load(
      "stw [%r10-4], 2\nlddw %r1, 0\nmov %r2, %r10\nadd %r2, -4\ncall 1\njne %r0, 0, found\n"
      "exit\n"
      "found:\nldxdw %r0, [%r0]\nexit\n");
  ASSERT_NE(notNullTaken, nullptr);
  expectAlways(*notNullTaken, 0, 102);
  auto globalData = load("lddw %r2, 0x0000000500000001\nldxw %r0, [%r2]\nexit\n");
  ASSERT_NE(globalData, nullptr);
  expectAlways(*globalData, 0, kMap1Canary >> 32);
}

// The compiled graph of `p`'s entry function holds this many trap exits.
int trapExits(EbpfInstance& p) {
  auto pe = pe::partialEvaluate(p.target());
  EXPECT_TRUE(pe.has_value()) << pe.error().toString();
  if (!pe) return -1;
  pe::optimize(*pe->graph);
  int exits = 0;
  for (pe::IrNode* n : pe->graph->liveNodes()) exits += n->op() == pe::Op::TrapExit;
  return exits;
}

// The whole-memory check compared even a constant address with the memory's size,
// which changes from run to run; a proven access has no check left.
TEST_P(EbpfRegionTest, AnAccessProvenAtLoadCompilesWithoutACheck) {
  auto proven = load("lddw %r2, 0x0000000500000001\nldxw %r0, [%r2]\nexit\n");
  ASSERT_NE(proven, nullptr);
  EXPECT_EQ(trapExits(*proven), 0) << "expected global data's load unchecked";
  auto variable =
      load("lddw %r2, 0x0000000100000001\nldxdw %r6, [%r1]\nadd %r2, %r6\nldxw %r0, [%r2]\nexit\n");
  ASSERT_NE(variable, nullptr);
  EXPECT_EQ(trapExits(*variable), 2) << "expected the input's check and the map value's";
}

#undef LOOKUP_VALUE_0
#undef OUT

INSTANTIATE_TEST_SUITE_P(Tiers, EbpfRegionTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf

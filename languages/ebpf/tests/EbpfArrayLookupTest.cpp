// map_lookup_elem on an array map whose handle the call's block loads into r1
// is computed in place (EbpfArrayLookupNode), in every tier: the same answers as
// the helper, and the helper is never called. A lookup whose r1 the builder
// cannot see still calls it.
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

constexpr uint64_t kHandle = 0x1000;
constexpr uint64_t kSlots = EbpfInstance::kStackSize;  // 4 slots of 8 bytes after the stack
constexpr uint32_t kEntries = 4;

class EbpfArrayLookupTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
    memory_ = std::move(*LinearMemory::create(kSlots + 8 * kEntries, kSlots + 8 * kEntries + 4096));
    for (uint64_t k = 0; k < kEntries; ++k) {
      uint64_t value = 100 + k;
      std::memcpy(memory_->base() + kSlots + 8 * k, &value, 8);
    }
    // The helper the lookups would call: counts its calls, answers as an array does.
    helpers_.push_back({1, "map_lookup_elem", false, [this](LinearMemory& m, const uint64_t* a) {
                          ++helperCalls_;
                          if (a[0] != kHandle) return uint64_t{0};
                          uint32_t key = 0;
                          std::memcpy(&key, m.base() + a[1], 4);
                          return key < kEntries ? kSlots + 8 * uint64_t{key} : 0;
                        }});
  }
  void TearDown() override {
    if (testing::compiles(GetParam().name))
      EXPECT_GT(runtime_->installedCompilations(), 0u) << "expected compiled code in " << GetParam().name;
  }
  /// `text` with its first lddw turned into `lddw %rN, map` (the array's handle).
  std::unique_ptr<EbpfInstance> load(std::string_view text) {
    auto program = assemble(text);
    EXPECT_TRUE(program.has_value());
    for (Instruction& in : *program)
      if (in.opcode == 0x18) {
        in.src = 1;
        break;
      }
    EbpfInstance::Options o;
    o.helpers = helpers_;
    o.memory = memory_.get();
    o.inputBase = kSlots + 8 * kEntries;
    o.mapLoad = [](const Instruction&, const Instruction&) -> std::expected<uint64_t, std::string> {
      return kHandle;
    };
    o.arrayLookup = [](uint32_t helper, uint64_t handle) -> std::optional<EbpfInstance::ArraySlots> {
      if (helper != 1 || handle != kHandle) return std::nullopt;
      return EbpfInstance::ArraySlots{kSlots, 8, kEntries};
    };
    auto p = EbpfInstance::load(*program, "lookup", *runtime_, o);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// Runs often enough for tiered mode to compile; every result must be `expected`.
  void expectAlways(EbpfInstance& p, uint64_t r1, uint64_t expected) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.run(r1);
      ASSERT_TRUE(r.has_value()) << "expected no trap, run " << i;
      ASSERT_EQ(*r, expected) << "run " << i;
      runtime_->drainQueue();
    }
  }

  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<LinearMemory> memory_;
  std::vector<EbpfHelper> helpers_;
  int helperCalls_ = 0;
};

// key = r1; returns the slot's value, or 99 when the lookup answers null.
constexpr std::string_view kLookupValue =
    "stxw [%r10-4], %r1\n"
    "lddw %r1, 0\n"
    "mov %r2, %r10\n"
    "add %r2, -4\n"
    "call 1\n"
    "jeq %r0, 0, miss\n"
    "ldxdw %r0, [%r0]\n"
    "exit\n"
    "miss:\n"
    "mov %r0, 99\n"
    "exit\n";

TEST_P(EbpfArrayLookupTest, ALookupAfterLddwOfTheMapNeverCallsTheHelper) {
  auto p = load(kLookupValue);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 2, 102);
  EXPECT_EQ(helperCalls_, 0) << "expected the lookup computed in place, without the helper";
}

TEST_P(EbpfArrayLookupTest, AKeyPastTheLastSlotAnswersNull) {
  auto p = load(kLookupValue);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 4, 99);
  expectAlways(*p, 0xffffffff, 99);
  expectAlways(*p, 0, 100);
  EXPECT_EQ(helperCalls_, 0);
}

TEST_P(EbpfArrayLookupTest, AConstantKeyStoredJustBeforeTheCallFindsItsSlot) {
  auto p = load(
      "stw [%r10-4], 3\n"
      "lddw %r1, 0\n"
      "mov %r2, %r10\n"
      "add %r2, -4\n"
      "call 1\n"
      "ldxdw %r0, [%r0]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 0, 103);
  EXPECT_EQ(helperCalls_, 0);
}

// In the entry function r10 is the constant stack top, so the key's address
// folds, the key's load takes the value the store just wrote, and the lookup is
// the slot's constant address: compiled code reads the value straight from it.
TEST_P(EbpfArrayLookupTest, AConstantKeyMakesTheSlotAConstantAddress) {
  auto p = load(
      "stw [%r10-4], 3\n"
      "lddw %r1, 0\n"
      "mov %r2, %r10\n"
      "add %r2, -4\n"
      "call 1\n"
      "ldxdw %r0, [%r0]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  auto pe = pe::partialEvaluate(p->target());
  ASSERT_TRUE(pe.has_value()) << pe.error().toString();
  pe::optimize(*pe->graph);
  int loads = 0, selects = 0;
  for (pe::IrNode* n : pe->graph->liveNodes()) {
    if (n->op() == pe::Op::Load) {
      ++loads;
      EXPECT_TRUE(n->input(1)->isConst()) << "expected the slot's constant address";
      if (n->input(1)->isConst()) EXPECT_EQ(n->input(1)->value(), static_cast<int64_t>(kSlots + 8 * 3));
    }
    selects += n->op() == pe::Op::Select;
  }
  EXPECT_EQ(loads, 1) << "expected only the value's load: the key forwarded from its store";
  EXPECT_EQ(selects, 0) << "expected the null check folded";
  expectAlways(*p, 0, 103);
}

TEST_P(EbpfArrayLookupTest, AnR1TheBlockDidNotLoadStillCallsTheHelper) {
  // r1 is copied from r6, and the copy's origin lies in another block.
  auto p = load(
      "lddw %r6, 0\n"
      "stw [%r10-4], 1\n"
      "ja next\n"
      "next:\n"
      "mov %r1, %r6\n"
      "mov %r2, %r10\n"
      "add %r2, -4\n"
      "call 1\n"
      "ldxdw %r0, [%r0]\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 0, 101);
  EXPECT_EQ(helperCalls_, 8) << "expected one helper call per run";
}

TEST_P(EbpfArrayLookupTest, AKeyOutsideTheMemoryTrapsAsTheHelperWould) {
  auto p = load(
      "lddw %r1, 0\n"
      "mov %r2, -8\n"
      "call 1\n"
      "exit\n");
  ASSERT_NE(p, nullptr);
  auto r = p->run(0);
  EXPECT_FALSE(r.has_value()) << "expected an out-of-bounds trap reading the key";
  for (int i = 0; i < 4; ++i) {
    (void)p->run(0);
    runtime_->drainQueue();
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, EbpfArrayLookupTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf

// callx's inline cache (EbpfCallxNode) in every tier: a site calls the helper
// its register names when that number changes after compilation, when it
// varies within a run (two helpers, then more than the cache holds), when the
// helper unwinds, and an unknown number still traps after the site is cached.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

/// sum over i = 10..1 of helper[r1](i * i, 0, 0, 0, 0): one callx site, one number per run.
constexpr const char* kOneHelper =
    "mov %r9, %r1\n"
    "mov %r6, 0\n"
    "mov %r7, 10\n"
    "loop:\n"
    "mov %r1, %r7\nmul %r1, %r7\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\n"
    "callx %r9\n"
    "add %r6, %r0\n"
    "sub %r7, 1\n"
    "jne %r7, 0, loop\n"
    "mov %r0, %r6\n"
    "exit\n";

/// The same, the helper chosen per iteration: i % r1, with 4 read as 5 (0, 1, 2, 3, 5).
constexpr const char* kRotatingHelpers =
    "mov %r8, %r1\n"
    "mov %r6, 0\n"
    "mov %r7, 10\n"
    "loop:\n"
    "mov %r9, %r7\nmod %r9, %r8\n"
    "jne %r9, 4, go\n"
    "mov %r9, 5\n"
    "go:\n"
    "mov %r1, %r7\nmul %r1, %r7\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\n"
    "callx %r9\n"
    "add %r6, %r0\n"
    "sub %r7, 1\n"
    "jne %r7, 0, loop\n"
    "mov %r0, %r6\n"
    "exit\n";

/// uBPF's test helpers on (x, 0, 0, 0, 0), x small (EbpfHelpers.cpp).
uint64_t helper(uint64_t number, uint64_t x) {
  switch (number) {
    case 0:
      return (x & 0xff) << 32;  // gather_bytes
    case 3:
      return static_cast<uint64_t>(std::sqrt(static_cast<double>(x)));  // sqrti
    case 5:
      return x;  // unwind
    default:
      return 0;  // memfrob of 0 bytes, no_op
  }
}

std::string oneHelperSum(uint64_t number) {
  uint64_t s = 0;
  for (uint64_t i = 10; i > 0; --i) s += helper(number, i * i);
  return std::to_string(s);
}

std::string rotatingSum(uint64_t m) {
  uint64_t s = 0;
  for (uint64_t i = 10; i > 0; --i) s += helper(i % m == 4 ? 5 : i % m, i * i);
  return std::to_string(s);
}

class EbpfCallxCacheTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
  }
  std::unique_ptr<EbpfInstance> load(const char* text) {
    auto p = EbpfInstance::loadAssembly(text, "callx", *runtime_);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// r0 of a run with r1, or the trap's message.
  std::string run(EbpfInstance& p, uint64_t r1) {
    auto r = p.run(r1);
    if (!r) return std::string("trap: ") + trapOf(r.error())->message;
    return std::to_string(*r);
  }
  /// Runs often enough for tiered mode to compile, checking every result.
  void expectAlways(EbpfInstance& p, uint64_t r1, const std::string& want) {
    for (int i = 0; i < 8; ++i) {
      ASSERT_EQ(run(p, r1), want) << "r1 = " << r1 << ", run " << i << " (" << GetParam().name
                                  << ")";
      if (i == 3) runtime_->drainQueue();
    }
  }
  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(EbpfCallxCacheTest, ANumberChangedAfterCompilationCallsTheNewHelper) {
  auto p = load(kOneHelper);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 3, oneHelperSum(3));  // sqrti: 55
  expectAlways(*p, 0, oneHelperSum(0));  // gather_bytes: a miss once compiled
  expectAlways(*p, 3, oneHelperSum(3));
  expectAlways(*p, 2, oneHelperSum(2));
  expectAlways(*p, 5, oneHelperSum(5));
  expectAlways(*p, 1, oneHelperSum(1));  // a fifth number: the site goes megamorphic
  expectAlways(*p, 3, oneHelperSum(3));
}

TEST_P(EbpfCallxCacheTest, NumbersVaryingWithinARunCallEachHelper) {
  auto p = load(kRotatingHelpers);
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 2, rotatingSum(2));  // gather_bytes and memfrob
  expectAlways(*p, 5, rotatingSum(5));  // five helpers: past the cache
  expectAlways(*p, 2, rotatingSum(2));
}

TEST_P(EbpfCallxCacheTest, ACachedUnwindingHelperStillEndsTheProgram) {
  // unwind (helper 5) returning 0 ends the program with r0 = 0; otherwise r0 = 2.
  auto p = load("mov %r9, 5\ncallx %r9\nmov %r0, 2\nexit\n");
  ASSERT_NE(p, nullptr);
  expectAlways(*p, 7, "2");
  expectAlways(*p, 0, "0");
  expectAlways(*p, 7, "2");
}

TEST_P(EbpfCallxCacheTest, AnUnknownNumberTrapsBeforeAndAfterTheSiteIsCached) {
  auto p = load(kOneHelper);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(run(*p, 77), "trap: call to an unknown helper");
  expectAlways(*p, 3, oneHelperSum(3));
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(run(*p, 77), "trap: call to an unknown helper") << i;
    ASSERT_EQ(run(*p, 3), oneHelperSum(3)) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTiers, EbpfCallxCacheTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf

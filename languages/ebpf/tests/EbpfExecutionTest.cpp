// eBPF programs run in every tier: the block dispatcher, ALU32 zero-extension,
// division by zero, loops, and a deoptimization that resumes at a basic block.
#include <gtest/gtest.h>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {
namespace {

class EbpfExecutionTest : public ::testing::TestWithParam<testing::TierMode> {
 protected:
  void SetUp() override {
    options_ = *testing::tierOptions(GetParam().name, 3);
    runtime_ = std::make_unique<Runtime>(options_, &compiler_, nullptr);
  }
  std::unique_ptr<EbpfInstance> load(std::string_view text) {
    auto p = EbpfInstance::loadAssembly(text, "test", *runtime_);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().toString());
    return p ? std::move(*p) : nullptr;
  }
  /// Runs often enough for tiered mode to compile, checking every result.
  void expectAlways(EbpfInstance& p, uint64_t r1, uint64_t expected) {
    for (int i = 0; i < 8; ++i) {
      auto r = p.run(r1);
      ASSERT_TRUE(r.has_value());
      ASSERT_EQ(*r, expected) << "run " << i;
      runtime_->drainQueue();
    }
  }
  OptionValues options_;
  codegen::OptimizingCompiler compiler_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_P(EbpfExecutionTest, Alu32ZeroExtendsAndDivisionByZeroIsDefined) {
  auto p = load(
      "lddw %r0, 0xffffffff00000005\n"
      "add32 %r0, 1\n"        // r0 = 6, upper half cleared
      "mov %r2, 0\n"
      "mov %r3, 7\n"
      "div %r3, %r2\n"        // 7 / 0 = 0
      "add %r0, %r3\n"
      "mov %r4, 9\n"
      "mod %r4, %r2\n"        // 9 % 0 = 9
      "add %r0, %r4\n"
      "exit\n");
  expectAlways(*p, 0, 15);
}

TEST_P(EbpfExecutionTest, BackwardJumpLoop) {
  auto p = load("mov %r0, 0\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n");
  expectAlways(*p, 10, 55);
  expectAlways(*p, 100, 5050);
}

TEST_P(EbpfExecutionTest, GuardFailureResumesInTheInterpreter) {
  auto p = load("mov %r0, 0\njeq %r1, 0, skip\nmov %r0, 100\nskip:\nadd %r0, 5\nexit\n");
  expectAlways(*p, 0, 5);  // tiered: compiled with the fall-through never seen
  expectAlways(*p, 1, 105);
  if (std::string_view(GetParam().name) == "tiered") EXPECT_GE(p->target().deoptimizations(), 1u);
  if (!testing::compiles(GetParam().name)) EXPECT_EQ(p->target().deoptimizations(), 0u);
}

TEST_P(EbpfExecutionTest, RejectsBadPrograms) {
  EXPECT_FALSE(EbpfInstance::loadAssembly("mov %r0, 1\n", "x", *runtime_).has_value());  // falls off
  EXPECT_FALSE(EbpfInstance::loadAssembly("ja +5\nexit\n", "x", *runtime_).has_value());
  EXPECT_FALSE(EbpfInstance::loadAssembly("frobnicate %r0\nexit\n", "x", *runtime_).has_value());
  EXPECT_FALSE(EbpfInstance::loadAssembly("ldxw %r0, [%r1]\nexit\n", "x", *runtime_).has_value());  // no memory yet
}

INSTANTIATE_TEST_SUITE_P(AllTiers, EbpfExecutionTest, ::testing::ValuesIn(testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace
}  // namespace morel::ebpf

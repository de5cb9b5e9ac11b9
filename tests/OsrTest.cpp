// On-stack replacement: loops in functions called once, compiled while they
// run and entered at a back-edge, in every tier (the interpreter-only tier runs
// them interpreted: same results, no compilation). Each function is called
// once; exits by fall-through, br to an outer label, br with a value, and
// return from inside the loop; a deoptimization inside the compiled loop (its
// exit branch was never taken while profiling) resumes in the interpreter.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::testing::TierMode;

class OsrTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void SetUp() override {
    morel::OptionValues o = *morel::testing::tierOptions(GetParam().name, 1000000);
    // Function compilation out of reach; loops compiled after 1000 back-edges, synchronously.
    ASSERT_TRUE(o.set("engine.OSRCompilationThreshold", "1000").has_value());
    ASSERT_TRUE(o.set("engine.BackgroundCompilation", "false").has_value());
    engine_ = std::make_unique<morel::Engine>(std::move(o));
    context_ = std::make_unique<morel::Context>(*engine_);
    std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/osr.wasm", std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto m = context_->eval(morel::Source::fromBytes("wasm", "osr.wasm", bytes));
    ASSERT_TRUE(m.has_value()) << m.error().toString();
    module_ = *m;
  }
  morel::Value call(const char* fn, std::vector<morel::Value> args) {
    auto r = module_.getMember(fn).execute(args);
    EXPECT_TRUE(r.has_value()) << fn << ": " << r.error().toString();
    return r ? *r : morel::Value();
  }
  /// Compiled code ran in the compiled tiers; nothing compiled in the interpreter.
  void expectCompiledIfCompiling() {
    if (std::string_view(GetParam().name) == "interpreter")
      EXPECT_EQ(context_->compilationCount(), 0u);
    else
      EXPECT_GT(context_->compilationCount(), 0u) << "no loop was compiled";
  }
  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
  morel::Value module_;
};

TEST_P(OsrTest, LoopLeftThroughItsBlock) {
  EXPECT_EQ(call("sum", {morel::Value::fromInt(3000000)}).asLong(), 4499998500000LL);
  expectCompiledIfCompiling();
}

TEST_P(OsrTest, ReturnFromInsideTheCompiledLoop) {
  EXPECT_EQ(call("find", {morel::Value::fromInt(1000000), morel::Value::fromInt(54321)}).asInt(), -54321);
  EXPECT_EQ(call("find", {morel::Value::fromInt(5000), morel::Value::fromInt(-1)}).asInt(), 5000);
  expectCompiledIfCompiling();
}

TEST_P(OsrTest, NestedLoopsWithAFloatLeftThroughTwoLabels) {
  EXPECT_EQ(call("nested", {morel::Value::fromInt(100)}).asDouble(), 2500.0);
  EXPECT_EQ(call("nested", {morel::Value::fromInt(100000000)}).asDouble(), 1e5);
  expectCompiledIfCompiling();
}

TEST_P(OsrTest, BreakWithAValueOutOfTheLoop) {
  EXPECT_EQ(call("firstSquareAbove", {morel::Value::fromInt(1000000000)}).asInt(), 31623 * 31623);
  expectCompiledIfCompiling();
}

// The compiled loop deoptimizes halfway (its branch was never taken while it
// was profiled); the interpreter resumes it, and the loop is compiled again and
// entered again instead of running its remaining 2.5 million iterations
// interpreted: two compilations in the tiered mode.
TEST_P(OsrTest, ALoopThatDeoptimizedIsCompiledAndEnteredAgain) {
  EXPECT_EQ(call("sumWithLateBranch", {morel::Value::fromInt(3000000)}).asLong(), 4499998500000LL + 1000000);
  std::string_view tier = GetParam().name;
  if (tier == "interpreter") EXPECT_EQ(context_->compilationCount(), 0u);
  // Compiled before it ran, the function has no profile to deoptimize on.
  if (tier == "immediate") EXPECT_EQ(context_->compilationCount(), 1u);
  if (tier == "tiered")
    EXPECT_EQ(context_->compilationCount(), 2u) << "expected the loop compiled again after its deoptimization";
}

// Slots the loop never changes stay in the frame words OSR code was entered
// with (codegen's IoParameters.h); both exits, a deoptimization at i = 300000
// and the loop's end, must give every one of them back unchanged, negative i32s
// (whose words' upper halves are zero) included.
TEST_P(OsrTest, SlotsTheLoopNeverChangesComeBackUnchanged) {
  for (int32_t a : {-7, 40000}) {
    const int64_t n = 2000000, acc = n * (n - 1) / 2 + 7;
    const int64_t slots =
        3LL * a + (a + 1LL) + 2LL * a + -5 + 1 + -int64_t{a} + int64_t{uint32_t(a)};
    EXPECT_EQ(
        call("passThrough", {morel::Value::fromInt(int32_t(n)), morel::Value::fromInt(a)}).asLong(),
        acc + slots)
        << "a = " << a;
  }
  expectCompiledIfCompiling();
}

INSTANTIATE_TEST_SUITE_P(AllTiers, OsrTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace

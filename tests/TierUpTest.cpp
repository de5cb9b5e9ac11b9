// Two compiled tiers (issue 10): a function runs interpreted, then first-tier
// code (no inlining, counting calls and iterations), then last-tier code, and
// returns the same results in every mode. The compilation trace names the tier
// of each installation; compilation is synchronous here, so the order is fixed.
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "morel/polyglot/Polyglot.h"

namespace {

constexpr const char* kModule = R"(
(module
  (func $square (export "square") (param $x i32) (result i32)
    (i32.mul (local.get $x) (local.get $x)))
  ;; sum of i*i for i in [0, n): one call of $square per iteration
  (func $sumOfSquares (export "sumOfSquares") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $square (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; i32.div_s guards divisor -1 until it has been seen: the first -1 deoptimizes.
  (func $divide (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1))))
)";

int64_t sumOfSquares(int32_t n) {
  int64_t acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<uint32_t>(static_cast<int32_t>(i * i));
  return acc;
}

/// A context with two tiers (unless `options` say otherwise) whose compilations
/// are synchronous and traced to stderr.
class Tiers {
 public:
  explicit Tiers(std::vector<std::pair<std::string, std::string>> options) {
    morel::OptionValues o;
    EXPECT_TRUE(o.set("engine.MultiTier", "true").has_value());
    for (const auto& [name, value] : options) EXPECT_TRUE(o.set(name, value).has_value()) << name;
    EXPECT_TRUE(o.set("engine.BackgroundCompilation", "false").has_value());
    EXPECT_TRUE(o.set("engine.TraceCompilation", "true").has_value());
    engine_ = std::make_unique<morel::Engine>(std::move(o));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto m = context_->eval(morel::Source::fromText("wasm", "tiers.wat", kModule));
    EXPECT_TRUE(m.has_value()) << m.error().toString();
    if (m) module_ = *m;
  }
  int64_t call(const char* fn, std::vector<morel::Value> args) {
    auto r = module_.getMember(fn).execute(args);
    EXPECT_TRUE(r.has_value()) << fn << ": " << r.error().toString();
    if (!r) return 0;
    return r->numberType() == morel::ValueType::I64 ? r->asLong() : r->asInt();
  }
  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
  morel::Value module_;
};

/// The trace lines about `fn`, shortened to what they say: "Tier 1", "Tier 2" or "deopt".
std::vector<std::string> events(const std::string& trace, const std::string& fn) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < trace.size()) {
    std::size_t end = trace.find('\n', at);
    if (end == std::string::npos) end = trace.size();
    std::string line = trace.substr(at, end - at);
    at = end + 1;
    if (line.find(" " + fn + " ") == std::string::npos) continue;
    if (line.find("[engine] deopt") == 0)
      out.push_back("deopt");
    else if (line.find("|Tier 1|") != std::string::npos)
      out.push_back("Tier 1");
    else if (line.find("|Tier 2|") != std::string::npos)
      out.push_back("Tier 2");
  }
  return out;
}

using Events = std::vector<std::string>;

TEST(TierUp, CallsTakeAFunctionFromTheInterpreterThroughTheFirstTierToTheLast) {
  testing::internal::CaptureStderr();
  {
    Tiers t({{"engine.FirstTierCompilationThreshold", "5"},
             {"engine.LastTierCompilationThreshold", "50"}});
    for (int32_t i = 0; i < 100; ++i)
      ASSERT_EQ(t.call("square", {morel::Value::fromInt(i)}), i * i) << "call " << i;
    EXPECT_EQ(t.context_->compilationCount(), 2u);
  }
  EXPECT_EQ(events(testing::internal::GetCapturedStderr(), "square"), (Events{"Tier 1", "Tier 2"}));
}

// One call whose loop counts in first-tier code: the request comes from a loop
// header, and the next call runs the last tier.
TEST(TierUp, LoopIterationsInFirstTierCodeRequestTheLastTier) {
  testing::internal::CaptureStderr();
  {
    Tiers t({{"engine.FirstTierCompilationThreshold", "2"},
             {"engine.LastTierCompilationThreshold", "500"},
             {"engine.OSRCompilationThreshold", "0"}});
    for (int32_t n : {1, 1, 2000, 3000})
      EXPECT_EQ(t.call("sumOfSquares", {morel::Value::fromInt(n)}), sumOfSquares(n)) << "n = " << n;
  }
  EXPECT_EQ(events(testing::internal::GetCapturedStderr(), "sumOfSquares"),
            (Events{"Tier 1", "Tier 2"}));
}

TEST(TierUp, TheFirstTierKeepsCallsAsCallsAndTheLastInlinesThem) {
  testing::internal::CaptureStderr();
  Tiers t({{"engine.FirstTierCompilationThreshold", "2"},
           {"engine.LastTierCompilationThreshold", "100000"},
           {"engine.OSRCompilationThreshold", "0"}});
  for (int32_t n : {10, 10, 10}) t.call("sumOfSquares", {morel::Value::fromInt(n)});
  EXPECT_EQ(t.context_->inlinedCalls(), 0u) << "first-tier code inlined a call";
  Tiers last({{"engine.Mode", "throughput"},
              {"engine.LastTierCompilationThreshold", "2"},
              {"engine.OSRCompilationThreshold", "0"}});
  for (int32_t n : {10, 10, 10}) last.call("sumOfSquares", {morel::Value::fromInt(n)});
  EXPECT_GT(last.context_->inlinedCalls(), 0u) << "the last tier did not inline $square";
  testing::internal::GetCapturedStderr();
}

// A loop in a function called once is compiled on its own (OSR) by the tier its
// back-edge count has reached; first-tier loop code then counts on to the last
// (the running activation stays in first-tier code). The loop's exit, never
// taken while the interpreter profiled it, leaves the compiled loop by a deopt.
struct OsrCase {
  const char* name;
  const char* osrThreshold;
  Events expected;
};
void PrintTo(const OsrCase& c, std::ostream* os) {
  *os << c.name;
}

class TierOsr : public ::testing::TestWithParam<OsrCase> {};

TEST_P(TierOsr, ALoopIsCompiledByTheTierItsCountReached) {
  testing::internal::CaptureStderr();
  {
    Tiers t({{"engine.FirstTierCompilationThreshold", "100000"},
             {"engine.LastTierCompilationThreshold", "5000"},
             {"engine.OSRCompilationThreshold", GetParam().osrThreshold}});
    EXPECT_EQ(t.call("sumOfSquares", {morel::Value::fromInt(20000)}), sumOfSquares(20000));
  }
  EXPECT_EQ(events(testing::internal::GetCapturedStderr(), "sumOfSquares@osr"),
            GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Thresholds, TierOsr,
    ::testing::Values(OsrCase{"BelowTheLastTiersThreshold", "100", {"Tier 1", "Tier 2", "deopt"}},
                      OsrCase{"PastTheLastTiersThreshold", "6000", {"Tier 2", "deopt"}}),
    [](const auto& info) { return std::string(info.param.name); });

struct DeoptCase {
  const char* name;
  int64_t lastThreshold;
  Events expected;
};
void PrintTo(const DeoptCase& c, std::ostream* os) {
  *os << c.name;
}

class TierDeopt : public ::testing::TestWithParam<DeoptCase> {};

// A guard fails in the tier's code: the interpreter finishes the call with the
// right result, and the function compiles again from the first tier.
TEST_P(TierDeopt, AGuardFailingInTheTiersCodeResumesInTheInterpreter) {
  testing::internal::CaptureStderr();
  {
    Tiers t({{"engine.FirstTierCompilationThreshold", "5"},
             {"engine.LastTierCompilationThreshold", std::to_string(GetParam().lastThreshold)}});
    for (int32_t i = 1; i <= 20; ++i)
      ASSERT_EQ(t.call("divide", {morel::Value::fromInt(100), morel::Value::fromInt(i)}), 100 / i);
    EXPECT_EQ(t.call("divide", {morel::Value::fromInt(7), morel::Value::fromInt(-1)}), -7);
    EXPECT_EQ(t.call("divide", {morel::Value::fromInt(INT_MAX), morel::Value::fromInt(-1)}),
              -INT_MAX);
  }
  EXPECT_EQ(events(testing::internal::GetCapturedStderr(), "divide"), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(EachTier, TierDeopt,
                         ::testing::Values(DeoptCase{"FirstTier", 1000, {"Tier 1", "deopt"}},
                                           DeoptCase{
                                               "LastTier", 10, {"Tier 1", "Tier 2", "deopt"}}),
                         [](const auto& info) { return std::string(info.param.name); });

// Every tier configuration computes the same, and compiles with the tiers it names.
struct ModeCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> options;
  Events expected;  // the tiers $sumOfSquares is compiled with, in order
};
void PrintTo(const ModeCase& c, std::ostream* os) {
  *os << c.name;
}

class TierModesAgree : public ::testing::TestWithParam<ModeCase> {};

TEST_P(TierModesAgree, SameResultsWithTheTiersTheModeNames) {
  testing::internal::CaptureStderr();
  {
    auto options = GetParam().options;
    options.push_back({"engine.OSRCompilationThreshold", "0"});
    Tiers t(options);
    for (int32_t n : {0, 1, 7, 300, 300, 300, 65536, 5})
      EXPECT_EQ(t.call("sumOfSquares", {morel::Value::fromInt(n)}), sumOfSquares(n)) << "n = " << n;
  }
  EXPECT_EQ(events(testing::internal::GetCapturedStderr(), "sumOfSquares"), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, TierModesAgree,
    ::testing::Values(
        ModeCase{"Interpreter", {{"engine.Compilation", "false"}}, {}},
        ModeCase{"CompileImmediately", {{"engine.CompileImmediately", "true"}}, {"Tier 2"}},
        ModeCase{"CompileImmediatelyLatency",
                 {{"engine.CompileImmediately", "true"}, {"engine.Mode", "latency"}},
                 {"Tier 1"}},
        ModeCase{"MultiTier", {}, {"Tier 1", "Tier 2"}},
        ModeCase{"Latency", {{"engine.Mode", "latency"}}, {"Tier 1"}},
        ModeCase{"Throughput", {{"engine.Mode", "throughput"}}, {"Tier 2"}},
        ModeCase{"SingleTier", {{"engine.MultiTier", "false"}}, {"Tier 2"}},
        ModeCase{"LatencyWithoutMultiTier",
                 {{"engine.MultiTier", "false"}, {"engine.Mode", "latency"}},
                 {"Tier 1"}},
        ModeCase{"CompilationThresholdAlias",
                 {{"engine.CompilationThreshold", "20"}},
                 {"Tier 1", "Tier 2"}}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace

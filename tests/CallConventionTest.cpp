// The compiled-to-compiled calling convention (docs/architecture.md, "Calling
// convention"), through the embedding API in every tier: argument words 0..2
// travel in registers and the rest in the io buffer, result word 0 in a
// register and the rest in io, the frame budget in a register; a callee that is
// interpreted, compiled later or deoptimized is reached through the same slot.
// Inlining is off unless a test says otherwise, so calls stay calls.
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <thread>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::V128;
using morel::Value;
using morel::testing::TierMode;
using namespace std::chrono_literals;

// $mix takes 10 words (a v128 straddles the last argument register and io) and
// returns 6 (result word 0 is an i64); $vec returns a v128 first, so its low
// half comes back in the register and its high half in io. Every result mixes
// the arguments by position, so a swapped or lost word changes it.
constexpr const char* kMixedModule = R"((module
  (func $mix (param $a i32) (param $b i64) (param $e v128) (param $c f32) (param $d f64)
             (param $f i32) (param $g i64) (param $h f64)
             (result i64 f64 i32 v128 f32)
    (i64.add (i64.mul (i64.extend_i32_u (local.get $a)) (i64.const 1000003))
    (i64.add (i64.mul (local.get $b) (i64.const 31))
    (i64.add (i64.extend_i32_u (i32.reinterpret_f32 (local.get $c)))
    (i64.add (i64.mul (i64.reinterpret_f64 (local.get $d)) (i64.const 7))
    (i64.add (i64x2.extract_lane 1 (local.get $e))
    (i64.add (i64.mul (i64.extend_i32_u (local.get $f)) (i64.const 17))
             (i64.mul (local.get $g) (i64.const 13))))))))
    (f64.sub (local.get $h) (local.get $d))
    (i32.sub (local.get $f) (local.get $a))
    (i32x4.add (local.get $e) (i32x4.splat (local.get $a)))
    (f32.mul (local.get $c) (f32.const 2)))
  (func $vec (param $c f32) (param $e v128) (result v128 f32)
    (i64x2.add (local.get $e) (i64x2.splat (i64.extend_i32_u (i32.reinterpret_f32 (local.get $c)))))
    (f32.neg (local.get $c)))
  (func (export "mix") (param i32 i64 v128 f32 f64 i32 i64 f64) (result i64 f64 i32 v128 f32)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
               (local.get 5) (local.get 6) (local.get 7)))
  (func (export "vec") (param f32 v128) (result v128 f32)
    (call $vec (local.get 0) (local.get 1)))
  (table 1 funcref)
  (elem (i32.const 0) $mix)
  (type $mixType (func (param i32 i64 v128 f32 f64 i32 i64 f64) (result i64 f64 i32 v128 f32)))
  (func (export "mixIndirect") (param i32 i64 v128 f32 f64 i32 i64 f64) (result i64 f64 i32 v128 f32)
    (call_indirect (type $mixType) (local.get 0) (local.get 1) (local.get 2) (local.get 3)
                   (local.get 4) (local.get 5) (local.get 6) (local.get 7) (i32.const 0))))
)";

// Recursion with something to do at the bottom: a trap (division by zero, or
// an access past the memory), a guard that deoptimizes (i32.div_s by -1, never
// seen before), or a loop that only an interrupt ends. Four arguments each, so
// one goes through io.
constexpr const char* kChainModule = R"((module
  (memory 1)
  (func $down (export "down") (param $n i32) (param $what i32) (param $x i32) (param $y i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then
        (if (result i32) (i32.eq (local.get $what) (i32.const 1))
          (then (i32.load (i32.const 70000)))
          (else (if (result i32) (i32.eq (local.get $what) (i32.const 2))
            (then (loop $spin (br $spin)) (i32.const 0))
            (else (i32.div_s (local.get $x) (local.get $y)))))))
      (else (i32.add (i32.const 1)
        (call $down (i32.sub (local.get $n) (i32.const 1)) (local.get $what)
                    (local.get $x) (local.get $y))))))
  (type $unary (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $leaf)
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $mid (param i32) (result i32) (call_indirect (type $unary) (local.get 0) (i32.const 0)))
  (func (export "loopThenDown") (param $iterations i32) (param $n i32) (result i32)
    (local $i i32)
    (loop $again
      (local.set $i (call $mid (local.get $i)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $iterations))))
    (call $down (local.get $n) (i32.const 0) (i32.const 8) (i32.const 4))))
)";

struct MixArgs {
  int32_t a;
  int64_t b;
  V128 e;
  float c;
  double d;
  int32_t f;
  int64_t g;
  double h;
};

MixArgs mixArgs(int i) {
  return {i * 7919 - 40000,
          (int64_t{i} << 40) - 12345,
          {0x0123456789abcdefULL * static_cast<uint64_t>(i + 1),
           ~uint64_t{0} - static_cast<uint64_t>(i)},
          i % 5 == 0 ? -0.0f : 1.5f * static_cast<float>(i),
          i % 7 == 0 ? -1e300 : 0.25 * i,
          -i,
          INT64_MIN + i,
          3.0 * i};
}

class CallConventionTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void makeEngine(std::vector<std::string> extra = {}) {
    context_.reset();  // a context must not outlive its engine
    morel::OptionValues o = *morel::testing::tierOptions(GetParam().name, 5);
    ASSERT_TRUE(o.parseArgument("--engine.Inlining=false").has_value());
    for (const auto& e : extra) ASSERT_TRUE(o.parseArgument(e).has_value()) << e;
    auto engine = morel::Engine::create(std::move(o));
    ASSERT_TRUE(engine.has_value());
    engine_ = std::move(*engine);
    context_ = std::make_unique<morel::Context>(*engine_);
  }
  Value load(const char* text) {
    auto m = context_->eval(morel::Source::fromText("wasm", "test.wat", text));
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().toString());
    return m ? *m : Value();
  }
  static std::vector<Value> values(const MixArgs& x) {
    return {Value::fromInt(x.a),   Value::fromLong(x.b),   Value::fromV128(x.e),
            Value::fromFloat(x.c), Value::fromDouble(x.d), Value::fromInt(x.f),
            Value::fromLong(x.g),  Value::fromDouble(x.h)};
  }
  /// $mix's results computed here, each compared with what the guest returned.
  static void expectMixResults(const MixArgs& x, const Value& r, int call) {
    ASSERT_TRUE(r.hasArrayElements()) << "call " << call;
    ASSERT_EQ(r.getArraySize(), 5u);
    const auto u32 = [](int32_t v) { return static_cast<uint64_t>(static_cast<uint32_t>(v)); };
    const uint64_t r0 = u32(x.a) * 1000003 + static_cast<uint64_t>(x.b) * 31 +
                        std::bit_cast<uint32_t>(x.c) + std::bit_cast<uint64_t>(x.d) * 7 + x.e.hi +
                        u32(x.f) * 17 + static_cast<uint64_t>(x.g) * 13;
    EXPECT_EQ(static_cast<uint64_t>(r.getArrayElement(0).asLong()), r0)
        << "result word 0, call " << call;
    EXPECT_EQ(std::bit_cast<uint64_t>(r.getArrayElement(1).asDouble()),
              std::bit_cast<uint64_t>(x.h - x.d))
        << "call " << call;
    EXPECT_EQ(r.getArrayElement(2).asInt(), static_cast<int32_t>(u32(x.f) - u32(x.a)))
        << "call " << call;
    uint32_t lanes[4];
    std::memcpy(lanes, &x.e, 16);
    for (uint32_t& l : lanes) l += static_cast<uint32_t>(x.a);
    V128 sum;
    std::memcpy(&sum, lanes, 16);
    EXPECT_EQ(r.getArrayElement(3).asV128(), sum) << "the v128 result, call " << call;
    EXPECT_EQ(std::bit_cast<uint32_t>(r.getArrayElement(4).asFloat()),
              std::bit_cast<uint32_t>(x.c * 2))
        << "call " << call;
  }
  /// Calls `down(n, what, x, y)`.
  static morel::Result<Value> down(const Value& m, int32_t n, int32_t what, int32_t x = 1,
                                   int32_t y = 1) {
    return m.getMember("down").execute(
        {Value::fromInt(n), Value::fromInt(what), Value::fromInt(x), Value::fromInt(y)});
  }

  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
};

TEST_P(CallConventionTest, EveryArgumentAndResultWordArrivesWhereItWasPut) {
  makeEngine();
  Value m = load(kMixedModule);
  for (int i = 0; i < 40; ++i) {
    const MixArgs x = mixArgs(i);
    auto r = m.getMember("mix").execute(values(x));
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    expectMixResults(x, *r, i);
    if (i == 20) context_->drainCompilations();
  }
}

TEST_P(CallConventionTest, AVectorFirstResultSplitsBetweenRegisterAndBuffer) {
  makeEngine();
  Value m = load(kMixedModule);
  for (int i = 0; i < 30; ++i) {
    const float c = i % 3 == 0 ? -0.0f : 0.5f * static_cast<float>(i);
    const V128 e{0xfedcba9876543210ULL + static_cast<uint64_t>(i),
                 0x1111111111111111ULL * (i % 15)};
    auto r = m.getMember("vec").execute({Value::fromFloat(c), Value::fromV128(e)});
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    const uint64_t bits = std::bit_cast<uint32_t>(c);
    EXPECT_EQ(r->getArrayElement(0).asV128(), (V128{e.lo + bits, e.hi + bits})) << "call " << i;
    EXPECT_EQ(std::bit_cast<uint32_t>(r->getArrayElement(1).asFloat()), std::bit_cast<uint32_t>(-c))
        << "call " << i;
    if (i == 15) context_->drainCompilations();
  }
}

TEST_P(CallConventionTest, IndirectCallsGoThroughTheAdapterWithTheSameWords) {
  makeEngine();
  Value m = load(kMixedModule);
  for (int i = 0; i < 30; ++i) {
    const MixArgs x = mixArgs(i + 100);
    auto r = m.getMember("mixIndirect").execute(values(x));
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    expectMixResults(x, *r, i);
    if (i == 15) context_->drainCompilations();
  }
}

TEST_P(CallConventionTest, ACalleeCompiledLaterIsCalledDirectlyFromThenOn) {
  // Tiered with a threshold the caller reaches long before its callee: `mix`
  // (the export) is compiled after 5 calls and calls $mix through the adapter
  // until $mix is compiled too; the results never change.
  makeEngine({"--engine.CompilationThreshold=5"});
  Value m = load(kMixedModule);
  const uint64_t before = context_->compilationCount();
  for (int i = 0; i < 60; ++i) {
    const MixArgs x = mixArgs(i);
    auto r = m.getMember("mix").execute(values(x));
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    expectMixResults(x, *r, i);
    if (i % 10 == 0) context_->drainCompilations();
  }
  if (morel::testing::compiles(GetParam().name))
    EXPECT_GE(context_->compilationCount() - before, 2u) << "caller and callee compiled";
}

TEST_P(CallConventionTest, ADeoptimizedCalleeStillReturnsItsResultToACompiledCaller) {
  makeEngine();
  Value m = load(kChainModule);
  for (int i = 0; i < 40; ++i) {
    // 7 / 2 until call 25, then 7 / -1: the division's guard for -1 fails in
    // the compiled innermost frame, which finishes in the interpreter.
    const int32_t y = i < 25 ? 2 : -1;
    auto r = down(m, 10, 0, 7, y);
    ASSERT_TRUE(r.has_value()) << r.error().toString() << " at call " << i;
    EXPECT_EQ(r->asInt(), 10 + 7 / y) << "call " << i;
    if (i == 10) context_->drainCompilations();
  }
}

TEST_P(CallConventionTest, ATrapDeepInACompiledChainLeavesTheFrameBudgetWhole) {
  // 100 frames of budget. A trap 80 frames down must give all of them back:
  // a call 100 frames deep still fits afterwards, and one 101 deep does not.
  makeEngine({"--sandbox.MaxStackFrames=100"});
  Value m = load(kChainModule);
  for (int i = 0; i < 30; ++i) {
    auto divided = down(m, 79, 0, 1, 0);
    ASSERT_FALSE(divided.has_value()) << "call " << i;
    EXPECT_EQ(divided.error().detail, "integer divide by zero") << "call " << i;
    auto outOfBounds = down(m, 79, 1);
    ASSERT_FALSE(outOfBounds.has_value()) << "call " << i;
    EXPECT_EQ(outOfBounds.error().detail, "out of bounds memory access") << "call " << i;
    auto deepest = down(m, 99, 0, 8, 4);
    ASSERT_TRUE(deepest.has_value()) << deepest.error().toString() << " at call " << i;
    EXPECT_EQ(deepest->asInt(), 99 + 2);
    auto tooDeep = down(m, 100, 0, 8, 4);
    ASSERT_FALSE(tooDeep.has_value()) << "101 frames allowed at call " << i;
    EXPECT_EQ(tooDeep.error().detail, "call stack exhausted");
    if (i == 10) context_->drainCompilations();
  }
}

TEST_P(CallConventionTest, AnInterpretedCallerKeepsItsFrameCountAcrossCompiledCalls) {
  // loopThenDown runs once, so it stays interpreted (tiered), and calls $mid 200
  // times; $mid is compiled from its 5th call and calls the table's dispatcher,
  // a host function, through the adapter. Its frames must not change the count
  // the interpreted caller goes on with: 100 frames fit afterwards, 101 do not.
  makeEngine({"--sandbox.MaxStackFrames=100", "--engine.BackgroundCompilation=false"});
  Value m = load(kChainModule);
  const auto run = [&](int32_t n) {
    return m.getMember("loopThenDown").execute({Value::fromInt(200), Value::fromInt(n)});
  };
  auto deepest = run(98);  // loopThenDown and 99 activations of $down
  ASSERT_TRUE(deepest.has_value()) << deepest.error().toString();
  EXPECT_EQ(deepest->asInt(), 98 + 2);
  auto tooDeep = run(99);
  ASSERT_FALSE(tooDeep.has_value()) << "101 frames allowed";
  EXPECT_EQ(tooDeep.error().detail, "call stack exhausted");
}

TEST_P(CallConventionTest, StackExhaustionComesAtTheExactFrameLimitWithOrWithoutInlining) {
  for (const char* inlining : {"--engine.Inlining=false", "--engine.Inlining=true"}) {
    makeEngine({"--sandbox.MaxStackFrames=37", inlining});
    Value m = load(kChainModule);
    for (int i = 0; i < 30; ++i) {
      auto deepest = down(m, 36, 0, 9, 3);  // 37 frames
      ASSERT_TRUE(deepest.has_value())
          << deepest.error().toString() << " at call " << i << ", " << inlining;
      EXPECT_EQ(deepest->asInt(), 36 + 3);
      auto tooDeep = down(m, 37, 0, 9, 3);  // 38 frames
      ASSERT_FALSE(tooDeep.has_value()) << "38 frames allowed at call " << i << ", " << inlining;
      EXPECT_EQ(tooDeep.error().detail, "call stack exhausted");
      if (i == 10) context_->drainCompilations();
    }
  }
}

TEST_P(CallConventionTest, AnInterruptStopsADeepCompiledChainAndTheContextRunsOn) {
  makeEngine();
  Value m = load(kChainModule);
  for (int i = 0; i < 10; ++i) {  // warm up: compiled frames above the loop
    auto r = down(m, 50, 0, 6, 3);
    ASSERT_TRUE(r.has_value()) << r.error().toString();
  }
  context_->drainCompilations();
  std::atomic<bool> done{false};
  std::thread interrupter([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(20ms);
      context_->interrupt();
    }
  });
  auto spun = down(m, 50, 2);
  done = true;
  interrupter.join();
  ASSERT_FALSE(spun.has_value()) << "an endless loop returned";
  EXPECT_EQ(spun.error().category, "interrupted") << spun.error().toString();
  auto after = down(m, 50, 0, 6, 3);
  ASSERT_TRUE(after.has_value()) << after.error().toString();
  EXPECT_EQ(after->asInt(), 52);
}

INSTANTIATE_TEST_SUITE_P(Tiers, CallConventionTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const ::testing::TestParamInfo<TierMode>& info) {
                           return std::string(info.param.displayName);
                         });

}  // namespace

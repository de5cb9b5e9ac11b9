// Traps unwind through compiled frames (docs/architecture.md, "Traps unwind to
// the boundary"): compiled callers test no status after a call; a failure jumps
// back to the innermost C++-to-compiled boundary. Whatever frames lie between
// the host and the failure (compiled, interpreted, a host function, a frame
// that deoptimized, OSR code), the host gets the failure's kind and message,
// the frame budget is whole afterwards and the context runs on. In every tier.
#include <gtest/gtest.h>

#include "TierModes.h"
#include "morel/framework/CompiledBoundary.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::Value;
using morel::testing::TierMode;

// $chain(n, d, t) goes n frames down; every 7th frame calls through
// call_indirect at element n % 5: $chain itself or one of four trampolines to
// it. Five functions make the site megamorphic, so it calls the table's
// dispatcher, a host function, which sits between two guest frames. Every frame
// divides n by d: d = -1 fails a guard the first time and the frame finishes in
// the interpreter, calling the rest from there. At the bottom t picks the
// failure: 0 divides by zero, 1 reads past the memory (guard pages in compiled
// code), 2 is unreachable; anything else is returned.
constexpr const char* kChainModule = R"((module
  (memory 1)
  (type $chainType (func (param i32 i32 i32) (result i32)))
  (table 5 funcref)
  (elem (i32.const 0) $chain $via1 $via2 $via3 $via4)
  (func $via1 (type $chainType) (call $chain (local.get 0) (local.get 1) (local.get 2)))
  (func $via2 (type $chainType) (call $chain (local.get 0) (local.get 1) (local.get 2)))
  (func $via3 (type $chainType) (call $chain (local.get 0) (local.get 1) (local.get 2)))
  (func $via4 (type $chainType) (call $chain (local.get 0) (local.get 1) (local.get 2)))
  (func $chain (export "chain") (param $n i32) (param $d i32) (param $t i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then
        (if (result i32) (i32.eqz (local.get $t))
          (then (i32.div_u (i32.const 1) (local.get $t)))
          (else (if (result i32) (i32.eq (local.get $t) (i32.const 1))
            (then (i32.load (i32.const 70000)))
            (else (if (result i32) (i32.eq (local.get $t) (i32.const 2))
              (then unreachable)
              (else (local.get $t))))))))
      (else
        (i32.add (i32.div_s (local.get $n) (local.get $d))
          (if (result i32) (i32.eqz (i32.rem_u (local.get $n) (i32.const 7)))
            (then (call_indirect (type $chainType) (i32.sub (local.get $n) (i32.const 1))
                                 (local.get $d) (local.get $t)
                                 (i32.rem_u (local.get $n) (i32.const 5))))
            (else (call $chain (i32.sub (local.get $n) (i32.const 1))
                               (local.get $d) (local.get $t))))))))
  ;; $outer goes n frames down to $f, whose first statement divides by d (a
  ;; deoptimization when d = -1 is new) and calls $g, which divides by t.
  (func $g (param $t i32) (result i32) (i32.div_u (i32.const 10) (local.get $t)))
  (func $f (param $d i32) (param $t i32) (result i32)
    (i32.add (i32.div_s (i32.const 100) (local.get $d)) (call $g (local.get $t))))
  (func $outer (export "outer") (param $n i32) (param $d i32) (param $t i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $f (local.get $d) (local.get $t)))
      (else (i32.add (i32.const 1)
        (call $outer (i32.sub (local.get $n) (i32.const 1)) (local.get $d) (local.get $t))))))
  ;; A loop in a function called once (tiered mode runs it as OSR code) calling
  ;; $check, which is unreachable at iteration `at`.
  (func $check (param $i i32) (param $at i32) (result i32)
    (if (i32.eq (local.get $i) (local.get $at)) (then unreachable))
    (i32.and (local.get $i) (i32.const 7)))
  (func (export "spin") (param $n i32) (param $at i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $check (local.get $i) (local.get $at))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
  ;; n + 1 frames, nothing else: the frame budget's exact measure.
  (func $deep (export "deep") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get $n) (i32.const 1)))))))
  ;; n frames down, then a loop that only a limit ends.
  (func $spinDown (export "spinDown") (param $n i32)
    (if (i32.eqz (local.get $n))
      (then (loop $forever (br $forever)))
      (else (call $spinDown (i32.sub (local.get $n) (i32.const 1)))))))
)";

// n frames down, then WASI's proc_exit(code) when code >= 0.
constexpr const char* kExitModule = R"((module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $down (export "down") (param $n i32) (param $code i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then
        (if (i32.ge_s (local.get $code) (i32.const 0)) (then (call $exit (local.get $code))))
        (i32.const 0))
      (else (i32.add (i32.const 1)
        (call $down (i32.sub (local.get $n) (i32.const 1)) (local.get $code)))))))
)";

constexpr int32_t kMaxFrames = 100;

/// What $chain(n, d, t) returns when t does not fail: the sum of k / d for k in 1..n, plus t.
int32_t chainResult(int32_t n, int32_t d, int32_t t) {
  int32_t sum = t;
  for (int32_t k = 1; k <= n; ++k) sum += k / d;
  return sum;
}

class UnwindTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void SetUp() override { makeEngine(); }
  void makeEngine(std::vector<std::string> extra = {}) {
    context_.reset();  // a context must not outlive its engine
    morel::OptionValues o = *morel::testing::tierOptions(GetParam().name, 5);
    // Calls stay calls, so the failures cross real frames.
    ASSERT_TRUE(o.parseArgument("--engine.Inlining=false").has_value());
    ASSERT_TRUE(
        o.parseArgument("--sandbox.MaxStackFrames=" + std::to_string(kMaxFrames)).has_value());
    for (const auto& e : extra) ASSERT_TRUE(o.parseArgument(e).has_value()) << e;
    auto engine = morel::Engine::create(std::move(o));
    ASSERT_TRUE(engine.has_value());
    engine_ = std::move(*engine);
    context_ = std::make_unique<morel::Context>(*engine_);
    auto m = context_->eval(morel::Source::fromText("wasm", "chain.wat", kChainModule));
    ASSERT_TRUE(m.has_value()) << m.error().toString();
    module_ = *m;
  }
  morel::Result<Value> call(const char* name, std::vector<int32_t> args) {
    std::vector<Value> values;
    for (int32_t a : args) values.push_back(Value::fromInt(a));
    return module_.getMember(name).execute(values);
  }
  /// The deepest chain that fits the budget runs; one frame more does not. A
  /// failure that left frames taken (or a stale boundary) shows here.
  void expectWholeBudget(const std::string& after) {
    auto fits = call("deep", {kMaxFrames - 1});
    ASSERT_TRUE(fits.has_value()) << fits.error().toString() << " after " << after;
    EXPECT_EQ(fits->asInt(), kMaxFrames - 1) << "after " << after;
    auto tooDeep = call("deep", {kMaxFrames});
    ASSERT_FALSE(tooDeep.has_value()) << kMaxFrames + 1 << " frames allowed after " << after;
    EXPECT_EQ(tooDeep.error().detail, "call stack exhausted") << "after " << after;
    EXPECT_EQ(morel::innermostBoundary(), 0u) << "a boundary record left behind after " << after;
  }

  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
  Value module_;
};

TEST_P(UnwindTest, ATrapUnderCompiledHostAndInterpretedFramesReachesTheHostWithTheBudgetWhole) {
  struct Failure {
    int32_t t;
    const char* detail;
  };
  const Failure failures[] = {
      {0, "integer divide by zero"}, {1, "out of bounds memory access"}, {2, "unreachable"}};
  for (int i = 0; i < 30; ++i) {
    // Every 5th round divides by -1: the first time, a compiled frame deoptimizes
    // and the chain below it runs from the interpreter.
    const int32_t d = i % 5 == 3 ? -1 : 1;
    for (const Failure& f : failures) {
      auto r = call("chain", {70, d, f.t});  // 71 frames of $chain, up to 89 in all
      ASSERT_FALSE(r.has_value()) << "a chain that ends in " << f.detail << " returned, round "
                                  << i;
      EXPECT_EQ(r.error().category, "trap") << r.error().toString();
      EXPECT_EQ(r.error().detail, f.detail) << "round " << i;
    }
    auto ok = call("chain", {70, d, 9});
    ASSERT_TRUE(ok.has_value()) << ok.error().toString() << " at round " << i;
    EXPECT_EQ(ok->asInt(), chainResult(70, d, 9)) << "round " << i;
    expectWholeBudget("round " + std::to_string(i));
    if (i == 10) context_->drainCompilations();
  }
}

TEST_P(UnwindTest, AFrameThatDeoptimizesAndThenTrapsUnwindsItsCompiledCallers) {
  // $f's division by -1 is new after the warm-up: its compiled frame deoptimizes
  // and the interpreter runs the rest of the statement, whose call of the
  // compiled $g divides by zero. The trap crosses $g's boundary, the
  // interpreter, the deoptimization and 40 compiled $outer frames.
  for (int i = 0; i < 20; ++i) {
    auto r = call("outer", {40, 4, 2});
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    EXPECT_EQ(r->asInt(), 40 + 25 + 5);
  }
  context_->drainCompilations();
  auto trapped = call("outer", {40, -1, 0});
  ASSERT_FALSE(trapped.has_value()) << "the deoptimized continuation's trap was lost";
  EXPECT_EQ(trapped.error().detail, "integer divide by zero");
  auto after = call("outer", {40, -1, 5});
  ASSERT_TRUE(after.has_value()) << after.error().toString();
  EXPECT_EQ(after->asInt(), 40 - 100 + 2);
  expectWholeBudget("the deoptimized trap");
}

TEST_P(UnwindTest, ATrapInACalleeOfOsrCodeReachesTheHost) {
  // spin runs once per call, so tiered mode compiles its loop (OSR) and enters
  // that code through its io entry; the trap comes from $check, called by it.
  auto trapped = call("spin", {200000, 150000});
  ASSERT_FALSE(trapped.has_value()) << "spin ran past the unreachable iteration";
  EXPECT_EQ(trapped.error().detail, "unreachable");
  auto r = call("spin", {200000, -1});
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(r->asInt(), 200000 / 8 * 28);
  expectWholeBudget("the OSR trap");
}

TEST_P(UnwindTest, TheCpuTimeLimitStopsALoopUnderCompiledFrames) {
  makeEngine({"--sandbox.MaxCPUTime=100ms"});
  for (int i = 0; i < 10; ++i) {  // compiled frames above the loop (the loop is the limit's)
    auto r = call("chain", {60, 1, 3});
    ASSERT_TRUE(r.has_value()) << r.error().toString();
  }
  context_->drainCompilations();
  auto r = call("spinDown", {60});
  ASSERT_FALSE(r.has_value()) << "an endless loop returned";
  EXPECT_EQ(r.error().category, "resource exhausted") << r.error().toString();
  EXPECT_EQ(r.error().detail, "sandbox.MaxCPUTime of 100ms exceeded");
  EXPECT_TRUE(context_->isClosed()) << "the CPU-time limit closes the context";
}

TEST_P(UnwindTest, ProcExitFromDeepCompiledFramesEndsTheRunWithItsStatus) {
  auto context = morel::Context::newBuilder().engine(*engine_).build();
  ASSERT_TRUE(context.has_value()) << context.error().toString();
  auto m = (*context)->eval(morel::Source::fromText("wasm", "exit.wat", kExitModule));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto down = [&](int32_t n, int32_t code) {
    return m->getMember("down").execute({Value::fromInt(n), Value::fromInt(code)});
  };
  for (int i = 0; i < 20; ++i) {  // warm-up: compiled in the compiling tiers
    auto r = down(60, -1);
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    EXPECT_EQ(r->asInt(), 60);
  }
  (*context)->drainCompilations();
  auto exited = down(60, 7);
  ASSERT_FALSE(exited.has_value()) << "proc_exit returned to the guest";
  EXPECT_EQ(exited.error().category, "exit") << exited.error().toString();
  EXPECT_EQ((*context)->exitStatus(), std::optional<int>(7));
}

INSTANTIATE_TEST_SUITE_P(Tiers, UnwindTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const ::testing::TestParamInfo<TierMode>& info) {
                           return std::string(info.param.displayName);
                         });

}  // namespace

// Loops whose bounds checks compiled code may drop (pe::versionLoopsByBounds:
// i32 walks and bounded indices) trap exactly where the interpreter does: at
// the same iteration, with every earlier iteration's stores done and none of
// the trapping one's. Run in every tier with both wasm.BoundsChecks settings.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

using morel::Value;
using morel::testing::TierMode;

constexpr int32_t kPage = 65536;

constexpr const char* kModule = R"((module
  (memory 1 3)
  (func (export "byteAt") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "wordAt") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "setWord") (param i32 i32) (i64.store (local.get 0) (i64.extend_i32_u (local.get 1))))
  ;; do { *(i64*)p = j + 1; p += 8; j++ } while (j <u n): an i32 walk, counted by j.
  (func (export "fill") (param $p i32) (param $n i32) (result i32) (local $j i32)
    (loop $l
      (i64.store (local.get $p) (i64.extend_i32_u (i32.add (local.get $j) (i32.const 1))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n))))
    (local.get $j))
  ;; The fill counted by a signed test (C's `int j < n`).
  (func (export "fillSigned") (param $p i32) (param $n i32) (result i32) (local $j i32)
    (loop $l
      (i64.store (local.get $p) (i64.extend_i32_u (i32.add (local.get $j) (i32.const 1))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $j) (local.get $n))))
    (local.get $j))
  ;; do { a[j] = j + 1 } while (++j <u n), a the i64 array at p: a walk of j << 3.
  (func (export "fillIndexed") (param $p i32) (param $n i32) (result i32) (local $j i32)
    (loop $l
      (i64.store (i32.add (local.get $p) (i32.shl (local.get $j) (i32.const 3)))
                 (i64.extend_i32_u (i32.add (local.get $j) (i32.const 1))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n))))
    (local.get $j))
  ;; do { *(i64*)p = p; p += 8 } while (p != end): the pointer is the counter.
  (func (export "fillToEnd") (param $p i32) (param $end i32) (result i32)
    (loop $l
      (i64.store (local.get $p) (i64.extend_i32_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $l (i32.ne (local.get $p) (local.get $end))))
    (local.get $p))
  ;; The same walk downwards (not versioned).
  (func (export "fillDown") (param $p i32) (param $n i32) (result i32) (local $j i32)
    (loop $l
      (i64.store (local.get $p) (i64.extend_i32_u (i32.add (local.get $j) (i32.const 1))))
      (local.set $p (i32.sub (local.get $p) (i32.const 8)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n))))
    (local.get $j))
  ;; while (j <u n) { *(u8*)(j + 16) = 1; j += step }: a bounded index, any step.
  (func (export "strike") (param $j i32) (param $n i32) (param $step i32) (result i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (i32.store8 offset=16 (local.get $j) (i32.const 1))
        (local.set $j (i32.add (local.get $j) (local.get $step)))
        (br $l)))
    (local.get $j))
  ;; The fill, with its bound re-read from the word at 0 in every iteration.
  (func (export "fillToLoadedBound") (param $p i32) (result i32) (local $j i32)
    (loop $l
      (i64.store (local.get $p) (i64.extend_i32_u (i32.add (local.get $j) (i32.const 1))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (i32.load (i32.const 0)))))
    (local.get $j))
  ;; do { memory.grow 1; *(u8*)(65536 * (j + 2) - 1) = j + 1; j++ } while (j <u n):
  ;; the last byte of page j + 1, there only once the grow succeeded.
  (func (export "growing") (param $n i32) (result i32) (local $j i32)
    (loop $l
      (drop (memory.grow (i32.const 1)))
      (i32.store8 (i32.sub (i32.mul (i32.const 65536) (i32.add (local.get $j) (i32.const 2))) (i32.const 1))
                  (i32.add (local.get $j) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (local.get $n))))
    (local.get $j))
))";

using Param = std::tuple<TierMode, const char*>;  // (tier, wasm.BoundsChecks)

class WasmLoopBoundsTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    if (std::string(std::get<1>(GetParam())) == "guard")
      GTEST_SKIP() << "guard pages are not used under TSan";
#endif
    auto options = *morel::testing::tierOptions(std::get<0>(GetParam()).name, 10);
    ASSERT_TRUE(options.set("wasm.BoundsChecks", std::get<1>(GetParam())).has_value());
    engine_ = std::make_unique<morel::Engine>(std::move(options));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto module = context_->eval(morel::Source::fromText("wasm", "loops.wat", kModule));
    ASSERT_TRUE(module.has_value()) << module.error().toString();
    module_ = *module;
  }

  morel::Result<Value> run(const char* fn, std::vector<int32_t> args) {
    std::vector<Value> values;
    for (int32_t a : args) values.push_back(Value::fromInt(a));
    return module_.getMember(fn).execute(values);
  }
  /// Calls `fn` in bounds until compiled modes have compiled it.
  void warmUp(const char* fn, std::vector<int32_t> args) {
    for (int i = 0; i < 30; ++i) {
      auto r = run(fn, args);
      ASSERT_TRUE(r.has_value()) << fn << " must stay in bounds: " << r.error().toString();
      if (i == 15) context_->drainCompilations();
    }
    context_->drainCompilations();
  }
  void expectOutOfBounds(const char* fn, std::vector<int32_t> args) {
    auto r = run(fn, args);
    ASSERT_FALSE(r.has_value()) << fn << " should trap (out of bounds), returned " << r->toString();
    EXPECT_EQ(r.error().detail, "out of bounds memory access") << fn;
  }
  int64_t word(int32_t address) {
    return run("wordAt", {address})->asLong();
  }
  int32_t byte(int32_t address) {
    return run("byteAt", {address})->asInt();
  }

  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
  Value module_;
};

TEST_P(WasmLoopBoundsTest, AnI32WalkTrapsAtTheFirstWordPastTheEnd) {
  warmUp("fill", {64, 100});
  EXPECT_EQ(run("fill", {kPage - 8 * 3, 3})->asInt(), 3) << "three words fit exactly";
  for (int32_t a = kPage - 24; a < kPage; a += 8) ASSERT_TRUE(run("fill", {a, 0}).has_value());
  expectOutOfBounds("fill", {kPage - 8 * 3 - 40, 10});  // words 6..10 do not fit
  for (int k = 0; k < 8; ++k)
    EXPECT_EQ(word(kPage - 8 * 3 - 40 + 8 * k), k + 1) << "iteration " << k << " must have stored";
  expectOutOfBounds("fill", {kPage - 4, 1});  // the first word straddles the end
  EXPECT_EQ(word(kPage - 8), 8) << "the straddling store must write nothing";
}

TEST_P(WasmLoopBoundsTest, ASignedCountTrapsAtTheFirstWordPastTheEnd) {
  warmUp("fillSigned", {64, 100});
  EXPECT_EQ(run("fillSigned", {kPage - 8 * 3, 3})->asInt(), 3) << "three words fit exactly";
  EXPECT_EQ(run("fillSigned", {0, -5})->asInt(), 1) << "a negative bound: one iteration";
  expectOutOfBounds("fillSigned", {kPage - 8 * 2, 4});
  EXPECT_EQ(word(kPage - 16), 1);
  EXPECT_EQ(word(kPage - 8), 2);
}

TEST_P(WasmLoopBoundsTest, AnIndexedWalkTrapsAtTheFirstElementPastTheEnd) {
  warmUp("fillIndexed", {64, 100});
  EXPECT_EQ(run("fillIndexed", {kPage - 8 * 3, 3})->asInt(), 3) << "three words fit exactly";
  expectOutOfBounds("fillIndexed", {kPage - 8 * 5, 7});
  for (int k = 0; k < 5; ++k) EXPECT_EQ(word(kPage - 8 * 5 + 8 * k), k + 1) << "element " << k;
}

TEST_P(WasmLoopBoundsTest, AWalkToAnEndPointerTrapsAtTheFirstWordPastTheEnd) {
  warmUp("fillToEnd", {64, 64 + 8 * 100});
  EXPECT_EQ(run("fillToEnd", {kPage - 24, kPage})->asInt(), kPage) << "three words fit exactly";
  expectOutOfBounds("fillToEnd", {kPage - 40, kPage + 16});
  for (int32_t a = kPage - 40; a < kPage; a += 8) EXPECT_EQ(word(a), a) << "the word at " << a;
  // An end the pointer steps over (not a multiple of 8 away) runs to the memory's end.
  expectOutOfBounds("fillToEnd", {kPage - 80, kPage - 76});
  EXPECT_EQ(word(kPage - 80), kPage - 80);
}

TEST_P(WasmLoopBoundsTest, AnI32WalkThatWrapsAroundTrapsBeforeWrapping) {
  warmUp("fill", {64, 100});
  // p = 2^32 - 16: out of bounds at once, although p + 16 would wrap to 0.
  expectOutOfBounds("fill", {-16, 4});
  EXPECT_EQ(word(0), 0) << "nothing may be stored at the wrapped address";
}

TEST_P(WasmLoopBoundsTest, AWalkDownwardsTrapsBelowZero) {
  warmUp("fillDown", {800, 100});
  expectOutOfBounds("fillDown", {16, 4});  // 16, 8, 0, then 2^32 - 8
  EXPECT_EQ(word(16), 1);
  EXPECT_EQ(word(8), 2);
  EXPECT_EQ(word(0), 3);
}

TEST_P(WasmLoopBoundsTest, ABoundedIndexTrapsWhereItsBoundPassesTheEnd) {
  warmUp("strike", {0, 1000, 7});
  // 16 + j for j = kPage - 30, -27, ..., -18 are in bounds; j = kPage - 15 stores at kPage + 1.
  expectOutOfBounds("strike", {kPage - 30, kPage + 100, 3});
  for (int32_t j = kPage - 30; j <= kPage - 18; j += 3)
    EXPECT_EQ(byte(j + 16), 1) << "the store of j = " << j << " must have happened";
  EXPECT_EQ(byte(kPage - 1), 0) << "nothing between the strikes";
  EXPECT_EQ(run("strike", {kPage - 30, kPage - 16, 3})->asInt(), kPage - 15)
      << "a bound that keeps every store in bounds: no trap";
}

TEST_P(WasmLoopBoundsTest, ABoundLoadedInTheLoopIsReadEveryIteration) {
  ASSERT_TRUE(run("setWord", {0, 100}).has_value());
  warmUp("fillToLoadedBound", {64});
  ASSERT_TRUE(run("setWord", {0, 1000}).has_value());
  expectOutOfBounds("fillToLoadedBound", {kPage - 16});
  EXPECT_EQ(word(kPage - 16), 1);
  EXPECT_EQ(word(kPage - 8), 2);
  // From 0, the first store overwrites the bound with 1: the loop ends after it.
  EXPECT_EQ(run("fillToLoadedBound", {0})->asInt(), 1)
      << "expected the bound re-read after the store";
}

TEST_P(WasmLoopBoundsTest, GrowingInsideTheLoopMovesTheEndEachIteration) {
  // The memory has 1 page and may grow to 3: iterations 0 and 1 grow and store in
  // the new page; iteration 2's grow fails and its store traps.
  expectOutOfBounds("growing", {5});
  EXPECT_EQ(byte(2 * kPage - 1), 1);
  EXPECT_EQ(byte(3 * kPage - 1), 2);
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  std::string checks = std::get<1>(info.param);
  checks[0] = static_cast<char>(std::toupper(checks[0]));
  return std::string(std::get<0>(info.param).displayName) + checks + "Checks";
}

INSTANTIATE_TEST_SUITE_P(AllTiersBothChecks, WasmLoopBoundsTest,
                         ::testing::Combine(::testing::ValuesIn(morel::testing::kTierModes),
                                            ::testing::Values("guard", "explicit")),
                         paramName);

}  // namespace

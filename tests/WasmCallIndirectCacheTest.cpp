// call_indirect's inline cache (WasmCallIndirectNode) in every tier: a site that
// always calls one function inlines it; a site whose element changes after
// compilation (table.set from Wasm, mid-loop or between calls, a write by the
// host, table.grow) calls the new function; polymorphic and megamorphic sites
// call the right function; the three traps stay what they were; and a guard
// that fails mid-loop resumes without running a call twice.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "TierModes.h"
#include "morel/codegen/OptimizingCompiler.h"
#include "morel/framework/Runtime.h"
#include "morel/wasm/WasmInstance.h"
#include "morel/wasm/WasmText.h"

namespace {

using morel::testing::TierMode;

// Every unary function counts its calls in $calls, so a call run twice shows.
constexpr const char* kModule = R"((module
  (type $unary (func (param i32) (result i32)))
  (type $binary (func (param i32 i32) (result i32)))
  (global $calls (mut i32) (i32.const 0))
  (table $t 8 16 funcref)
  (func $count (global.set $calls (i32.add (global.get $calls) (i32.const 1))))
  (func $inc (type $unary) (call $count) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $unary) (call $count) (i32.mul (local.get 0) (i32.const 2)))
  (func $neg (type $unary) (call $count) (i32.sub (i32.const 0) (local.get 0)))
  (func $sq (type $unary) (call $count) (i32.mul (local.get 0) (local.get 0)))
  (func $ten (type $unary) (call $count) (i32.const 10))
  (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
  ;; 0 $inc, 1 $dbl, 2 $neg, 3 $sq, 4 $ten, 5 $add (another type), 6 and 7 null
  (elem (table $t) (i32.const 0) func $inc $dbl $neg $sq $ten $add)
  (func (export "calls") (result i32) (global.get $calls))
  ;; The sum of table[k](i) for i < n: one call site, one element.
  (func (export "apply") (param $k i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect $t (type $unary) (local.get $i) (local.get $k))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  ;; The same, but at i == $j element $k becomes element $f: the site's element
  ;; changes while the compiled loop runs.
  (func (export "apply_switching") (param $k i32) (param $n i32) (param $j i32) (param $f i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eq (local.get $i) (local.get $j))
        (then (table.set $t (local.get $k) (table.get $t (local.get $f)))))
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect $t (type $unary) (local.get $i) (local.get $k))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  ;; The sum of table[i mod m](i) for i < n: one site, m functions.
  (func (export "rotate") (param $m i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $acc (i32.add (local.get $acc)
        (call_indirect $t (type $unary) (local.get $i) (i32.rem_u (local.get $i) (local.get $m)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $acc))
  (func (export "set") (param $k i32) (param $f i32) (table.set $t (local.get $k) (table.get $t (local.get $f))))
  (func (export "grow") (param $f i32) (result i32) (table.grow $t (table.get $t (local.get $f)) (i32.const 1)))
))";

/// What each unary element computes, by index (the table as instantiated).
int32_t unary(int32_t k, int32_t x) {
  switch (k) {
    case 0:
      return x + 1;
    case 1:
      return x * 2;
    case 2:
      return -x;
    case 3:
      return x * x;
    default:
      return 10;
  }
}

class WasmCallIndirectCacheTest : public ::testing::TestWithParam<TierMode> {
 protected:
  void SetUp() override {
    auto options = *morel::testing::tierOptions(GetParam().name, 3);
    ASSERT_TRUE(options.set("engine.TraceInlining", "true").has_value());
    runtime_ = std::make_unique<morel::Runtime>(options, &compiler_, &trace_);
    auto bytes = morel::wasm::parseWat(kModule);
    ASSERT_TRUE(bytes.has_value()) << bytes.error().toString();
    auto instance = morel::wasm::WasmInstance::instantiate(*bytes, *runtime_);
    ASSERT_TRUE(instance.has_value()) << instance.error().toString();
    instance_ = std::move(*instance);
  }
  void TearDown() override { runtime_->drainQueue(); }

  bool compiles() const { return morel::testing::compiles(GetParam().name); }

  /// Calls export `fn`: its i32 result, or the trap's message.
  std::string call(const char* fn, std::vector<int32_t> args) {
    morel::Runtime::GuestEntry entry(*runtime_);
    uint64_t io[4] = {};
    for (std::size_t i = 0; i < args.size(); ++i) io[i] = static_cast<uint32_t>(args[i]);
    morel::CallTarget* target = instance_->exportedFunction(fn);
    if (target == nullptr) return std::string("no export ") + fn;
    if (morel::Status s = target->call(io); s != 0) return morel::trapOf(s)->message;
    return std::to_string(static_cast<int32_t>(io[0]));
  }

  /// Calls `fn` until tiered mode has compiled it, expecting `want` every time.
  void expectAlways(const char* fn, std::vector<int32_t> args, const std::string& want) {
    for (int i = 0; i < 12; ++i) {
      ASSERT_EQ(call(fn, args), want) << fn << " call " << i << " (" << GetParam().name << ")";
      if (i == 6) runtime_->drainQueue();
    }
  }

  static std::string sum(int32_t k, int32_t n) {
    int32_t s = 0;
    for (int32_t i = 0; i < n; ++i) s += unary(k, i);
    return std::to_string(s);
  }

  int32_t calls() { return std::stoi(call("calls", {})); }

  morel::codegen::OptimizingCompiler compiler_;
  std::ostringstream trace_;
  std::unique_ptr<morel::Runtime> runtime_;
  std::unique_ptr<morel::wasm::WasmInstance> instance_;
};

TEST_P(WasmCallIndirectCacheTest, MonomorphicSiteInlinesItsFunction) {
  expectAlways("apply", {0, 100}, sum(0, 100));
  if (compiles()) {
    // $inc is function 1 ($count is 0); the module has no names.
    EXPECT_NE(trace_.str().find("[engine] inline yes func1 into apply"), std::string::npos)
        << "expected $inc, the cached function, inlined into apply; trace:\n"
        << trace_.str();
    EXPECT_GT(runtime_->inlinedCalls(), 0u);
  } else {
    EXPECT_EQ(runtime_->inlinedCalls(), 0u);
  }
}

TEST_P(WasmCallIndirectCacheTest, ElementSetByWasmAfterCompilationCallsTheNewFunction) {
  expectAlways("apply", {0, 100}, sum(0, 100));
  call("set", {0, 1});  // element 0 becomes $dbl
  expectAlways("apply", {0, 100}, sum(1, 100));
  call("set", {0, 2});  // and $neg
  expectAlways("apply", {0, 100}, sum(2, 100));
}

TEST_P(WasmCallIndirectCacheTest, ElementWrittenByTheHostCallsTheNewFunction) {
  expectAlways("apply", {0, 100}, sum(0, 100));
  morel::wasm::WasmTable& table = *instance_->table(0);
  table[0] = table[3];  // $sq, written from C++, not by any table instruction
  expectAlways("apply", {0, 100}, sum(3, 100));
  table[0] = 0;
  EXPECT_EQ(call("apply", {0, 100}), "uninitialized element");
}

TEST_P(WasmCallIndirectCacheTest, ElementChangedMidLoopResumesWithoutRepeatingACall) {
  expectAlways("apply", {0, 100}, sum(0, 100));  // compiled with $inc cached
  morel::wasm::WasmTable& table = *instance_->table(0);
  const uint64_t inc = table[0];
  const int32_t before = calls();
  // Element 0 becomes $dbl at i == 50: the guard fails inside the compiled loop.
  int32_t want = 0;
  for (int32_t i = 0; i < 100; ++i) want += i < 50 ? unary(0, i) : unary(1, i);
  EXPECT_EQ(call("apply_switching", {0, 100, 50, 1}), std::to_string(want));
  EXPECT_EQ(calls() - before, 100) << "every iteration calls once, none twice";
  for (int i = 0; i < 8; ++i) {
    table[0] = inc;
    ASSERT_EQ(call("apply_switching", {0, 100, 50, 1}), std::to_string(want)) << "run " << i;
    if (i == 4) runtime_->drainQueue();
  }
}

TEST_P(WasmCallIndirectCacheTest, PolymorphicSiteCallsEachFunction) {
  for (int32_t m : {2, 3, 4}) {
    int32_t want = 0;
    for (int32_t i = 0; i < 200; ++i) want += unary(i % m, i);
    expectAlways("rotate", {m, 200}, std::to_string(want));
  }
}

TEST_P(WasmCallIndirectCacheTest, MegamorphicSiteCallsEachFunction) {
  int32_t want = 0;
  for (int32_t i = 0; i < 200; ++i) want += unary(i % 5, i);
  const int32_t before = calls();
  expectAlways("rotate", {5, 200}, std::to_string(want));  // five functions: past the cache
  EXPECT_EQ(calls() - before, 12 * 200);
  expectAlways("rotate", {2, 200}, [] {
    int32_t s = 0;
    for (int32_t i = 0; i < 200; ++i) s += unary(i % 2, i);
    return std::to_string(s);
  }());
}

TEST_P(WasmCallIndirectCacheTest, TrapsAreUnchangedBeforeAndAfterTheSiteIsCached) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(call("apply", {6, 1}), "uninitialized element");
    EXPECT_EQ(call("apply", {5, 1}), "indirect call type mismatch");
    EXPECT_EQ(call("apply", {8, 1}), "undefined element");
    EXPECT_EQ(call("apply", {-1, 1}), "undefined element");
    expectAlways("apply", {0, 100}, sum(0, 100));  // now cached, and compiled
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(call("apply", {7, 3}), "uninitialized element") << i;
    ASSERT_EQ(call("apply", {5, 3}), "indirect call type mismatch") << i;
    ASSERT_EQ(call("apply", {16, 3}), "undefined element") << i;
    ASSERT_EQ(call("apply", {0, 3}), sum(0, 3)) << i;
  }
}

TEST_P(WasmCallIndirectCacheTest, GrownTableIsCalledPastItsOldSize) {
  expectAlways("apply", {0, 100}, sum(0, 100));
  EXPECT_EQ(call("apply", {8, 1}), "undefined element");
  EXPECT_EQ(call("grow", {1}), "8");  // element 8: $dbl
  expectAlways("apply", {8, 100}, sum(1, 100));
  EXPECT_EQ(call("apply", {9, 1}), "undefined element");
}

INSTANTIATE_TEST_SUITE_P(AllTiers, WasmCallIndirectCacheTest,
                         ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace

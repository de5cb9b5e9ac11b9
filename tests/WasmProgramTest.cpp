// Small Wasm programs run through the embedding API in each tier, with the same
// expected results: recursion, loops with early exits, nested blocks, i64, traps.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "TierModes.h"
#include "morel/polyglot/Polyglot.h"

namespace {

std::vector<uint8_t> readExample(const std::string& name) {
  std::ifstream in(std::string(MOREL_EXAMPLES_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using morel::testing::TierMode;

class WasmProgramTest : public ::testing::TestWithParam<TierMode> {
 protected:
  morel::Value load(const std::string& file) {
    engine_ = std::make_unique<morel::Engine>(*morel::testing::tierOptions(GetParam().name, 20));
    context_ = std::make_unique<morel::Context>(*engine_);
    auto bytes = readExample(file);
    EXPECT_FALSE(bytes.empty()) << file << " not built";
    auto module = context_->eval(morel::Source::fromBytes("wasm", file, bytes));
    EXPECT_TRUE(module.has_value()) << (module ? "" : module.error().toString());
    return module ? *module : morel::Value();
  }

  /// Calls `fn` often enough that tiered mode compiles it, checking every result.
  void expectAlways(const morel::Value& module, const char* fn, const std::vector<int64_t>& args,
                    int64_t expected) {
    morel::Value f = module.getMember(fn);
    ASSERT_TRUE(f.canExecute()) << fn;
    std::vector<morel::Value> values;
    for (int64_t a : args) values.push_back(morel::Value::fromLong(a));
    for (int i = 0; i < 40; ++i) {
      auto r = f.execute(values);
      ASSERT_TRUE(r.has_value()) << fn << ": " << r.error().toString();
      ASSERT_EQ(r->asLong(), expected) << fn << " call " << i;
      if (i == 25) context_->drainCompilations();
    }
    // A compilation that raced a re-specialization is discarded and queued again.
    context_->drainCompilations();
    EXPECT_EQ(context_->compilationCount() > 0, morel::testing::compiles(GetParam().name))
        << GetParam().name;
  }

  void expectTrap(const morel::Value& module, const char* fn, const std::vector<int64_t>& args,
                  const char* message) {
    morel::Value f = module.getMember(fn);
    std::vector<morel::Value> values;
    for (int64_t a : args) values.push_back(morel::Value::fromLong(a));
    for (int i = 0; i < 30; ++i) {
      auto r = f.execute(values);
      ASSERT_FALSE(r.has_value()) << fn;
      EXPECT_EQ(r.error().category, "trap");
      EXPECT_EQ(r.error().detail, message);
    }
  }

  std::unique_ptr<morel::Engine> engine_;
  std::unique_ptr<morel::Context> context_;
};

TEST_P(WasmProgramTest, RecursiveFib) {
  auto m = load("fib.wasm");
  expectAlways(m, "fib", {0}, 0);
  expectAlways(m, "fib", {1}, 1);
  expectAlways(m, "fib", {20}, 6765);
}

TEST_P(WasmProgramTest, LoopsWithEarlyExits) {
  auto m = load("loops.wasm");
  expectAlways(m, "sum", {100}, 5050);
  expectAlways(m, "sum", {-5}, 0);
  expectAlways(m, "sum_repeat", {10, 7}, 385);
}

TEST_P(WasmProgramTest, NestedBlocksBreakToOuterLabel) {
  auto m = load("loops.wasm");
  expectAlways(m, "first_multiple", {10, 7}, 14);
  expectAlways(m, "first_multiple", {50, 9}, 54);
}

TEST_P(WasmProgramTest, I64Arithmetic) {
  auto m = load("i64.wasm");
  expectAlways(m, "fact", {20}, 2432902008176640000LL);
  expectAlways(m, "main", {}, -304112753124212736LL);
}

TEST_P(WasmProgramTest, Traps) {
  auto m = load("traps.wasm");
  expectTrap(m, "div", {1, 0}, "integer divide by zero");
  expectTrap(m, "div", {INT32_MIN, -1}, "integer overflow");
  expectAlways(m, "div", {-7, 2}, -3);
  expectTrap(m, "rem", {5, 0}, "integer divide by zero");
  expectAlways(m, "rem", {INT64_MIN, -1}, 0);
  expectTrap(m, "unreachable", {}, "unreachable");
}

TEST_P(WasmProgramTest, GuardFailingMidLoopResumesThere) {
  auto m = load("deopt.wasm");
  expectAlways(m, "sum_div", {10, 2, -1}, 20);  // divisor never -1: compiled without the check
  expectAlways(m, "sum_div", {10, 2, 5}, 13);   // -1 at i == 5: 18 + 5 / -1
  expectAlways(m, "sum_div", {10, 2, 5}, 13);   // recompiled with the state seen
}

TEST_P(WasmProgramTest, UnboundedRecursionIsAGuestTrap) {
  auto m = load("traps.wasm");
  auto r = m.getMember("recurse").execute({morel::Value::fromInt(0)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, "call stack exhausted");
}

TEST_P(WasmProgramTest, AnswerThroughThePolyglotApi) {
  // (module (func (export "answer") (result i32) i32.const 42))
  std::vector<uint8_t> bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01,
                                0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01,
                                0x06, 'a',  'n',  's',  'w',  'e',  'r',  0x00, 0x00, 0x0a, 0x06,
                                0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b};
  load("fib.wasm");
  auto module = context_->eval(morel::Source::fromBytes("wasm", "answer.wasm", bytes));
  ASSERT_TRUE(module.has_value()) << module.error().toString();
  auto answer = module->getMember("answer");
  for (int i = 0; i < 30; ++i) EXPECT_EQ(answer.execute({})->asInt(), 42);
  EXPECT_TRUE(module->getMember("missing").isNull());
  EXPECT_FALSE(answer.execute({morel::Value::fromInt(1)}).has_value());  // arity
  auto fib = context_->eval(morel::Source::fromBytes("wasm", "fib.wasm", readExample("fib.wasm")))
                 ->getMember("fib");
  EXPECT_EQ(fib.execute({morel::Value::fromLong(UINT32_MAX)})->asInt(), -1);  // fib(-1) = -1
  auto tooBig = fib.execute({morel::Value::fromLong(int64_t{1} << 32)});
  ASSERT_FALSE(tooBig.has_value());
  EXPECT_EQ(tooBig.error().category, "argument error");
}

TEST_P(WasmProgramTest, MalformedModuleIsAnError) {
  load("fib.wasm");
  auto r = context_->eval(morel::Source::fromBytes("wasm", "bad.wasm", {0x00, 0x61, 0x73}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected end");
}

INSTANTIATE_TEST_SUITE_P(AllTiers, WasmProgramTest, ::testing::ValuesIn(morel::testing::kTierModes),
                         [](const auto& info) { return std::string(info.param.displayName); });

}  // namespace

// Small Wasm programs run through the embedding API in each tier, with the same
// expected results: recursion, loops with early exits, nested blocks, i64, traps.
#include <gtest/gtest.h>

#include <bit>
#include <fstream>
#include <iterator>
#include <string>

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

  /// The same for values of any type, comparing the results' text (floats: the
  /// shortest round-trip form, so equal text means equal bits).
  void expectAlwaysText(const morel::Value& module, const char* fn, const std::vector<morel::Value>& args,
                        const std::string& expected) {
    morel::Value f = module.getMember(fn);
    ASSERT_TRUE(f.canExecute()) << fn;
    for (int i = 0; i < 40; ++i) {
      auto r = f.execute(args);
      ASSERT_TRUE(r.has_value()) << fn << ": " << r.error().toString();
      ASSERT_EQ(r->toString(), expected) << fn << " call " << i;
      if (i == 25) context_->drainCompilations();
    }
    context_->drainCompilations();
    EXPECT_EQ(context_->compilationCount() > 0, morel::testing::compiles(GetParam().name))
        << GetParam().name;
  }

  void expectTrap(const morel::Value& module, const char* fn, const std::vector<int64_t>& args,
                  const char* message) {
    std::vector<morel::Value> values;
    for (int64_t a : args) values.push_back(morel::Value::fromLong(a));
    expectTrapValues(module, fn, values, message);
  }

  void expectTrapValues(const morel::Value& module, const char* fn, const std::vector<morel::Value>& values,
                        const char* message) {
    morel::Value f = module.getMember(fn);
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

using morel::Value;

TEST_P(WasmProgramTest, FloatLoopsAndCalls) {
  auto m = load("floats.wasm");
  expectAlwaysText(m, "basel", {Value::fromInt(1000)}, "1.6439345666815615");
  expectAlwaysText(m, "newton_sqrt", {Value::fromFloat(2), Value::fromInt(10)}, "1.4142135");
  expectAlwaysText(m, "newton_sqrt", {Value::fromFloat(0.25f), Value::fromInt(10)}, "0.5");
  expectAlwaysText(m, "mandel", {Value::fromDouble(-0.75), Value::fromDouble(0.1), Value::fromInt(1000)}, "33");
  expectAlwaysText(m, "mandel", {Value::fromDouble(0), Value::fromDouble(0), Value::fromInt(1000)}, "1000");
}

TEST_P(WasmProgramTest, FloatLiveAcrossADeoptimization) {
  auto m = load("floats.wasm");
  expectAlwaysText(m, "scaled_sum", {Value::fromInt(10), Value::fromInt(3), Value::fromInt(-1)},
                   "37738.916015625");
  expectAlwaysText(m, "scaled_sum", {Value::fromInt(10), Value::fromInt(3), Value::fromInt(5)},
                   "30990.603515625");  // divisor -1 at i == 5
}

TEST_P(WasmProgramTest, FloatConversionsAndBits) {
  auto m = load("floats.wasm");
  float nan = std::bit_cast<float>(0x7fa00001u);  // a signalling NaN passes bit for bit
  expectAlwaysText(m, "bits", {Value::fromFloat(nan)}, std::to_string(0x7fa00001));
  expectAlwaysText(m, "bits", {Value::fromFloat(-0.0f)}, std::to_string(INT32_MIN));
  expectAlwaysText(m, "to_i32", {Value::fromDouble(-2147483648.9)}, "-2147483648");
  expectTrapValues(m, "to_i32", {Value::fromDouble(2147483648.0)}, "integer overflow");
  expectTrapValues(m, "to_i32", {Value::fromDouble(std::bit_cast<double>(0xfff0000000000001u))},
                   "invalid conversion to integer");
  expectAlwaysText(m, "to_u32_sat", {Value::fromFloat(-5)}, "0");
  expectAlwaysText(m, "to_u32_sat", {Value::fromFloat(5e9f)}, "-1");
  expectAlwaysText(m, "to_u32_sat", {Value::fromFloat(4294967040.0f)}, "-256");
  expectAlwaysText(m, "to_u32_sat", {Value::fromFloat(std::bit_cast<float>(0x7fc00000u))}, "0");
  expectAlwaysText(m, "min_max", {Value::fromFloat(-0.0f), Value::fromFloat(0.0f)}, "-0\n0");
  // min and max quiet the signalling NaN (arithmetic NaN: the quiet bit is set).
  expectAlwaysText(m, "min_max", {Value::fromFloat(1), Value::fromFloat(nan)}, "nan:0x600001\nnan:0x600001");
}

TEST_P(WasmProgramTest, FloatArgumentsConvertByParameterType) {
  auto m = load("floats.wasm");
  // An integer or an f64 for an f32 parameter rounds to the nearest f32.
  expectAlwaysText(m, "bits", {Value::fromInt(1)}, "1065353216");
  expectAlwaysText(m, "bits", {Value::fromDouble(0.1)}, "1036831949");
  // A float for an integer parameter is refused.
  auto r = m.getMember("basel").execute({Value::fromDouble(3)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "argument error");
  auto f = m.getMember("min_max");
  EXPECT_EQ(f.parameterTypes(), (std::vector<morel::ValueType>{morel::ValueType::F32, morel::ValueType::F32}));
  EXPECT_EQ(f.resultTypes(), (std::vector<morel::ValueType>{morel::ValueType::F32, morel::ValueType::F32}));
  auto both = f.execute({Value::fromFloat(2), Value::fromFloat(1)});
  ASSERT_TRUE(both.has_value());
  ASSERT_EQ(both->getArraySize(), 2u);
  EXPECT_TRUE(both->getArrayElement(0).isFloat());
  EXPECT_EQ(both->getArrayElement(0).asFloat(), 1.0f);
  EXPECT_EQ(both->getArrayElement(1).asDouble(), 2.0);
  EXPECT_EQ(both->getArrayElement(1).asLong(), 0);  // not an integer
  EXPECT_EQ(m.getMember("basel").execute({Value::fromInt(1)})->numberType(), morel::ValueType::F64);
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

TEST_P(WasmProgramTest, LinearMemoryTablesAndGlobals) {
  auto m = load("memory.wasm");
  expectAlways(m, "primes", {1000}, 168);  // a sieve in memory, cleared by memory.fill
  expectAlways(m, "sum_data", {}, 8 + 0x0403 + 0x08070605 + 8);
  expectAlways(m, "classify", {0}, 10);  // br_table
  expectAlways(m, "classify", {2}, 30);
  expectAlways(m, "classify", {-1}, 40);
  expectAlways(m, "apply", {2, 6, 7}, 42);  // call_indirect
  expectAlways(m, "apply", {1, 6, 7}, -1);
  expectTrap(m, "apply", {3, 1, 1}, "undefined element");
  expectTrap(m, "load", {65533}, "out of bounds memory access");
  expectTrap(m, "load", {-1}, "out of bounds memory access");  // 0xffffffff + 4 does not wrap
  // Mutable state changes between calls in every tier: the counter, and the memory,
  // which grows to its maximum of 4 pages.
  EXPECT_EQ(m.getMember("calls").execute({})->asInt(), 40 * 2 + 30);
  auto grow = m.getMember("grow_and_store");
  for (int v : {7, 8, 9}) EXPECT_EQ(grow.execute({Value::fromInt(v)})->asInt(), v);
  EXPECT_EQ(grow.execute({Value::fromInt(10)})->asInt(), -1);
  EXPECT_EQ(m.getMember("pages").execute({})->asInt(), 4);
  expectAlways(m, "load", {3 * 65536}, 9);  // the last page grown
  expectTrap(m, "load", {4 * 65536}, "out of bounds memory access");
}

TEST_P(WasmProgramTest, ImportsFromRegisteredModules) {
  auto lib = load("memory.wasm");
  auto imports = readExample("imports.wasm");
  // Without the modules it names, the module does not link.
  auto unlinked = context_->eval(morel::Source::fromBytes("wasm", "imports.wasm", imports));
  ASSERT_FALSE(unlinked.has_value());
  EXPECT_EQ(unlinked.error().category, "unknown import");
  ASSERT_TRUE(context_->addBuiltinModule("spectest").has_value());
  ASSERT_TRUE(context_->registerModule("lib", lib).has_value());
  auto m = context_->eval(morel::Source::fromBytes("wasm", "imports.wasm", imports));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  expectAlways(*m, "run", {5}, 666 + 5 * 4);  // spectest's global, lib's memory and table
  EXPECT_EQ(lib.getMember("calls").execute({})->asInt(), 40);  // lib's global, changed through it
  // A registered module with a different export type does not link either.
  auto fib = context_->eval(morel::Source::fromBytes("wasm", "fib.wasm", readExample("fib.wasm")));
  ASSERT_TRUE(context_->registerModule("lib", *fib).has_value());
  auto incompatible = context_->eval(morel::Source::fromBytes("wasm", "imports.wasm", imports));
  ASSERT_FALSE(incompatible.has_value());
  EXPECT_EQ(incompatible.error().category, "unknown import");  // fib.wasm exports no memory
  EXPECT_FALSE(context_->addBuiltinModule("wasi").has_value());
}

TEST_P(WasmProgramTest, ReferencesAndTableInstructions) {
  auto m = load("tables.wasm");
  expectAlways(m, "is_null", {0}, 1);
  expectTrap(m, "call", {0}, "uninitialized element");
  m.getMember("set").execute({Value::fromInt(0), Value::fromInt(1)});
  m.getMember("set").execute({Value::fromInt(1), Value::fromInt(0)});
  expectAlways(m, "call", {0}, 1);
  expectAlways(m, "call", {1}, 2);
  expectAlways(m, "is_null", {1}, 0);
  EXPECT_EQ(m.getMember("grow").execute({Value::fromInt(3)})->asInt(), 2);
  EXPECT_EQ(m.getMember("grow").execute({Value::fromInt(6)})->asInt(), -1);  // past 10
  expectAlways(m, "size", {}, 5);
  expectAlways(m, "call", {4}, 2);
  expectTrap(m, "call", {5}, "undefined element");
  expectTrap(m, "is_null", {5}, "out of bounds table access");
  // An externref goes into a table and comes back as it was, in every tier.
  auto keep = m.getMember("keep");
  EXPECT_EQ(keep.parameterRefTypes(), (std::vector<std::optional<morel::RefType>>{morel::RefType::ExternRef}));
  for (int i = 0; i < 30; ++i) {
    auto r = keep.execute({Value::externRef(42 + i)});
    ASSERT_TRUE(r.has_value()) << r.error().toString();
    EXPECT_EQ(r->externHandle(), 42u + i);
    EXPECT_EQ(r->toString(), "externref " + std::to_string(42 + i));
    if (i == 20) context_->drainCompilations();
  }
  EXPECT_TRUE(keep.execute({Value::nullRef(morel::RefType::ExternRef)})->isNullReference());
  auto wrong = keep.execute({Value::fromInt(1)});
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().category, "argument error");
}

TEST(WasmMemoryLimit, MaxMemoryPagesBoundsGrowing) {
  morel::OptionValues options;
  ASSERT_TRUE(options.set("wasm.MaxMemoryPages", "2").has_value());
  morel::Engine engine(std::move(options));
  morel::Context context(engine);
  auto m = context.eval(morel::Source::fromBytes("wasm", "memory.wasm", readExample("memory.wasm")));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  auto grow = m->getMember("grow_and_store");  // (memory 1 4), limited to 2 pages
  EXPECT_EQ(grow.execute({Value::fromInt(7)})->asInt(), 7);
  EXPECT_EQ(grow.execute({Value::fromInt(8)})->asInt(), -1);
  morel::OptionValues none;
  ASSERT_TRUE(none.set("wasm.MaxMemoryPages", "0").has_value());
  morel::Engine tiny(std::move(none));
  morel::Context tinyContext(tiny);
  auto refused = tinyContext.eval(morel::Source::fromBytes("wasm", "memory.wasm", readExample("memory.wasm")));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().category, "out of memory");
}

TEST(WasmTableLimit, MaxTableElementsBoundsGrowing) {
  constexpr std::string_view kTables = R"((module
    (table $t 3 funcref)
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
    (func (export "size") (result i32) (table.size $t))))";
  morel::OptionValues options;
  ASSERT_TRUE(options.set("wasm.MaxTableElements", "10").has_value());
  morel::Engine engine(std::move(options));
  morel::Context context(engine);
  auto m = context.eval(morel::Source::fromText("wasm", "tables.wat", kTables));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  auto grow = m->getMember("grow");
  EXPECT_EQ(grow.execute({Value::fromInt(7)})->asInt(), 3) << "3 + 7 elements fit the limit of 10";
  EXPECT_EQ(grow.execute({Value::fromInt(1)})->asInt(), -1) << "an 11th element is past the limit";
  EXPECT_EQ(m->getMember("size").execute({})->asInt(), 10)
      << "a failed grow leaves the table as it was";
  morel::OptionValues two;
  ASSERT_TRUE(two.set("wasm.MaxTableElements", "2").has_value());
  morel::Engine tiny(std::move(two));
  morel::Context tinyContext(tiny);
  auto refused = tinyContext.eval(morel::Source::fromText("wasm", "tables.wat", kTables));
  ASSERT_FALSE(refused.has_value()) << "a table that starts with 3 elements, past the limit of 2";
  EXPECT_EQ(refused.error().category, "out of memory");
}

TEST_P(WasmProgramTest, GuardInInlinedCodeRebuildsEveryFrame) {
  auto m = load("inlining.wasm");
  expectAlways(m, "run", {10, 2, -1}, 200010);  // never -1: $div compiled without the check
  // -1 at i == 5, inside $div inlined into $step inlined into run: each frame continues
  // where it was, and $step's count in memory shows no call ran twice.
  expectAlways(m, "run", {10, 2, 5}, 130010);
  expectAlways(m, "run", {10, 2, 5}, 130010);  // recompiled with the state seen
  if (morel::testing::compiles(GetParam().name))
    EXPECT_GT(context_->inlinedCalls(), 0u) << "compiled code inlined $step and $div";
  else
    EXPECT_EQ(context_->inlinedCalls(), 0u);
}

TEST_P(WasmProgramTest, SimdLanesThroughMemoryArgumentsAndResults) {
  morel::Value m = load("simd.wasm");
  expectAlways(m, "dot", {1000}, 13511);
  expectAlways(m, "saturated_bytes", {200, 100}, 16 * 255);
  expectAlways(m, "saturated_bytes", {20, 10}, 16 * 30);
  // A v128 crosses the embedding API as two words: lanes 1 2 3 4 come back reversed, plus 10.
  expectAlwaysText(m, "shuffle_add", {morel::Value::fromV128({0x0000000200000001, 0x0000000400000003})},
                   "i32x4 0x0000000e 0x0000000d 0x0000000c 0x0000000b");
  auto wrongType = m.getMember("shuffle_add").execute({morel::Value::fromInt(1)});
  ASSERT_FALSE(wrongType.has_value()) << "an i32 for a v128 parameter";
  EXPECT_EQ(wrongType.error().category, "argument error");
}

// A br_table of 4,000 entries alternating between two labels (as br_table.wast's
// "large") branches through a table of its two targets' ordinals: it compiles
// (the search over 4,000 runs passed the graph budget) and every index, the
// default and indices past it included, takes the label the table names.
TEST_P(WasmProgramTest, LongBrTableWithFewTargetsCompiles) {
  std::string labels;
  for (int i = 0; i < 4000; ++i) labels += i % 2 == 0 ? "0 1 " : "1 0 ";
  std::string wat = "(module (func (export \"pick\") (param i32) (result i32)\n"
                    "  (block (block (block (br_table " + labels + "2 (local.get 0)))\n"
                    "      (return (i32.const 10)))\n"
                    "    (return (i32.const 20)))\n"
                    "  (i32.const 30)))";
  engine_ = std::make_unique<morel::Engine>(*morel::testing::tierOptions(GetParam().name, 20));
  context_ = std::make_unique<morel::Context>(*engine_);
  auto m = context_->eval(morel::Source::fromText("wasm", "br_table.wat", wat));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  expectAlways(*m, "pick", {0}, 10);
  expectAlways(*m, "pick", {1}, 20);
  expectAlways(*m, "pick", {2}, 20);
  expectAlways(*m, "pick", {3}, 10);
  expectAlways(*m, "pick", {7999}, 10);
  expectAlways(*m, "pick", {8000}, 30);  // the default label, at the table's length
  expectAlways(*m, "pick", {-1}, 30);    // and at 2^32 - 1
  EXPECT_EQ(context_->compilerBailouts(), 0u) << "expected the br_table to compile";
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

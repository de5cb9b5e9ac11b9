// Validator tests: valid functions of the subset, one invalid module per error category with
// the offset of the offending instruction, and the relevant files of the spec test suite.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "Testsuite.h"
#include "WasmBytes.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {
namespace {

using namespace testing;  // WasmBytes.h

// f32.const 1.0 and f64.const 1.0.
const Bytes kF32One = {0x43, 0x00, 0x00, 0x80, 0x3f};
const Bytes kF64One = {0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f};

Bytes sized(const Bytes& content) { return cat({uleb(static_cast<uint32_t>(content.size())), content}); }

Bytes funcType(const Bytes& params, const Bytes& results) {
  return cat({{0x60, static_cast<uint8_t>(params.size())},
              params,
              {static_cast<uint8_t>(results.size())},
              results});
}

constexpr uint8_t kHeader[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

// Functions all of type 0 (`params -> results`); type 1 is `[i32 i64] -> [i64]` for block
// type and call tests. Each body holds its local declarations and the final end.
Bytes module(const Bytes& params, const Bytes& results, std::initializer_list<Bytes> bodies,
             const Bytes& exports = {}) {
  Bytes types =
      section(1, cat({{0x02}, funcType(params, results), funcType({kI32, kI64}, {kI64})}));
  Bytes funcs = {static_cast<uint8_t>(bodies.size())};
  Bytes code = {static_cast<uint8_t>(bodies.size())};
  for (const Bytes& b : bodies) {
    funcs.push_back(0x00);
    code = cat({code, sized(b)});
  }
  Bytes exportSection = exports.empty() ? Bytes{} : section(7, exports);
  return cat({Bytes(std::begin(kHeader), std::end(kHeader)), types, section(3, funcs),
              exportSection, section(10, code)});
}

Bytes function(const Bytes& params, const Bytes& results, const Bytes& body) {
  return module(params, results, {body});
}

void expectValid(const Bytes& bytes) {
  auto m = decodeAndValidate(bytes);
  EXPECT_TRUE(m.has_value()) << m.error().toString();
}

// Checks the category and that the position is the offset of body instruction `index` of
// the first function.
void expectInvalid(const Bytes& bytes, const std::string& category, std::size_t index) {
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().toString();
  auto result = validate(*decoded);
  ASSERT_FALSE(result.has_value()) << "expected " << category;
  EXPECT_EQ(result.error().category, category) << result.error().toString();
  ASSERT_LT(index, decoded->functions[0].body.size());
  EXPECT_EQ(result.error().position, decoded->functions[0].body[index].offset)
      << result.error().toString();
}

// --- valid code ---------------------------------------------------------------------------

TEST(WasmValidatorTest, FunctionReturning42) {
  expectValid(function({}, {kI32}, {0x00, 0x41, 0x2a, 0x0b}));
}

TEST(WasmValidatorTest, LoopCountingDown) {
  expectValid(function({kI32}, {kI32}, {0x01, 0x01, kI32, 0x03, kVoid, 0x20, 0x01, 0x41, 0x01,
                                        0x6a, 0x21, 0x01, 0x20, 0x00,  0x41, 0x01, 0x6b, 0x22,
                                        0x00, 0x0d, 0x00, 0x0b, 0x20,  0x01, 0x0b}));
}

TEST(WasmValidatorTest, BlocksWithResults) {
  // block (result i32) (br 0 (i32.const 1)) end; if (result i64) ... else ... end; wrap; add
  expectValid(function({kI32}, {kI32},
                       {0x00, 0x02, kI32, 0x41, 0x01, 0x0c, 0x00, 0x0b,              // block -> i32
                        0x20, 0x00, 0x04, kI64, 0x42, 0x01, 0x05, 0x42, 0x02, 0x0b,  // if -> i64
                        0xa7, 0x6a, 0x0b}));
}

TEST(WasmValidatorTest, BlockTypeIndexTakesParams) {
  // i32.const; i64.const; block (type 1: [i32 i64] -> [i64]) drop i64.extend_i32_u end
  expectValid(
      function({}, {kI64}, {0x00, 0x41, 0x01, 0x42, 0x02, 0x02, 0x01, 0x1a, 0xad, 0x0b, 0x0b}));
  // A loop label carries the params: br 0 inside the loop passes [i32 i64].
  expectValid(
      function({}, {kI64}, {0x00, 0x41, 0x01, 0x42, 0x02, 0x03, 0x01, 0x0c, 0x00, 0x0b, 0x0b}));
  // ... and a br 0 with only the i64 result is a type mismatch for the loop.
  expectInvalid(function({}, {kI64},
                         {0x00, 0x41, 0x01, 0x42, 0x02, 0x03, 0x01, 0x1a, 0x1a, 0x42, 0x03, 0x0c,
                          0x00, 0x0b, 0x0b}),
                "type mismatch", 6);
}

TEST(WasmValidatorTest, Calls) {
  // Function 0 takes i32 and calls function 1 (same type) with 7.
  expectValid(module({kI32}, {kI32},
                     {{0x00, 0x41, 0x07, 0x10, 0x01, 0x0b}, {0x00, 0x20, 0x00, 0x0b}},
                     {0x01, 0x01, 'f', 0x00, 0x00}));
}

TEST(WasmValidatorTest, SelectDropTeeReturn) {
  expectValid(function({kI64, kI64}, {kI64},
                       {0x00, 0x20, 0x00, 0x20, 0x01, 0x41, 0x00, 0x1b,  // select
                        0x22, 0x00, 0x1a,                                // tee, drop
                        0x20, 0x01, 0x0f, 0x0b}));                       // return
}

TEST(WasmValidatorTest, PolymorphicStackAfterUnreachable) {
  // unreachable; i32.add; drop; then br and return leave the stack polymorphic too.
  expectValid(function({}, {kI32}, {0x00, 0x00, 0x6a, 0x1a, 0x1b, 0x0b}));
  expectValid(function({}, {kI32}, {0x00, 0x02, kI32, 0x41, 0x01, 0x0c, 0x00, 0x6a, 0x0b, 0x0b}));
  expectValid(function({}, {kI64}, {0x00, 0x00, 0x0f, 0x0b}));
}

TEST(WasmValidatorTest, FloatArithmeticAndComparisons) {
  // (f32, f32) -> f32: min(a + b, sqrt(a)) with copysign; comparisons give i32.
  expectValid(function({kF32, kF32}, {kF32},
                       {0x00, 0x20, 0x00, 0x20, 0x01, 0x92,  // a + b
                        0x20, 0x00, 0x91, 0x96,              // min(., sqrt a)
                        0x20, 0x01, 0x98, 0x0b}));           // copysign(., b)
  expectValid(function({kF64, kF64}, {kI32}, {0x00, 0x20, 0x00, 0x20, 0x01, 0x63, 0x0b}));  // f64.lt
  expectValid(function({kF32}, {kI32}, {0x00, 0x20, 0x00, 0x20, 0x00, 0x5c, 0x0b}));        // f32.ne
}

TEST(WasmValidatorTest, FloatConversions) {
  // f64 -> i64: i64.trunc_f64_s; f32 -> f64 by promote; i64 -> f32 convert; reinterpret both ways.
  expectValid(function({kF64}, {kI64}, {0x00, 0x20, 0x00, 0xb0, 0x0b}));
  expectValid(function({kF32}, {kF64}, {0x00, 0x20, 0x00, 0xbb, 0x0b}));
  expectValid(function({kI64}, {kF32}, {0x00, 0x20, 0x00, 0xb5, 0x0b}));
  expectValid(function({kF32}, {kF32}, {0x00, 0x20, 0x00, 0xbc, 0xbe, 0x0b}));
  expectValid(function({kF64}, {kI32}, {0x00, 0x20, 0x00, 0xfc, 0x03, 0x0b}));  // trunc_sat_f64_u
  expectValid(function({kF32}, {kI64}, {0x00, 0x20, 0x00, 0xfc, 0x04, 0x0b}));  // trunc_sat_f32_s
}

TEST(WasmValidatorTest, FloatLocalsBlocksAndSelect) {
  // An f64 local set from a block (result f64); select of two f32 constants.
  expectValid(function({}, {kF64}, cat({{0x01, 0x01, kF64, 0x02, kF64}, kF64One, {0x0b, 0x21, 0x00},
                                        {0x20, 0x00, 0x0b}})));
  expectValid(function({kI32}, {kF32}, cat({{0x00}, kF32One, kF32One, {0x20, 0x00, 0x1b, 0x0b}})));
  // if (result f32) ... else ... end
  expectValid(function({kI32}, {kF32},
                       cat({{0x00, 0x20, 0x00, 0x04, kF32}, kF32One, {0x05}, kF32One, {0x0b, 0x0b}})));
}

TEST(WasmValidatorTest, FloatTypeMismatches) {
  // f32.add of an f64 and an f32
  expectInvalid(function({}, {}, cat({{0x00}, kF64One, kF32One, {0x92, 0x1a, 0x0b}})), "type mismatch",
                2);
  // f64.add of two i64
  expectInvalid(function({kI64}, {}, {0x00, 0x20, 0x00, 0x20, 0x00, 0xa0, 0x1a, 0x0b}), "type mismatch",
                2);
  // i32.trunc_f32_s of an f64
  expectInvalid(function({kF64}, {kI32}, {0x00, 0x20, 0x00, 0xa8, 0x0b}), "type mismatch", 1);
  // i64.trunc_sat_f64_u of an f32
  expectInvalid(function({kF32}, {kI64}, {0x00, 0x20, 0x00, 0xfc, 0x07, 0x0b}), "type mismatch", 1);
  // f32.convert_i32_s yields f32, returned as f64
  expectInvalid(function({kI32}, {kF64}, {0x00, 0x20, 0x00, 0xb2, 0x0b}), "type mismatch", 2);
  // f32.reinterpret_i32 of an i64
  expectInvalid(function({kI64}, {kF32}, {0x00, 0x20, 0x00, 0xbe, 0x0b}), "type mismatch", 1);
  // f32 comparison result is i32, not f32
  expectInvalid(function({kF32}, {kF32}, {0x00, 0x20, 0x00, 0x20, 0x00, 0x5b, 0x0b}), "type mismatch", 3);
  // select of f32 and f64
  expectInvalid(function({kI32}, {}, cat({{0x00}, kF32One, kF64One, {0x20, 0x00, 0x1b, 0x1a, 0x0b}})),
                "type mismatch", 3);
  // local.set of an f32 into an f64 local
  expectInvalid(function({kF64}, {}, cat({{0x00}, kF32One, {0x21, 0x00, 0x0b}})), "type mismatch", 1);
  // if and br_if with an f32 condition
  expectInvalid(function({kF32}, {}, {0x00, 0x20, 0x00, 0x04, kVoid, 0x0b, 0x0b}), "type mismatch", 1);
  expectInvalid(function({kF32}, {}, {0x00, 0x20, 0x00, 0x0d, 0x00, 0x0b}), "type mismatch", 1);
  // block (result f32) ending with an f64
  expectInvalid(function({}, {}, cat({{0x00, 0x02, kF32}, kF64One, {0x0b, 0x1a, 0x0b}})), "type mismatch",
                2);
}

// --- invalid code, one per category ---------------------------------------------------------

TEST(WasmValidatorTest, TypeMismatch) {
  // i32.add of an i64
  expectInvalid(function({}, {}, {0x00, 0x42, 0x01, 0x41, 0x01, 0x6a, 0x1a, 0x0b}), "type mismatch",
                2);
  // missing result
  expectInvalid(function({}, {kI32}, {0x00, 0x0b}), "type mismatch", 0);
  // value left over
  expectInvalid(function({}, {}, {0x00, 0x41, 0x01, 0x0b}), "type mismatch", 1);
  // if producing a value without else
  expectInvalid(function({}, {kI32}, {0x00, 0x41, 0x01, 0x04, kI32, 0x41, 0x01, 0x0b, 0x0b}),
                "type mismatch", 3);
  // else branch of the wrong type
  expectInvalid(function({}, {kI32},
                         {0x00, 0x41, 0x01, 0x04, kI32, 0x41, 0x01, 0x05, 0x42, 0x01, 0x0b, 0x0b}),
                "type mismatch", 5);
  // br_if with an i64 condition
  expectInvalid(function({}, {}, {0x00, 0x42, 0x01, 0x0d, 0x00, 0x0b}), "type mismatch", 1);
  // select of i32 and i64
  expectInvalid(function({}, {}, {0x00, 0x41, 0x01, 0x42, 0x01, 0x41, 0x01, 0x1b, 0x1a, 0x0b}),
                "type mismatch", 3);
  // a known i64 stays an i64 after unreachable
  expectInvalid(function({}, {}, {0x00, 0x00, 0x42, 0x01, 0x6a, 0x1a, 0x0b}), "type mismatch", 2);
  // call with a missing argument
  expectInvalid(module({kI32}, {}, {{0x00, 0x10, 0x00, 0x0b}}), "type mismatch", 0);
  // br to a block with a result, nothing on the stack
  expectInvalid(function({}, {}, {0x00, 0x02, kI32, 0x0c, 0x00, 0x0b, 0x1a, 0x0b}), "type mismatch",
                1);
  // local.set of the wrong type
  expectInvalid(function({kI64}, {}, {0x00, 0x41, 0x01, 0x21, 0x00, 0x0b}), "type mismatch", 1);
}

TEST(WasmValidatorTest, UnknownLocal) {
  expectInvalid(function({kI32}, {}, {0x01, 0x01, kI64, 0x20, 0x02, 0x1a, 0x0b}), "unknown local",
                0);
}

TEST(WasmValidatorTest, UnknownFunction) {
  expectInvalid(function({}, {}, {0x00, 0x10, 0x05, 0x0b}), "unknown function", 0);
}

TEST(WasmValidatorTest, UnknownLabel) {
  expectInvalid(function({}, {}, {0x00, 0x02, kVoid, 0x0c, 0x02, 0x0b, 0x0b}), "unknown label", 1);
}

TEST(WasmValidatorTest, UnknownType) {
  expectInvalid(function({}, {}, {0x00, 0x02, 0x07, 0x0b, 0x0b}), "unknown type", 0);
  Bytes badFunctionType = cat({Bytes(std::begin(kHeader), std::end(kHeader)), section(1, {0x00}),
                               section(3, {0x01, 0x00}), section(10, {0x01, 0x02, 0x00, 0x0b})});
  auto r = decodeAndValidate(badFunctionType);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unknown type");
}

TEST(WasmValidatorTest, Exports) {
  const Bytes body = {0x00, 0x0b};
  auto check = [&](const Bytes& exports, const char* category) {
    auto r = decodeAndValidate(module({}, {}, {body}, exports));
    ASSERT_FALSE(r.has_value()) << category;
    EXPECT_EQ(r.error().category, category) << r.error().toString();
  };
  check({0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'a', 0x00, 0x00}, "duplicate export name");
  check({0x01, 0x01, 'a', 0x00, 0x01}, "unknown function");
  check({0x01, 0x01, 'm', 0x02, 0x00}, "unknown memory");
  expectValid(module({}, {}, {body}, {0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'b', 0x00, 0x00}));
}

TEST(WasmValidatorTest, HandBuiltModuleWithoutEnd) {
  Module m;
  m.types.push_back({});
  m.functions.emplace_back();
  Instr nop{};
  nop.op = Opcode::Nop;
  m.functions[0].body.push_back(nop);
  auto r = validate(m);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "END opcode expected");
}

// --- the spec test suite ------------------------------------------------------------------

namespace fs = std::filesystem;

// The value of `"key": "value"` in one line of wast2json output (one command per line).
std::string jsonField(std::string_view line, std::string_view key) {
  const std::string pattern = "\"" + std::string(key) + "\": \"";
  std::size_t start = line.find(pattern);
  if (start == std::string_view::npos) return {};
  start += pattern.size();
  std::string value;
  for (std::size_t i = start; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) ++i;
    value += line[i];
  }
  return value;
}

Bytes readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Decode failures that mean "outside Morel's subset" rather than "wrong".
bool outsideSubset(const Diagnostic& d) {
  return d.category == "unsupported section" || d.category == "unsupported value type" ||
         d.category == "illegal opcode";
}

struct SpecCounts {
  int passed = 0;
  int skipped = 0;
  int failed = 0;
  int categoryMatches = 0;  // rejections whose category is a prefix of the expected text
};

bool categoryMatches(const Diagnostic& d, const std::string& expected) {
  return expected.starts_with(d.category) || d.category.starts_with(expected);
}

void checkCommand(const fs::path& dir, std::string_view line, SpecCounts& counts) {
  const std::string type = jsonField(line, "type");
  const std::string file = jsonField(line, "filename");
  if (file.empty() || !file.ends_with(".wasm")) return;
  const std::string where = file + " (line " + jsonField(line, "line") + ")";
  const std::string expected = jsonField(line, "text");
  const Bytes bytes = readFile(dir / file);
  if (type == "module") {
    auto r = decodeAndValidate(bytes);
    if (r) {
      ++counts.passed;
    } else if (outsideSubset(r.error())) {
      ++counts.skipped;
    } else {
      ++counts.failed;
      ADD_FAILURE() << where << ": valid module rejected: " << r.error().toString();
    }
  } else if (type == "assert_malformed" && jsonField(line, "module_type") == "binary") {
    auto r = decode(bytes);
    if (!r) {
      ++counts.passed;
      counts.categoryMatches += categoryMatches(r.error(), expected);
    } else {
      ++counts.failed;
      ADD_FAILURE() << where << ": malformed module accepted, expected " << expected;
    }
  } else if (type == "assert_invalid" && jsonField(line, "module_type") == "binary") {
    auto decoded = decode(bytes);
    if (!decoded) {
      ++counts.skipped;  // uses something outside the subset
      return;
    }
    auto r = validate(*decoded);
    if (!r) {
      ++counts.passed;
      counts.categoryMatches += categoryMatches(r.error(), expected);
    } else {
      ++counts.failed;
      ADD_FAILURE() << where << ": invalid module accepted, expected " << expected;
    }
  }
}

TEST(WasmSpecSuiteTest, RelevantWastFiles) {
  const fs::path suite = morel::testing::testsuiteDir() / "wasm";
  if (!fs::is_directory(suite)) GTEST_SKIP() << "spec test suite not found at " << suite;
  if (std::system("wast2json --version > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "wast2json (wabt) is not installed";
  }
  std::string tmpl = (fs::temp_directory_path() / "morel-wasm-spec-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const fs::path out(tmpl);

  const char* files[] = {"binary-leb128",
                         "binary",
                         "custom",
                         "utf8-custom-section-id",
                         "block",
                         "br",
                         "br_if",
                         "call",
                         "if",
                         "loop",
                         "local_get",
                         "local_set",
                         "local_tee",
                         "nop",
                         "return",
                         "select",
                         "unreached-invalid",
                         "unreached-valid",
                         "func",
                         "labels",
                         "i32",
                         "i64",
                         "exports",
                         "stack",
                         "unwind",
                         "fac",
                         "forward",
                         "type",
                         "f32",
                         "f64",
                         "f32_cmp",
                         "f64_cmp",
                         "f32_bitwise",
                         "f64_bitwise",
                         "conversions",
                         "float_misc",
                         "float_literals",
                         "float_exprs",
                         "int_exprs",
                         "left-to-right",
                         "const",
                         "memory",
                         "memory_size",
                         "memory_grow",
                         "memory_trap",
                         "memory_init",
                         "memory_copy",
                         "memory_fill",
                         "bulk",
                         "address",
                         "align",
                         "load",
                         "store",
                         "endianness",
                         "float_memory",
                         "data",
                         "global",
                         "br_table",
                         "call_indirect",
                         "elem",
                         "start",
                         "imports",
                         "linking",
                         "ref_null",
                         "ref_is_null",
                         "ref_func",
                         "table",
                         "table_get",
                         "table_set",
                         "table_size",
                         "table_grow",
                         "table_fill",
                         "table_copy",
                         "table_init"};
  SpecCounts total;
  for (const char* name : files) {
    const fs::path wast = suite / (std::string(name) + ".wast");
    const fs::path json = out / (std::string(name) + ".json");
    const std::string command =
        "wast2json '" + wast.string() + "' -o '" + json.string() + "' > /dev/null 2>&1";
    if (!fs::exists(wast) || std::system(command.c_str()) != 0) {
      std::printf("  %-24s not converted, skipped\n", name);
      continue;
    }
    SpecCounts counts;
    std::ifstream in(json);
    for (std::string line; std::getline(in, line);) checkCommand(out, line, counts);
    std::printf("  %-24s passed %4d  skipped %4d  failed %d  (category matches %d)\n", name,
                counts.passed, counts.skipped, counts.failed, counts.categoryMatches);
    total.passed += counts.passed;
    total.skipped += counts.skipped;
    total.failed += counts.failed;
    total.categoryMatches += counts.categoryMatches;
  }
  std::printf(
      "spec suite: passed %d, skipped %d (outside the subset), failed %d; "
      "category matches %d\n",
      total.passed, total.skipped, total.failed, total.categoryMatches);
  fs::remove_all(out);
  EXPECT_EQ(total.failed, 0);
  EXPECT_GT(total.passed, 0);
}

}  // namespace
}  // namespace morel::wasm

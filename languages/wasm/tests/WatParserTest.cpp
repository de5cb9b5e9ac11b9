// Morel's text-format parser against wabt's wat2wasm: every example module and a corpus
// of module texts must encode to the same bytes; malformed texts are rejected with a
// category at a line and column.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "WatTestSupport.h"
#include "morel/wasm/WasmModule.h"
#include "morel/wasm/WasmText.h"

namespace morel::wasm {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  return fs::path(::testing::TempDir()) / ("morel-wat-" + name);
}

std::string safeName(std::string s) {
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

void expectSameAsWat2wasm(const std::string& text, const std::string& name) {
  auto reference = testing::referenceEncoding(text, scratch(name));
  ASSERT_TRUE(reference.has_value()) << "wat2wasm rejects the text";
  auto ours = parseWat(text);
  ASSERT_TRUE(ours.has_value()) << ours.error().toString();
  EXPECT_EQ(*ours, *reference);
  EXPECT_TRUE(decode(*ours).has_value());
}

// ---- examples/*.wat

std::vector<fs::path> exampleFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(MOREL_EXAMPLES_SOURCE_DIR)) {
    if (entry.path().extension() == ".wat") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class WatExampleTest : public ::testing::TestWithParam<fs::path> {};

TEST_P(WatExampleTest, EncodesAsWat2wasm) {
  expectSameAsWat2wasm(testing::readText(GetParam()), GetParam().stem().string());
}

INSTANTIATE_TEST_SUITE_P(Examples, WatExampleTest, ::testing::ValuesIn(exampleFiles()),
                         [](const auto& info) { return safeName(info.param.stem().string()); });

// ---- a corpus of module texts, one per form of the grammar

struct CorpusEntry {
  const char* name;
  const char* text;
};

const CorpusEntry kCorpus[] = {
    {"empty", "(module)"},
    {"bare_fields", "(func (result i32) i32.const 7)"},
    {"named_module", "(module $m (func))"},
    {"types_and_uses",
     R"((module (type $v (func)) (type (func (param i32 i64) (result f32)))
          (func $a (type $v)) (func (type 1) (param i32 i64) (result f32) f32.const 1)
          (func (param $x i32) (param f64 f64) (result i32 i64) local.get $x i64.const 2)))"},
    {"implicit_type_order",
     R"((module (type (func (result i32)))
          (func (result i32) (block (type 0) (i32.const 1)))
          (func (param f32) (result i32) (i32.const 0))
          (func (call_indirect (param i32) (i32.const 0) (i32.const 0)))
          (table 1 funcref) (func (param i64))))"},
    {"imports",
     R"((module (import "m" "f" (func $f (param i32)))
          (import "m" "t" (table 2 10 funcref)) (import "m" "mem" (memory 1 2))
          (import "m" "g" (global $g (mut i64))) (import "m" "h" (global f32))
          (func call $f (i32.const 1))))"},
    {"inline_imports_exports",
     R"((module (func $f (export "x") (export "y") (import "m" "n") (param i32))
          (table $t (export "tab") (import "m" "t") 1 funcref)
          (memory (import "m" "mem") 1) (global (export "g") (import "m" "g") i32)
          (func (export "z") (call $f (i32.const 3)))
          (memory (export "mem2") 1) (global $h (export "h") (mut f64) (f64.const 1.5))))"},
    {"exports_and_start",
     R"((module (func $main) (table 0 externref) (memory 1) (global i32 (i32.const 0))
          (export "main" (func $main)) (export "t" (table 0)) (export "m" (memory 0))
          (export "g" (global 0)) (start $main)))"},
    {"flat_control",
     R"((module (func (param i32) (result i32)
          block $out (result i32)
            loop $top
              local.get 0
              br_if $out
              local.get 0
              if $i (result i32) i32.const 1 else $i i32.const 2 end $i
              br_table $top $out 0
            end
            i32.const 0
          end $out)))"},
    {"folded_control",
     R"((module (func (param i32) (result i32)
          (block $b (result i32)
            (if (result i32) (local.get 0)
              (then (br $b (i32.const 1)))
              (else (loop $l (br_if $l (i32.eqz (local.get 0)))) (i32.const 2)))))))"},
    {"multi_value_blocks",
     R"((module (func (result i32 i32)
          (i32.const 1) (i32.const 2)
          (block (param i32 i32) (result i32 i32))
          (if (param i32) (result i32 i32) (i32.const 0) (then (i32.const 3)) (else (i32.const 4))))))"},
    {"locals",
     R"((module (func (param $p i32) (local $a i64) (local f32 f32 i32) (local $b i32)
          (local.set $a (i64.const -1)) (local.tee $b (local.get $p)) drop (local.get 4) drop)))"},
    {"memory_ops",
     R"((module (memory 1)
          (func (param i32) (result i64)
            (i32.store offset=4 align=2 (local.get 0) (i32.load8_u offset=0x10 (local.get 0)))
            (i64.store32 (local.get 0) (i64.load16_s align=1 (local.get 0)))
            (drop (memory.grow (memory.size)))
            (memory.fill (i32.const 0) (i32.const 1) (i32.const 2))
            (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))
            (f64.store (i32.const 8) (f64.load (i32.const 0)))
            (i64.load32_u offset=4294967295 (local.get 0)))))"},
    {"integer_literals",
     R"((module (func
          (drop (i32.const 0)) (drop (i32.const -2147483648)) (drop (i32.const 4294967295))
          (drop (i32.const 0xffff_ffff)) (drop (i32.const +1_000_000)) (drop (i32.const -0x8000_0000))
          (drop (i64.const 18446744073709551615)) (drop (i64.const -9223372036854775808))
          (drop (i64.const 0x7fff_ffff_ffff_ffff)) (drop (i64.const -1)))))"},
    {"float_literals",
     R"((module (func
          (drop (f32.const 0)) (drop (f32.const -0.0)) (drop (f32.const 1.5e10)) (drop (f32.const 0x1p-149))
          (drop (f32.const 0x1.fffffep127)) (drop (f32.const inf)) (drop (f32.const -inf))
          (drop (f32.const nan)) (drop (f32.const -nan)) (drop (f32.const nan:0x200000))
          (drop (f32.const 1_000.000_1)) (drop (f32.const 0x1.8p+3)) (drop (f32.const 1.))
          (drop (f32.const 3.4028235677973366e38)) (drop (f32.const 1e-46))
          (drop (f64.const 0.1)) (drop (f64.const -0x1.fffffffffffffp1023)) (drop (f64.const nan:0x1))
          (drop (f64.const 4.9406564584124654e-324)) (drop (f64.const 0x8.p-1)) (drop (f64.const 1e+10))
          (drop (f64.const -nan:0xf_ffff_ffff_ffff)) (drop (f64.const 0x1p-1074)))))"},
    {"conversions_and_saturating",
     R"((module (func (param f32 f64)
          (drop (i32.trunc_sat_f32_s (local.get 0))) (drop (i64.trunc_sat_f64_u (local.get 1)))
          (drop (f64.promote_f32 (local.get 0))) (drop (i64.extend32_s (i64.const 1)))
          (drop (i32.reinterpret_f32 (local.get 0))))))"},
    {"tables_and_references",
     R"((module (table $t 2 funcref) (table $e 1 10 externref) (elem declare func $f)
          (func $f (param externref) (result funcref)
            (table.set $e (i32.const 0) (local.get 0))
            (drop (table.get $t (i32.const 0)))
            (drop (table.grow $t (ref.null func) (i32.const 1)))
            (drop (table.size $e)) (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1))
            (drop (ref.is_null (ref.null extern)))
            (ref.func $f))))"},
    {"call_indirect_forms",
     R"((module (type $ii (func (param i32) (result i32))) (table $t0 1 funcref) (table $t1 1 funcref)
          (func (result i32)
            (call_indirect (type $ii) (i32.const 1) (i32.const 0))
            (call_indirect $t1 (type $ii) (param i32) (result i32) (i32.const 0))
            (call_indirect 1 (param i64) (i64.const 0) (i32.const 0))
            drop)))"},
    {"select_forms",
     R"((module (func (result i32)
          (select (i32.const 1) (i32.const 2) (i32.const 0))
          (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)) drop
          (select (result externref) (ref.null extern) (ref.null extern) (i32.const 1)) drop)))"},
    {"element_segments",
     R"((module (table $t 10 funcref) (table $u 10 funcref) (table $x 10 externref)
          (func $f) (func $g)
          (elem (i32.const 0) $f $g) (elem (offset (i32.const 2)) func $f)
          (elem $p func $g $f) (elem funcref (ref.func $f) (ref.null func))
          (elem (table $u) (i32.const 0) func $g) (elem (table $t) (i32.const 1) funcref (item ref.func 0))
          (elem (table $x) (i32.const 0) externref (ref.null extern))
          (elem declare funcref (item (ref.func $g)))
          (func (table.init $u $p (i32.const 0) (i32.const 0) (i32.const 1)) (elem.drop $p)
                (table.init 1 (i32.const 0) (i32.const 0) (i32.const 0))
                (table.copy $t $u (i32.const 0) (i32.const 0) (i32.const 1)) (table.copy (i32.const 0) (i32.const 0) (i32.const 0)))))"},
    {"inline_table_elements",
     R"((module (func $f) (table $t funcref (elem $f $f 0)) (table externref (elem (ref.null extern)))))"},
    {"data_segments",
     R"((module (memory $m 1) (data (i32.const 0) "abc" "\00\ff\t\n\r\"\'\\" "\u{1F600}")
          (data $d (offset (i32.const 16)) "x") (data $pass "passive")
          (data (memory $m) (i32.const 8) "") (global $base i32 (i32.const 0))
          (data (global.get $base) "g")
          (func (memory.init $pass (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $d))))"},
    {"inline_memory_data", R"((module (memory (data "hello" "world"))))"},
    {"globals",
     R"((module (global $c (import "m" "c") i32) (global $a (mut i32) (i32.const -5))
          (global $b i64 (i64.const 5)) (global f32 (f32.const 1)) (global f64 (f64.const -1))
          (global funcref (ref.null func)) (global externref (ref.null extern))
          (func (global.set $a (global.get $c)))))"},
    {"names_with_punctuation",
     R"((module (func $a.b/c!d#e (export "ünïcode \u{263a}") (call $a.b/c!d#e))))"},
    {"comments",
     "(module ;; line comment\n (; block (; nested ;) comment ;) (func (;inline;) nop))"},
    {"br_table_deep",
     R"((module (func (param i32) (block $a (block $b (block $c (br_table $a $b $c 0 1 2 (local.get 0))))))))"},
    {"unreachable_and_return",
     R"((module (func (result i32) unreachable) (func (result i32) (return (i32.const 1)))
          (func nop (nop) (unreachable))))"},
    {"simd",
     R"((module (memory 1) (func (param v128) (result v128)
          (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1) drop
          (v128.const i16x8 -32768 65535 0 1 2 3 4 5) drop (v128.const i32x4 0xffffffff -1 0 1) drop
          (v128.const i64x2 -9223372036854775808 18446744073709551615) drop
          (v128.const f32x4 nan -inf 0x1p-149 1.5) drop (v128.const f64x2 nan:0x1 -0.0) drop
          (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (local.get 0) (local.get 0)) drop
          (drop (i16x8.extract_lane_u 7 (local.get 0)))
          (f64x2.replace_lane 1 (local.get 0) (f64.const 2)) drop
          (v128.store offset=16 align=8 (i32.const 0) (v128.load (i32.const 0)))
          (v128.load16_lane offset=2 align=1 3 (i32.const 0) (local.get 0)) drop
          (v128.store64_lane 1 (i32.const 0) (local.get 0))
          (v128.load32_zero (i32.const 0)) drop (v128.load8x8_s (i32.const 0)) drop
          (i32x4.dot_i16x8_s (local.get 0) (local.get 0)) drop
          (f64x2.convert_low_i32x4_u (i32x4.trunc_sat_f64x2_s_zero (local.get 0))) drop
          (v128.bitselect (local.get 0) (local.get 0) (local.get 0)) drop
          (drop (i64x2.all_true (local.get 0)))
          (i8x16.shl (local.get 0) (i32.const 1)))))"},
    {"label_shadowing", R"((module (func (block $l (block $l (br $l))) (loop $l (br 0)))))"},
};

class WatCorpusTest : public ::testing::TestWithParam<CorpusEntry> {};

TEST_P(WatCorpusTest, EncodesAsWat2wasm) {
  expectSameAsWat2wasm(GetParam().text, GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(Corpus, WatCorpusTest, ::testing::ValuesIn(kCorpus),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- malformed texts

struct BadText {
  const char* name;
  const char* text;
  const char* category;
  std::size_t line;
  std::size_t column;
};

const BadText kBadTexts[] = {
    {"unknown_operator", "(module (func i32.foo))", "unknown operator", 1, 15},
    {"unknown_operator_folded", "(module\n  (func (i32.add2 (i32.const 1))))", "unknown operator",
     2, 10},
    {"unclosed_module", "(module (func)", "unexpected end", 1, 15},
    {"extra_close", "(module))", "unexpected token", 1, 9},
    {"unknown_field", "(module (funk))", "unexpected token", 1, 10},
    {"unclosed_string", "(module (data \"abc))", "unclosed string", 1, 15},
    {"bad_escape", "(module (memory 1) (data (i32.const 0) \"\\q\"))", "illegal escape", 1, 41},
    {"unclosed_comment", "(module (; never closed", "unclosed comment", 1, 9},
    {"i32_out_of_range", "(module (func (drop (i32.const 4294967296))))", "constant out of range",
     1, 32},
    {"i32_too_negative", "(module (func (drop (i32.const -2147483649))))", "constant out of range",
     1, 32},
    {"i64_out_of_range", "(module (func (drop (i64.const 0x1_0000_0000_0000_0000))))",
     "constant out of range", 1, 32},
    {"f32_overflow", "(module (func (drop (f32.const 1e39))))", "constant out of range", 1, 32},
    {"nan_payload_zero", "(module (func (drop (f32.const nan:0x0))))", "constant out of range", 1,
     32},
    {"nan_payload_too_big", "(module (func (drop (f32.const nan:0x80_0000))))",
     "constant out of range", 1, 32},
    {"bad_underscore", "(module (func (drop (i32.const 1__0))))", "unknown operator", 1, 32},
    {"trailing_underscore", "(module (func (drop (f64.const 1.0_))))", "unknown operator", 1, 32},
    {"float_for_int", "(module (func (drop (i32.const 1.5))))", "unexpected token", 1, 32},
    {"unknown_label", "(module (func (br $nowhere)))", "unknown label", 1, 19},
    {"mismatching_label", "(module (func block $a end $b))", "mismatching label", 1, 28},
    {"unknown_func", "(module\n(func (call $g)))", "unknown func", 2, 13},
    {"unknown_local", "(module (func (local.get $x)))", "unknown local", 1, 26},
    {"unknown_global", "(module (func (global.get $x) drop))", "unknown global", 1, 27},
    {"unknown_type_name", "(module (func (type $t)))", "unknown type", 1, 21},
    {"unknown_value_type", "(module (func (param i31)))", "unknown type", 1, 22},
    {"inline_type_mismatch", "(module (type (func)) (func (type 0) (param i32)))",
     "inline function type", 1, 29},
    {"duplicate_func", "(module (func $f) (func $f))", "duplicate func", 1, 25},
    {"duplicate_local", "(module (func (param $x i32) (local $x i32)))", "duplicate local", 1, 37},
    {"import_after_func", "(module (func) (import \"\" \"\" (func)))", "import after function", 1,
     16},
    {"import_after_global", "(module (global i32 (i32.const 0)) (global (import \"\" \"\") i32))",
     "import after global", 1, 36},
    {"bad_utf8_name", "(module (func (export \"\\ff\")))", "malformed UTF-8 encoding", 1, 23},
    {"multiple_start", "(module (func) (start 0) (start 0))", "multiple start sections", 1, 27},
    {"bad_alignment", "(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))",
     "alignment must be a power of two", 1, 42},
    {"param_name_in_block", "(module (func (block (param $x i32))))", "unexpected token", 1, 29},
    {"lane_index_too_big",
     "(module (func (param v128) (drop (i8x16.extract_lane_s 256 (local.get 0)))))",
     "malformed lane index", 1, 56},
    {"shuffle_too_short",
     "(module (func (param v128) (drop (i8x16.shuffle 0 1 2 (local.get 0) (local.get 0)))))",
     "invalid lane length", 1, 55},
    {"too_few_lanes", "(module (func (drop (v128.const i32x4 0 1 2))))",
     "wrong number of lane literals", 1, 44},
    {"lane_out_of_range",
     "(module (func (drop (v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))))",
     "constant out of range", 1, 39},
    {"junk_character", "(module (func) [)", "unexpected character", 1, 16},
    {"missing_then", "(module (func (if (i32.const 1) (nop))))", "unexpected token", 1, 38},
};

class WatMalformedTest : public ::testing::TestWithParam<BadText> {};

TEST_P(WatMalformedTest, RejectedWithCategoryAndPosition) {
  const BadText& bad = GetParam();
  auto result = parseWat(bad.text);
  ASSERT_FALSE(result.has_value()) << "accepted: " << bad.text;
  const Diagnostic& d = result.error();
  EXPECT_EQ(d.category, bad.category) << d.toString();
  EXPECT_EQ(d.unit, Diagnostic::Unit::Line);
  EXPECT_EQ(d.position, bad.line) << d.toString();
  EXPECT_EQ(d.column, bad.column) << d.toString();
}

INSTANTIATE_TEST_SUITE_P(Malformed, WatMalformedTest, ::testing::ValuesIn(kBadTexts),
                         [](const auto& info) { return std::string(info.param.name); });

// Instructions nest by recursion: past an implementation limit the text is refused
// before the host stack runs out.
std::string nestedAdds(int depth) {
  std::string text = "(module (func (result i32) ";
  for (int i = 0; i < depth; ++i) text += "(i32.add (i32.const 1) ";
  text += "(i32.const 0)";
  text += std::string(depth, ')');
  return text + "))";
}

TEST(WatNesting, DeepestAcceptedAndRefused) {
  EXPECT_TRUE(parseWat(nestedAdds(999)).has_value());
  auto refused = parseWat(nestedAdds(100000));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().category, "nesting too deep");
}

TEST(WatDetection, TextAndBinary) {
  EXPECT_TRUE(looksLikeWat("  ;; comment\n(module)"));
  EXPECT_TRUE(looksLikeWat("(; c ;)(func)"));
  EXPECT_FALSE(looksLikeWat(std::string_view("\0asm\1\0\0\0", 8)));
  EXPECT_FALSE(looksLikeWat(""));
  EXPECT_FALSE(looksLikeWat(";; only a comment"));
  EXPECT_FALSE(looksLikeWat("(; unclosed"));
  EXPECT_TRUE(looksLikeWat("(; (; nested ;) ;)\n" + std::string(10000, ' ') + "(module)"));
}

TEST(WatDiagnostic, PrintsLineAndColumn) {
  auto result = parseWat("(module\n  (func i32.foo))");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().toString(), "unknown operator at line 2:9: i32.foo");
}

}  // namespace
}  // namespace morel::wasm

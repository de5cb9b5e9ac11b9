// Decoder tests: hand-assembled modules of the subset, one malformed module per error
// category, and robustness against truncated and randomly mutated input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "WasmBytes.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {
namespace {

using namespace testing;  // WasmBytes.h

Bytes vec(uint32_t count, const Bytes& items) {
  return cat({uleb(count), items});
}

Bytes funcType(const Bytes& params, const Bytes& results) {
  return cat({{0x60}, vec(params.size(), params), vec(results.size(), results)});
}

Bytes body(const Bytes& localsAndCode) {
  return cat({uleb(static_cast<uint32_t>(localsAndCode.size())), localsAndCode});
}

// One function of type `params -> results`, exported as "f"; `code` holds the local
// declarations and the instructions including the final end.
Bytes singleFunction(const Bytes& params, const Bytes& results, const Bytes& code) {
  return cat({header(), section(1, vec(1, funcType(params, results))), section(3, vec(1, {0x00})),
              section(7, vec(1, {0x01, 'f', 0x00, 0x00})), section(10, vec(1, body(code)))});
}

Bytes answerModule() {
  return singleFunction({}, {kI32}, {0x00, 0x41, 0x2a, 0x0b});
}

// i32 -> i32: counts its argument down to zero in a loop and returns the iteration count.
Bytes loopModule() {
  return singleFunction({kI32}, {kI32}, {0x01, 0x01, kI32,                          // one i32 local
                                         0x03, 0x40,                                // loop
                                         0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01,  // n += 1
                                         0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00,  // tee x - 1
                                         0x0d, 0x00,                                // br_if 0
                                         0x0b,                                      // end loop
                                         0x20, 0x01, 0x0b});
}

Result<Module> decodeBytes(const Bytes& b) {
  return decode(b);
}

void expectError(const Bytes& b, const std::string& category, std::size_t position) {
  auto m = decodeBytes(b);
  ASSERT_FALSE(m.has_value()) << "expected " << category;
  EXPECT_EQ(m.error().category, category) << m.error().toString();
  EXPECT_EQ(m.error().position, position) << m.error().toString();
}

TEST(WasmDecoderTest, EmptyModule) {
  auto m = decodeBytes(header());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  EXPECT_TRUE(m->functions.empty());
}

TEST(WasmDecoderTest, FunctionReturning42) {
  auto m = decodeBytes(answerModule());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->types.size(), 1u);
  EXPECT_EQ(m->types[0], (FuncType{{}, {ValType::I32}}));
  ASSERT_EQ(m->functions.size(), 1u);
  const Function& f = m->functions[0];
  ASSERT_EQ(f.body.size(), 2u);
  EXPECT_EQ(f.body[0].op, Opcode::I32Const);
  EXPECT_EQ(f.body[0].imm, 42);
  EXPECT_EQ(f.body[1].op, Opcode::End);
  // header 8 + type section 7 + function section 4 + export section 7 + code section id/size/count
  // 3
  EXPECT_EQ(f.bodyOffset, 29u);
  EXPECT_EQ(f.body[0].offset, 31u);
  ASSERT_EQ(m->exports.size(), 1u);
  EXPECT_EQ(m->exports[0].name, "f");
  EXPECT_EQ(m->exports[0].kind, ExternalKind::Func);
  EXPECT_EQ(m->exports[0].index, 0u);
}

TEST(WasmDecoderTest, LoopWithLocals) {
  auto m = decodeBytes(loopModule());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const Function& f = m->functions[0];
  EXPECT_EQ(f.locals, std::vector<ValType>{ValType::I32});
  EXPECT_EQ(f.body[0].op, Opcode::Loop);
  EXPECT_EQ(f.body[0].block.kind, BlockType::Kind::Empty);
  EXPECT_EQ(f.body[9].op, Opcode::BrIf);
  EXPECT_EQ(f.body[9].imm, 0);
  EXPECT_EQ(f.body.back().op, Opcode::End);
}

TEST(WasmDecoderTest, BlockTypes) {
  auto m =
      decodeBytes(singleFunction({}, {kI64},
                                 {0x00, 0x02, kI32, 0x41, 0x01, 0x0b, 0x1a,  // block (result i32)
                                  0x02, 0x00, 0x42, 0x02, 0x0b, 0x0b}));     // block (type 0)
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[0].block.kind, BlockType::Kind::Value);
  EXPECT_EQ(b[0].block.value, ValType::I32);
  EXPECT_EQ(b[4].block.kind, BlockType::Kind::TypeIndex);
  EXPECT_EQ(b[4].block.typeIndex, 0u);
}

TEST(WasmDecoderTest, Calls) {
  Bytes module =
      cat({header(), section(1, vec(2, cat({funcType({}, {kI32}), funcType({kI32}, {kI32})}))),
           section(3, vec(2, {0x00, 0x01})),
           section(10, vec(2, cat({body({0x00, 0x41, 0x07, 0x10, 0x01, 0x0b}),
                                   body({0x00, 0x20, 0x00, 0x0b})})))});
  auto m = decodeBytes(module);
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->functions.size(), 2u);
  EXPECT_EQ(m->functions[0].body[1].op, Opcode::Call);
  EXPECT_EQ(m->functions[0].body[1].imm, 1);
  EXPECT_EQ(m->typeOf(1).params, std::vector<ValType>{ValType::I32});
}

TEST(WasmDecoderTest, ConstantImmediates) {
  auto m = decodeBytes(singleFunction(
      {}, {},
      {0x00, 0x41, 0x7f, 0x1a,                    // i32.const -1
       0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x1a,  // i32.const INT32_MIN
       0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1a,  // i64.const MAX
       0x0b}));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[0].imm, -1);
  EXPECT_EQ(b[2].imm, INT32_MIN);
  EXPECT_EQ(b[4].imm, INT64_MAX);
}

TEST(WasmDecoderTest, FloatTypesEverywhere) {
  // (f32, f64) -> f64 with an f32 and an f64 local and a block (result f32).
  auto m = decodeBytes(singleFunction({kF32, kF64}, {kF64},
                                      {0x02, 0x01, kF32, 0x01, kF64,      // locals
                                       0x02, kF32, 0x20, 0x00, 0x0b,      // block (result f32)
                                       0x1a, 0x20, 0x01, 0x0b}));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  EXPECT_EQ(m->types[0], (FuncType{{ValType::F32, ValType::F64}, {ValType::F64}}));
  EXPECT_EQ(m->functions[0].locals, (std::vector<ValType>{ValType::F32, ValType::F64}));
  EXPECT_EQ(m->functions[0].body[0].block.kind, BlockType::Kind::Value);
  EXPECT_EQ(m->functions[0].body[0].block.value, ValType::F32);
}

TEST(WasmDecoderTest, FloatConstantsKeepTheirBits) {
  auto m = decodeBytes(singleFunction(
      {}, {},
      {0x00, 0x43, 0x00, 0x00, 0xc0, 0x3f, 0x1a,                          // f32.const 1.5
       0x43, 0x01, 0x00, 0xa0, 0xff, 0x1a,                                // f32.const -nan:0x200001
       0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 0x1a,        // f64.const 1.5
       0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0xff, 0x1a,        // f64.const -nan:0x4000000000001
       0x0b}));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[0].op, Opcode::F32Const);
  EXPECT_EQ(b[0].imm, 0x3fc00000);
  EXPECT_EQ(b[2].imm, 0xffa00001);  // zero-extended, a signalling NaN kept as it is
  EXPECT_EQ(b[4].op, Opcode::F64Const);
  EXPECT_EQ(b[4].imm, 0x3ff8000000000000);
  EXPECT_EQ(static_cast<uint64_t>(b[6].imm), 0xfff4000000000001u);
}

TEST(WasmDecoderTest, TruncatedFloatConstants) {
  // The body ends inside the immediate at the module's end.
  for (const Bytes& code : {Bytes{0x00, 0x43, 0x00, 0x00, 0x80}, Bytes{0x00, 0x44, 0x00, 0x00, 0x00, 0x00}}) {
    Bytes m = singleFunction({}, {}, code);
    expectError(m, "unexpected end of section or function", m.size());
  }
  // A body whose declared size cuts an f64 immediate short: as the spec's decoder, the
  // immediate takes the following bytes (here a custom section) and runs out at the end.
  Bytes custom = section(0, vec(1, {'x'}));
  Bytes m = cat({header(), section(1, vec(1, funcType({}, {}))), section(3, vec(1, {0x00})),
                 section(10, vec(1, cat({uleb(4), {0x00, 0x44, 0x00, 0x00}}))), custom});
  expectError(m, "unexpected end of section or function", m.size());
  // Where the bytes after the body complete it, its size is wrong.
  m = cat({header(), section(1, vec(1, funcType({}, {}))), section(3, vec(1, {0x00})),
           section(10, vec(1, cat({uleb(3), {0x00, 0x41, 0x00}}))), {0x0b}});
  expectError(m, "section size mismatch", m.size());
}

TEST(WasmDecoderTest, PrefixedSaturatingTruncations) {
  auto m = decodeBytes(singleFunction({kF32}, {},
                                      {0x00, 0x20, 0x00, 0xfc, 0x00, 0x1a,  // i32.trunc_sat_f32_s
                                       0x20, 0x00, 0xfc, 0x85, 0x00, 0x1a,  // sub-opcode 5, two-byte LEB
                                       0x0b}));
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[1].op, Opcode::I32TruncSatF32S);
  EXPECT_EQ(b[1].offset, b[0].offset + 2);
  EXPECT_EQ(b[4].op, Opcode::I64TruncSatF32U);
  EXPECT_EQ(static_cast<uint32_t>(Opcode::I64TruncSatF64U), 0xfc07u);
  // 0xfc 18 (not WebAssembly 2.0) and a sub-opcode past any table are outside the subset.
  for (const Bytes& op : {Bytes{0xfc, 0x12}, Bytes{0xfc, 0xff, 0xff, 0xff, 0xff, 0x0f}}) {
    auto r = decodeBytes(singleFunction({}, {}, cat({{0x00}, op, {0x0b}})));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().category, "illegal opcode");
  }
  // A sub-opcode LEB that is too long, and one cut off by the end of the module.
  auto r = decodeBytes(singleFunction({}, {}, {0x00, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "integer representation too long");
  r = decodeBytes(singleFunction({}, {}, {0x00, 0xfc}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected end of section or function");
}

TEST(WasmDecoderTest, CustomSectionsAreSkippedAnywhere) {
  Bytes custom = section(0, cat({vec(4, {'n', 'a', 'm', 'e'}), {1, 2, 3}}));
  Bytes m = answerModule();
  m.insert(m.begin() + 8, custom.begin(), custom.end());
  m.insert(m.end(), custom.begin(), custom.end());
  EXPECT_TRUE(decodeBytes(m).has_value());
}

TEST(WasmDecoderTest, OpcodeNames) {
  EXPECT_STREQ(opcodeName(Opcode::I32Add), "i32.add");
  EXPECT_STREQ(opcodeName(Opcode::LocalTee), "local.tee");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0x28)), "i32.load");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0x06)), "<unknown>");
  EXPECT_STREQ(opcodeName(Opcode::F64Copysign), "f64.copysign");
  EXPECT_STREQ(opcodeName(Opcode::I32TruncSatF64U), "i32.trunc_sat_f64_u");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfc08)), "memory.init");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfc0c)), "table.init");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfc12)), "<unknown>");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfd00)), "v128.load");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfdff)), "f64x2.convert_low_i32x4_u");
  EXPECT_STREQ(opcodeName(static_cast<Opcode>(0xfd9a)), "<unknown>");  // a gap in the SIMD codes
  EXPECT_STREQ(valTypeName(ValType::V128), "v128");
  EXPECT_STREQ(valTypeName(ValType::F32), "f32");
}

// --- malformed modules, one per category --------------------------------------------------

TEST(WasmDecoderTest, UnexpectedEnd) {
  expectError({}, "unexpected end", 0);
  expectError({0x00, 0x61, 0x73, 0x6d, 0x01}, "unexpected end", 5);
  expectError(cat({header(), {0x01}}), "unexpected end", 9);  // section without size
}

TEST(WasmDecoderTest, UnexpectedEndOfSection) {
  // Type section of 2 bytes claiming one type, which needs 3, at the module's end.
  expectError(cat({header(), section(1, {0x01, 0x60})}), "unexpected end of section or function", 12);
  // Followed by a section: reading goes on into it (as the spec's decoder reads), here
  // taking the function section's id 3 as the parameter count and its size as a type.
  expectError(cat({header(), section(1, {0x01, 0x60}), section(3, {0x00})}), "malformed value type", 13);
}

TEST(WasmDecoderTest, MagicAndVersion) {
  expectError({0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00}, "magic header not detected", 0);
  expectError({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, "unknown binary version", 4);
}

TEST(WasmDecoderTest, SectionIds) {
  expectError(cat({header(), {0x0d, 0x00}}), "malformed section id", 8);
  expectError(cat({header(), section(1, {0x00}), section(1, {0x00})}),
              "unexpected content after last section", 11);
}

TEST(WasmDecoderTest, SectionSizes) {
  expectError(cat({header(), {0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00}}), "section size mismatch",
              14);
  expectError(cat({header(), {0x01, 0x09, 0x01, 0x60}}), "length out of bounds", 9);
}

TEST(WasmDecoderTest, Leb128) {
  // Function section count with five bytes, the last still continuing.
  expectError(cat({header(), section(3, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}),
              "integer representation too long", 15);
  // Five-byte u32 with bits above bit 31.
  expectError(cat({header(), section(3, {0x80, 0x80, 0x80, 0x80, 0x10})}), "integer too large", 14);
  Bytes prefix = {0x00, 0x41};  // no locals, i32.const at body offset 1
  // s32 whose last byte does not sign-extend bit 31.
  Bytes m = singleFunction({}, {}, cat({prefix, {0x80, 0x80, 0x80, 0x80, 0x70, 0x1a, 0x0b}}));
  auto r = decodeBytes(m);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "integer too large");
  // s64 of eleven bytes.
  r = decodeBytes(singleFunction(
      {}, {},
      {0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "integer representation too long");
  // s64 whose tenth byte sets bits above bit 63 without sign-extension.
  r = decodeBytes(singleFunction(
      {}, {},
      {0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x1a, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "integer too large");
}

TEST(WasmDecoderTest, FunctionAndCodeCounts) {
  // Checked at the module's end, once every section is read.
  Bytes types = section(1, vec(1, funcType({}, {})));
  Bytes m = cat({header(), types, section(3, vec(1, {0x00}))});
  expectError(m, "function and code section have inconsistent lengths", m.size());
  m = cat({header(), types, section(10, vec(1, body({0x00, 0x0b})))});
  expectError(m, "function and code section have inconsistent lengths", m.size());
}

TEST(WasmDecoderTest, TooManyLocals) {
  auto r = decodeBytes(singleFunction({}, {}, {0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, kI32, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "too many locals");
}

TEST(WasmDecoderTest, IllegalOpcode) {
  // 0xfd 0x9a is a gap among the SIMD codes, 0xfd 0x100 (LEB128 0x80 0x02) past them; 0xff is
  // not WebAssembly at all.
  const auto gap = singleFunction({}, {}, {0x00, 0xfd, 0x9a, 0x01, 0x0b});
  auto r = decodeBytes(gap);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "illegal opcode");
  const auto prefixAt = static_cast<std::size_t>(std::find(gap.rbegin(), gap.rend(), 0xfd).base() - gap.begin() - 1);
  EXPECT_EQ(r.error().position, prefixAt) << "the offset of the prefix byte";
  r = decodeBytes(singleFunction({}, {}, {0x00, 0xfd, 0x80, 0x02, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "illegal opcode");
  r = decodeBytes(singleFunction({}, {}, {0x00, 0xff, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "illegal opcode");
}

TEST(WasmDecoderTest, EndOpcodeExpected) {
  // A body without its end runs into the end of the module, as in the spec's decoder.
  auto r = decodeBytes(singleFunction({}, {}, {0x00, 0x01}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected end of section or function");
  r = decodeBytes(singleFunction({}, {}, {0x00, 0x02, 0x40, 0x0b}));  // block closed, body not
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected end of section or function");
  r = decodeBytes(singleFunction({}, {}, {0x00, 0x05, 0x0b}));  // else outside if
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "END opcode expected");
}

TEST(WasmDecoderTest, BytesAfterFinalEnd) {
  auto r = decodeBytes(singleFunction({}, {}, {0x00, 0x0b, 0x01}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "section size mismatch");
}

TEST(WasmDecoderTest, ValueTypes) {
  auto r = decodeBytes(singleFunction({0x7b}, {}, {0x00, 0x0b}));  // v128
  ASSERT_TRUE(r.has_value()) << r.error().toString();
  EXPECT_EQ(r->types[0].params, std::vector<ValType>{ValType::V128});
  r = decodeBytes(singleFunction({0x55}, {}, {0x00, 0x0b}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "malformed value type");
  r = decodeBytes(cat({header(), section(1, vec(1, {0x5f, 0x00, 0x00}))}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "malformed functype");
}

TEST(WasmDecoderTest, ExportNames) {
  Bytes types = section(1, vec(1, funcType({}, {})));
  Bytes funcs = section(3, vec(1, {0x00}));
  Bytes code = section(10, vec(1, body({0x00, 0x0b})));
  for (const Bytes& name : {Bytes{0xff}, Bytes{0xc0, 0x80}, Bytes{0xed, 0xa0, 0x80}, Bytes{0xe2, 0x82},
                     Bytes{0xf4, 0x90, 0x80, 0x80}}) {
    Bytes exports = section(7, vec(1, cat({vec(name.size(), name), {0x00, 0x00}})));
    expectError(cat({header(), types, funcs, exports, code}), "malformed UTF-8 encoding", 21);
  }
  Bytes ok = section(7, vec(1, cat({vec(4, {0xf0, 0x9f, 0x98, 0x80}), {0x00, 0x00}})));
  EXPECT_TRUE(decodeBytes(cat({header(), types, funcs, ok, code})).has_value());
  Bytes badKind = section(7, vec(1, {0x01, 'f', 0x04, 0x00}));
  expectError(cat({header(), types, funcs, badKind, code}), "malformed export kind", 23);
}

// --- robustness ---------------------------------------------------------------------------

Bytes richModule() {
  return cat({header(), section(0, vec(1, {'x'})),
              section(1, vec(2, cat({funcType({kI32, kI64}, {kI32}), funcType({}, {kI64})}))),
              section(3, vec(2, {0x00, 0x01})),
              section(7, vec(2, {0x01, 'a', 0x00, 0x00, 0x01, 'b', 0x00, 0x01})),
              section(10, vec(2, cat({body({0x01, 0x02, kI64,  // two i64 locals
                                            0x02, 0x01,        // block (type 1)
                                            0x42, 0x05,        // i64.const 5
                                            0x20, 0x00,        // local.get 0
                                            0x04, kI32,        // if (result i32)
                                            0x41, 0x01,        // i32.const 1
                                            0x05,              // else
                                            0x10, 0x01,        // call 1
                                            0xa7,              // i32.wrap_i64
                                            0x0b,              // end
                                            0x0d, 0x00,        // br_if 0
                                            0x0b,              // end
                                            0xa7, 0x0b}),
                                      body({0x00, 0x42, 0xc0, 0xbb, 0x78, 0x0b})})))});
}

TEST(WasmDecoderTest, RichModuleDecodes) {
  auto m = decodeAndValidate(richModule());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
}

TEST(WasmDecoderTest, TruncatedAtEveryByte) {
  const Bytes full = richModule();
  // Cutting right after the header or the custom/type sections leaves a valid module.
  const std::size_t boundaries[] = {8, 12, 25};
  for (std::size_t length = 0; length < full.size(); ++length) {
    auto m = decode(std::span(full.data(), length));
    const bool boundary = std::ranges::find(boundaries, length) != std::end(boundaries);
    EXPECT_EQ(m.has_value(), boundary) << "length " << length;
    if (!m) {
      EXPECT_LE(m.error().position, length);
    }
  }
}

TEST(WasmDecoderTest, RandomMutationsNeverCrash) {
  const Bytes original = richModule();
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<std::size_t> where(0, original.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255), flips(1, 4);
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    Bytes m = original;
    for (int k = flips(rng); k > 0; --k) m[where(rng)] = static_cast<uint8_t>(byte(rng));
    auto r = decodeAndValidate(m);
    if (r) {
      ++accepted;
    } else {
      EXPECT_LE(r.error().position, m.size()) << r.error().toString();
      EXPECT_FALSE(r.error().category.empty());
    }
  }
  std::printf("mutations: %d of 10000 still valid\n", accepted);
}

}  // namespace
}  // namespace morel::wasm

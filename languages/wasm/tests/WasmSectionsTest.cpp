// The sections beyond types, functions, exports and code: imports, tables, memory,
// globals, start, elements, data count and data, with the instructions that use them
// (memory accesses, memory.size/grow, bulk memory, globals, br_table, call_indirect).
// Each is decoded and validated; each malformed or invalid form gets the spec's message
// as its category.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "WasmBytes.h"
#include "morel/wasm/WasmModule.h"

namespace morel::wasm {
namespace {

using namespace testing;  // WasmBytes.h

Bytes vec(std::initializer_list<Bytes> items) {
  Bytes out = uleb(static_cast<uint32_t>(items.size()));
  for (const Bytes& i : items) out = cat({out, i});
  return out;
}

Bytes name(const std::string& s) { return cat({uleb(static_cast<uint32_t>(s.size())), Bytes(s.begin(), s.end())}); }

// A module with the given sections, by id (ids in the order the spec wants them).
struct Sections {
  Bytes types = vec({{0x60, 0x00, 0x00}, {0x60, 0x01, kI32, 0x01, kI32}});  // 0: [] -> [], 1: [i32] -> [i32]
  Bytes imports, functions, tables, memories, globals, exports, start, elements, dataCount, code, data;

  Bytes build() const {
    Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    auto add = [&](uint8_t id, const Bytes& content) {
      if (!content.empty()) m = cat({m, section(id, content)});
    };
    add(1, types);
    add(2, imports);
    add(3, functions);
    add(4, tables);
    add(5, memories);
    add(6, globals);
    add(7, exports);
    add(8, start);
    add(9, elements);
    add(12, dataCount);
    add(10, code);
    add(11, data);
    return m;
  }
};

// A function body: its size, then `code` (locals and instructions, final end included).
Bytes body(const Bytes& code) { return cat({uleb(static_cast<uint32_t>(code.size())), code}); }

// One function of type `type` with `code`.
Sections oneFunction(uint8_t type, const Bytes& code) {
  Sections s;
  s.functions = vec({{type}});
  s.code = vec({body(code)});
  return s;
}

Sections withMemory(Sections s, const Bytes& limits = {0x00, 0x01}) {
  s.memories = vec({limits});
  return s;
}

void expectValid(const Sections& s) {
  auto m = decodeAndValidate(s.build());
  EXPECT_TRUE(m.has_value()) << m.error().toString();
}

void expectMalformed(const Sections& s, const std::string& category) {
  auto m = decode(s.build());
  ASSERT_FALSE(m.has_value()) << "expected " << category;
  EXPECT_EQ(m.error().category, category) << m.error().toString();
}

void expectInvalid(const Sections& s, const std::string& category) {
  auto m = decode(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  auto r = validate(*m);
  ASSERT_FALSE(r.has_value()) << "expected " << category;
  EXPECT_EQ(r.error().category, category) << r.error().toString();
}

// --- memory -------------------------------------------------------------------------------

TEST(WasmSectionsTest, MemoryLimitsAndAccesses) {
  // (memory 1 2); i32.load8_s offset=5 align=0 of local 0; i64.store32 offset=7
  Sections s = withMemory(oneFunction(1, {0x00, 0x20, 0x00, 0x2c, 0x00, 0x05,         // i32.load8_s
                                          0x41, 0x00, 0x42, 0x01, 0x3e, 0x02, 0x07,   // i64.store32
                                          kEnd}),
                          {0x01, 0x01, 0x02});
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->memories.size(), 1u);
  EXPECT_EQ(m->memories[0].limits, (Limits{1, 2}));
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[1].op, Opcode::I32Load8S);
  EXPECT_EQ(b[1].imm, 5);
  EXPECT_EQ(b[1].imm2, 0u);
  EXPECT_EQ(b[4].op, Opcode::I64Store32);
  EXPECT_EQ(b[4].imm, 7);
  EXPECT_EQ(b[4].imm2, 2u);
}

TEST(WasmSectionsTest, MemorySizeAndGrowTakeAZeroByte) {
  expectValid(withMemory(oneFunction(1, {0x00, 0x20, 0x00, 0x40, 0x00, 0x3f, 0x00, 0x6a, kEnd})));
  expectMalformed(withMemory(oneFunction(0, {0x00, 0x3f, 0x01, 0x1a, kEnd})), "zero byte expected");
  expectMalformed(withMemory(oneFunction(0, {0x00, 0x41, 0x00, 0x40, 0x80, 0x00, 0x1a, kEnd})),
                  "zero byte expected");
}

TEST(WasmSectionsTest, MemoryErrors) {
  // An access, memory.size or memory.grow without a memory.
  expectInvalid(oneFunction(1, {0x00, 0x20, 0x00, 0x28, 0x02, 0x00, kEnd}), "unknown memory");
  expectInvalid(oneFunction(1, {0x00, 0x3f, 0x00, kEnd}), "unknown memory");
  // An alignment above the access's width (i32.load with 2^3).
  expectInvalid(withMemory(oneFunction(1, {0x00, 0x20, 0x00, 0x28, 0x03, 0x00, kEnd})),
                "alignment must not be larger than natural");
  // i64.store of an i32 value.
  expectInvalid(withMemory(oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x37, 0x03, 0x00, kEnd})),
                "type mismatch");
  // Limits: past 4 GiB, minimum above maximum, two memories, a bad flag.
  expectInvalid(withMemory(Sections{}, {0x00, 0x81, 0x80, 0x04}), "memory size must be at most 65536 pages (4GiB)");
  expectInvalid(withMemory(Sections{}, {0x01, 0x02, 0x01}), "size minimum must not be greater than maximum");
  Sections two;
  two.memories = vec({{0x00, 0x00}, {0x00, 0x00}});
  expectInvalid(two, "multiple memories");
  expectMalformed(withMemory(Sections{}, {0x02, 0x00}), "integer too large");
}

TEST(WasmSectionsTest, DataSegments) {
  // Active at i32.const 8, passive, active with an explicit memory 0.
  Sections s = withMemory(Sections{});
  s.data = vec({cat({{0x00, 0x41, 0x08, kEnd}, name("ab")}), cat({{0x01}, name("c")}),
                cat({{0x02, 0x00, 0x41, 0x00, kEnd}, name("")})});
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->data.size(), 3u);
  EXPECT_TRUE(m->data[0].active);
  EXPECT_EQ(m->data[0].bytes, (Bytes{'a', 'b'}));
  EXPECT_FALSE(m->data[1].active);
  EXPECT_EQ(m->data[2].memory, 0u);
  // Errors: a kind past 2, a data segment without a memory, an i64 offset, a non-constant offset.
  Sections bad = withMemory(Sections{});
  bad.data = vec({{0x03}});
  expectMalformed(bad, "malformed data segment kind");
  Sections noMemory;
  noMemory.data = vec({cat({{0x00, 0x41, 0x00, kEnd}, name("")})});
  expectInvalid(noMemory, "unknown memory");
  bad.data = vec({cat({{0x00, 0x42, 0x00, kEnd}, name("")})});
  expectInvalid(bad, "type mismatch");
  bad.data = vec({cat({{0x00, 0x41, 0x00, 0x41, 0x00, 0x6a, kEnd}, name("")})});
  expectInvalid(bad, "constant expression required");
}

TEST(WasmSectionsTest, DataCount) {
  // memory.init 0 and data.drop 0 need the data count section, which must match the data.
  Sections s = withMemory(oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00,
                                          0xfc, 0x09, 0x00, kEnd}));
  s.data = vec({cat({{0x01}, name("x")})});
  expectMalformed(s, "data count section required");
  s.dataCount = uleb(1);
  expectValid(s);
  s.dataCount = uleb(2);
  expectMalformed(s, "data count and data section have inconsistent lengths");
  // A data count section after the code section is out of order.
  Bytes m = cat({s.build(), section(12, uleb(1))});
  auto r = decode(m);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected content after last section");
  // memory.init of a segment that does not exist.
  s.dataCount = uleb(1);
  s.code = vec({body({0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x01, 0x00, kEnd})});
  expectInvalid(s, "unknown data segment");
}

TEST(WasmSectionsTest, BulkMemoryCopyAndFill) {
  expectValid(withMemory(oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x00, 0x00,
                                         0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00, kEnd})));
  expectMalformed(withMemory(oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x00, 0x01, kEnd})),
                  "zero byte expected");
  expectInvalid(oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0b, 0x00, kEnd}), "unknown memory");
}

// --- globals ------------------------------------------------------------------------------

TEST(WasmSectionsTest, Globals) {
  // An imported immutable i32, then (mut i64) = 5 and i32 = global.get 0.
  Sections s = oneFunction(0, {0x00, 0x42, 0x07, 0x24, 0x01, 0x23, 0x00, 0x1a, kEnd});  // global.set 1; get 0
  s.imports = vec({cat({name("m"), name("g"), {0x03, kI32, 0x00}})});
  s.globals = vec({{kI64, 0x01, 0x42, 0x05, kEnd}, {kI32, 0x00, 0x23, 0x00, kEnd}});
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->globals.size(), 3u);
  EXPECT_TRUE(m->globals[0].imported);
  EXPECT_EQ(m->globals[1].type, (GlobalType{ValType::I64, true}));
  EXPECT_EQ(m->globals[2].init.instrs[0].op, Opcode::GlobalGet);
  EXPECT_EQ(m->importedGlobalCount(), 1u);

  Sections bad = s;
  bad.code = vec({body({0x00, 0x41, 0x07, 0x24, 0x00, kEnd})});  // set the imported immutable one
  expectInvalid(bad, "global is immutable");
  bad = s;
  bad.globals = vec({{kI64, 0x01, 0x41, 0x05, kEnd}});  // i32 initializer of an i64
  expectInvalid(bad, "type mismatch");
  bad.globals = vec({{kI32, 0x00, 0x41, 0x05, 0x41, 0x05, 0x6a, kEnd}});  // not constant
  expectInvalid(bad, "constant expression required");
  bad.globals = vec({{kI32, 0x00, 0x23, 0x01, kEnd}, {kI32, 0x00, 0x41, 0x00, kEnd}});  // a defined global
  expectInvalid(bad, "unknown global");
  bad = s;
  bad.code = vec({body({0x00, 0x23, 0x07, 0x1a, kEnd})});
  expectInvalid(bad, "unknown global");
  bad.globals = vec({{kI32, 0x02, 0x41, 0x00, kEnd}});
  expectMalformed(bad, "malformed mutability");
}

// --- imports, start, exports ----------------------------------------------------------------

TEST(WasmSectionsTest, ImportsComeFirstInTheirIndexSpaces) {
  Sections s = oneFunction(0, {0x00, 0x10, 0x00, kEnd});  // calls the imported function
  s.imports = vec({cat({name("env"), name("f"), {0x00, 0x00}}),                 // func of type 0
                   cat({name("env"), name("t"), {0x01, kFuncRef, 0x00, 0x02}}),  // table 2
                   cat({name("env"), name("m"), {0x02, 0x01, 0x01, 0x03}})});    // memory 1..3
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->imports.size(), 3u);
  EXPECT_EQ(m->imports[0].module, "env");
  EXPECT_EQ(m->imports[0].name, "f");
  ASSERT_EQ(m->functions.size(), 2u);
  EXPECT_TRUE(m->functions[0].imported);
  EXPECT_FALSE(m->functions[1].imported);
  EXPECT_EQ(m->functions[1].body.size(), 2u);
  EXPECT_EQ(m->tables[0].limits, (Limits{2, std::nullopt}));
  EXPECT_EQ(m->memories[0].limits, (Limits{1, 3}));

  Sections bad = s;
  bad.imports = vec({cat({name("env"), name("x"), {0x04, 0x00}})});
  expectMalformed(bad, "malformed import kind");
  bad.imports = vec({cat({name("env"), name("f"), {0x00, 0x09}})});
  expectInvalid(bad, "unknown type");
}

TEST(WasmSectionsTest, StartFunction) {
  Sections s = oneFunction(0, {0x00, kEnd});
  s.start = uleb(0);
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  EXPECT_EQ(m->start, 0u);
  s.start = uleb(1);
  expectInvalid(s, "unknown function");
  s = oneFunction(1, {0x00, 0x20, 0x00, kEnd});
  s.start = uleb(0);
  expectInvalid(s, "start function");
}

TEST(WasmSectionsTest, ExportsOfEveryKind) {
  Sections s = withMemory(oneFunction(0, {0x00, kEnd}));
  s.tables = vec({{kFuncRef, 0x00, 0x01}});
  s.globals = vec({{kF32, 0x00, 0x43, 0x00, 0x00, 0x00, 0x00, kEnd}});
  s.exports = vec({cat({name("f"), {0x00, 0x00}}), cat({name("t"), {0x01, 0x00}}), cat({name("m"), {0x02, 0x00}}),
                   cat({name("g"), {0x03, 0x00}})});
  expectValid(s);
  s.exports = vec({cat({name("g"), {0x03, 0x01}})});
  expectInvalid(s, "unknown global");
  s.exports = vec({cat({name("t"), {0x01, 0x01}})});
  expectInvalid(s, "unknown table");
}

// --- tables, elements, br_table, call_indirect ------------------------------------------------

TEST(WasmSectionsTest, ElementSegmentsOfEveryForm) {
  Sections s = oneFunction(0, {0x00, kEnd});
  s.tables = vec({{kFuncRef, 0x00, 0x04}});
  s.elements = vec({{0x00, 0x41, 0x00, kEnd, 0x01, 0x00},              // active, table 0: f0
                    {0x01, 0x00, 0x01, 0x00},                          // passive, funcref: f0
                    {0x02, 0x00, 0x41, 0x01, kEnd, 0x00, 0x01, 0x00},  // active, table 0 given
                    {0x03, 0x00, 0x01, 0x00},                          // declarative
                    {0x04, 0x41, 0x02, kEnd, 0x02, 0xd2, 0x00, kEnd, 0xd0, kFuncRef, kEnd},  // expressions
                    {0x05, kFuncRef, 0x01, 0xd0, kFuncRef, kEnd}});    // passive expressions
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  ASSERT_EQ(m->elements.size(), 6u);
  using Mode = ElementSegment::Mode;
  EXPECT_EQ(m->elements[0].mode, Mode::Active);
  EXPECT_EQ(m->elements[1].mode, Mode::Passive);
  EXPECT_EQ(m->elements[3].mode, Mode::Declarative);
  ASSERT_EQ(m->elements[4].items.size(), 2u);
  EXPECT_EQ(m->elements[4].items[0].instrs[0].op, Opcode::RefFunc);
  EXPECT_EQ(m->elements[4].items[1].instrs[0].op, Opcode::RefNull);

  Sections bad = s;
  bad.elements = vec({{0x08}});
  expectMalformed(bad, "malformed elements segment kind");
  bad.elements = vec({{0x01, 0x01, 0x00}});
  expectMalformed(bad, "malformed element kind");
  bad.elements = vec({{0x05, kI32, 0x00}});
  expectMalformed(bad, "malformed reference type");
  bad.elements = vec({{0x00, 0x41, 0x00, kEnd, 0x01, 0x05}});  // function 5
  expectInvalid(bad, "unknown function");
  bad.elements = vec({{0x04, 0x41, 0x00, kEnd, 0x01, 0x41, 0x00, kEnd}});  // an i32 element
  expectInvalid(bad, "type mismatch");
  bad.tables = {};
  bad.elements = vec({{0x00, 0x41, 0x00, kEnd, 0x00}});
  expectInvalid(bad, "unknown table");
}

TEST(WasmSectionsTest, BrTable) {
  // block block (br_table 0 1 1 (local.get 0)) end end, returning i32 through both labels
  Sections s = oneFunction(1, {0x00, 0x02, kI32, 0x02, kI32, 0x41, 0x07, 0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x01,
                               kEnd, kEnd, kEnd});
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const Function& f = m->functions[0];
  EXPECT_EQ(f.body[4].op, Opcode::BrTable);
  ASSERT_EQ(f.brTables.size(), 1u);
  EXPECT_EQ(f.brTables[0], (std::vector<uint32_t>{0, 1, 1}));
  // Labels of different arity (block [] and block [i32]) are a type mismatch.
  expectInvalid(oneFunction(1, {0x00, 0x02, kI32, 0x02, 0x40, 0x41, 0x07, 0x20, 0x00, 0x0e, 0x01, 0x00, 0x01,
                                kEnd, kEnd, kEnd}),
                "type mismatch");
  expectInvalid(oneFunction(0, {0x00, 0x41, 0x00, 0x0e, 0x00, 0x05, kEnd}), "unknown label");
  // A label count past the bytes left.
  expectMalformed(oneFunction(0, {0x00, 0x41, 0x00, 0x0e, 0xff, 0xff, 0x03, kEnd}), "length out of bounds");
}

TEST(WasmSectionsTest, CallIndirect) {
  Sections s = oneFunction(1, {0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x01, 0x00, kEnd});  // type 1 via table 0
  s.tables = vec({{kFuncRef, 0x00, 0x01}});
  expectValid(s);
  s.tables = {};
  expectInvalid(s, "unknown table");
  s.tables = vec({{kFuncRef, 0x00, 0x01}});
  s.code = vec({body({0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x09, 0x00, kEnd})});
  expectInvalid(s, "unknown type");
}

// --- reference types and table instructions ---------------------------------------------------

TEST(WasmSectionsTest, ReferenceTypes) {
  // A funcref global made by ref.func (which declares the function), an externref
  // parameter kept in a table, ref.is_null and a typed select of references.
  Sections s;
  s.types = vec({{0x60, 0x01, kExternRef, 0x01, kI32}});
  s.functions = vec({{0x00}});
  s.tables = vec({{kExternRef, 0x00, 0x01}});
  s.globals = vec({{kFuncRef, 0x00, 0xd2, 0x00, kEnd}});
  s.code = vec({body({0x00, 0x41, 0x00, 0x20, 0x00, 0x26, 0x00,       // table.set 0 (i32.const 0) (local 0)
                      0xd2, 0x00, 0xd0, kFuncRef, 0x20, 0x00, 0xd1,   // ref.func 0, ref.null func, is_null
                      0x1c, 0x01, kFuncRef, 0xd1, kEnd})});           // select (result funcref), is_null
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  EXPECT_EQ(m->types[0].params[0], ValType::ExternRef);
  EXPECT_EQ(m->globals[0].type.type, ValType::FuncRef);
  EXPECT_EQ(m->tables[0].elemType, RefType::ExternRef);

  auto withCode = [&](const Bytes& code) {
    Sections t = s;
    t.code = vec({body(code)});
    return t;
  };
  // ref.func of a function no segment, global or export names.
  Sections undeclared = withCode({0x00, 0xd2, 0x00, 0xd1, kEnd});
  undeclared.globals = {};
  expectInvalid(undeclared, "undeclared function reference");
  // The untyped select takes numbers only; the typed one exactly one type.
  expectInvalid(withCode({0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x00, 0x1b, 0xd1, kEnd}), "type mismatch");
  expectInvalid(withCode({0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1c, 0x02, kI32, kI32, 0x1a, kEnd}),
                "invalid result arity");
  // ref.is_null of a number; a funcref into an externref table; a table that does not exist.
  expectInvalid(withCode({0x00, 0x41, 0x00, 0xd1, kEnd}), "type mismatch");
  expectInvalid(withCode({0x00, 0x41, 0x00, 0xd2, 0x00, 0x26, 0x00, 0x41, 0x00, kEnd}), "type mismatch");
  expectInvalid(withCode({0x00, 0x41, 0x00, 0x25, 0x03, 0xd1, kEnd}), "unknown table");
  // call_indirect needs a funcref table.
  expectInvalid(withCode({0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, kEnd}), "type mismatch");
  // ref.null of a type that is not a reference.
  expectMalformed(withCode({0x00, 0xd0, kI32, 0xd1, kEnd}), "malformed reference type");
}

TEST(WasmSectionsTest, TableInstructions) {
  // Two funcref tables and a passive segment: table.size/grow/fill/copy/init, elem.drop.
  Sections s = oneFunction(0, {0x00,
                               0xfc, 0x10, 0x00, 0x1a,                                      // table.size 0
                               0xd0, kFuncRef, 0x41, 0x01, 0xfc, 0x0f, 0x01, 0x1a,          // table.grow 1
                               0x41, 0x00, 0xd0, kFuncRef, 0x41, 0x01, 0xfc, 0x11, 0x00,    // table.fill 0
                               0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x0e, 0x01, 0x00,  // table.copy 1 0
                               0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x0c, 0x00, 0x01,  // table.init 1 seg 0
                               0xfc, 0x0d, 0x00,                                            // elem.drop 0
                               kEnd});
  s.tables = vec({{kFuncRef, 0x00, 0x02}, {kFuncRef, 0x00, 0x02}});
  s.elements = vec({{0x01, 0x00, 0x01, 0x00}});
  auto m = decodeAndValidate(s.build());
  ASSERT_TRUE(m.has_value()) << m.error().toString();
  const auto& b = m->functions[0].body;
  EXPECT_EQ(b[0].op, Opcode::TableSize);
  EXPECT_EQ(b[13].op, Opcode::TableCopy);
  EXPECT_EQ(b[13].imm, 1);    // destination
  EXPECT_EQ(b[13].imm2, 0u);  // source
  EXPECT_EQ(b[17].op, Opcode::TableInit);
  EXPECT_EQ(b[17].imm, 0);    // segment
  EXPECT_EQ(b[17].imm2, 1u);  // table

  Sections bad = oneFunction(0, {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0c, 0x05, 0x00, kEnd});
  bad.tables = vec({{kFuncRef, 0x00, 0x02}});
  expectInvalid(bad, "unknown elem segment");
  bad.code = vec({body({0x00, 0xfc, 0x0d, 0x00, kEnd})});
  expectInvalid(bad, "unknown elem segment");
  bad.tables = vec({{kFuncRef, 0x00, 0x02}, {kExternRef, 0x00, 0x02}});
  bad.code = vec({body({0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0e, 0x00, 0x01, kEnd})});
  expectInvalid(bad, "type mismatch");  // table.copy between funcref and externref tables
}

// --- the order and sizes of sections -------------------------------------------------------

TEST(WasmSectionsTest, SectionOrderAndSizes) {
  Sections s = withMemory(Sections{});
  Bytes m = cat({s.build(), section(5, vec({{0x00, 0x00}}))});  // a second memory section
  auto r = decode(m);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "unexpected content after last section");
  // A memory section whose size leaves a byte unread.
  m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x04, 0x01, 0x00, 0x00, 0x00};
  r = decode(m);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().category, "section size mismatch");
}

}  // namespace
}  // namespace morel::wasm

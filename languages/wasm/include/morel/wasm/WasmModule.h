#pragma once
// A decoded WebAssembly module of Morel's subset: what the decoder produces,
// the validator checks and the tree builder turns into nodes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm {

/// Value types by their binary code. A reference (funcref, externref) is a 64-bit word
/// to the nodes, 0 for null: a funcref points at a WasmFunctionRef, an externref is
/// the host's.
enum class ValType : uint8_t {
  I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b, FuncRef = 0x70, ExternRef = 0x6f
};
/// The reference types, a table's element type.
enum class RefType : uint8_t { FuncRef = 0x70, ExternRef = 0x6f };
constexpr ValType valTypeOf(RefType t) { return static_cast<ValType>(t); }
constexpr bool isReference(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }

/// One WebAssembly page of linear memory: 64 KiB.
inline constexpr uint64_t kPageSize = 65536;
/// The most pages a 32-bit memory can have (4 GiB).
inline constexpr uint32_t kMaxPages = 65536;

/// Frame slots (64-bit words) a value of type t takes: two for v128.
constexpr uint32_t slotsOf(ValType t) { return t == ValType::V128 ? 2 : 1; }
/// The words a list of values takes in a frame or at a call boundary.
inline uint32_t slotsOf(const std::vector<ValType>& types) {
  uint32_t n = 0;
  for (ValType t : types) n += slotsOf(t);
  return n;
}

/// "i32", "i64", "f32", "f64", "v128", "funcref" or "externref".
const char* valTypeName(ValType t);

/// An opcode: its byte, or 0xfcNN / 0xfdNN for the 0xFC- / 0xFD-prefixed instruction NN.
enum class Opcode : uint16_t {
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) Name = code,
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
};

/// The prefix byte of the non-trapping conversions (and, later, bulk memory).
inline constexpr uint8_t kPrefixFC = 0xfc;
/// Sub-opcodes of the 0xFC prefix that opcode tables have room for.
inline constexpr uint32_t kPrefixFCSubCount = 0x20;
/// The prefix byte of the SIMD instructions; their sub-opcodes are below 0x100.
inline constexpr uint8_t kPrefixFD = 0xfd;
/// Tables over opcodes (decoder, validator) are this long, indexed by opcodeIndex().
inline constexpr std::size_t kOpcodeTableSize = 0x100 + kPrefixFCSubCount + 0x100 + 1;
/// A dense index: single-byte opcodes are their byte, 0xFC-prefixed ones follow at
/// 0x100 + NN, 0xFD-prefixed ones after those, and every other code shares the last
/// entry (never a known opcode).
constexpr std::size_t opcodeIndex(uint32_t code) {
  if (code < 0x100) return code;
  if (code >> 8 == kPrefixFC && (code & 0xff) < kPrefixFCSubCount) return 0x100 + (code & 0xff);
  if (code >> 8 == kPrefixFD) return 0x100 + kPrefixFCSubCount + (code & 0xff);
  return kOpcodeTableSize - 1;
}
constexpr std::size_t opcodeIndex(Opcode op) { return opcodeIndex(static_cast<uint32_t>(op)); }

/// The text name of an opcode ("i32.add"); "<unknown>" for codes outside the subset.
const char* opcodeName(Opcode op);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

/// Block type immediate: empty, one value type, or an index into the type section.
struct BlockType {
  enum class Kind : uint8_t { Empty, Value, TypeIndex } kind = Kind::Empty;
  ValType value = ValType::I32;  // when kind == Value
  uint32_t typeIndex = 0;        // when kind == TypeIndex
};

/// One decoded instruction. `offset` is the byte offset of its opcode in the module.
struct Instr {
  Opcode op;
  uint32_t offset;
  // i32/i64 constant (i32 sign-extended), f32/f64 constant as its bits (f32 zero-extended),
  // label depth, function, local or global index, a memory access's offset (memarg),
  // the type index of call_indirect, the index of a br_table in Function::brTables
  int64_t imm = 0;
  BlockType block;    // for block, loop, if
  uint32_t imm2 = 0;  // a second immediate: a memory access's alignment exponent (memarg),
                      // call_indirect's table index
  uint64_t immHi = 0;  // v128.const and i8x16.shuffle: bytes 8..15 (imm holds bytes 0..7)
  uint8_t lane = 0;    // a SIMD lane index (extract/replace lane, lane loads and stores)
};

/// The limits of a memory (in pages) or a table (in elements).
struct Limits {
  uint32_t min = 0;
  std::optional<uint32_t> max;
  bool operator==(const Limits&) const = default;
};

struct GlobalType {
  ValType type = ValType::I32;
  bool isMutable = false;
  bool operator==(const GlobalType&) const = default;
};

/// A constant expression: the instructions before its `end`. A valid one (WebAssembly 2.0)
/// is exactly one t.const or global.get of an imported global.
struct ConstExpr {
  std::vector<Instr> instrs;
  uint32_t offset = 0;  // byte offset of the expression
  uint32_t endOffset = 0;  // byte offset of its `end`
};

/// Functions, tables, memories and globals: imported ones come first in each index space.
struct Function {
  uint32_t typeIndex = 0;
  std::vector<ValType> locals;  // declared locals, after the parameters
  std::vector<Instr> body;      // ends with the function's final `end`; empty when imported
  uint32_t bodyOffset = 0;      // byte offset of the body (its size field), or of the import
  bool imported = false;
  /// br_table label lists (the default label last); Instr::imm indexes them.
  std::vector<std::vector<uint32_t>> brTables;
};

struct Table {
  RefType elemType = RefType::FuncRef;
  Limits limits;
  bool imported = false;
  uint32_t offset = 0;  // byte offset of its definition or import
};

struct Memory {
  Limits limits;  // in pages
  bool imported = false;
  uint32_t offset = 0;
};

struct Global {
  GlobalType type;
  ConstExpr init;  // unused when imported
  bool imported = false;
  uint32_t offset = 0;
};

enum class ExternalKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };

struct Import {
  std::string module;
  std::string name;
  ExternalKind kind = ExternalKind::Func;
  uint32_t index = 0;   // in the index space of its kind
  uint32_t offset = 0;  // byte offset of the entry (its module name)
};

/// A data segment: active ones are copied into memory `memory` at `offsetExpr` when the
/// module is instantiated; passive ones wait for memory.init.
struct DataSegment {
  bool active = true;
  uint32_t memory = 0;
  ConstExpr offsetExpr;
  std::vector<uint8_t> bytes;
  uint32_t offset = 0;  // byte offset of the segment
};

/// An element segment: its items are constant expressions of its reference type (a
/// segment of function indices has a ref.func for each).
struct ElementSegment {
  enum class Mode : uint8_t { Active, Passive, Declarative } mode = Mode::Active;
  uint32_t table = 0;
  ConstExpr offsetExpr;
  RefType type = RefType::FuncRef;
  std::vector<ConstExpr> items;
  uint32_t offset = 0;
};

struct Export {
  std::string name;
  ExternalKind kind = ExternalKind::Func;
  uint32_t index = 0;
  uint32_t offset = 0;  // byte offset of the entry (its name) in the module
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Function> functions;
  std::vector<Table> tables;
  std::vector<Memory> memories;
  std::vector<Global> globals;
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  uint32_t startOffset = 0;  // byte offset of the start section's content
  std::vector<ElementSegment> elements;
  std::vector<DataSegment> data;
  std::optional<uint32_t> dataCount;  // from the data count section

  const FuncType& typeOf(uint32_t funcIndex) const { return types[functions[funcIndex].typeIndex]; }
  uint32_t importedGlobalCount() const;
};

/// Decodes the binary format. Malformed input gets the spec's "malformed" category
/// ("unexpected end", "magic header not detected", ...) and a byte offset.
Result<Module> decode(std::span<const uint8_t> bytes);

/// Checks a decoded module against the spec's validation rules ("type mismatch",
/// "unknown local", ...), reporting the offset of the offending instruction.
Result<void> validate(const Module& module);

/// decode() then validate().
Result<Module> decodeAndValidate(std::span<const uint8_t> bytes);

}  // namespace morel::wasm

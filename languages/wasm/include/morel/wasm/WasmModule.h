#pragma once
// A decoded WebAssembly module of Morel's subset: what the decoder produces,
// the validator checks and the tree builder turns into nodes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm {

enum class ValType : uint8_t { I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c };

/// "i32", "i64", "f32" or "f64".
const char* valTypeName(ValType t);

/// An opcode: its byte, or 0xfcNN for the 0xFC-prefixed instruction NN.
enum class Opcode : uint16_t {
#define MOREL_WASM_OP(Name, code, text, imm, sig, node) Name = code,
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
};

/// The prefix byte of the non-trapping conversions (and, later, bulk memory).
inline constexpr uint8_t kPrefixFC = 0xfc;
/// Sub-opcodes of the 0xFC prefix that opcode tables have room for.
inline constexpr uint32_t kPrefixFCSubCount = 0x20;
/// Tables over opcodes (decoder, validator) are this long, indexed by opcodeIndex().
inline constexpr std::size_t kOpcodeTableSize = 0x100 + kPrefixFCSubCount + 1;
/// A dense index: single-byte opcodes are their byte, 0xFC-prefixed ones follow at
/// 0x100 + NN, and every other code shares the last entry (never a known opcode).
constexpr std::size_t opcodeIndex(uint32_t code) {
  if (code < 0x100) return code;
  if (code >> 8 == kPrefixFC && (code & 0xff) < kPrefixFCSubCount) return 0x100 + (code & 0xff);
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
  // label depth, function or local index
  int64_t imm = 0;
  BlockType block;  // for block, loop, if
};

struct Function {
  uint32_t typeIndex = 0;
  std::vector<ValType> locals;  // declared locals, after the parameters
  std::vector<Instr> body;      // ends with the function's final `end`
  uint32_t bodyOffset = 0;      // byte offset of the body (its size field)
};

enum class ExternalKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };

struct Export {
  std::string name;
  ExternalKind kind = ExternalKind::Func;
  uint32_t index = 0;
  uint32_t offset = 0;  // byte offset of the entry (its name) in the module
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Function> functions;
  std::vector<Export> exports;

  const FuncType& typeOf(uint32_t funcIndex) const { return types[functions[funcIndex].typeIndex]; }
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

#pragma once
// A decoded WebAssembly module of Morel's subset: what the decoder produces,
// the validator checks and the tree builder turns into nodes.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::wasm {

enum class ValType : uint8_t { I32 = 0x7f, I64 = 0x7e };

enum class Opcode : uint8_t {
#define MOREL_WASM_OP(Name, byte, text, imm, sig) Name = byte,
#include "morel/wasm/WasmOpcodes.def"
#undef MOREL_WASM_OP
};

/// The text name of an opcode ("i32.add"); "<unknown>" for bytes outside the subset.
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
  int64_t imm = 0;  // i32/i64 constant (i32 sign-extended), label depth, function or local index
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

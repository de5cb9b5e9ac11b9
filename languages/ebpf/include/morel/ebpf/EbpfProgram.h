#pragma once
// eBPF instructions in the 8-byte encoding of RFC 9669, and the program the
// assembler and loader hand to the tree builder.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "morel/framework/Diagnostic.h"

namespace morel::ebpf {

/// One 8-byte instruction slot (RFC 9669 section 3). `lddw` occupies two slots;
/// the second has opcode 0 and carries the upper 32 bits in `imm`.
struct Instruction {
  uint8_t opcode = 0;
  uint8_t dst = 0;  // 4 bits
  uint8_t src = 0;  // 4 bits
  int16_t offset = 0;
  int32_t imm = 0;

  bool operator==(const Instruction&) const = default;
};

/// Instruction classes and fields, named as in RFC 9669.
namespace op {
inline constexpr uint8_t kClassMask = 0x07;
inline constexpr uint8_t kLd = 0x00, kLdx = 0x01, kSt = 0x02, kStx = 0x03, kAlu = 0x04,
                         kJmp = 0x05, kJmp32 = 0x06, kAlu64 = 0x07;
inline constexpr uint8_t kSourceMask = 0x08;
inline constexpr uint8_t kK = 0x00, kX = 0x08;
inline constexpr uint8_t kCodeMask = 0xf0;
}  // namespace op

/// Operand syntax of an opcode row, and which fields its operands fill (EbpfOpcodes.def).
enum class Shape : uint8_t {
  AluImm,
  AluReg,
  Neg,
  Endian,
  JumpImm,
  JumpReg,
  Ja,
  Ja32,
  CallHelper,
  CallLocal,
  CallRuntime,
  CallReg,
  Exit,
  Lddw,
  LddwMapFd,
  LddwMapValue,
  LoadAbs,
  LoadInd,
  Load,
  Store,
  StoreReg,
  Atomic,
};

/// One row per mnemonic of EbpfOpcodes.def, in table order.
enum class Op : uint8_t {
#define MOREL_EBPF_OP(Name, opcode, text, shape, offset, imm, supported) Name,
#include "morel/ebpf/EbpfOpcodes.def"
#undef MOREL_EBPF_OP
};

/// A row of the opcode table.
struct OpcodeInfo {
  Op op;
  uint8_t opcode;
  std::string_view mnemonic;
  Shape shape;
  int16_t offset;  // fixed offset for Alu shapes (sdiv/smod 1, movsx 8/16/32)
  int32_t imm;     // fixed imm for Endian (width) and Atomic (operation)
  bool supported;
};

/// The whole table, in EbpfOpcodes.def order.
std::span<const OpcodeInfo> opcodeTable();

/// The row an instruction decodes to (opcode plus any distinguishing offset/imm/src field),
/// or nullptr for an unknown encoding. The second slot of lddw (opcode 0) is unknown here.
const OpcodeInfo* findOpcode(const Instruction& insn);

/// Assembles the text syntax of the bpf_conformance suite (`mov %r0, 1`,
/// `jeq %r1, 3, +2`, labels as jump targets, `#` comments). Errors name the line.
/// The label `exit` names the first exit instruction unless the program defines it.
Result<std::vector<Instruction>> assemble(std::string_view text);

/// A parsed bpf_conformance `.data` file.
struct ConformanceCase {
  std::string asmText;               // the `-- asm` section
  std::vector<uint8_t> memory;       // the `-- mem` section (hex bytes), may be empty
  std::optional<uint64_t> result;    // `-- result`
  std::optional<std::string> error;  // `-- error`
  std::vector<uint64_t> raw;         // `-- raw`: expected encoding, one 64-bit word per slot
  std::size_t asmLine = 0;           // file line of the first `-- asm` line (for messages)
};
Result<ConformanceCase> parseConformanceCase(std::string_view text);

/// Loader checks (RFC 9669 + uBPF's loader): known opcodes, registers in range,
/// no writes to r10, jump targets inside the program and not into the middle of
/// an lddw, the last instruction an `exit` or `ja`, lddw complete.
/// Position = instruction index. Only opcodes in `isSupported` pass.
Result<void> verify(std::span<const Instruction> program);

/// `verify`'s dataflow half (EbpfDataflow.cpp): no register read before every path
/// writes it, and r10-relative accesses inside the 512-byte frame. Needs a program
/// `verifyStructure` accepted.
Result<void> checkDataflow(std::span<const Instruction> program);

/// The structural half of `verify`: every check except "supported", so programs that use
/// instructions the skeleton cannot execute yet still get their shape validated.
Result<void> verifyStructure(std::span<const Instruction> program);

/// True when Morel can execute this opcode today (the skeleton's subset). The opcode alone
/// cannot tell div from sdiv or mov from movsx; it answers for the offset-0 form.
bool isSupported(uint8_t opcode);
/// Exact answer for one instruction (looks at offset/imm too).
bool isSupported(const Instruction& insn);

/// Mnemonic of the first instruction Morel cannot execute ("sdiv", "ldxw", or
/// "unknown opcode 0x.." for unknown encodings); nullopt when all are supported.
std::optional<std::string> firstUnsupported(std::span<const Instruction> program);

/// True for the three two-slot lddw shapes (a constant, a map, a map's value).
inline bool isLddw(Shape shape) {
  return shape == Shape::Lddw || shape == Shape::LddwMapFd || shape == Shape::LddwMapValue;
}

/// Encode/decode the little-endian byte form (8 bytes per slot).
std::vector<uint8_t> encode(std::span<const Instruction> program);
Result<std::vector<Instruction>> decodeBytes(std::span<const uint8_t> bytes);

/// Text form of one instruction (for --disassemble and error messages); an lddw shows only
/// the low 32 bits of its immediate, which live in its first slot.
std::string disassemble(const Instruction& insn);

/// Whole program, one line per instruction (lddw shows its full 64-bit immediate). Jumps
/// print as `+N`/`-N`, so the text assembles back to the same encoding.
std::string disassemble(std::span<const Instruction> program);

}  // namespace morel::ebpf

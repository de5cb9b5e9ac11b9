// The opcode table, the loader checks (verify), the byte encoding and the disassembler.
// Everything here is driven by EbpfOpcodes.def: a row's shape says which fields are
// operands, which are fixed, and how the instruction prints.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {
namespace {

constexpr OpcodeInfo kTable[] = {
#define MOREL_EBPF_OP(Name, opcode, text, shape, offset, imm, supported) \
  {Op::Name, opcode, text, Shape::shape, offset, imm, supported},
#include "morel/ebpf/EbpfOpcodes.def"
#undef MOREL_EBPF_OP
};

constexpr uint8_t kMaxRegister = 10;
constexpr uint8_t kFramePointer = 10;
constexpr uint8_t kLddwOpcode = 0x18;
constexpr int32_t kAtomicFetch = 0x01;
constexpr int32_t kAtomicCmpxchg = 0xf1;

// Whether the fields a row fixes (beyond the opcode) hold its values.
bool fixedFieldsMatch(const OpcodeInfo& row, const Instruction& insn) {
  switch (row.shape) {
    case Shape::AluImm:
    case Shape::AluReg:
    case Shape::Neg:
      return insn.offset == row.offset;
    case Shape::Endian:
    case Shape::Atomic:
      return insn.imm == row.imm;
    case Shape::CallHelper:
      return insn.src == 0;
    case Shape::CallLocal:
      return insn.src == 1;
    case Shape::CallRuntime:
      return insn.src == 2;
    case Shape::Lddw:
      return insn.src == 0;
    case Shape::LddwMapFd:
      return insn.src == 1;
    case Shape::LddwMapValue:
      // src 3..6 are the BTF and map-index loads, which Morel does not know.
      return insn.src == 2;
    default:
      return true;
  }
}

// Rows bucketed by opcode so that decoding is one short scan.
const std::array<std::vector<const OpcodeInfo*>, 256>& rowsByOpcode() {
  static const auto buckets = [] {
    std::array<std::vector<const OpcodeInfo*>, 256> result;
    for (const OpcodeInfo& row : kTable) result[row.opcode].push_back(&row);
    return result;
  }();
  return buckets;
}

bool writesDst(Shape shape) {
  switch (shape) {
    case Shape::AluImm:
    case Shape::AluReg:
    case Shape::Neg:
    case Shape::Endian:
    case Shape::Lddw:
    case Shape::LddwMapFd:
    case Shape::LddwMapValue:
    case Shape::Load:
      return true;
    default:
      return false;
  }
}

// The signed distance a control transfer jumps, or nullopt for straight-line code.
std::optional<int64_t> jumpDelta(const OpcodeInfo& row, const Instruction& insn) {
  switch (row.shape) {
    case Shape::Ja:
    case Shape::JumpImm:
    case Shape::JumpReg:
      return insn.offset;
    case Shape::Ja32:
    case Shape::CallLocal:
      return insn.imm;
    default:
      return std::nullopt;
  }
}

// Marks the slots that are the upper halves of an lddw, which are not instructions.
std::vector<bool> lddwUpperSlots(std::span<const Instruction> program) {
  std::vector<bool> upper(program.size(), false);
  for (std::size_t i = 0; i + 1 < program.size(); ++i) {
    if (!upper[i] && program[i].opcode == kLddwOpcode) upper[i + 1] = true;
  }
  return upper;
}

std::unexpected<Diagnostic> failAt(std::string category, std::size_t index,
                                   std::string detail = {}) {
  return fail(std::move(category), index, Diagnostic::Unit::Instruction, std::move(detail));
}

Result<void> checkRegisters(const OpcodeInfo& row, const Instruction& insn, std::size_t i) {
  if (insn.dst > kMaxRegister || insn.src > kMaxRegister) {
    return failAt("invalid register", i, disassemble(insn));
  }
  bool fetchesIntoSrc =
      row.shape == Shape::Atomic && (row.imm & kAtomicFetch) != 0 && row.imm != kAtomicCmpxchg;
  if ((writesDst(row.shape) && insn.dst == kFramePointer) ||
      (fetchesIntoSrc && insn.src == kFramePointer)) {
    return failAt("write to r10", i, disassemble(insn));
  }
  return {};
}

// ldabs names no register and ldind only its index (Linux's "reserved fields" check).
Result<void> checkPacketLoadFields(const OpcodeInfo& row, const Instruction& insn, std::size_t i) {
  if (row.shape != Shape::LoadAbs && row.shape != Shape::LoadInd) return {};
  if (insn.dst != 0 || insn.offset != 0 || (row.shape == Shape::LoadAbs && insn.src != 0)) {
    return failAt("reserved field", i, "ldabs/ldind use only imm (and ldind its src register)");
  }
  return {};
}

Result<void> checkJump(const OpcodeInfo& row, const Instruction& insn, std::size_t i,
                       const std::vector<bool>& upper) {
  std::optional<int64_t> delta = jumpDelta(row, insn);
  if (!delta) return {};
  int64_t target = static_cast<int64_t>(i) + 1 + *delta;
  if (target < 0 || target >= static_cast<int64_t>(upper.size())) {
    return failAt("jump out of range", i, disassemble(insn));
  }
  if (upper[static_cast<std::size_t>(target)]) {
    return failAt("jump into the middle of lddw", i, disassemble(insn));
  }
  return {};
}

Result<void> checkLddwUpperSlot(std::span<const Instruction> program, std::size_t i) {
  if (i + 1 >= program.size()) return failAt("incomplete lddw", i, "missing second slot");
  const Instruction& hi = program[i + 1];
  if (hi.opcode != 0 || hi.dst != 0 || hi.src != 0 || hi.offset != 0) {
    return failAt("incomplete lddw", i + 1, "second slot must be opcode 0 with only imm set");
  }
  return {};
}

std::string memoryOperand(uint8_t reg, int16_t offset) {
  if (offset == 0) return absl::StrFormat("[%%r%d]", reg);
  return absl::StrFormat("[%%r%d%+d]", reg, offset);
}

std::string target(int64_t delta) {
  return absl::StrFormat("%+d", delta);
}

// One instruction's text; `imm64` is the full lddw immediate when the caller knows it.
std::string format(const Instruction& insn, std::optional<uint64_t> imm64) {
  const OpcodeInfo* row = findOpcode(insn);
  if (row == nullptr) return absl::StrFormat("<unknown opcode 0x%02x>", insn.opcode);
  std::string_view m = row->mnemonic;
  int d = insn.dst, s = insn.src;
  switch (row->shape) {
    case Shape::AluImm:
      return absl::StrFormat("%s %%r%d, %d", m, d, insn.imm);
    case Shape::AluReg:
      return absl::StrFormat("%s %%r%d, %%r%d", m, d, s);
    case Shape::Neg:
    case Shape::Endian:
    case Shape::CallReg:
      return absl::StrFormat("%s %%r%d", m, d);
    case Shape::JumpImm:
      return absl::StrFormat("%s %%r%d, %d, %s", m, d, insn.imm, target(insn.offset));
    case Shape::JumpReg:
      return absl::StrFormat("%s %%r%d, %%r%d, %s", m, d, s, target(insn.offset));
    case Shape::Ja:
      return absl::StrFormat("%s %s", m, target(insn.offset));
    case Shape::Ja32:
    case Shape::CallLocal:
      return absl::StrFormat("%s %s", m, target(insn.imm));
    case Shape::CallHelper:
    case Shape::CallRuntime:
    case Shape::LoadAbs:
      return absl::StrFormat("%s %d", m, insn.imm);
    case Shape::Exit:
      return std::string(m);
    case Shape::Lddw:
    case Shape::LddwMapFd:
    case Shape::LddwMapValue:
      return absl::StrFormat("%s %%r%d, 0x%x", m, d,
                             imm64.value_or(static_cast<uint32_t>(insn.imm)));
    case Shape::LoadInd:
      return absl::StrFormat("%s %%r%d, %d", m, s, insn.imm);
    case Shape::Load:
      return absl::StrFormat("%s %%r%d, %s", m, d, memoryOperand(insn.src, insn.offset));
    case Shape::Store:
      return absl::StrFormat("%s %s, %d", m, memoryOperand(insn.dst, insn.offset), insn.imm);
    case Shape::StoreReg:
    case Shape::Atomic:
      return absl::StrFormat("%s %s, %%r%d", m, memoryOperand(insn.dst, insn.offset), s);
  }
  return std::string(m);
}

}  // namespace

std::span<const OpcodeInfo> opcodeTable() {
  return kTable;
}

const OpcodeInfo* findOpcode(const Instruction& insn) {
  for (const OpcodeInfo* row : rowsByOpcode()[insn.opcode]) {
    if (fixedFieldsMatch(*row, insn)) return row;
  }
  return nullptr;
}

Result<void> verifyStructure(std::span<const Instruction> program) {
  if (program.empty()) return failAt("empty program", 0);
  std::vector<bool> upper = lddwUpperSlots(program);
  for (std::size_t i = 0; i < program.size(); ++i) {
    if (upper[i]) continue;
    const Instruction& insn = program[i];
    const OpcodeInfo* row = findOpcode(insn);
    if (row == nullptr) {
      return failAt("unknown opcode", i, absl::StrFormat("0x%02x", insn.opcode));
    }
    if (auto ok = checkRegisters(*row, insn, i); !ok) return ok;
    if (auto ok = checkJump(*row, insn, i, upper); !ok) return ok;
    if (auto ok = checkPacketLoadFields(*row, insn, i); !ok) return ok;
    if (isLddw(row->shape)) {
      if (auto ok = checkLddwUpperSlot(program, i); !ok) return ok;
    }
  }
  // Execution must end in exit or loop back; anything else runs past the last slot.
  std::size_t last = program.size() - 1;
  const OpcodeInfo* row = upper[last] ? nullptr : findOpcode(program[last]);
  if (row == nullptr ||
      (row->shape != Shape::Exit && row->shape != Shape::Ja && row->shape != Shape::Ja32)) {
    return failAt("falls off the end", last, "the last instruction must be exit or ja");
  }
  return {};
}

Result<void> verify(std::span<const Instruction> program) {
  if (auto ok = verifyStructure(program); !ok) return ok;
  std::vector<bool> upper = lddwUpperSlots(program);
  for (std::size_t i = 0; i < program.size(); ++i) {
    if (!upper[i] && !isSupported(program[i])) {
      return failAt("unsupported instruction", i, disassemble(program[i]));
    }
  }
  return checkDataflow(program);
}

bool isSupported(uint8_t opcode) {
  for (const OpcodeInfo* row : rowsByOpcode()[opcode]) {
    if (row->supported) return true;
  }
  return false;
}

bool isSupported(const Instruction& insn) {
  const OpcodeInfo* row = findOpcode(insn);
  return row != nullptr && row->supported;
}

std::optional<std::string> firstUnsupported(std::span<const Instruction> program) {
  std::vector<bool> upper = lddwUpperSlots(program);
  for (std::size_t i = 0; i < program.size(); ++i) {
    if (upper[i]) continue;
    const OpcodeInfo* row = findOpcode(program[i]);
    if (row == nullptr) return absl::StrFormat("unknown opcode 0x%02x", program[i].opcode);
    if (!row->supported) return std::string(row->mnemonic);
  }
  return std::nullopt;
}

std::vector<uint8_t> encode(std::span<const Instruction> program) {
  std::vector<uint8_t> bytes;
  bytes.reserve(program.size() * 8);
  for (const Instruction& insn : program) {
    auto offset = static_cast<uint16_t>(insn.offset);
    auto imm = static_cast<uint32_t>(insn.imm);
    bytes.push_back(insn.opcode);
    bytes.push_back(static_cast<uint8_t>((insn.src & 0x0f) << 4 | (insn.dst & 0x0f)));
    bytes.push_back(static_cast<uint8_t>(offset));
    bytes.push_back(static_cast<uint8_t>(offset >> 8));
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<uint8_t>(imm >> shift));
  }
  return bytes;
}

Result<std::vector<Instruction>> decodeBytes(std::span<const uint8_t> bytes) {
  if (std::size_t extra = bytes.size() % 8; extra != 0) {
    return fail("unexpected end", bytes.size() - extra, Diagnostic::Unit::Byte,
                absl::StrFormat("truncated instruction: %d trailing bytes", extra));
  }
  std::vector<Instruction> program;
  program.reserve(bytes.size() / 8);
  for (std::size_t at = 0; at < bytes.size(); at += 8) {
    const uint8_t* b = bytes.data() + at;
    uint32_t imm =
        uint32_t{b[4]} | uint32_t{b[5]} << 8 | uint32_t{b[6]} << 16 | uint32_t{b[7]} << 24;
    program.push_back(Instruction{
        .opcode = b[0],
        .dst = static_cast<uint8_t>(b[1] & 0x0f),
        .src = static_cast<uint8_t>(b[1] >> 4),
        .offset = static_cast<int16_t>(uint16_t{b[2]} | uint16_t{b[3]} << 8),
        .imm = static_cast<int32_t>(imm),
    });
  }
  return program;
}

std::string disassemble(const Instruction& insn) {
  return format(insn, std::nullopt);
}

std::string disassemble(std::span<const Instruction> program) {
  std::string text;
  std::vector<bool> upper = lddwUpperSlots(program);
  for (std::size_t i = 0; i < program.size(); ++i) {
    if (upper[i]) continue;
    std::optional<uint64_t> imm64;
    if (program[i].opcode == kLddwOpcode && i + 1 < program.size()) {
      imm64 = uint64_t{static_cast<uint32_t>(program[i].imm)} |
              uint64_t{static_cast<uint32_t>(program[i + 1].imm)} << 32;
    }
    absl::StrAppend(&text, format(program[i], imm64), "\n");
  }
  return text;
}

}  // namespace morel::ebpf

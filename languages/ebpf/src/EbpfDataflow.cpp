// The loader's dataflow checks, as Linux's verifier makes them (in far simpler
// form): no register is read before every path to the read has written it, and
// every access through the frame pointer r10 with a constant offset stays inside
// the function's 512-byte stack frame. Either refusal names the instruction.
//
// Registers written at an entry: r1 (the input memory), r2 (its length), r3 (a
// packet's length on the wire, 0 when the input is no packet), r10;
// a bpf-to-bpf callee may read r1 to r5 (its arguments; their number is not
// declared) and keeps r6 to r9. A call writes r0; r1 to r5 are taken to survive
// it (Linux clobbers them, and programs written for it never read them).
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "EbpfRegisterUse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {
namespace {

constexpr Registers kAll = 0x7ff;
constexpr Registers kProgramEntry = bit(1) | bit(2) | bit(3) | bit(10);
constexpr Registers kCalleeEntry = bit(1) | bit(2) | bit(3) | bit(4) | bit(5) | bit(10);
constexpr int32_t kFrameBytes = 512;
constexpr uint8_t kFramePointer = 10;

bool isMove(Op op) {
  switch (op) {
    case Op::Mov64Imm:
    case Op::Mov64Reg:
    case Op::Mov32Imm:
    case Op::Mov32Reg:
    case Op::Movsx8To64:
    case Op::Movsx16To64:
    case Op::Movsx32To64:
    case Op::Movsx8To32:
    case Op::Movsx16To32:
      return true;
    default:
      return false;
  }
}

}  // namespace

RegisterUse registerUse(const OpcodeInfo& row, const Instruction& in) {
  const Registers dst = bit(in.dst), src = bit(in.src), r0 = bit(0);
  switch (row.shape) {
    case Shape::AluImm:
      return {isMove(row.op) ? Registers{0} : dst, dst};
    case Shape::AluReg:
      return {static_cast<Registers>(src | (isMove(row.op) ? 0 : dst)), dst};
    case Shape::Neg:
    case Shape::Endian:
      return {dst, dst};
    case Shape::JumpImm:
      return {dst, 0};
    case Shape::JumpReg:
      return {static_cast<Registers>(dst | src), 0};
    case Shape::CallHelper:
    case Shape::CallLocal:
    case Shape::CallRuntime:
    case Shape::CallReg:
      return {0, r0};
    case Shape::Exit:
      return {r0, 0};
    case Shape::Lddw:
    case Shape::LddwMapFd:
    case Shape::LddwMapValue:
      return {0, dst};
    case Shape::LoadAbs:
      return {0, r0};
    case Shape::LoadInd:
      return {src, r0};
    case Shape::Load:
      return {src, dst};
    case Shape::Store:
      return {dst, 0};
    case Shape::StoreReg:
      return {static_cast<Registers>(dst | src), 0};
    case Shape::Atomic: {
      constexpr int32_t kFetch = 0x01, kCmpxchg = 0xf1;
      if (in.imm == kCmpxchg) return {static_cast<Registers>(dst | src | r0), r0};
      return {static_cast<Registers>(dst | src), (in.imm & kFetch) != 0 ? src : Registers{0}};
    }
    case Shape::Ja:
    case Shape::Ja32:
      return {};
  }
  return {};
}

int32_t accessBytes(uint8_t opcode) {
  switch (opcode & 0x18) {
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    case 0x10:
      return 1;
    default:
      return 8;
  }
}

namespace {

/// The frame-pointer register an access goes through, if it is r10.
bool throughFramePointer(const OpcodeInfo& row, const Instruction& in) {
  switch (row.shape) {
    case Shape::Load:
      return in.src == kFramePointer;
    case Shape::Store:
    case Shape::StoreReg:
    case Shape::Atomic:
      return in.dst == kFramePointer;
    default:
      return false;
  }
}

std::string registerList(Registers set) {
  std::string out;
  for (uint8_t r = 0; r <= 10; ++r)
    if ((set & bit(r)) != 0) absl::StrAppend(&out, out.empty() ? "" : ", ", "r", r);
  return out;
}

}  // namespace

Result<void> checkDataflow(std::span<const Instruction> program) {
  const std::size_t n = program.size();
  std::vector<const OpcodeInfo*> rows(n, nullptr);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] = findOpcode(program[i]);
    if (rows[i] != nullptr && isLddw(rows[i]->shape) && i + 1 < n)
      ++i;  // the upper slot is no instruction
  }
  std::vector<std::optional<Registers>> in(n);
  std::deque<std::size_t> work;
  auto flow = [&](std::size_t to, Registers state) {
    if (to >= n) return;
    Registers merged = in[to] ? static_cast<Registers>(*in[to] & state) : state;
    if (in[to] && *in[to] == merged) return;
    in[to] = merged;
    work.push_back(to);
  };
  flow(0, kProgramEntry);
  for (std::size_t i = 0; i < n; ++i)
    if (rows[i] != nullptr && rows[i]->shape == Shape::CallLocal)
      flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + program[i].imm), kCalleeEntry);

  while (!work.empty()) {
    std::size_t i = work.front();
    work.pop_front();
    const OpcodeInfo* row = rows[i];
    if (row == nullptr) continue;  // verifyStructure refuses unknown encodings first
    const Instruction& insn = program[i];
    RegisterUse use = registerUse(*row, insn);
    // States only shrink as paths are added, so a read missing now stays missing.
    if (Registers missing = use.reads & ~*in[i]; missing != 0)
      return fail("uninitialized register", i, Diagnostic::Unit::Instruction,
                  absl::StrCat(disassemble(insn), " reads ", registerList(missing),
                               " before every path to it writes it"));
    if (throughFramePointer(*row, insn)) {
      const int32_t from = insn.offset, to = insn.offset + accessBytes(insn.opcode);
      if (from < -kFrameBytes || to > 0)
        return fail("stack out of bounds", i, Diagnostic::Unit::Instruction,
                    absl::StrFormat("%s touches [r10%+d, r10%+d) outside the frame [r10-%d, r10)",
                                    disassemble(insn), from, to, kFrameBytes));
    }
    Registers out = static_cast<Registers>((*in[i] | use.writes) & kAll);
    const std::size_t next = i + (isLddw(row->shape) ? 2 : 1);
    switch (row->shape) {
      case Shape::Exit:
        break;
      case Shape::Ja:
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.offset), out);
        break;
      case Shape::Ja32:
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.imm), out);
        break;
      case Shape::JumpImm:
      case Shape::JumpReg:
        flow(static_cast<std::size_t>(static_cast<int64_t>(i) + 1 + insn.offset), out);
        flow(next, out);
        break;
      default:
        flow(next, out);
        break;
    }
  }
  return {};
}

}  // namespace morel::ebpf

// Classic BPF to eBPF, instruction by instruction (the shape of Linux's
// bpf_convert_filter, written here from the two instruction sets' definitions):
//   ldh [12]; jeq #0x800, L1, L2   ->   ldabsh 12; jeq32 %r0, 0x800, L1; ja L2
// Classic opcodes share their field layout with eBPF's: an ALU instruction's code is
// already the eBPF ALU32 opcode, a packet load's the legacy load's; jumps move to the
// JMP32 class, because A is 32 bits and k compares unsigned.
#include "morel/ebpf/ClassicBpf.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace morel::ebpf {
namespace {

// Classic fields (Linux's <linux/filter.h>, libpcap's <pcap/bpf.h>).
constexpr uint16_t kClassMask = 0x07, kSizeMask = 0x18, kModeMask = 0xe0, kOpMask = 0xf0;
constexpr uint16_t kLd = 0x00, kLdx = 0x01, kSt = 0x02, kStx = 0x03, kAlu = 0x04, kJmp = 0x05,
                   kRet = 0x06, kMisc = 0x07;
constexpr uint16_t kW = 0x00, kB = 0x10;
constexpr uint16_t kImm = 0x00, kAbs = 0x20, kInd = 0x40, kMem = 0x60, kLen = 0x80, kMsh = 0xa0;
constexpr uint16_t kSrcX = 0x08;
constexpr uint16_t kDiv = 0x30, kLsh = 0x60, kRsh = 0x70, kNeg = 0x80, kMod = 0x90;
constexpr uint16_t kJa = 0x00, kJeq = 0x10, kJgt = 0x20, kJset = 0x40;
constexpr uint16_t kRetA = 0x10;
constexpr uint16_t kTxa = 0x80;
constexpr uint32_t kScratchWords = 16;  // M[0..15]

// Where the classic machine lives in eBPF registers. ldabs/ldind write r0 only
// (Morel's packet loads do not clobber r1..r5 as Linux's may), so any other will do.
constexpr uint8_t kA = 0, kX = 7, kTmp = 8, kWireLength = 9, kFramePointer = 10;
constexpr uint8_t kWireLengthArgument = 3;

// eBPF opcodes the translation emits.
constexpr uint8_t kMov32Imm = 0xb4, kMov32Reg = 0xbc, kMov64Reg = 0xbf, kAnd32Imm = 0x54,
                  kLsh32Imm = 0x64, kLdxW = 0x61, kStxW = 0x63, kJneImm = 0x55, kJa64 = 0x05,
                  kExit = 0x95, kLdAbsB = 0x30, kJmp32Class = 0x06;

/// M[k]'s slot: 16 words below the frame pointer.
int16_t scratchOffset(uint32_t k) {
  return static_cast<int16_t>(-4 * static_cast<int32_t>(kScratchWords) +
                              4 * static_cast<int32_t>(k));
}

std::unexpected<Diagnostic> failAt(std::string category, std::size_t pc, std::string detail = {}) {
  return fail(std::move(category), pc, Diagnostic::Unit::Instruction, std::move(detail));
}

std::string describe(const ClassicInstruction& in) {
  return absl::StrFormat("code 0x%04x jt %d jf %d k 0x%x", in.code, in.jt, in.jf, in.k);
}

// jeq/jgt/jge's negation: jne/jle/jlt (eBPF codes).
uint16_t opposite(uint16_t jumpOp) {
  switch (jumpOp) {
    case kJeq:
      return 0x50;
    case kJgt:
      return 0xb0;
    default:
      return 0xa0;  // jge
  }
}

bool isKnownAluOp(uint16_t op) {
  return op <= kRsh || op == kNeg || op == kMod || op == 0xa0;  // add..rsh, neg, mod, xor
}

class Translator {
 public:
  explicit Translator(std::span<const ClassicInstruction> program) : p_(program) {}

  Result<std::vector<Instruction>> run() {
    if (p_.empty()) return failAt("empty program", 0);
    if (p_.size() > kMaxClassicInstructions)
      return failAt(
          "program too long", kMaxClassicInstructions,
          absl::StrFormat("%d instructions, at most %d", p_.size(), kMaxClassicInstructions));
    if ((p_.back().code & kClassMask) != kRet)
      return failAt("no return at the end", p_.size() - 1, "the last instruction must be ret");
    // A = X = 0 as the classic machine starts; the wire length out of the argument registers.
    emit(kMov32Imm, kA, 0, 0);
    emit(kMov32Imm, kX, 0, 0);
    emit(kMov32Reg, kWireLength, kWireLengthArgument, 0);
    for (std::size_t pc = 0; pc < p_.size(); ++pc) {
      start_.push_back(out_.size());
      if (auto ok = translate(pc, p_[pc]); !ok) return std::unexpected(ok.error());
    }
    // Classic jumps go forward only and never past the last instruction (checked above),
    // and the longest translation (4096 * 6 + 3 slots) keeps every offset inside int16.
    for (const Fixup& f : fixups_) {
      auto delta = static_cast<int64_t>(start_[f.classicTarget]) - static_cast<int64_t>(f.at) - 1;
      out_[f.at].offset = static_cast<int16_t>(delta);
    }
    return std::move(out_);
  }

 private:
  struct Fixup {
    std::size_t at;             // the eBPF jump
    std::size_t classicTarget;  // the classic instruction it goes to
  };

  void emit(uint8_t opcode, uint8_t dst, uint8_t src, int32_t imm, int16_t offset = 0) {
    out_.push_back(
        Instruction{.opcode = opcode, .dst = dst, .src = src, .offset = offset, .imm = imm});
  }
  void emitJump(uint8_t opcode, uint8_t dst, uint8_t src, int32_t imm, std::size_t classicTarget) {
    fixups_.push_back({out_.size(), classicTarget});
    emit(opcode, dst, src, imm);
  }
  static int32_t imm(uint32_t k) { return static_cast<int32_t>(k); }

  Result<void> scratchIndex(std::size_t pc, uint32_t k) const {
    if (k >= kScratchWords)
      return failAt("invalid scratch memory index", pc, absl::StrFormat("M[%d]; there are 16", k));
    return {};
  }

  // A forward target `skip` instructions after the next one, inside the program.
  Result<std::size_t> target(std::size_t pc, uint64_t skip) const {
    uint64_t t = pc + 1 + skip;
    if (t >= p_.size())
      return failAt("jump out of range", pc,
                    absl::StrFormat("to instruction %d of %d", t, p_.size()));
    return static_cast<std::size_t>(t);
  }

  Result<void> translate(std::size_t pc, const ClassicInstruction& in) {
    if (in.code > 0xff) return failAt("unknown opcode", pc, describe(in));  // the codes are 8 bits
    switch (in.code & kClassMask) {
      case kLd:
        return load(pc, in);
      case kLdx:
        return loadX(pc, in);
      case kSt:
      case kStx: {
        if (in.code != kSt && in.code != kStx) break;
        if (auto ok = scratchIndex(pc, in.k); !ok) return ok;
        emit(kStxW, kFramePointer, in.code == kSt ? kA : kX, 0, scratchOffset(in.k));
        return {};
      }
      case kAlu:
        return alu(pc, in);
      case kJmp:
        return jump(pc, in);
      case kRet:
        if (in.code == (kRet | kRetA)) {
          emit(kExit, 0, 0, 0);
          return {};
        }
        if (in.code != kRet) break;
        emit(kMov32Imm, kA, 0, imm(in.k));
        emit(kExit, 0, 0, 0);
        return {};
      case kMisc:
        if (in.code == kMisc) {  // tax
          emit(kMov32Reg, kX, kA, 0);
          return {};
        }
        if (in.code != (kMisc | kTxa)) break;
        emit(kMov32Reg, kA, kX, 0);
        return {};
    }
    return failAt("unknown opcode", pc, describe(in));
  }

  Result<void> load(std::size_t pc, const ClassicInstruction& in) {
    uint16_t mode = in.code & kModeMask;
    if (mode == kAbs || mode == kInd) {
      if ((in.code & kSizeMask) == kSizeMask) return failAt("unknown opcode", pc, describe(in));
      // ld[abs|ind] has the eBPF legacy load's encoding; ldind's index is X.
      emit(static_cast<uint8_t>(in.code), 0, mode == kInd ? kX : 0, imm(in.k));
      return {};
    }
    if ((in.code & kSizeMask) != kW) return failAt("unknown opcode", pc, describe(in));
    return loadWord(pc, in, kA);
  }

  Result<void> loadX(std::size_t pc, const ClassicInstruction& in) {
    if (in.code == (kLdx | kB | kMsh)) {
      // X = 4 * (P[k] & 0xf), the IPv4 header length; A survives in the temporary.
      emit(kMov64Reg, kTmp, kA, 0);
      emit(kLdAbsB, 0, 0, imm(in.k));
      emit(kAnd32Imm, kA, 0, 0xf);
      emit(kLsh32Imm, kA, 0, 2);
      emit(kMov32Reg, kX, kA, 0);
      emit(kMov64Reg, kA, kTmp, 0);
      return {};
    }
    if ((in.code & kSizeMask) != kW) return failAt("unknown opcode", pc, describe(in));
    return loadWord(pc, in, kX);
  }

  // ld/ldx of a constant, a scratch word or the packet's length into A or X.
  Result<void> loadWord(std::size_t pc, const ClassicInstruction& in, uint8_t into) {
    switch (in.code & kModeMask) {
      case kImm:
        emit(kMov32Imm, into, 0, imm(in.k));
        return {};
      case kMem:
        if (auto ok = scratchIndex(pc, in.k); !ok) return ok;
        emit(kLdxW, into, kFramePointer, 0, scratchOffset(in.k));
        return {};
      case kLen:
        emit(kMov32Reg, into, kWireLength, 0);
        return {};
    }
    return failAt("unknown opcode", pc, describe(in));
  }

  Result<void> alu(std::size_t pc, const ClassicInstruction& in) {
    uint16_t op = in.code & kOpMask;
    bool fromX = (in.code & kSrcX) != 0;
    if (!isKnownAluOp(op) || (op == kNeg && fromX))
      return failAt("unknown opcode", pc, describe(in));
    if (op == kNeg) {
      emit(static_cast<uint8_t>(in.code), kA, 0, 0);
      return {};
    }
    if (!fromX && (op == kDiv || op == kMod) && in.k == 0)
      return failAt("division by zero", pc, describe(in));
    if (!fromX && (op == kLsh || op == kRsh) && in.k >= 32)
      return failAt("shift out of range", pc, absl::StrFormat("shift by %d", in.k));
    if (fromX && (op == kDiv || op == kMod)) {
      // Classic BPF ends the filter with 0 on division by zero; eBPF would go on.
      emit(kJneImm, kX, 0, 0, 2);
      emit(kMov32Imm, kA, 0, 0);
      emit(kExit, 0, 0, 0);
    }
    // The classic ALU code is the eBPF ALU32 opcode (class 0x04, op, source bit).
    emit(static_cast<uint8_t>(in.code), kA, fromX ? kX : 0, fromX ? 0 : imm(in.k));
    return {};
  }

  Result<void> jump(std::size_t pc, const ClassicInstruction& in) {
    uint16_t op = in.code & kOpMask;
    if (op == kJa) {
      if (in.code != kJmp) return failAt("unknown opcode", pc, describe(in));
      // libpcap's `protochain` loops with a negative k; Linux refuses that, and so does Morel.
      if (static_cast<int32_t>(in.k) < 0)
        return failAt("jump out of range", pc,
                      absl::StrFormat("ja %d: a backward jump (classic BPF jumps only forward)",
                                      static_cast<int32_t>(in.k)));
      auto to = target(pc, in.k);
      if (!to) return std::unexpected(to.error());
      emitJump(kJa64, 0, 0, 0, *to);
      return {};
    }
    if (op > kJset) return failAt("unknown opcode", pc, describe(in));  // jeq, jgt, jge, jset
    auto taken = target(pc, in.jt);
    if (!taken) return std::unexpected(taken.error());
    auto notTaken = target(pc, in.jf);
    if (!notTaken) return std::unexpected(notTaken.error());
    bool fromX = (in.code & kSrcX) != 0;
    uint8_t source = fromX ? kX : 0;
    int32_t value = fromX ? 0 : imm(in.k);
    // JMP32: A and k compare as unsigned 32-bit values (a 64-bit compare would sign-extend k).
    auto opcode = static_cast<uint8_t>(kJmp32Class | op | (in.code & kSrcX));
    if (in.jt == 0 && in.jf != 0 && op != kJset) {
      // Only the false edge jumps: one jump on the opposite condition (jset has none).
      emitJump(static_cast<uint8_t>(opcode ^ op ^ opposite(op)), kA, source, value, *notTaken);
      return {};
    }
    emitJump(opcode, kA, source, value, *taken);
    // The false edge falls through when jf is 0; a true edge to the next instruction
    // then lands after the ja, which is where the next instruction starts.
    if (in.jf != 0) emitJump(kJa64, 0, 0, 0, *notTaken);
    return {};
  }

  std::span<const ClassicInstruction> p_;
  std::vector<Instruction> out_;
  std::vector<std::size_t> start_;  // per classic instruction: its first eBPF slot
  std::vector<Fixup> fixups_;
};

// One instruction's mnemonic and operand (tcpdump -d's words); jumps get their targets after.
std::pair<std::string, std::string> classicText(const ClassicInstruction& in) {
  const uint16_t code = in.code, mode = code & kModeMask, op = code & kOpMask;
  const bool fromX = (code & kSrcX) != 0;
  const std::string k = absl::StrFormat("#0x%x", in.k);
  static constexpr const char* kSizeSuffix[] = {"", "h", "b", "dw"};
  const std::string size = kSizeSuffix[(code & kSizeMask) >> 3];
  switch (code > 0xff ? 0xff : code & kClassMask) {
    case kLd:
      if ((mode == kAbs || mode == kInd) && (code & kSizeMask) == kSizeMask) break;
      if (mode == kAbs) return {"ld" + size, absl::StrFormat("[%d]", in.k)};
      if (mode == kInd) return {"ld" + size, absl::StrFormat("[x + %d]", in.k)};
      if (code == (kLd | kMem)) return {"ld", absl::StrFormat("M[%d]", in.k)};
      if (code == (kLd | kLen)) return {"ld", "#pktlen"};
      if (code == kLd) return {"ld", k};
      break;
    case kLdx:
      if (code == (kLdx | kB | kMsh)) return {"ldxb", absl::StrFormat("4*([%d]&0xf)", in.k)};
      if (code == (kLdx | kMem)) return {"ldx", absl::StrFormat("M[%d]", in.k)};
      if (code == (kLdx | kLen)) return {"ldx", "#pktlen"};
      if (code == kLdx) return {"ldx", k};
      break;
    case kSt:
    case kStx:
      if (code == kSt || code == kStx)
        return {code == kSt ? "st" : "stx", absl::StrFormat("M[%d]", in.k)};
      break;
    case kAlu: {
      static constexpr const char* kAluNames[] = {"add", "sub", "mul", "div", "or", "and",
                                                  "lsh", "rsh", "neg", "mod", "xor"};
      if (!isKnownAluOp(op) || (op == kNeg && fromX)) break;
      if (op == kNeg) return {"neg", ""};
      bool bitwise = op == 0x40 || op == 0x50 || op == 0xa0;  // or, and, xor: hex, as tcpdump
      return {kAluNames[op >> 4], fromX ? "x" : bitwise ? k : absl::StrFormat("#%d", in.k)};
    }
    case kJmp: {
      static constexpr const char* kJumpNames[] = {"ja", "jeq", "jgt", "jge", "jset"};
      if (op > kJset) break;
      if (op == kJa) return {"ja", ""};
      return {kJumpNames[op >> 4], fromX ? "x" : k};
    }
    case kRet:
      if (code == kRet) return {"ret", absl::StrFormat("#%d", in.k)};
      if (code == (kRet | kRetA)) return {"ret", "a"};
      break;
    case kMisc:
      if (code == kMisc) return {"tax", ""};
      if (code == (kMisc | kTxa)) return {"txa", ""};
      break;
  }
  return {"unimp", absl::StrFormat("0x%x", code)};
}

}  // namespace

std::string disassembleClassic(std::span<const ClassicInstruction> program) {
  std::string out;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const ClassicInstruction& in = program[pc];
    auto [mnemonic, operand] = classicText(in);
    if (mnemonic == "ja") operand = std::to_string(pc + 1 + in.k);
    std::string line = absl::StrFormat("(%03d) %-8s %s", pc, mnemonic, operand);
    if (mnemonic.starts_with("j") && mnemonic != "ja")
      line = absl::StrFormat("(%03d) %-8s %-16s jt %d\tjf %d", pc, mnemonic, operand,
                             pc + 1 + in.jt, pc + 1 + in.jf);
    while (line.ends_with(' ')) line.pop_back();
    out += line + "\n";
  }
  return out;
}

Result<std::vector<Instruction>> translateClassic(std::span<const ClassicInstruction> program) {
  return Translator(program).run();
}

Result<std::vector<ClassicInstruction>> decodeClassicBytes(std::span<const uint8_t> bytes) {
  if (std::size_t extra = bytes.size() % 8; extra != 0)
    return fail("unexpected end", bytes.size() - extra, Diagnostic::Unit::Byte,
                absl::StrFormat("truncated instruction: %d trailing bytes", extra));
  std::vector<ClassicInstruction> program;
  program.reserve(bytes.size() / 8);
  for (std::size_t at = 0; at < bytes.size(); at += 8) {
    const uint8_t* b = bytes.data() + at;
    program.push_back(ClassicInstruction{
        .code = static_cast<uint16_t>(b[0] | b[1] << 8),
        .jt = b[2],
        .jf = b[3],
        .k = uint32_t{b[4]} | uint32_t{b[5]} << 8 | uint32_t{b[6]} << 16 | uint32_t{b[7]} << 24,
    });
  }
  return program;
}

}  // namespace morel::ebpf

#pragma once
// Classic BPF (the filters tcpdump and libpcap compile, Linux's SO_ATTACH_FILTER) and
// its translation to eBPF, as Linux's bpf_convert_filter does it: A is r0, X is r7,
// the scratch words M[0..15] live in the stack, packet loads become ldabs/ldind, and
// `ret` becomes exit.
//
// The translated program expects r1 = the packet's captured bytes (its input), r2 =
// their length and r3 = the packet's length on the wire (what `len` loads; for a
// packet captured whole, r2). It returns what the classic program returns: 0 drops
// the packet, anything else accepts it (libpcap's "matches").
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "morel/ebpf/EbpfProgram.h"
#include "morel/framework/Diagnostic.h"

namespace morel::ebpf {

/// One classic instruction, laid out as Linux's struct sock_filter and libpcap's
/// struct bpf_insn (8 bytes), so their arrays can be viewed as a span of these.
struct ClassicInstruction {
  uint16_t code = 0;
  uint8_t jt = 0;  // conditional jumps: skip this many instructions when true
  uint8_t jf = 0;  // ... and this many when false
  uint32_t k = 0;

  bool operator==(const ClassicInstruction&) const = default;
};
static_assert(sizeof(ClassicInstruction) == 8);

/// Linux's limit on a classic program (BPF_MAXINSNS).
inline constexpr std::size_t kMaxClassicInstructions = 4096;

/// Checks `program` as Linux and libpcap do (known opcodes, forward jumps inside the
/// program, scratch indices below 16, no constant division by zero or shift past 31,
/// a `ret` at the end) and translates it. Errors carry the category and the index of
/// the classic instruction at fault (Diagnostic::Unit::Instruction).
Result<std::vector<Instruction>> translateClassic(std::span<const ClassicInstruction> program);

/// The program in tcpdump -d's notation, one numbered line per instruction, jump targets
/// as instruction numbers: `(001) jeq      #0x800           jt 2\tjf 5`.
std::string disassembleClassic(std::span<const ClassicInstruction> program);

/// The classic instructions in the little-endian 8-byte layout of struct sock_filter;
/// a trailing partial instruction is an "unexpected end" at its byte.
Result<std::vector<ClassicInstruction>> decodeClassicBytes(std::span<const uint8_t> bytes);

}  // namespace morel::ebpf

#pragma once
// What an instruction reads and writes, shared by the loader's dataflow passes
// (EbpfDataflow.cpp: initialized registers; EbpfProvenance.cpp: pointer kinds).
#include <cstdint>

#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {

using Registers = uint16_t;  // bit n: register rn
constexpr Registers bit(uint8_t r) {
  return static_cast<Registers>(1u << r);
}

/// The registers one instruction reads and the ones it writes (a call writes r0
/// only: Morel's helpers and local calls leave r1 to r9 alone).
struct RegisterUse {
  Registers reads = 0;
  Registers writes = 0;
};
RegisterUse registerUse(const OpcodeInfo& row, const Instruction& in);

/// The bytes a load, store or atomic of this opcode moves (its size field).
int32_t accessBytes(uint8_t opcode);

}  // namespace morel::ebpf

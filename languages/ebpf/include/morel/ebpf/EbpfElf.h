#pragma once
// Reading an eBPF ELF object (`clang -O2 -target bpf -c`) with libelf, and its
// BTF map definitions with libbpf's BTF reader: program sections linked with the
// `.text` functions they call, relocations for calls and map references
// resolved, maps from BTF `.maps`, legacy `maps` and the global-data sections.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "morel/ebpf/EbpfMap.h"
#include "morel/ebpf/EbpfProgram.h"

namespace morel::ebpf {

/// One program: its section's code, then `.text` when it calls a function there.
/// A map reference is `lddw_map_fd` (imm = the map's index in ElfObject::maps)
/// or `lddw_map_value` (global data: imm = the map, the second slot the offset).
struct ElfProgram {
  std::string section;
  std::vector<Instruction> code;
};

struct ElfMap {
  MapDefinition definition;
  std::vector<uint8_t> initialValue;  // global data (.data, .rodata): the one value
};

/// A program array slot the object fills (`.values = { [i] = &prog }`).
struct ElfProgramSlot {
  uint32_t map;
  uint32_t slot;
  uint32_t program;  // index in ElfObject::programs
};

struct ElfObject {
  std::vector<ElfMap> maps;
  std::vector<ElfProgram> programs;
  std::vector<ElfProgramSlot> programSlots;
};

/// True when `bytes` start like an ELF file (the launcher's and Context's test).
bool looksLikeElf(std::span<const uint8_t> bytes);

/// Reads the object. Errors: "malformed ELF" (position: byte), "bad relocation"
/// and "unknown map" (position: instruction index in the named section),
/// "invalid map" / "unsupported map type" (the map named).
Result<ElfObject> readElfObject(std::span<const uint8_t> bytes);

}  // namespace morel::ebpf

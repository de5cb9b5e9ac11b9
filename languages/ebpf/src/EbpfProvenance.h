#pragma once
// The loader's pointer provenance (EbpfProvenance.cpp): which region each memory
// instruction's pointer points into, so each access is proven in bounds at load
// time, refused, or checked at run time against that region alone.
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/EbpfProgram.h"
#include "morel/ebpf/nodes/EbpfRegionCheck.h"

namespace morel::ebpf {

struct ProvenanceFacts {
  /// The values of the map an `lddw` with a map pseudo-source at this instruction
  /// names; nullopt when its values do not lie (wholly, below the input) in memory.
  std::function<std::optional<MapValueLayout>(uint32_t pc)> mapAt;
  /// The address such an lddw loads (a map handle, or a value's address for src 2).
  std::function<uint64_t(uint32_t pc)> loadedAt;
  /// The helper that answers a pointer to a map's value or null (map_lookup_elem).
  std::optional<uint32_t> lookupHelper;
  /// Every run enters with r1 = the input's address; the input is
  /// [inputBase, the memory's size).
  bool r1IsInput = false;
  uint64_t inputBase = 0;
  /// The stack, [0, stackBytes), below the input.
  uint64_t stackBytes = 0;
};

/// Per instruction slot: the region its access is checked against (Memory for
/// instructions that access none). Refuses, naming the instruction, an access to
/// a map value at a constant offset outside the value ("invalid access to map
/// value") and one through a lookup's result before its null check ("possible
/// null dereference of a map value"). Needs a program `verify` accepted.
Result<std::vector<AccessRegion>> checkProvenance(std::span<const Instruction> program,
                                                  const ProvenanceFacts& facts);

}  // namespace morel::ebpf

#pragma once
// Escape analysis of eBPF stack frames (EbpfStackSlots.cpp): which r10-relative
// accesses of a function may live in frame slots instead of the stack memory.
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "morel/ebpf/EbpfProgram.h"
#include "morel/ebpf/nodes/EbpfRegionCheck.h"

namespace morel::ebpf {

/// One function's replaced stack slots: each is an (offset, size) the function
/// reads and writes only through r10 at that offset and size.
struct StackSlotPlan {
  uint32_t count = 0;                                    // frame slots the function needs for them
  absl::flat_hash_map<uint32_t, uint32_t> slotOfAccess;  // instruction slot -> replaced slot
};

struct StackSlotFacts {
  std::span<const Instruction> program;
  std::span<const uint32_t> functionEntries;  // sorted, 0 first
  std::span<const AccessRegion> regions;      // per instruction slot (checkProvenance)
  /// Whether a `call` of this helper may end its caller (tail_call): the called
  /// program reuses the caller's stack and may read what it left there.
  std::function<bool(const Instruction&)> callMayEnd;
  /// The stack stays inside the memory for the memory's whole life.
  bool stackIsFloor = false;
  uint64_t stackSize =
      0;  // the stack is [0, stackSize), the entry function's frame its top 512 bytes
};

struct StackSlotPlans {
  /// Per function entry (none: the function keeps its whole frame in memory).
  std::map<uint32_t, StackSlotPlan> functions;
  /// [sealedFrom, stackSize) holds the frames with replaced slots (stackSize:
  /// none). Only a pointer made from a number could reach them; the loader makes
  /// such accesses trap (AccessRegion::Kind::Outside) rather than see stale bytes.
  uint64_t sealedFrom = 0;
};

/// Replaced slots are exact in every tier because the interpreter runs the same
/// plan: see docs/architecture.md, "Stack slots in frame slots".
StackSlotPlans planStackSlots(const StackSlotFacts& facts);

}  // namespace morel::ebpf

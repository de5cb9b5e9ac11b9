#pragma once
// A loaded eBPF program: verified instructions, its tree of basic blocks and
// the call target that runs it. The program's result is r0.
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "morel/ebpf/EbpfHelpers.h"
#include "morel/ebpf/EbpfProgram.h"
#include "morel/framework/Arena.h"
#include "morel/framework/CallTarget.h"
#include "morel/framework/LinearMemory.h"
#include "morel/framework/RootNode.h"
#include "morel/framework/Runtime.h"

namespace morel::ebpf {

class EbpfDispatchRoot;

/// Where one map's values lie in a program's memory: value k at base + k * stride.
struct MapValueLayout {
  uint64_t base;
  uint64_t stride;
  uint32_t valueSize;
  uint32_t entries;
};

class EbpfInstance {
 public:
  /// The program's sandbox: one linear memory laid out as [stack (kStackSize
  /// bytes) | input] (an ELF object puts its map values between the two).
  /// Addresses the program sees are offsets in it: r10 = kStackSize, the input
  /// starts there too. Every load and store is checked against the region its
  /// pointer points into (EbpfProvenance.cpp), the whole memory when unknown.
  static constexpr uint64_t kStackSize = uint64_t{512} * 8;  // 512 bytes for each of 8 nested calls
  static constexpr uint64_t kMaxInputSize = uint64_t{64} << 20;

  /// What a program kind decides: assembly and `.data` programs take the
  /// defaults (uBPF's helpers, a memory of their own); an ELF object's programs
  /// share the object's memory and maps and call Linux's helpers.
  /// Where an array map's values lie: slot k at base + k * stride, k < entries.
  struct ArraySlots {
    uint64_t base;
    uint64_t stride;
    uint32_t entries;
  };
  struct Options {
    std::span<const EbpfHelper> helpers = ebpfHelpers();
    /// The memory to run in (the caller keeps it alive); null: one of its own.
    LinearMemory* memory = nullptr;
    /// Where the input starts in that memory (the stack, then e.g. map values, below it).
    uint64_t inputBase = kStackSize;
    /// The value an `lddw` with a map pseudo-source loads (`lo` its first slot,
    /// `hi` its second), or an error message when it names no map.
    std::function<std::expected<uint64_t, std::string>(const Instruction& lo, const Instruction& hi)> mapLoad;
    /// Helpers whose call must stay in the entry function (tail_call: the
    /// program it starts reuses the stack, so no caller frame may be live).
    std::vector<uint32_t> entryOnlyHelpers;
    /// For `call helper` with r1 = `handle` (an `lddw r1, map` earlier in the
    /// call's block): the slots, when the call is a lookup in an array map. The
    /// call is then computed in place (EbpfArrayLookupNode), without the helper.
    std::function<std::optional<ArraySlots>(uint32_t helper, uint64_t handle)> arrayLookup;
    /// For the loader's pointer provenance (EbpfProvenance.cpp), which checks each
    /// access against the region its pointer points into:
    /// the values of the map an `lddw` with a map pseudo-source names (`lo` its
    /// first slot); nullopt for a map without values in memory.
    std::function<std::optional<MapValueLayout>(const Instruction& lo)> mapValues;
    /// The helper that answers a pointer to a map's value or null (map_lookup_elem).
    std::optional<uint32_t> lookupHelper;
    /// Every run enters with r1 = the input's address (runWithInput, runPacket, a
    /// tail call), never run(context): accesses through it are checked against the input.
    bool r1IsInput = false;
  };

  /// Verifies `program` and builds its tree. `name` names the call target.
  static Result<std::unique_ptr<EbpfInstance>> load(std::span<const Instruction> program,
                                                    const std::string& name, Runtime& runtime,
                                                    const Options& options);
  static Result<std::unique_ptr<EbpfInstance>> load(std::span<const Instruction> program,
                                                    const std::string& name, Runtime& runtime);
  /// Assembles text first (errors name the line).
  static Result<std::unique_ptr<EbpfInstance>> loadAssembly(std::string_view text,
                                                            std::string_view name, Runtime& runtime);

  CallTarget& target() const { return *target_; }
  /// Runs the program with r1 = `context` and an empty input; returns r0, or the trap's status.
  std::expected<uint64_t, Status> run(uint64_t context = 0);
  /// Runs the program over `input` (a packet, a conformance test's `-- mem`):
  /// r1 = its address, r2 = its length.
  std::expected<uint64_t, Status> runWithInput(std::span<const uint8_t> input);
  /// Runs the program over a captured packet: r1 = its bytes' address, r2 = their
  /// length, r3 = the packet's length on the wire (a translated classic filter's `len`).
  std::expected<uint64_t, Status> runPacket(std::span<const uint8_t> bytes, uint64_t wireLength);
  /// Calls the program as it stands, memory untouched: r1, r2 as given, r10 the
  /// stack top (a tail call from another program of the same memory).
  std::expected<uint64_t, Status> callWith(uint64_t r1, uint64_t r2, uint64_t r3 = 0);

  LinearMemory& memory() const { return *memory_; }
  uint64_t inputBase() const { return inputBase_; }
  std::size_t blockCount() const;

 private:
  EbpfInstance() = default;
  std::expected<uint64_t, Status> call(uint64_t r1, uint64_t r2, uint64_t r3 = 0);
  void prepare(std::span<const uint8_t> input);
  std::unique_ptr<LinearMemory> ownMemory_;  // before arena_: nodes refer to it
  LinearMemory* memory_ = nullptr;           // ownMemory_, or a shared one
  uint64_t inputBase_ = kStackSize;
  uint64_t stackFootprint_ = kStackSize;  // the bytes below r10 a run zeroes first
  Arena arena_;
  RootNode* root_ = nullptr;
  CallTarget* target_ = nullptr;  // the main program's, one of targets_
  std::vector<std::unique_ptr<CallTarget>> targets_;  // functions and helpers
  std::map<uint64_t, EbpfCallxHelper> callxHelpers_;  // by number, for callx's inline cache
};

}  // namespace morel::ebpf

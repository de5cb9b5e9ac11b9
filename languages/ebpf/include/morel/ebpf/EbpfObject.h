#pragma once
// A loaded eBPF ELF object: its programs (one per code section) and its maps,
// sharing one linear memory laid out as [stack | map values | input]. Programs
// call Linux's helpers (EbpfLinuxHelpers.cpp) and tail-call each other through
// program arrays.
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "morel/ebpf/EbpfHelpers.h"
#include "morel/ebpf/EbpfInstance.h"
#include "morel/ebpf/EbpfMap.h"

namespace morel::ebpf {

inline constexpr TrapKind kNotAMap{"helper argument is not a map"};
inline constexpr TrapKind kNotASample{"helper argument is not a reserved ring buffer sample"};

class EbpfObject {
 public:
  struct Options {
    /// Where trace_printk's lines go (Linux's trace_pipe); empty: nowhere.
    std::function<void(std::string_view line)> trace;
  };
  /// Reads and links the object (EbpfElf.h), makes its maps and loads every
  /// program. Errors carry the ELF reader's or the verifier's category and position.
  static Result<std::unique_ptr<EbpfObject>> load(std::span<const uint8_t> elf, Runtime& runtime,
                                                  Options options);
  static Result<std::unique_ptr<EbpfObject>> load(std::span<const uint8_t> elf, Runtime& runtime) {
    return load(elf, runtime, Options{});
  }

  std::size_t programCount() const { return programs_.size(); }
  const std::string& section(std::size_t program) const { return sections_[program]; }
  std::optional<std::size_t> findProgram(std::string_view section) const;
  EbpfInstance& program(std::size_t index) const { return *programs_[index]; }

  /// Runs a program over `input` (r1 its address, r2 its length); maps keep
  /// their contents from run to run.
  std::expected<uint64_t, Status> run(std::size_t program, std::span<const uint8_t> input);
  /// The same over a captured packet, with r3 = its length on the wire.
  std::expected<uint64_t, Status> runPacket(std::size_t program, std::span<const uint8_t> bytes,
                                            uint64_t wireLength);

  const std::vector<std::unique_ptr<EbpfMap>>& maps() const { return maps_; }
  EbpfMap* findMap(std::string_view name) const;
  /// The map an `lddw rN, map` handle names, or nullptr.
  EbpfMap* mapOfHandle(uint64_t handle) const;
  /// The ring buffer whose memory holds `address`, or nullptr.
  EbpfRingBuf* ringHolding(uint64_t address) const;
  LinearMemory& memory() const { return *memory_; }

  /// tail_call's work: runs the program in `slot` of `array` in place of the
  /// caller; nullopt when the slot is empty or the chain is too long (33, as Linux).
  std::optional<uint64_t> tailCall(const EbpfProgArray& array, uint64_t slot);
  const std::function<void(std::string_view)>& trace() const { return trace_; }
  uint32_t randomU32() { return static_cast<uint32_t>(random_()); }

 private:
  EbpfObject() = default;
  std::unique_ptr<LinearMemory> memory_;  // before programs_: their nodes refer to it
  std::vector<std::unique_ptr<EbpfMap>> maps_;
  std::vector<EbpfHelper> helpers_;  // the Linux table, bound to this object
  std::vector<std::string> sections_;
  std::vector<std::unique_ptr<EbpfInstance>> programs_;
  std::function<void(std::string_view)> trace_;
  std::mt19937 random_{std::random_device{}()};
  uint64_t inputLength_ = 0;
  uint32_t tailCalls_ = 0;  // in the current run
};

/// Linux's helpers (numbers from linux/bpf.h) for the programs of `object`.
std::vector<EbpfHelper> linuxHelpers(EbpfObject& object);
/// The helper numbers that may only be called from a program's entry function.
inline constexpr uint32_t kTailCallHelper = 12;
inline constexpr uint32_t kMapLookupHelper = 1;  // map_lookup_elem

/// The maps as text: each map's entries (integers in decimal, other keys and
/// values in hex bytes; arrays only their non-zero slots), a ring buffer's
/// unconsumed records in hex; an array of 8-byte counters
/// whose name contains "hist" prints as a log2 histogram with bars, as bpftrace does.
std::string formatMaps(const EbpfObject& object);

}  // namespace morel::ebpf

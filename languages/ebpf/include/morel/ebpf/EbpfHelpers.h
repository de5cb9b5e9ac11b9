#pragma once
// The helper functions an eBPF program calls by number (`call N`, `callx %rN`).
// Each is a host function (a CallTarget that interpreted and compiled code call
// alike). The numbers and meanings are uBPF's test helpers, so programs and
// conformance tests written for uBPF run unchanged. An ELF object's programs
// get the Linux numbering instead (EbpfLinuxHelpers.h): a program kind picks
// its helper table.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "morel/framework/CallTarget.h"
#include "morel/framework/LinearMemory.h"

namespace morel::ebpf {

struct EbpfHelper {
  uint32_t number;
  std::string_view name;
  /// True when a zero result ends the program at once with r0 = 0 (uBPF's
  /// "unwind" stack extension).
  bool unwindsOnZero;
  /// Arguments are r1..r5; pointers are addresses in the program's memory.
  std::function<uint64_t(LinearMemory& memory, const uint64_t* args)> call;
  /// Set instead of `call` for a helper that may end its calling function with
  /// a result of its own (tail_call): returns r0 and sets `ends` to end it.
  std::function<uint64_t(LinearMemory& memory, const uint64_t* args, bool& ends)> callEnding = {};

  /// True when a call may end the calling function (the call then ends its block).
  bool mayEnd() const { return unwindsOnZero || static_cast<bool>(callEnding); }
};

/// What callx's inline cache (EbpfCallxNode) needs to call a helper directly:
/// its host function and how its result says to end the function.
struct EbpfCallxHelper {
  uint64_t number = 0;
  CallTarget* target = nullptr;  // [r1..r5] -> [r0] or, when ending, [r0, ends]
  bool ending = false;           // EbpfHelper::callEnding is set
  bool unwindsOnZero = false;
};

/// uBPF's test helpers (numbers 0-5), the table of assembly and `.data` programs.
const std::vector<EbpfHelper>& ebpfHelpers();
const EbpfHelper* findHelper(uint64_t number);
/// The helper `number` of `table`, or nullptr.
const EbpfHelper* findHelper(std::span<const EbpfHelper> table, uint64_t number);

inline constexpr TrapKind kUnknownHelper{"call to an unknown helper"};

}  // namespace morel::ebpf

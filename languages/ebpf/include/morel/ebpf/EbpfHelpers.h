#pragma once
// The helper functions an eBPF program calls by number (`call N`, `callx %rN`).
// Each is a host function (a CallTarget that interpreted and compiled code call
// alike). The numbers and meanings are uBPF's test helpers, so programs and
// conformance tests written for uBPF run unchanged; Linux's map and ring-buffer
// helpers come with maps.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

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
};

const std::vector<EbpfHelper>& ebpfHelpers();
const EbpfHelper* findHelper(uint64_t number);

inline constexpr TrapKind kUnknownHelper{"call to an unknown helper"};

}  // namespace morel::ebpf

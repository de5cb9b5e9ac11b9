#pragma once
// The per-context words every guest activation checks, in every tier: an
// interrupt request (cancellation, CPU-time limit), the host-stack backstop and
// the guest frame budget (sandbox.MaxStackFrames). Compiled code reads them at
// fixed offsets from one address, as V8's code reads its isolate's stack guard.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "morel/framework/Trap.h"

namespace morel {

/// Reasons a host stops a guest. They travel as trap statuses, so compiled and
/// interpreted frames unwind them like any trap; embedders tell them apart.
inline constexpr TrapKind kInterrupted{"interrupted"};
inline constexpr TrapKind kCancelled{"context cancelled"};
inline constexpr TrapKind kCpuTimeExceeded{"sandbox.MaxCPUTime exceeded"};

/// The guest asked to end its run (a system interface's exit call). Not a trap,
/// but it unwinds like one through every tier; whoever raised it keeps the exit
/// code.
inline constexpr TrapKind kGuestExit{"guest exited"};

/// True for statuses that a host limit raised rather than guest code.
inline bool isLimitStatus(Status s) {
  return s == statusOf(kInterrupted) || s == statusOf(kCancelled) || s == statusOf(kCpuTimeExceeded);
}

struct GuestLimits {
  /// Non-zero: every guest activation stops with this status at its next poll
  /// (function entry, loop back-edge). Written by any thread.
  std::atomic<Status> interrupt{0};
  /// Entries below this host stack address fail with "call stack exhausted".
  /// An interrupt also raises it to the top (V8's stack-guard trick), so the
  /// one compare an entry makes catches both; the slow path tells them apart.
  std::atomic<uintptr_t> stackLimit{0};
  /// Guest frames that may still be entered; an entry that would make it negative
  /// fails with "call stack exhausted". Reset at each host-to-guest entry.
  int64_t framesLeft = 0;

  Status pendingInterrupt() const { return interrupt.load(std::memory_order_relaxed); }
  /// The status an entry that failed the stack compare returns.
  Status entryFailure() const {
    Status s = pendingInterrupt();
    return s != 0 ? s : statusOf(kCallStackExhausted);
  }
  static constexpr uintptr_t kInterruptedStackLimit = UINTPTR_MAX;

  static constexpr int32_t interruptOffset() { return offsetof(GuestLimits, interrupt); }
  static constexpr int32_t stackLimitOffset() { return offsetof(GuestLimits, stackLimit); }
  static constexpr int32_t framesLeftOffset() { return offsetof(GuestLimits, framesLeft); }
};

static_assert(sizeof(std::atomic<Status>) == sizeof(Status), "compiled code reads it as a word");
static_assert(sizeof(std::atomic<uintptr_t>) == sizeof(uintptr_t), "compiled code reads it as a word");

}  // namespace morel

#pragma once
// Guard-page bounds checks (as JIT compilers' trap handlers do them):
// compiled code accesses a guarded memory (MemoryGuard::Below2To34) without a
// compare; an access past the memory's size hits a PROT_NONE page of its
// reservation, and a SIGSEGV/SIGBUS handler turns the fault into the
// "out of bounds memory access" trap the explicit check would have raised.
//
// A backend registers each piece of code with such accesses: where each
// unchecked access instruction starts and how many inlined calls are open
// there. The handler accepts a fault only when the faulting instruction is one
// of those and the faulting address lies in that access's memory reservation;
// it then does what the access's TrapExit would: it resumes at morel_unwind
// (CompiledBoundary.h) with the trap status, which returns it from the thread's
// innermost io entry. Every other fault goes to the
// handler installed before (a sanitizer's, or the default action).
#include <cstdint>
#include <memory>
#include <vector>

#include "morel/framework/GuestLimits.h"

namespace morel {

/// One unchecked access instruction of a piece of code.
struct GuardedAccess {
  uint32_t codeOffset;        // where the instruction starts, from the code's start
  uintptr_t reservation;      // the memory's base
  uint64_t reservationBytes;  // its reserved address space (2^34)
};

/// A registration, alive as long as the code is: destroying it unregisters the code
/// (and waits for a handler that may be reading it).
class GuardedCode {
 public:
  /// Registers [start, start + size): a trapped access unwinds to the innermost
  /// boundary (code is only entered through one).
  static std::unique_ptr<GuardedCode> add(uintptr_t start, std::size_t size,
                                          std::vector<GuardedAccess> accesses);
  ~GuardedCode();
  GuardedCode(const GuardedCode&) = delete;
  GuardedCode& operator=(const GuardedCode&) = delete;

  /// The access whose instruction starts at `pc` (nullptr: none).
  const GuardedAccess* find(uintptr_t pc) const;

  uintptr_t start() const { return start_; }
  uintptr_t end() const { return end_; }

 private:
  GuardedCode() = default;
  uintptr_t start_ = 0, end_ = 0;
  std::vector<GuardedAccess> accesses_;  // sorted by codeOffset
  void* slot_ = nullptr;                 // the registry slot holding this
};

/// Installs the SIGSEGV/SIGBUS handler once per process (GuardedCode::add calls it).
void installGuardPageHandler();

/// Gives the calling thread an alternate signal stack if it has none, so the
/// handler runs even where the guest stack has little room left. Cheap after the
/// first call on a thread; called at each outermost guest entry.
void ensureSignalStack();

/// Faults turned into traps so far, process-wide (for tests and statistics).
uint64_t guardPageTrapCount();

}  // namespace morel

#pragma once
// The boundary between C++ and compiled code (docs/architecture.md, "Traps
// unwind to the boundary"). Every C++-to-compiled transition goes through a
// compiled function's io entry, which enters `morel_enterCompiled`: it saves the
// callee-saved registers, the frame budget word and the previous boundary on the
// stack and records that RSP as the thread's innermost boundary. A trap, an
// interrupt, an exhausted stack or a status coming back from C++ into compiled
// code then calls `morel_unwind`, which cuts the stack back to the innermost
// boundary and returns the status from the io entry: compiled callers never test
// a status after a call. An unwind never crosses a C++ frame (each C++-to-compiled
// call is a boundary of its own), so no destructor is skipped.
#include <cstdint>

#include "morel/framework/Trap.h"

extern "C" {
/// Not called from C++: an io entry jumps here with RDI = self, RSI = io, argument
/// words 0..2 already in RCX, R8, R9, RAX = the function's direct entry, R10 = its
/// GuestLimits and R11 = 1 when the function returns result word 0 in RDX (stored
/// into io[0]). Returns the Status of Entry.
void morel_enterCompiled();
/// The direct entry of a target without compiled code (CallTarget::directAdapter
/// behind a thunk): compiled callers pass the budget in R11 and expect it back
/// there, which a C++ function does not promise.
void morel_directAdapter();
/// Leaves compiled code with `status` (non-zero): back to the thread's innermost
/// boundary, whose io entry returns it. Only compiled code and the functions it
/// calls directly (CallTarget::directAdapter, with no live object that has a
/// destructor) may call it, and the guard-page handler may resume a fault here.
[[noreturn]] void morel_unwind(morel::Status status);
}

namespace morel {
/// The thread's innermost boundary (its stack pointer), 0 outside compiled code:
/// tests check that none is left behind.
uintptr_t innermostBoundary();
}  // namespace morel

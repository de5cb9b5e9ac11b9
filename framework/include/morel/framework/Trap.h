#pragma once
// Guest traps. A language defines its trap kinds as static TrapKind objects with
// the spec's message; interpreter and compiled code report the same object.
#include <cstdint>

namespace morel {

struct TrapKind {
  const char* message;  // e.g. "integer divide by zero"
};

/// Framework-level traps every language may raise.
inline constexpr TrapKind kCallStackExhausted{"call stack exhausted"};

/// How the interpreter unwinds a trap to its call target's entry. It never
/// crosses compiled frames: every entry converts it into a status.
struct TrapException {
  const TrapKind* kind;
};

/// Status returned by every call target entry: 0 or the address of a TrapKind.
using Status = intptr_t;
// A status is a TrapKind's address, so compiled code can return it in one register.
inline Status statusOf(const TrapKind& kind) { return reinterpret_cast<Status>(&kind); }
inline const TrapKind* trapOf(Status s) {
  return reinterpret_cast<const TrapKind*>(s);  // NOLINT(performance-no-int-to-ptr): see above
}

}  // namespace morel

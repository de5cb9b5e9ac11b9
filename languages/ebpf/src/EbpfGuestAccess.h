#pragma once
// How helpers reach a program's memory: every pointer argument is a guest
// address, checked against the program's linear memory before the host touches
// a byte, so a helper never reads or writes outside the sandbox either.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "morel/framework/LinearMemory.h"
#include "morel/framework/Trap.h"

namespace morel::ebpf {

/// The host address of [address, address + n) in the program's memory; traps outside it.
inline uint8_t* guestBytes(LinearMemory& m, uint64_t address, uint64_t n) {
  if (address > m.size() || n > m.size() - address) throw TrapException{&kOutOfBoundsMemoryAccess};
  return m.base() + address;
}

/// A NUL-terminated string in the program's memory, at most `limit` bytes
/// before the NUL; traps if it runs off the end of the memory or the limit.
inline std::string_view guestString(LinearMemory& m, uint64_t address,
                                    uint64_t limit = UINT64_MAX) {
  const uint8_t* p = guestBytes(m, address, 0);
  uint64_t left = std::min(m.size() - address, limit);
  uint64_t n = 0;
  while (n < left && p[n] != 0) ++n;
  if (n == left) throw TrapException{&kOutOfBoundsMemoryAccess};
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace morel::ebpf

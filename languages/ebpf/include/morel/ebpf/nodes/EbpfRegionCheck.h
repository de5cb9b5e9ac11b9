#pragma once
// The run-time check of one eBPF memory access against the region its pointer
// came from (the loader's provenance pass, EbpfProvenance.cpp, picks the region).
// Written once for every domain, so the interpreter and compiled code trap on the
// same accesses, with the same trap as a whole-memory check.
#include <cstdint>

#include "morel/framework/MemoryAccess.h"

namespace morel::ebpf {

/// Where an access may land. `Fixed` regions lie below the input and the memory
/// never shrinks below the input, so passing their check also keeps the access
/// inside the memory (the loader only picks them when that holds); `Input`
/// includes the whole-memory check.
struct AccessRegion {
  enum class Kind : uint8_t {
    Memory,   // unknown provenance: anywhere in the memory
    Proven,   // the loader proved it in bounds: no run-time check
    Fixed,    // [base, base + bytes); with `valueMask`, inside one value of that many
    Input,    // [base, the memory's size): the input the program runs over
    Outside,  // anywhere in the memory but [base, base + bytes): stack frames kept in frame slots
  };
  Kind kind = Kind::Memory;
  uint64_t base = 0;
  uint64_t bytes = 0;
  /// Fixed over a map's values: stride - 1 for a power-of-two stride (each value
  /// checked on its own), else 0 (the map's values as one block).
  uint64_t valueMask = 0;
  uint64_t valueSize = 0;
};

/// Traps with "out of bounds memory access" unless [address, address + size)
/// lies inside `region`. Inlined: in the interpreter, the switch on a node's own
/// region is then one predictable branch instead of a call.
template <class D>
[[gnu::always_inline]] inline void checkRegion(D& d, LinearMemory& m, const AccessRegion& region,
                                               Val<D, int64_t> address, int64_t size) {
  switch (region.kind) {
    case AccessRegion::Kind::Memory:
      checkBounds(d, m, address, size);
      return;
    case AccessRegion::Kind::Proven:
      return;
    case AccessRegion::Kind::Fixed: {
      // The offset wraps to a huge number below base: one compare for both ends
      // (the loader makes sure size <= valueSize <= bytes).
      auto offset = d.sub(address, d.i64(static_cast<int64_t>(region.base)));
      auto outside = d.gtU(offset, d.i64(static_cast<int64_t>(region.bytes) - size));
      if (region.valueMask != 0) {
        auto inValue = d.bitAnd(offset, d.i64(static_cast<int64_t>(region.valueMask)));
        outside =
            d.bitOr(outside, d.gtU(inValue, d.i64(static_cast<int64_t>(region.valueSize) - size)));
      }
      d.trapIf(outside, kOutOfBoundsMemoryAccess);
      return;
    }
    case AccessRegion::Kind::Input: {
      // The input ends where the memory does (a run sizes the memory to it): the
      // whole-memory check's two compares (so an address near 2^64 cannot wrap
      // past it), and one for the input's start. Nothing here assumes the memory
      // reaches base, so a memory shared with other programs stays safe too.
      auto memorySize = d.memSize(m);
      auto end = d.add(address, d.i64(size));
      auto outside = d.bitOr(d.gtU(address, memorySize), d.gtU(end, memorySize));
      d.trapIf(d.bitOr(d.ltU(address, d.i64(static_cast<int64_t>(region.base))), outside),
               kOutOfBoundsMemoryAccess);
      return;
    }
    case AccessRegion::Kind::Outside: {
      // A pointer of unknown provenance may not reach the bytes the loader keeps in
      // frame slots (EbpfStackSlots.cpp): it would see stale memory. Past the
      // whole-memory check the end cannot wrap, so one unsigned compare finds an
      // overlap: address + size - 1 - base < bytes + size - 1.
      checkBounds(d, m, address, size);
      auto last = d.sub(d.add(address, d.i64(size - 1)), d.i64(static_cast<int64_t>(region.base)));
      d.trapIf(d.ltU(last, d.i64(static_cast<int64_t>(region.bytes) + size - 1)),
               kOutOfBoundsMemoryAccess);
      return;
    }
  }
}

template <class Stored, class T, class D>
Val<D, T> regionLoad(D& d, LinearMemory& m, const AccessRegion& region, Val<D, int64_t> address) {
  checkRegion(d, m, region, address, sizeof(Stored));
  return d.template loadMemory<Stored, T>(m, address);
}

template <class Stored, class T, class D>
void regionStore(D& d, LinearMemory& m, const AccessRegion& region, Val<D, int64_t> address,
                 Val<D, T> value) {
  checkRegion(d, m, region, address, sizeof(Stored));
  d.template storeMemory<Stored, T>(m, address, value);
}

}  // namespace morel::ebpf

#pragma once
// Guest memory accesses, written once for every domain (design brief, rule 1):
// the bounds check and the access. `Stored` is the C++ type of the bytes in
// memory (int8_t, uint16_t, int32_t, float, ...), T the guest value it loads
// into or stores from: a narrower signed Stored sign-extends, an unsigned one
// zero-extends; a store truncates. Addresses are 64-bit and unsigned.
//
// An access is a statement's side effect (rule 3): the language puts it at a
// statement's root, so a deoptimization never repeats a store.
#include <cstdint>

#include "morel/framework/DomainNode.h"
#include "morel/framework/LinearMemory.h"

namespace morel {

/// What a language knows of its addresses. `Any`: any 64-bit value. `Below2To34`:
/// less than 2^34 (a 32-bit base plus a 32-bit offset), so adding an access's
/// size cannot wrap.
enum class AddressRange : uint8_t { Any, Below2To34 };

/// The one place that decides whether an access in domain D compares its address
/// with the memory's size: not where D's code turns a guard-page fault into the
/// trap (compiled code, `D::kGuardPagesTrap`) and the memory's reservation covers
/// every address of the range (GuardPageTraps.h). The interpreter always compares.
template <class D>
constexpr bool needsExplicitCheck(const LinearMemory& m, AddressRange range) {
  return !(D::kGuardPagesTrap && range == AddressRange::Below2To34 &&
           m.guard() == MemoryGuard::Below2To34);
}

/// Traps unless [address, address + bytes) lies inside the memory.
template <class D>
void checkBounds(D& d, LinearMemory& m, Val<D, int64_t> address, int64_t bytes,
                 AddressRange range = AddressRange::Any) {
  if (!needsExplicitCheck<D>(m, range)) return;  // the access itself faults into the trap
  auto size = d.memSize(m);
  auto end = d.add(address, d.i64(bytes));
  if (range == AddressRange::Below2To34) {  // one compare: the end cannot wrap
    d.trapIf(d.gtU(end, size), kOutOfBoundsMemoryAccess);
    return;
  }
  // Two compares, so an address near 2^64 cannot wrap past the check.
  d.trapIf(d.bitOr(d.gtU(address, size), d.gtU(end, size)), kOutOfBoundsMemoryAccess);
}

template <class Stored, class T, class D>
Val<D, T> checkedLoad(D& d, LinearMemory& m, Val<D, int64_t> address, AddressRange range = AddressRange::Any) {
  checkBounds(d, m, address, sizeof(Stored), range);
  return d.template loadMemory<Stored, T>(m, address);
}

template <class Stored, class T, class D>
void checkedStore(D& d, LinearMemory& m, Val<D, int64_t> address, Val<D, T> value,
                  AddressRange range = AddressRange::Any) {
  checkBounds(d, m, address, sizeof(Stored), range);
  d.template storeMemory<Stored, T>(m, address, value);
}

/// An access at a constant address that stays in bounds for the memory's whole
/// life (a cell the host laid out, such as a global variable's): no check, only the
/// raw access. The caller guarantees address + sizeof(Stored) <= m.size() from
/// now on (so the memory must never shrink below it).
template <class Stored, class T, class D>
Val<D, T> uncheckedLoad(D& d, LinearMemory& m, uint64_t address) {
  return d.template loadMemory<Stored, T>(m, d.i64(static_cast<int64_t>(address)));
}

template <class Stored, class T, class D>
void uncheckedStore(D& d, LinearMemory& m, uint64_t address, Val<D, T> value) {
  d.template storeMemory<Stored, T>(m, d.i64(static_cast<int64_t>(address)), value);
}

}  // namespace morel

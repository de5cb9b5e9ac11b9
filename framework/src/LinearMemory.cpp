#include "morel/framework/LinearMemory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace morel {

namespace {
uint64_t pageRound(uint64_t bytes) {
  auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return (bytes + page - 1) / page * page;
}
}  // namespace

Result<std::unique_ptr<LinearMemory>> LinearMemory::create(uint64_t initialBytes,
                                                           uint64_t maximumBytes,
                                                           MemoryGuard guard) {
  if (initialBytes > maximumBytes)
    return fail("memory size must be at most the maximum", 0, Diagnostic::Unit::Byte,
                absl::StrCat(initialBytes, " > ", maximumBytes));
  std::unique_ptr<LinearMemory> m(new LinearMemory());
  if (guard == MemoryGuard::Below2To34 && maximumBytes > kGuardedReservation)
    return fail("memory size must be at most the maximum", 0, Diagnostic::Unit::Byte,
                absl::StrCat(maximumBytes, " > ", kGuardedReservation,
                             " (a guarded memory's reservation)"));
  m->maximum_ = maximumBytes;
  m->guard_ = guard;
  // A guarded memory reserves every address an access may reach (virtual only:
  // PROT_NONE and MAP_NORESERVE commit nothing); the rest only its maximum.
  m->reserved_ = guard == MemoryGuard::Below2To34 ? kGuardedReservation
                                                  : pageRound(std::max<uint64_t>(maximumBytes, 1));
  // Reserve address space only; pages become accessible as the memory grows.
  void* p = mmap(nullptr, m->reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return fail("out of memory", 0, Diagnostic::Unit::Byte,
                absl::StrCat("cannot reserve ", m->reserved_, " bytes for a linear memory"));
  m->base_ = static_cast<uint8_t*>(p);
  if (!m->resize(initialBytes))
    return fail("out of memory", 0, Diagnostic::Unit::Byte,
                absl::StrCat("cannot commit ", initialBytes, " bytes of linear memory"));
  return m;
}

LinearMemory::~LinearMemory() {
  if (base_ != nullptr) munmap(base_, reserved_);
}

bool LinearMemory::grow(uint64_t bytes) {
  if (bytes > maximum_ - size_) return false;
  return resize(size_ + bytes);
}

bool LinearMemory::resize(uint64_t bytes) {
  if (bytes > maximum_ || bytes < floor_) return false;
  uint64_t need = pageRound(bytes);
  // Compiled code relies on every byte past a guarded memory's size faulting.
  if (guard_ == MemoryGuard::Below2To34 && need != bytes) return false;
  if (need > committed_) {
    if (mprotect(base_ + committed_, need - committed_, PROT_READ | PROT_WRITE) != 0) return false;
    committed_ = need;
  } else if (guard_ == MemoryGuard::Below2To34 && need < committed_) {
    if (mprotect(base_ + need, committed_ - need, PROT_NONE) != 0) return false;
    committed_ = need;
  }
  // Bytes that become accessible again start as zero: those below the high-water mark
  // may have been written before a shrink; those above it are fresh anonymous pages,
  // already zero (not touching them keeps a large memory from being committed at once).
  const uint64_t used = std::min(bytes, highWater_);
  if (used > size_) std::memset(base_ + size_, 0, used - size_);
  size_ = bytes;
  highWater_ = std::max(highWater_, bytes);
  return true;
}

}  // namespace morel

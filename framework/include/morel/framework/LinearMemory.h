#pragma once
// A guest's memory (design brief, "effects are edges"): one contiguous byte
// range that every guest access is checked against, in every tier, so no guest
// load or store reaches host memory. The whole maximum is reserved when the
// memory is made, so its base never moves: compiled code embeds it. Growing
// only makes more of the reservation accessible.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "morel/framework/Diagnostic.h"
#include "morel/framework/Trap.h"

namespace morel {

inline constexpr TrapKind kOutOfBoundsMemoryAccess{"out of bounds memory access"};

/// How compiled code keeps accesses inside a memory. `Explicit`: a compare before
/// each access. `Below2To34`: the memory reserves 2^34 bytes, everything past its
/// size inaccessible, so an access whose address + size is below 2^34 either hits
/// the memory or faults, and the fault becomes the trap (GuardPageTraps.h). The
/// interpreter checks explicitly either way.
enum class MemoryGuard : uint8_t { Explicit, Below2To34 };

class LinearMemory {
 public:
  /// `initialBytes` accessible now, up to `maximumBytes` after growing.
  /// A guarded memory's sizes are whole host pages (a language's pages are multiples of them).
  static Result<std::unique_ptr<LinearMemory>> create(uint64_t initialBytes, uint64_t maximumBytes,
                                                      MemoryGuard guard = MemoryGuard::Explicit);
  ~LinearMemory();
  LinearMemory(const LinearMemory&) = delete;
  LinearMemory& operator=(const LinearMemory&) = delete;

  uint8_t* base() const { return base_; }
  /// Accessible bytes: an access of n bytes at `a` is in bounds when a + n <= size().
  uint64_t size() const { return size_; }
  uint64_t maximum() const { return maximum_; }
  MemoryGuard guard() const { return guard_; }
  /// The address space reserved at base(): the guard region's end for a guarded memory.
  uint64_t reserved() const { return reserved_; }
  static constexpr uint64_t kGuardedReservation = uint64_t{1} << 34;
  /// Makes `bytes` more accessible (zeroed); false past the maximum.
  bool grow(uint64_t bytes);
  /// Sets the accessible size (zeroing what it adds); false past the maximum, below
  /// the floor (and, for a guarded memory, for a size that is not a whole number
  /// of host pages).
  bool resize(uint64_t bytes);

  /// Bytes the memory never shrinks below from now on (0 unless a language promises
  /// more, e.g. a declared minimum size). Compiled code may leave an access
  /// below the floor unchecked (pe::eliminateConditions). Set before any code that
  /// reads it is compiled; at most the current size.
  uint64_t floor() const { return floor_; }
  void setFloor(uint64_t bytes) { floor_ = bytes < size_ ? bytes : size_; }

  /// Where compiled code reads the size.
  static constexpr int32_t sizeOffset() { return offsetof(LinearMemory, size_); }

 private:
  LinearMemory() = default;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint64_t maximum_ = 0;
  uint64_t reserved_ = 0;
  uint64_t committed_ = 0;  // bytes made readable and writable so far
  uint64_t highWater_ = 0;  // the largest size so far: bytes above it were never written
  uint64_t floor_ = 0;      // the size never goes below it
  MemoryGuard guard_ = MemoryGuard::Explicit;
};

}  // namespace morel

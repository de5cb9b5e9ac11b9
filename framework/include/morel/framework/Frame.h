#pragma once
// A guest function's frame: a descriptor names each slot's kind once; the
// interpreter stores every slot as a raw 64-bit value (32-bit kinds
// zero-extended), and the graph domain turns the same slots into SSA values.
#include <array>
#include <cstdint>
#include <vector>

namespace morel {

enum class SlotKind : uint8_t {
  Int32,      // starts as 0
  Int64,      // starts as 0
  Float32,    // starts as +0.0
  Float64,    // starts as +0.0
  Vector128,  // the low word of a 128-bit vector (the next slot, Int64, its high word); starts as 0
  Temporary,  // holds values of any kind; never read before it is written
};

class FrameDescriptor {
 public:
  /// Adds `count` slots of `kind`; returns the index of the first.
  uint32_t add(SlotKind kind, uint32_t count = 1) {
    auto first = static_cast<uint32_t>(kinds_.size());
    kinds_.insert(kinds_.end(), count, kind);
    return first;
  }
  uint32_t size() const { return static_cast<uint32_t>(kinds_.size()); }
  SlotKind kind(uint32_t slot) const { return kinds_[slot]; }

 private:
  std::vector<SlotKind> kinds_;
};

/// The interpreter's frame, as the nodes see it.
struct InterpFrame {
  int64_t* slots;
};

/// Storage for one interpreted activation: on the host stack when small, every
/// slot zeroed (the initial value of Int32 and Int64 slots).
class InterpFrameStorage {
 public:
  explicit InterpFrameStorage(const FrameDescriptor& descriptor) {
    uint32_t n = descriptor.size();
    if (n > kInlineSlots) heap_.resize(n);
    slots_ = n > kInlineSlots ? heap_.data() : inline_.data();
    for (uint32_t i = 0; i < n; ++i) slots_[i] = 0;
  }
  InterpFrameStorage(const InterpFrameStorage&) = delete;
  InterpFrameStorage& operator=(const InterpFrameStorage&) = delete;

  InterpFrame frame() { return {slots_}; }
  int64_t& operator[](uint32_t slot) { return slots_[slot]; }

 private:
  static constexpr uint32_t kInlineSlots = 16;
  std::array<int64_t, kInlineSlots> inline_;
  std::vector<int64_t> heap_;
  int64_t* slots_;
};

}  // namespace morel

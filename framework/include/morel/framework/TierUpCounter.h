#pragma once
// How first-tier code asks for the last tier (issue 10: two compiled tiers).
// First-tier code counts its calls and loop iterations down in one 8-byte cell
// (a load, a subtract and a store at its entry and at each loop header) and,
// when the count reaches zero, calls `request()`, a host function that queues
// the last-tier compilation. The cell lives in a LinearMemory of its own, so
// the graph reads and writes it with the ordinary memory operations.
#include <cstdint>
#include <memory>

#include "morel/framework/LinearMemory.h"

namespace morel {

class CallTarget;
class HostFunctionRoot;

class TierUpCounter {
 public:
  /// Null when the cell's memory cannot be made (then first-tier code does not count).
  static std::unique_ptr<TierUpCounter> create(CallTarget& owner);
  ~TierUpCounter();
  TierUpCounter(const TierUpCounter&) = delete;
  TierUpCounter& operator=(const TierUpCounter&) = delete;

  /// The cell's memory and its address in it.
  LinearMemory& memory() const { return *memory_; }
  static constexpr uint64_t kCellAddress = 0;
  /// The call target compiled code calls when the count reaches zero.
  CallTarget& request() const { return *request_; }

  /// Counts `remaining` more calls and iterations before the request (at least one).
  void arm(int64_t remaining);
  /// No request until armed again.
  void disarm() { arm(kDisarmed); }
  int64_t remaining() const;

 private:
  TierUpCounter() = default;
  // Far from zero: a decrement a call or iteration never brings it there.
  static constexpr int64_t kDisarmed = int64_t{1} << 62;
  int64_t* cell() const { return reinterpret_cast<int64_t*>(memory_->base() + kCellAddress); }

  std::unique_ptr<LinearMemory> memory_;
  std::unique_ptr<HostFunctionRoot> root_;
  std::unique_ptr<CallTarget> request_;
};

}  // namespace morel

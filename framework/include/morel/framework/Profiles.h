#pragma once
// Profiles gathered by the interpreter and read as constants by the partial
// evaluator. Counters are relaxed, racy-by-design updates: the background
// compiler may read a value that is one step stale, which only moves a guard.
#include <atomic>
#include <cstdint>

namespace morel {

class ProfileCounter {
 public:
  void increment() {
    uint32_t v = value_.load(std::memory_order_relaxed);
    if (v != UINT32_MAX) value_.store(v + 1, std::memory_order_relaxed);
  }
  uint32_t get() const { return value_.load(std::memory_order_relaxed); }
  void reset() { value_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint32_t> value_{0};
};

/// Counts how often each side of a two-way branch was taken.
class BranchProfile {
 public:
  bool profile(bool taken) {
    (taken ? trueCount_ : falseCount_).increment();
    return taken;
  }
  uint32_t trueCount() const { return trueCount_.get(); }
  uint32_t falseCount() const { return falseCount_.get(); }
  bool neverTrue() const { return trueCount() == 0; }
  bool neverFalse() const { return falseCount() == 0; }
  bool seen() const { return trueCount() + falseCount() != 0; }

 private:
  ProfileCounter trueCount_;
  ProfileCounter falseCount_;
};

/// Counts loop back-edges (iterations after the first).
class LoopProfile {
 public:
  void backEdge() { iterations_.increment(); }
  uint32_t iterations() const { return iterations_.get(); }

 private:
  ProfileCounter iterations_;
};

}  // namespace morel

#pragma once
// engine.StressDeopt: testing machinery that makes compiled code deoptimize on
// purpose, so every statement boundary's frame state gets rebuilt and resumed
// by the suites. Compiled code counts statement boundaries down and calls
// rearm() at zero, then deoptimizes.
#include <cstdint>

namespace morel {

class DeoptStress {
 public:
  /// `period` 0 disables; `seed` 0 deoptimizes exactly every period-th boundary,
  /// otherwise at pseudo-random boundaries, on average every period-th.
  DeoptStress(int64_t period, uint64_t seed) : period_(period), rng_(seed) { rearm(this); }

  bool enabled() const { return period_ > 0; }
  /// The countdown compiled code decrements (a 64-bit word).
  int64_t* counterAddress() { return &counter_; }
  /// Sets the next countdown; compiled code calls it when the counter hits zero.
  static void rearm(DeoptStress* self) {
    if (self->rng_ == 0) {
      self->counter_ = self->period_;
      return;
    }
    // xorshift64: reproducible from the seed, uniform in [1, 2 * period - 1].
    uint64_t x = self->rng_;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng_ = x;
    self->counter_ = 1 + static_cast<int64_t>(x % static_cast<uint64_t>(2 * self->period_ - 1));
  }

 private:
  int64_t period_;
  uint64_t rng_;
  int64_t counter_ = 0;
};

}  // namespace morel

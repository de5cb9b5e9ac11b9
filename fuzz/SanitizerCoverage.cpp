// Coverage feedback for GCC-built harnesses. GCC's -fsanitize-coverage=trace-pc calls
// __sanitizer_cov_trace_pc() at the start of every basic block, but clang-14's libFuzzer
// no longer implements that callback (its stub prints "no longer supported" and exits;
// the fuzz build links a copy of the runtime in which the stub is weak, see
// Instrumentation.cmake). This definition does the work instead: the block's address,
// combined with the previous block's, picks an 8-bit counter (edge coverage, as AFL
// counts it) in the __libfuzzer_extra_counters section, which libFuzzer reads as
// coverage features after every input and clears before the next one.
// GCC's trace-cmp also reports float and double comparisons, through two callbacks
// LLVM does not have; they pass the operands' bits on as integer comparisons.
// Compiled without any instrumentation (it would call itself).
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b);
extern "C" void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b);

namespace {

constexpr std::size_t kCounters = std::size_t{1} << 16;

// The linker's __start_/__stop___libfuzzer_extra_counters bound this array.
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t counters[kCounters];

thread_local uintptr_t previous = 0;

inline uintptr_t mix(uintptr_t pc) {
  pc ^= pc >> 17;
  pc *= 0x9E3779B97F4A7C15ull;
  return pc ^ (pc >> 29);
}

}  // namespace

extern "C" void __sanitizer_cov_trace_pc() {
  uintptr_t block = mix(reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
  std::size_t index = (block ^ previous) & (kCounters - 1);
  previous = block >> 1;  // A->B and B->A count apart
  uint8_t& counter = counters[index];
  if (counter != 0xff) ++counter;
}

extern "C" void __sanitizer_cov_trace_cmpf(float a, float b) {
  uint32_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  __sanitizer_cov_trace_cmp4(x, y);
}

extern "C" void __sanitizer_cov_trace_cmpd(double a, double b) {
  uint64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  __sanitizer_cov_trace_cmp8(x, y);
}

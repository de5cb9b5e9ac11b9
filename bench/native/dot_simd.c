// Native twin of bench/programs/dot_simd.wat: an f64 dot product repeated reps
// times, two lanes at a time (SSE2 intrinsics, as the Wasm does with f64x2).
// Usage: dot_simd N REPS  -> prints the total (exact: small integer entries)
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s N REPS\n", argv[0]); return 2; }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
  uint32_t reps = (uint32_t)strtoul(argv[2], NULL, 10);
  double* x = aligned_alloc(16, sizeof(double) * n);
  double* y = aligned_alloc(16, sizeof(double) * n);
  for (uint32_t i = 0; i < n; ++i) {
    x[i] = (double)(i % 10);
    y[i] = (double)((i * 3) % 7);
  }
  double total = 0;
  for (uint32_t r = 0; r < reps; ++r) {
    __m128d acc = _mm_setzero_pd();
    for (uint32_t p = 0; p < n; p += 2) acc = _mm_add_pd(acc, _mm_mul_pd(_mm_load_pd(x + p), _mm_load_pd(y + p)));
    double lanes[2];
    _mm_storeu_pd(lanes, acc);
    total += lanes[0] + lanes[1];
  }
  printf("%lld\n", (long long)(int64_t)total);
  return 0;
}

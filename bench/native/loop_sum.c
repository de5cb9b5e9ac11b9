// Native twin of bench/programs/loop_sum.wat: serial i64 loop-sum kernel, driven
// `times` times with a different seed each call.
// Usage: loop_sum N TIMES  -> prints run(N, TIMES) as a signed i64
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t sum(int32_t n, uint64_t seed) {
  uint64_t acc = seed;
  for (int32_t i = 0; i < n; i++) acc += ((uint64_t)(uint32_t)i * 0x9E3779B97F4A7C15ull) ^ (acc >> 29);
  return acc;
}

static uint64_t run(int32_t n, int32_t times) {
  uint64_t r = 0;
  for (int32_t t = 0; t < times; t++) r += sum(n, (uint64_t)(uint32_t)t);
  return r;
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s N TIMES\n", argv[0]); return 2; }
  int32_t n = (int32_t)strtol(argv[1], NULL, 10), times = (int32_t)strtol(argv[2], NULL, 10);
  printf("%" PRId64 "\n", (int64_t)run(n, times));
  return 0;
}

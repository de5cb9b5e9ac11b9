// Native twin of bench/programs/loop_once.wat: the serial i64 loop-sum kernel,
// called once.
// Usage: loop_once N SEED  -> prints sum(N, SEED) as a signed i64
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t sum(int32_t n, uint64_t seed) {
  uint64_t acc = seed;
  for (int32_t i = 0; i < n; i++) acc += ((uint64_t)(uint32_t)i * 0x9E3779B97F4A7C15ull) ^ (acc >> 29);
  return acc;
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s N SEED\n", argv[0]); return 2; }
  int32_t n = (int32_t)strtol(argv[1], NULL, 10);
  uint64_t seed = (uint32_t)strtol(argv[2], NULL, 10);
  printf("%" PRId64 "\n", (int64_t)sum(n, seed));
  return 0;
}

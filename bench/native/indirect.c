// Native twin of bench/programs/indirect.wat: a loop calling through an array of
// four function pointers, table[i & mask](acc, i).
// Usage: indirect N MASK  -> prints run(N, MASK) as a signed i32
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint32_t (*Step)(uint32_t, uint32_t);

static uint32_t add(uint32_t a, uint32_t i) {
  return a + i;
}
static uint32_t mix(uint32_t a, uint32_t i) {
  return a ^ (i * 0x9E3779B9u);
}
static uint32_t rot(uint32_t a, uint32_t i) {
  return ((a << 5) | (a >> 27)) + i;
}
static uint32_t mul(uint32_t a, uint32_t i) {
  return a * 31u + i;
}

// Not const: as in the Wasm table, the entries could change, so the calls stay indirect.
static Step table[4] = {add, mix, rot, mul};

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N MASK\n", argv[0]);
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10), mask = (uint32_t)strtoul(argv[2], NULL, 10);
  uint32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) acc = table[i & mask](acc, i);
  printf("%" PRId32 "\n", (int32_t)acc);
  return 0;
}

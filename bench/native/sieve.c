// Native twin of bench/programs/sieve.wat: segmented sieve with one 64-bit word
// per segment (odd numbers only, bit k <-> lo+2k+1), striking with every odd p.
// Same algorithm as the Wasm version, deliberately not a normal array sieve;
// see the comment in sieve.wat for why.
// Usage: sieve N  -> prints the number of primes below N
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t segment(uint32_t lo, uint32_t n) {
  uint32_t hi = lo + 128;
  uint64_t bits = 0;
  for (uint32_t p = 3; p * p <= hi - 1; p += 2) {
    uint32_t m = (lo + p) / p * p;
    if ((m & 1) == 0) m += p;
    if (m < p * p) m = p * p;
    for (; m < hi; m += 2 * p) bits |= (uint64_t)1 << ((m - lo) >> 1);
  }
  uint64_t valid = lo == 0 ? ~(uint64_t)1 : ~(uint64_t)0;
  if (n < hi) valid &= ((uint64_t)1 << ((n - lo) >> 1)) - 1;
  return (uint32_t)__builtin_popcountll(~bits & valid);
}

static uint32_t count_primes(uint32_t n) {
  uint32_t count = n > 2;
  for (uint32_t lo = 0; lo < n; lo += 128) count += segment(lo, n);
  return count;
}

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s N\n", argv[0]); return 2; }
  printf("%d\n", (int32_t)count_primes((uint32_t)strtoul(argv[1], NULL, 10)));
  return 0;
}

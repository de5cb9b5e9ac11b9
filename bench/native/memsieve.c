// Native twin of bench/programs/memsieve.wat: the byte-array sieve of Eratosthenes.
// Usage: memsieve N  -> prints the number of primes below N
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s N\n", argv[0]); return 2; }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
  uint8_t* struck = calloc(n + 1, 1);
  for (uint32_t i = 2; i * i <= n; ++i)
    if (!struck[i])
      for (uint32_t j = i * i; j < n; j += i) struck[j] = 1;
  int32_t count = 0;
  for (uint32_t i = 2; i < n; ++i) count += !struck[i];
  printf("%d\n", count);
  free(struck);
  return 0;
}

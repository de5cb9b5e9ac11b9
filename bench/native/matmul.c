// Native twin of bench/programs/matmul.wat: f64 C = A x B, i-k-j loop.
// Usage: matmul N  -> prints the sum of C (exact: small integer entries)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s N\n", argv[0]); return 2; }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
  double* a = malloc(sizeof(double) * n * n);
  double* b = malloc(sizeof(double) * n * n);
  double* c = calloc((size_t)n * n, sizeof(double));
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      a[i * n + j] = (double)((i * j) % 7 + 1);
      b[i * n + j] = (double)((i + j) % 5);
    }
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t k = 0; k < n; ++k) {
      double aik = a[i * n + k];
      for (uint32_t j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  double sum = 0;
  for (uint32_t i = 0; i < n * n; ++i) sum += c[i];
  printf("%lld\n", (long long)(int64_t)sum);
  return 0;
}

// Native twin of bench/programs/sort.wat: heapsort of LCG values, then a checksum.
// Usage: sort N  -> prints -1 if unsorted, else the wrapping sum of a[i] * (i + 1)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void sift_down(int32_t* a, uint32_t root, uint32_t end) {
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && a[child] < a[child + 1]) ++child;
    if (a[root] >= a[child]) return;
    int32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s N\n", argv[0]); return 2; }
  uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
  int32_t* a = malloc(sizeof(int32_t) * n);
  uint32_t x = 12345;
  for (uint32_t i = 0; i < n; ++i) a[i] = (int32_t)(x = x * 1103515245u + 12345u);
  for (uint32_t i = n / 2; i > 0; --i) sift_down(a, i - 1, n);
  for (uint32_t i = n; i > 1; --i) {
    int32_t t = a[0];
    a[0] = a[i - 1];
    a[i - 1] = t;
    sift_down(a, 0, i - 1);
  }
  uint32_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) {
    if (i > 0 && a[i] < a[i - 1]) { printf("-1\n"); return 0; }
    sum += (uint32_t)a[i] * (i + 1);
  }
  printf("%d\n", (int32_t)sum);
  return 0;
}

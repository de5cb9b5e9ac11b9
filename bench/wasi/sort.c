// Sorting: quicksort (median of three) and a bottom-up merge sort of the same
// pseudo-random integers; both results are checked and summarised.
//   sort [COUNT]   (default 1000000)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quicksort(int32_t* v, int lo, int hi) {
  while (hi - lo > 16) {
    int mid = lo + (hi - lo) / 2;
    int32_t x = v[lo], y = v[mid], z = v[hi];
    int32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot) ++i;
      while (v[j] > pivot) --j;
      if (i <= j) {
        int32_t t = v[i];
        v[i++] = v[j];
        v[j--] = t;
      }
    }
    if (j - lo < hi - i) {
      quicksort(v, lo, j);
      lo = i;
    } else {
      quicksort(v, i, hi);
      hi = j;
    }
  }
  for (int i = lo + 1; i <= hi; ++i) {
    int32_t x = v[i];
    int j = i - 1;
    while (j >= lo && v[j] > x) v[j + 1] = v[j], --j;
    v[j + 1] = x;
  }
}

static void mergesort(int32_t* v, int32_t* tmp, int n) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
    }
    memcpy(v, tmp, sizeof(int32_t) * n);
  }
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000000;
  if (n < 2) return 2;
  int32_t *a = malloc(sizeof(int32_t) * n), *b = malloc(sizeof(int32_t) * n),
          *tmp = malloc(sizeof(int32_t) * n);
  if (!a || !b || !tmp) return 3;
  uint32_t s = 12345;
  for (int i = 0; i < n; ++i) {
    s = s * 1103515245u + 12345u;
    a[i] = b[i] = (int32_t)(s >> 1) % 1000000;
  }
  quicksort(a, 0, n - 1);
  mergesort(b, tmp, n);
  int sorted = 1;
  uint64_t checksum = 0;
  for (int i = 0; i < n; ++i) {
    if (a[i] != b[i] || (i > 0 && a[i - 1] > a[i])) sorted = 0;
    checksum = checksum * 31 + (uint32_t)a[i];
  }
  printf("n %d sorted %d min %d median %d max %d checksum %llu\n", n, sorted, a[0], a[n / 2],
         a[n - 1], (unsigned long long)checksum);
  return !sorted;
}

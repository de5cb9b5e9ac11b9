// All-pairs shortest paths (Floyd–Warshall) on a random directed graph: the
// program of the GraalWasm talk. The graph comes from a fixed-seed generator,
// so every run and every platform prints the same distances.
//   floyd_warshall [NODES [SEED]]   (default 120 nodes, seed 42)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kNoPath = INT32_MAX / 2 };

static uint32_t state;
static uint32_t nextRandom(void) {  // xorshift32
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 120;
  state = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 42;
  if (n < 1 || n > 2000 || state == 0) {
    fprintf(stderr, "usage: floyd_warshall [NODES (1..2000) [SEED (not 0)]]\n");
    return 2;
  }
  int32_t* dist = malloc(sizeof(int32_t) * (size_t)n * (size_t)n);
  if (dist == NULL) return 3;
  // About one edge in eight, weights 1..100.
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      dist[i * n + j] =
          i == j ? 0 : (nextRandom() % 8 == 0 ? (int32_t)(nextRandom() % 100 + 1) : kNoPath);
  for (int k = 0; k < n; ++k)
    for (int i = 0; i < n; ++i) {
      int32_t ik = dist[i * n + k];
      if (ik == kNoPath) continue;
      for (int j = 0; j < n; ++j) {
        int32_t through = ik + dist[k * n + j];
        if (through < dist[i * n + j]) dist[i * n + j] = through;
      }
    }
  int64_t sum = 0;
  int unreachable = 0, longest = 0;
  for (int i = 0; i < n * n; ++i) {
    if (dist[i] == kNoPath) {
      ++unreachable;
      continue;
    }
    sum += dist[i];
    if (dist[i] > longest) longest = dist[i];
  }
  printf("nodes %d, sum of distances %lld, longest %d, unreachable pairs %d\n", n, (long long)sum,
         longest, unreachable);
  int shown = n < 6 ? n : 6;
  for (int i = 0; i < shown; ++i) {
    for (int j = 0; j < shown; ++j) {
      if (dist[i * n + j] == kNoPath)
        printf("   -");
      else
        printf(" %3d", dist[i * n + j]);
    }
    printf("\n");
  }
  free(dist);
  return 0;
}

// Graph algorithms over int arrays, every hot loop in main: a random sparse
// directed graph in compressed rows, then breadth-first search, Dijkstra's
// shortest paths with a binary heap, and connected components by union-find.
//   graph [VERTICES]   (default 200000; 8 edges per vertex)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kDegree = 8, kMaxWeight = 100 };

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  if (n < 2 || n > 4000000) return 2;
  const int m = n * kDegree;
  int* first = malloc(sizeof(int) * (n + 1));  // edges of v: [first[v], first[v + 1])
  int* target = malloc(sizeof(int) * m);
  int* weight = malloc(sizeof(int) * m);
  int* dist = malloc(sizeof(int) * n);
  int* queue = malloc(sizeof(int) * n);
  int* heap = malloc(sizeof(int) * (m + 1));  // lazy deletion: a vertex may be pushed once per edge
  int* heapKey = malloc(sizeof(int) * (m + 1));
  int* parent = malloc(sizeof(int) * n);
  if (!first || !target || !weight || !dist || !queue || !heap || !heapKey || !parent) return 3;

  // Edges: v -> v+1 keeps every vertex reachable; the rest are pseudo-random.
  uint32_t seed = 12345;
  for (int v = 0, e = 0; v < n; ++v) {
    first[v] = e;
    for (int k = 0; k < kDegree; ++k, ++e) {
      seed = seed * 1664525u + 1013904223u;
      target[e] = k == 0 ? (v + 1) % n : (int)((seed >> 8) % (uint32_t)n);
      weight[e] = 1 + (int)((seed >> 3) % kMaxWeight);
    }
  }
  first[n] = m;

  // Breadth-first search from 0: hop counts.
  for (int v = 0; v < n; ++v) dist[v] = -1;
  int head = 0, tail = 0;
  dist[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    int v = queue[head++];
    for (int e = first[v]; e < first[v + 1]; ++e) {
      int w = target[e];
      if (dist[w] < 0) {
        dist[w] = dist[v] + 1;
        queue[tail++] = w;
      }
    }
  }
  int64_t hops = 0;
  int deepest = 0;
  for (int v = 0; v < n; ++v) {
    hops += dist[v];
    if (dist[v] > deepest) deepest = dist[v];
  }

  // Dijkstra from 0 with a binary min-heap of (key, vertex), stale entries skipped.
  for (int v = 0; v < n; ++v) dist[v] = INT32_MAX;
  int size = 0;
  dist[0] = 0;
  heap[0] = 0, heapKey[0] = 0, size = 1;
  int64_t pops = 0;
  while (size > 0) {
    int v = heap[0], key = heapKey[0];
    --size;
    int lastV = heap[size], lastKey = heapKey[size], i = 0;
    for (;;) {  // sift the last entry down from the root
      int c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heapKey[c + 1] < heapKey[c]) ++c;
      if (heapKey[c] >= lastKey) break;
      heap[i] = heap[c], heapKey[i] = heapKey[c];
      i = c;
    }
    heap[i] = lastV, heapKey[i] = lastKey;
    ++pops;
    if (key > dist[v]) continue;
    for (int e = first[v]; e < first[v + 1]; ++e) {
      int w = target[e], d = key + weight[e];
      if (d < dist[w]) {
        dist[w] = d;
        int j = size++;
        while (j > 0 && heapKey[(j - 1) / 2] > d) {  // sift up
          heap[j] = heap[(j - 1) / 2], heapKey[j] = heapKey[(j - 1) / 2];
          j = (j - 1) / 2;
        }
        heap[j] = w, heapKey[j] = d;
      }
    }
  }
  int64_t total = 0;
  int farthest = 0;
  for (int v = 0; v < n; ++v) {
    total += dist[v];
    if (dist[v] > farthest) farthest = dist[v];
  }

  // Components of the undirected graph over the edges with an even weight.
  for (int v = 0; v < n; ++v) parent[v] = v;
  for (int v = 0; v < n; ++v) {
    for (int e = first[v]; e < first[v + 1]; ++e) {
      if (weight[e] & 1) continue;
      int a = v, b = target[e];
      while (parent[a] != a) a = parent[a] = parent[parent[a]];  // path halving
      while (parent[b] != b) b = parent[b] = parent[parent[b]];
      if (a != b) parent[a < b ? b : a] = a < b ? a : b;
    }
  }
  int components = 0;
  for (int v = 0; v < n; ++v) components += parent[v] == v;

  printf("bfs %lld %d dijkstra %lld %d pops %lld components %d\n", (long long)hops, deepest,
         (long long)total, farthest, (long long)pops, components);
  return 0;
}

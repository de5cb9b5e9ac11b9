// A chained hash table of malloc'd nodes with string keys: inserts, lookups
// (hits and misses), deletes, and a resize as it grows.
//   hashtable [KEYS]   (default 300000)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Node {
  struct Node* next;
  uint32_t hash;
  int value;
  char key[24];
} Node;

typedef struct {
  Node** buckets;
  size_t capacity, size;
} Table;

static uint32_t fnv1a(const char* s) {
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

static void grow(Table* t) {
  size_t capacity = t->capacity * 2;
  Node** buckets = calloc(capacity, sizeof(Node*));
  for (size_t i = 0; i < t->capacity; ++i)
    for (Node* n = t->buckets[i]; n != NULL;) {
      Node* next = n->next;
      n->next = buckets[n->hash & (capacity - 1)];
      buckets[n->hash & (capacity - 1)] = n;
      n = next;
    }
  free(t->buckets);
  t->buckets = buckets;
  t->capacity = capacity;
}

static Node** find(Table* t, const char* key, uint32_t h) {
  Node** at = &t->buckets[h & (t->capacity - 1)];
  while (*at != NULL && ((*at)->hash != h || strcmp((*at)->key, key) != 0)) at = &(*at)->next;
  return at;
}

static void put(Table* t, const char* key, int value) {
  uint32_t h = fnv1a(key);
  Node** at = find(t, key, h);
  if (*at != NULL) {
    (*at)->value = value;
    return;
  }
  Node* n = malloc(sizeof(Node));
  n->next = NULL;
  n->hash = h;
  n->value = value;
  strcpy(n->key, key);
  *at = n;
  if (++t->size > t->capacity * 3 / 4) grow(t);
}

static int removeKey(Table* t, const char* key) {
  Node** at = find(t, key, fnv1a(key));
  if (*at == NULL) return 0;
  Node* n = *at;
  *at = n->next;
  free(n);
  --t->size;
  return 1;
}

int main(int argc, char** argv) {
  int keys = argc > 1 ? atoi(argv[1]) : 300000;
  Table t = {calloc(16, sizeof(Node*)), 16, 0};
  char key[24];
  for (int i = 0; i < keys; ++i) {
    snprintf(key, sizeof key, "key-%d", i * 7);
    put(&t, key, i);
  }
  long long hits = 0, sum = 0;
  for (int i = 0; i < 2 * keys; ++i) {
    snprintf(key, sizeof key, "key-%d", i * 7 / 2);
    Node* n = *find(&t, key, fnv1a(key));
    if (n != NULL) ++hits, sum += n->value;
  }
  int removed = 0;
  for (int i = 0; i < keys; i += 3) {
    snprintf(key, sizeof key, "key-%d", i * 7);
    removed += removeKey(&t, key);
  }
  printf("keys %d size %zu capacity %zu hits %lld sum %lld removed %d\n", keys, t.size, t.capacity,
         hits, sum, removed);
  return 0;
}

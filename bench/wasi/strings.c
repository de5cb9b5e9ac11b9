// String processing: generate text, split it into words, count word
// frequencies (sorted array of unique words, binary search), reverse and
// upper-case every word, and find the longest palindrome in a line.
//   strings [WORDS]   (default 200000)
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  int count = argc > 1 ? atoi(argv[1]) : 200000;
  static const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "a", "e"};
  size_t capacity = (size_t)count * 12 + 1, length = 0;
  char* text = malloc(capacity);
  uint32_t s = 99;
  for (int w = 0; w < count; ++w) {
    s = s * 1103515245u + 12345u;
    int parts = 1 + (s >> 16) % 3;
    for (int p = 0; p < parts; ++p) {
      s = s * 1103515245u + 12345u;
      const char* syl = syllables[(s >> 16) % 10];
      size_t n = strlen(syl);
      memcpy(text + length, syl, n);
      length += n;
    }
    text[length++] = (w % 17 == 16) ? '\n' : ' ';
  }
  text[length] = 0;
  // Words, as pointers into a copy split at the separators.
  char* copy = strdup(text);
  char** words = malloc(sizeof(char*) * count);
  int n = 0;
  for (char* tok = strtok(copy, " \n"); tok != NULL; tok = strtok(NULL, " \n")) words[n++] = tok;
  char** sorted = malloc(sizeof(char*) * n);
  memcpy(sorted, words, sizeof(char*) * n);
  qsort(sorted, n, sizeof(char*), compare);
  int unique = 0, bestCount = 0;
  const char* best = "";
  for (int i = 0; i < n;) {
    int j = i;
    while (j < n && strcmp(sorted[i], sorted[j]) == 0) ++j;
    if (j - i > bestCount) bestCount = j - i, best = sorted[i];
    sorted[unique++] = sorted[i];
    i = j;
  }
  long long found = 0;
  for (int i = 0; i < n; ++i)
    found += bsearch(&words[i], sorted, unique, sizeof(char*), compare) != NULL;
  uint64_t hash = 1469598103934665603u;
  for (int i = 0; i < n; ++i) {
    size_t len = strlen(words[i]);
    for (size_t a = 0, b = len - 1; a < b; ++a, --b) {
      char t = words[i][a];
      words[i][a] = words[i][b];
      words[i][b] = t;
    }
    for (size_t k = 0; k < len; ++k)
      hash = (hash ^ (uint8_t)toupper((unsigned char)words[i][k])) * 1099511628211u;
  }
  // The longest palindrome (expanding around centres) within the first 4000 bytes.
  size_t window = length < 4000 ? length : 4000, bestStart = 0, bestLength = 0;
  for (size_t c = 0; c < 2 * window; ++c) {
    size_t lo = c / 2, hi = lo + c % 2;
    while (lo < window && hi < window && text[lo] == text[hi]) {
      if (hi - lo + 1 > bestLength) bestLength = hi - lo + 1, bestStart = lo;
      if (lo == 0) break;
      --lo, ++hi;
    }
  }
  printf("words %d unique %d most common '%s' x%d found %lld hash %llu palindrome %zu '%.*s'\n", n,
         unique, best, bestCount, found, (unsigned long long)hash, bestLength, (int)bestLength,
         text + bestStart);
  return 0;
}

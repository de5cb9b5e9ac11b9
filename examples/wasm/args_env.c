// Prints its arguments (from argv[1]) and its environment, sorted, then exits
// with the status that EXIT_STATUS names (0 without it).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int compare(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  size_t count = 0;
  while (environ[count] != NULL) ++count;
  char** sorted = malloc((count + 1) * sizeof *sorted);
  if (sorted == NULL) return 3;
  memcpy(sorted, environ, count * sizeof *sorted);
  qsort(sorted, count, sizeof *sorted, compare);
  for (size_t i = 0; i < count; ++i) printf("env %s\n", sorted[i]);
  free(sorted);
  const char* status = getenv("EXIT_STATUS");
  fflush(stdout);
  exit(status != NULL ? atoi(status) : 0);
}

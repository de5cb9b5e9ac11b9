// Copies a file, as `cp SOURCE DEST` does: under WASI both names are relative
// to a preopened directory (`morel run --dir DIR::. copy.wasm in out`). A
// SOURCE of "-" is stdin.
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: copy SOURCE DEST\n");
    return 2;
  }
  FILE* in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
  if (in == NULL) {
    fprintf(stderr, "copy: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  FILE* out = fopen(argv[2], "wb");
  if (out == NULL) {
    fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
    fclose(in);
    return 1;
  }
  char buffer[4096];
  size_t n, total = 0;
  while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) {
    if (fwrite(buffer, 1, n, out) != n) {
      fprintf(stderr, "copy: %s: %s\n", argv[2], strerror(errno));
      return 1;
    }
    total += n;
  }
  int failed = ferror(in) || fclose(out) != 0;
  fclose(in);
  printf("copied %zu bytes\n", total);
  return failed;
}

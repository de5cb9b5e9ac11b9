// Native twin of bench/programs/fib.wat: recursive Fibonacci.
// Usage: fib N  -> prints fib(N)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int32_t fib(int32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s N\n", argv[0]); return 2; }
  printf("%d\n", fib((int32_t)strtol(argv[1], NULL, 10)));
  return 0;
}

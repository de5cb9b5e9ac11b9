// Dense f64 matrix multiply, C = A * B, with a blocked-free i-k-j loop order.
//   matmul [N]   (default 300)
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 300;
  if (n < 1 || n > 2000) return 2;
  double* a = malloc(sizeof(double) * n * n);
  double* b = malloc(sizeof(double) * n * n);
  double* c = calloc((size_t)n * n, sizeof(double));
  if (!a || !b || !c) return 3;
  for (int i = 0; i < n * n; ++i) {
    a[i] = (double)(i % 17) * 0.25 - 1.0;
    b[i] = (double)(i % 13) * 0.5 + 0.125;
  }
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      double aik = a[i * n + k];
      for (int j = 0; j < n; ++j) c[i * n + j] += aik * b[k * n + j];
    }
  double trace = 0, sum = 0;
  for (int i = 0; i < n; ++i) trace += c[i * n + i];
  for (int i = 0; i < n * n; ++i) sum += c[i];
  printf("n %d trace %.6f sum %.6f\n", n, trace, sum);
  free(a);
  free(b);
  free(c);
  return 0;
}

// A bytecode interpreter (a stack machine with a switch dispatch loop)
// running a program that counts the primes below N by trial division.
//   interp [N]   (default 60000)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum Op { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, LT, JMP, JZ, HALT };

typedef struct {
  uint8_t op;
  int32_t arg;
} Insn;

static int64_t run(const Insn* code, int64_t* vars) {
  int64_t stack[64];
  int sp = 0;
  for (int pc = 0;;) {
    const Insn in = code[pc++];
    switch (in.op) {
      case PUSH:
        stack[sp++] = in.arg;
        break;
      case LOAD:
        stack[sp++] = vars[in.arg];
        break;
      case STORE:
        vars[in.arg] = stack[--sp];
        break;
      case ADD:
        --sp, stack[sp - 1] += stack[sp];
        break;
      case SUB:
        --sp, stack[sp - 1] -= stack[sp];
        break;
      case MUL:
        --sp, stack[sp - 1] *= stack[sp];
        break;
      case MOD:
        --sp, stack[sp - 1] %= stack[sp];
        break;
      case LT:
        --sp, stack[sp - 1] = stack[sp - 1] < stack[sp];
        break;
      case JMP:
        pc = in.arg;
        break;
      case JZ:
        if (stack[--sp] == 0) pc = in.arg;
        break;
      case HALT:
        return vars[0];
    }
  }
}

int main(int argc, char** argv) {
  int64_t vars[4] = {0, 2, 0, argc > 1 ? atoi(argv[1]) : 60000};  // count, n, d, limit
  // for (n = 2; n < limit; ++n) {
  //   for (d = 2; d * d < n + 1 && n % d != 0; ++d) {}
  //   if (n < d * d) ++count;
  // }
  // assembled with the jump targets filled in once they are known.
  Insn code[64];
  int k = 0, outer, inner, notPrime, next, done;
  outer = k;
  code[k++] = (Insn){LOAD, 1}, code[k++] = (Insn){LOAD, 3}, code[k++] = (Insn){LT, 0};
  int jzDone = k++;
  code[k++] = (Insn){PUSH, 2}, code[k++] = (Insn){STORE, 2};
  inner = k;
  code[k++] = (Insn){LOAD, 2}, code[k++] = (Insn){LOAD, 2}, code[k++] = (Insn){MUL, 0};
  code[k++] = (Insn){LOAD, 1}, code[k++] = (Insn){PUSH, 1}, code[k++] = (Insn){ADD, 0},
  code[k++] = (Insn){LT, 0};
  int jzCheck1 = k++;
  code[k++] = (Insn){LOAD, 1}, code[k++] = (Insn){LOAD, 2}, code[k++] = (Insn){MOD, 0};
  int jzCheck2 = k++;
  code[k++] = (Insn){LOAD, 2}, code[k++] = (Insn){PUSH, 1}, code[k++] = (Insn){ADD, 0},
  code[k++] = (Insn){STORE, 2};
  code[k++] = (Insn){JMP, inner};
  int check = k;
  code[k++] = (Insn){LOAD, 1}, code[k++] = (Insn){LOAD, 2}, code[k++] = (Insn){LOAD, 2},
  code[k++] = (Insn){MUL, 0};
  code[k++] = (Insn){LT, 0};  // n < d*d: prime
  notPrime = k++;
  code[k++] = (Insn){LOAD, 0}, code[k++] = (Insn){PUSH, 1}, code[k++] = (Insn){ADD, 0},
  code[k++] = (Insn){STORE, 0};
  next = k;
  code[k++] = (Insn){LOAD, 1}, code[k++] = (Insn){PUSH, 1}, code[k++] = (Insn){ADD, 0},
  code[k++] = (Insn){STORE, 1};
  code[k++] = (Insn){JMP, outer};
  done = k;
  code[k++] = (Insn){HALT, 0};
  code[jzDone] = (Insn){JZ, done};
  code[jzCheck1] = (Insn){JZ, check};
  code[jzCheck2] = (Insn){JZ, check};
  code[notPrime] = (Insn){JZ, next};
  printf("primes below %lld: %lld\n", (long long)vars[3], (long long)run(code, vars));
  return 0;
}

// A program with no section of its own: its code sits in `.text`, as in the
// objects the bpf_conformance runner writes for --elf. Sums the input's bytes
// through a local function.
#include <linux/bpf.h>

__attribute__((noinline)) static __u64 add_byte(__u64 sum, unsigned char b) { return sum + b; }

__u64 entry(unsigned char *p, unsigned long n) {
  __u64 sum = 0;
  for (unsigned long i = 0; i < n && i < 256; i++) sum = add_byte(sum, p[i]);
  return sum;
}

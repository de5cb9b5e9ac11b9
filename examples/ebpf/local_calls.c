// bpf-to-bpf calls: functions in .text that the program calls (and that call
// each other), a legacy `maps` definition, and trace_printk with its format in
// .rodata. Returns a checksum of the input folded with fib(10).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
  unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct bpf_map_def SEC("maps") results = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2};

__attribute__((noinline)) __u64 fold(__u64 sum) { return (sum & 0xffff) + (sum >> 16); }

__attribute__((noinline)) __u64 checksum(unsigned char *p, unsigned long n) {
  __u64 sum = 0;
  for (unsigned long i = 0; i < n && i < 4096; i++) sum += (__u64)p[i] << ((i & 1) * 8);
  return fold(fold(sum));
}

__attribute__((noinline)) __u64 fib(__u32 n) {
  __u64 a = 0, b = 1;
  for (__u32 i = 0; i < n && i < 90; i++) {
    __u64 t = a + b;
    a = b;
    b = t;
  }
  return a;
}

SEC("socket")
int local_calls(unsigned char *packet, unsigned long length) {
  __u64 sum = checksum(packet, length);
  __u64 f = fib(10);
  __u32 key = 0;
  bpf_map_update_elem(&results, &key, &sum, BPF_ANY);
  key = 1;
  bpf_map_update_elem(&results, &key, &f, BPF_ANY);
  bpf_printk("checksum %llu fib %llu", sum, f);
  return (int)(sum ^ f);
}

char LICENSE[] SEC("license") = "GPL";

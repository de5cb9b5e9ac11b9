// A log2 latency histogram in an array map, as bpftrace's hist() keeps one.
// The input is a run of little-endian u64 latencies (ns); slot i of lat_hist
// counts those whose log2 is i. A per-CPU array keeps the total. Returns how
// many latencies were counted. `morel run --dump-maps` draws the histogram.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} lat_hist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} total_ns SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v) {
  __u32 r = 0;
  for (int i = 32; i > 0; i /= 2)
    if (v >> i) {
      v >>= i;
      r += i;
    }
  return r;
}

SEC("socket")
int histogram(__u64 *latencies, unsigned long length) {
  __u32 n = 0;
  __u32 zero = 0;
  __u64 *total = bpf_map_lookup_elem(&total_ns, &zero);
  for (__u32 i = 0; i < 512 && (i + 1) * 8 <= length; i++) {
    __u32 slot = log2_u64(latencies[i]);
    __u64 *count = bpf_map_lookup_elem(&lat_hist, &slot);
    if (count) __sync_fetch_and_add(count, 1);
    if (total) *total += latencies[i];
    n++;
  }
  return n;
}

char LICENSE[] SEC("license") = "GPL";

// The map-heavy program of the uBPF comparison: N rounds of an array-map
// lookup with a key that changes every round, then a read-modify-write of the
// value. A legacy `maps` section, which both Morel and uBPF's test runner load;
// the helper numbers come from the build (bench/ebpf_vs_ubpf.py). The input's
// first 8 bytes hold N.
typedef unsigned long long __u64;
typedef unsigned int __u32;

struct bpf_map_def {
  unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};

static void* (*bpf_map_lookup_elem)(void* map, const void* key) = (void*)HELPER_MAP_LOOKUP;

struct bpf_map_def __attribute__((section("maps"), used))
counters = {2 /* array */, 4, 8, 256, 0, 0, 0};

__u64 map_lookup_loop(__u64* input, __u64 length) {
  __u64 n = length >= 8 ? input[0] : 0, sum = 0;
  for (__u64 i = 0; i < n; i++) {
    __u32 key = (__u32)(i * 7) & 255;
    __u64* value = bpf_map_lookup_elem(&counters, &key);
    if (value) {
      *value += i;
      sum += *value;
    }
  }
  return sum;
}

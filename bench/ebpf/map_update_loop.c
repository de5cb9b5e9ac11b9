// The map-update program of the uBPF comparison: N rounds of
// bpf_map_update_elem on an array map (a helper call with two pointers into
// the program's stack), with a lookup every 16th round to read one back.
// Helper numbers come from the build (bench/ebpf_vs_ubpf.py).
typedef unsigned long long __u64;
typedef unsigned int __u32;

struct bpf_map_def {
  unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};

static void* (*bpf_map_lookup_elem)(void* map, const void* key) = (void*)HELPER_MAP_LOOKUP;
static long (*bpf_map_update_elem)(void* map, const void* key, const void* value,
                                   __u64 flags) = (void*)HELPER_MAP_UPDATE;

struct bpf_map_def __attribute__((section("maps"), used))
slots = {2 /* array */, 4, 8, 64, 0, 0, 0};

__u64 map_update_loop(__u64* input, __u64 length) {
  __u64 n = length >= 8 ? input[0] : 0, sum = 0;
  for (__u64 i = 0; i < n; i++) {
    __u32 key = (__u32)i & 63;
    __u64 value = i * 3;
    bpf_map_update_elem(&slots, &key, &value, 0);
    if ((i & 15) == 15) {
      __u64* read = bpf_map_lookup_elem(&slots, &key);
      if (read) sum += *read;
    }
  }
  return sum;
}

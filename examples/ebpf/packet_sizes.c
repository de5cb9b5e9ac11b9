// Packet sizes as a log2 histogram, and packets by EtherType, for `morel run --pcap`:
// r1 is the captured bytes, r2 their length, r3 the packet's length on the wire.
// Slot i of size_hist counts packets whose wire length has log2 i. Returns 1 for IPv4
// or IPv6, 0 for anything else. `morel run --pcap F --dump-maps` draws the histogram.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} size_hist SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u16);
  __type(value, __u64);
} ethertypes SEC(".maps");

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
int sizes(unsigned char *packet, unsigned long captured, unsigned long wire) {
  __u32 slot = log2_u64(wire);
  __u64 *count = bpf_map_lookup_elem(&size_hist, &slot);
  if (count) __sync_fetch_and_add(count, 1);
  if (captured < 14) return 0;
  __u16 type = (__u16)(packet[12] << 8 | packet[13]);
  __u64 one = 1;
  __u64 *seen = bpf_map_lookup_elem(&ethertypes, &type);
  if (seen) __sync_fetch_and_add(seen, 1);
  else bpf_map_update_elem(&ethertypes, &type, &one, BPF_ANY);
  return type == 0x0800 || type == 0x86dd;
}

char LICENSE[] SEC("license") = "GPL";

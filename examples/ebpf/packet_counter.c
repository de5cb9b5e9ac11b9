// Counts packets per IPv4 protocol in a hash map. Morel runs a program with r1 =
// the packet and r2 = its length (`morel run packet_counter.o --mem-file PKT`).
// Returns the packet's IP protocol, or 0 for anything that is not IPv4.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u32);    // IP protocol (6 TCP, 17 UDP, ...), 0xffff for non-IPv4
  __type(value, __u64);  // packets
} protocols SEC(".maps");

// Global data: libbpf (and Morel) keep it as a one-value array map named .bss.
__u64 packets_seen = 0;

SEC("socket")
int count_protocols(unsigned char *packet, unsigned long length) {
  __u32 key = 0xffff;
  packets_seen++;
  // Ethernet: 14 bytes, EtherType at 12 (big-endian); IPv4's protocol at 14 + 9.
  if (length >= 34 && packet[12] == 0x08 && packet[13] == 0x00 && (packet[14] >> 4) == 4)
    key = packet[23];
  __u64 *count = bpf_map_lookup_elem(&protocols, &key);
  if (count) {
    __sync_fetch_and_add(count, 1);
  } else {
    __u64 one = 1;
    bpf_map_update_elem(&protocols, &key, &one, BPF_NOEXIST);
  }
  return key == 0xffff ? 0 : key;
}

char LICENSE[] SEC("license") = "GPL";

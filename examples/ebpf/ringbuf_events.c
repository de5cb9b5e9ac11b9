// Events through a ring buffer: one record per packet, reserved in place and
// submitted (IPv4 and others), discarded (ARP), or copied in whole with
// ringbuf_output (frames too short for an Ethernet header). Returns 2, 3 or 1
// for those, and 0 when the ring is full.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
  __u32 length;
  __u32 ethertype;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int emit(unsigned char *packet, unsigned long length) {
  if (length < 14) {
    __u32 short_length = length;
    return bpf_ringbuf_output(&events, &short_length, sizeof short_length, 0) == 0 ? 1 : 0;
  }
  struct event *e = bpf_ringbuf_reserve(&events, sizeof *e, 0);
  if (!e) return 0;
  e->length = length;
  e->ethertype = (packet[12] << 8) | packet[13];
  if (e->ethertype == 0x0806) {
    bpf_ringbuf_discard(e, 0);
    return 3;
  }
  bpf_ringbuf_submit(e, 0);
  return 2;
}

char LICENSE[] SEC("license") = "GPL";

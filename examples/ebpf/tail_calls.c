// A chain of tail calls through a program array: the entry program counts its
// run and jumps to stage 1, which jumps to stage 2; each stage leaves a mark in
// `visits`. Slot 3 is empty: a tail call to it falls through (and Linux's
// limit of 33 chained calls stops the self-loop of stage 2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int stage1(unsigned char *packet, unsigned long length);
int stage2(unsigned char *packet, unsigned long length);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int(void *));
} jump_table SEC(".maps") = {
    .values = {[1] = (void *)&stage1, [2] = (void *)&stage2},
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} visits SEC(".maps");

static __always_inline void visit(__u32 stage) {
  __u64 *v = bpf_map_lookup_elem(&visits, &stage);
  if (v) *v += 1;
}

SEC("socket/entry")
int entry(unsigned char *packet, unsigned long length) {
  visit(0);
  bpf_tail_call(packet, &jump_table, 3);  // empty slot: falls through
  bpf_tail_call(packet, &jump_table, 1);
  return 1;  // not reached while slot 1 holds stage 1
}

SEC("socket/stage1")
int stage1(unsigned char *packet, unsigned long length) {
  visit(1);
  bpf_tail_call(packet, &jump_table, 2);
  return 2;
}

SEC("socket/stage2")
int stage2(unsigned char *packet, unsigned long length) {
  visit(2);
  // With a first byte of 0xff, stage 2 tail-calls itself until Linux's limit.
  if (length > 0 && packet[0] == 0xff) bpf_tail_call(packet, &jump_table, 2);
  return 100 + (length > 0 ? packet[0] : 0);
}

char LICENSE[] SEC("license") = "GPL";

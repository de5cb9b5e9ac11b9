#!/usr/bin/env bash
# `morel run` on eBPF programs as a user meets it, in every tier: ELF objects
# from examples/ebpf with --section, --mem-file and --dump-maps, a .data file
# with an input file, and the errors (unknown section, flags that need an object).
# With --pcap, a program runs once per packet of a synthetic capture (make_capture).
#   ebpf_run_test.sh MOREL_BINARY EXAMPLES_DIR MAKE_CAPTURE_BINARY
set -uo pipefail
morel=$1
examples=$2
make_capture=$3
source "$(dirname "$0")/expect.sh"
tiers=("--engine.Compilation=false" "--engine.CompileImmediately=true" "--engine.CompilationThreshold=1")

# An Ethernet frame carrying IPv4/UDP (protocol 17 at byte 23).
printf '\xff\xff\xff\xff\xff\xff\x00\x11\x22\x33\x44\x55\x08\x00\x45\x00\x00\x1c\x00\x00\x00\x00\x40\x11' > "$work/udp.bin"
printf '\x00%.0s' {1..36} >> "$work/udp.bin"
# Three latencies: 1, 1024 and 1 MiB (little-endian u64).
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00' > "$work/lat.bin"
printf 'hello, morel' > "$work/hello.txt"
printf -- '-- asm\nldxb %%r0, [%%r1+1]\nexit\n-- result\n0x0\n' > "$work/second_byte.data"

"$make_capture" "$work/traffic.pcap" 4000 7 || { echo "FAIL: make_capture"; exit 1; }
printf -- '-- asm\nldabsh 12\nexit\n' > "$work/ethertype.data"
printf -- '-- asm\nldxb %%r0, [%%r1+13]\nexit\n' > "$work/byte13.data"

for tier in "${tiers[@]}"; do
  t=${tier#--engine.}
  expect "--pcap counts by r0 ($t)" 0 $'4000 packets\n  r0 = 0x0: 855\n  r0 = 0x1: 3145\n@size_hist (array, 64 entries):\n[32, 64)                 686 |@@@@@@@@@@@@@@@@@@@@@' -- \
    "$morel" run "$tier" --pcap "$work/traffic.pcap" --dump-maps "$examples/packet_sizes.o"
  expect "--pcap maps ($t)"         0 $'@ethertypes (hash, 4 entries):\n  2048: 2381\n  33024: 399\n  2054: 389\n  34525: 764' -- \
    "$morel" run "$tier" --pcap "$work/traffic.pcap" --dump-maps "$examples/packet_sizes.o"
  # ldabsh 12: the EtherType; frames captured shorter than 14 bytes give 0.
  expect "--pcap on assembly ($t)"  0 $'  r0 = 0x0: 67\n  r0 = 0x800: 2381\n  r0 = 0x806: 389\n  r0 = 0x8100: 399\n  r0 = 0x86dd: 764' -- \
    "$morel" run "$tier" --pcap "$work/traffic.pcap" "$work/ethertype.data"
  # ldxb past a short packet's end traps: counted, and the exit code says so.
  expect "--pcap counts traps ($t)" 1 '  trap (out of bounds memory access): 67' -- \
    "$morel" run "$tier" --pcap "$work/traffic.pcap" "$work/byte13.data"
  expect "packet counter ($t)"      0 $'0x11\n@protocols (hash, 1 entries):\n  17: 1' -- \
    "$morel" run "$tier" --dump-maps --mem-file "$work/udp.bin" "$examples/packet_counter.o"
  expect "histogram bars ($t)"      0 '[1K, 2K)                   1 |@@@@' -- \
    "$morel" run "$tier" --dump-maps --mem-file "$work/lat.bin" "$examples/latency_histogram.o"
  expect "tail-call chain ($t)"     0 $'0x64\n@visits (array, 4 entries):\n  0: 1\n  1: 1\n  2: 1' -- \
    "$morel" run "$tier" --section socket/entry --dump-maps "$examples/tail_calls.o"
  expect "bpf-to-bpf calls ($t)"    0 'checksum 19001 fib 55' -- \
    "$morel" run "$tier" --mem-file "$work/hello.txt" "$examples/local_calls.o"
  expect "ring buffer ($t)"         0 $'0x2\n@events (ringbuf, 1 records):\n  3c 00 00 00 00 08 00 00' -- \
    "$morel" run "$tier" --dump-maps --mem-file "$work/udp.bin" "$examples/ringbuf_events.o"
  expect ".data with a file ($t)"   0 '0x65' -- "$morel" run "$tier" --mem-file "$work/hello.txt" "$work/second_byte.data"
done
expect "unknown section"            2 "no program section 'nope'" -- "$morel" run --section nope "$examples/tail_calls.o"
expect "--section on assembly"      2 "--section needs an ELF object" -- "$morel" run --section x "$work/second_byte.data"
expect "--dump-maps on assembly"    2 "--dump-maps needs an ELF object" -- "$morel" run --dump-maps "$work/second_byte.data"
expect "--pcap and --mem-file"       2 "--mem-file and --pcap are two inputs" -- \
  "$morel" run --pcap "$work/traffic.pcap" --mem-file "$work/udp.bin" "$examples/packet_counter.o"
expect "--pcap of a text file"      2 "cannot read pcap file: $work/hello.txt: unknown file format" -- \
  "$morel" run --pcap "$work/hello.txt" "$examples/packet_counter.o"
expect "missing input file"         2 "not a regular file" -- "$morel" run --mem-file "$work/none" "$examples/packet_counter.o"
head -c 200 "$examples/packet_counter.o" > "$work/truncated.o"
expect "truncated object"           2 "malformed ELF" -- "$morel" run "$work/truncated.o"

echo "ebpf_run: $failures failed"
[[ $failures -eq 0 ]]

#!/usr/bin/env bash
# `morel run` on eBPF programs as a user meets it, in every tier: ELF objects
# from examples/ebpf with --section, --mem-file and --dump-maps, a .data file
# with an input file, and the errors (unknown section, flags that need an object).
#   ebpf_run_test.sh MOREL_BINARY EXAMPLES_DIR
set -uo pipefail
morel=$1
examples=$2
source "$(dirname "$0")/expect.sh"
tiers=("--engine.Compilation=false" "--engine.CompileImmediately=true" "--engine.CompilationThreshold=1")

# An Ethernet frame carrying IPv4/UDP (protocol 17 at byte 23).
printf '\xff\xff\xff\xff\xff\xff\x00\x11\x22\x33\x44\x55\x08\x00\x45\x00\x00\x1c\x00\x00\x00\x00\x40\x11' > "$work/udp.bin"
printf '\x00%.0s' {1..36} >> "$work/udp.bin"
# Three latencies: 1, 1024 and 1 MiB (little-endian u64).
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00' > "$work/lat.bin"
printf 'hello, morel' > "$work/hello.txt"
printf -- '-- asm\nldxb %%r0, [%%r1+1]\nexit\n-- result\n0x0\n' > "$work/second_byte.data"

for tier in "${tiers[@]}"; do
  t=${tier#--engine.}
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
expect "missing input file"         2 "not a regular file" -- "$morel" run --mem-file "$work/none" "$examples/packet_counter.o"
head -c 200 "$examples/packet_counter.o" > "$work/truncated.o"
expect "truncated object"           2 "malformed ELF" -- "$morel" run "$work/truncated.o"

echo "ebpf_run: $failures failed"
[[ $failures -eq 0 ]]

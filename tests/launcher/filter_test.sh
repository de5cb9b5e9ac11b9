#!/usr/bin/env bash
# `morel filter EXPRESSION FILE.pcap` as a user meets it, in every tier, over the
# synthetic capture classic_bpf_tests checks against libpcap packet by packet (4000
# frames, seed 7): the counts below are libpcap's. Then the bad inputs: an expression
# libpcap refuses and captures it cannot read exit 2 with a message naming the problem.
#   filter_test.sh MOREL_BINARY MAKE_CAPTURE_BINARY
set -uo pipefail
morel=$1
make_capture=$2
source "$(dirname "$0")/expect.sh"
tiers=("--engine.Compilation=false" "--engine.CompileImmediately=true" "--engine.CompilationThreshold=1")

"$make_capture" "$work/traffic.pcap" 4000 7 || { echo "FAIL: make_capture"; exit 1; }
for tier in "${tiers[@]}"; do
  t=${tier#--engine.}
  expect "tcp port 80 ($t)"           0 '294 of 4000 packets match' -- "$morel" filter "$tier" 'tcp port 80' "$work/traffic.pcap"
  expect "udp dst port 53 ($t)"       0 '86 of 4000 packets match' -- "$morel" filter "$tier" 'udp dst port 53' "$work/traffic.pcap"
  expect "vlan 10 and tcp ($t)"       0 '59 of 4000 packets match' -- "$morel" filter "$tier" 'vlan 10 and tcp' "$work/traffic.pcap"
  expect "tcp[13] & 2 != 0 ($t)"      0 '382 of 4000 packets match' -- "$morel" filter "$tier" 'tcp[13] & 2 != 0' "$work/traffic.pcap"
  expect "len > 100 ($t)"             0 '2381 of 4000 packets match' -- "$morel" filter "$tier" 'len > 100' "$work/traffic.pcap"
  expect "not ip and not ip6 ($t)"    0 '788 of 4000 packets match' -- "$morel" filter "$tier" 'not ip and not ip6' "$work/traffic.pcap"
done
# Compiled code deoptimizing at every third statement boundary still counts the same.
expect "vlan 10 and tcp (StressDeopt)" 0 '59 of 4000 packets match' -- \
  "$morel" filter --engine.CompileImmediately=true --engine.StressDeopt=3 'vlan 10 and tcp' "$work/traffic.pcap"
expect "--dump shows both programs" 0 $'; eBPF\nmov32 %r0, 0' -- "$morel" filter --dump 'arp' "$work/traffic.pcap"

# Bad inputs: exit 2 and a message that says what is wrong.
expect "invalid expression"         2 "invalid filter expression 'tcp port': can't parse filter expression: syntax error" -- \
  "$morel" filter 'tcp port' "$work/traffic.pcap"
expect "port out of range"          2 "invalid filter expression 'port 99999': illegal port number 99999" -- \
  "$morel" filter 'port 99999' "$work/traffic.pcap"
expect "missing capture"            2 "cannot read pcap file: $work/none.pcap: No such file or directory" -- \
  "$morel" filter tcp "$work/none.pcap"
printf 'not a capture at all, but long enough for a header' > "$work/text.pcap"
expect "not a capture"              2 "cannot read pcap file: $work/text.pcap: unknown file format" -- \
  "$morel" filter tcp "$work/text.pcap"
head -c 10 "$work/traffic.pcap" > "$work/header-cut.pcap"
expect "capture header cut short"   2 "cannot read pcap file: $work/header-cut.pcap: truncated dump file" -- \
  "$morel" filter tcp "$work/header-cut.pcap"
head -c 1000 "$work/traffic.pcap" > "$work/record-cut.pcap"
expect "capture record cut short"   2 "cannot read pcap file: $work/record-cut.pcap: truncated dump file" -- \
  "$morel" filter tcp "$work/record-cut.pcap"
expect "a directory"                2 "cannot read pcap file: $work" -- "$morel" filter tcp "$work"
expect "no capture given"           2 "file is required" -- "$morel" filter tcp

echo "filter: $failures failed"
[[ $failures -eq 0 ]]

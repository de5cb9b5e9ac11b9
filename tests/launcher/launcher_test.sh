#!/usr/bin/env bash
# The launcher as a user meets it: bad inputs exit 2 with a clear message, a
# guest stopped by a sandbox limit exits 1 naming the limit, in every tier.
#   launcher_test.sh MOREL_BINARY CASES_DIR
set -uo pipefail
morel=$1
cases=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
tiers=("--engine.Compilation=false" "--engine.CompileImmediately=true" "--engine.CompilationThreshold=5")

# expect NAME EXIT_CODE OUTPUT_SUBSTRING -- COMMAND...
expect() {
  local name=$1 code=$2 text=$3
  shift 4
  local out status
  out=$(timeout 20 "$@" 2>&1)
  status=$?
  if [[ $status -ne $code || "$out" != *"$text"* ]]; then
    echo "FAIL $name: expected exit $code and output containing '$text'; got exit $status and: $out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

printf '(module (func (export "") (result i32) i32.const 5))' > "$work/empty_name.wat"
wat2wasm "$work/empty_name.wat" -o "$work/empty_name.wasm"
mkfifo "$work/fifo.wasm"
mkdir "$work/dir.wasm"
truncate -s $(( (1 << 30) + 1 )) "$work/huge.wasm"

expect "device file"            2 "not a regular file"    -- "$morel" run --invoke f /dev/zero
expect "fifo"                   2 "not a regular file"    -- "$morel" run --invoke f "$work/fifo.wasm"
expect "directory"              2 "not a regular file"    -- "$morel" run --invoke f "$work/dir.wasm"
expect "missing file"           2 "no such file"          -- "$morel" run --invoke f "$work/none.wasm"
expect "file over the limit"    2 "more than the limit"   -- "$morel" run --invoke f "$work/huge.wasm"
expect "empty option value"     2 "has an empty value"    -- "$morel" run --engine.CompilationThreshold= --invoke "" "$work/empty_name.wasm"
expect "flag form of an integer" 2 "needs a value"        -- "$morel" run --engine.CompilationThreshold --invoke "" "$work/empty_name.wasm"
expect "bad duration"           2 "needs a unit"          -- "$morel" run --sandbox.MaxCPUTime=3 --invoke "" "$work/empty_name.wasm"
expect "zero stack frames"      2 "at least 1"            -- "$morel" run --sandbox.MaxStackFrames=0 --invoke "" "$work/empty_name.wasm"
expect "unwritable DumpGraphs"  2 "cannot write"          -- "$morel" run --engine.DumpGraphs=/proc/morel-graphs --invoke "" "$work/empty_name.wasm"
expect "export named \"\""      0 "5"                     -- "$morel" run --invoke "" "$work/empty_name.wasm"
expect "no --invoke"            2 "needs --invoke"        -- "$morel" run "$work/empty_name.wasm"

for tier in "${tiers[@]}"; do
  expect "endless wasm loop $tier"  1 "morel: sandbox.MaxCPUTime of 200ms exceeded" -- \
    "$morel" run "$tier" --sandbox.MaxCPUTime=200ms --invoke spin "$cases/endless_loop.wasm"
  expect "endless eBPF loop $tier"  1 "morel: sandbox.MaxCPUTime of 200ms exceeded" -- \
    "$morel" run "$tier" --sandbox.MaxCPUTime=200ms "$cases/endless_loop_ebpf.bpf"
  # The launcher gives the guest a host stack for MaxStackFrames frames in every tier.
  expect "100000 frames allowed $tier" 0 "99999" -- \
    "$morel" run "$tier" --sandbox.MaxStackFrames=100000 --invoke rec "$cases/stack_frames_limit.wasm" 99999
  expect "100001 frames refused $tier" 1 "trap: call stack exhausted" -- \
    "$morel" run "$tier" --sandbox.MaxStackFrames=100000 --invoke rec "$cases/stack_frames_limit.wasm" 100000
done

echo "launcher: $failures failed"
[[ $failures -eq 0 ]]

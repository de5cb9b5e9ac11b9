#!/usr/bin/env bash
# The launcher as a user meets it: bad inputs exit 2 with a clear message, a
# guest stopped by a sandbox limit exits 1 naming the limit, in every tier.
#   launcher_test.sh MOREL_BINARY CASES_DIR
set -uo pipefail
morel=$1
cases=$2
source "$(dirname "$0")/expect.sh"
tiers=("--engine.Compilation=false" "--engine.CompileImmediately=true" "--engine.CompilationThreshold=5")

printf '(module (func (export "") (result i32) i32.const 5))' > "$work/empty_name.wat"
wat2wasm "$work/empty_name.wat" -o "$work/empty_name.wasm"
cat > "$work/floats.wat" <<'WAT'
(module
  (func (export "id32") (param f32) (result f32) local.get 0)
  (func (export "id64") (param f64) (result f64) local.get 0)
  (func (export "bits32") (param f32) (result i32) local.get 0 i32.reinterpret_f32)
  (func (export "div") (param f64 f64) (result f64) local.get 0 local.get 1 f64.div)
  (func (export "trunc") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
  (func (export "to_f64") (param i64) (result f64) local.get 0 f64.convert_i64_u))
WAT
wat2wasm "$work/floats.wat" -o "$work/floats.wasm"
{ printf '(module (func (export "main") (result i32)\n'
  for ((i = 0; i < 12001; ++i)); do printf 'block\n'; done
  for ((i = 0; i < 12001; ++i)); do printf 'end\n'; done
  printf 'i32.const 7))\n'; } > "$work/too_deep.wat"
wat2wasm "$work/too_deep.wat" -o "$work/too_deep.wasm"
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
expect "nesting past the limit" 2 "control nesting too deep" -- "$morel" run --invoke main "$work/too_deep.wasm"
expect "integer argument"       2 "bad argument '1.5': not an integer" -- "$morel" run --invoke to_f64 "$work/floats.wasm" 1.5
expect "float argument"         2 "bad argument 'one': not a float" -- "$morel" run --invoke id32 "$work/floats.wasm" one
expect "f32 out of range"       2 "bad argument '1e39': not a float" -- "$morel" run --invoke id32 "$work/floats.wasm" 1e39
expect "float word"             2 "not a float"           -- "$morel" run --invoke id64 "$work/floats.wasm" infinity
# Tier options: a bad engine.Mode names the choices; a tier threshold is at least 1.
expect "bad engine.Mode"        2 "engine.Mode expects one of default, latency, throughput, got 'fast'" -- \
  "$morel" run --engine.Mode=fast --invoke "" "$work/empty_name.wasm"
expect "zero first-tier threshold" 2 "FirstTierCompilationThreshold expects an integer of at least 1" -- \
  "$morel" run --engine.FirstTierCompilationThreshold=0 --invoke "" "$work/empty_name.wasm"
expect "two tiers traced"       0 "|Tier 2|" -- "$morel" run --engine.MultiTier=true --engine.BackgroundCompilation=false \
  --engine.FirstTierCompilationThreshold=2 --engine.LastTierCompilationThreshold=4 --engine.TraceCompilation \
  --repeat 6 --invoke "" "$work/empty_name.wasm"
# --repeat N: N calls, each timed on stderr, the last result on stdout.
expect "repeat times each call" 0 "[repeat] 2 " -- "$morel" run --repeat 3 --invoke "" "$work/empty_name.wasm"
expect "repeat of zero"         2 "--repeat: Value 0 not in range 1 to 1000000000" -- "$morel" run --repeat 0 --invoke "" "$work/empty_name.wasm"
# Text modules load directly (Morel's .wat parser); a malformed one names file:line:column.
printf '(module\n  (func (export "f") (result i32)\n    i32.ad))' > "$work/bad.wat"
expect "text module"            0 "1.5"                   -- "$morel" run --invoke id32 "$work/floats.wat" 1.5
expect "malformed text module"  2 "bad.wat:3:5: unknown operator: i32.ad" -- "$morel" run --invoke f "$work/bad.wat"

# Inlining and the deoptimization trace: a guard two inlined calls deep rebuilds three frames.
examples="$(cd "$(dirname "$0")/../../examples" && pwd)"
wat2wasm "$examples/inlining.wat" -o "$work/inlining.wasm"
wat2wasm "$examples/simd.wat" -o "$work/simd.wasm"
expect "inlining trace"         0 "inline yes func1 into run" -- \
  "$morel" run --engine.CompileImmediately=true --engine.TraceInlining=true --invoke run "$work/inlining.wasm" 10 2 5
expect "deopt through inlined frames" 0 "|Frames 3|" -- \
  "$morel" run --engine.CompileImmediately=true --engine.TraceDeoptimization=true --invoke run "$work/inlining.wasm" 10 2 5
expect "v128 argument"          0 "i32x4 0x0000000e 0x0000000d 0x0000000c 0x0000000b" -- \
  "$morel" run --invoke shuffle_add "$work/simd.wasm" 0x00000004000000030000000200000001
expect "bad v128 argument"      2 "not a v128" -- "$morel" run --invoke shuffle_add "$work/simd.wasm" 12

for tier in "${tiers[@]}"; do
  # Float arguments in the text format's spellings, results in the shortest round-trip form.
  expect "f32 decimal $tier"        0 "1.5"           -- "$morel" run "$tier" --invoke id32 "$work/floats.wasm" 1.5
  expect "f32 rounds once $tier"    0 "16777216"      -- "$morel" run "$tier" --invoke id32 "$work/floats.wasm" 16777217
  expect "f64 shortest $tier"       0 "0.1"           -- "$morel" run "$tier" --invoke id64 "$work/floats.wasm" 0.1
  expect "f64 hex $tier"            0 "3"             -- "$morel" run "$tier" --invoke id64 "$work/floats.wasm" 0x1.8p1
  expect "NaN payload $tier"        0 "2141192193"    -- "$morel" run "$tier" --invoke bits32 "$work/floats.wasm" nan:0x200001
  expect "negative zero $tier"      0 "-2147483648"   -- "$morel" run "$tier" --invoke bits32 "$work/floats.wasm" -0
  expect "negative NaN $tier"       0 "-nan:0x1"      -- "$morel" run "$tier" --invoke id32 "$work/floats.wasm" -- -nan:0x1
  expect "infinity $tier"           0 "-inf"          -- "$morel" run "$tier" --invoke div "$work/floats.wasm" -- -1 0
  expect "NaN result $tier"         0 "nan"           -- "$morel" run "$tier" --invoke div "$work/floats.wasm" 0 0
  expect "u64 to f64 $tier"         0 "18446744073709551616" -- "$morel" run "$tier" --invoke to_f64 "$work/floats.wasm" -1
  expect "invalid conversion $tier" 1 "trap: invalid conversion to integer" -- \
    "$morel" run "$tier" --invoke trunc "$work/floats.wasm" nan
  expect "float overflow $tier"     1 "trap: integer overflow" -- \
    "$morel" run "$tier" --invoke trunc "$work/floats.wasm" 2147483648
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

# WASI commands: _start runs, proc_exit's status is morel's, everything after
# the file is the guest's argv[1..], only --env variables are visible.
cat > "$work/command.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  ;; Prints "hi", then exits with 10 * argc + the number of environment variables.
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $args (i32.const 32) (i32.const 36)))
    (drop (call $environ (i32.const 40) (i32.const 44)))
    (call $exit (i32.add (i32.mul (i32.load (i32.const 32)) (i32.const 10)) (i32.load (i32.const 40))))))
WAT
wat2wasm "$work/command.wat" -o "$work/command.wasm"
printf '(module (memory (export "memory") 1) (func (export "_start")))' > "$work/returns.wat"
wat2wasm "$work/returns.wat" -o "$work/returns.wasm"
printf '(module (memory (export "memory") 1) (func (export "_start") unreachable))' > "$work/traps.wat"
wat2wasm "$work/traps.wat" -o "$work/traps.wasm"
cat > "$work/start.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "from start\n")
  (func $main
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 11))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 5)))
  (start $main)
  (func (export "_start")))
WAT
wat2wasm "$work/start.wat" -o "$work/start.wasm"
printf '(module (func (export "f")))' > "$work/library.wat"
wat2wasm "$work/library.wat" -o "$work/library.wasm"

expect "WASI: a library needs --invoke" 2 "needs --invoke NAME (it exports no WASI _start)" -- \
  "$morel" run "$work/library.wasm"
expect "WASI: --dir that is no directory" 2 "cannot open as a directory" -- \
  "$morel" run --dir "$work/none" "$work/returns.wasm"

for tier in "${tiers[@]}"; do
  expect "WASI: proc_exit status $tier"     10 "hi"   -- "$morel" run "$tier" "$work/command.wasm"
  expect "WASI: guest arguments $tier"      40 "hi"   -- "$morel" run "$tier" "$work/command.wasm" a -x --flag
  expect "WASI: only --env is seen $tier"   12 "hi"   -- env B=2 C=3 "$morel" run "$tier" --env A=1 --env B --env UNSET_X "$work/command.wasm"
  expect "WASI: _start returns $tier"       0  ""     -- "$morel" run "$tier" "$work/returns.wasm"
  expect "WASI: called by a start function $tier" 5 "from start" -- "$morel" run "$tier" "$work/start.wasm"
  expect "WASI: _start traps $tier"         1  "trap: unreachable" -- "$morel" run "$tier" "$work/traps.wasm"
done

echo "launcher: $failures failed"
[[ $failures -eq 0 ]]

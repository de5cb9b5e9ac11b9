#!/usr/bin/env bash
# Morel benchmarks: each program in bench/programs/ run by Morel (interpreter only,
# tiered, compile-immediately), by Node.js/V8 and as native clang -O2 code, timed
# as whole processes (wall time, nothing subtracted), results cross-checked.
#
#   bench/run.sh           # 1 warmup + 5 timed runs per engine and program
#   bench/run.sh --quick   # 1 warmup + 2 timed runs
#   bench/run.sh --runs N  # 1 warmup + N timed runs
#   WASM3=/path/to/wasm3 bench/run.sh   # adds wasm3 (an interpreter) as a peer
#
# Needs build/bin/morel (it does not build Morel), wat2wasm, node, clang-14, python3.
# Outputs go to build/bench/ (NAME.wasm, NAME.native, results.json).
# Everything runs under `nice -n 10`. Exits non-zero if any engine fails or
# disagrees with the native result.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUNS=5
WARMUP=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) RUNS=2; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

# program, exported entry, arguments. Sized for a few hundred ms of native work.
BENCHES=(
  "fib fib 40"
  "loop_sum run 100000 4000"
  "loop_once sum 300000000 7"
  "sieve count_primes 10000000"
  "memsieve count_primes 50000000"
  "matmul matmul 600"
  "sort sort 2000000"
  "dot_simd dot 100000 6000"
  "indirect run 100000000 3"
)

MOREL="$ROOT/build/bin/morel"
OUT="$ROOT/build/bench"
WAT2WASM="${WAT2WASM:-wat2wasm}"
NODE="${NODE:-node}"
CC="${CC_NATIVE:-clang-14}"

[[ -x "$MOREL" ]] || { echo "run.sh: $MOREL not found; build Morel first (scripts/run.sh)" >&2; exit 2; }
for tool in "$WAT2WASM" "$NODE" "$CC" python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' not found" >&2; exit 2; }
done

mkdir -p "$OUT"
for spec in "${BENCHES[@]}"; do
  name="${spec%% *}"
  "$WAT2WASM" "bench/programs/$name.wat" -o "$OUT/$name.wasm"
  "$CC" -O2 -o "$OUT/$name.native" "bench/native/$name.c"
done
echo "built: $(for spec in "${BENCHES[@]}"; do printf '%s.wasm %s.native ' "${spec%% *}" "${spec%% *}"; done)in $OUT"

wasm3=()
[[ -n "${WASM3:-}" ]] && wasm3=(--wasm3 "$WASM3")
exec nice -n 10 python3 "$ROOT/bench/harness.py" \
  --morel "$MOREL" --node "$NODE" --node-runner "$ROOT/bench/node_runner.js" "${wasm3[@]}" \
  --out "$OUT" --runs "$RUNS" --warmup "$WARMUP" --json "$OUT/results.json" \
  "${BENCHES[@]}"

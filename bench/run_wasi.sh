#!/usr/bin/env bash
# The WASI benchmark set: C programs of bench/wasi/ built to wasm32-wasi and
# natively with clang-14 -O2, each run as a whole process in Morel
# (interpreter only, tiered), in Node.js through node:wasi
# (--no-turbo-fast-api-calls), in wasm3 when WASM3 names a binary, and
# natively; outputs cross-checked, ratios printed.
#
#   bench/run_wasi.sh           # 1 warmup + 3 timed runs per engine and program
#   bench/run_wasi.sh --quick   # 1 warmup + 1 timed run
#   bench/run_wasi.sh --runs N
#   bench/run_wasi.sh --only graph,checksum   # some programs only
#   WASM3=/path/to/wasm3 bench/run_wasi.sh
#
# Needs build/bin/morel (it does not build Morel), node, clang-14 with wasi-libc,
# python3. Outputs go to build/bench/wasi/ (NAME.wasm, NAME.native, results.json).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUNS=3
ONLY=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) RUNS=1; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    --only) ONLY=",$2,"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run_wasi.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

# program and its arguments, sized for about 0.1-0.5 s of native work.
BENCHES=(
  "matmul _start 600"
  "sort _start 1000000"
  "hashtable _start 300000"
  "compress _start 8192"
  "nbody _start 1000000"
  "interp _start 150000"
  "raytrace _start 1536"
  "strings _start 300000"
  "graph _start 500000"
  "checksum _start 16 4"
)

if [[ -n "$ONLY" ]]; then
  chosen=()
  for spec in "${BENCHES[@]}"; do [[ "$ONLY" == *",${spec%% *},"* ]] && chosen+=("$spec"); done
  ((${#chosen[@]})) || { echo "run_wasi.sh: --only names no program of the set" >&2; exit 2; }
  BENCHES=("${chosen[@]}")
fi

MOREL="$ROOT/build/bin/morel"
OUT="$ROOT/build/bench/wasi"
NODE="${NODE:-node}"
CC="${CC_NATIVE:-clang-14}"
[[ -x "$MOREL" ]] || { echo "run_wasi.sh: $MOREL not found; build Morel first" >&2; exit 2; }
for tool in "$NODE" "$CC" python3; do
  command -v "$tool" >/dev/null || { echo "run_wasi.sh: '$tool' not found" >&2; exit 2; }
done

mkdir -p "$OUT"
for spec in "${BENCHES[@]}"; do
  name="${spec%% *}"
  "$CC" --target=wasm32-wasi -O2 -o "$OUT/$name.wasm" "bench/wasi/$name.c"
  "$CC" -O2 -o "$OUT/$name.native" "bench/wasi/$name.c" -lm
done
echo "built: ${#BENCHES[@]} programs, .wasm and .native, in $OUT"

wasm3=()
[[ -n "${WASM3:-}" ]] && wasm3=(--wasm3 "$WASM3")
exec nice -n 10 python3 "$ROOT/bench/harness.py" \
  --morel "$MOREL" --node "$NODE" --node-runner "$ROOT/bench/node_runner.js" \
  --node-wasi-runner "$ROOT/bench/node_wasi_runner.js" "${wasm3[@]}" \
  --engines morel-interp,morel-tiered,node,node-noliftoff,native \
  --out "$OUT" --runs "$RUNS" --warmup 1 --json "$OUT/results.json" \
  "${BENCHES[@]}"

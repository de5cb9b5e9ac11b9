#!/usr/bin/env bash
# README command 1: set up, build the launcher, run it on the bundled examples.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ninja -C build morel examples $(ninja -C build -t targets all | grep -q '^wasi_examples:' && echo wasi_examples)
for mode in "--engine.Compilation=false" "--engine.CompileImmediately=true" ""; do
  echo "== mode: ${mode:-tiered (default)}"
  build/bin/morel run $mode --invoke fib build/examples/fib.wasm 27
  build/bin/morel run $mode --invoke sum build/examples/loops.wasm 1000
  build/bin/morel run $mode --invoke main build/examples/i64.wasm
  build/bin/morel run $mode examples/countdown.bpf
  build/bin/morel run $mode --invoke sum build/examples/osr.wasm 10000000   # a loop run once: OSR
  build/bin/morel run $mode --invoke dot build/examples/simd.wasm 2000      # f64x2 SIMD
  if [[ -f build/examples/wasm/hello.wasm ]]; then  # WASI programs in C (clang-14 and wasi-libc present)
    build/bin/morel run $mode build/examples/wasm/hello.wasm
    build/bin/morel run $mode build/examples/wasm/floyd_warshall.wasm 6
  fi
done
echo "== a trap (expected to fail with 'integer divide by zero'):"
build/bin/morel run --invoke div build/examples/traps.wasm 1 0 || true

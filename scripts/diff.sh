#!/bin/sh
# Differential testing of Morel's execution modes against Node.js (Wasm) and a reference
# interpreter (eBPF):
#
#   scripts/diff.sh N [--seed S] [--lang wasm|ebpf|both] [--jobs J] [--stress-deopt] [--out DIR]
#
# Generates N random terminating programs and runs each in the interpreter, with
# CompileImmediately, tiered, and tiered with CompilationThreshold=2; prints
# "N agreed, M diverged" and exits 1 on any divergence (saved with a replay.sh under
# build/diff/divergences/). tests/diff/reduce.py DIR shrinks one. Uses build/bin/morel,
# or $MOREL. Exits 77 (skipped) when a tool it needs is missing. See docs/reliability.md.
root=$(cd "$(dirname "$0")/.." && pwd)
need="python3 node wat2wasm"
prev=
for arg in "$@"; do
  if [ "$arg" = "--lang=ebpf" ] || { [ "$prev" = "--lang" ] && [ "$arg" = "ebpf" ]; }; then
    need="python3"
  fi
  prev=$arg
done
for tool in $need; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "diff.sh: $tool not found; skipping" >&2
    exit 77
  fi
done
exec python3 "$root/tests/diff/diff.py" "$@"

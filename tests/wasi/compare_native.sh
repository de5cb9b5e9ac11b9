#!/usr/bin/env bash
# Runs one WASI example in Morel and natively and compares what a user sees:
# stdout, stderr, the exit status and the files left in its directory.
#   compare_native.sh MOREL TIER_OPTIONS EXAMPLE_DIR NAME [ENV=VALUE...] -- [ARGS...]
# TIER_OPTIONS: morel's engine options, separated by commas.
# Both run in a fresh directory holding input.txt, which is also their stdin;
# Morel reaches the directory through `--dir DIR::.`, the native program as its
# working directory. The native
# program gets only the listed environment (env -i), Morel the same via --env.
set -uo pipefail
morel=$1 tier=$2 dir=$3 name=$4
shift 4
IFS=, read -ra tier_options <<< "$tier"
envs=()
while (($#)) && [[ $1 != -- ]]; do envs+=("$1"); shift; done
shift  # --
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in native morel; do
  mkdir -p "$work/$side"
  # An input with every byte value and more than one buffer of the copy program.
  for ((i = 0; i < 40; ++i)); do printf '%s\n' "line $i of the input"; done > "$work/$side/input.txt"
  head -c 10000 /dev/urandom >> "$work/$side/input.txt" 2>/dev/null || true
done
cp "$work/native/input.txt" "$work/morel/input.txt"
cp "$work/native/input.txt" "$work/input.txt"

(cd "$work/native" && env -i "${envs[@]}" "$dir/$name.native" "$@" < ../input.txt > ../native.out 2> ../native.err)
native_status=$?
morel_env=()
for e in "${envs[@]}"; do morel_env+=(--env "$e"); done
(cd "$work" && timeout 120 "$morel" run "${tier_options[@]}" --dir "$work/morel::." "${morel_env[@]}" "$dir/$name.wasm" "$@" \
   < input.txt > morel.out 2> morel.err)
morel_status=$?

failed=0
if [[ $native_status -ne $morel_status ]]; then
  echo "exit status: native $native_status, morel $morel_status"
  failed=1
fi
for stream in out err; do
  if ! cmp -s "$work/native.$stream" "$work/morel.$stream"; then
    echo "std$stream differs:"
    diff "$work/native.$stream" "$work/morel.$stream" | head -20
    failed=1
  fi
done
if ! diff -r "$work/native" "$work/morel" > /dev/null; then
  echo "files differ:"
  diff -r "$work/native" "$work/morel" | head -20
  failed=1
fi
((failed)) || echo "ok: $name $tier: exit $morel_status, $(wc -c < "$work/morel.out") bytes of output, same files"
exit $failed

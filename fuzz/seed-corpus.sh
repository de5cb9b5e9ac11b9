#!/usr/bin/env bash
# Builds the fuzz seed corpora from the project's own test inputs (the fuzz_seed_corpus
# target of fuzz/CMakeLists.txt runs it; the harness list there names which corpus each
# harness starts from):
#   OUT/wasm/  the example modules (EXAMPLES_BUILD/*.wasm), and the binary modules
#              wast2json writes for the spec suite's .wast files: valid, invalid and
#              malformed ones, at most PER_WAST per file, none over 64 KiB
#   OUT/wat/   the example modules' text (EXAMPLES_SRC/*.wat) and the spec suite's
#              .wast scripts of at most 64 KiB (the text parser reads their first module)
#   OUT/ebpf/  the conformance .data files and examples/*.bpf as they are, their
#              `-- asm` sections alone, and those programs in the 8-byte encoding
#   OUT/elf/   the eBPF ELF objects built from examples/ebpf (EXAMPLES_BUILD/ebpf/*.o)
#   OUT/classic/ classic BPF programs (struct sock_filter arrays) that libpcap compiles
#              from tcpdump expressions (CLASSIC_COMPILER)
# Identical inputs are kept once. Regenerated from scratch on every run.
#   seed-corpus.sh OUT TESTSUITE EXAMPLES_BUILD EXAMPLES_SRC PER_WAST WAST2JSON ENCODER CLASSIC_COMPILER
set -euo pipefail
out=$1 suite=$2 examples_build=$3 examples_src=$4 per_wast=$5 wast2json=$6 encoder=$7 classic_compiler=$8
max_bytes=65536

rm -rf "$out"
mkdir -p "$out/wasm" "$out/wat" "$out/ebpf" "$out/elf" "$out/classic"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A seen
# keep FILE KIND NAME: copies FILE to OUT/KIND/NAME unless its content is already there.
keep() {
  local sum
  sum=$(sha1sum <"$1" | cut -c1-40)
  [[ -n ${seen[$2$sum]:-} ]] && return 0
  seen[$2$sum]=1
  cp "$1" "$out/$2/$3"
}

for f in "$examples_build"/*.wasm; do
  [[ -f $f ]] && keep "$f" wasm "example-$(basename "$f")"
done

wast_files=0 wast_failed=0
for wast in "$suite"/wasm/*.wast; do
  [[ -f $wast ]] || continue
  wast_files=$((wast_files + 1))
  name=$(basename "$wast" .wast)
  dir="$work/$name"
  mkdir -p "$dir"
  if ! "$wast2json" --enable-all "$wast" -o "$dir/$name.json" >/dev/null 2>&1; then
    wast_failed=$((wast_failed + 1))
    continue
  fi
  taken=0
  # wast2json numbers the modules in script order: NAME.0.wasm, NAME.1.wasm, ...
  while read -r module; do
    ((taken < per_wast)) || break
    (($(stat -c %s "$dir/$module") <= max_bytes)) || continue
    keep "$dir/$module" wasm "spec-$module"
    taken=$((taken + 1))
  done < <(cd "$dir" && ls | grep '\.wasm$' | sort -t. -k2,2n)
done

for f in "$examples_src"/*.wat "$suite"/wasm/*.wast; do
  [[ -f $f ]] || continue
  (($(stat -c %s "$f") <= max_bytes)) || continue
  keep "$f" wat "$(basename "$f")"
done

for f in "$suite"/ebpf/*.data "$examples_src"/*.bpf; do
  [[ -f $f ]] || continue
  base=$(basename "$f")
  keep "$f" ebpf "$base"
  # The assembler text alone (a .bpf file is nothing else).
  if [[ $f == *.data ]]; then
    awk '/^-- /{inside = ($0 == "-- asm"); next} inside' "$f" >"$work/asm"
    [[ -s $work/asm ]] && keep "$work/asm" ebpf "$base.asm"
  fi
  if "$encoder" "$f" "$work/bin" 2>/dev/null && [[ -s $work/bin ]]; then
    keep "$work/bin" ebpf "$base.bin"
  fi
done

for f in "$examples_build"/ebpf/*.o; do
  [[ -f $f ]] && keep "$f" elf "example-$(basename "$f")"
done

"$classic_compiler" "$work" && for f in "$work"/expression-*.bin; do keep "$f" classic "$(basename "$f")"; done

echo "fuzz seeds: $(ls "$out/wasm" | wc -l) wasm ($wast_files .wast files, $wast_failed not read by wast2json)," \
     "$(ls "$out/wat" | wc -l) wat, $(ls "$out/ebpf" | wc -l) ebpf, $(ls "$out/elf" | wc -l) elf," \
     "$(ls "$out/classic" | wc -l) classic"
touch "$out/stamp"

#!/usr/bin/env bash
# Runs the upstream bpf_conformance runner (Alan-Jowett/bpf_conformance, built
# elsewhere: nothing here fetches or builds it) against build/bin/morel-bpf-plugin
# over the shared suite, with --interpret and --jit, the callx and packet groups
# included, each with bytecode and with ELF objects (--elf true).
#
#   BPF_CONFORMANCE_RUNNER=/path/to/bpf_conformance_runner scripts/bpf-conformance.sh
#
# MOREL_TESTSUITE names the suite's parent directory (default ../shared/testsuite).
set -euo pipefail
cd "$(dirname "$0")/.."
runner=${BPF_CONFORMANCE_RUNNER:-}
if [[ -z "$runner" || ! -x "$runner" ]]; then
  echo "bpf-conformance: BPF_CONFORMANCE_RUNNER is not set to an executable runner (got '${runner}');" \
       "build bpf_conformance_runner from Alan-Jowett/bpf_conformance and point the variable at it. Nothing run."
  exit 77
fi
suite=${MOREL_TESTSUITE:-../shared/testsuite}/ebpf
plugin=build/bin/morel-bpf-plugin
[[ -d "$suite" ]] || { echo "bpf-conformance: no suite at $suite (set MOREL_TESTSUITE)"; exit 77; }
[[ -x "$plugin" ]] || { echo "bpf-conformance: build $plugin first (ninja -C build morel-bpf-plugin)"; exit 1; }

status=0
for option in --interpret --jit; do
  for elf in false true; do
    log=$(mktemp)
    "$runner" --test_file_directory "$suite" --plugin_path "$plugin" --plugin_options "$option" \
      --cpu_version v4 --include_groups callx packet --elf "$elf" >"$log" 2>&1 || status=1
    grep -E '^(FAIL|ERROR):' "$log" || true
    echo "$option elf=$elf: $(grep -E '^Passed' "$log")"
    rm -f "$log"
  done
done
exit $status

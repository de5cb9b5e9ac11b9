#!/usr/bin/env bash
# Long-running fuzzing, outside CI: scripts/fuzz.sh [SECONDS per harness, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build-fuzz -G Ninja -DMOREL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build-fuzz wasm_decoder_fuzz ebpf_assembler_fuzz
secs=${1:-300}
suite=${MOREL_TESTSUITE:-../shared/testsuite}
mkdir -p build-fuzz/corpus/wasm build-fuzz/corpus/ebpf
cp -n "$suite"/ebpf/*.data build-fuzz/corpus/ebpf/ 2>/dev/null || true
build-fuzz/fuzz/wasm_decoder_fuzz -use_value_profile=1 -max_total_time="$secs" build-fuzz/corpus/wasm
build-fuzz/fuzz/ebpf_assembler_fuzz -use_value_profile=1 -max_total_time="$secs" build-fuzz/corpus/ebpf

#!/usr/bin/env bash
# libFuzzer harnesses (the list is MOREL_FUZZ_HARNESSES in fuzz/CMakeLists.txt), built in
# build-fuzz/ by the "fuzz" preset: ASan + UBSan + coverage on every target.
#   scripts/fuzz.sh [SECONDS]        long run, outside CI: each harness for SECONDS (300)
#   scripts/fuzz.sh --ci [SECONDS]   CI: the same, each harness for SECONDS (30), from the
#                                    fixed seed MOREL_FUZZ_SEED (1), so that a commit's CI run
#                                    tries the same inputs first wherever it runs
# First every input in tests/fuzz-regressions/HARNESS/ is replayed (none may fail), then
# each harness fuzzes in turn, from the seeds the build generates (build-fuzz/fuzz/seeds/,
# target fuzz_seed_corpus) plus what earlier runs kept (build-fuzz/corpus/HARNESS/). The
# run ends with runs and execs/s per harness. A crash, leak, timeout or out-of-memory
# input is saved under build-fuzz/artifacts/HARNESS/ and fails the run: add it to
# tests/fuzz-regressions/HARNESS/ (see the README there) together with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

ci=0
if [[ ${1:-} == --ci ]]; then
  ci=1
  shift
fi
secs=${1:-$((ci ? 30 : 300))}
seed_option=()
if ((ci)); then seed_option=(-seed="${MOREL_FUZZ_SEED:-1}"); fi
if ! [[ $secs =~ ^[0-9]+$ ]]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

scripts/setup.sh
cmake --preset fuzz >/dev/null
nice -n 10 ninja -C build-fuzz -j2 fuzz_all

symbolizer=/usr/bin/llvm-symbolizer-14
export ASAN_OPTIONS=${ASAN_OPTIONS:-external_symbolizer_path=$symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:external_symbolizer_path=$symbolizer}
logs=build-fuzz/logs
mkdir -p "$logs"
failed=()

# name seeds-dir binary, one line per harness (fuzz/CMakeLists.txt writes it).
mapfile -t harnesses <build-fuzz/fuzz/harnesses.txt

for line in "${harnesses[@]}"; do
  read -r name _ bin <<<"$line"
  inputs=()
  for f in tests/fuzz-regressions/"$name"/*; do
    [[ -f $f ]] && inputs+=("$f")
  done
  if ((${#inputs[@]} == 0)); then
    echo "fuzz: $name has no regression inputs"
    continue
  fi
  # Given files (never a directory: that would start fuzzing), libFuzzer runs each once.
  if "$bin" -timeout=25 "${inputs[@]}" >"$logs/$name.regressions.log" 2>&1; then
    echo "fuzz: $name: ${#inputs[@]} regression inputs pass"
  else
    echo "fuzz: $name FAILED on a regression input:"
    tail -n 60 "$logs/$name.regressions.log"
    failed+=("$name")
  fi
done

# final_stat NAME: a -print_final_stats value from the current $log.
final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
table=()
for line in "${harnesses[@]}"; do
  read -r name seeds bin <<<"$line"
  corpus=build-fuzz/corpus/$name
  artifacts=build-fuzz/artifacts/$name/
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $name for ${secs}s (corpus $corpus, seeds $seeds)"
  log=$logs/$name.log
  if "$bin" "${seed_option[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -use_value_profile=1 \
       -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$seeds" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$name")
    echo "fuzz: $name FAILED; its input is in $artifacts:"
    grep -v -E '^#[0-9]+.*(NEW|REDUCE|pulse)' "$log" | tail -n 60
  fi
  features=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  table+=("$(printf '%-24s %-6s %10s %9s %9s %9s' "$name" "$status" "$(final_stat number_of_executed_units)" \
             "$(final_stat average_exec_per_sec)" "$(final_stat new_units_added)" "${features:-?}")")
done

echo
printf '%-24s %-6s %10s %9s %9s %9s\n' harness status runs execs/s new-units features
printf '%s\n' "${table[@]}"
nfailed=0
if ((${#failed[@]})); then nfailed=$(printf '%s\n' "${failed[@]}" | sort -u | wc -l); fi
echo "fuzz: $((${#harnesses[@]} - nfailed)) passed, $nfailed failed"
((nfailed == 0))

#!/usr/bin/env bash
# Builds and tests under a sanitizer, each in its own build directory (CMakePresets.json;
# the sanitizer options are the test presets' environment):
#   scripts/sanitize.sh asan [--all] [CTEST ARGS...]
#       ASan + UBSan (build-asan/): every test (unit tests, eBPF conformance and wasm
#       spec suites in all three tiers, stress-deopt, OSR, regression and differential
#       tests) but the known failures listed below. This is what CI runs (the spec suite
#       costs 10 to 20 s per run under ASan, so it stays in). --all adds the known ones.
#   scripts/sanitize.sh tsan [--all] [CTEST ARGS...]
#       TSan (build-tsan/): the tests where background compilation runs beside the
#       interpreter: the suites' tiered runs (wasm_spec/ebpf_conformance .tiered and
#       .stress_deopt_random), every gtest in its Tiered instance (".../Tiered"), every
#       test of wasm_program_tests, and any test whose name contains "Race" or "Thread".
#       --all runs every test under TSan. (The deepest wasm_spec runs are made outside
#       ctest, with a smaller guest frame budget: see below.)
# CTEST ARGS go to every ctest call, e.g. `-R Fib` or `--repeat until-fail:5`; with
# them, only ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
kind=${1:-}
case $kind in
  asan | tsan) shift ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
all=0
if [[ ${1:-} == --all ]]; then
  all=1
  shift
fi

scripts/setup.sh
cmake --preset "$kind" >/dev/null
nice -n 10 ninja -C "build-$kind" -j2

# GCC 12's sanitizer runtimes assume at most 28 bits of mmap randomization (newer kernels
# may use 32, and TSan then dies with "unexpected memory mapping"): run without ASLR there.
run=()
if (($(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28) > 28)); then
  run=(setarch "$(uname -m)" -R)
fi

# ASan's frames are several times larger (redzones around locals, -O1), while the tests
# are written for release frames on the default 8 MiB stack (5,000-deep guest recursion,
# 10,000 nested ifs): give the main thread and the compiler thread 60 MiB (under the
# 64 MiB past which ASan stops unpoisoning a stack an exception unwinds). Not for TSan:
# its frames grow less, and deeper host recursion overflows its stack depot (65,536
# frames per stack trace; the unbounded-recursion test reaches 70,000 on 16 MiB).
if [[ $kind == asan ]]; then
  ulimit -S -s 61440
fi

# Known ASan-build failures: kept out of the default selection so CI tests everything
# else; --all still runs them. Remove an entry with its fix. (Fixed and removed:
# FloatCodegen's NaN sign at -O1 and the slow nested-loop OSR test, 5f9bd40.)
#   launcher.command_line: not an engine bug but an ASan limit. The launcher runs the
#     guest on a thread with a stack for MaxStackFrames (454 MiB for 100,000 frames);
#     ASan does not unpoison stacks over 64 MiB when an exception unwinds them ("ASan is
#     ignoring requested __asan_handle_no_return"), and the 100,001-frame trap then
#     reports a false stack-buffer-underflow. test.sh runs it.
asan_known='^launcher\.command_line$'

if [[ $kind == asan ]]; then
  if ((all)); then
    "${run[@]}" ctest --preset asan "$@"
  else
    "${run[@]}" ctest --preset asan -E "$asan_known" "$@"
  fi
  exit
fi

# TSan keeps a shadow call stack of 65,536 frames. The spec driver's exhaustion assertions
# (fac.wast) recurse to the default sandbox.MaxStackFrames, 10,000 guest frames of up to
# ~13 host frames each when interpreted or resumed after deoptimization (in every mode,
# tiered included: the first calls of a function are interpreted on the main thread), and
# overflow it (TSan then dies with a SEGV and "CHECK failed: sanitizer_stackdepot.cpp"). Those
# runs are made here with a 1,000-frame budget instead of through ctest (2,000 overflowed
# under random stress deoptimization, where each resumed activation adds its deoptimization
# and resume frames); their arguments mirror tests/CMakeLists.txt.
# They read the scripts through wast2json (--wast2json): the driver's own reader builds
# the same JSON from Morel's parser, and under TSan its millions of small allocations
# for the SIMD files (simd_int_to_int_extend.wast) took 18 GiB more in seconds.
declare -A deep_runs=(
  [wasm_spec.interpreter]="interpreter --wast2json"
  [wasm_spec.tiered]="tiered --wast2json"
  [wasm_spec.stress_deopt]="immediate --engine.StressDeopt=3 --wast2json"
  [wasm_spec.stress_deopt_random]="tiered --engine.StressDeopt=5 --engine.StressDeoptSeed=42 --wast2json")
deep_names='^wasm_spec\.(interpreter|tiered|stress_deopt|stress_deopt_random)$'
status=0
if ((all)); then
  direct=("${!deep_runs[@]}")
  "${run[@]}" ctest --preset tsan -E "$deep_names" "$@" || status=1
else
  direct=(wasm_spec.tiered wasm_spec.stress_deopt_random)
  # Two selections (ctest intersects -L with -R): the whole wasm_program_tests binary,
  # then the tiered suites and the Race/Thread tests outside it. Both always run.
  "${run[@]}" ctest --preset tsan -L '^wasm_program_tests$' "$@" || status=1
  "${run[@]}" ctest --preset tsan -LE '^wasm_program_tests$' -E "$deep_names" \
    -R '^(wasm_spec|ebpf_conformance)\.(tiered|stress_deopt_random)$|/Tiered|Race|Thread' "$@" || status=1
fi
if (($# == 0)); then
  # TSan shadows each guest memory's whole reservation (4 GiB by default): the stress run
  # reached 24 GiB RSS and the OOM killer at the SIMD files. The deep runs reserve at most
  # 4,096 pages (256 MiB; no spec test needs more), and past memory_limit_mb TSan flushes.
  # For the same reason they use explicit bounds checks (TSan builds' default too): guard
  # pages reserve 16 GiB per memory.
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:history_size=4:memory_limit_mb=6000:external_symbolizer_path=/usr/bin/llvm-symbolizer-14"
  # TSan's own memory grows with the run while the process lives (the release build peaks
  # at 80 MiB for the whole stress run; under TSan it passed 15 GiB two thirds of the way
  # through), so each deep run is made in batches of script files, a fresh process each.
  suite=${MOREL_TESTSUITE:-$(realpath -m ../shared/testsuite)}/wasm
  mapfile -t scripts < <(find "$suite" -maxdepth 1 -name '*.wast' 2>/dev/null | sort)
  if ((${#scripts[@]} == 0)); then
    echo "wasm spec suite not found at $suite (set MOREL_TESTSUITE): the deep TSan runs are skipped"
    direct=()
  fi
  batch=30
  for name in "${direct[@]}"; do
    read -r -a args <<<"${deep_runs[$name]}"
    echo "== $name under TSan with --sandbox.MaxStackFrames=1000 --wasm.MaxMemoryPages=4096 --wasm.BoundsChecks=explicit," \
      "in batches of $batch scripts"
    : >"build-tsan/$name.log"
    for ((first = 0; first < ${#scripts[@]}; first += batch)); do
      if ! "${run[@]}" "build-tsan/bin/${name%%.*}" "${args[@]}" --sandbox.MaxStackFrames=1000 \
           --wasm.MaxMemoryPages=4096 --wasm.BoundsChecks=explicit "${scripts[@]:first:batch}" \
           >>"build-tsan/$name.log" 2>&1; then
        grep -v '^PASS' "build-tsan/$name.log" | tail -n 80
        echo "$name FAILED under TSan (log: build-tsan/$name.log)"
        status=1
        continue 2
      fi
    done
    awk '/^wasm-spec /{p += $3; f += $5; s += $7} /^compiler bailouts:/{b += $3}
         END {printf "wasm-spec (%s batches): %d passed, %d failed, %d skipped; compiler bailouts: %d\n", "'"$name"'", p, f, s, b}' \
      "build-tsan/$name.log"
  done
fi
exit $status

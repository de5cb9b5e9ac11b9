#!/usr/bin/env python3
"""Warm-up: how soon an engine reaches 90% of its peak speed (issue 10).

Each program's kernel is called CALLS times in one process (`morel run --repeat`,
bench/node_warmup.js for V8); every call is timed by the engine's own process.
Peak is the median time of the fastest quarter of the last half of the calls;
warm-up is the time the calls took (their sum) up to the first call from which
the median of five calls runs within peak / 0.9 (90% of the peak speed).
Morel runs single-tier (engine.MultiTier=false, the default), two-tier
(engine.MultiTier=true) and first tier only (engine.Mode=latency); V8 is node.
A traced Morel run adds compile time per tier, summed over the compilations:
wall time and the compiler thread's CPU time (the trace's |CPU| field), per KiB
of the module's Wasm. Every run reports its peak RSS (wait4).

  python3 bench/warmup.py [--calls N] [--runs R] [--only PROGRAM] [--mode NAME=FLAGS]
Needs build/bin/morel, wat2wasm and node. Prints a markdown table.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# program, export, arguments: one call takes about 1-20 ms once compiled.
KERNELS = [
    ("fib", "fib", ["25"]),
    ("loop_sum", "run", ["10000", "100"]),
    ("sieve", "count_primes", ["200000"]),
    ("matmul", "matmul", ["100"]),
    ("sort", "sort", ["20000"]),
    ("dot_simd", "dot", ["10000", "100"]),
]
MOREL_MODES = {
    "single-tier": ["--engine.MultiTier=false"],
    "two-tier": ["--engine.MultiTier=true"],
    "first-tier-only": ["--engine.Mode=latency"],
}


def run_rss(argv):
    """Like run(), with the child's peak RSS from wait4 (KiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Read everything first, then reap the child ourselves to get its rusage.
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"warmup.py: {' '.join(argv)} failed ({p.returncode}):\n{err[-2000:]}")
    return out, err, usage.ru_maxrss, time.perf_counter() - t0


def call_times(err):
    return [float(m.group(2)) for m in re.finditer(r"^\[repeat\] (\d+) ([0-9.]+)$", err, re.M)]


def warmup(times):
    """(peak µs per call, ms until 90% of peak speed, calls until then)."""
    tail = sorted(times[len(times) // 2:])
    peak = statistics.median(tail[: max(1, len(tail) // 4)])
    limit = peak / 0.9
    elapsed = 0.0
    for i, t in enumerate(times):
        elapsed += t
        # The median of five calls from here: one call slowed by a busy machine
        # does not postpone warm-up, one fast call does not end it.
        if statistics.median(times[i:i + 5]) <= limit:
            return peak, elapsed / 1000, i + 1
    return peak, elapsed / 1000, len(times)


def compile_stats(err):
    """{tier: (compilations, wall ms, CPU ms)} from --engine.TraceCompilation lines."""
    stats = {}
    for m in re.finditer(r"\|Tier (\d)\|Time +([0-9.]+) ms.*\|CPU ([0-9.]+) ms", err):
        n, ms, cpu = stats.get(m.group(1), (0, 0.0, 0.0))
        stats[m.group(1)] = (n + 1, ms + float(m.group(2)), cpu + float(m.group(3)))
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3, help="processes per engine; medians are reported")
    ap.add_argument("--only", help="one program")
    ap.add_argument("--mode", action="append", default=[], metavar="NAME=FLAGS",
                    help="one more Morel configuration, e.g. 'truffle=--engine.FirstTierCompilationThreshold=400 "
                         "--engine.LastTierCompilationThreshold=10000' (repeatable)")
    ap.add_argument("--morel", default=os.path.join(ROOT, "build/bin/morel"))
    ap.add_argument("--node", default=os.environ.get("NODE", "node"))
    ap.add_argument("--wat2wasm", default=os.environ.get("WAT2WASM", "wat2wasm"))
    cfg = ap.parse_args()
    modes = dict(MOREL_MODES)
    for m in cfg.mode:
        name, _, flags = m.partition("=")
        modes[name] = flags.split()
    out_dir = tempfile.mkdtemp(prefix="morel-warmup-")
    rows = []
    compile_rows = []
    for name, export, args in KERNELS:
        if cfg.only and name != cfg.only:
            continue
        wasm = os.path.join(out_dir, name + ".wasm")
        subprocess.run([cfg.wat2wasm, os.path.join(ROOT, "bench/programs", name + ".wat"), "-o", wasm], check=True)
        kib = os.path.getsize(wasm) / 1024
        engines = {m: [cfg.morel, "run", *flags, "--repeat", str(cfg.calls), "--invoke", export, wasm, *args]
                   for m, flags in modes.items()}
        engines["v8"] = [cfg.node, os.path.join(ROOT, "bench/node_warmup.js"), wasm, export, str(cfg.calls), *args]
        results = {}
        for engine, argv in engines.items():
            samples = []
            for _ in range(cfg.runs):
                out, err, rss, _ = run_rss(argv)
                peak, ms, calls = warmup(call_times(err))
                samples.append((peak, ms, calls, rss, out.strip()))
            results[engine] = samples
            outputs = {s[4] for s in samples}
            if len(outputs) != 1:
                sys.exit(f"warmup.py: {name} {engine} printed different results: {outputs}")
        answers = {r[0][4] for r in results.values()}
        if len(answers) != 1:
            sys.exit(f"warmup.py: {name}: engines disagree: { {e: r[0][4] for e, r in results.items()} }")
        for engine, samples in results.items():
            med = lambda k: statistics.median(s[k] for s in samples)
            rows.append((name, engine, med(0), med(1), int(med(2)), med(3) / 1024))
        for mode in ("single-tier", "two-tier"):
            _, err, _, _ = run_rss([*engines[mode][:2], "--engine.TraceCompilation", *engines[mode][2:]])
            for tier, (n, ms, cpu) in sorted(compile_stats(err).items()):
                compile_rows.append((name, mode, tier, n, ms, cpu, kib))
    print(f"calls per process: {cfg.calls}; processes per engine: {cfg.runs} (medians)\n")
    print("| program | engine | peak µs/call | ms to 90% of peak | calls to 90% | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|")
    for name, engine, peak, ms, calls, rss in rows:
        print(f"| {name} | {engine} | {peak:.0f} | {ms:.1f} | {calls} | {rss:.1f} |")
    print("\n| program | Morel mode | tier | compilations | compile ms (wall) | compiler-thread CPU ms "
          "| CPU ms per KiB of Wasm |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, mode, tier, n, ms, cpu, kib in compile_rows:
        print(f"| {name} | {mode} | {tier} | {n} | {ms:.2f} | {cpu:.2f} | {cpu / kib:.2f} |")


if __name__ == "__main__":
    main()

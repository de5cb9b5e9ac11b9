#!/usr/bin/env python3
"""Morel's eBPF tiers against uBPF's interpreter and JIT on the same programs.

    UBPF=/path/to/ubpf_test bench/ebpf_vs_ubpf.py [--runs N] [--quick]

UBPF names uBPF's test runner (vm/test.c, built as `ubpf_test` with
-DUBPF_ENABLE_TESTS=ON); nothing here fetches, vendors or builds uBPF. Needs
build/bin/morel and build/bin/morel_ebpf_asm (ninja -C build morel morel_ebpf_asm).

Each program in bench/ebpf/ reads an iteration count N from the first 8
bytes of its input (the rest is data it may walk). A `.s` program is assembled
once by Morel's assembler; Morel runs the text, uBPF the same bytecode. A `.c`
program (the map-heavy ones) is compiled by clang-14 -O2 -target bpf into an ELF
object twice, once per runtime's helper numbers: Linux's for Morel
(map_lookup_elem 1, map_update_elem 2), uBPF's test runner's for uBPF (6, 7);
the code is otherwise the same, and both load its legacy `maps` section. Interpreters run
with N_INTERP, compiled code (Morel --engine.CompileImmediately=true, uBPF -j)
with the larger N_JIT. Every sample is a whole process; "net" subtracts the best
time of the same command with N = 1 (process start, loading, compiling), so it
is the loop itself. Ratios are uBPF time / Morel time: above 1, Morel is faster.
Results of every engine are cross-checked. Exits 77 when UBPF is not set.
"""
import argparse
import os
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# name, N for interpreters, N for compiled code, data bytes after the count
PROGRAMS = [
    ("arith_loop", 20_000_000, 400_000_000, 0),
    ("memory_loop", 1_000, 40_000, 64 * 1024),
    ("byte_checksum", 200, 4_000, 64 * 1024),
    ("stack_loop", 20_000_000, 400_000_000, 0),
    ("helper_loop", 20_000_000, 200_000_000, 0),
    ("map_lookup_loop", 5_000_000, 50_000_000, 0),
    ("map_update_loop", 5_000_000, 50_000_000, 0),
]
# Helper numbers the .c programs are compiled with, per runtime.
HELPER_NUMBERS = {
    "morel": ["-DHELPER_MAP_LOOKUP=1", "-DHELPER_MAP_UPDATE=2"],
    "ubpf": ["-DHELPER_MAP_LOOKUP=6", "-DHELPER_MAP_UPDATE=7"],
}
ENGINES = {
    "morel-interp": ("interp", lambda c, p, m: [c.morel, "run", "--engine.Compilation=false", "--mem-file", m, p["morel"]]),
    "ubpf-interp": ("interp", lambda c, p, m: [c.ubpf, "--mem", m, p["ubpf"]]),
    "morel-compiled": ("jit", lambda c, p, m: [c.morel, "run", "--engine.CompileImmediately=true", "--mem-file", m, p["morel"]]),
    "ubpf-jit": ("jit", lambda c, p, m: [c.ubpf, "-j", "--mem", m, p["ubpf"]]),
}


def run(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"ebpf_vs_ubpf: {' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    text = out.stdout.strip().split()[-1]
    return elapsed, int(text, 0)


def best(cmd, runs):
    samples = [run(cmd) for _ in range(runs)]
    results = {r for _, r in samples}
    if len(results) != 1:
        sys.exit(f"ebpf_vs_ubpf: {' '.join(cmd)} gave different results {results}")
    return min(t for t, _ in samples), results.pop()


def traced(morel, prog, mem):
    """Register-allocator spills and reloads of Morel's compilation of `prog` (its trace)."""
    out = subprocess.run([morel, "run", "--engine.CompileImmediately=true", "--engine.TraceCompilation=true",
                          "--mem-file", mem, prog + ".s"], capture_output=True, text=True)
    field = lambda l, f: int(l.split(f"|{f} ")[1].split("|")[0]) if f"|{f} " in l else 0
    done = [l for l in out.stderr.splitlines() if "opt done" in l]
    return sum(field(l, "Spills") for l in done), sum(field(l, "Reloads") for l in done)


def memfile(path, n, data_bytes):
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", n))
        f.write(bytes((i * 7 + 3) & 0xFF for i in range(data_bytes)))


def build_program(name, prog, asm):
    """The files each runtime runs: {"morel": path, "ubpf": path}."""
    source = os.path.join(ROOT, "bench/ebpf", name)
    if os.path.exists(source + ".s"):
        subprocess.run(["cp", source + ".s", prog + ".s"], check=True)
        subprocess.run([asm, prog + ".s", prog + ".bin"], check=True)
        return {"morel": prog + ".s", "ubpf": prog + ".bin"}
    files = {}
    for runtime, defines in HELPER_NUMBERS.items():
        files[runtime] = f"{prog}.{runtime}.o"
        subprocess.run(["clang-14", "-O2", "-target", "bpf", *defines, "-c", source + ".c", "-o", files[runtime]],
                       check=True)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one run each, a tenth of the iterations")
    ap.add_argument("programs", nargs="*", help="run only these programs (default: all)")
    cfg = ap.parse_args()
    cfg.ubpf = os.environ.get("UBPF", "")
    if not cfg.ubpf or not os.access(cfg.ubpf, os.X_OK):
        print(f"ebpf_vs_ubpf: UBPF is not set to uBPF's ubpf_test binary (got '{cfg.ubpf}'); "
              "build uBPF elsewhere and set UBPF=/path/to/ubpf_test. Nothing run.")
        return 77
    cfg.morel = os.path.join(ROOT, "build/bin/morel")
    asm = os.path.join(ROOT, "build/bin/morel_ebpf_asm")
    for tool in (cfg.morel, asm):
        if not os.access(tool, os.X_OK):
            sys.exit(f"ebpf_vs_ubpf: {tool} not found; ninja -C build morel morel_ebpf_asm")
    runs = 1 if cfg.quick else cfg.runs
    out = os.path.join(ROOT, "build/bench/ebpf")
    os.makedirs(out, exist_ok=True)

    print(f"{'program':15} {'engine':15} {'N':>11} {'total s':>8} {'net s':>8}")
    ratios = []
    for name, n_interp, n_jit, data in PROGRAMS:
        if cfg.programs and name not in cfg.programs:
            continue
        prog = os.path.join(out, name)
        files = build_program(name, prog, asm)
        net = {}
        results = {}
        for engine, (tier, command) in ENGINES.items():
            n = n_interp if tier == "interp" else n_jit
            if cfg.quick:
                n = max(1, n // 10)
            mem, mem1 = f"{prog}.{tier}.mem", f"{prog}.one.mem"
            memfile(mem, n, data)
            memfile(mem1, 1, data)
            total, result = best(command(cfg, files, mem), runs)
            startup, _ = best(command(cfg, files, mem1), runs)
            net[engine] = max(total - startup, 1e-6)
            results.setdefault(tier, set()).add(result)
            print(f"{name:15} {engine:15} {n:>11} {total:8.3f} {net[engine]:8.3f}")
        for tier, values in results.items():
            if len(values) != 1:
                sys.exit(f"ebpf_vs_ubpf: {name} ({tier}): Morel and uBPF disagree: {values}")
        spills = traced(cfg.morel, prog, f"{prog}.one.mem")
        ratios.append((name, net["ubpf-interp"] / net["morel-interp"], net["ubpf-jit"] / net["morel-compiled"],
                       spills))

    print("\nratio = uBPF net time / Morel net time (above 1: Morel faster)")
    print(f"{'program':15} {'interpreter':>12} {'compiled/JIT':>13} {'spills/reloads':>15}")
    for name, interp, jit, (spills, reloads) in ratios:
        print(f"{name:15} {interp:12.2f} {jit:13.2f} {f'{spills}/{reloads}':>15}")
    if ratios:
        print(f"{'geomean':15} {statistics.geometric_mean([r[1] for r in ratios]):12.2f} "
              f"{statistics.geometric_mean([r[2] for r in ratios]):13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

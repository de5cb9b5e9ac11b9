#!/usr/bin/env python3
"""Timing harness behind bench/run.sh (run that, not this).

Times whole processes: each sample is the wall time from spawning the command to
its exit (time.perf_counter around subprocess.run), so it includes process
startup, module parsing/validation and any compilation. Nothing is subtracted.
Every run's stdout is checked against the native result; a mismatch or a failing
run is reported loudly and makes the harness exit non-zero.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ENGINES = ["morel-interp", "morel-tiered", "morel-compile-imm", "node", "node-noliftoff", "native"]
MOREL_MODES = ["morel-interp", "morel-tiered", "morel-compile-imm"]
MOREL_FLAGS = {
    "morel-interp": ["--engine.Compilation=false"],
    "morel-tiered": [],
    "morel-compile-imm": ["--engine.CompileImmediately=true"],
}


def command(engine, cfg, prog):
    wasm = os.path.join(cfg.out, prog["name"] + ".wasm")
    if prog["export"] == "_start":  # a WASI command: run as a program, ARGS are its argv[1..]
        if engine in MOREL_FLAGS:
            return [cfg.morel, "run", *MOREL_FLAGS[engine], wasm, *prog["args"]]
        if engine in ("node", "node-noliftoff"):
            flags = ["--no-liftoff"] if engine == "node-noliftoff" else []
            return [cfg.node, *flags, "--no-turbo-fast-api-calls", cfg.node_wasi_runner, wasm, *prog["args"]]
        if engine == "wasm3":
            return [cfg.wasm3, wasm, *prog["args"]]
    if engine in MOREL_FLAGS:
        return [cfg.morel, "run", *MOREL_FLAGS[engine], "--invoke", prog["export"], wasm, *prog["args"]]
    if engine in ("node", "node-noliftoff"):
        flags = ["--no-liftoff"] if engine == "node-noliftoff" else []  # TurboFan only, no baseline tier
        return [cfg.node, *flags, cfg.node_runner, wasm, prog["export"], *prog["args"]]
    if engine == "native":
        return [os.path.join(cfg.out, prog["name"] + ".native"), *prog["args"]]
    if engine == "wasm3":  # prints "Result: N" to stderr; see normalized()
        return [cfg.wasm3, "--func", prog["export"], wasm, *prog["args"]]
    raise ValueError(engine)


def normalized(argv, out, err):
    """wasm3 prints an invoked function's result to stderr as "Result: N"; the others print N."""
    if len(argv) > 1 and argv[1] == "--func" and not out and err.startswith("Result: "):
        return err[len("Result: "):]
    return out


def loud(msg):
    bar = "!" * 78
    print(f"\n{bar}\n{msg}\n{bar}\n", file=sys.stderr, flush=True)


def run_once(argv, timeout):
    """Wall time, exit status (None: timed out), stdout and stderr of one run."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None, "", f"timed out after {timeout}s"
    dt = time.perf_counter() - t0
    return dt, p.returncode, p.stdout.decode(errors="replace").strip(), p.stderr.decode(errors="replace").strip()


def peak_rss_kib(argv, timeout):
    """The peak resident set of one more run, measured by GNU time (whose own few MiB
    are the floor; a parent's ru_maxrss would report the Python harness's instead)."""
    if not os.path.exists("/usr/bin/time"):
        return None
    with tempfile.NamedTemporaryFile(mode="r") as f:
        _, rc, _, _ = run_once(["/usr/bin/time", "-f", "%M", "-o", f.name, *argv], timeout)
        text = f.read().strip().splitlines()
        return int(text[-1]) if rc == 0 and text and text[-1].isdigit() else None


def measure(argv, warmup, runs, expected, timeout, label, ref="native clang -O2"):
    """Returns (samples, output, problem). problem is None when all runs agreed."""
    samples, output = [], None
    for i in range(warmup + runs):
        dt, rc, out, err = run_once(argv, timeout)
        out = normalized(argv, out, err)
        if rc != 0:
            return samples, out, (f"{label}: FAILED (exit status {rc}) on run {i + 1}\n"
                                  f"  command: {' '.join(argv)}\n  stdout: {out!r}\n  stderr: {err!r}")
        if expected is not None and out != expected:
            return samples, out, (f"{label}: RESULT MISMATCH on run {i + 1}\n  command: {' '.join(argv)}\n"
                                  f"  got:      {out!r}\n  expected: {expected!r} (from {ref})")
        output = out
        if i >= warmup:
            samples.append(dt)
    return samples, output, None


def fmt_time(samples):
    if not samples:
        return "-"
    m = statistics.mean(samples)
    sd = statistics.stdev(samples) if len(samples) > 1 else 0.0
    return f"{m:.3f}±{sd:.3f}"


def fmt_ratio(num, den):
    r = ratio(num, den)
    return "-" if r is None else f"{r:.3g}"


def ratio(num, den):
    return statistics.mean(num) / statistics.mean(den) if num and den else None


def fmt_geomean(ratios):
    """The geometric mean of the programs' ratios, the one figure a set is judged by; "-" unless every program ran."""
    if not ratios or any(r is None for r in ratios):
        return "-"
    return f"{statistics.geometric_mean(ratios):.3g}"


def table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    global ENGINES, MOREL_MODES
    ap = argparse.ArgumentParser()
    ap.add_argument("--morel", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--node-runner", required=True)
    ap.add_argument("--out", required=True, help="directory with NAME.wasm and NAME.native")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--json", required=True)
    ap.add_argument("--node-wasi-runner", help="bench/node_wasi_runner.js, for WASI commands (EXPORT _start)")
    ap.add_argument("--wasm3", help="a wasm3 binary: adds wasm3 as an engine")
    ap.add_argument("--engines", help="comma-separated subset of " + ",".join(ENGINES))
    ap.add_argument("bench", nargs="+", help='"NAME EXPORT ARG..." per program')
    cfg = ap.parse_args()
    if cfg.engines:
        ENGINES = [e for e in cfg.engines.split(",")]
        MOREL_MODES = [m for m in MOREL_MODES if m in ENGINES]
    if cfg.wasm3:
        ENGINES = [e for e in ENGINES if e != "native"] + ["wasm3", "native"]

    programs = []
    for spec in cfg.bench:
        name, export, *args = spec.split()
        programs.append({"name": name, "export": export, "args": args})

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    load = os.getloadavg()
    print(f"machine: {cpu}, {os.cpu_count()} cpus, {platform.system()} {platform.release()}; "
          f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; niceness {os.nice(0)}")
    print(f"timing: process wall time per run (spawn to exit: startup + load + compile + run), nothing subtracted;")
    print(f"        mean±stddev over {cfg.runs} runs after {cfg.warmup} warmup run(s); every run's output checked")
    node_ver = subprocess.run([cfg.node, "--version"], stdout=subprocess.PIPE).stdout.decode().strip()
    print(f"engines: morel-interp = morel run --engine.Compilation=false; morel-tiered = morel run (default);")
    print(f"         morel-compile-imm = morel run --engine.CompileImmediately=true; node = Node.js {node_ver} (V8),")
    print(f"         node-noliftoff = the same with --no-liftoff (TurboFan only, no baseline tier)")
    print(f"         running bench/node_runner.js (node_wasi_runner.js for WASI programs);")
    print(f"         native = clang-14 -O2 build of the program's C source")
    print(flush=True)

    problems, results = [], {}
    for prog in programs:
        results[prog["name"]] = {"export": prog["export"], "args": prog["args"], "engines": {}}
        expected, ref = None, "native clang -O2"
        # Native first: its output is the reference the others are checked against.
        for engine in ["native"] + [e for e in ENGINES if e != "native"]:
            argv = command(engine, cfg, prog)
            label = f"{prog['name']} / {engine}"
            print(f"  {label:32s} {' '.join(argv)}", flush=True)
            samples, out, problem = measure(argv, cfg.warmup, cfg.runs, expected, cfg.timeout, label, ref)
            if problem:
                loud(problem)
                problems.append(problem)
                samples = []
            elif expected is None:
                expected = out  # native's normally; if native failed, the first engine that succeeded
                ref = "native clang -O2" if engine == "native" else engine
            results[prog["name"]]["engines"][engine] = {"command": argv, "samples_s": samples, "output": out,
                                                        "ok": problem is None}
            if samples:
                print(f"  {'':32s} -> {out}  {fmt_time(samples)} s", flush=True)
        results[prog["name"]]["result"] = expected

    # Startup cost of each engine, for context only (never subtracted above).
    startup = {}
    fib = next((p for p in programs if p["name"] == "fib"), None)
    if fib:
        trivial = dict(fib, args=["1"])
        for engine in ENGINES:
            argv = command(engine, cfg, trivial)
            samples, out, problem = measure(argv, 1, 5, "1", 60, f"startup / {engine}", ref="fib(1)")
            if problem:
                loud(problem)
                problems.append(problem)
            startup[engine] = samples

    S = lambda p, e: results[p["name"]]["engines"].get(e, {}).get("samples_s", [])
    print("\nWall time per process, seconds (mean±stddev)")
    print(table(["program", "args", *ENGINES, "result"],
                [[p["name"], " ".join(p["args"]), *[fmt_time(S(p, e)) for e in ENGINES],
                  results[p["name"]]["result"] or "?"] for p in programs]))

    short = {"morel-interp": "interp", "morel-tiered": "tiered", "morel-compile-imm": "c-imm"}
    peers = [("V8", "node")] + ([("V8-noliftoff", "node-noliftoff")] if "node-noliftoff" in ENGINES else [])
    peers += ([("wasm3", "wasm3")] if "wasm3" in ENGINES else []) + [("native", "native")]
    print("\nSpeed relative to V8 and to native: other time / Morel time (1.0 = as fast, 0.5 = half as fast)")
    print(table(["program", *[f"{label}/{short[m]}" for label, _ in peers for m in MOREL_MODES]],
                [[p["name"], *[fmt_ratio(S(p, e), S(p, m)) for _, e in peers for m in MOREL_MODES]]
                 for p in programs] +
                [["geomean", *[fmt_geomean([ratio(S(p, e), S(p, m)) for p in programs]) for _, e in peers
                               for m in MOREL_MODES]]]))
    rss = {(p["name"], e): peak_rss_kib(command(e, cfg, p), cfg.timeout) for p in programs for e in ENGINES
           if results[p["name"]]["engines"].get(e, {}).get("ok")}
    mib = lambda p, e: f"{rss[(p['name'], e)] / 1024:.0f}" if rss.get((p["name"], e)) else "-"
    versus = lambda p: (f"{rss[(p['name'], 'morel-tiered')] / rss[(p['name'], 'node')]:.2f}"
                        if rss.get((p["name"], "morel-tiered")) and rss.get((p["name"], "node")) else "-")
    print("\nPeak resident set per process, MiB (one more run under GNU time; its ~2 MiB are the floor)")
    print(table(["program", *ENGINES, "tiered/V8"], [[p["name"], *[mib(p, e) for e in ENGINES], versus(p)]
                                                    for p in programs]))

    # Compilation in the default tiered mode: one more run with the trace on, summing
    # the compiler thread's time per compilation ("opt done ... |Time N ms|").
    compile_rows = []
    if "morel-tiered" in ENGINES:
        for p in programs:
            argv = command("morel-tiered", cfg, p)
            argv = [argv[0], argv[1], "--engine.TraceCompilation=true", *argv[2:]]
            _, rc, _, err = run_once(argv, cfg.timeout)
            done = [l for l in err.splitlines() if "opt done" in l and "|Time" in l]
            times = [float(l.split("|Time")[1].split("ms")[0]) for l in done]
            spills, reloads = traced_sum(done, "Spills"), traced_sum(done, "Reloads")
            kib = os.path.getsize(os.path.join(cfg.out, p["name"] + ".wasm")) / 1024
            compile_rows.append([p["name"], f"{kib:.1f}", len(times), f"{sum(times):.1f}",
                                 f"{sum(times) / kib:.2f}" if kib else "-", spills, reloads])
            results[p["name"]]["tiered_compile_ms"] = sum(times)
            results[p["name"]]["tiered_spills"] = spills
            results[p["name"]]["tiered_reloads"] = reloads
        print("\nCompilation in morel-tiered (one traced run): compilations, compiler-thread time, "
              "register-allocator stack stores (spills) and loads (reloads) summed over the compilations")
        print(table(["program", "wasm KiB", "compilations", "compile ms", "ms per KiB of wasm", "spills",
                     "reloads"], compile_rows))
    if startup:
        print("\nFor context only (not subtracted): wall time of a trivial run (fib 1), seconds")
        print(table(["", *ENGINES], [["startup", *[fmt_time(startup[e]) for e in ENGINES]]]))

    with open(cfg.json, "w") as f:
        json.dump({"runs": cfg.runs, "warmup": cfg.warmup, "machine": cpu, "loadavg_start": load,
                   "timing": "process wall time, nothing subtracted", "programs": results,
                   "startup_fib1_s": startup, "peak_rss_kib": {f"{k[0]} / {k[1]}": v for k, v in rss.items()}, "problems": problems}, f, indent=2)
    print(f"\nraw samples: {cfg.json}")
    if problems:
        loud(f"{len(problems)} PROBLEM(S): engines disagree or failed; see above.\n" + "\n".join(problems))
        return 1
    print("all engines agree on every result")
    return 0


def traced_sum(lines, field):
    """The sum of `|field N` over compilation trace lines (0 where a line lacks it)."""
    total = 0
    for l in lines:
        if f"|{field} " in l:
            total += int(l.split(f"|{field} ")[1].split("|")[0].split()[0])
    return total


if __name__ == "__main__":
    sys.exit(main())

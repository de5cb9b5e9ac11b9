#!/usr/bin/env python3
"""Differential testing of Morel: random Wasm modules and eBPF programs, each run in
Morel's four execution modes and in an independent implementation, which must agree.

  diff.py N [--seed S] [--lang wasm|ebpf|both] [--jobs J] [--out DIR]
  diff.py --replay DIVERGENCE_DIR

Modes (morel run ...):
  interp      --engine.Compilation=false
  immediate   --engine.CompileImmediately=true
  tiered      defaults (background compilation after 1000 calls + back-edges)
  tiered-low  --engine.CompilationThreshold=2 --engine.BackgroundCompilation=false
  osr         only loops compiled, through on-stack replacement after 10 back-edges
              (added when the binary has engine.OSRCompilationThreshold; --no-osr)
  stress-deopt  (with --stress-deopt) CompileImmediately + engine.StressDeopt=3
and the reference: Node.js (V8) for Wasm (tests/diff/node_runner.js, one process per
batch of modules), the Python interpreter in gen_ebpf.py for eBPF.

Outcomes are compared as "ok VALUES", "trap KIND" (div0, overflow, unreachable, stack, oob:
Morel's `trap: <spec message>` and V8's messages mapped onto the same kinds), "error:
MESSAGE" (Morel rejected the program), "crash ..." or "timeout". Every divergence is
saved under OUT/divergences/<id>/ with the program, its arguments, each mode's output
and a replay.sh. The last line printed is "N agreed, M diverged"; the exit status is 1
when anything diverged. Deterministic for a given --seed and binary (program i of a run
is generated from the seed string "S-LANG-i" and the optional instruction groups the
binary accepts, probed at the start).
"""

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import gen_ebpf  # noqa: E402
import gen_ttf  # noqa: E402
import gen_wasm  # noqa: E402

MODES = [
    ("interp", ["--engine.Compilation=false"]),
    ("immediate", ["--engine.CompileImmediately=true", "--engine.TraceCompilation=true"]),
    ("tiered", ["--engine.TraceCompilation=true"]),
    ("tiered-low", ["--engine.CompilationThreshold=2", "--engine.BackgroundCompilation=false",
                    "--engine.TraceCompilation=true"]),
]
MOREL_TRAPS = {
    "integer divide by zero": "div0",
    "integer overflow": "overflow",
    # V8 reports both failed float truncations alike ("float unrepresentable in integer
    # range"), so a NaN operand counts as an overflow too.
    "invalid conversion to integer": "overflow",
    "unreachable": "unreachable",
    "call stack exhausted": "stack",
    "out of bounds memory access": "oob",
    # call_indirect and tables (V8: "table index is out of bounds", and "null function or
    # function signature mismatch" for both of the last two)
    "undefined element": "table",
    "out of bounds table access": "table",
    "uninitialized element": "indirect",
    "indirect call type mismatch": "indirect",
}
# A Morel rejection with one of these is a module outside its subset: with --source ttf such
# a module is "skipped", not a divergence (any other rejection V8 accepts is one).
UNSUPPORTED = re.compile(r"outside Morel's subset|unsupported|not supported")
# Tiny programs that tell which of gen_ebpf.FEATURES the binary executes (older builds
# reject them as unsupported instructions); the generator uses only those.
EBPF_PROBES = {
    "sdiv": "mov %r0, 7\nsdiv %r0, 2\nsmod32 %r0, 3\nexit\n",
    "movsx": "mov %r0, 255\nmovsx864 %r0, %r0\nmovsx1632 %r0, %r0\nexit\n",
    "endian": "mov %r0, 1\nbe16 %r0\nle32 %r0\nbswap64 %r0\nexit\n",
    "ja32": "ja32 +1\nmov %r0, 1\nexit\n",
    "mem": "stxdw [%r10-8], %r1\nldxh %r0, [%r10-8]\nstw [%r10-4], 1\nldxsb %r0, [%r10-8]\nexit\n",
    "atomic": "mov %r0, 0\nstxdw [%r10-8], %r0\nlock fetch add [%r10-8], %r0\n"
              "lock cmpxchg32 [%r10-8], %r0\nexit\n",
}
# --stress-deopt adds this fifth mode: compiled code deoptimizes at pseudo-random statement
# boundaries (engine.StressDeopt), so frame states get rebuilt and resumed everywhere.
STRESS_MODE = ("stress-deopt", ["--engine.CompileImmediately=true", "--engine.StressDeopt=3",
                                "--engine.StressDeoptSeed=12345", "--engine.TraceCompilation=true"])
# Added when the binary has on-stack replacement (engine.OSRCompilationThreshold): loops
# move into compiled code after 10 back-edges, synchronously, while calls never reach the
# (huge) compilation threshold, so OSR entries and exits happen at the same place every run.
OSR_MODE = ("osr", ["--engine.OSRCompilationThreshold=10", "--engine.CompilationThreshold=100000",
                    "--engine.BackgroundCompilation=false", "--engine.TraceCompilation=true"])
ALL_MODES = MODES + [OSR_MODE, STRESS_MODE]
RUN_TIMEOUT = 20.0
NODE_TIMEOUT = 120.0


# ---------------------------------------------------------------------------------------
# Running things

def run_morel(morel, mode_flags, lang, path, args, timeout=RUN_TIMEOUT, invoke="main"):
    """Returns (outcome, detail, stats) for one morel run."""
    cmd = [morel, "run"] + mode_flags
    if lang == "wasm":
        cmd += ["--invoke", invoke]
    cmd += [path] + [str(a) for a in args]
    for attempt in range(30):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", f"timed out after {timeout}s", {}
        except OSError as e:        # the binary is being relinked: wait and retry
            time.sleep(2)
            detail = str(e)
            continue
        if p.returncode in (126, 127):
            time.sleep(2)
            detail = p.stderr
            continue
        break
    else:
        return "crash (cannot execute morel)", detail, {}
    stats = {"opt": 0, "failed": 0, "deopt": 0}
    # Trace lines come from the compiler thread too and may land in the middle of the
    # main thread's "trap: ..." line: take them out wherever they are.
    traces = re.findall(r"\[engine\] [^\n]*\n?", p.stderr)
    for line in traces:
        if line.startswith("[engine] opt done"):
            stats["opt"] += 1
        elif line.startswith("[engine] opt failed"):
            stats["failed"] += 1
            stats.setdefault("failures", []).append(line.strip())
        elif line.startswith("[engine] deopt"):
            stats["deopt"] += 1
    rest = re.sub(r"\[engine\] [^\n]*\n?", "", p.stderr)
    messages = [line for line in rest.splitlines() if line.strip()]
    detail = f"$ {' '.join(cmd)}\nexit {p.returncode}\n--- stdout\n{p.stdout}--- stderr\n{p.stderr}"
    if p.returncode == 0:
        return " ".join(["ok"] + p.stdout.split()), detail, stats
    if p.returncode == 1 and messages and messages[-1].startswith("trap: "):
        message = messages[-1][len("trap: "):].strip()
        return "trap " + MOREL_TRAPS.get(message, "other: " + message), detail, stats
    if p.returncode == 1 and messages and messages[-1].startswith("morel: "):
        return "stopped: " + messages[-1][len("morel: "):], detail, stats   # a sandbox limit
    if p.returncode == 2:
        text = messages[-1] if messages else ""
        return "error: " + text.replace(path, os.path.basename(path)), detail, stats
    return f"crash (exit {p.returncode})", detail, stats


def run_node(jobs, workdir, timeout=NODE_TIMEOUT):
    """Runs node_runner.js over the jobs; returns {id: (outcome, detail)}."""
    results = {}
    pending = list(jobs)
    while pending:
        path = os.path.join(workdir, "node-jobs.json")
        with open(path, "w") as f:
            json.dump(pending, f)
        cmd = ["node", os.path.join(HERE, "node_runner.js"), path]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            out, err, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            err, rc = "timeout", None
        done = 0
        for line in out.splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            results[r["id"]] = (r["outcome"], f"$ node node_runner.js\n{r['outcome']}\n")
            done += 1
        pending = pending[done:]
        if pending:
            # The first unfinished job hung or crashed node: record it, go on with the rest.
            job = pending.pop(0)
            what = "timeout" if rc is None else f"crash (node exit {rc})"
            results[job["id"]] = (what, f"$ node node_runner.js\n{err[-2000:]}\n")
    return results


def ref_ebpf(text, r1):
    try:
        value = gen_ebpf.evaluate(text, r1)
    except Exception as e:  # noqa: BLE001 - a reference failure is reported, not raised
        return f"error: reference: {e!r}", ""
    if isinstance(value, str):
        return value, "reference interpreter: " + value
    return f"ok {value:#x}", f"reference interpreter (gen_ebpf.py): r0 = {value:#x}\n"


# ---------------------------------------------------------------------------------------
# One batch of programs (runs in a pool worker)

WASM_PROBES = {
    "float": "(module (func (export \"main\") (result i32) f64.const 1.5 f32.const -2 "
             "f64.promote_f32 f64.copysign i32.trunc_sat_f64_s f32.const 1 "
             "i32.reinterpret_f32 i32.add))",
}


def probe_wasm_features(morel, workdir):
    """Which of gen_wasm's optional features the binary runs."""
    found = []
    for feature, text in WASM_PROBES.items():
        wat = os.path.join(workdir, f"probe-{feature}.wat")
        wasm = wat[:-4] + ".wasm"
        with open(wat, "w") as f:
            f.write(text)
        if subprocess.run(["wat2wasm", wat, "-o", wasm], capture_output=True).returncode != 0:
            continue
        p = subprocess.run([morel, "run", "--engine.Compilation=false", "--invoke", "main", wasm],
                           capture_output=True)
        if p.returncode == 0:
            found.append(feature)
    return found


def has_osr(morel, out_dir):
    """Whether the binary knows engine.OSRCompilationThreshold (older ones refuse it)."""
    path = os.path.join(out_dir, "work", "probe-osr.bpf")
    with open(path, "w") as f:
        f.write("mov %r0, 1\nexit\n")
    p = subprocess.run([morel, "run", "--engine.OSRCompilationThreshold=10", path],
                       capture_output=True)
    return p.returncode == 0


def probe_ebpf_features(morel, workdir):
    found = []
    for feature, text in EBPF_PROBES.items():
        path = os.path.join(workdir, f"probe-{feature}.bpf")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([morel, "run", "--engine.Compilation=false", path], capture_output=True)
        if p.returncode == 0:
            found.append(feature)
    return found


def prepare(lang, seed_text, workdir, name, features=None):
    """Generates one program; returns a job dict (or one with an 'invalid' message)."""
    if lang == "ttf":
        wasm = os.path.join(workdir, name + ".wasm")
        info = gen_ttf.generate(seed_text, wasm)
        job = {"lang": "wasm", "source_kind": "ttf", "seed": seed_text, "source": wasm,
               "program": wasm, "args": [], "params": []}
        job.update(info)
        return job
    if lang == "wasm":
        prog = gen_wasm.generate(seed_text, (features or {}).get("wasm", ()))
        wat = os.path.join(workdir, name + ".wat")
        wasm = os.path.join(workdir, name + ".wasm")
        header = (f";; seed: {seed_text}\n;; args: {' '.join(map(str, prog['args']))}\n"
                  f";; main calls $f0 {prog['iterations']} times\n")
        with open(wat, "w") as f:
            f.write(header + prog["wat"])
        p = subprocess.run(["wat2wasm", wat, "-o", wasm], capture_output=True, text=True)
        job = {"lang": lang, "seed": seed_text, "source": wat, "program": wasm,
               "args": prog["args"], "params": prog["params"],
               "iterations": prog["iterations"]}
        if p.returncode != 0:
            job["invalid"] = "wat2wasm rejected the generated module:\n" + p.stderr
        return job
    prog = gen_ebpf.generate(seed_text, (features or {}).get("ebpf", ()))
    data = os.path.join(workdir, name + ".data")
    with open(data, "w") as f:
        f.write(f"# seed: {seed_text}\n# r1: {prog['args'][0]}\n" + prog["text"])
    return {"lang": lang, "seed": seed_text, "source": data, "program": data,
            "args": prog["args"]}


def execute(jobs, morel, workdir, modes=MODES):
    """Runs every mode and the reference on the jobs; fills job['outcomes'/'details']."""
    for job in jobs:
        job["outcomes"], job["details"], job["stats"] = {}, {}, {}
        if "invalid" in job or "skipped" in job:
            continue
        if "invokes" in job:
            execute_invokes(job, morel, modes)
            continue
        for mode, flags in modes:
            outcome, detail, stats = run_morel(morel, flags, job["lang"], job["program"],
                                               job["args"])
            job["outcomes"][mode] = outcome
            job["details"][mode] = detail
            job["stats"][mode] = stats
        if job["lang"] == "ebpf":
            text = open(job["program"]).read()
            outcome, detail = ref_ebpf(text, job["args"][0])
            job["outcomes"]["reference"] = outcome
            job["details"]["reference"] = detail
    wasm = [j for j in jobs if j["lang"] == "wasm" and "invalid" not in j
            and j.get("source_kind") != "ttf"]
    ttf = [j for j in jobs if "invokes" in j and "skipped" not in j]
    if ttf:
        node_jobs = [{"id": f"{j['name']}#{k}", "wasm": j["program"], "invoke": name,
                      "params": params, "results": results, "args": args}
                     for j in ttf for k, (name, params, results, args) in enumerate(j["invokes"])]
        results = run_node(node_jobs, workdir)
        for j in ttf:
            parts, details = [], []
            for k, (name, _, _, _) in enumerate(j["invokes"]):
                outcome, detail = results.get(f"{j['name']}#{k}", ("crash (no node result)", ""))
                parts.append(f"{name}: {outcome}")
                details.append(f"[{name}] {detail}")
            j["outcomes"]["node"] = " | ".join(parts)
            j["details"]["node"] = "".join(details)
    if wasm:
        node_jobs = [{"id": j["name"], "wasm": j["program"], "invoke": "main",
                      "params": j["params"], "args": [str(a) for a in j["args"]]} for j in wasm]
        results = run_node(node_jobs, workdir)
        for j in wasm:
            outcome, detail = results.get(j["name"], ("crash (no node result)", ""))
            j["outcomes"]["node"] = outcome
            j["details"]["node"] = detail


def execute_invokes(job, morel, modes):
    """--source ttf: every mode invokes each of the job's exports in a fresh instance; the
    outcome of a mode is "NAME: OUTCOME | NAME: OUTCOME ..." with floats canonicalised."""
    for mode, flags in modes:
        parts, details, total = [], [], {"opt": 0, "failed": 0, "deopt": 0}
        for name, params, results, args in job["invokes"]:
            outcome, detail, stats = run_morel(morel, flags, "wasm", job["program"], args,
                                               invoke=name)
            if outcome.startswith("ok"):
                outcome = ("ok " + gen_ttf.canonical(outcome.split()[1:], results)).rstrip()
            parts.append(f"{name}: {outcome}")
            details.append(detail)
            for k in ("opt", "failed", "deopt"):
                total[k] += stats.get(k, 0)
        job["outcomes"][mode] = " | ".join(parts)
        job["details"][mode] = "\n".join(details)
        job["stats"][mode] = total
        if mode == modes[0][0] and parts:
            first = parts[0].split(": ", 1)[1]
            if first.startswith("error: ") and UNSUPPORTED.search(first):
                # Outside Morel's subset: the reason, without byte offsets and file names.
                reason = re.sub(r"^error: (morel: )?[^:]*\.wasm: ", "", first)
                job["skipped"] = re.sub(r" at byte 0x[0-9a-f]+", "", reason)
                return


def agrees(job):
    if "skipped" in job:
        return True
    return "invalid" not in job and len(set(job["outcomes"].values())) == 1


def save_divergence(job, out_dir):
    d = os.path.join(out_dir, "divergences", job["name"])
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    ext = ".wat" if job["lang"] == "wasm" else ".data"
    if job.get("source_kind") == "ttf":
        with open(os.path.join(d, "prog.wat"), "w") as f:
            f.write(subprocess.run(["wasm-dis", job["program"]], capture_output=True,
                                   text=True).stdout)
    else:
        shutil.copy(job["source"], os.path.join(d, "prog" + ext))
    if job["lang"] == "wasm" and os.path.exists(job["program"]):
        shutil.copy(job["program"], os.path.join(d, "prog.wasm"))
    meta = {k: job[k] for k in ("lang", "seed", "args", "source_kind", "invokes") if k in job}
    meta["params"] = job.get("params", [])
    meta["modes"] = [m for m in job["outcomes"] if m not in ("node", "reference")]
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(os.path.join(d, "args"), "w") as f:
        f.write(" ".join(str(a) for a in job["args"]) + "\n")
    with open(os.path.join(d, "outcomes.txt"), "w") as f:
        if "invalid" in job:
            f.write(job["invalid"])
        for mode, outcome in job["outcomes"].items():
            f.write(f"{mode:11s} {outcome}\n")
        for mode, detail in job["details"].items():
            f.write(f"\n===== {mode}\n{detail}")
    replay = os.path.join(d, "replay.sh")
    with open(replay, "w") as f:
        f.write("#!/bin/sh\n# Reruns this divergence in every mode; exit 1 if the outcomes still differ.\n"
                f"# Generated from seed {job['seed']!r} by tests/diff/diff.py.\n"
                'here=$(cd "$(dirname "$0")" && pwd)\n'
                f'exec python3 "{os.path.join(HERE, "diff.py")}" --replay "$here" "$@"\n')
    os.chmod(replay, 0o755)
    return d


def work(task):
    """Pool worker: generates and runs one batch. Returns compact per-program records."""
    batch, morel, out_dir, modes, features = task
    workdir = tempfile.mkdtemp(prefix="batch-", dir=os.path.join(out_dir, "work"))
    jobs = []
    for index, lang, seed_text, seed in batch:
        name = f"{lang}-s{re.sub(r'[^A-Za-z0-9_.]', '_', seed)}-{index:05d}"
        job = prepare(lang, seed_text, workdir, name, features)
        job["name"], job["index"] = name, index
        jobs.append(job)
    execute(jobs, morel, workdir, modes)
    records = []
    for job in jobs:
        ok = agrees(job)
        rec = {"index": job["index"], "name": job["name"], "lang": job["lang"], "agree": ok,
               "skipped": job.get("skipped"), "ttf": "invokes" in job,
               "outcomes": job["outcomes"], "stats": job["stats"],
               "iterations": job.get("iterations"), "invalid": job.get("invalid")}
        stale = os.path.join(out_dir, "divergences", job["name"])
        if ok:
            if os.path.isdir(stale):
                shutil.rmtree(stale)
        else:
            rec["saved"] = save_divergence(job, out_dir)
        records.append(rec)
    shutil.rmtree(workdir, ignore_errors=True)
    return records


# ---------------------------------------------------------------------------------------
# The driver

def snapshot_morel(out_dir):
    """Copies build/bin/morel (waiting while it is missing or being relinked) so that the
    whole run uses one binary even if the build changes underneath."""
    src = os.environ.get("MOREL", os.path.join(REPO, "build", "bin", "morel"))
    bindir = os.path.join(out_dir, "bin")
    os.makedirs(bindir, exist_ok=True)
    dst = os.path.join(bindir, f"morel-{os.getpid()}")
    for attempt in range(60):
        try:
            before = os.stat(src)
            time.sleep(0.5 if attempt == 0 else 2)
            after = os.stat(src)
            if (before.st_size, before.st_mtime) != (after.st_size, after.st_mtime):
                continue
            shutil.copy2(src, dst)
            if subprocess.run([dst, "--help"], capture_output=True).returncode == 0:
                return dst, src, after.st_mtime
        except OSError:
            pass
        time.sleep(2)
    sys.exit(f"diff.py: {src} is missing or not runnable")


def summarize(records, elapsed):
    total = len(records)
    outcomes = {}
    modes = [m for m, _ in ALL_MODES]
    compiled = {m: 0 for m in modes}
    deopts = {m: 0 for m in modes}
    failed = {m: 0 for m in modes}
    for r in records:
        if r.get("skipped"):
            continue
        for mode, st in r["stats"].items():
            if st.get("opt"):
                compiled[mode] += 1
            deopts[mode] += st.get("deopt", 0)
            if st.get("failed"):
                failed[mode] += 1
        first = next(iter(r["outcomes"].values()), "invalid")
        if r.get("ttf"):
            # --source ttf: count each invocation's outcome
            for part in first.split(" | "):
                o = part.split(": ", 1)[-1]
                kind = "ok" if o.startswith("ok") else " ".join(o.split(":")[0].split()[:2])
                key = f"ttf-invoke {kind}"
                outcomes[key] = outcomes.get(key, 0) + 1
            continue
        kind = first.split(":")[0] if not first.startswith("ok") else "ok"
        key = f"{r['lang']} {kind}"
        outcomes[key] = outcomes.get(key, 0) + 1
    print("outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    shown = [m for m in modes if m != "interp" and any(m in r["stats"] for r in records)]
    print("programs that compiled something: " +
          ", ".join(f"{m} {compiled[m]}" for m in shown) +
          "; deoptimizations: " + ", ".join(f"{m} {deopts[m]}" for m in shown))
    if any(failed.values()):
        print("programs with a failed compilation (stayed interpreted): " +
              ", ".join(f"{m} {failed[m]}" for m in modes if failed[m]))
    print(f"{total} programs in {elapsed:.1f} s: {total / max(elapsed, 1e-9):.1f} programs/s")


def run(opts):
    out_dir = os.path.abspath(opts.out)
    os.makedirs(os.path.join(out_dir, "work"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "divergences"), exist_ok=True)
    morel, src, mtime = snapshot_morel(out_dir)
    langs = ["wasm", "ebpf"] if opts.lang == "both" else [opts.lang]
    if opts.source == "ttf":
        langs = ["ttf"]
    programs = [(i, langs[i % len(langs)], f"{opts.seed}-{langs[i % len(langs)]}-{i}", opts.seed)
                for i in range(opts.count)]
    size = max(4, min(40, opts.count // (opts.jobs * 4) or 1))
    modes = MODES + ([OSR_MODE] if has_osr(morel, out_dir) and not opts.no_osr else []) + \
        ([STRESS_MODE] if opts.stress_deopt else [])
    probe_dir = os.path.join(out_dir, "work")
    features = {"wasm": probe_wasm_features(morel, probe_dir) if "wasm" in langs else [],
                "ebpf": probe_ebpf_features(morel, probe_dir) if "ebpf" in langs else [],
                "ttf": gen_ttf.FEATURES}
    batches = [(programs[k:k + size], morel, out_dir, modes, features)
               for k in range(0, len(programs), size)]
    start = time.time()
    records = []
    try:
        with multiprocessing.Pool(opts.jobs) as pool:
            for recs in pool.imap_unordered(work, batches):
                records += recs
                for r in recs:
                    if not r["agree"]:
                        print(f"DIVERGED {r['name']}: " + (r["invalid"].splitlines()[0] if r["invalid"] else
                              "; ".join(f"{m}={o}" for m, o in r["outcomes"].items())), flush=True)
                if opts.progress and len(records) % 500 < len(recs):
                    print(f"... {len(records)}/{opts.count}", flush=True)
    finally:
        os.remove(morel)
    elapsed = time.time() - start
    records.sort(key=lambda r: r["index"])
    diverged = [r for r in records if not r["agree"]]
    skipped = [r for r in records if r.get("skipped")]
    summarize(records, elapsed)
    if opts.source == "ttf":
        version = subprocess.run(["wasm-opt", "--version"], capture_output=True,
                                 text=True).stdout.strip()
        print(f"binary: {src} (mtime {time.ctime(mtime)}); source: {version} -ttf "
              f"{' '.join(gen_ttf.FEATURES)} --remove-imports")
    else:
        print(f"binary: {src} (mtime {time.ctime(mtime)}); generated extras: " +
              "; ".join(f"{lang} {','.join(features[lang]) or 'none'}" for lang in langs))
    for r in diverged:
        print(f"  saved {r['saved']}")
    if skipped:
        reasons = {}
        for r in skipped:
            reasons[r["skipped"]] = reasons.get(r["skipped"], 0) + 1
        print(f"{len(skipped)} skipped (Morel rejects them as outside its subset): " +
              "; ".join(f"{n} {reason}" for reason, n in
                        sorted(reasons.items(), key=lambda kv: -kv[1])))
    print(f"{len(records) - len(diverged) - len(skipped)} agreed, {len(diverged)} diverged"
          + (f", {len(skipped)} skipped" if skipped else ""))
    return 1 if diverged else 0


def replay(directory, program_file=None):
    """Reruns a saved divergence (or, with program_file, e.g. its reduced.wat, that file
    with the same arguments) in the modes it was found with."""
    directory = os.path.abspath(directory)
    meta = json.load(open(os.path.join(directory, "meta.json")))
    lang = meta["lang"]
    morel = os.environ.get("MOREL", os.path.join(REPO, "build", "bin", "morel"))
    workdir = tempfile.mkdtemp(prefix="replay-")
    try:
        if meta.get("source_kind") == "ttf":
            source = program = program_file or os.path.join(directory, "prog.wasm")
            if program.endswith(".wat"):
                program = os.path.join(workdir, "prog.wasm")
                subprocess.run(["wasm-as", "--mvp-features"] + gen_ttf.FEATURES[1:] +
                               [source, "-o", program], check=True)
        elif lang == "wasm":
            wat = program_file or os.path.join(directory, "prog.wat")
            program = os.path.join(workdir, "prog.wasm")
            subprocess.run(["wat2wasm", wat, "-o", program], check=True)
            source = wat
        else:
            source = program = program_file or os.path.join(directory, "prog.data")
        job = {"lang": lang, "seed": meta.get("seed"), "source": source, "program": program,
               "args": meta["args"], "params": meta.get("params", []), "name": "replay"}
        if "invokes" in meta:
            job["invokes"] = [tuple(i) for i in meta["invokes"]]
        names = meta.get("modes", [m for m, _ in MODES])
        execute([job], morel, workdir, [m for m in ALL_MODES if m[0] in names])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for mode, detail in job["details"].items():
        print(f"===== {mode}\n{detail}")
    for mode, outcome in job["outcomes"].items():
        print(f"{mode:11s} {outcome}")
    same = agrees(job)
    print("agree" if same else "DIVERGED")
    return 0 if same else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("count", nargs="?", type=int, help="number of programs")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--lang", choices=["wasm", "ebpf", "both"], default="both")
    ap.add_argument("--source", choices=["gen", "ttf"], default="gen",
                    help="gen: tests/diff/gen_wasm.py and gen_ebpf.py (default); ttf: Wasm "
                         "modules from binaryen's wasm-opt -ttf (tests/diff/gen_ttf.py)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "diff"))
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--no-osr", action="store_true",
                    help="leave out the osr mode (added when the binary has OSR)")
    ap.add_argument("--stress-deopt", action="store_true",
                    help="add a fifth mode with engine.StressDeopt")
    ap.add_argument("--replay", metavar="DIR")
    ap.add_argument("--file", help="with --replay: run this program instead of DIR's (e.g. reduced.wat)")
    opts = ap.parse_args()
    if opts.replay:
        sys.exit(replay(opts.replay, opts.file and os.path.abspath(opts.file)))
    if opts.count is None:
        ap.error("the number of programs is required")
    sys.exit(run(opts))


if __name__ == "__main__":
    main()

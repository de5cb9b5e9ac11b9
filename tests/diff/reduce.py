#!/usr/bin/env python3
"""Shrinks a divergence saved by diff.py to a small reproducer.

  reduce.py DIVERGENCE_DIR [--out FILE] [--modes interp,immediate,...]

A candidate is kept while it still diverges the same way: every mode's outcome has the
same kind as before (ok / trap / crash / error / timeout) and the modes fall into the
same groups of equal outcomes. Wasm candidates must pass wat2wasm first. The edits are
type-preserving where possible (a block, if, loop or call replaced by drops of its
inputs and zero constants of its results, a binary operator by a drop, a constant by
0 or 1, a local.get by a constant, a function deleted, ...), tried greedily until no
edit is accepted. eBPF programs shrink by deleting lines and zeroing immediates.
Writes DIR/reduced.wat (or reduced.data) and prints it with every mode's outcome.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import diff  # noqa: E402

REDUCE_TIMEOUT = 1.0


def kind(outcome):
    return outcome.split()[0].rstrip(":")


def partition(outcomes):
    modes = sorted(outcomes)
    return tuple((a, b) for i, a in enumerate(modes) for b in modes[i + 1:]
                 if outcomes[a] == outcomes[b])


class Oracle:
    def __init__(self, lang, args, params, modes, morel, workdir):
        self.lang, self.args, self.params = lang, args, params
        self.modes, self.morel, self.workdir = modes, morel, workdir
        self.target = None
        self.tries = 0
        self.any_crash = False
        self.flaky, self.runs, self.flags = None, 0, None

    def outcomes(self, text, stop_early=False):
        """Each mode's outcome; None if the program is not valid. With stop_early, stops at
        the first mode whose kind differs from the target's."""
        self.tries += 1
        ext = ".wat" if self.lang == "wasm" else ".data"
        src = os.path.join(self.workdir, "cand" + ext)
        with open(src, "w") as f:
            f.write(text)
        program = src
        if self.lang == "wasm":
            program = os.path.join(self.workdir, "cand.wasm")
            p = subprocess.run(["wat2wasm", src, "-o", program], capture_output=True)
            if p.returncode != 0:
                return None
        out = {}
        order = self.modes
        if self.target:
            # The modes that disagree with the majority first: they decide most candidates.
            counts = {}
            for o in self.target.values():
                counts[o] = counts.get(o, 0) + 1
            order = sorted(self.modes, key=lambda mf: counts.get(self.target.get(mf[0]), 0))
        for mode, flags in order:
            if mode in ("node", "reference"):
                continue
            o, _, _ = diff.run_morel(self.morel, flags, self.lang, program, self.args,
                                     timeout=REDUCE_TIMEOUT)
            out[mode] = o
            if stop_early and self.target and kind(o) != kind(self.target[mode]):
                return out
        if self.lang == "wasm":
            job = {"id": "c", "wasm": program, "invoke": "main", "params": self.params,
                   "args": [str(a) for a in self.args]}
            out["node"] = diff.run_node([job], self.workdir, timeout=20)["c"][0]
        else:
            out["reference"] = diff.ref_ebpf(text, self.args[0])[0]
        return out

    def flaky_interesting(self, text):
        """--flaky MODE: some of `runs` runs of MODE disagree with the interpreter."""
        self.tries += 1
        ext = ".wat" if self.lang == "wasm" else ".data"
        src = os.path.join(self.workdir, "cand" + ext)
        with open(src, "w") as f:
            f.write(text)
        program = src
        if self.lang == "wasm":
            program = os.path.join(self.workdir, "cand.wasm")
            if subprocess.run(["wat2wasm", src, "-o", program], capture_output=True).returncode:
                return False
        flags = dict(diff.ALL_MODES)
        expected, _, _ = diff.run_morel(self.morel, flags["interp"], self.lang, program,
                                        self.args, timeout=REDUCE_TIMEOUT)
        if kind(expected) != kind(self.target["interp"]):
            return False
        mode_flags = self.flags if self.flags is not None else flags[self.flaky]
        for _ in range(self.runs):
            got, _, _ = diff.run_morel(self.morel, mode_flags, self.lang, program,
                                       self.args, timeout=REDUCE_TIMEOUT)
            if got != expected and kind(got) in ("ok", "trap"):
                return True
        return False

    def interesting(self, text):
        if self.flaky:
            return self.flaky_interesting(text)
        out = self.outcomes(text, stop_early=True)
        if out is None or set(out) != set(self.target):
            return False
        # Values may change while shrinking; traps and errors must stay the same (crashes
        # too, unless --any-crash).
        for m in out:
            k = kind(out[m])
            if k != kind(self.target[m]):
                return False
            if k not in ("ok", "crash") or (k == "crash" and not self.any_crash):
                if out[m] != self.target[m]:
                    return False
        return len(set(out.values())) > 1 and partition(out) == partition(self.target)


# ---------------------------------------------------------------------------------------
# Wasm text edits. The text is normalised so that every instruction sits on its own line
# and closing parentheses of functions and the module are lines of their own.

VALUE_RE = re.compile(r"^(i32|i64|f32|f64)\.")
BINARY = ("add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl",
          "shr_s", "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s",
          "le_u", "ge_s", "ge_u", "div", "min", "max", "copysign", "lt", "gt", "le", "ge")


def normalise(text):
    lines = []
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(";;"):
            continue
        comment = ""
        if ";;" in stripped and not stripped.startswith("("):
            stripped, comment = stripped.split(";;", 1)
            stripped = stripped.strip()
        closing = max(0, stripped.count(")") - stripped.count("("))
        if stripped.startswith("("):
            # header lines: `(func ...` `(local ...)`; keep any surplus closers separate
            depth = stripped.count("(") - stripped.count(")")
            if depth < 0:
                lines.append(stripped[:depth])
                lines += [")"] * (-depth)
            else:
                lines.append(stripped)
            continue
        body = stripped[:len(stripped) - closing] if closing else stripped
        if body.strip():
            lines.append(body.rstrip())
        lines += [")"] * closing
    return lines


def render(lines):
    out, indent = [], 0
    for line in lines:
        word = line.split(" ", 1)[0]
        if word in ("end", "else", ")"):
            indent -= 1
        out.append("  " * max(indent, 0) + line)
        if word in ("block", "loop", "if", "else") or (line.startswith("(") and
                                                        line.count("(") > line.count(")")):
            indent += 1
    return "\n".join(out) + "\n"


def func_info(lines):
    """Signatures by function name, local types by (function start, local name)."""
    sigs, locals_, current = {}, {}, None
    for i, line in enumerate(lines):
        if line.startswith("(func"):
            name = re.match(r"\(func (\$\w+)", line).group(1)
            params = re.findall(r"\(param \$\w+ (i32|i64)\)", line)
            m = re.search(r"\(result ([^)]*)\)", line)
            sigs[name] = (params, m.group(1).split() if m else [])
            current = name
            for n, t in re.findall(r"\(param (\$\w+) (i32|i64)\)", line):
                locals_[(current, n)] = t
        elif line.startswith("(local") and current:
            for n, t in re.findall(r"\(local (\$\w+) (i32|i64)\)", line):
                locals_[(current, n)] = t
    return sigs, locals_


def block_types(line):
    params = re.search(r"\(param ([^)]*)\)", line)
    results = re.search(r"\(result ([^)]*)\)", line)
    return (params.group(1).split() if params else [], results.group(1).split() if results else [])


def structures(lines):
    """(start, else index or None, end) of every block/loop/if, largest first."""
    out, stack = [], []
    for i, line in enumerate(lines):
        word = line.split(" ", 1)[0]
        if word in ("block", "loop", "if"):
            stack.append([i, None])
        elif word == "else" and stack:
            stack[-1][1] = i
        elif word == "end" and stack:
            start, els = stack.pop()
            out.append((start, els, i))
    return sorted(out, key=lambda s: s[0] - s[2])


def zeros(types):
    return [f"{t}.const 0" for t in types]


def function_of(lines, index):
    for i in range(index, -1, -1):
        if lines[i].startswith("(func"):
            return re.match(r"\(func (\$\w+)", lines[i]).group(1)
    return None


def wasm_candidates(lines):
    sigs, local_types = func_info(lines)
    # Whole functions (not main).
    starts = [i for i, l in enumerate(lines) if l.startswith("(func")]
    for k, s in enumerate(starts):
        name = re.match(r"\(func (\$\w+)", lines[s]).group(1)
        if name == "$main":
            continue
        end = starts[k + 1] if k + 1 < len(starts) else len(lines) - 1
        yield lines[:s] + lines[end:]
    # Whole structures, largest first: replaced by their stack effect.
    for start, els, end in structures(lines):
        params, results = block_types(lines[start])
        pops = len(params) + (1 if lines[start].startswith("if") else 0)
        yield lines[:start] + ["drop"] * pops + zeros(results) + lines[end + 1:]
    # Unwrapping: keep a body, drop the construct around it.
    for start, els, end in structures(lines):
        if lines[start].startswith("if"):
            yield lines[:start] + ["drop"] + lines[start + 1:els or end] + lines[end + 1:]
            if els:
                yield lines[:start] + ["drop"] + lines[els + 1:end] + lines[end + 1:]
        else:
            yield lines[:start] + lines[start + 1:end] + lines[end + 1:]
    # Single instructions.
    for i, line in enumerate(lines):
        words = line.split()
        if not words or line.startswith("(") or line == ")":
            continue
        op = words[0]
        rest = lines[:i], lines[i + 1:]
        if op == "call":
            params, results = sigs.get(words[1], ([], []))
            yield rest[0] + ["drop"] * len(params) + zeros(results) + rest[1]
        elif op in ("br", "return", "unreachable", "nop", "local.tee"):
            yield rest[0] + rest[1]
        elif op in ("br_if", "local.set", "select"):
            yield rest[0] + ["drop"] + rest[1]
            if op == "select":
                yield rest[0] + ["drop", "drop"] + rest[1]
        elif op == "local.get":
            t = local_types.get((function_of(lines, i), words[1]))
            if t:
                yield rest[0] + [f"{t}.const 0"] + rest[1]
        elif op.endswith(".const"):
            if words[1] not in ("0", "1"):
                yield rest[0] + [f"{op} 0"] + rest[1]
                yield rest[0] + [f"{op} 1"] + rest[1]
        elif VALUE_RE.match(op):
            t, name = op.split(".", 1)
            if name in BINARY:
                yield rest[0] + ["drop"] + rest[1]
                if name in ("eq", "ne", "lt", "gt", "le", "ge") or name[:2] in ("lt", "gt", "le",
                                                                                  "ge"):
                    yield rest[0] + ["drop", "drop", "i32.const 0"] + rest[1]
            else:
                # A unary operator: gone (same type in and out) or replaced by a zero of
                # its result type (conversions, eqz, compares).
                yield rest[0] + rest[1]
                result = "i32" if name == "eqz" else t
                yield rest[0] + ["drop", f"{result}.const 0"] + rest[1]
    # Short windows (e.g. a constant and the drop of it).
    for width in (2, 3, 4):
        for i in range(len(lines) - width + 1):
            window = lines[i:i + width]
            if any(l.startswith("(") or l == ")" or l.split(" ", 1)[0] in
                   ("block", "loop", "if", "else", "end") for l in window):
                continue
            yield lines[:i] + lines[i + width:]
    # Unused locals.
    for i, line in enumerate(lines):
        if line.startswith("(local"):
            decls = re.findall(r"\(local \$\w+ \w+\)", line)
            body = "\n".join(lines[i + 1:])
            used = [d for d in decls if re.search(re.escape(d.split()[1]) + r"\b", body)]
            if len(used) < len(decls):
                yield lines[:i] + ([" ".join(used)] if used else []) + lines[i + 1:]


def ebpf_candidates(lines):
    n = len(lines)
    size = max(1, n // 2)
    while size >= 1:
        for start in range(0, n, size):
            if start < n - 1:
                yield lines[:start] + lines[start + size:]
        size //= 2
    for i, line in enumerate(lines):
        for value in ("0", "1"):
            new = re.sub(r"(,\s*)(-?0x[0-9a-fA-F]+|-?\d+)(\s*(,|$))",
                         lambda m: m.group(1) + value + m.group(3), line, count=1)
            if new != line:
                yield lines[:i] + [new] + lines[i + 1:]


def reduce(lines, oracle, render_fn, candidates_fn, log):
    """Greedy passes over the candidate edits; after an accepted edit the pass resumes at
    the same position instead of starting over."""
    changed = True
    while changed:
        changed = False
        position = 0
        while True:
            accepted = False
            for k, cand in enumerate(candidates_fn(lines)):
                if k < position or len(cand) > len(lines) or cand == lines:
                    continue
                if oracle.interesting(render_fn(cand)):
                    lines, position, accepted, changed = cand, k, True, True
                    log(f"  {len(lines)} lines ({oracle.tries} tries)")
                    break
            if not accepted:
                break
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--flaky", metavar="MODE",
                    help="for a divergence that comes and goes: keep a candidate when one of "
                         "--runs runs of MODE disagrees with the interpreter")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--flags", help="with --flaky: run the mode with these morel flags instead "
                                    "(e.g. ones that make the failure deterministic)")
    ap.add_argument("--any-crash", action="store_true",
                    help="accept any crash (signal or exit code) where the original crashed")
    opts = ap.parse_args()
    d = os.path.abspath(opts.dir)
    meta = json.load(open(os.path.join(d, "meta.json")))
    lang = meta["lang"]
    modes = [(m, f) for m, f in diff.ALL_MODES
             if m in meta.get("modes", [m for m, _ in diff.MODES])]
    morel = os.environ.get("MOREL", os.path.join(diff.REPO, "build", "bin", "morel"))
    workdir = tempfile.mkdtemp(prefix="reduce-")
    log = (lambda s: None) if opts.quiet else (lambda s: print(s, flush=True))
    try:
        oracle = Oracle(lang, meta["args"], meta.get("params", []),
                        modes + [("node" if lang == "wasm" else "reference", [])], morel, workdir)
        if lang == "wasm":
            text = open(os.path.join(d, "prog.wat")).read()
            lines, render_fn, cands = normalise(text), render, wasm_candidates
        else:
            text = open(os.path.join(d, "prog.data")).read()
            body = text.split("-- asm", 1)[1] if "-- asm" in text else text
            lines = [l.strip() for l in body.splitlines() if l.strip() and not l.startswith("#")]
            render_fn = lambda ls: "-- asm\n" + "\n".join(ls) + "\n"  # noqa: E731
            cands = ebpf_candidates
        oracle.any_crash = opts.any_crash
        oracle.target = oracle.outcomes(render_fn(lines))
        if opts.flaky:
            oracle.flaky, oracle.runs = opts.flaky, opts.runs
            oracle.flags = opts.flags.split() if opts.flags else None
            if not oracle.interesting(render_fn(lines)):
                print(f"no disagreement of {opts.flaky} in {opts.runs} runs")
                return 1
        elif oracle.target is None or len(set(oracle.target.values())) == 1:
            print("the program does not diverge (any more):", oracle.target)
            return 1
        log(f"reducing {len(lines)} lines: {oracle.target}")
        lines = reduce(lines, oracle, render_fn, cands, log)
        result = render_fn(lines)
        out = os.path.join(d, "reduced" + (".wat" if lang == "wasm" else ".data"))
        with open(out, "w") as f:
            f.write(result)
        final = oracle.outcomes(result)
        print(result, end="")
        print(f"args: {' '.join(map(str, meta['args']))}")
        for m, o in final.items():
            print(f"{m:11s} {o}")
        print(f"written to {out} after {oracle.tries} tries")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

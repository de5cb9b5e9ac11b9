#!/usr/bin/env python3
"""A second source of Wasm programs for the differential tests: binaryen's translate-to-fuzz.

`wasm-opt RANDOM.bin -ttf` turns arbitrary bytes into a valid module (functions with
random signatures, loops bounded by a "hang limit" global, memory, globals, a table and
call_indirect, data segments, exports named func, func_invoker, hashMemory, ...). Here:

  * the random bytes come from SHA-256 of the seed string, so program i of a run is
    reproducible for a given seed, binary and wasm-opt version;
  * features are cut down to Morel's subset: --mvp-features plus bulk-memory, sign-ext,
    nontrapping-float-to-int, mutable-globals and multivalue (FEATURES);
  * --remove-imports drops the "fuzzing-support" logging imports (calls to them become
    nops), so the module needs no host functions and `morel run --invoke` can run it;
  * each exported function (at most MAX_INVOKES, parameterless ones first) is invoked in a
    fresh instance with fixed arguments picked from the seed.

  gen_ttf.py SEED_TEXT OUT.wasm     writes one module and prints its invocations
"""

import hashlib
import random
import re
import struct
import subprocess
import sys

FEATURES = ["--mvp-features", "--enable-bulk-memory", "--enable-sign-ext",
            "--enable-nontrapping-float-to-int", "--enable-mutable-globals",
            "--enable-multivalue"]
MAX_INVOKES = 6
VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
            0x70: "funcref", 0x6F: "externref"}
ARGS = {
    "i32": ["0", "1", "-1", "7", "2147483647", "-2147483648", "65536"],
    "i64": ["0", "1", "-1", "-7", "9223372036854775807", "-9223372036854775808", "4294967296"],
    "f32": ["0", "1.5", "-2.25", "-0", "100000", "0.1"],
    "f64": ["0", "1.5", "-2.25", "-0", "1e100", "0.1"],
}


def random_bytes(seed_text):
    rng = random.Random(hashlib.sha256(seed_text.encode()).digest())
    size = rng.choice([512, 1024, 2048, 4096, 8192, 16384])
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed_text}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size]), rng


def _leb(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def exported_functions(wasm):
    """[(export name, [param types], [result types])] from a binary module."""
    data = open(wasm, "rb").read() if isinstance(wasm, str) else wasm
    pos = 8
    types, funcs, exports = [], [], []
    imported = 0
    while pos < len(data):
        sid = data[pos]
        size, pos = _leb(data, pos + 1)
        end = pos + size
        p = pos
        if sid == 1:                          # types
            count, p = _leb(data, p)
            for _ in range(count):
                p += 1                        # 0x60
                n, p = _leb(data, p)
                params = [VALTYPES.get(b, hex(b)) for b in data[p:p + n]]
                p += n
                n, p = _leb(data, p)
                results = [VALTYPES.get(b, hex(b)) for b in data[p:p + n]]
                p += n
                types.append((params, results))
        elif sid == 2:                        # imports: count imported functions
            count, p = _leb(data, p)
            for _ in range(count):
                for _ in range(2):
                    n, p = _leb(data, p)
                    p += n
                kind = data[p]
                p += 1
                if kind == 0:
                    t, p = _leb(data, p)
                    funcs.append(t)
                    imported += 1
                elif kind == 1:
                    p += 1
                    flags = data[p]
                    _, p = _leb(data, p + 1)
                    if flags & 1:
                        _, p = _leb(data, p)
                elif kind == 2:
                    flags = data[p]
                    _, p = _leb(data, p + 1)
                    if flags & 1:
                        _, p = _leb(data, p)
                elif kind == 3:
                    p += 2
        elif sid == 3:                        # functions
            count, p = _leb(data, p)
            for _ in range(count):
                t, p = _leb(data, p)
                funcs.append(t)
        elif sid == 7:                        # exports
            count, p = _leb(data, p)
            for _ in range(count):
                n, p = _leb(data, p)
                name = data[p:p + n].decode("utf-8", "replace")
                p += n
                kind = data[p]
                index, p = _leb(data, p + 1)
                if kind == 0:
                    exports.append((name, index))
        pos = end
    out = []
    for name, index in exports:
        params, results = types[funcs[index]]
        out.append((name, params, results))
    return out


def generate(seed_text, wasm):
    """Writes the module to `wasm`; returns {"invokes": [(name, params, results, args)]}
    or {"skipped": reason} when wasm-opt fails."""
    data, rng = random_bytes(seed_text)
    raw = wasm[:-5] + ".bin"
    with open(raw, "wb") as f:
        f.write(data)
    cmd = ["wasm-opt", raw, "-ttf"] + FEATURES + ["--remove-imports", "-o", wasm]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        # binaryen's own bug (its validator rejects what -ttf made): not Morel's business
        first = next((l for l in p.stderr.splitlines() if l.strip()), "")
        return {"skipped": "wasm-opt -ttf failed: " + re.sub(r" in function \S+", "", first)[:80]}
    # hangLimitInitializer only resets the hang-limit global of its own (fresh) instance
    funcs = [f for f in exported_functions(wasm) if f[0] != "hangLimitInitializer"]
    # hashMemory first, then functions with results (parameterless ones first), then the
    # void "invokers" (whose only observable effect, logging, is removed: ok or a trap).
    funcs.sort(key=lambda f: (f[0] != "hashMemory", not f[2], len(f[1]) > 0))
    invokes = []
    for name, params, results in funcs[:MAX_INVOKES]:
        if any(t not in ARGS for t in params + results):
            continue                          # v128 / references: Morel would reject
        args = [rng.choice(ARGS[t]) for t in params]
        invokes.append((name, params, results, args))
    return {"invokes": invokes}


def canonical(tokens, results):
    """Morel's or Node's printed results -> comparable text: integers as they are, floats as
    their bit pattern in hex, every NaN as "nan" (implementations may pick NaN bits)."""
    if len(tokens) != len(results):
        return " ".join(tokens) + f" (expected {len(results)} values)"
    out = []
    for tok, t in zip(tokens, results):
        if t in ("f32", "f64"):
            low = tok.lower().lstrip("+-")
            if low.startswith("nan"):
                out.append("nan")
                continue
            try:
                value = float.fromhex(tok) if "0x" in low else float(tok)
            except ValueError:
                out.append(tok)
                continue
            bits = struct.unpack("<I", struct.pack("<f", value))[0] if t == "f32" else \
                struct.unpack("<Q", struct.pack("<d", value))[0]
            out.append(f"{t}:{bits:#x}")
        else:
            out.append(tok)
    return " ".join(out)


if __name__ == "__main__":
    info = generate(sys.argv[1], sys.argv[2])
    print(info)

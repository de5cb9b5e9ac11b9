#!/usr/bin/env python3
"""Random terminating WebAssembly modules for Morel's differential tests.

Every module exports `main`, which takes a few i32/i64 parameters, calls the inner
function $f0 K times (K = 1, a few, or more than the default compilation threshold,
so that the tiered modes compile something) and returns the results of all the calls
combined. The generator also picks the arguments of `main`.

Coverage is Morel's Wasm subset (languages/wasm/include/morel/wasm/WasmOpcodes.def):
i32/i64 constants, arithmetic, bit operations, shifts and rotates, clz/ctz/popcnt,
div/rem (which may trap), comparisons, eqz, wrap/extend, the sign-extension operators,
select, drop, nop, local.get/set/tee, block/loop/if/else with parameters and results
(multi-value), br/br_if to any enclosing label (the function body included), return,
unreachable, and direct calls between several functions (a DAG, plus self-recursion
whose depth is bounded by a dedicated parameter). Special weight goes to select,
compare, eqz and br_if mixed with constants (0 in particular).

Termination: every loop has its own counter local, initialised right before the loop
and never written by anything else; each back edge (the loop's end and every
"continue" nested in it) first steps the counter and branches only while it is within
bounds, so a loop runs at most its trip count. Recursive functions take a depth
parameter that is read-only and recurse only when it is positive, passing depth - 1.
A cost estimate (instructions times loop trip counts, plus callee costs) bounds the
work per module.

With the "float" feature (diff.py turns it on when the binary runs f32/f64), f32/f64
values appear everywhere but in main's signature: constants (NaNs with payloads, -0,
infinities, denormals, integer boundaries), unary and binary float operators,
comparisons and every conversion (trapping and saturating truncations, convert,
promote/demote, reinterpret). NaN bits, which implementations may choose, never reach a
result: a value is canonicalised before reinterpret and before copysign takes its sign.

Extending the subset: add an entry to EXPR_TABLE / STMT_TABLE (one row per instruction
family: which types it produces, its weight, the function that emits it, a precondition),
and a value type to ALL if needed. Memory, globals, tables and br_table are not emitted
yet.

Usage: gen_wasm.py --seed S [--features float] [-o FILE.wat]   (the arguments are in a header comment)
"""

import argparse
import random
import struct
import sys

I32, I64, F32, F64 = "i32", "i64", "f32", "f64"
TYPES = (I32, I64)            # the integer types (always generated)
FLOATS = (F32, F64)           # with the "float" feature
ALL = TYPES + FLOATS
BITS = {I32: 32, I64: 64, F32: 32, F64: 64}
SAME_WIDTH = {F32: I32, F64: I64, I32: F32, I64: F64}


def wrap_signed(value, t):
    bits = BITS[t]
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


EDGES = {
    I32: [0, 1, -1, 2, -2, 3, 7, 8, 10, 16, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x100,
          -128, -129, 0x7FFF, 0x8000, 0xFFFF, 0x10000, -0x8000, 0x7FFFFFFF, -0x80000000,
          0x7FFFFFFE, -0x7FFFFFFF, 0x55555555, -0x55555556, 0x40000000, 0x12345678],
    I64: [0, 1, -1, 2, -2, 3, 7, 10, 31, 32, 33, 63, 64, 65, 0x7F, 0x80, 0xFF, 0xFFFF,
          0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, -0x80000000, -0x80000001,
          0x7FFFFFFFFFFFFFFF, -0x8000000000000000, 0x7FFFFFFFFFFFFFFE, -0x7FFFFFFFFFFFFFFF,
          0x5555555555555555, -0x5555555555555556, 0x123456789ABCDEF0, 1 << 40],
}

# Divisors that exercise the constant-division strength reductions.
CONST_DIVISORS = {
    I32: [1, -1, 2, 3, 4, 5, 7, 8, 10, 16, 25, 100, 1000, 0x10000, 0x7FFFFFFF, -0x80000000,
          -2, -3, -7, -8, 641, 6700417, 0x55555555],
    I64: [1, -1, 2, 3, 4, 5, 7, 8, 10, 16, 100, 1000, 0x100000000, 0x7FFFFFFFFFFFFFFF,
          -0x8000000000000000, -2, -3, -7, 0xFFFFFFFF, 274177, 67280421310721],
}

UNOPS = {
    I32: ["i32.clz", "i32.ctz", "i32.popcnt", "i32.extend8_s", "i32.extend16_s"],
    I64: ["i64.clz", "i64.ctz", "i64.popcnt", "i64.extend8_s", "i64.extend16_s",
          "i64.extend32_s"],
}
BINOPS = {t: [f"{t}.{op}" for op in ("add", "sub", "mul", "and", "or", "xor")] for t in TYPES}
SHIFTS = {t: [f"{t}.{op}" for op in ("shl", "shr_s", "shr_u", "rotl", "rotr")] for t in TYPES}
DIVREM = {t: [f"{t}.{op}" for op in ("div_s", "div_u", "rem_s", "rem_u")] for t in TYPES}
RELOPS = {t: [f"{t}.{op}" for op in ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u",
                                     "ge_s", "ge_u")] for t in TYPES}

FLOAT_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 0.1, 1e10, -1e10,
               2.0 ** 31, -(2.0 ** 31), 2.0 ** 31 - 1, 2.0 ** 32, 2.0 ** 32 - 1, 2.0 ** 63,
               -(2.0 ** 63), 2.0 ** 64, 4294967296.5, 2147483647.5, -2147483648.5, 1e-40,
               5e-324, 1.17549435e-38, 3.4028234663852886e38, 1.7976931348623157e308,
               float("inf"), float("-inf"), float("nan"), "-nan", "nan:0x200000", "nan:0x1"]
FUNOPS = ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"]
FBINOPS = ["add", "sub", "mul", "div", "min", "max", "copysign"]
FRELOPS = ["eq", "ne", "lt", "gt", "le", "ge"]

MAX_DEPTH = 7          # expression nesting before only leaves are produced
MAX_LOOP_MULT = 96     # product of the trip counts of nested loops
MODULE_BUDGET = 2000000  # estimated instructions executed by one call of main
# Modules whose main calls $f0 thousands of times, so that the default tiered mode (threshold
# 1000, compiling in the background) runs compiled code for a while: a larger budget.
HOT_BUDGET = 8000000


def float_value(rng, zero_bias):
    r = rng.random()
    if r < zero_bias:
        return rng.choice([0.0, -0.0])
    if r < 0.7:
        return rng.choice(FLOAT_EDGES)
    if r < 0.85:
        return float(rng.randint(-20, 20)) / rng.choice([1, 2, 4, 3])
    return rng.uniform(-1e6, 1e6)


def const_value(rng, t, zero_bias=0.25):
    if t in FLOATS:
        return float_value(rng, zero_bias)
    r = rng.random()
    if r < zero_bias:
        return 0
    if r < 0.6:
        return rng.choice(EDGES[t])
    if r < 0.85:
        return rng.randint(-16, 16)
    return wrap_signed(rng.getrandbits(BITS[t]), t)


def const(t, value):
    if t in FLOATS:
        if isinstance(value, str):
            return f"{t}.const {value}"
        if value != value:
            return f"{t}.const nan"
        if value in (float("inf"), float("-inf")):
            return f"{t}.const {'-' if value < 0 else ''}inf"
        if t == F32:
            try:
                value = struct.unpack("<f", struct.pack("<f", value))[0]
            except OverflowError:
                return f"{t}.const {'-' if value < 0 else ''}inf"
        return f"{t}.const {float(value).hex()}"
    return f"{t}.const {wrap_signed(value, t)}"


def convert(src, dst, rng):
    """Instructions turning a value of type src into one of type dst without trapping (and
    without exposing NaN bits, which implementations may choose freely)."""
    if src == dst:
        return []
    if src in TYPES and dst in TYPES:
        return ["i32.wrap_i64"] if dst == I32 else [rng.choice(["i64.extend_i32_s",
                                                                  "i64.extend_i32_u"])]
    if src in TYPES:
        return [f"{dst}.convert_{src}_{rng.choice('su')}"]
    if dst in TYPES:
        return [f"{dst}.trunc_sat_{src}_{rng.choice('su')}"]
    return ["f64.promote_f32"] if dst == F64 else ["f32.demote_f64"]


def weighted(rng, entries):
    total = sum(w for w, _ in entries)
    x = rng.random() * total
    for w, item in entries:
        x -= w
        if x < 0:
            return item
    return entries[-1][1]


def geometric_sum(r, depth):
    return sum(r ** k for k in range(depth + 1))


class Label:
    """An enclosing block/loop/if/function body: what a branch to it carries."""

    def __init__(self, name, kind, types, counter=None, step=None):
        self.name = name      # "$L3", or None for the function body (numeric depth)
        self.kind = kind      # block | loop | if | func
        self.types = types    # branch types: results, or the loop's parameters
        self.counter = counter  # loops: (local index, type)
        self.step = step        # loops: "down" or "up", with the bound


class Sig:
    def __init__(self, index, params, results, recursive, depth_max):
        self.index = index
        self.name = f"$f{index}"
        self.params = params
        self.results = results
        self.recursive = recursive   # params[0] is then the depth (i32)
        self.depth_max = depth_max
        self.cost = 1


class FuncGen:
    """Generates one function body as flat text instructions, one per line."""

    def __init__(self, rng, sigs, sig, fuel, budget, vtypes=TYPES):
        self.rng = rng
        self.vtypes = vtypes
        self.sigs = sigs
        self.sig = sig
        self.locals = list(sig.params)
        self.frozen = {0} if sig.recursive else set()
        self.labels = [Label(None, "func", list(sig.results))]
        self.fuel = fuel
        self.budget = budget
        self.mult = 1
        self.cost = 0
        self.self_rate = 0      # self-calls per invocation (times loop multipliers)
        self.next_label = 0
        for _ in range(rng.randint(0, 4) if rng.random() < 0.8 else rng.randint(5, 16)):
            self.new_local(rng.choice(vtypes))

    # ---- locals and labels -------------------------------------------------------
    def local_name(self, index):
        return f"$p{index}" if index < len(self.sig.params) else f"$l{index}"

    def new_local(self, t, frozen=False):
        self.locals.append(t)
        index = len(self.locals) - 1
        if frozen:
            self.frozen.add(index)
        return index

    def locals_of(self, t, writable=False):
        return [i for i, lt in enumerate(self.locals)
                if lt == t and not (writable and i in self.frozen)]

    def push_label(self, kind, types, **kw):
        self.next_label += 1
        label = Label(f"$L{self.next_label}", kind, list(types), **kw)
        self.labels.append(label)
        return label

    def pop_label(self):
        self.labels.pop()

    def label_ref(self, label):
        if label.name is not None:
            return label.name
        return str(len(self.labels) - 1 - self.labels.index(label))

    @staticmethod
    def block_type(params, results):
        text = ""
        if params:
            text += " (param " + " ".join(params) + ")"
        if results:
            text += " (result " + " ".join(results) + ")"
        return text

    def charge(self, units=1):
        self.cost += units * self.mult

    def random_types(self, lo, hi):
        return [self.rng.choice(self.vtypes) for _ in range(self.rng.randint(lo, hi))]

    # ---- expressions: each pushes exactly one value of type t ------------------------
    def expr(self, t, depth):
        self.fuel -= 1
        self.charge()
        if self.fuel <= 0 or depth >= MAX_DEPTH:
            return self.leaf(t)
        options = [(w, fn) for (types, w, fn, ok) in EXPR_TABLE
                   if t in types and (ok is None or ok(self))]
        return weighted(self.rng, options)(self, t, depth + 1)

    def leaf(self, t):
        candidates = self.locals_of(t)
        if candidates and self.rng.random() < 0.55:
            return [f"local.get {self.local_name(self.rng.choice(candidates))}"]
        return [const(t, const_value(self.rng, t))]

    def operand(self, t, depth, const_bias=0.35):
        """An operand that is often a constant (0 in particular)."""
        if self.rng.random() < const_bias:
            return [const(t, const_value(self.rng, t, zero_bias=0.4))]
        return self.expr(t, depth)

    def values(self, types, depth):
        out = []
        for t in types:
            out += self.expr(t, depth)
        return out

    def reduce(self, produced, t, depth):
        """Turns the values `produced` (on the stack) into one value of type t."""
        if not produced:
            return self.expr(t, depth)
        if produced == [t]:
            return []
        if produced[0] == t and self.rng.random() < 0.5:
            return ["drop"] * (len(produced) - 1)
        temps = [self.new_local(pt) for pt in produced]
        out = [f"local.set {self.local_name(i)}" for i in reversed(temps)]
        same = [i for i in temps if self.locals[i] == t]
        if len(same) >= 2 and self.rng.random() < 0.5:
            a, b = self.rng.sample(same, 2)
            op = self.rng.choice(BINOPS[t] if t in TYPES else [f"{t}.{o}" for o in FBINOPS[:-1]])
            return out + [f"local.get {self.local_name(a)}", f"local.get {self.local_name(b)}", op]
        if same:
            return out + [f"local.get {self.local_name(self.rng.choice(same))}"]
        other = self.rng.choice(temps)
        out.append(f"local.get {self.local_name(other)}")
        return out + convert(self.locals[other], t, self.rng)

    def cond(self, depth):
        """An i32 used as a condition: compares, eqz, constants, saved flags."""
        rng = self.rng
        kinds = [(6, "cmp"), (3, "cmp_const"), (3, "eqz"), (1, "eqz_cmp"), (1.5, "const"),
                 (1.5, "const_cmp"), (2, "expr"), (1, "flag"), (1, "and_or")]
        if F32 in self.vtypes:
            kinds.append((3, "fcmp"))
        kind = weighted(rng, kinds)
        if kind == "fcmp":
            t = rng.choice(FLOATS)
            a = self.expr(t, depth)
            b = self.operand(t, depth, 0.5)
            if rng.random() < 0.3:
                a, b = b, a
            return a + b + [f"{t}.{rng.choice(FRELOPS)}"]
        if kind in ("cmp", "cmp_const"):
            t = rng.choice(TYPES)
            a = self.expr(t, depth)
            b = self.operand(t, depth, 0.8 if kind == "cmp_const" else 0.2)
            if rng.random() < 0.3:
                a, b = b, a
            return a + b + [rng.choice(RELOPS[t])]
        if kind == "eqz":
            t = rng.choice(TYPES)
            return self.expr(t, depth) + [f"{t}.eqz"]
        if kind == "eqz_cmp":
            t = rng.choice(TYPES)
            return self.expr(t, depth) + self.operand(t, depth) + [rng.choice(RELOPS[t]), "i32.eqz"]
        if kind == "const":
            return [const(I32, rng.choice([0, 0, 1, 1, -1, 2, 0x80000000, 256]))]
        if kind == "const_cmp":
            t = rng.choice(TYPES)
            return [const(t, const_value(rng, t, 0.4)), const(t, const_value(rng, t, 0.4)),
                    rng.choice(RELOPS[t])]
        if kind == "flag":
            flags = self.locals_of(I32)
            if flags:
                return [f"local.get {self.local_name(rng.choice(flags))}"]
            return self.cond(depth)
        if kind == "and_or":
            return self.cond(depth) + self.cond(depth) + [rng.choice(["i32.and", "i32.or",
                                                                         "i32.xor"])]
        return self.expr(I32, depth)

    # ---- statements: net stack effect zero ---------------------------------------
    def stmt(self, depth):
        self.fuel -= 1
        self.charge()
        if self.fuel <= 0 or depth >= MAX_DEPTH:
            return self.stmt_set(depth + 3)
        options = [(w, fn) for (w, fn, ok) in STMT_TABLE if ok is None or ok(self)]
        return weighted(self.rng, options)(self, depth + 1)

    def stmts(self, depth, lo=0, hi=3):
        out = []
        for _ in range(self.rng.randint(lo, hi)):
            if self.fuel <= 0:
                break
            out += self.stmt(depth)
        return out

    def stmt_set(self, depth):
        t = self.rng.choice(self.vtypes)
        targets = self.locals_of(t, writable=True)
        if not targets:
            targets = [self.new_local(t)]
        return self.expr(t, depth) + [f"local.set {self.local_name(self.rng.choice(targets))}"]

    # ---- structured control --------------------------------------------------------
    def consume_params(self, params, results, depth):
        """Code at the start of a block body that consumes its parameters. Returns the
        lines and how many leading results are already on the stack."""
        if len(params) == 1 and results and results[0] == params[0] and self.rng.random() < 0.6:
            t = params[0]
            op = self.rng.choice(BINOPS[t] + SHIFTS[t] if t in TYPES else
                                 [f"{t}.{o}" for o in ("add", "sub", "mul", "min", "max")])
            return self.expr(t, depth) + [op], 1
        out = []
        for p in reversed(params):
            if self.rng.random() < 0.3:
                out.append("drop")
            else:
                out.append(f"local.set {self.local_name(self.new_local(p))}")
        return out, 0

    def block_body(self, params, results, depth):
        out, carried = self.consume_params(params, results, depth)
        out += self.stmts(depth)
        return out + self.values(results[carried:], depth)

    def block_shape(self, t):
        """Parameters and results of a block that yields (among others) a t."""
        results = [t] if t else []
        if self.rng.random() < 0.2:
            results = self.random_types(1, 2)
            if t:
                results.insert(self.rng.randint(0, len(results)), t)
        params = self.random_types(1, 2) if self.rng.random() < 0.2 else []
        return params, results

    def gen_block(self, t, depth):
        params, results = self.block_shape(t)
        out = self.values(params, depth)
        label = self.push_label("block", results)
        body = self.block_body(params, results, depth)
        self.pop_label()
        out += [f"block {label.name}{self.block_type(params, results)}"] + body + ["end"]
        return out + (self.reduce(results, t, depth) if t else ["drop"] * len(results))

    def gen_if(self, t, depth):
        params, results = self.block_shape(t)
        out = self.values(params, depth) + self.cond(depth)
        label = self.push_label("if", results)
        then = self.block_body(params, results, depth)
        out += [f"if {label.name}{self.block_type(params, results)}"] + then
        if params != results or self.rng.random() < 0.7:
            out += ["else"] + self.block_body(params, results, depth)
        self.pop_label()
        out.append("end")
        return out + (self.reduce(results, t, depth) if t else ["drop"] * len(results))

    def back_edge(self, label):
        """An i32 that steps the loop's counter and is true while another iteration is allowed."""
        index, ct = label.counter
        name = self.local_name(index)
        direction, bound = label.step
        rng = self.rng
        if direction == "down":
            step = [f"local.get {name}", const(ct, 1), f"{ct}.sub"] if rng.random() < 0.7 else \
                   [f"local.get {name}", const(ct, -1), f"{ct}.add"]
            step.append(f"local.tee {name}")
            form = rng.randrange(4)
            if form == 0:
                return step + [const(ct, 0), f"{ct}.gt_s"]
            if form == 1:
                return [const(ct, 0)] + step + [f"{ct}.lt_s"]
            if form == 2:
                return step + [const(ct, 1), f"{ct}.ge_s"]
            return step + [const(ct, 0), f"{ct}.le_s", "i32.eqz"]
        step = [f"local.get {name}", const(ct, 1), f"{ct}.add", f"local.tee {name}"]
        form = rng.randrange(3)
        if form == 0:
            return step + [const(ct, bound), f"{ct}.lt_s"]
        if form == 1:
            return [const(ct, bound)] + step + [f"{ct}.gt_s"]
        return step + [const(ct, bound), f"{ct}.ge_s", "i32.eqz"]

    def gen_loop(self, t, depth):
        rng = self.rng
        trip = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 8, 13, 20])
        while trip > 1 and self.mult * trip > MAX_LOOP_MULT:
            trip //= 2
        ct = I32 if rng.random() < 0.75 else I64
        counter = self.new_local(ct, frozen=True)
        cname = self.local_name(counter)
        if rng.random() < 0.65:
            init, step = trip, ("down", 0)
        else:
            init, step = 0, ("up", trip)
        params, results = self.block_shape(t)
        style = weighted(rng, [(5, "br_if"), (2, "br_exit"), (2, "if_br")])
        if style != "br_if":
            params = []
        elif params and rng.random() < 0.5:
            params = list(results)   # a loop that carries its result around
        out = [const(ct, init), f"local.set {cname}"] + self.values(params, depth)
        exit_label = None
        if style == "br_exit":
            exit_label = self.push_label("block", results)
        label = self.push_label("loop", params, counter=(counter, ct), step=step)
        saved = self.mult
        self.mult *= trip
        # The body starts with the parameters on the stack; when it folds a single one into
        # a new value, that value is what the back edge carries.
        body, carried = self.consume_params(params, params, depth)
        body += self.stmts(depth, 0, 4)
        if style == "br_if":
            if not carried:
                body += self.values(params, depth)
            body += self.back_edge(label) + [f"br_if {label.name}"]
            # Not taken: the parameter values are still on the stack.
            if params != results or rng.random() < 0.4:
                body += ["drop"] * len(params) + self.values(results, depth)
        elif style == "br_exit":
            # Leave with the results once the counter runs out, else branch back unconditionally.
            body += self.values(results, depth) + self.back_edge(label) + \
                ["i32.eqz", f"br_if {exit_label.name}"] + ["drop"] * len(results) + \
                [f"br {label.name}"]
        else:
            inner = self.push_label("if", [])
            body += self.back_edge(label) + [f"if {inner.name}"] + self.stmts(depth, 0, 1) + \
                [f"br {label.name}", "end"]
            self.pop_label()
            body += self.values(results, depth)
        self.mult = saved
        self.pop_label()
        loop = [f"loop {label.name}{self.block_type(params, results)} ;; trip {trip}"] + body + ["end"]
        if exit_label:
            self.pop_label()
            loop = [f"block {exit_label.name}{self.block_type([], results)}"] + loop + ["end"]
        out += loop
        return out + (self.reduce(results, t, depth) if t else ["drop"] * len(results))

    # ---- calls ---------------------------------------------------------------------
    def callees(self):
        out = []
        for s in self.sigs[self.sig.index + 1:]:
            if s.cost * self.mult + self.cost <= self.budget:
                out.append(s)
        return out

    def can_self_call(self):
        s = self.sig
        if not s.recursive or self.mult > 2:
            return False
        return geometric_sum(self.self_rate + self.mult, s.depth_max) <= 160

    def call_args(self, callee, depth):
        out = []
        for k, p in enumerate(callee.params):
            if k == 0 and callee.recursive:
                if self.rng.random() < 0.5:
                    out.append(const(I32, self.rng.randint(0, callee.depth_max)))
                else:
                    mask = 1
                    while mask * 2 + 1 <= callee.depth_max:
                        mask = mask * 2 + 1
                    out += self.expr(I32, depth) + [const(I32, mask), "i32.and"]
            else:
                out += self.expr(p, depth)
        return out

    def gen_call(self, t, depth):
        rng = self.rng
        options = self.callees()
        if self.can_self_call() and (not options or rng.random() < 0.5):
            return self.gen_self_call(t, depth)
        if not options:
            return self.leaf(t)
        callee = rng.choice(options)
        self.cost += callee.cost * self.mult
        out = self.call_args(callee, depth) + [f"call {callee.name}"]
        return out + self.reduce(callee.results, t, depth)

    def gen_self_call(self, t, depth):
        """if (d > 0) self(d - 1, ...) else <values>, with d the depth parameter."""
        s = self.sig
        self.self_rate += self.mult
        d = self.local_name(0)
        guard = weighted(self.rng, [(3, [f"local.get {d}", const(I32, 0), "i32.gt_s"]),
                                    (1, [f"local.get {d}", "i32.eqz", "i32.eqz"]),
                                    (1, [const(I32, 1), f"local.get {d}", "i32.le_s"])])
        label = self.push_label("if", s.results)
        args = [f"local.get {d}", const(I32, 1), "i32.sub"]
        for p in s.params[1:]:
            args += self.expr(p, depth)
        els = self.values(s.results, depth)
        self.pop_label()
        out = guard + [f"if {label.name}{self.block_type([], s.results)}"] + args + \
            [f"call {s.name}", "else"] + els + ["end"]
        return out + self.reduce(s.results, t, depth)

    # ---- branches ------------------------------------------------------------------
    def branch_targets(self, types=None, loops=False):
        out = []
        for label in self.labels:
            if label.kind == "loop" and not loops:
                continue
            if types is not None and label.types != types:
                continue
            out.append(label)
        return out

    def branch_cond(self, label, depth):
        if label.kind == "loop":
            return self.back_edge(label)
        return self.cond(depth)

    def gen_br_if_value(self, t, depth):
        """<t> <cond> br_if L, where L carries one t: the value stays when not taken."""
        targets = self.branch_targets([t], loops=True)
        if not targets:
            return self.gen_select(t, depth)
        label = self.rng.choice(targets)
        return self.operand(t, depth) + self.branch_cond(label, depth) + \
            [f"br_if {self.label_ref(label)}"]

    def gen_br(self, t, depth):
        """<values> br L: leaves a polymorphic stack, so it counts as a value of any type."""
        label = self.rng.choice(self.branch_targets())
        return self.values(label.types, depth) + [f"br {self.label_ref(label)}"]

    def gen_return(self, t, depth):
        return self.values(self.sig.results, depth) + ["return"]

    def gen_unreachable(self, t, depth):
        # Mostly guarded, so that not every module traps.
        if self.rng.random() < 0.2:
            return ["unreachable"]
        cond = self.cond(depth)
        label = self.push_label("if", [t])
        out = cond + [f"if {label.name} (result {t})", "unreachable", "else"] + \
            self.expr(t, depth) + ["end"]
        self.pop_label()
        return out

    # ---- numeric -------------------------------------------------------------------
    def gen_const(self, t, depth):
        return [const(t, const_value(self.rng, t))]

    def gen_local_get(self, t, depth):
        return self.leaf(t)

    def gen_tee(self, t, depth):
        targets = self.locals_of(t, writable=True)
        if not targets:
            targets = [self.new_local(t)]
        return self.expr(t, depth) + [f"local.tee {self.local_name(self.rng.choice(targets))}"]

    def gen_unop(self, t, depth):
        return self.expr(t, depth) + [self.rng.choice(UNOPS[t])]

    def gen_binop(self, t, depth):
        a, b = self.expr(t, depth), self.operand(t, depth, 0.3)
        if self.rng.random() < 0.25:
            a, b = b, a
        return a + b + [self.rng.choice(BINOPS[t])]

    def gen_shift(self, t, depth):
        a = self.expr(t, depth)
        if self.rng.random() < 0.6:
            amount = self.rng.choice([0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, -1, 127])
            b = [const(t, amount)]
        else:
            b = self.expr(t, depth)
        return a + b + [self.rng.choice(SHIFTS[t])]

    def gen_divrem(self, t, depth):
        rng = self.rng
        op = rng.choice(DIVREM[t])
        a = self.expr(t, depth) if rng.random() < 0.85 else [const(t, rng.choice(EDGES[t]))]
        mode = rng.random()
        if op.endswith("div_s") and rng.random() < 0.15:
            # INT_MIN / -1 (overflow) when the condition holds.
            a = [const(t, -(1 << (BITS[t] - 1)))] + a + \
                self.cond(depth) + ["select"]
            b = [const(t, -1)] + self.expr(t, depth) + [const(t, 1), f"{t}.or"] + \
                self.cond(depth) + ["select"]
            return a + b + [op]
        if mode < 0.4:
            b = [const(t, rng.choice(CONST_DIVISORS[t]))]
        elif mode < 0.75:
            b = self.expr(t, depth) + [const(t, 1), f"{t}.or"]
        elif mode < 0.85:
            b = self.expr(t, depth) + [const(t, rng.choice([0xFF, 0xFFFF, 7])), f"{t}.and",
                                       const(t, 1), f"{t}.add"]
        else:
            b = self.expr(t, depth)          # may be 0 (or -1 with INT_MIN): traps
        return a + b + [op]

    def gen_compare(self, t, depth):
        return self.cond(depth)

    def gen_eqz(self, t, depth):
        ot = self.rng.choice(TYPES)
        return self.expr(ot, depth) + [f"{ot}.eqz"]

    def gen_convert(self, t, depth):
        if t == I32:
            return self.expr(I64, depth) + ["i32.wrap_i64"]
        return self.expr(I32, depth) + [self.rng.choice(["i64.extend_i32_s", "i64.extend_i32_u"])]

    def gen_select(self, t, depth):
        """select, emphasising constant operands (0 in particular) and compare conditions."""
        rng = self.rng
        a = self.operand(t, depth, 0.55)
        b = self.operand(t, depth, 0.55)
        return a + b + self.cond(depth) + ["select"]

    def gen_flag_later(self, t, depth):
        """A compare saved to a local, other arithmetic, then the saved flag used by
        select/br_if/if: what a flags register that is clobbered in between would break."""
        rng = self.rng
        flag = self.new_local(I32)
        fname = self.local_name(flag)
        out = self.cond(depth) + [f"local.set {fname}"]
        out += self.stmt_set(depth) + self.stmts(depth, 0, 1)
        use = rng.randrange(3)
        if use == 0:
            return out + self.operand(t, depth, 0.6) + self.operand(t, depth, 0.6) + \
                [f"local.get {fname}", "select"]
        if use == 1:
            label = self.push_label("block", [t])
            inner = self.operand(t, depth, 0.6) + [f"local.get {fname}", f"br_if {label.name}",
                                                   "drop"] + self.operand(t, depth, 0.6)
            self.pop_label()
            return out + [f"block {label.name} (result {t})"] + inner + ["end"]
        label = self.push_label("if", [t])
        then = self.operand(t, depth, 0.6)
        els = self.operand(t, depth, 0.6)
        self.pop_label()
        return out + [f"local.get {fname}", f"if {label.name} (result {t})"] + then + \
            ["else"] + els + ["end"]

    # ---- floats (the "float" feature) -------------------------------------------------
    def canonical(self, t, lines):
        """The value of `lines` with any NaN replaced by the canonical NaN, for where NaN bits
        would become observable (reinterpret, copysign's sign)."""
        tmp = self.local_name(self.new_local(t))
        return [f"{t}.const nan"] + lines + [f"local.tee {tmp}", f"local.get {tmp}",
                                                f"local.get {tmp}", f"{t}.ne", "select"]

    def gen_funop(self, t, depth):
        return self.expr(t, depth) + [f"{t}.{self.rng.choice(FUNOPS)}"]

    def gen_fbinop(self, t, depth):
        op = self.rng.choice(FBINOPS)
        a, b = self.expr(t, depth), self.operand(t, depth, 0.35)
        if op == "copysign":
            b = self.canonical(t, b)
        return a + b + [f"{t}.{op}"]

    def gen_fconvert(self, t, depth):
        """A float from an integer (convert, reinterpret) or from the other float type."""
        rng = self.rng
        kind = rng.randrange(3)
        if kind == 0:
            src = rng.choice(TYPES)
            return self.expr(src, depth) + [f"{t}.convert_{src}_{rng.choice('su')}"]
        if kind == 1:
            src = SAME_WIDTH[t]
            return self.expr(src, depth) + [f"{t}.reinterpret_{src}"]
        other = F64 if t == F32 else F32
        return self.expr(other, depth) + convert(other, t, rng)

    def gen_ftrunc(self, t, depth):
        """An integer from a float: trapping trunc, saturating trunc, or the bits."""
        rng = self.rng
        src = rng.choice(FLOATS)
        kind = rng.random()
        if kind < 0.4:
            # Mostly in range (clamped with min/max), so that not every module traps.
            value = self.expr(src, depth)
            if rng.random() < 0.7:
                value += [const(src, -1e9 if t == I32 else -1e18), f"{src}.max",
                          const(src, 1e9 if t == I32 else 1e18), f"{src}.min"]
            return value + [f"{t}.trunc_{src}_{rng.choice('su')}"]
        if kind < 0.8:
            return self.expr(src, depth) + [f"{t}.trunc_sat_{src}_{rng.choice('su')}"]
        src = SAME_WIDTH[t]
        return self.canonical(src, self.expr(src, depth)) + [f"{t}.reinterpret_{src}"]

    # ---- statements ------------------------------------------------------------------
    def s_set(self, depth):
        return self.stmt_set(depth)

    def s_drop(self, depth):
        return self.expr(self.rng.choice(self.vtypes), depth) + ["drop"]

    def s_block(self, depth):
        return self.gen_block(None, depth)

    def s_if(self, depth):
        return self.gen_if(None, depth)

    def s_loop(self, depth):
        return self.gen_loop(None, depth)

    def s_br_if(self, depth):
        label = self.rng.choice(self.branch_targets(loops=True))
        return self.values(label.types, depth) + self.branch_cond(label, depth) + \
            [f"br_if {self.label_ref(label)}"] + ["drop"] * len(label.types)

    def s_br(self, depth):
        return self.gen_br(None, depth)

    def s_return(self, depth):
        cond = self.cond(depth)
        label = self.push_label("if", [])
        out = cond + [f"if {label.name}"] + self.gen_return(None, depth) + ["end"]
        self.pop_label()
        return out

    def s_unreachable(self, depth):
        cond = self.cond(depth)
        label = self.push_label("if", [])
        out = cond + [f"if {label.name}", "unreachable", "end"]
        self.pop_label()
        return out

    def s_call(self, depth):
        options = self.callees()
        if not options:
            return self.stmt_set(depth)
        callee = self.rng.choice(options)
        self.cost += callee.cost * self.mult
        return self.call_args(callee, depth) + [f"call {callee.name}"] + \
            ["drop"] * len(callee.results)

    def s_nop(self, depth):
        return ["nop"]

    # ---- the function --------------------------------------------------------------
    def body(self):
        out = self.stmts(0, 1, 5)
        out += self.values(self.sig.results, 0)
        return out

    def render(self, lines, export=None):
        s = self.sig
        head = f"  (func {s.name}"
        if export:
            head += f' (export "{export}")'
        for k, p in enumerate(s.params):
            head += f" (param {self.local_name(k)} {p})"
        if s.results:
            head += " (result " + " ".join(s.results) + ")"
        out = [head]
        extra = [f"(local {self.local_name(i)} {t})" for i, t in enumerate(self.locals)
                 if i >= len(s.params)]
        if extra:
            out.append("    " + " ".join(extra))
        indent = 2
        for line in lines:
            word = line.split(" ", 1)[0]
            if word in ("end", "else"):
                indent -= 1
            out.append("  " * (indent + 1) + line)
            if word in ("block", "loop", "if", "else"):
                indent += 1
        out[-1] += ")"
        return out


def floats(g):
    return F32 in g.vtypes


def has_locals(t):
    return lambda g: bool(g.locals_of(t))


def in_loop(g):
    return any(label.kind == "loop" for label in g.labels)


# One row per instruction family: (types produced, weight, generator, precondition).
EXPR_TABLE = [
    (ALL, 10, FuncGen.gen_const, None),
    (ALL, 10, FuncGen.gen_local_get, None),
    (ALL, 3, FuncGen.gen_tee, None),
    (TYPES, 5, FuncGen.gen_unop, None),
    (TYPES, 12, FuncGen.gen_binop, None),
    (TYPES, 5, FuncGen.gen_shift, None),
    (TYPES, 4, FuncGen.gen_divrem, None),
    ((I32,), 10, FuncGen.gen_compare, None),
    ((I32,), 3, FuncGen.gen_eqz, None),
    (TYPES, 4, FuncGen.gen_convert, None),
    (ALL, 12, FuncGen.gen_select, None),
    (ALL, 3, FuncGen.gen_flag_later, None),
    (ALL, 3, FuncGen.gen_block, None),
    (ALL, 4, FuncGen.gen_if, None),
    (ALL, 2.5, FuncGen.gen_loop, None),
    (ALL, 4, FuncGen.gen_br_if_value, None),
    (ALL, 0.7, FuncGen.gen_br, None),
    (ALL, 0.4, FuncGen.gen_return, None),
    (ALL, 0.2, FuncGen.gen_unreachable, None),
    (ALL, 4, FuncGen.gen_call, None),
    (FLOATS, 5, FuncGen.gen_funop, None),
    (FLOATS, 10, FuncGen.gen_fbinop, None),
    (FLOATS, 4, FuncGen.gen_fconvert, None),
    (TYPES, 3, FuncGen.gen_ftrunc, floats),
]

# Statements: (weight, generator, precondition).
STMT_TABLE = [
    (6, FuncGen.s_set, None),
    (1.5, FuncGen.s_drop, None),
    (2, FuncGen.s_block, None),
    (3, FuncGen.s_if, None),
    (2.5, FuncGen.s_loop, None),
    (3, FuncGen.s_br_if, None),
    (0.5, FuncGen.s_br, None),
    (0.7, FuncGen.s_return, None),
    (0.2, FuncGen.s_unreachable, None),
    (2, FuncGen.s_call, None),
    (0.3, FuncGen.s_nop, None),
]


def generate(seed, features=()):
    """Returns dict(wat, args, params, results, iterations). `features` may hold "float"
    (f32/f64 values, operators and conversions; only where Morel has them)."""
    rng = random.Random(seed)
    vtypes = ALL if "float" in features else TYPES
    nfuncs = weighted(rng, [(2, 1), (3, 2), (3, 3), (2, 4), (1, 5)])
    iterations = weighted(rng, [(3, 1), (4, rng.randint(2, 5)), (3, rng.randint(6, 40)),
                                (3, rng.randint(8000, 40000))])
    budget = (HOT_BUDGET if iterations > 1000 else MODULE_BUDGET) // iterations
    sigs = []
    for i in range(nfuncs):
        nparams = rng.randint(1 if i == 0 else 0, 4) if rng.random() < 0.85 else rng.randint(5, 12)
        params = [rng.choice(TYPES if i == 0 else vtypes) for _ in range(nparams)]
        nresults = weighted(rng, [(16, 1), (3, 2), (1, 3)]) if i == 0 else \
            weighted(rng, [(2, 0), (12, 1), (4, 2), (1, 3), (1, 5)])
        results = [rng.choice(TYPES if i == 0 else vtypes) for _ in range(nresults)]
        recursive = i > 0 and rng.random() < 0.35
        depth_max = 0
        if recursive:
            params = [I32] + params
            depth_max = rng.randint(1, 6)
        sigs.append(Sig(i, params, results, recursive, depth_max))

    rendered = [None] * nfuncs
    for i in reversed(range(nfuncs)):
        sig = sigs[i]
        fuel = rng.choice([15, 30, 60, 100, 160, 300]) if iterations < 1000 else \
            rng.choice([8, 15, 30, 60])
        for attempt in range(6):
            g = FuncGen(rng, sigs, sig, fuel, budget, vtypes)
            lines = g.body()
            cost = g.cost + 1
            if sig.recursive:
                cost *= geometric_sum(g.self_rate, sig.depth_max)
            if cost <= budget:
                break
            fuel = max(3, fuel // 2)
        else:
            g = FuncGen(rng, sigs, sig, 0, budget, vtypes)
            g.locals = list(sig.params)
            lines = g.values(sig.results, MAX_DEPTH)
            cost = len(lines) + 1
        sig.cost = cost
        rendered[i] = g.render(lines)

    main_lines, args = main_wrapper(rng, sigs[0], iterations)
    wat = ["(module"]
    for r in rendered:
        wat += r
    wat += main_lines
    wat[-1] += ")"
    return {"wat": "\n".join(wat) + "\n", "args": args, "params": sigs[0].params,
            "results": sigs[0].results, "iterations": iterations}


def argument_value(rng, t):
    if rng.random() < 0.6:
        return rng.choice(EDGES[t])
    if rng.random() < 0.5:
        return rng.randint(-100, 100)
    return wrap_signed(rng.getrandbits(BITS[t]), t)


def main_wrapper(rng, f0, iterations):
    """main(params of $f0): calls $f0 `iterations` times and combines the results."""
    params, results = f0.params, f0.results
    args = [argument_value(rng, t) for t in params]
    head = '  (func $main (export "main")' + "".join(f" (param $a{k} {t})" for k, t in
                                                     enumerate(params))
    if results:
        head += " (result " + " ".join(results) + ")"
    if iterations == 1:
        body = [f"local.get $a{k}" for k in range(len(params))] + [f"call {f0.name}"]
        return [head] + ["    " + b for b in body[:-1]] + ["    " + body[-1] + ")"], args
    decls = ["(local $i i32)"] + [f"(local $acc{k} {t}) (local $r{k} {t})"
                                  for k, t in enumerate(results)]
    policy = rng.choice(["same", "vary", "train"])
    train = [argument_value(rng, t) for t in params]
    last = ["local.get $i", "i32.const 1", "i32.eq"]
    body = [const(I32, iterations), "local.set $i", "loop $warm"]
    for k, t in enumerate(params):
        a = f"local.get $a{k}"
        if policy == "same":
            body.append(a)
        elif policy == "vary":
            if t == I32:
                other = [a, "local.get $i", "i32.xor"]
            else:
                other = [a, "local.get $i", "i64.extend_i32_u", "i64.add"]
            body += [a] + other + last + ["select"]
        else:
            body += [a, const(t, train[k])] + last + ["select"]
    body.append(f"call {f0.name}")
    body += [f"local.set $r{k}" for k in reversed(range(len(results)))]
    for k, t in enumerate(results):
        body += [f"local.get $acc{k}", const(t, 31), f"{t}.mul", f"local.get $r{k}", f"{t}.add",
                 f"local.set $acc{k}"]
    body += ["local.get $i", "i32.const 1", "i32.sub", "local.tee $i", "br_if $warm", "end"]
    body += [f"local.get $acc{k}" for k in range(len(results))]
    out = [head, "    " + " ".join(decls)]
    indent = 2
    for line in body:
        if line == "end":
            indent -= 1
        out.append("  " * indent + line)
        if line.startswith("loop"):
            indent += 1
    out[-1] += ")"
    return out, args


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", default="0")
    ap.add_argument("-o", "--output")
    ap.add_argument("--features", default="", help="comma-separated: float")
    opts = ap.parse_args()
    prog = generate(opts.seed, [f for f in opts.features.split(",") if f])
    text = (f";; seed: {opts.seed}\n;; args: {' '.join(map(str, prog['args']))}\n"
            f";; main: ({' '.join(prog['params'])}) -> ({' '.join(prog['results'])}), "
            f"calls $f0 {prog['iterations']} times\n" + prog["wat"])
    if opts.output:
        with open(opts.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

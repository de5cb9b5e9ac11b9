#!/usr/bin/env python3
"""Random well-formed, terminating eBPF programs for Morel's differential tests, and a
reference interpreter for them.

The base programs use the 64- and 32-bit ALU (add sub mul div mod or and xor lsh rsh arsh
neg mov, immediate and register forms), lddw, exit, ja and every conditional jump in its
JMP and JMP32 forms. `features` adds what newer Morel builds execute (diff.py probes the
binary): sdiv/smod, movsx, byte swaps (le/be/bswap/swap), ja32, stack loads and stores
(ldx, ldxs, st, stx on [r10-N] or a pointer copied from r10, rarely out of bounds) and
atomics. No calls or legacy packet loads. r1 holds the program's argument (the context
value `morel run FILE.data N` passes); r10 is only used as the stack pointer; every other
register is written before it is read.

Termination: loops are `mov rC, N; head: body; <step rC>; <jump back while rC in range>`
where the counter register rC is read-only inside the body; every other jump goes forward,
to a label whose enclosing loops are a prefix of the jump's own (so no jump lands inside a
loop, skipping its counter's initialisation). A forward jump may leave any number of
structures (break), skip to a loop's latch (continue), or end the program.

The reference interpreter (`evaluate`) implements RFC 9669 on the text syntax, in Morel's
sandbox layout (memory = a zeroed 512-byte stack, then the input; r10 = 512);
`--check-suite DIR` runs it over the bpf_conformance *.data files (all but the calls) and
compares with their `-- result`.

Usage: gen_ebpf.py --seed S [--features all|LIST] [-o FILE.data]   (r1 is in a header comment)
       gen_ebpf.py --eval FILE [R1]            (prints r0 as the reference computes it)
       gen_ebpf.py --check-suite DIR
"""

import argparse
import glob
import os
import random
import re
import sys

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1

ALU_OPS = ["add", "sub", "mul", "div", "mod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"]
JUMP_OPS = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"]

IMM_EDGES = [0, 1, -1, 2, -2, 3, 7, 8, 16, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, -128,
             0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, -0x80000000, 0x7FFFFFFE, -0x7FFFFFFF,
             0x55555555, 0x12345678, 0x10000, 100, 1000]
IMM64_EDGES = [0, 1, M64, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFF, 0x100000000,
               0x80000000, 0xFFFFFFFF80000000, 0x7FFFFFFF, 0x123456789ABCDEF0,
               0x5555555555555555, 0xAAAAAAAAAAAAAAAA, 0xFFFFFFFF00000000, 1 << 40, 0x1FFFFFFFF]


def weighted(rng, entries):
    total = sum(w for w, _ in entries)
    x = rng.random() * total
    for w, item in entries:
        x -= w
        if x < 0:
            return item
    return entries[-1][1]


def imm_text(rng, value):
    """An imm32 as the assembler reads it: signed decimal, or hex in [0, 2^32)."""
    if rng.random() < 0.3:
        return hex(value & M32)
    return str(value)


# ---------------------------------------------------------------------------------------
# Generator

class Gen:
    COUNTER_POOL = [9, 8, 7, 6]

    def __init__(self, rng, features=()):
        self.rng = rng
        self.features = set(features)
        self.items = []        # ("insn", text) | ("label", name, loops) | ("fwd", text, loops)
        self.loops = []        # ids of the enclosing loops
        self.frozen = set()    # counter registers of the enclosing loops
        self.next_id = 0
        self.fuel = rng.choice([20, 40, 70, 120, 200])
        self.mult = 1

    def new_name(self, prefix):
        self.next_id += 1
        return f"{prefix}{self.next_id}"

    def emit(self, text):
        self.items.append(("insn", text))

    def label(self, name=None):
        name = name or self.new_name("L")
        self.items.append(("label", name, tuple(self.loops)))
        return name

    def dst(self):
        regs = [r for r in range(10) if r not in self.frozen]
        # r0 is the result: write it more often.
        return 0 if self.rng.random() < 0.3 else self.rng.choice(regs)

    def src(self):
        return self.rng.randrange(10)

    def imm(self):
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            return 0
        if r < 0.65:
            return rng.choice(IMM_EDGES)
        if r < 0.85:
            return rng.randint(-20, 20)
        return rng.randint(-0x80000000, 0x7FFFFFFF)

    # ---- straight-line code ---------------------------------------------------------
    def alu(self):
        rng = self.rng
        ops = ALU_OPS + ["neg"] + ["add", "sub", "mov", "xor"]
        if "sdiv" in self.features:
            ops = ops + ["sdiv", "smod"]
        op = rng.choice(ops)
        suffix = "32" if rng.random() < 0.4 else ""
        d = self.dst()
        if op == "neg":
            self.emit(f"neg{suffix} %r{d}")
        elif rng.random() < 0.5:
            imm = self.imm()
            if op in ("lsh", "rsh", "arsh") and rng.random() < 0.7:
                imm = rng.choice([0, 1, 3, 8, 16, 31, 32, 33, 63, 64, 65, 127, -1])
            self.emit(f"{op}{suffix} %r{d}, {imm_text(rng, imm)}")
        else:
            self.emit(f"{op}{suffix} %r{d}, %r{self.src()}")

    def lddw(self):
        rng = self.rng
        value = rng.choice(IMM64_EDGES) if rng.random() < 0.6 else rng.getrandbits(64)
        text = hex(value) if rng.random() < 0.7 else str(value - (1 << 64) if value >> 63 else value)
        self.emit(f"lddw %r{self.dst()}, {text}")

    def cond_jump(self, target):
        rng = self.rng
        op = rng.choice(JUMP_OPS)
        suffix = "32" if rng.random() < 0.35 else ""
        d = self.src()
        if rng.random() < 0.55:
            return f"{op}{suffix} %r{d}, {imm_text(rng, self.imm())}, {target}"
        return f"{op}{suffix} %r{d}, %r{self.src()}, {target}"

    # ---- structures -------------------------------------------------------------------
    def stmt(self, depth):
        self.fuel -= 1
        if self.fuel <= 0 or depth > 5:
            return self.alu()
        kinds = [(10, "alu"), (1.5, "lddw"), (3, "if"), (2, "ifelse"), (2.5, "loop"), (2, "fwd"),
                 (0.6, "ja"), (0.4, "exit"), (0.6, "cexit"), (1, "anchor")]
        kinds += [(w, k) for w, k, feature in EXTRA_STMTS if feature in self.features]
        getattr(self, "s_" + weighted(self.rng, kinds))(depth)

    def stmts(self, depth, lo, hi):
        for _ in range(self.rng.randint(lo, hi)):
            self.stmt(depth)

    def s_alu(self, depth):
        self.alu()

    def s_lddw(self, depth):
        self.lddw()

    def s_if(self, depth):
        end = self.new_name("L")
        self.emit(self.cond_jump(end))
        self.stmts(depth + 1, 1, 4)
        self.label(end)

    def s_ifelse(self, depth):
        other, end = self.new_name("L"), self.new_name("L")
        self.emit(self.cond_jump(other))
        self.stmts(depth + 1, 1, 3)
        self.emit(f"ja {end}")
        self.label(other)
        self.stmts(depth + 1, 1, 3)
        self.label(end)

    def s_loop(self, depth):
        rng = self.rng
        free = [r for r in self.COUNTER_POOL if r not in self.frozen]
        if not free:
            return self.alu()
        c = free[0]
        trip = rng.choice([1, 2, 2, 3, 4, 5, 7, 10, 16])
        while trip > 1 and self.mult * trip > 2000:
            trip //= 2
        style = rng.choice(["down", "down32", "up", "up32"])
        if style.startswith("down"):
            init = rng.choice([f"mov %r{c}, {trip}", f"mov32 %r{c}, {trip}",
                               f"lddw %r{c}, {trip}"])
        else:
            init = rng.choice([f"mov %r{c}, 0", f"mov32 %r{c}, 0", f"xor %r{c}, %r{c}"])
        self.emit(init)
        loop_id = self.new_name("loop")
        head = self.new_name("L")
        self.loops.append(loop_id)
        self.frozen.add(c)
        saved = self.mult
        self.mult *= trip
        self.label(head)
        self.stmts(depth + 1, 1, 5)
        self.label(self.new_name("L"))   # the latch: a forward "continue" lands here
        w = "32" if style.endswith("32") else ""
        if style.startswith("down"):
            self.emit(rng.choice([f"sub{w} %r{c}, 1", f"add{w} %r{c}, -1"]))
            back = rng.choice([f"jne{w} %r{c}, 0", f"jgt{w} %r{c}, 0", f"jsgt{w} %r{c}, 0",
                               f"jge{w} %r{c}, 1", f"jset{w} %r{c}, -1"])
        else:
            self.emit(rng.choice([f"add{w} %r{c}, 1", f"sub{w} %r{c}, -1"]))
            back = rng.choice([f"jlt{w} %r{c}, {trip}", f"jne{w} %r{c}, {trip}",
                               f"jslt{w} %r{c}, {trip}", f"jle{w} %r{c}, {trip - 1}"])
        self.emit(f"{back}, {head}")
        self.mult = saved
        self.frozen.discard(c)
        self.loops.pop()
        self.label()

    def s_fwd(self, depth):
        """A conditional forward jump to some later compatible label (resolved at the end)."""
        self.items.append(("fwd", self.cond_jump("{T}"), tuple(self.loops)))

    def s_ja(self, depth):
        op = "ja32" if "ja32" in self.features and self.rng.random() < 0.5 else "ja"
        self.items.append(("fwd", op + " {T}", tuple(self.loops)))

    # ---- instructions behind feature flags (what newer Morel builds execute) ----------
    def s_movsx(self, depth):
        form = self.rng.choice(["movsx864", "movsx1664", "movsx3264", "movsx832", "movsx1632"])
        self.emit(f"{form} %r{self.dst()}, %r{self.src()}")

    def s_endian(self, depth):
        kind = self.rng.choice(["le", "be", "bswap", "swap"])
        self.emit(f"{kind}{self.rng.choice([16, 32, 64])} %r{self.dst()}")

    def mem_operand(self, size):
        """A stack address: mostly a few slots near r10 (so loads see earlier stores), the
        bottom of a 512-byte stack, a pointer copied from r10, and rarely out of bounds (a
        trap). Returns (operand, pointer register or None). The address itself never
        reaches a result, so programs do not depend on where Morel puts the stack."""
        rng = self.rng
        r = rng.random()
        free = [x for x in range(2, 10) if x not in self.frozen]
        if r < 0.015 and free:
            # Out of bounds through a copy of r10: the loader refuses r10-relative
            # accesses outside the frame, so this one must trap when it runs.
            p = rng.choice(free)
            self.emit(f"mov %r{p}, %r10")
            self.emit(f"add %r{p}, {rng.choice([-32768, 0x7ff8])}")
            return f"[%r{p}+0]", p
        slot = rng.choice([8, 8, 16, 16, 24, 32, 40, 64, 128, 512])
        offset = -slot + rng.randrange(0, 8, size)
        if r < 0.2:
            free = [x for x in range(2, 10) if x not in self.frozen]
            if free:
                p = rng.choice(free)
                split = rng.randrange(0, 8, size) if rng.random() < 0.5 else 0
                self.emit(f"mov %r{p}, %r10")
                self.emit(f"add %r{p}, {offset - split}")
                return f"[%r{p}+{split}]", p
        return f"[%r10{offset:+d}]", None

    def data_src(self, pointer):
        """A source register other than the pointer (whose value is an address)."""
        r = self.src()
        return r if r != pointer else (r + 1) % 10

    def forget(self, pointer):
        if pointer is not None:
            self.emit(f"mov %r{pointer}, {imm_text(self.rng, self.imm())}")

    def s_load(self, depth):
        size = self.rng.choice(["b", "h", "w", "dw"])
        signed_ = size != "dw" and self.rng.random() < 0.3
        mem, pointer = self.mem_operand(SIZES[size])
        d = self.dst()
        self.emit(f"ldx{'s' if signed_ else ''}{size} %r{d}, {mem}")
        if d != pointer:
            self.forget(pointer)

    def s_store(self, depth):
        size = self.rng.choice(["b", "h", "w", "dw"])
        mem, pointer = self.mem_operand(SIZES[size])
        if self.rng.random() < 0.35:
            self.emit(f"st{size} {mem}, {imm_text(self.rng, self.imm())}")
        else:
            self.emit(f"stx{size} {mem}, %r{self.data_src(pointer)}")
        self.forget(pointer)

    def s_atomic(self, depth):
        rng = self.rng
        w32 = rng.random() < 0.4
        name = rng.choice(["add", "or", "and", "xor", "fetch add", "fetch or", "fetch and",
                           "fetch xor", "xchg", "cmpxchg"])
        mem, pointer = self.mem_operand(4 if w32 else 8)
        writes_src = name.startswith("fetch") or name == "xchg"
        src = self.dst() if writes_src else self.src()
        if src == pointer:
            src = 0 if name != "cmpxchg" else (pointer % 9) + 1
            if src in self.frozen or src == pointer:
                src = 0
        self.emit(f"lock {name}{'32' if w32 else ''} {mem}, %r{src}")
        self.forget(pointer)


    def s_exit(self, depth):
        self.emit("exit")

    def s_cexit(self, depth):
        skip = self.new_name("L")
        self.emit(self.cond_jump(skip))
        self.emit("exit")
        self.label(skip)

    def s_anchor(self, depth):
        self.label()

    # ---- the program ------------------------------------------------------------------
    def program(self):
        rng = self.rng
        for r in [0, 2, 3, 4, 5, 6, 7, 8, 9]:
            kind = rng.random()
            if kind < 0.4:
                self.emit(f"mov %r{r}, {imm_text(rng, self.imm())}")
            elif kind < 0.55:
                self.emit(f"mov32 %r{r}, {imm_text(rng, self.imm())}")
            elif kind < 0.75:
                value = rng.choice(IMM64_EDGES) if rng.random() < 0.6 else rng.getrandbits(64)
                self.emit(f"lddw %r{r}, {hex(value)}")
            else:
                self.emit(f"mov %r{r}, %r1")
                if rng.random() < 0.7:
                    op = rng.choice(["add", "xor", "mul", "sub", "or"])
                    self.emit(f"{op} %r{r}, {imm_text(rng, self.imm())}")
        self.stmts(0, 3, 12)
        self.label()
        # Fold a few registers into r0 so that more of the computation is observable.
        for r in rng.sample(range(1, 10), rng.randint(0, 4)):
            self.emit(f"{rng.choice(['xor', 'add', 'sub'])} %r0, %r{r}")
        self.emit("exit")
        return self.resolve()

    def resolve(self):
        lines = []
        for i, item in enumerate(self.items):
            if item[0] == "insn":
                lines.append(item[1])
            elif item[0] == "label":
                lines.append(f"{item[1]}:")
            else:
                _, text, loops = item
                targets = [it[1] for it in self.items[i + 1:]
                           if it[0] == "label" and loops[:len(it[2])] == it[2]]
                lines.append(text.replace("{T}", self.rng.choice(targets)))
        return lines


# Statements that only some Morel builds support: (weight, kind, feature).
EXTRA_STMTS = [(1.5, "movsx", "movsx"), (1.5, "endian", "endian"), (3, "load", "mem"),
               (3, "store", "mem"), (1.5, "atomic", "atomic")]
FEATURES = ("sdiv", "movsx", "endian", "ja32", "mem", "atomic")


def argument(rng):
    r = rng.random()
    if r < 0.3:
        return 0
    if r < 0.7:
        return rng.choice([1, -1, 2, 0x7FFFFFFF, -0x80000000, 0xFFFFFFFF, 1 << 32,
                           0x7FFFFFFFFFFFFFFF, -0x8000000000000000, 100, -100])
    return rng.getrandbits(64) - (1 << 63)


def generate(seed, features=()):
    """Returns dict(text, args): a .data file (the `-- asm` section) and [r1]. `features`
    (a subset of FEATURES) enables the newer instructions."""
    rng = random.Random(seed)
    lines = Gen(rng, features).program()
    r1 = argument(rng)
    text = "-- asm\n" + "\n".join(lines) + "\n"
    return {"text": text, "args": [r1]}


# ---------------------------------------------------------------------------------------
# Reference interpreter

def sext32(v):
    v &= M32
    return v - (1 << 32) if v >> 31 else v


def signed(v, bits):
    return v - (1 << bits) if v >> (bits - 1) else v


def parse_number(text):
    return int(text.replace(" ", ""), 0)


class Unsupported(Exception):
    pass


MEM_RE = re.compile(r"^\[\s*%r(\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?\s*\]$")
SIZES = {"b": 1, "h": 2, "w": 4, "dw": 8}


def split_word(text):
    parts = text.split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def assemble(text):
    """Parses the `-- asm` section (or plain assembly) into (op, args) and resolves labels."""
    if "-- asm" in text:
        text = text.split("-- asm", 1)[1]
        text = re.split(r"^-- ", text, flags=re.M)[0]
    insns, labels = [], {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z_.][\w.]*):\s*(.*)$", line)
        if m:
            labels[m.group(1)] = len(insns)
            line = m.group(2).strip()
            if not line:
                continue
        op, rest = split_word(line)
        if op == "lock":
            word, rest = split_word(rest)
            if word == "fetch":
                word, rest = split_word(rest)
                op = "lock fetch " + word
            else:
                op = "lock " + word
        elif op == "call":
            raise Unsupported("call")
        args = [a.strip() for a in rest.split(",")] if rest.strip() else []
        insns.append((op, args))
    first_exit = next((i for i, (op, _) in enumerate(insns) if op == "exit"), None)

    def target(i, t):
        if t in labels:
            return labels[t]
        if t == "exit" and first_exit is not None:
            return first_exit
        return i + 1 + parse_number(t)

    out = []
    for i, (op, args) in enumerate(insns):
        if op.startswith("j") and op not in ("ja", "ja32"):
            out.append((op, args[:2] + [target(i, args[2])]))
        elif op in ("ja", "ja32"):
            out.append((op, [target(i, args[0])]))
        else:
            out.append((op, args))
    return out


def reg(text):
    if not text.startswith("%r"):
        raise Unsupported(text)
    return int(text[2:])


def sext(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def bswap(v, bits):
    return int.from_bytes((v & ((1 << bits) - 1)).to_bytes(bits // 8, "little"), "big")


class Trap(Exception):
    pass


STACK_SIZE = 512


def evaluate(text, r1=0, max_steps=10_000_000, mem=None):
    """Runs the program in Morel's eBPF sandbox layout (a zeroed 512-byte stack, r10 = 512,
    then the input `mem`, r1 = its address and r2 = its length; without `mem`, r1 = the
    argument). Returns r0 (unsigned 64-bit), or "timeout", or "trap oob"."""
    prog = assemble(text)
    memory = bytearray(STACK_SIZE + len(mem or b""))
    r = [0] * 11
    if mem is not None:
        memory[STACK_SIZE:] = mem
        r[1], r[2] = STACK_SIZE, len(mem)
    else:
        r[1] = r1 & M64
    r[10] = STACK_SIZE

    def address(operand, size):
        m = MEM_RE.match(operand)
        if not m:
            raise Unsupported(operand)
        offset = int(m.group(3), 0) if m.group(3) else 0
        if m.group(2) == "-":
            offset = -offset
        at = (r[int(m.group(1))] + offset) & M64
        if at + size > len(memory):
            raise Trap("oob")
        return at

    def load(at, size):
        return int.from_bytes(memory[at:at + size], "little")

    def store(at, size, value):
        memory[at:at + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    pc = steps = 0
    try:
        while True:
            steps += 1
            if steps > max_steps:
                return "timeout"
            op, args = prog[pc]
            pc += 1
            if op == "exit":
                return r[0]
            if op == "lddw":
                r[reg(args[0])] = parse_number(args[1]) & M64
                continue
            if op in ("ja", "ja32"):
                pc = args[0]
                continue
            m = re.match(r"^(ldxs?|stx?)(b|h|w|dw)$", op)
            if m:
                size = SIZES[m.group(2)]
                if m.group(1).startswith("ld"):
                    value = load(address(args[1], size), size)
                    if m.group(1) == "ldxs":
                        value = sext(value, 8 * size) & M64
                    r[reg(args[0])] = value
                else:
                    at = address(args[0], size)
                    # st's immediate is a signed 32-bit field, sign-extended (RFC 9669, uBPF, Linux)
                    value = r[reg(args[1])] if m.group(1) == "stx" else sext32(parse_number(args[1]) & M32)
                    store(at, size, value)
                continue
            if op.startswith("lock "):
                words = op.split()
                name = words[-1]
                w32 = name.endswith("32")
                name = name[:-2] if w32 else name
                size, mask = (4, M32) if w32 else (8, M64)
                at = address(args[0], size)
                s = reg(args[1])
                old = load(at, size)
                if name == "cmpxchg":
                    if (r[0] & mask) == old:
                        store(at, size, r[s])
                    r[0] = old
                    continue
                if name == "xchg":
                    store(at, size, r[s])
                    r[s] = old
                    continue
                value = {"add": old + r[s], "or": old | r[s], "and": old & r[s],
                         "xor": old ^ r[s]}[name]
                store(at, size, value)
                if words[1] == "fetch":
                    r[s] = old
                continue
            m = re.match(r"^(le|be|bswap|swap)(16|32|64)$", op)
            if m:
                d, bits = reg(args[0]), int(m.group(2))
                r[d] = r[d] & ((1 << bits) - 1) if m.group(1) == "le" else bswap(r[d], bits)
                continue
            m = re.match(r"^movsx(8|16|32)(32|64)$", op)
            if m:
                d, s = reg(args[0]), reg(args[1])
                r[d] = sext(r[s], int(m.group(1))) & (M32 if m.group(2) == "32" else M64)
                continue
            base = op[:-2] if op.endswith("32") else op
            w32 = op.endswith("32")
            if base in JUMP_OPS:
                a = r[reg(args[0])]
                b = r[reg(args[1])] if args[1].startswith("%") else sext32(parse_number(args[1])) & M64
                bits = 32 if w32 else 64
                if w32:
                    a, b = a & M32, b & M32
                sa, sb = signed(a, bits), signed(b, bits)
                taken = {"jeq": a == b, "jne": a != b, "jgt": a > b, "jge": a >= b, "jlt": a < b,
                         "jle": a <= b, "jset": (a & b) != 0, "jsgt": sa > sb, "jsge": sa >= sb,
                         "jslt": sa < sb, "jsle": sa <= sb}[base]
                if taken:
                    pc = args[2]
                continue
            if base == "neg":
                d = reg(args[0])
                r[d] = (-r[d]) & (M32 if w32 else M64)
                continue
            if base not in ALU_OPS and base not in ("sdiv", "smod"):
                raise Unsupported(op)
            d = reg(args[0])
            if args[1].startswith("%"):
                s = r[reg(args[1])]
            else:
                imm = parse_number(args[1])
                s = (imm & M32) if w32 else (sext32(imm) & M64)
            mask, bits = (M32, 32) if w32 else (M64, 64)
            a, s = r[d] & mask, s & mask
            if base == "add":
                v = a + s
            elif base == "sub":
                v = a - s
            elif base == "mul":
                v = a * s
            elif base == "div":
                v = a // s if s else 0
            elif base == "mod":
                v = a % s if s else a
            elif base in ("sdiv", "smod"):
                sa, ss = signed(a, bits), signed(s, bits)
                if ss == 0:
                    v = 0 if base == "sdiv" else a
                else:
                    q = abs(sa) // abs(ss) * (1 if (sa < 0) == (ss < 0) else -1)
                    v = q if base == "sdiv" else sa - q * ss
            elif base == "or":
                v = a | s
            elif base == "and":
                v = a & s
            elif base == "xor":
                v = a ^ s
            elif base == "lsh":
                v = a << (s & (bits - 1))
            elif base == "rsh":
                v = a >> (s & (bits - 1))
            elif base == "arsh":
                v = signed(a, bits) >> (s & (bits - 1))
            else:  # mov
                v = s
            r[d] = v & mask
    except Trap as t:
        return f"trap {t}"


def check_suite(directory):
    """Runs the reference over the conformance files it supports; returns the failures."""
    checked, failures = 0, []
    for path in sorted(glob.glob(os.path.join(directory, "*.data"))):
        text = open(path).read()
        m = re.search(r"^-- result\s*\n\s*(\S+)", text, re.M)
        if not m:
            continue
        mem = re.search(r"^-- mem\s*\n(.*?)(?=^--|\Z)", text, re.M | re.S)
        data = bytes.fromhex("".join(mem.group(1).split())) if mem else None
        try:
            got = evaluate(text, 0, mem=data)
        except (Unsupported, ValueError, IndexError, KeyError):
            continue
        checked += 1
        if got != int(m.group(1), 0):
            failures.append(f"{os.path.basename(path)}: expected {m.group(1)}, got {got}")
    return checked, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", default="0")
    ap.add_argument("-o", "--output")
    ap.add_argument("--eval", nargs="+", metavar=("FILE", "R1"))
    ap.add_argument("--check-suite", metavar="DIR")
    ap.add_argument("--features", default="",
                    help="comma-separated: " + ",".join(FEATURES) + " (or 'all')")
    opts = ap.parse_args()
    if opts.check_suite:
        checked, failures = check_suite(opts.check_suite)
        print("\n".join(failures + [f"{checked} checked, {len(failures)} failed"]))
        sys.exit(1 if failures else 0)
    if opts.eval:
        r1 = int(opts.eval[1], 0) if len(opts.eval) > 1 else 0
        result = evaluate(open(opts.eval[0]).read(), r1)
        print(result if isinstance(result, str) else hex(result))
        return
    features = FEATURES if opts.features == "all" else [f for f in opts.features.split(",") if f]
    prog = generate(opts.seed, features)
    text = f"# seed: {opts.seed}\n# r1: {prog['args'][0]}\n" + prog["text"]
    if opts.output:
        with open(opts.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Two Morel builds on one command, by CPU time: for a shared, loaded machine,
where wall time mostly measures the wait for a core.

    bench/cpu_ab.py BEFORE_MOREL AFTER_MOREL RUNS ARGS...

Runs `BEFORE_MOREL run ARGS` and `AFTER_MOREL run ARGS` RUNS times each,
interleaved, and prints the best user + system time of each (all threads, the
compiler's included) and before / after (above 1: the second build is faster).
Output is discarded; both must exit 0.
"""
import os
import sys


def cpu_seconds(morel, args):
    pid = os.fork()
    if pid == 0:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.execv(morel, [morel, "run", *args])
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"cpu_ab: {morel} run {' '.join(args)} failed ({status})")
    return usage.ru_utime + usage.ru_stime


def main():
    if len(sys.argv) < 5:
        print(__doc__)
        return 2
    before, after, runs, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    a = b = float("inf")
    for _ in range(runs):
        a = min(a, cpu_seconds(before, args))
        b = min(b, cpu_seconds(after, args))
    print(f"{' '.join(args)} | before {a:.3f} s | after {b:.3f} s | before/after {a / b:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

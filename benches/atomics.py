#!/usr/bin/env python3
"""Atomic read-modify-writes per call, from a callgrind profile.

Instruction counts do not show what an atomic operation costs (~20 cycles
uncontended, and it orders the memory around it); this counts them. Each
`lock`-prefixed instruction and each `xchg` with a memory operand (locked
implicitly) is weighted by how often callgrind saw it run, per object file
and per function, divided by the number of calls the profile covers.

    BENCH_ONLY=sdk BENCH_ROUTE=get BENCH_ROUNDS=1 BENCH_REQUESTS=2000 \\
      setarch -R valgrind --tool=callgrind --dump-instr=yes \\
      --callgrind-out-file=sdk.out --toggle-collect='*Contender*call*' \\
      target/release/deps/management-* --bench
    python3 benches/atomics.py sdk.out 4800          # 4,800 calls
    python3 benches/atomics.py sdk.out 4800 bare.out  # and the difference

Needs binutils' `objdump`. Used for benches/README.md, "Analysis
(2026-12-07, session 13)".
"""

import collections
import re
import subprocess
import sys


def executed(profile):
    """Instruction address -> times executed, per object file."""
    costs = collections.defaultdict(collections.Counter)
    names, obj, last, after_call = {}, None, 0, False
    with open(profile, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("ob="):
                    obj = names.get(m.group(1))
                continue
            if line.startswith("calls="):
                after_call = True  # the next cost line is the call's, inclusive
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            fields = line.split()
            pos = fields[0]
            if pos.startswith("0x"):
                addr = int(pos, 16)
            elif pos == "*":
                addr = last
            elif pos[0] in "+-":
                addr = last + int(pos)
            else:
                addr = int(pos)
            last = addr
            if after_call:
                after_call = False
                continue
            if len(fields) >= 3:
                costs[obj][addr] += int(fields[2])
    return costs


def locked_instructions(obj):
    """File address -> (function, mnemonic) of each atomic RMW in `obj`."""
    text = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", obj],
        capture_output=True, text=True, check=False,
    ).stdout
    found, all_addrs, function = {}, set(), None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.*)>:", line)
        if m:
            function = m.group(2)
            continue
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)(.*)", line)
        if m:
            addr = int(m.group(1), 16)
            all_addrs.add(addr)
            mnemonic, rest = m.group(2), m.group(3)
            if mnemonic == "lock" or (mnemonic.startswith("xchg") and "(" in rest):
                found[addr] = (function, (mnemonic + rest).split()[0:2])
    return found, all_addrs


def load_base(addrs, all_addrs):
    """The offset at which the object was mapped (valgrind, no ASLR)."""
    sample = sorted(addrs)[:2000]
    best = (0, -1)
    for base in (0, 0x108000, 0x4000000, 0x4840000, 0x4892000, 0x48A0000, 0x4A00000):
        hits = sum(1 for a in sample if a - base in all_addrs)
        if hits > best[1]:
            best = (base, hits)
    return best[0]


def per_function(profile, calls):
    out = collections.Counter()
    for obj, addrs in executed(profile).items():
        if not obj or not obj.startswith("/"):
            continue
        locked, all_addrs = locked_instructions(obj)
        if not locked:
            continue
        base = load_base(addrs, all_addrs)
        for addr, count in addrs.items():
            if addr - base in locked:
                function, _ = locked[addr - base]
                out[(obj.rsplit("/", 1)[-1], function[:120])] += count / calls
    return out


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    calls = float(sys.argv[2])
    first = per_function(sys.argv[1], calls)
    second = per_function(sys.argv[3], calls) if len(sys.argv) == 4 else None
    for obj in sorted({o for o, _ in first} | {o for o, _ in (second or {})}):
        total = sum(v for (o, _), v in first.items() if o == obj)
        line = f"{obj}: {total:.1f} per call"
        if second is not None:
            other = sum(v for (o, _), v in second.items() if o == obj)
            line += f" (other profile {other:.1f}, {total - other:+.1f})"
        print(line)
    keys = set(first) | set(second or {})
    delta = (lambda k: first.get(k, 0) - second.get(k, 0)) if second else first.get
    for key in sorted(keys, key=lambda k: -abs(delta(k)))[:40]:
        print(f"{delta(key):+8.2f}  {key[0]}  {key[1]}")


if __name__ == "__main__":
    main()

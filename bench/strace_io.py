#!/usr/bin/python3
"""Sums the file I/O of an `strace -f` log by file: pread64/pwrite64 calls,
bytes and their commonest sizes, and fdatasync/fsync/ftruncate calls, so a
poll's database, WAL and journal traffic can be told apart (which a plain
`strace -c` cannot: it counts calls, not files).

Usage:
    printf '#!/bin/sh\\nexec strace -f -o /tmp/trace.$$ -e trace=openat,pread64,pwrite64,fdatasync,fsync,ftruncate "$@"\\n' > /tmp/st.sh
    chmod +x /tmp/st.sh
    bench/poll_bench.py --wrap /tmp/st.sh      # one trace per run; the larger is the first poll
    bench/strace_io.py /tmp/trace.NNN

A descriptor is named by the last openat that returned it (the file's base
name). Standard library only.
"""
import collections
import re
import sys

OPEN = re.compile(r'^(?:\d+\s+)?openat\(AT_FDCWD, "([^"]+)".*\) = (\d+)$')
RW = re.compile(r'^(?:\d+\s+)?(pread64|pwrite64)\((\d+),.*, (\d+), \d+\) = (-?\d+)')
SYNC = re.compile(r'^(?:\d+\s+)?(fdatasync|fsync|ftruncate)\((\d+)')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    names = {}
    calls = collections.Counter()
    nbytes = collections.Counter()
    sizes = collections.defaultdict(collections.Counter)
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for line in f:
            if m := OPEN.match(line):
                names[m.group(2)] = m.group(1).rsplit("/", 1)[-1]
            elif m := RW.match(line):
                key = (m.group(1), names.get(m.group(2), "fd " + m.group(2)))
                done = int(m.group(4))
                calls[key] += 1
                nbytes[key] += max(done, 0)
                sizes[key][done] += 1
            elif m := SYNC.match(line):
                calls[(m.group(1), names.get(m.group(2), "fd " + m.group(2)))] += 1
    print(f"{'call':<10} {'file':<28} {'calls':>8} {'MB':>8}  commonest sizes")
    for (call, name), n in sorted(calls.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        common = ", ".join(f"{size} x{count}" for size, count in sizes[(call, name)].most_common(3))
        mb = f"{nbytes[(call, name)] / 1e6:.1f}" if call.startswith("p") else ""
        print(f"{call:<10} {name:<28} {n:>8} {mb:>8}  {common}")


if __name__ == "__main__":
    main()

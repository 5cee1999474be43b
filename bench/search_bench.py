#!/usr/bin/python3
"""`specwatch search` over 1,000,000 stored items, end to end through the CLI:
p50 / p99 / max per query and overall, and the same request over the control
socket alone (so the CLI's own start-up cost shows separately).

Usage: bench/search_bench.py [--items 1000000] [--sources 100] [--db PATH]
                             [--repeat 50] [--specwatch PATH] [--specwatchd PATH]
                             [--make-search-db PATH] [--dump DIR]
The database is built by build/bench/make_search_db (reused when it already
holds --items items); the real specwatchd serves it with a private socket in
a temporary folder, with every source disabled so that nothing polls. Each
repeat runs every query once through the CLI and once over the socket,
interleaved; one warm-up round first (not counted). --dump DIR writes each
query's CLI output (human and --json) to DIR, for diffing two builds' results,
also for the queries in CHECKED (not timed). Standard library only.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_bench import ask, pct  # noqa: E402
from poll_bench import stop  # noqa: E402

# The bodies make_search_db gives its sources, in turn (bench/corpus.h's first
# ten words): the config must name the same ones or the daemon rewrites them.
BODIES = ["3GPP", "ETSI", "IETF", "ITU-T", "IEEE", "W3C", "ISO", "IEC", "ECMA", "OMA"]

# The kinds of query people write (bench/corpus.h's vocabulary and long tail),
# each with the CLI arguments after the query.
QUERIES = [
    ("5G", []),                                   # one common word (most items)
    ("5G", ["--limit", "100"]),
    ("brabrane", []),                               # a long-tail word (~2 % of items)
    ('"study item"', []),                         # a phrase of two common words
    ("security AND privacy", []),
    ("(NTN OR satellite) AND positioning", []),
    ("secur*", []),                               # a prefix
    ("brabrane AND 5G", []),                        # a rarer word with a common one
    ("zzyzx", []),                                # no match
]

# Only written by --dump, to compare two builds' results on more shapes of query.
CHECKED = [
    ("5G", ["--limit", "500"]),
    ("security", []),
    ("security OR privacy", []),
    ("security NOT privacy", []),
    ('"study item" AND 5G', []),
    ('"study item" OR brabrane', []),
    ('"work item"', ["--limit", "100"]),
    ("secur* AND 5G", []),
    ("secur* OR priva*", []),
    ("sec*", ["--limit", "50"]),
    ("brabrane OR zzyzx", []),
    ("brabrane AND zzyzx", []),
    ("NTN AND satellite AND positioning", ["--limit", "100"]),
    ("title: 5G", []),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "build")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--db", help="default: /var/tmp/specwatch-search-ITEMS.db")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--specwatch", default=os.path.join(build, "cli", "specwatch"))
    ap.add_argument("--specwatchd", default=os.path.join(build, "daemon", "specwatchd"))
    ap.add_argument("--make-search-db", default=os.path.join(build, "bench", "make_search_db"))
    ap.add_argument("--dump", metavar="DIR", help="write each query's CLI output to DIR")
    args = ap.parse_args()
    db = os.path.abspath(args.db or f"/var/tmp/specwatch-search-{args.items}.db")
    for exe in (args.specwatch, args.specwatchd, args.make_search_db):
        if not os.access(exe, os.X_OK):
            sys.exit(f"search_bench: {exe}: not an executable (build it, or pass its path)")

    t0 = time.monotonic()
    subprocess.run([args.make_search_db, "--items", str(args.items), "--sources",
                    str(args.sources), "--db", db], check=True)
    print(f"database ready in {time.monotonic() - t0:.1f} s", flush=True)

    # Matches per query, from the file itself (the daemon ranks a window of them).
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        total = {q: con.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?",
                                (q,)).fetchone()[0] for q, _ in QUERIES}

    work = tempfile.mkdtemp(prefix="specwatch-search-")
    daemon = None
    try:
        sock = os.path.join(work, "control.sock")
        cfg = os.path.join(work, "specwatch.toml")
        with open(cfg, "w") as f:
            f.write(f'[daemon]\ndatabase = "{db}"\nsocket = "{sock}"\n')
            for i in range(args.sources):
                f.write(f'\n[[source]]\nname = "src{i}"\nbody = "{BODIES[i % len(BODIES)]}"\n'
                        f'url = "http://127.0.0.1/src{i}"\nenabled = false\n')
        log = open(os.path.join(work, "specwatchd.log"), "wb")
        daemon = subprocess.Popen([args.specwatchd, "--config", cfg],
                                  stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            try:
                items = ask(sock, {"cmd": "status"}, timeout=30)["result"]["items"]
                break
            except OSError:
                if daemon.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    sys.exit("search_bench: specwatchd did not answer:\n"
                             + open(log.name, encoding="utf-8", errors="replace").read())
                time.sleep(0.02)

        def cli(q, extra):
            t = time.monotonic()
            out = subprocess.run([args.specwatch, "--socket", sock, "search", q, *extra],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            took = time.monotonic() - t
            if out.returncode != 0:
                raise RuntimeError(f"specwatch search {q!r}: exit {out.returncode}: "
                                   f"{out.stderr.decode(errors='replace').strip()}")
            return took

        def daemon_cpu():
            """CPU time of all the daemon's threads, in s (schedstat: ns)."""
            total = 0
            task = f"/proc/{daemon.pid}/task"
            for tid in os.listdir(task):
                try:
                    with open(f"{task}/{tid}/schedstat") as f:
                        total += int(f.read().split()[0])
                except OSError:
                    pass  # a thread that ended
            return total / 1e9

        def socket_only(q, extra):
            req = {"cmd": "search", "query": q}
            if "--limit" in extra:
                req["limit"] = int(extra[extra.index("--limit") + 1])
            cpu = daemon_cpu()
            t = time.monotonic()
            reply = ask(sock, req)
            took = time.monotonic() - t
            cpu = daemon_cpu() - cpu
            if not reply.get("ok"):
                raise RuntimeError(f"search {q!r}: {reply.get('error')}")
            return took, len(reply["result"]), cpu

        if args.dump:
            os.makedirs(args.dump, exist_ok=True)
            for i, (q, extra) in enumerate(QUERIES + CHECKED):
                for fmt in ([], ["--json"]):
                    out = subprocess.run([args.specwatch, "--socket", sock, *fmt, "search", q,
                                          *extra], stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
                    name = f"{i:02d}{'.json' if fmt else '.txt'}"
                    with open(os.path.join(args.dump, name), "wb") as f:
                        f.write(f"$ specwatch {' '.join(fmt)} search {q} {' '.join(extra)}"
                                f" (exit {out.returncode})\n".encode() + out.stdout)

        shown, first = {}, {}
        for q, extra in QUERIES:  # warm-up: the pages of each query in the cache
            # The first run of each query (after the dump's, if any) is timed
            # apart: what a query costs before search keeps anything of it.
            _, shown[(q, tuple(extra))], first[(q, tuple(extra))] = socket_only(q, extra)
            cli(q, extra)
        times = {(q, tuple(e)): ([], [], []) for q, e in QUERIES}
        for _ in range(args.repeat):
            for q, extra in QUERIES:
                c, s, u = times[(q, tuple(extra))]
                c.append(cli(q, extra))
                took, _, cpu = socket_only(q, extra)
                s.append(took)
                u.append(cpu)

        print(f"specwatch search over {items:,} items ({args.sources} sources, {db}), "
              f"{args.repeat} runs of each query after one warm-up, {os.cpu_count()} CPUs")
        head = (f"| {'query':<40} | {'matches':>9} | {'shown':>5} | {'CLI p50':>7} | "
                f"{'p99':>6} | {'max':>6} | {'socket p50':>10} | {'p99':>6} | {'max':>6} | "
                f"{'daemon CPU p50':>14} | {'p99':>6} | {'1st CPU':>7} |")
        print(head)
        print("|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|")

        def row(name, matches, n, c, s, u, f):
            ms = [pct(c, 50), pct(c, 99), max(c), pct(s, 50), pct(s, 99), max(s),
                  pct(u, 50), pct(u, 99)]
            ms = [f"{v * 1000:.1f}" for v in ms]
            f = f"{f * 1000:.1f}" if f is not None else ""
            print(f"| {name:<40} | {matches:>9} | {n:>5} | {ms[0]:>7} | {ms[1]:>6} | "
                  f"{ms[2]:>6} | {ms[3]:>10} | {ms[4]:>6} | {ms[5]:>6} | {ms[6]:>14} | "
                  f"{ms[7]:>6} | {f:>7} |")

        every_c, every_s, every_u = [], [], []
        for q, extra in QUERIES:
            c, s, u = times[(q, tuple(extra))]
            every_c += c
            every_s += s
            every_u += u
            row(" ".join([q, *extra]), f"{total[q]:,}", shown[(q, tuple(extra))], c, s, u,
                first[(q, tuple(extra))])
        row("all queries", "", "", every_c, every_s, every_u, None)
        print(f"answered {len(every_c)} of {len(QUERIES) * args.repeat} CLI searches and "
              f"{len(every_s)} socket searches (times in ms; daemon CPU: all its threads "
              f"during the socket request, less noisy than wall time on a shared machine; "
              f"1st CPU: the first request of the query, before the timed runs)")
        return 0
    finally:
        if daemon is not None:
            stop(daemon, 30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Polls 1,000 RSS feeds x 50 items served by nginx on 127.0.0.1, twice, with
`specwatchd --once`, and prints wall time, CPU time (user + sys) and peak RSS
of each run: the first poll stores 50,000 items; the second is all 304s.

Usage: bench/poll_bench.py [--specwatchd PATH] [--feeds 1000] [--items 50]
                           [--gzip] [--keep DIR]
Needs nginx (Debian: nginx-light) and /usr/bin/time (Debian: time); see
scripts/install-deps.sh. Everything lives in a temporary folder, removed at
the end unless --keep names one. Standard library only.
"""
import argparse
import shlex
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape

WORDS = ("5G 6G IMT-2030 network radio access core spectrum study item report "
         "meeting plenary working group liaison statement contribution draft "
         "revision security privacy energy efficiency satellite terminal "
         "release agenda interim approval standard recommendation question "
         "Ericsson Nokia Huawei Qualcomm Samsung ZTE Intel Apple operator "
         "vendor summary outcome decision comment proposal annex").split()


def paragraph(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def write_feeds(root, feeds, items):
    rng = random.Random(4)  # the same documents every run
    for f in range(feeds):
        parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                 f'<title>Bench feed {f}</title><link>http://bench.example/{f}/</link>'
                 f'<description>{escape(paragraph(rng, 12))}</description>\n']
        for i in range(items):
            day = 1 + (i % 28)
            parts.append(
                f'<item><guid isPermaLink="false">feed{f}-item{i}</guid>'
                f'<title>{escape(paragraph(rng, 8))}</title>'
                f'<link>http://bench.example/{f}/{i}</link>'
                f'<pubDate>Mon, {day:02d} Feb 2026 09:00:00 GMT</pubDate>'
                f'<category>{rng.choice(WORDS)}</category>'
                f'<description>{escape(paragraph(rng, 120))}</description></item>\n')
        parts.append("</channel></rss>\n")
        with open(os.path.join(root, f"feed{f}.xml"), "w", encoding="utf-8") as out:
            out.write("".join(parts))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(work, root, port, gzip=False, who="poll_bench"):
    """A private nginx (its own prefix, config, pid and logs in work) serving
    root with ETags; gzip=True compresses the feeds as real servers do."""
    conf = os.path.join(work, "nginx.conf")
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(conf, "w") as f:
        f.write(f"""{user}worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp;
    proxy_temp_path {work}/tmp;
    fastcgi_temp_path {work}/tmp;
    uwsgi_temp_path {work}/tmp;
    scgi_temp_path {work}/tmp;
    types {{ application/rss+xml xml; }}
    keepalive_requests 100000;
{"    gzip on;" + chr(10) + "    gzip_types application/rss+xml;" + chr(10) + "    gzip_min_length 256;" if gzip else ""}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        etag on;
    }}
}}
""")
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", work, "-c", conf, "-g", "daemon off;"],
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"{who}: nginx exited: {proc.stderr.read().decode()}")
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"{who}: nginx did not listen within 10 s")


def stop(proc, timeout):
    """Terminates proc, killing it if it has not exited within timeout s."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def timed(cmd):
    """Runs cmd under /usr/bin/time -v; returns (exit code, stdout, figures)."""
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    stats = {}
    for line in out.stderr.splitlines():
        line = line.strip()
        for key, label in (("user", "User time (seconds)"), ("sys", "System time (seconds)"),
                           ("rss_kb", "Maximum resident set size (kbytes)")):
            if line.startswith(label + ":"):
                stats[key] = float(line.split(":", 1)[1])
        if line.startswith("Elapsed (wall clock) time"):
            value = line.rsplit(" ", 1)[1]
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
            stats["wall"] = seconds
    if len(stats) < 4:
        sys.exit(f"poll_bench: cannot read /usr/bin/time's output:\n{out.stderr}")
    return out.returncode, out.stdout, stats, out.stderr


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specwatchd",
                        default=os.path.join(here, "..", "build", "daemon", "specwatchd"))
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--max-parallel", type=int, default=16)
    parser.add_argument("--keep", help="work in this folder and leave it")
    parser.add_argument("--gzip", action="store_true",
                        help="serve the feeds gzip-compressed, as bench/compare-peers does")
    parser.add_argument("--wrap", default="",
                        help="run specwatchd under this command, e.g. 'perf record -g -o "
                             "perf.data' (its figures then include the wrapper's)")
    args = parser.parse_args()
    if not os.access(args.specwatchd, os.X_OK):
        sys.exit(f"poll_bench: {args.specwatchd}: not an executable (build specwatchd, or "
                 "pass --specwatchd)")

    work = args.keep or tempfile.mkdtemp(prefix="specwatch-bench-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # nginx's worker may run as another user
    root = os.path.join(work, "feeds")
    os.makedirs(root, exist_ok=True)
    nginx = None
    try:
        t0 = time.monotonic()
        write_feeds(root, args.feeds, args.items)
        size = sum(os.path.getsize(os.path.join(root, n)) for n in os.listdir(root))
        print(f"generated {args.feeds} feeds x {args.items} items "
              f"({size / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")
        port = free_port()
        nginx = start_nginx(work, root, port, gzip=args.gzip)

        db = os.path.join(work, "specwatch.db")
        if os.path.exists(db):
            os.remove(db)
        cfg = os.path.join(work, "specwatch.toml")
        with open(cfg, "w") as f:
            # One loopback host stands in for a thousand: max_per_host is
            # raised to max_parallel so it does not serialize the run.
            f.write(f'[daemon]\ndatabase = "{db}"\nsocket = "{work}/control.sock"\n'
                    f'max_parallel = {args.max_parallel}\nmax_per_host = {args.max_parallel}\n'
                    f'timeout = "60s"\n')
            for i in range(args.feeds):
                f.write(f'\n[[source]]\nname = "feed{i}"\nbody = "BENCH"\n'
                        f'url = "http://127.0.0.1:{port}/feed{i}.xml"\ninterval = "1h"\n'
                        f'allow_private = true\n')

        rows = []
        for label in ("first poll", "second poll (304)"):
            code, stdout, st, err = timed([*shlex.split(args.wrap), args.specwatchd, "--once",
                                           "--config", cfg])
            summary = stdout.strip().splitlines()[-1] if stdout.strip() else "(no summary)"
            if code != 0:
                print(f"poll_bench: specwatchd --once exited {code}\n{err[-2000:]}",
                      file=sys.stderr)
            rows.append((label, st, summary))

        print(f"\nspecwatchd --once, {args.feeds} sources x {args.items} items, "
              f"nginx on 127.0.0.1, max_parallel {args.max_parallel}, {os.cpu_count()} CPUs")
        print(f"{'run':<20} {'wall s':>8} {'CPU s':>8} {'user s':>8} {'sys s':>8} "
              f"{'peak RSS MB':>12}  summary")
        for label, st, summary in rows:
            print(f"{label:<20} {st['wall']:>8.2f} {st['user'] + st['sys']:>8.2f} "
                  f"{st['user']:>8.2f} {st['sys']:>8.2f} {st['rss_kb'] / 1024:>12.1f}  "
                  f"{summary}")
        print(f"database: {os.path.getsize(db) / 1e6:.1f} MB")
    finally:
        if nginx is not None:
            stop(nginx, 10)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

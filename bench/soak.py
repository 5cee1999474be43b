#!/usr/bin/python3
"""Soak (issue 9): N loopback sources polled every minute for a long while,
with a mix of changing feeds, unchanged ones (304) and injected faults (HTTP
500, connection resets, truncated bodies, slow answers), served by the test
feed server (tests/tools/feedserver.py). Samples the daemon's RSS and open
descriptors every minute and prints them at the start and the end (flat is
the goal), and checks that every error `specwatch sources` shows belongs to
a source with an injected fault.

Usage: bench/soak.py [--minutes 30] [--feeds 1000] [--specwatchd PATH]
                     [--specwatch PATH]
Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tests", "tools")
FAULTS = ["status?code=500", "reset", "truncated?file=f0.xml", "slow?seconds=3&file=f1.xml",
          "status?code=404"]


def rss(n, version, items=20):
    body = "".join(
        f"<item><guid>f{n}-{version}-{i}</guid><title>Feed {n} v{version} item {i} on 5G</title>"
        f"<link>https://example.org/{n}/{version}/{i}</link>"
        f"<description>{'standards work ' * 20}</description></item>" for i in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<link>https://example.org/{n}</link>{body}</channel></rss>")


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024,
            len(os.listdir(f"/proc/{pid}/fd")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--specwatchd", default=os.path.join(HERE, "..", "build", "daemon",
                                                         "specwatchd"))
    ap.add_argument("--specwatch", default=os.path.join(HERE, "..", "build", "cli", "specwatch"))
    args = ap.parse_args()
    rng = random.Random(9)
    work = tempfile.mkdtemp(prefix="specwatch-soak-")
    root = os.path.join(work, "feeds")
    os.makedirs(root)
    version = {n: 0 for n in range(args.feeds)}
    for n in range(args.feeds):
        with open(os.path.join(root, f"f{n}.xml"), "w") as f:
            f.write(rss(n, 0))
    server = daemon = None
    try:
        port_file = os.path.join(work, "port")
        server = subprocess.Popen(
            [sys.executable, os.path.join(TOOLS, "feedserver.py"), "--root", root, "--port", "0",
             "--port-file", port_file, "--log", os.devnull], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            time.sleep(0.05)
        port = int(open(port_file).read())
        faulty = set(rng.sample(range(args.feeds), max(1, args.feeds // 20)))
        cfg = os.path.join(work, "specwatch.toml")
        sock = os.path.join(work, "control.sock")
        with open(cfg, "w") as f:
            f.write(f'[daemon]\ndatabase = "{work}/specwatch.db"\nsocket = "{sock}"\n'
                    f'max_parallel = 16\nmax_per_host = 16\ntimeout = "20s"\n')
            for n in range(args.feeds):
                path = rng.choice(FAULTS) if n in faulty else f"f{n}.xml"
                f.write(f'\n[[source]]\nname = "f{n}"\nbody = "SOAK"\n'
                        f'url = "http://127.0.0.1:{port}/{path}"\ninterval = "1m"\n'
                        f'allow_private = true\n')
        log = open(os.path.join(work, "specwatchd.log"), "wb")
        daemon = subprocess.Popen([args.specwatchd, "--config", cfg], stdout=subprocess.DEVNULL,
                                  stderr=log)

        def cli(*a):
            out = subprocess.run([args.specwatch, "--socket", sock, "--json", *a],
                                 capture_output=True, timeout=120)
            return json.loads(out.stdout) if out.returncode in (0, 1) else None

        while not os.path.exists(sock):
            time.sleep(0.05)
        samples = []
        end = time.monotonic() + args.minutes * 60
        minute = 0
        while time.monotonic() < end:
            time.sleep(60 if args.minutes >= 1 else args.minutes * 60)
            minute += 1
            # A twentieth of the feeds change each minute; the rest answer 304.
            for n in rng.sample(range(args.feeds), args.feeds // 20):
                version[n] += 1
                with open(os.path.join(root, f"f{n}.xml"), "w") as f:
                    f.write(rss(n, version[n]))
            rss_mb, hwm_mb, fds = sample(daemon.pid)
            status = cli("status") or {}
            samples.append((minute, rss_mb, hwm_mb, fds, status.get("items"),
                            (status.get("sources") or {}).get("failing")))
            print(f"minute {minute:>3}: RSS {rss_mb:6.1f} MB (peak {hwm_mb:6.1f}), "
                  f"{fds:>4} fds, {status.get('items')} items, "
                  f"{(status.get('sources') or {}).get('failing')} sources failing", flush=True)
        sources = cli("sources") or []
        unexplained = [s for s in sources
                       if s.get("error") and int(s["name"][1:]) not in faulty]
        metrics = (cli("metrics") or {}).get("text", "")
        polls = sum(float(line.split()[-1]) for line in metrics.splitlines()
                    if line.startswith("specwatch_polls_total"))
        print(f"\nsoak: {args.feeds} sources ({len(faulty)} with injected faults) polled every "
              f"minute for {minute} min; {polls:.0f} polls")
        if samples:
            first, last = samples[0], samples[-1]
            print(f"RSS: {first[1]:.1f} MB after minute {first[0]}, {last[1]:.1f} MB after minute "
                  f"{last[0]}; peak {max(s[2] for s in samples):.1f} MB")
            print(f"open descriptors: {first[3]} after minute {first[0]}, {last[3]} after "
                  f"minute {last[0]}")
        print(f"errors not explained by an injected fault: {len(unexplained)}"
              + "".join(f"\n  {s['name']}: {s['error']}" for s in unexplained[:10]))
        return 1 if unexplained else 0
    finally:
        for p in (daemon, server):
            if p is not None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

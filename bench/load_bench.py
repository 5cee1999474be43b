#!/usr/bin/python3
"""Load (issue 9): 200 concurrent clients x 100 requests (search, items,
status; each request on its own connection, as the CLI makes them) against
specwatchd while it polls 1,000 loopback sources served by nginx. Prints the
latency of every request kind (p50, p99, max), whether every request was
answered, how long the poll took under load against alone, and the daemon's
open descriptors before and after.

Usage: bench/load_bench.py [--specwatchd PATH] [--feeds 1000] [--items 50]
                           [--clients 200] [--requests 100]
Needs nginx (Debian: nginx-light). Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from poll_bench import free_port, start_nginx, stop, write_feeds  # noqa: E402


def ask(path, request, timeout=120):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed without a reply")
            buf += chunk
    return json.loads(buf)


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Daemon:
    def __init__(self, binary, work, port, feeds, parallel):
        self.work = work
        self.socket = os.path.join(work, "control.sock")
        self.db = os.path.join(work, "specwatch.db")
        self.cfg = os.path.join(work, "specwatch.toml")
        with open(self.cfg, "w") as f:
            f.write(f'[daemon]\ndatabase = "{self.db}"\nsocket = "{self.socket}"\n'
                    f'max_parallel = {parallel}\nmax_per_host = {parallel}\n')
            for i in range(feeds):
                f.write(f'\n[[source]]\nname = "feed{i}"\nbody = "BENCH"\n'
                        f'url = "http://127.0.0.1:{port}/feed{i}.xml"\ninterval = "1h"\n'
                        f'allow_private = true\n')
        self.binary = binary
        self.proc = None

    def start(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.remove(self.db + suffix)
        self.log = open(os.path.join(self.work, "specwatchd.log"), "ab")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "--config", self.cfg],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                ask(self.socket, {"cmd": "status"}, timeout=5)
                return
            except OSError:
                time.sleep(0.02)
        sys.exit("load_bench: specwatchd did not answer within 30 s")

    def wait_polled(self):
        # `poll` with no names waits for every source, joining polls in flight:
        # the daemon's first round starts at once.
        reply = ask(self.socket, {"cmd": "poll"}, timeout=1800)
        return time.monotonic() - self.started, reply

    def stop(self):
        stop(self.proc, 30)
        self.log.close()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specwatchd", default=os.path.join(here, "..", "build", "daemon",
                                                         "specwatchd"))
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--max-parallel", type=int, default=16)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="specwatch-load-")
    os.chmod(work, 0o755)
    root = os.path.join(work, "feeds")
    os.makedirs(root)
    nginx = None
    try:
        write_feeds(root, args.feeds, args.items)
        port = free_port()
        nginx = start_nginx(work, root, port)
        d = Daemon(args.specwatchd, work, port, args.feeds, args.max_parallel)

        d.start()
        alone, _ = d.wait_polled()
        time.sleep(1)
        fds_before = fds(d.proc.pid)  # idle, after a poll without load
        d.stop()

        d.start()
        latencies = {"search": [], "items": [], "status": []}
        failures = []
        lock = threading.Lock()
        words = ["5G", "6G", '"IMT-2030"', "radio AND spectrum", "Ericsson OR Nokia", "satellite"]

        def client(n):
            rng = random.Random(n)
            mine = {k: [] for k in latencies}
            for _ in range(args.requests):
                kind = rng.choice(list(latencies))
                req = {"cmd": kind}
                if kind == "search":
                    req.update(query=rng.choice(words), limit=20)
                elif kind == "items":
                    req.update(limit=50)
                t0 = time.monotonic()
                try:
                    r = ask(d.socket, req)
                    if not r.get("ok"):
                        raise RuntimeError(r.get("error"))
                except Exception as e:  # noqa: BLE001 — every failure is counted
                    with lock:
                        failures.append(f"{kind}: {e}")
                    continue
                mine[kind].append(time.monotonic() - t0)
            with lock:
                for k, v in mine.items():
                    latencies[k].extend(v)

        poll_result = {}
        poller = threading.Thread(target=lambda: poll_result.update(t=d.wait_polled()[0]))
        poller.start()
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        clients_took = time.monotonic() - t0
        poller.join()
        time.sleep(1)  # idle connections close on the loop
        fds_after = fds(d.proc.pid)
        items = ask(d.socket, {"cmd": "status"})["result"]["items"]
        d.stop()

        total = args.clients * args.requests
        answered = sum(len(v) for v in latencies.values())
        print(f"specwatchd under load: {args.clients} clients x {args.requests} requests "
              f"during a poll of {args.feeds} sources x {args.items} items "
              f"(nginx on 127.0.0.1, {os.cpu_count()} CPUs)")
        print(f"answered {answered} of {total} requests in {clients_took:.1f} s "
              f"({answered / clients_took:.0f}/s)"
              + (f"; {len(failures)} failed, e.g. {failures[0]}" if failures else ""))
        print(f"{'request':<8} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind, v in latencies.items():
            if v:
                print(f"{kind:<8} {len(v):>6} {pct(v, 50) * 1000:>8.1f} "
                      f"{pct(v, 99) * 1000:>8.1f} {max(v) * 1000:>8.1f}")
        print(f"poll of {args.feeds} sources: {alone:.1f} s alone, "
              f"{poll_result.get('t', float('nan')):.1f} s under load; {items} items stored")
        print(f"open descriptors when idle: {fds_before} after the poll alone, "
              f"{fds_after} after the poll under load")
        return 0 if not failures and answered == total else 1
    finally:
        if nginx is not None:
            stop(nginx, 10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

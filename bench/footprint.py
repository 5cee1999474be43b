#!/usr/bin/python3
"""The idle daemon's footprint: starts the real specwatchd with N loopback
sources (nginx on 127.0.0.1) whose first poll stores N x M items (defaults
1,000 x 100 = 100,000), waits until that poll is done, then over a window
(--seconds, default 300) samples RSS and Pss every second and counts each
thread's wake-ups (voluntary + nonvoluntary context switches from
/proc/PID/task/TID/status). Prints a table.

Usage: bench/footprint.py [--specwatchd PATH] [--specwatch PATH] [--feeds 1000]
                          [--items 100] [--seconds 300] [--watchdog 30]
                          [--keep DIR]

The database is made the way a user's is: by the daemon polling the feeds
(interval 1h, so the next poll timer is an hour away and does not fall in the
window). With --watchdog S the daemon runs as systemd would run it with
WatchdogSec=S: WATCHDOG_USEC set and NOTIFY_SOCKET bound by this script, so
the watchdog's own wake-ups (one every S/2) are in the count; 0 leaves it off.
Standard library only; needs nginx (scripts/install-deps.sh).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from footprint_floor import by_mapping, run_version  # noqa: E402
from poll_bench import free_port, start_nginx, stop, write_feeds  # noqa: E402


def kb(path, field):
    with open(path) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def threads(pid):
    """{tid: (name, context switches)} of the process's threads."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                name = f.read().strip()
            switches = kb(f"{base}/{tid}/status", "voluntary_ctxt_switches") + \
                kb(f"{base}/{tid}/status", "nonvoluntary_ctxt_switches")
        except OSError:
            continue
        out[int(tid)] = (name, switches)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "build")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specwatchd", default=os.path.join(build, "daemon", "specwatchd"))
    parser.add_argument("--specwatch", default=os.path.join(build, "cli", "specwatch"))
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--watchdog", type=int, default=30,
                        help="WatchdogSec to emulate (0: no watchdog)")
    parser.add_argument("--keep", help="work in this folder and leave it")
    args = parser.parse_args()
    for exe in (args.specwatchd, args.specwatch):
        if not os.access(exe, os.X_OK):
            sys.exit(f"footprint: {exe}: not an executable (build it, or pass its path)")

    work = args.keep or tempfile.mkdtemp(prefix="specwatch-footprint-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)  # nginx's worker may run as another user
    root = os.path.join(work, "feeds")
    os.makedirs(root, exist_ok=True)
    nginx = daemon = notify = None
    try:
        t0 = time.monotonic()
        write_feeds(root, args.feeds, args.items)
        print(f"generated {args.feeds} feeds x {args.items} items in "
              f"{time.monotonic() - t0:.1f} s", flush=True)
        port = free_port()
        nginx = start_nginx(work, root, port)
        db = os.path.join(work, "specwatch.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        sock = os.path.join(work, "control.sock")
        cfg = os.path.join(work, "specwatch.toml")
        with open(cfg, "w") as f:
            f.write(f'[daemon]\ndatabase = "{db}"\nsocket = "{sock}"\n'
                    f'max_parallel = 16\nmax_per_host = 16\ntimeout = "60s"\n')
            for i in range(args.feeds):
                f.write(f'\n[[source]]\nname = "feed{i}"\nbody = "BENCH"\n'
                        f'url = "http://127.0.0.1:{port}/feed{i}.xml"\ninterval = "1h"\n'
                        f'allow_private = true\n')

        env = dict(os.environ)
        if args.watchdog > 0:
            notify_path = os.path.join(work, "notify.sock")
            if os.path.exists(notify_path):
                os.remove(notify_path)  # left by a run with --keep
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(notify_path)
            # Drained all along, as systemd does: a full datagram queue would
            # block the daemon's sd_notify() and stall its loop.
            notify.settimeout(0.5)

            def drain():
                while notify is not None and notify.fileno() >= 0:
                    try:
                        notify.recv(4096)
                    except socket.timeout:
                        continue
                    except OSError:
                        return
            threading.Thread(target=drain, daemon=True).start()
            env["NOTIFY_SOCKET"] = notify_path
            # No WATCHDOG_PID: sd_watchdog_enabled() accepts its absence.
            env["WATCHDOG_USEC"] = str(args.watchdog * 1_000_000)
        log = open(os.path.join(work, "specwatchd.log"), "wb")
        daemon = subprocess.Popen([args.specwatchd, "--config", cfg], stdout=log,
                                  stderr=subprocess.STDOUT, env=env)
        pid = daemon.pid

        def status():
            out = subprocess.run([args.specwatch, "--socket", sock, "--json", "status"],
                                 capture_output=True, text=True, timeout=60)
            return json.loads(out.stdout) if out.returncode == 0 else None

        # The first poll is done when no source is polling and every item is in.
        t0 = time.monotonic()
        while True:
            if daemon.poll() is not None:
                sys.exit(f"footprint: specwatchd exited {daemon.returncode}; see "
                         f"{work}/specwatchd.log")
            st = status() if os.path.exists(sock) else None
            if st and st.get("items", 0) >= args.feeds * args.items and \
                    st.get("sources", {}).get("polling", 0) == 0:
                break
            if time.monotonic() - t0 > 1800:
                sys.exit("footprint: the first poll did not end within 30 min")
            time.sleep(1)
        first_poll = time.monotonic() - t0
        peak_kb = kb(f"/proc/{pid}/status", "VmHWM")
        print(f"first poll done in {first_poll:.1f} s: {st['items']} items, "
              f"peak RSS {peak_kb / 1024:.1f} MB", flush=True)
        time.sleep(2)  # the release after the poll, and the CLI's query, settle

        before = threads(pid)
        rss, pss = [], []
        t_start = time.monotonic()
        while time.monotonic() - t_start < args.seconds:
            rss.append(kb(f"/proc/{pid}/status", "VmRSS"))
            pss.append(kb(f"/proc/{pid}/smaps_rollup", "Pss"))
            time.sleep(1)
        window = time.monotonic() - t_start
        anon_kb = kb(f"/proc/{pid}/status", "RssAnon")
        file_kb = kb(f"/proc/{pid}/status", "RssFile")
        # Where the resident pages are: the largest mappings by RSS.
        by_map = {name: kbs[0] for name, kbs in by_mapping(pid).items()}
        after = threads(pid)
        db_mb = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))

        print(f"\nspecwatchd idle after a poll of {args.feeds} sources, "
              f"{st['items']} items in the database ({db_mb / 1e6:.0f} MB incl. WAL), "
              f"watchdog {f'{args.watchdog} s' if args.watchdog else 'off'}, "
              f"window {window:.0f} s, {len(rss)} samples\n")
        print("| figure | value |\n|---|---:|")
        print(f"| peak RSS during the first poll (VmHWM) | {peak_kb / 1024:.1f} MB |")
        print(f"| idle RSS: min / median / max | {min(rss) / 1024:.1f} / "
              f"{sorted(rss)[len(rss) // 2] / 1024:.1f} / {max(rss) / 1024:.1f} MB |")
        print(f"| idle Pss: min / median / max | {min(pss) / 1024:.1f} / "
              f"{sorted(pss)[len(pss) // 2] / 1024:.1f} / {max(pss) / 1024:.1f} MB |")
        print(f"| at the end: anonymous / file-backed (code of the binary and its "
              f"libraries) | {anon_kb / 1024:.1f} / {file_kb / 1024:.1f} MB |")
        # The floor: the same binary loading the same shared libraries (their
        # relocations and constructors: GnuTLS and p11-kit through libcurl's
        # LDAP and RTMP, OpenSSL, ICU through libical) and doing nothing else.
        floor_kb = run_version(args.specwatchd)["hwm"]
        print(f"| `specwatchd --version` (loads the libraries, does nothing): peak RSS | "
              f"{floor_kb / 1024:.1f} MB |")
        total = 0
        rows = []
        for tid, (name, n) in sorted(after.items()):
            woke = n - before.get(tid, (name, 0))[1]
            total += woke
            rows.append((tid, name, woke))
        print(f"| wake-ups, all {len(after)} threads | {total} ({total / window:.3f}/s) |")
        print("\n| mapping | RSS MB |\n|---|---:|")
        for name, size in sorted(by_map.items(), key=lambda kv: -kv[1])[:8]:
            print(f"| {name} | {size / 1024:.1f} |")
        print("\n| thread | wake-ups in the window | per second |\n|---|---:|---:|")
        for tid, name, woke in rows:
            print(f"| {name} ({tid}) | {woke} | {woke / window:.3f} |")
    finally:
        if daemon is not None and daemon.poll() is None:
            stop(daemon, 30)
        if nginx is not None:
            stop(nginx, 10)
        if notify is not None:
            notify.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

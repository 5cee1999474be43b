#!/usr/bin/python3
"""The idle-RSS floor of specwatchd's libraries: runs each bench/floor program
(each links one set of the libraries, starts them as the daemon does, prints
"ready" and sleeps), waits for "ready", samples /proc/PID/status (VmRSS,
RssAnon, RssFile, VmHWM) and /proc/PID/smaps_rollup (Pss) over a window, and
prints a table (each program as built, then with --load-only 1: its
libraries loaded and their constructors run, nothing started) with, for
comparison, `specwatchd --version` (its peak) and
specwatchd started with a config of no sources (sampled once it has sent
READY=1). Then, for floor_all, the largest mappings by Rss (/proc/PID/smaps).

Usage: bench/footprint_floor.py [--build DIR] [--specwatchd PATH]
                                [--seconds 3] [--repeat 1] [--top 15] [--quick]

The programs run one after another, never two at once, so that none shares
the others' library pages (Pss). The floor programs run with NOTIFY_SOCKET
and LISTEN_FDS unset; floor_curl and floor_all GET a small feed from a
server this script runs on 127.0.0.1; floor_sqlite and floor_all create a
WAL database in a temporary folder; floor_rest and floor_all open a ZIP
archive written there. --quick (a 0.5 s window, top 5) is what the ctest
runs. Standard library only, and readelf (binutils) for the NEEDED check,
/usr/bin/time (Debian package time) for the peak of `specwatchd --version`.
"""
import argparse
import http.server
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from poll_bench import stop  # noqa: E402

PROGRAMS = ["floor_empty", "floor_curl", "floor_sqlite", "floor_ical", "floor_systemd",
            "floor_rest", "floor_all"]
# Built by the `floor` target only (not by `all`); a row when it is there.
OPTIONAL = ["floor_all_no_ical", "floor_all_static"]
# Mappings backed by a shared object: libfoo.so, libfoo.so.1.2.3, ld-linux-x86-64.so.2.
SHARED_OBJECT = re.compile(r"\.so(\.\d+)*$")

FEED = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>floor</title>"
        b"<item><title>Y.3000 approved</title><link>http://127.0.0.1/y3000</link>"
        b"</item></channel></rss>")


class FeedHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)

    def log_message(self, *args):
        pass


def status_kb(pid, path="status"):
    """{field: kB} of /proc/PID/status or /proc/PID/smaps_rollup."""
    out = {}
    with open(f"/proc/{pid}/{path}") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def shared_objects(pid):
    names = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and SHARED_OBJECT.search(parts[5].strip()):
                names.add(parts[5].strip())
    return len(names)


def by_mapping(pid):
    """{name: [Rss, Private_Dirty, Anonymous]} in kB, summed over the
    mappings of each file (its text, data, relro, bss) or pseudo-name."""
    out = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if not parts[0].endswith(":"):
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anonymous]"
                out.setdefault(name, [0, 0, 0])
            elif parts[0] in ("Rss:", "Private_Dirty:", "Anonymous:"):
                out[name][("Rss:", "Private_Dirty:", "Anonymous:").index(parts[0])] += \
                    int(parts[1])
    return out


def wait_line(proc, want, timeout):
    """Reads the program's stdout until a line equal to `want`."""
    deadline = time.monotonic() + timeout
    buffered = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffered += chunk
            if want.encode() in buffered.split(b"\n"):
                return True
        elif proc.poll() is not None:
            break
    return False


def sample(pid, seconds):
    """Median of each figure over the window, the last VmHWM, and the count of
    shared objects mapped."""
    rows = []
    t0 = time.monotonic()
    while True:
        st = status_kb(pid)
        rows.append((st["VmRSS"], st["RssAnon"], st["RssFile"],
                     status_kb(pid, "smaps_rollup")["Pss"]))
        if time.monotonic() - t0 >= seconds:
            break
        time.sleep(0.2)
    med = [sorted(col)[len(col) // 2] for col in zip(*rows)]
    return {"rss": med[0], "anon": med[1], "file": med[2], "pss": med[3],
            "rss_min": min(r[0] for r in rows), "rss_max": max(r[0] for r in rows),
            "hwm": status_kb(pid)["VmHWM"], "libs": shared_objects(pid), "samples": len(rows)}


def floor_env():
    env = dict(os.environ)
    for var in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC",
                "LD_PRELOAD", "MALLOC_ARENA_MAX"):
        env.pop(var, None)
    return env


def run_floor(exe, args, seconds, top):
    proc = subprocess.Popen([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=floor_env())
    try:
        if not wait_line(proc, "ready", 30):
            stop(proc, 10)
            err = proc.stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"{os.path.basename(exe)} never printed ready "
                               f"(exit {proc.returncode}): {err}")
        return measure(proc.pid, seconds, top)
    finally:
        stop(proc, 10)


def measure(pid, seconds, top):
    """The samples over `seconds`, and the top mappings when `top`."""
    figures = sample(pid, seconds)
    figures["maps"] = by_mapping(pid) if top else None
    return figures


def run_version(specwatchd):
    """Peak RSS of `specwatchd --version`, as /usr/bin/time reports it (not
    wait4 from here: the peak a child carries through exec is its parent's
    when it was forked or vforked from this Python), and the count of shared
    objects the loader maps for it (LD_TRACE_LOADED_OBJECTS, as ldd does)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M", specwatchd, "--version"],
                         capture_output=True, text=True, env=floor_env())
    if out.returncode != 0:
        raise RuntimeError(f"specwatchd --version exited {out.returncode}: {out.stderr}")
    env = floor_env()
    env["LD_TRACE_LOADED_OBJECTS"] = "1"
    listing = subprocess.run([specwatchd], env=env, capture_output=True, text=True).stdout
    libs = {line.split()[0] for line in listing.splitlines()
            if line.strip() and not line.strip().startswith("linux-vdso")}
    return {"hwm": int(out.stderr.strip().splitlines()[-1]), "libs": len(libs)}


def run_daemon(specwatchd, work, seconds, top):
    """specwatchd with a config of no sources, sampled after READY=1."""
    state = os.path.join(work, "daemon")
    os.makedirs(state, exist_ok=True)
    cfg = os.path.join(state, "specwatch.toml")
    with open(cfg, "w") as f:
        f.write(f'[daemon]\ndatabase = "{state}/specwatch.db"\n'
                f'socket = "{state}/control.sock"\n')
    notify_path = os.path.join(state, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(0.2)
    env = floor_env()
    env["NOTIFY_SOCKET"] = notify_path
    log = open(os.path.join(state, "specwatchd.log"), "wb")
    proc = subprocess.Popen([specwatchd, "--config", cfg], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if b"READY=1" in notify.recv(4096):
                    break
            except socket.timeout:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                with open(os.path.join(state, "specwatchd.log"), errors="replace") as f:
                    raise RuntimeError(f"specwatchd did not send READY=1 "
                                       f"(exit {proc.poll()}): {f.read().strip()}")
        return measure(proc.pid, seconds, top)
    finally:
        stop(proc, 10)
        notify.close()
        log.close()


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", out))


def loaded(path):
    """{soname: path} of the shared objects the loader maps for `path`."""
    env = floor_env()
    env["LD_TRACE_LOADED_OBJECTS"] = "1"
    if path.endswith(".so") or ".so." in os.path.basename(path):
        listing = subprocess.run(["ldd", path], env=floor_env(), capture_output=True,
                                 text=True).stdout
    else:
        listing = subprocess.run([path], env=env, capture_output=True, text=True).stdout
    out = {}
    for line in listing.splitlines():
        parts = line.split()
        if parts and "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            out[parts[0]] = parts[2]
        elif parts and parts[0].startswith("/"):
            out[os.path.basename(parts[0])] = parts[0]
    return out


def by_needed(exe, base_exe, maps):
    """Rss of each mapping put under the library of the executable's NEEDED
    list that brings it: the library itself, or the one NEEDED library whose
    dependencies alone include it; "several" when more than one does; "base"
    for what `base_exe` (floor_empty: libc, libstdc++) maps too."""
    objects = loaded(exe)
    base = {os.path.realpath(p) for p in loaded(base_exe).values()}
    closure = {n: {os.path.realpath(p) for p in loaded(objects[n]).values()} |
               {os.path.realpath(objects[n])} for n in needed(exe) if n in objects}
    real = {os.path.basename(os.path.realpath(p)): os.path.realpath(p)
            for p in objects.values()}
    groups = {}
    for name, (rss, _, _) in maps.items():
        path = real.get(name)
        if path is None:
            key = "the program, heap, stack, anonymous"
        elif path in base:
            key = "base: libc, libm, libstdc++, libgcc_s, ld.so"
        else:
            owners = [n for n, c in closure.items() if path in c]
            own = [n for n in owners if os.path.realpath(objects[n]) == path]
            key = own[0] if own else (owners[0] if len(owners) == 1 else
                                      "several: " + ", ".join(sorted(owners)))
        rss_sum, members = groups.get(key, (0, []))
        groups[key] = (rss_sum + rss, members + [name])
    return groups


def mb(kb):
    return f"{kb / 1024:.1f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(here, "..", "build"))
    parser.add_argument("--specwatchd", help="default: BUILD/daemon/specwatchd")
    parser.add_argument("--seconds", type=float, default=3.0, help="sampling window per run")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each program, in turn; the table shows the median run")
    parser.add_argument("--top", type=int, default=15, help="mappings listed for floor_all")
    parser.add_argument("--quick", action="store_true", help="0.5 s window, top 5")
    parser.add_argument("--programs", help="comma-separated subset of the floor programs")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.top = 0.5, 5
    specwatchd = args.specwatchd or os.path.join(args.build, "daemon", "specwatchd")
    programs = args.programs.split(",") if args.programs else PROGRAMS + [
        p for p in OPTIONAL if os.access(os.path.join(args.build, "bench", p), os.X_OK)]
    exes = {p: os.path.join(args.build, "bench", p) for p in programs}
    for exe in [*exes.values(), specwatchd]:
        if not os.access(exe, os.X_OK):
            sys.exit(f"footprint_floor: {exe}: not an executable "
                     f"(cmake --build BUILD --target floor specwatchd)")

    work = tempfile.mkdtemp(prefix="specwatch-floor-")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        archive = os.path.join(work, "floor.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/sharedStrings.xml", "<sst><si><t>S2-2601234</t></si></sst>" * 20)
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        load_before = os.getloadavg()
        # Each program as built, then with --load-only 1: its libraries
        # loaded, relocated and their constructors run, nothing started.
        runs = []
        for name, exe in exes.items():
            runs.append((name, exe, []))
            if name != "floor_empty" and (not args.quick or name == "floor_all"):
                runs.append((f"{name} --load-only", exe, ["--load-only", "1"]))
        results = {name: [] for name in [n for n, _, _ in runs] + ["specwatchd (no sources)"]}
        for r in range(args.repeat):
            for name, exe, extra in runs:
                db = os.path.join(work, f"{name.split()[0]}-{r}-{len(extra)}.db")
                results[name].append(run_floor(exe, ["--db", db, "--zip", archive, "--url", url,
                                                     *extra],
                                               args.seconds, name in ("floor_all",
                                                                      "floor_all_static")
                                               and args.top))
            results["specwatchd (no sources)"].append(
                run_daemon(specwatchd, os.path.join(work, f"run{r}"), args.seconds, True))
        version = [run_version(specwatchd) for _ in range(args.repeat)]
        load_after = os.getloadavg()

        print(f"footprint_floor: window {args.seconds:g} s per run, {args.repeat} run(s) of "
              f"each; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
        if "floor_all" in exes:
            a, b = needed(exes["floor_all"]), needed(specwatchd)
            if a and a == b:
                print(f"floor_all NEEDED = specwatchd NEEDED: yes, the same {len(a)} libraries")
            else:
                print(f"floor_all NEEDED = specwatchd NEEDED: no; only floor_all: "
                      f"{sorted(a - b)}, only specwatchd: {sorted(b - a)}")
        print("\n| program | .so mapped | RSS MB | anonymous MB | file-backed MB | Pss MB "
              "| peak (VmHWM) MB |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, runs in results.items():
            run = sorted(runs, key=lambda f: f["rss"])[len(runs) // 2]
            spread = (f" ({mb(min(f['rss'] for f in runs))}–{mb(max(f['rss'] for f in runs))})"
                      if len(runs) > 1 else "")
            print(f"| {name} | {run['libs']} | {mb(run['rss'])}{spread} | {mb(run['anon'])} | "
                  f"{mb(run['file'])} | {mb(run['pss'])} | {mb(run['hwm'])} |")
        v = sorted(version, key=lambda f: f["hwm"])[len(version) // 2]
        print(f"| specwatchd --version (exits: peak only) | {v['libs']} | – | – | – | – | "
              f"{mb(v['hwm'])} |")

        for name in ("floor_all", "floor_all_static", "specwatchd (no sources)"):
            if name not in results or not args.top:
                continue
            maps = results[name][len(results[name]) // 2]["maps"]
            total = sum(m[0] for m in maps.values())
            print(f"\n{name}: the {args.top} largest mappings by Rss "
                  f"(of {len(maps)}, {mb(total)} MB in all)\n")
            print("| mapping | Rss MB | of it Private_Dirty MB | of it anonymous MB |")
            print("|---|---:|---:|---:|")
            for mname, (rss, dirty, anon) in sorted(maps.items(), key=lambda kv: -kv[1][0]
                                                    )[:args.top]:
                print(f"| {mname} | {rss / 1024:.2f} | {dirty / 1024:.2f} | {anon / 1024:.2f} |")
        if "floor_all" in results and "floor_empty" in exes and args.top:
            maps = results["floor_all"][len(results["floor_all"]) // 2]["maps"]
            groups = by_needed(exes["floor_all"], exes["floor_empty"], maps)
            print("\nfloor_all: Rss by the library that brings each mapping\n")
            print("| brought by | Rss MB | shared objects |\n|---|---:|---:|")
            for key, (rss, members) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
                so = sum(1 for m in members if SHARED_OBJECT.search(m))
                print(f"| {key} | {rss / 1024:.1f} | {so} |")
    except RuntimeError as e:
        sys.exit(f"footprint_floor: {e}")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

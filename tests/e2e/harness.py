"""End-to-end test harness: the real specwatchd and specwatch binaries against
a real HTTP server on 127.0.0.1 (tests/tools/feedserver.py). Standard library
only; run with /usr/bin/python3. CTest passes the binaries' paths in
SPECWATCHD and SPECWATCH."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SPECWATCHD = os.environ.get("SPECWATCHD", "specwatchd")
SPECWATCH = os.environ.get("SPECWATCH", "specwatch")
FIXTURES = pathlib.Path(os.environ.get(
    "SPECWATCH_FIXTURES", pathlib.Path(__file__).resolve().parent.parent / "fixtures"))
TOOLS = pathlib.Path(os.environ.get(
    "SPECWATCH_TEST_TOOLS", pathlib.Path(__file__).resolve().parent.parent / "tools"))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
# The checkout, and the build tree whose bench/ programs the benchmark tests run.
ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SPECWATCH_BUILD_DIR", ROOT / "build"))


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class FeedServer:
    """tests/tools/feedserver.py serving a folder, with a JSON request log."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="specwatch-http-"))
        self.port_file = self.dir / "port"
        self.log_file = self.dir / "requests.log"
        with open(self.dir / "stderr", "wb") as err:
            self.proc = subprocess.Popen(
                [PYTHON, str(TOOLS / "feedserver.py"), "--root", str(self.root), "--port", "0",
                 "--port-file", str(self.port_file), "--log", str(self.log_file)],
                stdout=subprocess.DEVNULL, stderr=err)
        wait_for(lambda: self.port_file.exists() and self.port_file.read_text().strip(),
                 what="the feed server's port")
        self.port = int(self.port_file.read_text().strip())

    def url(self, path):
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def requests(self):
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """specwatchd in the foreground with a config, database and socket in a
    temporary folder."""

    def __init__(self, workdir, config_text):
        self.dir = pathlib.Path(workdir)
        self.config = self.dir / "specwatch.toml"
        self.socket = self.dir / "control.sock"
        self.database = self.dir / "specwatch.db"
        self.stderr_path = self.dir / "specwatchd.log"
        self.write_config(config_text)
        self.proc = None

    def write_config(self, text):
        header = (f'[daemon]\ndatabase = "{self.database}"\nsocket = "{self.socket}"\n'
                  f'default_interval = "1h"\n')
        self.config.write_text(header + text)

    def start(self, *extra, env=None):
        """`env`: variables added to this process's environment for the
        daemon (NOTIFY_SOCKET, WATCHDOG_USEC, ...)."""
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen([SPECWATCHD, "--config", str(self.config), *extra],
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         env={**os.environ, **env} if env else None)
        # Ready when the socket accepts a connection: the file alone may be
        # a previous run's (a daemon killed by a test leaves it), or bound
        # and not yet listening.
        wait_for(lambda: self.accepts() or self.proc.poll() is not None,
                 what="the control socket")
        if self.proc.poll() is not None:
            raise AssertionError(f"specwatchd exited {self.proc.returncode}:\n{self.log()}")

    def accepts(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            try:
                c.connect(str(self.socket))
                return True
            except OSError:
                return False

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def log(self):
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def cli(self, *args, check=True, timeout=60):
        out = subprocess.run([SPECWATCH, "--socket", str(self.socket), *args],
                             capture_output=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(
                f"specwatch {' '.join(args)} exited {out.returncode}:\n"
                f"{out.stderr.decode(errors='replace')}\n--- daemon log ---\n{self.log()}")
        return out

    def json(self, *args, **kw):
        out = self.cli("--json", *args, **kw)
        return json.loads(out.stdout)


def parse_file(path, base=None):
    args = [SPECWATCH, "--json", "parse", str(path)]
    if base:
        args += ["--base", base]
    out = subprocess.run(args, capture_output=True, timeout=30, check=True)
    return json.loads(out.stdout)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="specwatch-e2e-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def serve_e2e_feeds(self):
        """A FeedServer over a copy of fixtures/feeds/e2e, stopped at cleanup."""
        feeds = self.tmp / "feeds"
        shutil.copytree(FIXTURES / "feeds" / "e2e", feeds)
        server = FeedServer(feeds)
        self.addCleanup(server.stop)
        return server

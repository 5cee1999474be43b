"""specwatch as a systemd service, without systemd as PID 1: the notify
protocol (READY, STATUS, WATCHDOG, RELOADING, STOPPING), socket activation
through systemd-socket-activate, the shipped units scored by systemd-analyze,
the runtime directory and peer checks, and the .deb package."""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURES, SPECWATCH, SPECWATCHD, Daemon, TempDirTest, wait_for  # noqa: E402

ROOT = FIXTURES.parent.parent
UNITS = ROOT / "systemd"
BUILD = os.environ.get("SPECWATCH_BUILD_DIR")


class NotifyProtocol(TempDirTest):
    def setUp(self):
        super().setUp()
        self.notify_path = self.tmp / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.settimeout(0.2)
        self.addCleanup(self.notify.close)
        self.messages = []
        self.server = self.serve_e2e_feeds()
        (self.tmp / "state").mkdir()
        self.daemon = Daemon(self.tmp / "state",
                             f'[[source]]\nname = "itu"\nbody = "ITU"\n'
                             f'url = "{self.server.url("itu.xml")}"\nallow_private = true\n')

    def receive(self, until, timeout=15, since=0):
        """Reads notifications until one from index `since` on matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(until(m) for m in self.messages[since:]):
                return
            try:
                self.messages.append(self.notify.recv(4096).decode())
            except socket.timeout:
                pass
        self.fail(f"no notification matching the condition; got {self.messages}")

    def test_ready_status_watchdog_reload_and_stopping(self):
        self.daemon.start(env={"NOTIFY_SOCKET": str(self.notify_path), "WATCHDOG_USEC": "400000"})
        self.addCleanup(self.daemon.stop)
        self.receive(lambda m: "READY=1" in m)
        # READY=1 is only sent once the control socket answers.
        self.assertEqual(self.daemon.json("status")["sources"]["total"], 1)
        self.assertTrue(any(m.startswith("STATUS=") for m in self.messages), self.messages)
        start = len(self.messages)
        time.sleep(1.0)  # five periods of 200 ms
        self.receive(lambda m: m == "WATCHDOG=1", since=start)
        try:
            while True:
                self.messages.append(self.notify.recv(4096).decode())
        except socket.timeout:
            pass
        pings = [m for m in self.messages[start:] if m == "WATCHDOG=1"]
        self.assertGreaterEqual(len(pings), 3, self.messages)

        self.messages.clear()
        self.daemon.proc.send_signal(signal.SIGHUP)
        self.receive(lambda m: m == "READY=1")
        reloading = [m for m in self.messages if m.startswith("RELOADING=1")]
        self.assertTrue(reloading, self.messages)
        self.assertIn("MONOTONIC_USEC=", reloading[0])
        self.assertLess(self.messages.index(reloading[0]), self.messages.index("READY=1"))

        self.messages.clear()
        self.daemon.proc.send_signal(signal.SIGTERM)
        self.receive(lambda m: m == "STOPPING=1")
        self.assertEqual(self.daemon.proc.wait(20), 0)


class SocketActivation(TempDirTest):
    @unittest.skipUnless(shutil.which("systemd-socket-activate"), "systemd-socket-activate")
    def test_the_cli_talks_through_the_socket_systemd_passed(self):
        (self.tmp / "state").mkdir()
        daemon = Daemon(self.tmp / "state", "")
        # The config names another socket: the passed one must win.
        passed = self.tmp / "state" / "activated.sock"
        with open(daemon.stderr_path, "wb") as err:
            proc = subprocess.Popen(["systemd-socket-activate", "-l", str(passed), SPECWATCHD,
                                     "--config", str(daemon.config)],
                                    stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: (proc.poll() is None and proc.terminate(), proc.wait(20)))
        wait_for(lambda: passed.exists(), what="the activation socket")
        out = subprocess.run([SPECWATCH, "--socket", str(passed), "--json", "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr + daemon.log())
        self.assertIn("uptime", json.loads(out.stdout))
        self.assertIn("from systemd", daemon.log())
        self.assertFalse(daemon.socket.exists(), "no socket of its own when one is passed")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(20), 0)


class Units(unittest.TestCase):
    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze")
    def test_the_service_scores_1_5_or_better(self):
        out = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=15",
                              str(UNITS / "specwatch.service")],
                             capture_output=True, text=True, timeout=60, cwd=UNITS)
        self.assertEqual(out.returncode, 0, out.stdout[-2000:] + out.stderr)
        self.assertRegex(out.stdout, r"Overall exposure level for specwatch.service: (0\.\d|1\.[0-5])")

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze")
    def test_the_units_verify_clean(self):
        unit_dir = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"specwatch-units-{os.getpid()}"
        unit_dir.mkdir(exist_ok=True)
        self.addCleanup(shutil.rmtree, unit_dir, True)
        service = (UNITS / "specwatch.service").read_text().replace(
            "/usr/sbin/specwatchd", os.path.abspath(SPECWATCHD))
        (unit_dir / "specwatch.service").write_text(service)
        shutil.copy(UNITS / "specwatch.socket", unit_dir)
        out = subprocess.run(["systemd-analyze", "verify", "--man=no",
                              str(unit_dir / "specwatch.socket"),
                              str(unit_dir / "specwatch.service")],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("specwatch", out.stderr)

    def test_the_socket_unit_is_0660_for_the_specwatch_group(self):
        text = (UNITS / "specwatch.socket").read_text()
        self.assertIn("SocketMode=0660", text)
        self.assertIn("SocketGroup=specwatch", text)
        self.assertIn("g specwatch", (UNITS / "sysusers.conf").read_text())


class AccessControl(TempDirTest):
    def test_a_world_writable_runtime_directory_is_refused(self):
        state = self.tmp / "state"
        state.mkdir()
        daemon = Daemon(state, "")
        shared = self.tmp / "shared"
        shared.mkdir()
        os.chmod(shared, 0o777)
        text = daemon.config.read_text().replace(str(daemon.socket), str(shared / "control.sock"))
        daemon.config.write_text(text)
        out = subprocess.run([SPECWATCHD, "--config", str(daemon.config)], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("world-writable", out.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_a_peer_outside_the_allowed_set_is_refused(self):
        os.chmod(self.tmp, 0o755)
        state = self.tmp / "state"
        state.mkdir()
        os.chmod(state, 0o755)
        daemon = Daemon(state, "")
        daemon.start()
        self.addCleanup(daemon.stop)
        # Loosen the file mode by mistake: the daemon's own check still refuses.
        os.chmod(daemon.socket, 0o666)
        cli = self.tmp / "specwatch"
        shutil.copy(SPECWATCH, cli)
        os.chmod(cli, 0o755)
        out = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                              str(cli), "--socket", str(daemon.socket), "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 3, out.stdout + out.stderr)
        self.assertIn("permission denied", out.stderr)
        self.assertIn("refused", daemon.log())
        os.chmod(daemon.socket, 0o660)
        out = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                              str(cli), "--socket", str(daemon.socket), "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 3)
        self.assertIn("permission denied", out.stderr)
        self.assertEqual(daemon.json("status")["sources"]["total"], 0)  # we still may


@unittest.skipUnless(BUILD and shutil.which("cpack") and shutil.which("dpkg-deb"), "needs cpack")
class Package(TempDirTest):
    def test_the_deb_installs_where_debian_expects_and_removes_cleanly(self):
        out = subprocess.run(["cpack", "-G", "DEB", "-B", str(self.tmp)], cwd=BUILD,
                             capture_output=True, text=True, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        deb = next(self.tmp.glob("specwatch_*.deb"))
        listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                                 check=True).stdout
        for path in ("./usr/sbin/specwatchd", "./usr/bin/specwatch",
                     "./usr/libexec/specwatch/specwatch-local",
                     "./usr/lib/systemd/system/specwatch.service",
                     "./usr/lib/systemd/system/specwatch.socket",
                     "./usr/lib/sysusers.d/specwatch.conf", "./etc/specwatch/specwatch.toml",
                     "./usr/share/man/man8/specwatchd.8", "./usr/share/man/man1/specwatch.1",
                     "./usr/share/man/man5/specwatch.toml.5",
                     "./usr/share/specwatch/topics.toml",
                     "./usr/share/bash-completion/completions/specwatch"):
            self.assertIn(path, listing)
        info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("libcurl4", info)
        self.assertIn("postinst", info)
        if os.geteuid() != 0 or subprocess.run(["dpkg", "-s", "specwatch"],
                                               capture_output=True).returncode == 0:
            return  # not root, or a real installation we must not touch
        self.addCleanup(subprocess.run, ["dpkg", "-P", "specwatch"], capture_output=True)
        out = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertTrue(os.path.exists("/usr/sbin/specwatchd"))
        self.assertTrue(os.path.exists("/etc/specwatch/specwatch.toml"))
        check = subprocess.run(["/usr/sbin/specwatchd", "--check-config"], capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stderr)
        out = subprocess.run(["dpkg", "-r", "specwatch"], capture_output=True, text=True,
                             timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertFalse(os.path.exists("/usr/sbin/specwatchd"))
        self.assertTrue(os.path.exists("/etc/specwatch/specwatch.toml"), "remove keeps config")
        subprocess.run(["dpkg", "-P", "specwatch"], capture_output=True, check=True)
        self.assertFalse(os.path.exists("/etc/specwatch"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

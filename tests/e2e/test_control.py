"""The control socket under pressure and the daemon's logs: request lines are
bounded, idle connections are closed, many clients are served at once while a
poll runs, the socket is created 0660, and journald gets priority prefixes."""
import concurrent.futures
import json
import os
import socket
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SPECWATCH, Daemon, TempDirTest, wait_for  # noqa: E402


def raw_request(path, payload, lines=1, timeout=10):
    """Sends raw bytes and returns the first `lines` reply lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon may refuse an oversized line before it is all sent
        data = b""
        while data.count(b"\n") < lines:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


class ControlSocket(TempDirTest):
    def setUp(self):
        super().setUp()
        self.server = self.serve_e2e_feeds()
        (self.tmp / "state").mkdir()
        sources = "".join(
            f'\n[[source]]\nname = "s{i}"\nbody = "ITU"\n'
            f'url = "{self.server.url("slow?seconds=1&file=itu.xml")}"\nallow_private = true\n'
            for i in range(4))
        self.daemon = Daemon(self.tmp / "state", sources)

    def start(self, env=None):
        if env:
            old = dict(os.environ)
            os.environ.update(env)
            self.addCleanup(lambda: (os.environ.clear(), os.environ.update(old)))
        self.daemon.start()
        self.addCleanup(self.daemon.stop)

    def test_the_socket_is_created_mode_0660(self):
        self.start()
        mode = stat.S_IMODE(os.stat(self.daemon.socket).st_mode)
        self.assertEqual(mode, 0o660)

    def test_an_oversized_request_line_is_refused_and_the_daemon_keeps_serving(self):
        self.start()
        reply = json.loads(raw_request(self.daemon.socket, b"{" + b" " * 200_000 + b"}\n"))
        self.assertFalse(reply["ok"])
        self.assertIn("longer than", reply["error"])
        self.assertEqual(self.daemon.json("status")["sources"]["total"], 4)

    def test_garbage_and_unknown_commands_get_errors_not_a_crash(self):
        self.start()
        for payload in (b"not json\n", b"[1,2]\n", b'{"cmd": 5}\n', b'{"cmd":"nope"}\n'):
            reply = json.loads(raw_request(self.daemon.socket, payload))
            self.assertFalse(reply["ok"], payload)
            self.assertIn(reply["exit"], (1, 2))
        # Several requests on one connection are answered in order.
        data = raw_request(self.daemon.socket,
                           b'{"cmd":"help"}\n{"cmd":"nope"}\n{"cmd":"status"}\n', lines=3)
        replies = [json.loads(line) for line in data.splitlines()]
        self.assertEqual([r["ok"] for r in replies], [True, False, True])
        self.assertIn("commands", replies[0]["result"])
        self.assertIn("uptime", replies[2]["result"])
        self.assertEqual(self.daemon.proc.poll(), None)

    def test_many_clients_are_answered_while_a_poll_runs(self):
        self.start()
        poller = subprocess.Popen([SPECWATCH, "--socket", str(self.daemon.socket), "poll"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()

        def one(i):
            cmd = ("status", "sources", "items")[i % 3]
            return self.daemon.cli("--json", cmd).returncode

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(one, range(64)))
        self.assertEqual(codes, [0] * 64)
        self.assertEqual(poller.wait(60), 0)
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(len(self.daemon.json("items", "--limit", "1000")),
                         len(self.daemon.json("items", "--source", "s0")) * 4)

    def test_an_idle_connection_does_not_block_others(self):
        self.start()
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(str(self.daemon.socket))
        idle.sendall(b'{"cmd":')  # half a request, then silence
        self.addCleanup(idle.close)
        self.assertTrue(self.daemon.json("status")["version"][:1].isdigit())

    def test_journald_lines_carry_their_priority(self):
        self.start(env={"JOURNAL_STREAM": "8:12345"})
        self.daemon.cli("poll")
        self.daemon.stop()
        lines = [line for line in self.daemon.log().splitlines() if line]
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[3-7]>")

    def test_a_second_daemon_on_the_same_socket_refuses_to_start(self):
        self.start()
        out = subprocess.run([os.environ.get("SPECWATCHD", "specwatchd"), "--config",
                              str(self.daemon.config)], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("already listening", out.stderr)
        self.assertEqual(self.daemon.json("status")["sources"]["total"], 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)

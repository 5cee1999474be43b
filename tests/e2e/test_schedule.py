"""The scheduler of the running daemon (not --once), on a real server: every
source polled once per round and none again before its interval, a short
interval honoured while the others wait their hour, and the systemd STATUS=
line kept to one a second while a round runs (each finished poll used to
send one, and to scan every source: a round of N sources cost N²)."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Daemon, TempDirTest, wait_for  # noqa: E402

SLOW = 40  # sources polled hourly


class Schedule(TempDirTest):
    def setUp(self):
        super().setUp()
        self.server = self.serve_e2e_feeds()
        self.notify_path = self.tmp / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(self.notify_path))
        self.notify.setblocking(False)
        self.addCleanup(self.notify.close)
        self.messages = []
        sources = "".join(
            f'[[source]]\nname = "slow{i}"\nbody = "ITU"\n'
            f'url = "{self.server.url(f"itu.xml?n={i}")}"\nallow_private = true\n'
            for i in range(SLOW))
        sources += (f'[[source]]\nname = "fast"\nbody = "ETSI"\ninterval = "1m"\n'
                    f'url = "{self.server.url("etsi.xml?fast")}"\nallow_private = true\n')
        (self.tmp / "state").mkdir()
        self.daemon = Daemon(self.tmp / "state", sources)

    def start(self):
        self.daemon.start(env={"NOTIFY_SOCKET": str(self.notify_path)})
        self.addCleanup(self.daemon.stop)

    def drain(self):
        while True:
            try:
                self.messages.append((time.monotonic(), self.notify.recv(4096).decode()))
            except BlockingIOError:
                return

    def polls(self):
        """{path: [start times]} of the GET requests so far."""
        out = {}
        for r in self.server.requests():
            if r["method"] == "GET":
                out.setdefault(r["path"], []).append(r["started"])
        return out

    def test_each_source_waits_its_own_interval_and_status_is_rate_limited(self):
        self.start()

        def round_done():
            self.drain()
            return len(self.polls()) == SLOW + 1 and any(
                m.startswith("STATUS=idle") for _, m in self.messages)
        wait_for(round_done, timeout=60, what="the first round and its idle STATUS=")
        round_end = time.monotonic()
        statuses = [(t, m) for t, m in self.messages if m.startswith("STATUS=")]
        polling = [(t, m) for t, m in statuses if m.startswith("STATUS=polling")]
        # At most one "polling" line a second, then the idle one.
        for (t0, _), (t1, _) in zip(polling, polling[1:]):
            self.assertGreaterEqual(t1 - t0, 0.9, statuses)
        self.assertTrue(statuses[-1][1].startswith("STATUS=idle; next poll in"), statuses)
        self.assertEqual(self.daemon.json("status")["sources"]["total"], SLOW + 1)

        # The short interval is honoured although every other source finished
        # later with a next poll an hour away (the timer is re-armed by the
        # poll whose next one comes first, not by a scan after each poll).
        first = self.polls()["/etsi.xml?fast"][0]
        wait_for(lambda: len(self.polls()["/etsi.xml?fast"]) >= 2, timeout=90,
                 what="the 1-minute source's second poll")
        second = self.polls()["/etsi.xml?fast"][1]
        self.assertGreaterEqual(second - first, 59, "polled again before its interval")
        self.assertLess(second - first, 75, "polled late")
        for path, starts in self.polls().items():
            if path != "/etsi.xml?fast":
                self.assertEqual(len(starts), 1, f"{path} polled again within its hour")
        self.drain()
        later = [m for t, m in self.messages if t > round_end and m.startswith("STATUS=")]
        self.assertTrue(any(m.startswith("STATUS=polling 1 of") for m in later) or
                        any(m.startswith("STATUS=idle") for m in later), later)

    def test_a_count_held_back_by_the_limit_is_sent_within_the_second(self):
        # Two sources, one answering in 3 s: the quick one's finish comes
        # right after the round's first STATUS=, is held back, and must still
        # be told before the slow one ends the round.
        self.daemon.write_config(
            f'[[source]]\nname = "quick"\nbody = "ITU"\n'
            f'url = "{self.server.url("itu.xml")}"\nallow_private = true\n'
            f'[[source]]\nname = "slow"\nbody = "ITU"\n'
            f'url = "{self.server.url("slow?seconds=3&file=itu.xml")}"\nallow_private = true\n')
        self.start()

        def idle():
            self.drain()
            return any(m.startswith("STATUS=idle") for _, m in self.messages)
        wait_for(idle, timeout=30, what="the idle STATUS=")
        statuses = [(t, m) for t, m in self.messages if m.startswith("STATUS=")]
        texts = [m for _, m in statuses]
        self.assertIn("STATUS=polling 2 of 2 sources", texts)
        self.assertIn("STATUS=polling 1 of 2 sources", texts)
        two = texts.index("STATUS=polling 2 of 2 sources")
        one = texts.index("STATUS=polling 1 of 2 sources")
        first_idle = next(i for i, m in enumerate(texts) if m.startswith("STATUS=idle"))
        self.assertLess(two, one, texts)
        self.assertLess(one, first_idle, texts)
        self.assertGreaterEqual(statuses[one][0] - statuses[two][0], 0.9, statuses)
        self.assertLess(statuses[one][0] - statuses[two][0], 2.5, statuses)


if __name__ == "__main__":
    unittest.main()

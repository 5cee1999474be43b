"""Crash safety (issue 9), from outside: the real specwatchd is SIGKILLed at
random moments, 50 times, while it polls many loopback sources, stores items,
records alerts and sends their mail to a real SMTP server; it is restarted
each time. After every kill: PRAGMA integrity_check is ok, every item the
daemon had reported stored (listed by `specwatch items`) is still there, and
every alert has its outbox message (or waits for its digest). After the last
restart the daemon finishes its work, and the final state equals that of a
run without kills: the same items, the same alerts, each alert's message
delivered at least once, and duplicates only as copies of one Message-ID."""
import email
import email.policy
import os
import random
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SPECWATCH, Daemon, FeedServer, TempDirTest, wait_for  # noqa: E402
from test_mail import SmtpServer  # noqa: E402

KILLS = int(os.environ.get("SPECWATCH_CRASH_KILLS", "50"))
FEEDS = 30
SEED = int(os.environ.get("SPECWATCH_CRASH_SEED", "20261128"))


def rss(n, items):
    body = "".join(
        f"<item><guid>f{n}-{i}</guid><title>{t}</title>"
        f"<link>https://example.org/{n}/{i}</link><description>{'filler ' * 30}</description>"
        f"</item>" for i, t in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<link>https://example.org/{n}</link>{body}</channel></rss>")


def title(rng, n, i):
    topic = rng.choice(["5G core network", "IMT-2030 vision", "optical transport",
                        "satellite links", "routing security"])
    return f"Feed {n} item {i}: {topic}"


def db_state(path):
    con = sqlite3.connect(path, timeout=30)
    try:
        verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
        items = set(con.execute(
            "SELECT s.name, i.id FROM items i JOIN sources s ON s.id = i.source_id"))
        alerts = set(con.execute(
            "SELECT a.rule, i.id FROM alerts a JOIN items i ON i.key = a.item_key"))
        # An alert whose message is neither queued/sent nor waiting for a digest.
        orphans = con.execute(
            "SELECT count(*) FROM alerts a LEFT JOIN outbox o ON o.id = a.message "
            "WHERE a.state = 'mailed' AND o.id IS NULL").fetchone()[0]
        outbox = {row[0]: row[1] for row in con.execute("SELECT message_id, state FROM outbox")}
        return verdict, items, alerts, orphans, outbox
    finally:
        con.close()


class CrashSafety(TempDirTest):
    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.root = self.tmp / "feeds"
        self.root.mkdir()
        self.content = {n: [(i, title(self.rng, n, i)) for i in range(40)] for n in range(FEEDS)}
        self.write_feeds()
        self.http = FeedServer(self.root)
        self.addCleanup(self.http.stop)
        self.smtp = SmtpServer(self.tmp)
        self.addCleanup(self.smtp.stop)

    def write_feeds(self):
        for n, items in self.content.items():
            (self.root / f"f{n}.xml").write_text(rss(n, items))

    def config(self):
        sources = "".join(
            f'[[source]]\nname = "f{n}"\nbody = "ITU"\nurl = "{self.http.url(f"f{n}.xml")}"\n'
            f'allow_private = true\n\n' for n in range(FEEDS))
        return (f'first_poll = "alert"\nmax_parallel = 8\n\n[mail]\ntransport = "smtp"\n'
                f'url = "smtp://127.0.0.1:{self.smtp.port}"\ntls = "none"\n'
                f'from = "specwatch <specwatch@example.org>"\n\n{sources}'
                f'[[rule]]\nname = "5g"\nquery = \'5G OR "IMT-2030"\'\nto = ["a@example.org"]\n\n'
                f'[[rule]]\nname = "sat"\nquery = "satellite"\nto = ["b@example.org"]\n')

    def grow_feeds(self):
        # New items in a few feeds: new work (and alerts) for the next poll.
        for n in self.rng.sample(range(FEEDS), 5):
            start = len(self.content[n])
            self.content[n] += [(i, title(self.rng, n, i)) for i in range(start, start + 5)]
        self.write_feeds()

    def settle(self, d):
        """Polls everything and waits until no mail is queued."""
        d.cli("poll", timeout=300)
        wait_for(lambda: d.json("status")["mail"]["queued"] == 0, timeout=120,
                 what="the outbox to empty")

    def test_fifty_kills_lose_nothing_and_end_where_a_run_without_kills_ends(self):
        workdir = self.tmp / "killed"
        workdir.mkdir()
        d = Daemon(workdir, self.config())
        reported = set()
        kills = 0
        for round_ in range(KILLS):
            d.start()
            poll = subprocess.Popen([SPECWATCH, "--socket", str(d.socket), "poll"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + self.rng.uniform(0.05, 1.5)
            # What the daemon says is stored, up to a moment before the kill.
            while time.monotonic() < deadline:
                try:
                    listed = d.json("items", "--limit", "10000", timeout=10)
                    reported |= {(i["source"], i["id"]) for i in listed}
                except (AssertionError, ValueError, subprocess.TimeoutExpired):
                    pass
            d.proc.kill()
            d.proc.wait(10)
            d.socket.unlink(missing_ok=True)  # what a SIGKILL leaves behind
            poll.wait(30)
            kills += 1
            verdict, items, alerts, orphans, _ = db_state(d.database)
            self.assertEqual(verdict, "ok", f"after kill {kills}")
            self.assertLessEqual(reported, items, f"reported items lost after kill {kills}")
            self.assertEqual(orphans, 0, f"an alert without its message after kill {kills}")
            if round_ % 5 == 4:
                self.grow_feeds()
            (workdir / "specwatchd.log").unlink(missing_ok=True)

        d.start()
        self.addCleanup(d.stop)
        self.settle(d)
        killed_mail = self.smtp.messages()
        d.stop()
        verdict, items, alerts, orphans, outbox = db_state(d.database)
        self.assertEqual(verdict, "ok")

        # The same feeds, one daemon, no kills.
        calm_dir = self.tmp / "calm"
        calm_dir.mkdir()
        smtp2 = SmtpServer(self.tmp)
        self.addCleanup(smtp2.stop)
        self.smtp, first_smtp = smtp2, self.smtp
        calm = Daemon(calm_dir, self.config())
        calm.start()
        self.addCleanup(calm.stop)
        self.settle(calm)
        calm.stop()
        _, calm_items, calm_alerts, _, _ = db_state(calm.database)

        self.assertEqual(items, calm_items)
        self.assertEqual(alerts, calm_alerts)
        self.assertTrue(alerts, "the run raised alerts")
        self.assertTrue(all(state == "sent" for state in outbox.values()), outbox)

        # Every outbox message arrived at least once; every arrival is one of
        # them (a message sent twice is the same Message-ID twice).
        arrived = {}
        for _, raw in killed_mail:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            arrived[msg["Message-ID"]] = arrived.get(msg["Message-ID"], 0) + 1
        self.assertEqual(set(arrived), set(outbox))
        duplicates = sum(c - 1 for c in arrived.values())
        print(f"\ncrash safety: {kills} kills survived; {len(items)} items, {len(alerts)} alerts, "
              f"{len(outbox)} messages, {duplicates} delivered twice (same Message-ID)",
              file=sys.stderr)
        del first_smtp


if __name__ == "__main__":
    unittest.main()

"""`specwatch backup PATH` (issue 9), from outside: the real specwatchd writes
a consistent copy of its database while it polls, into a file the CLI opened
and passed over the socket; the copy passes SQLite's integrity check, holds
every item committed before the backup began, and restores (README's
procedure: stop, copy over the database, start)."""
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import SPECWATCH, Daemon, FeedServer, TempDirTest, wait_for  # noqa: E402

FEEDS = 40
ITEMS = 150
SLOW = 8  # sources that answer after a few seconds, so the poll is still running


def feed(n):
    items = "".join(
        f"<item><guid>f{n}-i{i}</guid><title>Feed {n} item {i} on 5G and IMT-2030</title>"
        f"<link>https://example.org/{n}/{i}</link><description>{'text ' * 40}</description>"
        f"</item>" for i in range(ITEMS))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<link>https://example.org/{n}</link>{items}</channel></rss>")


def keys_in(db_path):
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        verdict = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute(
            "SELECT s.name, i.id FROM items i JOIN sources s ON s.id = i.source_id").fetchall()
        return verdict, set(rows)
    finally:
        con.close()


class Backup(TempDirTest):
    def setUp(self):
        super().setUp()
        root = self.tmp / "feeds"
        root.mkdir()
        for n in range(FEEDS + SLOW):
            (root / f"f{n}.xml").write_text(feed(n))
        self.server = FeedServer(root)
        self.addCleanup(self.server.stop)
        sources = []
        for n in range(FEEDS + SLOW):
            path = f"f{n}.xml" if n < FEEDS else f"slow?seconds=4&file=f{n}.xml"
            sources.append(f'[[source]]\nname = "f{n}"\nbody = "ITU"\n'
                           f'url = "{self.server.url(path)}"\nallow_private = true\n')
        self.daemon = Daemon(self.tmp, 'max_parallel = 8\n' + "\n".join(sources))
        self.daemon.start()
        self.addCleanup(self.daemon.stop)

    def test_a_backup_taken_mid_poll_is_consistent_and_restores(self):
        poll = subprocess.Popen([SPECWATCH, "--socket", str(self.daemon.socket), "poll"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(poll.stderr.close)
        self.addCleanup(lambda: poll.poll() is None and poll.kill())
        # Wait until some, not all, sources are stored.
        wait_for(lambda: self.daemon.json("status").get("items", 0) >= ITEMS * 5,
                 timeout=60, what="the first sources to be stored")
        before = {(i["source"], i["id"])
                  for i in self.daemon.json("items", "--limit", "10000")}
        copy = self.tmp / "copies" / "specwatch-backup.db"
        copy.parent.mkdir()
        out = self.daemon.cli("--json", "backup", str(copy))
        import json
        result = json.loads(out.stdout)
        self.assertIsNone(poll.poll(), "the poll should still be running during the backup")

        self.assertTrue(copy.exists())
        self.assertFalse((copy.parent / (copy.name + ".partial")).exists())
        verdict, stored = keys_in(copy)
        self.assertEqual(verdict, "ok")
        self.assertTrue(before, "items were stored before the backup")
        self.assertLessEqual(before, stored, "every item committed before the backup is in it")
        self.assertEqual(result["items"], len(stored))
        self.assertEqual(result["path"], str(copy))
        self.assertEqual(os.path.getsize(copy), result["bytes"])
        self.assertLess(len(stored), FEEDS * ITEMS + SLOW * ITEMS, "taken mid-poll")
        # No temporary copy is left beside the database.
        self.assertEqual([p.name for p in self.tmp.iterdir() if ".backup-" in p.name], [])

        self.assertEqual(poll.wait(120), 0, poll.stderr.read().decode(errors="replace"))
        self.assertEqual(self.daemon.json("status")["items"], (FEEDS + SLOW) * ITEMS)

        # Restore (README): stop the daemon, replace the database, start it.
        # With the feeds gone, what the daemon has is exactly what it restored
        # (it would otherwise poll the sources the copy had not yet stored).
        self.assertEqual(self.daemon.stop(), 0)
        self.server.stop()
        for suffix in ("", "-wal", "-shm"):
            p = self.daemon.database.parent / (self.daemon.database.name + suffix)
            if p.exists():
                p.unlink()
        shutil.copy(copy, self.daemon.database)
        self.daemon.start()
        restored = {(i["source"], i["id"])
                    for i in self.daemon.json("items", "--limit", "10000")}
        self.assertEqual(restored, stored)
        self.assertEqual(len(self.daemon.json("search", "\"IMT-2030\"", "--limit", "10000")),
                         len(stored), "the full-text index came back with the items")

    def test_an_existing_file_is_kept_unless_forced(self):
        target = self.tmp / "keep.db"
        target.write_text("precious")
        out = self.daemon.cli("backup", str(target), check=False)
        self.assertEqual(out.returncode, 2)
        self.assertIn("exists", out.stderr.decode())
        self.assertEqual(target.read_text(), "precious")
        self.daemon.cli("backup", "--force", str(target))
        self.assertEqual(keys_in(target)[0], "ok")
        human = self.daemon.cli("backup", "--force", str(target)).stdout.decode()
        self.assertRegex(human, rf"^backup of \d+ items \([0-9.]+ MiB\) written to {target} in ")

    def test_failures_are_clear_and_leave_nothing_behind(self):
        missing = self.tmp / "no-such-folder" / "b.db"
        out = self.daemon.cli("backup", str(missing), check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"cannot create {missing}.partial", out.stderr.decode())

        self.daemon.stop()
        target = self.tmp / "b.db"
        out = self.daemon.cli("backup", str(target), check=False)
        self.assertEqual(out.returncode, 3)
        self.assertIn(str(self.daemon.socket), out.stderr.decode())
        self.assertFalse(target.exists())
        self.assertFalse((self.tmp / "b.db.partial").exists())

    def test_the_request_without_a_file_is_refused(self):
        import json
        import socket
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(self.daemon.socket))
        s.sendall(b'{"cmd":"backup","_fd":1}\n')
        reply = json.loads(s.makefile().readline())
        s.close()
        self.assertFalse(reply["ok"])
        self.assertIn("specwatch backup PATH", reply["error"])


if __name__ == "__main__":
    unittest.main()

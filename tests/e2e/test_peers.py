"""bench/compare-peers --smoke (20 feeds x 5 items on a private nginx): every
tool polls every feed — specwatch's database holds 100 items, newsboat's
cache.db 100 items, rss2email's data file 20 feeds with 5 entries seen each.
Checks what each tool took in, never a time. newsboat and rss2email come from
scripts/install-deps.sh."""
import os
import pathlib
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import PYTHON, SPECWATCHD  # noqa: E402

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "bench" / "compare-peers"


class ComparePeers(unittest.TestCase):
    def test_smoke_run_has_every_tool_poll_every_feed(self):
        for tool in ("nginx", "newsboat", "r2e"):
            self.assertTrue(shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"),
                            f"{tool} is missing: run scripts/install-deps.sh")
        out = subprocess.run([PYTHON, str(SCRIPT), "--smoke", "--specwatchd", SPECWATCHD],
                             capture_output=True, text=True, timeout=600)
        report = out.stdout + out.stderr
        self.assertEqual(out.returncode, 0, report)
        self.assertIn("check specwatch: ok: 100 items stored from 20 sources", report)
        self.assertIn("check newsboat: ok: 100 items in cache.db from 20 feeds", report)
        self.assertIn("check rss2email: ok: 20 feeds in rss2email.json, 20 with all 5 entries "
                      "seen", report)
        # The table has a row per tool and a ratio row per peer.
        for row in ("| specwatch |", "| newsboat |", "| rss2email |",
                    "| newsboat ÷ specwatch |", "| rss2email ÷ specwatch |"):
            self.assertIn(row, report)


if __name__ == "__main__":
    unittest.main()

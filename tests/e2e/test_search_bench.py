"""bench/search_bench.py --items 2000 --repeat 3: builds a 2,000-item database
with build/bench/make_search_db, serves it with the real specwatchd and runs
every query of the mix through the real CLI and over the socket. Checks that
it printed the table with a row per query and that every search was answered,
never a time."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, PYTHON, ROOT, SPECWATCH, SPECWATCHD  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
from search_bench import QUERIES  # noqa: E402


class SearchBench(unittest.TestCase):
    def test_every_query_of_the_mix_is_answered_through_the_cli_and_the_socket(self):
        maker = BUILD / "bench" / "make_search_db"
        self.assertTrue(os.access(maker, os.X_OK), f"{maker}: build the make_search_db target")
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "search.db")
            cmd = [PYTHON, str(ROOT / "bench" / "search_bench.py"), "--items", "2000",
                   "--sources", "10", "--repeat", "3", "--db", db, "--specwatch", SPECWATCH,
                   "--specwatchd", SPECWATCHD, "--make-search-db", str(maker)]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            report = out.stdout + out.stderr
            self.assertEqual(out.returncode, 0, report)
            n = len(QUERIES)
            self.assertIn(f"answered {3 * n} of {3 * n} CLI searches and {3 * n} socket "
                          "searches", report)
            self.assertIn("specwatch search over 2,000 items", report)
            for q, extra in QUERIES:
                self.assertIn(f"| {' '.join([q, *extra]):<40} |", report)
            self.assertIn("| all queries", report)
            # A second run reuses the database instead of building it again.
            again = subprocess.run(cmd[:cmd.index("--repeat")] + ["--repeat", "1"] +
                                   cmd[cmd.index("--repeat") + 2:],
                                   capture_output=True, text=True, timeout=600)
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertIn("reused", again.stdout)


if __name__ == "__main__":
    unittest.main()

"""bench/footprint_floor.py --quick: every bench/floor program starts its
libraries and reaches "ready", specwatchd starts with no sources, and the
table has a row for each; floor_all is linked like specwatchd (the same
NEEDED libraries) and maps as many shared objects as the daemon does, with
its parts started or not (--load-only). It checks what ran, never a size or
a time."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BUILD, PYTHON, ROOT, SPECWATCHD  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
from footprint_floor import PROGRAMS  # noqa: E402


class FootprintFloor(unittest.TestCase):
    def test_every_floor_program_reaches_ready_and_has_its_row(self):
        for p in PROGRAMS:
            exe = BUILD / "bench" / p
            self.assertTrue(os.access(exe, os.X_OK), f"{exe}: build the floor target")
        out = subprocess.run([PYTHON, str(ROOT / "bench" / "footprint_floor.py"), "--quick",
                              "--build", str(BUILD), "--specwatchd", SPECWATCHD],
                             capture_output=True, text=True, timeout=300)
        report = out.stdout + out.stderr
        self.assertEqual(out.returncode, 0, report)
        self.assertRegex(report, r"floor_all NEEDED = specwatchd NEEDED: yes")
        libs = {}
        for name in [*PROGRAMS, "floor_all --load-only", "specwatchd (no sources)",
                     "specwatchd --version"]:
            row = re.search(rf"^\| {re.escape(name)}( \(.*\))? \| (\d+) \|", report, re.M)
            self.assertIsNotNone(row, f"no row for {name}:\n{report}")
            libs[name] = int(row.group(2))
        self.assertEqual(libs["floor_all"], libs["specwatchd (no sources)"], report)
        self.assertEqual(libs["floor_all --load-only"], libs["floor_all"], report)
        self.assertLess(libs["floor_empty"], libs["floor_curl"], report)
        self.assertIn("floor_all: the 5 largest mappings by Rss", report)


if __name__ == "__main__":
    unittest.main()

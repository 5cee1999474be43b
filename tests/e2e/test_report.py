"""`specwatch report`, `export opml` and `import opml` with the real binaries:
a daemon polls fixture feeds and a calendar from tests/tools/feedserver.py on
127.0.0.1; some items are then made older in its database so the previous
period has figures too; the OPML export is imported again and the TOML checked
by `specwatchd --check-config`."""
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURES, SPECWATCH, SPECWATCHD, Daemon, FeedServer, TempDirTest  # noqa: E402

DAY = 86400


def calendar(today):
    """Meetings around today: two in the last 90 days (one all-day), one in the
    90 days before, one ahead."""
    def dt(days):
        return (today + datetime.timedelta(days=days)).strftime("%Y%m%dT090000Z")

    def d(days):
        return (today + datetime.timedelta(days=days)).strftime("%Y%m%d")

    events = [("recent", f"DTSTART:{dt(-10)}"), ("allday", f"DTSTART;VALUE=DATE:{d(-30)}"),
              ("earlier", f"DTSTART:{dt(-100)}"), ("ahead", f"DTSTART:{dt(20)}")]
    body = "".join(f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:IETF interim {uid}\r\n{start}\r\n"
                   f"DTSTAMP:20260101T000000Z\r\nEND:VEVENT\r\n" for uid, start in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


class ReportAndOpml(TempDirTest):
    def setUp(self):
        super().setUp()
        feeds = self.tmp / "feeds"
        shutil.copytree(FIXTURES / "feeds" / "e2e", feeds)
        (feeds / "meetings.ics").write_text(calendar(datetime.datetime.now(datetime.UTC)))
        self.server = FeedServer(feeds)
        self.addCleanup(self.server.stop)
        (self.tmp / "state").mkdir()
        self.sources = (
            self.source("itu-hub", "ITU", "ITU-D", "itu.xml")
            + self.source("3gpp-news", "3GPP", "RAN", "3gpp.xml")
            + self.source("etsi-news", "ETSI", "", "etsi.xml")
            + self.source("ietf-meetings", "IETF", "interims", "meetings.ics", 'format = "ics"\n'))
        self.rules = ('[[rule]]\nname = "5g"\nquery = "5G"\nto = ["a@example.org"]\n\n'
                      '[[rule]]\nname = "itu-5g"\nquery = "5G"\nbodies = ["itu"]\nto = ["a@example.org"]\n\n'
                      '[[rule]]\nname = "6g"\nquery = "6G"\nto = ["a@example.org"]\n\n')
        self.daemon = Daemon(self.tmp / "state", self.sources + self.rules)
        self.daemon.start()
        self.addCleanup(self.daemon.stop)
        self.daemon.cli("poll")
        # 3GPP's news as if first seen 120 days ago: the previous period's.
        self.daemon.stop()
        with sqlite3.connect(self.daemon.database) as db:
            db.execute("UPDATE items SET first_seen = first_seen - ?1 WHERE source_id = "
                       "(SELECT id FROM sources WHERE name = '3gpp-news')", (120 * DAY,))
        self.daemon.start()

    def source(self, name, body, group, path, extra=""):
        return (f'[[source]]\nname = "{name}"\nbody = "{body}"\ngroup = "{group}"\n'
                f'url = "{self.server.url(path)}"\nallow_private = true\n{extra}\n')

    def group(self, report, body):
        rows = [g for g in report["groups"] if g["body"] == body]
        self.assertEqual(len(rows), 1, report["groups"])
        return rows[0]

    def rule(self, report, name):
        return next(r for r in report["rules"] if r["name"] == name)["hits"]

    def test_report_counts_the_period_against_the_previous_one(self):
        r = self.daemon.json("report")
        start = datetime.datetime.fromisoformat(r["from"])
        end = datetime.datetime.fromisoformat(r["to"])
        self.assertEqual(end - start, datetime.timedelta(days=90))
        self.assertEqual(r["previous"]["to"], r["from"])
        self.assertIsNone(r["body"])
        itu = self.group(r, "ITU")
        self.assertEqual(itu["group"], "ITU-D")
        self.assertEqual(itu["new_items"],
                         {"current": 5, "previous": 0, "change": 5, "percent": None})
        gpp = self.group(r, "3GPP")
        self.assertEqual(gpp["new_items"],
                         {"current": 0, "previous": 3, "change": -3, "percent": -100})
        ietf = self.group(r, "IETF")
        # The meeting ahead is in neither period.
        self.assertEqual(ietf["meetings"],
                         {"current": 2, "previous": 1, "change": 1, "percent": 100})
        self.assertEqual(r["totals"]["new_items"]["current"], 5 + 3 + 4)
        # "5G": three of ITU's (title, content, summary) and ETSI's now, 3GPP's
        # before; "25G" and "5GHz" are other words.
        self.assertEqual(self.rule(r, "5g"),
                         {"current": 4, "previous": 1, "change": 3, "percent": 300})
        self.assertEqual(self.rule(r, "itu-5g")["current"], 3)
        self.assertEqual(self.rule(r, "itu-5g")["previous"], 0)
        self.assertEqual(self.rule(r, "6g"),
                         {"current": 0, "previous": 1, "change": -1, "percent": -100})
        self.assertEqual(itu["hits"]["5g"]["current"], 3)
        self.assertEqual(gpp["hits"]["6g"]["previous"], 1)

    def test_the_human_view_is_aligned_tables_with_signed_changes(self):
        out = self.daemon.cli("report").stdout.decode()
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("period:"), out)
        self.assertTrue(lines[1].startswith("against:"), out)
        header = next(line for line in lines if line.startswith("BODY"))
        self.assertIn("MEETINGS", header)
        self.assertIn("NEW ITEMS", header)
        gpp = next(line for line in lines if line.startswith("3GPP"))
        self.assertIn("\u22123 (\u2212100%)", gpp)
        rule = next(line for line in lines if line.startswith("5g "))
        self.assertIn("+3 (+300%)", rule)
        self.assertIn("+5 (new)", next(line for line in lines if line.startswith("ITU")))
        # Numbers are right-aligned under their header.
        edge = header.index("MEETINGS") + len("MEETINGS") - 1
        rows = lines[lines.index(header) + 1:lines.index(header) + 6]
        self.assertEqual([row.split()[0] for row in rows], ["3GPP", "ETSI", "IETF", "ITU", "all"])
        self.assertTrue(all(row[edge].isdigit() and row[edge + 1] == " " for row in rows), rows)

    def test_body_filter_since_a_date_and_bad_arguments(self):
        r = self.daemon.json("report", "--body", "itu")
        self.assertEqual([g["body"] for g in r["groups"]], ["ITU"])
        self.assertEqual(r["body"], "itu")
        self.assertEqual(r["totals"]["meetings"]["current"], 0)
        since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=20)).date()
        r = self.daemon.json("report", "--since", since.isoformat())
        self.assertTrue(r["from"].startswith(since.isoformat()))
        self.assertEqual(self.group(r, "IETF")["meetings"]["current"], 1)  # the recent one
        bad = self.daemon.cli("report", "--since", "soon", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--since soon", bad.stderr.decode())
        future = self.daemon.cli("--json", "report", "--since", "2100-01-01", check=False)
        self.assertEqual(future.returncode, 2)
        self.assertIn("not in the past", json.loads(future.stdout)["error"])
        far = self.daemon.cli("report", "--since", "1900-01-01", check=False)
        self.assertEqual(far.returncode, 1)
        self.assertIn("would start before 1970", far.stderr.decode())

    def test_a_rule_added_today_reports_on_what_it_would_have_matched(self):
        self.daemon.write_config(self.sources + self.rules
                                 + '[[rule]]\nname = "satellite"\nquery = "satellite"\nto = ["a@example.org"]\n')
        self.daemon.cli("reload")
        r = self.daemon.json("report")
        self.assertEqual(self.rule(r, "satellite")["current"], 2)
        self.assertEqual(self.daemon.json("alerts"), [])  # nothing was ever alerted

    def test_export_then_import_opml_gives_the_same_sources_and_a_valid_config(self):
        out = self.daemon.cli("export", "opml").stdout
        root = ET.fromstring(out)
        self.assertEqual(root.tag, "opml")
        self.assertEqual(root.get("version"), "2.0")
        folders = root.find("body").findall("outline")
        self.assertEqual([f.get("text") for f in folders], ["ITU", "3GPP", "ETSI", "IETF"])
        feed = folders[0].find("outline")
        self.assertEqual(feed.get("type"), "rss")
        self.assertEqual(feed.get("xmlUrl"), self.server.url("itu.xml"))
        self.assertEqual(feed.get("category"), "/ITU/ITU-D")
        as_json = self.daemon.json("export", "opml")
        self.assertEqual(as_json["sources"], 4)

        opml = self.tmp / "sources.opml"
        opml.write_bytes(out)
        imported = subprocess.run([SPECWATCH, "import", "opml", str(opml)], capture_output=True,
                                  timeout=30, check=True).stdout.decode()
        sources = tomllib.loads(imported)["source"]
        wanted = tomllib.loads(self.sources)["source"]
        for key in ("name", "body", "group", "url"):
            self.assertEqual([s.get(key, "") for s in sources], [s[key] for s in wanted], key)
        self.assertEqual(sources[3]["format"], "ics")

        config = self.tmp / "imported.toml"
        config.write_text(f'[daemon]\ndatabase = "{self.tmp}/x.db"\n\n' + imported)
        check = subprocess.run([SPECWATCHD, "--check-config", "--config", str(config)],
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)


class ImportOpml(TempDirTest):
    def run_import(self, *args):
        return subprocess.run([SPECWATCH, *args], capture_output=True, timeout=60)

    def test_a_feed_readers_list_becomes_a_valid_config(self):
        opml = self.tmp / "reader.opml"
        opml.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Reader</title></head><body>
  <outline text="Standards">
    <outline text="IETF">
      <outline type="rss" text="IETF Blog" xmlUrl="https://www.ietf.org/blog/feed/"/>
      <outline type="rss" text="IETF Blog" xmlUrl="https://www.ietf.org/blog/feed/?x=2"/>
    </outline>
    <outline type="rss" title="RFC Editor" xmlurl="https://www.rfc-editor.org/rfcrss.xml"/>
  </outline>
  <outline type="rss" text="local" xmlUrl="file:///etc/passwd"/>
  <outline type="rss" xmlUrl="https://www.etsi.org/rss"/>
</body></opml>""")
        out = self.run_import("import", "opml", str(opml), "--body", "Misc")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"specwatch: {opml}: outline 'local' skipped: its URL is not http(s)",
                      out.stderr.decode())
        sources = tomllib.loads(out.stdout.decode())["source"]
        self.assertEqual([(s["name"], s["body"], s.get("group", "")) for s in sources], [
            ("ietf-blog", "Standards", "IETF"),
            ("ietf-blog-ietf.org", "Standards", "IETF"),
            ("rfc-editor", "Standards", ""),
            ("etsi.org", "Misc", ""),
        ])
        config = self.tmp / "c.toml"
        config.write_text(f'[daemon]\ndatabase = "{self.tmp}/x.db"\n\n' + out.stdout.decode())
        check = subprocess.run([SPECWATCHD, "--check-config", "--config", str(config)],
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        as_json = json.loads(self.run_import("--json", "import", "opml", str(opml)).stdout)
        self.assertEqual(as_json["sources"], 4)
        self.assertEqual(len(as_json["warnings"]), 1)

    def test_the_readers_fixture_imports_into_a_config_check_config_accepts(self):
        out = self.run_import("import", "opml", str(FIXTURES / "opml" / "reader.opml"))
        self.assertEqual(out.returncode, 0, out.stderr)
        sources = tomllib.loads(out.stdout.decode())["source"]
        self.assertEqual(len(sources), 6)
        self.assertEqual(len({s["name"] for s in sources}), 6)
        self.assertIn("outline 'Local notes' skipped", out.stderr.decode())
        config = self.tmp / "c.toml"
        config.write_text((FIXTURES / "html" / "sources.toml").read_text() + "\n"
                          + out.stdout.decode())
        check = subprocess.run([SPECWATCHD, "--check-config", "--config", str(config)],
                               capture_output=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_bad_files_are_errors_naming_the_file(self):
        rss = FIXTURES / "feeds" / "e2e" / "itu.xml"
        out = self.run_import("import", "opml", str(rss))
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{rss}: not an OPML document (the root element is <rss>",
                      out.stderr.decode())
        missing = self.tmp / "missing.opml"
        out = self.run_import("import", "opml", str(missing))
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"cannot open {missing}", out.stderr.decode())
        broken = self.tmp / "broken.opml"
        broken.write_text("<opml>\n<body>\n<outline text='a'\n")
        out = self.run_import("import", "opml", str(broken))
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{broken}:3: not well-formed XML", out.stderr.decode())
        huge = self.tmp / "huge.opml"
        with open(huge, "wb") as f:
            f.truncate(64 * 1024 * 1024)
        out = self.run_import("import", "opml", str(huge))
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{huge}: larger than 16 MiB", out.stderr.decode())
        out = self.run_import("import", "opml")
        self.assertEqual(out.returncode, 2)


if __name__ == "__main__":
    unittest.main()

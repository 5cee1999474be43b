"""The shipped catalog and topic rules from outside, through the real binaries:
every [[source]] of config/specwatch.toml parses its fixture with `specwatch
parse --config … --source …` into what its manifest in tests/fixtures/catalog
expects; a daemon whose config includes config/topics.toml polls catalog
presets (served on 127.0.0.1) and records the topic alerts; and a mistake in an
included file is reported as that file's FILE:LINE."""
import json
import os
import shutil
import subprocess
import sys
import tomllib
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURES, SPECWATCH, SPECWATCHD, Daemon, FeedServer, TempDirTest  # noqa: E402

CONFIG_DIR = FIXTURES.parent.parent / "config"
SHIPPED = CONFIG_DIR / "specwatch.toml"
CATALOG = FIXTURES / "catalog"


def toml_value(v):
    # JSON strings, booleans and arrays of strings are valid TOML values.
    return json.dumps(v)


def source_toml(source, url):
    """One catalog [[source]], its URL replaced, as TOML text."""
    out = "\n[[source]]\n"
    for k, v in source.items():
        if k == "html":
            continue
        out += f"{k} = {toml_value(url if k == 'url' else v)}\n"
    out += "allow_private = true\n"
    if "html" in source:
        out += "[source.html]\n" + "".join(f"{k} = {toml_value(v)}\n"
                                           for k, v in source["html"].items())
    return out


class CatalogParses(TempDirTest):
    def test_every_catalog_source_parses_its_fixture_through_the_cli(self):
        sources = tomllib.loads(SHIPPED.read_text())["source"]
        self.assertEqual(len(sources), 33)
        for source in sources:
            with self.subTest(source=source["name"]):
                manifest_path = CATALOG / f"{source['name']}.json"
                self.assertTrue(manifest_path.exists(), f"no fixture for {source['name']}")
                manifest = json.loads(manifest_path.read_text())
                out = subprocess.run(
                    [SPECWATCH, "--json", "parse", "--config", str(SHIPPED), "--source",
                     source["name"], str(CATALOG / manifest["fixture"])],
                    capture_output=True, timeout=30)
                self.assertEqual(out.returncode, 0, out.stderr)
                doc = json.loads(out.stdout)
                self.assertEqual(doc["format"], manifest.get("format", doc["format"]))
                self.assertEqual(len(doc["items"]), manifest["count"])
                for got, want in zip(doc["items"], manifest["items"]):
                    for field, value in want.items():
                        self.assertEqual(got.get(field, [] if field in ("categories", "organizations") else ""),
                                         value, f"{source['name']}: {field}")


class TopicsIncluded(TempDirTest):
    def setUp(self):
        super().setUp()
        self.feeds = self.tmp / "feeds"
        self.feeds.mkdir()
        for name in ("3gpp-meetings-r1.html", "un-news.rss", "w3c-news.rss"):
            shutil.copy(CATALOG / name, self.feeds / name)
        self.server = FeedServer(self.feeds)
        self.addCleanup(self.server.stop)
        (self.tmp / "state").mkdir()
        catalog = {s["name"]: s for s in tomllib.loads(SHIPPED.read_text())["source"]}
        sources = "".join(source_toml(catalog[name], self.server.url(path)) for name, path in (
            ("3gpp-meetings-r1", "3gpp-meetings-r1.html"), ("un-news", "un-news.rss"),
            ("w3c-news", "w3c-news.rss")))
        self.daemon = Daemon(self.tmp / "state", "")
        # include is a top-level key: it goes before the harness's [daemon].
        self.daemon.config.write_text(
            f"include = [{toml_value(str(CONFIG_DIR / 'topics.toml'))}]\n"
            f'[daemon]\ndatabase = "{self.daemon.database}"\nsocket = "{self.daemon.socket}"\n'
            f'first_poll = "alert"\n' + sources)

    def test_a_daemon_including_the_topics_records_their_alerts_without_mail(self):
        self.daemon.start()
        self.addCleanup(self.daemon.stop)
        rules = {r["name"] for r in self.daemon.json("rules")}
        self.assertIn("topic-un-cybercrime-convention", rules)
        result = self.daemon.json("poll")
        self.assertEqual(result["failed"], 0, json.dumps(result, indent=1))

        def titles(rule):
            return {a["title"] for a in self.daemon.json("alerts", "--rule", rule)}

        self.assertEqual(titles("topic-un-cybercrime-convention"),
                         {"UN Convention against Cybercrime opens for signature in Hanoi"})
        self.assertIn("W3C invites implementations of WebNN API", titles("topic-ai"))
        self.assertEqual(titles("topic-quantum"), set())
        states = {a["state"] for a in self.daemon.json("alerts")}
        self.assertEqual(states, {"nomail"})
        # A rule without recipients is a watch list, and `rules` says so.
        self.assertEqual({r["delivery"] for r in self.daemon.json("rules")}, {"none"})
        self.assertRegex(self.daemon.cli("rules").stdout.decode(), r"topic-6g .* none ")

        # The 3GPP calendar's meetings carry their agenda and document links.
        items = self.daemon.json("items", "--source", "3gpp-meetings-r1")
        self.assertEqual(len(items), 3)
        first = next(i for i in items if i["title"] == "3GPPRAN1#123")
        shown = self.daemon.json("show", str(first["key"]))
        self.assertIn("Agenda: " + self.server.url("ftp/tsg_ran/WG1_RL1/TSGR1_123/Agenda/"),
                      shown["content"])
        self.assertIn("Documents: https://portal.3gpp.org/ngppapp/TdocList.aspx?meetingId=",
                      shown["content"])

    def test_a_mistake_in_an_included_file_names_that_file_and_line(self):
        topics = self.tmp / "topics.toml"
        topics.write_text('[[rule]]\nname = "bad"\nquery = \'"open\'\n')
        config = self.tmp / "main.toml"
        config.write_text('include = ["topics.toml"]\n')
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(config)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(f"{topics}:3: rule 'bad': invalid query", out.stderr)
        topics.unlink()
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(config)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2)
        self.assertIn(f"{config}:1: include 'topics.toml': cannot read", out.stderr)


if __name__ == "__main__":
    unittest.main()

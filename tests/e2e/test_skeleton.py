"""Issue 2's "done when", checked from outside as a new user would: config
checking, polling five RSS/Atom sources on loopback, items and search through
the CLI, conditional GET on the second poll, clean SIGTERM and restart, and
the CLI's exit code when no daemon is running."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import (FIXTURES, SPECWATCH, SPECWATCHD, Daemon, FeedServer, TempDirTest,  # noqa: E402
                     parse_file, wait_for)

E2E_FEEDS = FIXTURES / "feeds" / "e2e"
SOURCES = [("itu", "ITU", "itu.xml"), ("3gpp", "3GPP", "3gpp.xml"), ("ietf", "IETF", "ietf.atom"),
           ("w3c", "W3C", "w3c.xml"), ("etsi", "ETSI", "etsi.xml")]
WORD_5G = re.compile(r"(?<![0-9A-Za-z])5g(?![0-9A-Za-z])", re.IGNORECASE)


def sources_toml(server, names=SOURCES):
    return "".join(
        f'\n[[source]]\nname = "{name}"\nbody = "{body}"\nurl = "{server.url(path)}"\n'
        f'interval = "1h"\nallow_private = true\n' for name, body, path in names)


class CheckConfig(TempDirTest):
    def test_a_bad_interval_exits_2_naming_file_and_line(self):
        cfg = self.tmp / "bad.toml"
        cfg.write_text('[[source]]\nname = "x"\nbody = "ITU"\n'
                       'url = "https://example.org/feed"\ninterval = "often"\n')
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(cfg)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn(f"{cfg}:5:", out.stderr)
        self.assertIn("often", out.stderr)

    def test_every_problem_is_reported_not_just_the_first(self):
        cfg = self.tmp / "bad.toml"
        cfg.write_text('[daemon]\nmax_parallel = "many"\n\n[[source]]\nname = "x"\n'
                       'body = "ITU"\nurl = "https://example.org/feed"\nintervall = "1h"\n')
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(cfg)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2)
        self.assertIn(f"{cfg}:2:", out.stderr)
        self.assertIn(f"{cfg}:8:", out.stderr)

    def test_a_good_config_exits_0(self):
        cfg = self.tmp / "good.toml"
        cfg.write_text('[[source]]\nname = "x"\nbody = "ITU"\nurl = "https://example.org/feed"\n')
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(cfg)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)

    def test_the_shipped_config_is_valid(self):
        shipped = FIXTURES.parent.parent / "config" / "specwatch.toml"
        out = subprocess.run([SPECWATCHD, "--check-config", "--config", str(shipped)],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)


class NoDaemon(TempDirTest):
    def test_status_without_a_daemon_exits_3_and_names_the_socket(self):
        sock = self.tmp / "nobody.sock"
        out = subprocess.run([SPECWATCH, "--socket", str(sock), "status"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 3)
        self.assertIn(str(sock), out.stderr)

    def test_the_environment_names_the_socket_too(self):
        sock = self.tmp / "env.sock"
        out = subprocess.run([SPECWATCH, "--json", "status"], capture_output=True, text=True,
                             timeout=30, env={**os.environ, "SPECWATCH_SOCKET": str(sock)})
        self.assertEqual(out.returncode, 3)
        self.assertIn(str(sock), out.stderr)


class FivePolledSources(TempDirTest):
    def setUp(self):
        super().setUp()
        self.feeds = self.tmp / "feeds"
        shutil.copytree(E2E_FEEDS, self.feeds)
        self.server = FeedServer(self.feeds)
        self.addCleanup(self.server.stop)
        (self.tmp / "state").mkdir()
        self.daemon = Daemon(self.tmp / "state", sources_toml(self.server))
        self.daemon.start()
        self.addCleanup(self.daemon.stop)
        # What the fixtures hold, as specwatch parses them.
        self.expected = {}
        for name, _, path in SOURCES:
            doc = parse_file(self.feeds / path, base=self.server.url(path))
            self.expected[name] = doc["items"]

    def poll(self):
        result = self.daemon.json("poll")
        self.assertEqual(result["failed"], 0, json.dumps(result, indent=1))
        return result

    def all_items(self):
        return self.daemon.json("items", "--limit", "1000")

    def test_every_item_of_every_source_is_stored_and_listed(self):
        self.poll()
        items = self.all_items()
        want = {(s, i["id"]) for s, lst in self.expected.items() for i in lst}
        self.assertGreaterEqual(len(want), 15)
        self.assertEqual({(i["source"], i["id"]) for i in items}, want)
        self.assertEqual(len(items), len(want))
        for item in items:
            self.assertIn("key", item)
            self.assertIn("first_seen", item)
            self.assertTrue(item["title"])
        bodies = {i["source"]: i["body"] for i in items}
        self.assertEqual(bodies["3gpp"], "3GPP")

    def test_search_5g_finds_the_word_and_not_25g_or_5ghz(self):
        self.poll()
        should, should_not = set(), set()
        for source, lst in self.expected.items():
            for i in lst:
                text = " ".join([i.get("title", ""), i.get("summary", ""), i.get("content", ""),
                                 " ".join(i.get("categories", []))])
                if WORD_5G.search(text):
                    should.add((source, i["id"]))
                elif re.search(r"25G|5GHz", text, re.IGNORECASE):
                    should_not.add((source, i["id"]))
        self.assertTrue(should, "the fixtures must contain items that say 5G")
        self.assertTrue(should_not, "the fixtures must contain 25G or 5GHz decoys")
        found = {(i["source"], i["id"]) for i in self.daemon.json("search", "5G", "--limit", "500")}
        self.assertEqual(found, should)
        self.assertFalse(found & should_not)
        lower = {(i["source"], i["id"]) for i in self.daemon.json("search", "5g", "--limit", "500")}
        self.assertEqual(lower, should)

    def test_second_poll_is_conditional_gets_304_and_stores_nothing_twice(self):
        self.poll()
        first = self.all_items()
        before = len(self.server.requests())
        result = self.poll()
        self.assertTrue(all(r["new"] == 0 for r in result["results"]), result)
        # The server logs a request after its answer is sent, so the daemon
        # may be done with the last 304 before its line is written.
        wait_for(lambda: len(self.server.requests()) - before >= len(SOURCES),
                 timeout=5, what="the second round in the server's log")
        second_round = self.server.requests()[before:]
        self.assertEqual(len(second_round), len(SOURCES))
        for req in second_round:
            self.assertTrue(req.get("if_none_match") or req.get("if_modified_since"), req)
            self.assertEqual(req["status"], 304, req)
        again = self.all_items()
        self.assertEqual(sorted(i["key"] for i in again), sorted(i["key"] for i in first))
        sources = self.daemon.json("sources")
        self.assertEqual({s["name"] for s in sources}, {n for n, _, _ in SOURCES})
        self.assertTrue(all(s["status"] == 304 and s["error"] == "" for s in sources), sources)

    def test_sigterm_exits_0_and_a_restart_keeps_every_item(self):
        self.poll()
        keys = sorted(i["key"] for i in self.all_items())
        self.assertEqual(self.daemon.stop(signal.SIGTERM), 0, self.daemon.log())
        self.assertFalse(self.daemon.socket.exists(), "the socket file is removed on exit")
        self.daemon.start()
        self.assertEqual(sorted(i["key"] for i in self.all_items()), keys)
        self.assertEqual(self.daemon.stop(signal.SIGINT), 0, self.daemon.log())

    def test_status_counts_sources_and_items(self):
        self.poll()
        status = self.daemon.json("status")
        total = sum(len(v) for v in self.expected.values())
        self.assertEqual(status["items"], total)
        self.assertEqual(status["sources"]["total"], len(SOURCES))
        self.assertEqual(status["sources"]["ok"], len(SOURCES))
        self.assertEqual(status["sources"]["failing"], 0)
        human = self.daemon.cli("status").stdout.decode()
        self.assertIn(str(total), human)

    def test_show_prints_one_item_in_full(self):
        self.poll()
        item = self.all_items()[0]
        shown = self.daemon.json("show", str(item["key"]))
        self.assertEqual(shown["id"], item["id"])
        self.assertEqual(shown["title"], item["title"])
        missing = self.daemon.cli("show", "999999", check=False)
        self.assertEqual(missing.returncode, 1)

    def test_items_filter_by_source_and_limit(self):
        self.poll()
        itu = self.daemon.json("items", "--source", "itu")
        self.assertEqual(len(itu), len(self.expected["itu"]))
        self.assertTrue(all(i["source"] == "itu" for i in itu))
        self.assertEqual(len(self.daemon.json("items", "--limit", "2")), 2)
        by_body = self.daemon.json("items", "--body", "IETF")
        self.assertEqual(len(by_body), len(self.expected["ietf"]))

    def test_a_changed_feed_is_refetched_and_the_change_recorded(self):
        self.poll()
        path = self.feeds / "w3c.xml"
        first = self.expected["w3c"][0]
        text = path.read_text()
        self.assertIn(first["title"], text)
        path.write_text(text.replace(first["title"], first["title"] + " (revised)", 1))
        result = self.poll()
        w3c = next(r for r in result["results"] if r["source"] == "w3c")
        self.assertEqual(w3c["status"], 200)
        self.assertEqual(w3c["changed"], 1)
        self.assertEqual(w3c["new"], 0)
        titles = [i["title"] for i in self.daemon.json("items", "--source", "w3c")]
        self.assertIn(first["title"] + " (revised)", titles)

    def test_a_failing_source_is_reported_and_the_others_still_stored(self):
        self.daemon.stop()
        self.daemon.write_config(sources_toml(self.server) +
                                 '\n[[source]]\nname = "gone"\nbody = "ISO"\n'
                                 f'url = "{self.server.url("missing.xml")}"\nallow_private = true\n')
        self.daemon.start()
        out = self.daemon.cli("--json", "poll", check=False)
        self.assertEqual(out.returncode, 1)
        result = json.loads(out.stdout)
        gone = next(r for r in result["results"] if r["source"] == "gone")
        self.assertFalse(gone["ok"])
        self.assertIn("404", gone["error"])
        self.assertEqual(result["failed"], 1)
        status = self.daemon.json("status")
        self.assertEqual(status["sources"]["failing"], 1)
        self.assertEqual(status["items"], sum(len(v) for v in self.expected.values()))

    def test_reload_keeps_the_old_config_when_the_new_one_is_invalid(self):
        good = self.daemon.config.read_text()
        self.daemon.config.write_text(good + '\n[[source]]\nname = "bad"\nbody = "X"\n'
                                      'url = "https://example.org/"\ninterval = "often"\n')
        out = self.daemon.cli("reload", check=False)
        self.assertEqual(out.returncode, 1)
        err = out.stderr.decode()
        self.assertIn("often", err)
        self.assertIn(f"{self.daemon.config}:", err)  # FILE:LINE of the problem
        self.assertEqual(len(self.daemon.json("sources")), len(SOURCES))
        # SIGHUP with a valid config adds the new source.
        self.daemon.config.write_text(good + '\n[[source]]\nname = "extra"\nbody = "IEEE"\n'
                                      f'url = "{self.server.url("w3c.xml")}"\n'
                                      'allow_private = true\n')
        self.daemon.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: len(self.daemon.json("sources")) == len(SOURCES) + 1,
                 what="the reloaded sources")
        self.assertEqual(self.daemon.json("reload")["sources"], len(SOURCES) + 1)

    def test_the_daemon_answers_while_polling_a_slow_source(self):
        self.daemon.stop()
        self.daemon.write_config(sources_toml(self.server) +
                                 '\n[[source]]\nname = "slow"\nbody = "IGF"\n'
                                 f'url = "{self.server.url("slow?seconds=4&file=w3c.xml")}"\n'
                                 'allow_private = true\n')
        self.daemon.start()
        poller = subprocess.Popen([SPECWATCH, "--socket", str(self.daemon.socket), "poll", "slow"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: any(s["name"] == "slow" and s["polling"]
                                 for s in self.daemon.json("sources")), what="the slow poll")
            status = self.daemon.json("status")  # answered while the poll runs
            self.assertGreaterEqual(status["sources"]["polling"], 1)
        finally:
            self.assertEqual(poller.wait(30), 0)


class HumanOutput(TempDirTest):
    def test_escape_sequences_in_feed_titles_never_reach_the_terminal(self):
        feeds = self.tmp / "feeds"
        feeds.mkdir()
        (feeds / "evil.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            '<item><guid>1</guid><title>5G \x1b[31mred&#x1b;]0;owned&#x7;</title>'
            '<description>x</description></item></channel></rss>', encoding="latin-1")
        server = FeedServer(feeds)
        self.addCleanup(server.stop)
        (self.tmp / "state").mkdir()
        daemon = Daemon(self.tmp / "state",
                        f'[[source]]\nname = "evil"\nbody = "X"\nurl = "{server.url("evil.xml")}"\n'
                        'allow_private = true\n')
        daemon.start()
        self.addCleanup(daemon.stop)
        daemon.cli("poll", check=False)
        for args in (["items"], ["search", "5G"], ["sources"]):
            out = daemon.cli(*args).stdout
            self.assertNotIn(b"\x1b", out, args)
            self.assertNotIn(b"\x07", out, args)


class Once(TempDirTest):
    def test_once_polls_everything_prints_a_summary_and_exits(self):
        feeds = self.tmp / "feeds"
        shutil.copytree(E2E_FEEDS, feeds)
        server = FeedServer(feeds)
        self.addCleanup(server.stop)
        (self.tmp / "state").mkdir()
        daemon = Daemon(self.tmp / "state", sources_toml(server))
        out = subprocess.run([SPECWATCHD, "--once", "--config", str(daemon.config)],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("5 sources polled, 0 failed", out.stdout)
        self.assertTrue(daemon.database.exists())
        self.assertFalse(daemon.socket.exists(), "--once does not listen")
        # A second --once sees nothing new, and a broken source makes it exit 1.
        daemon.write_config(sources_toml(server) + '\n[[source]]\nname = "down"\nbody = "X"\n'
                            'url = "http://127.0.0.1:9/feed.xml"\nallow_private = true\n')
        out = subprocess.run([SPECWATCHD, "--once", "--config", str(daemon.config)],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("0 new items", out.stdout)
        self.assertIn("FAILED", out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)

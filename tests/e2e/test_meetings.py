"""Issue 7 from outside: `specwatch meetings` and `specwatch export ics` on a
real daemon polling a calendar from the feed server, and meeting changes
(new dates, a new place, a cancellation) mailed to a rule with
on = ["changed"] through a real SMTP server on 127.0.0.1 — and not to a rule
with on = ["new"]. The fixtures hold meetings in 2026 and 2027; the tests pass
--from explicitly so they do not age."""
import email
import email.policy
import json
import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURES, Daemon, FeedServer, TempDirTest, wait_for  # noqa: E402
from test_control import raw_request  # noqa: E402
from test_mail import SmtpServer  # noqa: E402

CALENDARS = FIXTURES / "ics" / "meetings"


def unfold(ics):
    """RFC 5545 3.1: a CRLF followed by one space or tab is removed."""
    return re.sub("\r\n[ \t]", "", ics)


def events(ics):
    """The VEVENTs of an export as dicts of property line -> value."""
    out = []
    for block in unfold(ics).split("BEGIN:VEVENT\r\n")[1:]:
        props = {}
        for line in block.split("END:VEVENT")[0].split("\r\n"):
            if ":" in line:
                name, value = line.split(":", 1)
                props.setdefault(name, value)
        out.append(props)
    return out


def texts(msg):
    parts = list(msg.iter_parts())
    return parts[0].get_content()


class MeetingsTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.feeds = self.tmp / "feeds"
        self.feeds.mkdir()
        self.serve("before.ics")
        self.http = FeedServer(self.feeds)
        self.addCleanup(self.http.stop)
        self.smtp = SmtpServer(self.tmp)
        self.addCleanup(self.smtp.stop)
        (self.tmp / "d").mkdir()
        self.d = Daemon(self.tmp / "d", self.config())
        self.addCleanup(self.d.stop)
        self.d.start()

    def serve(self, name):
        shutil.copyfile(CALENDARS / name, self.feeds / "upcoming.ics")

    def config(self):
        return (f'first_poll = "baseline"\n\n[mail]\ntransport = "smtp"\n'
                f'url = "smtp://127.0.0.1:{self.smtp.port}"\ntls = "none"\n'
                f'from = "specwatch <specwatch@example.org>"\n\n'
                f'[[source]]\nname = "ietf-meetings"\nbody = "IETF"\ngroup = "IETF"\n'
                f'url = "{self.http.url("upcoming.ics")}"\nformat = "ics"\nallow_private = true\n\n'
                f'[[source]]\nname = "ietf-news"\nbody = "IETF"\n'
                f'url = "{self.http.url("none.xml")}"\nenabled = false\n\n'
                f'[[rule]]\nname = "ietf-changes"\nquery = "IETF OR quic OR tls OR httpbis OR ohai"\n'
                f'on = ["changed"]\nto = ["delegate@example.org"]\n\n'
                f'[[rule]]\nname = "ietf-new"\nquery = "IETF OR quic OR tls OR httpbis OR ohai"\n'
                f'on = ["new"]\nto = ["newsdesk@example.org"]\n')

    def mails_to(self, rcpt):
        return [email.message_from_bytes(raw, policy=email.policy.strict)
                for env, raw in self.smtp.messages() if rcpt in env["rcpt_tos"]]

    def test_changed_dates_place_and_cancellation_mail_the_changed_rule_only(self):
        self.d.cli("poll")  # the baseline: stored, no alert
        self.assertEqual(self.d.json("status")["alerts"], 0)
        self.serve("after.ics")
        polled = self.d.json("poll")
        self.assertEqual(polled["results"][0]["changed"], 3, polled)  # tls, quic, IETF 127
        self.assertEqual(polled["results"][0]["new"], 1, polled)  # ohai

        changed = wait_for(lambda: self.mails_to("delegate@example.org"),
                           what="the changed-meetings mail")
        new = wait_for(lambda: self.mails_to("newsdesk@example.org"), what="the new-meeting mail")
        time.sleep(1)
        self.assertEqual(len(self.mails_to("delegate@example.org")), 1)
        self.assertEqual(len(self.mails_to("newsdesk@example.org")), 1)

        body = texts(changed[0])
        self.assertIn("(changed) CANCELLED: quic - QUIC (interim)", body)
        self.assertIn("(changed) tls - Transport Layer Security (interim)", body)
        self.assertIn("(changed) IETF 127", body)
        self.assertIn("Hong Kong,HK", body)
        # A description edit is stored quietly; a new meeting is not a change.
        self.assertNotIn("httpbis", body)
        self.assertNotIn("ohai", body)

        # on = ["new"]: only the new meeting, none of the changes.
        body = texts(new[0])
        self.assertIn("ohai - Oblivious HTTP", body)
        for title in ("quic", "tls", "IETF 127"):
            self.assertNotIn(title, body)

        alerts = self.d.json("alerts", "--rule", "ietf-changes")
        self.assertEqual(sorted(a["title"] for a in alerts),
                         ["CANCELLED: quic - QUIC (interim)", "IETF 127",
                          "tls - Transport Layer Security (interim)"])
        self.assertTrue(all(a["change"] > 0 for a in alerts))

        # Polling the same calendar again changes nothing and mails nothing.
        polled = self.d.json("poll")
        self.assertEqual(polled["results"][0]["changed"], 0)
        time.sleep(1)
        self.assertEqual(len(self.smtp.messages()), 2)

    def test_meetings_lists_soonest_first_with_status_and_filters(self):
        self.d.cli("poll")
        self.serve("after.ics")
        self.d.cli("poll")

        # Default: from today. IETF 126 (July 2026) is over.
        upcoming = self.d.json("meetings")
        self.assertNotIn("IETF 126", [m["title"] for m in upcoming])

        ms = self.d.json("meetings", "--from", "2026-01-01")
        self.assertEqual([m["title"] for m in ms], [
            "IETF 126", "CANCELLED: quic - QUIC (interim)", "httpbis - HTTP (interim)",
            "ohai - Oblivious HTTP Application Intermediation (interim)",
            "tls - Transport Layer Security (interim)", "IETF 127"])
        by_title = {m["title"]: m for m in ms}
        quic = by_title["CANCELLED: quic - QUIC (interim)"]
        self.assertEqual(quic["status"], "cancelled")
        self.assertEqual(by_title["IETF 127"]["status"], "scheduled")
        # All day: the last day, not iCalendar's exclusive DTEND.
        self.assertEqual(by_title["IETF 127"]["start"], "2027-03-20")
        self.assertEqual(by_title["IETF 127"]["end"], "2027-03-26")
        self.assertEqual(by_title["IETF 127"]["location"], "Hong Kong,HK")
        self.assertEqual(by_title["tls - Transport Layer Security (interim)"]["start"],
                         "2027-02-10T14:00:00Z")
        for m in ms:
            for field in ("key", "source", "body", "group", "first_seen", "id", "status"):
                self.assertIn(field, m)
            self.assertEqual(m["source"], "ietf-meetings")

        # A meeting on now is listed from today: from the day IETF 126 ends.
        self.assertEqual(self.d.json("meetings", "--from", "2026-07-24")[0]["title"], "IETF 126")
        self.assertNotIn("IETF 126",
                         [m["title"] for m in self.d.json("meetings", "--from", "2026-07-25")])
        # --to is inclusive of its day; timed and all-day compare correctly.
        self.assertEqual([m["title"] for m in
                          self.d.json("meetings", "--from", "2027-01-14", "--to", "2027-01-20")],
                         ["CANCELLED: quic - QUIC (interim)", "httpbis - HTTP (interim)"])
        self.assertEqual([m["title"] for m in
                          self.d.json("meetings", "--from", "2027-03-26", "--to", "2027-03-26")],
                         ["IETF 127"])
        self.assertEqual(len(self.d.json("meetings", "--from", "2026-01-01", "--limit", "2")), 2)
        self.assertEqual(len(self.d.json("meetings", "--from", "2026-01-01", "--body", "ietf")), 6)
        self.assertEqual(self.d.json("meetings", "--from", "2026-01-01", "--body", "ITU"), [])
        self.assertEqual(len(self.d.json("meetings", "--from", "2026-01-01", "--group", "IETF")), 6)
        self.assertEqual(self.d.json("meetings", "--from", "2026-01-01", "--group", "quic"), [])

        # Human view: by ISO week, CANCELLED plainly.
        env = dict(os.environ, TZ="UTC")
        import subprocess
        out = subprocess.run([os.environ.get("SPECWATCH", "specwatch"), "--socket",
                              str(self.d.socket), "meetings", "--from", "2027-01-01"],
                             capture_output=True, env=env, timeout=30, check=True)
        text = out.stdout.decode()
        self.assertIn("Week 2 · 11 – 17 Jan 2027\n", text)
        self.assertIn("Week 11 · 15 – 21 Mar 2027\n", text)
        self.assertRegex(text, r"14 Jan 15:00–16:30 +IETF +IETF +Online +CANCELLED +CANCELLED: quic")
        self.assertRegex(text, r"20 – 26 Mar +IETF +IETF +Hong Kong,HK +IETF 127")

        # Bad dates are usage errors, named: in the CLI and in the daemon.
        bad = self.d.cli("meetings", "--from", "next week", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--from", bad.stderr.decode())
        replies = raw_request(self.d.socket,
                              b'{"cmd":"meetings","to":"soon"}\n'
                              b'{"cmd":"export_ics","from":42}\n'
                              b'{"cmd":"meetings","from":"-3650d","limit":1}\n', lines=3)
        replies = [json.loads(line) for line in replies.splitlines()]
        self.assertEqual([r["ok"] for r in replies], [False, False, True])
        self.assertEqual(replies[0]["exit"], 2)
        self.assertIn("'to'", replies[0]["error"])
        self.assertEqual(replies[1]["exit"], 2)
        self.assertEqual(replies[2]["result"][0]["title"], "IETF 126")

    def test_export_ics_is_a_stable_rfc5545_calendar(self):
        self.d.cli("poll")
        self.serve("after.ics")
        self.d.cli("poll")
        out = self.d.cli("export", "ics")
        ics = out.stdout.decode("utf-8")
        self.assertTrue(ics.startswith("BEGIN:VCALENDAR\r\n"))
        self.assertTrue(ics.endswith("END:VCALENDAR\r\n"))
        self.assertNotRegex(ics, r"[^\r]\n")
        for line in ics.split("\r\n"):
            self.assertLessEqual(len(line.encode()), 75, line)
        cal = unfold(ics)
        self.assertIn("\r\nVERSION:2.0\r\n", cal)
        self.assertRegex(cal, r"\r\nPRODID:-//specwatch//specwatch [^\r]+//EN\r\n")
        evs = events(ics)
        self.assertEqual(len(evs), 6)  # everything stored: no --from
        by_summary = {e["SUMMARY"]: e for e in evs}
        ietf127 = by_summary["IETF 127"]
        self.assertEqual(ietf127["DTSTART;VALUE=DATE"], "20270320")
        self.assertEqual(ietf127["DTEND;VALUE=DATE"], "20270327")
        self.assertEqual(ietf127["LOCATION"], "Hong Kong\\,HK")
        self.assertEqual(ietf127["URL"], "https://datatracker.ietf.org/meeting/127/")
        self.assertNotIn("STATUS", ietf127)
        quic = by_summary["CANCELLED: quic - QUIC (interim)"]
        self.assertEqual(quic["STATUS"], "CANCELLED")
        self.assertEqual(quic["DTSTART"], "20270114T150000Z")
        self.assertEqual(quic["DTEND"], "20270114T163000Z")
        for e in evs:
            self.assertRegex(e["UID"], r"^[0-9a-f]{16}@specwatch$")
            self.assertRegex(e["DTSTAMP"], r"^\d{8}T\d{6}Z$")

        # Filters, and --json as one object.
        self.assertEqual(len(events(self.d.cli("export", "ics", "--from", "2027-01-01")
                                    .stdout.decode())), 5)
        self.assertEqual(events(self.d.cli("export", "ics", "--body", "ITU").stdout.decode()), [])
        doc = self.d.json("export", "ics", "--from", "2027-02-01")
        self.assertEqual(doc["format"], "icalendar")
        self.assertEqual(doc["events"], 2)
        self.assertEqual(len(events(doc["text"])), 2)

        # The same UIDs and bytes after a restart.
        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        again = self.d.cli("export", "ics").stdout.decode("utf-8")
        self.assertEqual(again, ics)


if __name__ == "__main__":
    unittest.main()

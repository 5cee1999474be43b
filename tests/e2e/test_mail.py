"""Issue 5 from outside: rules matched on a real poll, mail delivered to a
real SMTP server on 127.0.0.1 (aiosmtpd, tests/tools/smtpserver.py) — plain,
STARTTLS with AUTH, with the server down, answering 451 or 550, across a
daemon restart — and hostile feed text checked with Python's email module
(strict policy)."""
import email
import email.policy
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import PYTHON, TOOLS, Daemon, FeedServer, TempDirTest, wait_for  # noqa: E402

HOSTILE = ("5G launch&#13;&#10;Bcc: x@evil&#13;&#10;&#13;&#10;body "
           "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; réseau ✓ " + "long " * 300)


def rss(items):
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://example.org/{guid}</link><description>{desc}</description></item>"
        for guid, title, desc in items)
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>t</title><link>https://example.org/</link>{body}</channel></rss>")


class SmtpServer:
    def __init__(self, tmp, port=0, tls=None, auth=None):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="specwatch-smtp-", dir=tmp))
        self.out = self.dir / "mail"
        self.port_file = self.dir / "port"
        self.reply_file = self.dir / "reply"
        args = [PYTHON, str(TOOLS / "smtpserver.py"), "--dir", str(self.out), "--port", str(port),
                "--port-file", str(self.port_file), "--reply-file", str(self.reply_file)]
        if tls:
            args += ["--tls", *tls]
        if auth:
            args += ["--auth", auth]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.port_file.exists() and self.port_file.read_text().strip()
                 or self.proc.poll() is not None, what="the SMTP server's port")
        if self.proc.poll() is not None:
            raise AssertionError("the SMTP server did not start")
        self.port = int(self.port_file.read_text())

    def reply(self, line):
        self.reply_file.write_text(line + "\n")

    def messages(self):
        if not self.out.exists():
            return []
        out = []
        for eml in sorted(self.out.glob("*.eml")):
            env = json.loads(eml.with_suffix(".json").read_text())
            out.append((env, eml.read_bytes()))
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailTest(TempDirTest):
    def setUp(self):
        super().setUp()
        self.feeds = self.tmp / "feeds"
        self.feeds.mkdir()
        self.write_feed([("a1", "Workshop on networks", "nothing here")])
        self.http = FeedServer(self.feeds)
        self.addCleanup(self.http.stop)

    def write_feed(self, items):
        (self.feeds / "news.xml").write_text(rss(items), encoding="utf-8")

    def config(self, port, mail_extra="", rule_extra=""):
        return (f'first_poll = "baseline"\n\n[mail]\ntransport = "smtp"\n'
                f'url = "smtp://127.0.0.1:{port}"\ntls = "none"\n'
                f'from = "specwatch <specwatch@example.org>"\n{mail_extra}\n'
                f'[[source]]\nname = "itu-news"\nbody = "ITU"\nurl = "{self.http.url("news.xml")}"\n'
                f'allow_private = true\n\n'
                f'[[rule]]\nname = "5g"\nquery = \'5G OR "IMT-2030"\'\n'
                f'to = ["analyst@example.org", "boss@example.org"]\n{rule_extra}\n')

    def daemon(self, text):
        d = Daemon(self.tmp / "d", text) if (self.tmp / "d").exists() else None
        if d is None:
            (self.tmp / "d").mkdir()
            d = Daemon(self.tmp / "d", text)
        self.addCleanup(d.stop)
        return d

    def baseline_then_match(self, d, title=HOSTILE):
        d.cli("poll")  # first poll: the baseline, no alert
        self.assertEqual(d.json("status")["alerts"], 0)
        self.write_feed([("a1", "Workshop on networks", "nothing here"),
                         ("a2", title, "IMT-2030 &amp; 5G progress"),
                         ("a3", "Unrelated 25G and 5GHz", "no words")])
        d.cli("poll", check=False)

    def test_immediate_mail_is_delivered_once_with_exact_headers_and_escaped_html(self):
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        d = self.daemon(self.config(smtp.port))
        d.start()
        self.baseline_then_match(d)
        msgs = wait_for(lambda: smtp.messages(), what="the alert mail")
        time.sleep(1)
        self.assertEqual(len(smtp.messages()), 1)
        env, raw = msgs[0]
        self.assertEqual(sorted(env["rcpt_tos"]), ["analyst@example.org", "boss@example.org"])
        self.assertEqual(env["mail_from"], "specwatch@example.org")
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        self.assertEqual(sorted(k.lower() for k in msg.keys()),
                         sorted(["from", "to", "subject", "date", "message-id",
                                 "auto-submitted", "precedence", "x-specwatch-rule",
                                 "mime-version", "content-type"]))
        self.assertIsNone(msg["Bcc"])
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        self.assertEqual(str(msg["Subject"]), "[specwatch] 5g: 1 new item \u2014 ITU")
        self.assertEqual([a.addr_spec for a in msg["To"].addresses],
                         ["analyst@example.org", "boss@example.org"])
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        text, html = parts[0].get_content(), parts[1].get_content()
        self.assertIn("5G launch Bcc: x@evil body <script>", text)
        self.assertIn("réseau ✓", text)
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        self.assertNotIn("25G", text)  # a3 does not match 5G as a word
        status = d.json("status")
        self.assertEqual(status["alerts"], 1)
        self.assertEqual(status["mail"]["sent"], 1)
        alerts = d.json("alerts", "--rule", "5g")
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts[0]["mail"], "sent")
        self.assertEqual(alerts[0]["message_id"], msg["Message-ID"])
        # Polling again alerts nothing more.
        d.cli("poll")
        time.sleep(1)
        self.assertEqual(len(smtp.messages()), 1)

    def test_mail_queued_while_the_server_is_down_is_delivered_after_a_restart_once(self):
        port = free_port()
        d = self.daemon(self.config(port))
        d.start()
        self.baseline_then_match(d, title="5G news")
        wait_for(lambda: d.json("alerts")[0]["attempts"] >= 1, what="a failed attempt")
        self.assertEqual(d.json("status")["mail"]["queued"], 1)
        self.assertEqual(d.stop(), 0)
        smtp = SmtpServer(self.tmp, port=port)
        self.addCleanup(smtp.stop)
        d.start()
        wait_for(lambda: smtp.messages(), what="the queued mail after the restart")
        wait_for(lambda: d.json("status")["mail"]["sent"] == 1, what="the mail marked sent")
        self.assertEqual(d.stop(), 0)
        d.start()
        time.sleep(1.5)
        self.assertEqual(len(smtp.messages()), 1)

    def test_451_is_retried_a_minute_later_and_550_fails_at_once(self):
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        smtp.reply("451 4.3.0 try again later")
        d = self.daemon(self.config(smtp.port))
        d.start()
        self.baseline_then_match(d, title="5G news")
        a = wait_for(lambda: [x for x in d.json("alerts") if x["attempts"] >= 1],
                     what="the 451 attempt")[0]
        first_attempt = time.monotonic()
        self.assertEqual(a["mail"], "queued")
        self.assertIn("451", a["error"])
        self.assertEqual(d.json("status")["mail"]["queued"], 1)
        # The server is back: the retry comes a minute after the first attempt.
        smtp.reply_file.unlink()
        wait_for(lambda: smtp.messages(), timeout=90, what="the retry")
        self.assertGreaterEqual(time.monotonic() - first_attempt, 55)
        self.assertEqual(len(smtp.messages()), 1)
        wait_for(lambda: d.json("status")["mail"]["sent"] == 1, what="the retry marked sent")

        smtp.reply("550 5.7.1 rejected")
        self.write_feed([("a1", "Workshop", "x"), ("a4", "6G and 5G roadmap", "y")])
        d.cli("poll")
        wait_for(lambda: d.json("status")["mail"]["failed"] == 1, what="the 550 failure")
        self.assertEqual(len(smtp.messages()), 1)
        failed = [x for x in d.json("alerts") if x["mail"] == "failed"]
        self.assertEqual(len(failed), 1)
        self.assertIn("550", failed[0]["error"])
        self.assertIn("failed", d.cli("status").stdout.decode())

    def tls_daemon(self, password):
        """A STARTTLS server requiring AUTH alice:s3cret, and a started daemon
        that logs in as alice with `password`."""
        cert, key = self.tmp / "cert.pem", self.tmp / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        smtp = SmtpServer(self.tmp, tls=(str(cert), str(key)), auth="alice:s3cret")
        self.addCleanup(smtp.stop)
        pw = self.tmp / "password"
        pw.write_text(password + "\n")
        text = self.config(smtp.port, mail_extra=f'user = "alice"\npassword_file = "{pw}"\n')
        d = self.daemon(text.replace('tls = "none"', 'tls = "starttls"'))
        os.environ["SPECWATCH_SMTP_CAINFO"] = str(cert)
        self.addCleanup(os.environ.pop, "SPECWATCH_SMTP_CAINFO", None)
        d.start()
        return smtp, d

    def test_starttls_and_auth(self):
        smtp, d = self.tls_daemon("s3cret")
        self.baseline_then_match(d, title="5G over TLS")
        msgs = wait_for(lambda: smtp.messages(), what="the mail over STARTTLS")
        self.assertTrue(msgs[0][0]["authenticated"])
        self.assertTrue(msgs[0][0]["tls"])

    def test_a_wrong_password_is_refused_and_reported(self):
        smtp, d = self.tls_daemon("wrong")
        self.baseline_then_match(d, title="5G over TLS")
        a = wait_for(lambda: [x for x in d.json("alerts") if x["error"]], what="the refusal")[0]
        self.assertIn("535", a["error"])
        self.assertEqual(smtp.messages(), [])

    def test_once_delivers_the_mail_of_its_poll_before_exiting(self):
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        d = self.daemon(self.config(smtp.port))
        once = [os.environ.get("SPECWATCHD", "specwatchd"), "--once", "--config", str(d.config)]
        self.assertEqual(subprocess.run(once, capture_output=True, timeout=60).returncode, 0)
        self.write_feed([("a1", "Workshop", "x"), ("a2", "5G news", "y")])
        out = subprocess.run(once, capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(smtp.messages()), 1)

    def test_a_digest_due_while_the_daemon_was_down_is_sent_when_it_is_back(self):
        import sqlite3
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        d = self.daemon(self.config(smtp.port, rule_extra='delivery = "digest"\n'
                                                         'digest_at = "08:00"\n'))
        d.start()
        self.baseline_then_match(d, title="5G news")
        self.write_feed([("a1", "Workshop", "x"), ("a2", "5G news", "y"),
                         ("a5", "IMT-2030 timeline", "z")])
        d.cli("poll")
        self.assertEqual([a["mail"] for a in d.json("alerts")], ["digest", "digest"])
        time.sleep(1)
        self.assertEqual(smtp.messages(), [])
        self.assertEqual(d.stop(), 0)
        # Down over a digest_at: the last digest was two days ago.
        with sqlite3.connect(d.database) as db:
            db.execute("UPDATE digests SET last_sent = last_sent - 2 * 86400")
        d.start()
        msgs = wait_for(lambda: smtp.messages(), what="the catch-up digest")
        msg = email.message_from_bytes(msgs[0][1], policy=email.policy.strict)
        self.assertEqual(str(msg["Subject"]), "[specwatch] 5g digest: 2 new items \u2014 ITU")
        wait_for(lambda: all(a["mail"] == "sent" for a in d.json("alerts")), what="sent")
        self.assertEqual(d.stop(), 0)
        d.start()
        time.sleep(1.5)
        self.assertEqual(len(smtp.messages()), 1)

    def test_a_failing_source_is_reported_once_and_again_when_it_recovers(self):
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        d = self.daemon(self.config(smtp.port, mail_extra='health_to = ["admin@example.org"]\n'
                                                          'health_after = "1s"\n'))
        (self.feeds / "news.xml").unlink()  # 404 from now on
        d.start()
        d.cli("poll", check=False)
        time.sleep(1.2)
        d.cli("poll", check=False)
        d.cli("poll", check=False)
        msgs = wait_for(lambda: smtp.messages(), what="the health mail")
        time.sleep(0.5)
        self.assertEqual(len(smtp.messages()), 1)
        self.assertEqual(msgs[0][0]["rcpt_tos"], ["admin@example.org"])
        msg = email.message_from_bytes(msgs[0][1], policy=email.policy.strict)
        self.assertIn("source itu-news failing since", str(msg["Subject"]))
        self.write_feed([("a1", "Workshop", "x")])
        d.cli("poll")
        wait_for(lambda: len(smtp.messages()) == 2, what="the recovery mail")
        msg = email.message_from_bytes(smtp.messages()[1][1], policy=email.policy.strict)
        self.assertEqual(str(msg["Subject"]), "[specwatch] source itu-news recovered")

    def test_rules_and_rules_test(self):
        smtp = SmtpServer(self.tmp)
        self.addCleanup(smtp.stop)
        d = self.daemon(self.config(smtp.port))
        d.start()
        self.baseline_then_match(d, title="5G news")
        rules = d.json("rules")
        self.assertEqual(rules[0]["name"], "5g")
        self.assertEqual(rules[0]["alerts"], 1)
        found = d.json("rules", "test", "5G")
        self.assertEqual([f["title"] for f in found], ["5G news"])
        self.assertIn("5g", d.cli("rules").stdout.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)

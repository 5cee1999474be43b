#!/usr/bin/python3
"""A loopback SMTP server for specwatch's mail tests (aiosmtpd, Debian's
python3-aiosmtpd). Each accepted message is saved as N.eml with N.json beside
it (the envelope: mail_from, rcpt_tos; whether the session authenticated and
used TLS). Options add what the plain `python3 -m aiosmtpd` cannot: AUTH with
an authenticator, STARTTLS required, and a reply file whose first line
(e.g. "451 4.3.0 try later") answers DATA instead of 250 while it exists.

    smtpserver.py --dir OUT --port-file F [--port N] [--tls CERT KEY]
                  [--auth USER:PASSWORD] [--reply-file PATH]
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out, reply_file):
        self.out = pathlib.Path(out)
        self.reply_file = pathlib.Path(reply_file) if reply_file else None
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.reply_file and self.reply_file.exists():
            reply = self.reply_file.read_text().splitlines()[0].strip()
            if reply:
                return reply
        self.count += 1
        stem = self.out / f"{time.time_ns()}-{self.count}"
        tmp = stem.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        stem.with_suffix(".json").write_text(json.dumps(
            {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
             "authenticated": bool(session.authenticated), "tls": session.ssl is not None}))
        os.rename(tmp, stem.with_suffix(".eml"))
        return "250 2.0.0 OK queued"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == user and auth_data.password.decode() == password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)
    return authenticate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth")
    ap.add_argument("--reply-file")
    args = ap.parse_args()

    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    kwargs = {}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs["authenticator"] = authenticator_for(user, password)
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(args.tls)

    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Handler(args.dir, args.reply_file), hostname="127.0.0.1", port=port,
                            **kwargs)
    controller.start()
    pathlib.Path(args.port_file).write_text(str(port))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.1)
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())

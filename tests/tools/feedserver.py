#!/usr/bin/python3
"""A real HTTP server for specwatch's fetcher and end-to-end tests.

Serves the files under --root on 127.0.0.1 the way a well-behaved feed host
does (strong ETag, Last-Modified, 304 on conditional requests, gzip when asked)
and offers special paths that misbehave on purpose:

  /slow?seconds=N[&file=F]   sleeps N seconds, then answers 200 (with file F when given)
  /trickle                   sends one byte every 2 s, forever
  /endless                   a chunked body that never ends
  /bomb?mb=N                 gzip of N MiB of zeros (Content-Encoding: gzip, always)
  /redirect?to=URL&code=301  redirects to URL (code defaults to 302)
  /loop                      redirects to itself
  /status?code=N[&retry_after=V]  answers N with a short body (and Retry-After: V)
  /reset                     reads the request, then resets the connection (RST)
  /truncated?file=F          promises F's length + 1000 in Content-Length, sends F, hangs up
  /hang[?seconds=N]          reads the request and answers nothing (for N s, default 1 h)
  /bighead?kb=N              a response whose headers are N KiB long (default 1024)
  /charset?file=F&charset=C  serves F declaring Content-Type charset C (possibly wrong)
  /headers                   echoes the request headers as a JSON object

Every request is logged to --log as one JSON line (flushed at once) with the
keys path, method, if_none_match, if_modified_since, accept_encoding,
user_agent, status, plus content_encoding, started and finished (Unix time,
float) so tests can measure concurrency. A request made through this server
as an HTTP proxy (absolute-form target) is served as if sent directly.

Usage: feedserver.py --root DIR [--port 0] --port-file FILE --log FILE
With --port 0 the kernel picks a free port; it is written to --port-file once
the server listens. Python's standard library only; exits cleanly on SIGTERM.
"""

import argparse
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

CONTENT_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".rdf": "application/rdf+xml; charset=utf-8",
    ".atom": "application/atom+xml",
    ".ics": "text/calendar",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}

# Size of each write of /endless: large enough that the server pushes data
# faster than any sane max_body allows for.
ENDLESS_CHUNK = 64 * 1024


class Log:
    """One JSON object per line; a lock keeps lines whole across threads."""

    def __init__(self, path):
        self._file = open(path, "a", encoding="utf-8") if path else None
        self._lock = threading.Lock()

    def write(self, record):
        if self._file is None:
            return
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so that clients can keep connections alive and reuse them.
    protocol_version = "HTTP/1.1"
    server_version = "feedserver/1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle
    # and delayed ACKs add 40 ms to every response.
    disable_nagle_algorithm = True

    # --- plumbing -------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        pass  # the JSON log replaces http.server's stderr lines

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def send_header(self, keyword, value):
        if keyword.lower() == "content-encoding":
            self._content_encoding = value
        super().send_header(keyword, value)

    def _handle(self, head_only):
        self._status = 0
        self._content_encoding = ""
        started = time.time()
        try:
            self._dispatch(head_only)
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away: normal in fault tests
        finally:
            self.server.log.write({
                "path": self.path,
                "method": self.command,
                "if_none_match": self.headers.get("If-None-Match", ""),
                "if_modified_since": self.headers.get("If-Modified-Since", ""),
                "accept_encoding": self.headers.get("Accept-Encoding", ""),
                "user_agent": self.headers.get("User-Agent", ""),
                "status": self._status,
                "content_encoding": self._content_encoding,
                "started": started,
                "finished": time.time(),
            })

    def do_GET(self):
        self._handle(head_only=False)

    def do_HEAD(self):
        self._handle(head_only=True)

    def _reply(self, code, body=b"", content_type="text/plain; charset=utf-8",
               headers=(), head_only=False):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        no_body = code in (204, 304) or 100 <= code < 200
        if not no_body:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not no_body and not head_only:
            self.wfile.write(body)

    def _accepts_gzip(self):
        for part in self.headers.get("Accept-Encoding", "").split(","):
            fields = [f.strip() for f in part.split(";")]
            if fields[0].lower() not in ("gzip", "x-gzip", "*"):
                continue
            q = 1.0
            for f in fields[1:]:
                if f.lower().startswith("q="):
                    try:
                        q = float(f[2:])
                    except ValueError:
                        q = 0.0
            if q > 0:
                return True
        return False

    def _write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # --- routing --------------------------------------------------------

    def _dispatch(self, head_only):
        # Absolute-form targets arrive when the client uses us as a proxy.
        target = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(target.path) or "/"
        query = urllib.parse.parse_qs(target.query)

        def arg(name, default):
            return query.get(name, [default])[0]

        special = {
            "/slow": self._slow,
            "/trickle": self._trickle,
            "/endless": self._endless,
            "/bomb": self._bomb,
            "/redirect": self._redirect,
            "/loop": self._loop,
            "/status": self._status_code,
            "/headers": self._echo_headers,
            "/reset": self._reset,
            "/truncated": self._truncated,
            "/hang": self._hang,
            "/bighead": self._bighead,
            "/charset": self._charset,
        }
        if path in special:
            special[path](arg, head_only)
        else:
            self._file(path, head_only)

    def _slow(self, arg, head_only):
        time.sleep(float(arg("seconds", "1")))
        name = arg("file", "")
        if name:
            self._file("/" + name.lstrip("/"), head_only)
        else:
            self._reply(200, b"slow\n", head_only=head_only)

    def _trickle(self, arg, head_only):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        if head_only:
            return
        while True:
            self._write_chunk(b"x")
            time.sleep(2)

    def _endless(self, arg, head_only):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if head_only:
            return
        chunk = b"<item/>" * (ENDLESS_CHUNK // 7)
        while True:
            self._write_chunk(chunk)

    def _bomb(self, arg, head_only):
        mb = int(arg("mb", "64"))
        body = self.server.bomb(mb)
        self._reply(200, body, content_type="application/rss+xml",
                    headers=[("Content-Encoding", "gzip")], head_only=head_only)

    def _redirect(self, arg, head_only):
        code = int(arg("code", "302"))
        to = arg("to", "/")
        # A validator on the redirect itself: clients must keep only the final
        # response's validators.
        self._reply(code, b"redirecting\n", content_type="text/html",
                    headers=[("Location", to), ("ETag", '"redirect"'),
                             ("Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT")],
                    head_only=head_only)

    def _loop(self, arg, head_only):
        self._reply(302, b"loop\n", headers=[("Location", "/loop")], head_only=head_only)

    def _status_code(self, arg, head_only):
        code = int(arg("code", "200"))
        retry_after = arg("retry_after", "")
        headers = [("Retry-After", retry_after)] if retry_after else []
        self._reply(code, b"status %d\n" % code, headers=headers, head_only=head_only)

    def _reset(self, arg, head_only):
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self._status = -1
        self.close_connection = True
        self.connection.close()

    def _truncated(self, arg, head_only):
        content = self._read_root_file(arg("file", ""))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(content) + 1000))
        self.end_headers()
        if not head_only:
            self.wfile.write(content)
            self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _hang(self, arg, head_only):
        time.sleep(float(arg("seconds", "3600")))
        self.close_connection = True

    def _bighead(self, arg, head_only):
        kb = int(arg("kb", "1024"))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        # Many ordinary-looking lines: what a misconfigured server or a cookie
        # storm would send.
        line = "x" * 1000
        for i in range(kb):
            self.send_header("X-Filler-%d" % i, line)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _charset(self, arg, head_only):
        content = self._read_root_file(arg("file", ""))
        charset = arg("charset", "utf-8")
        self._reply(200, content, content_type="application/rss+xml; charset=" + charset,
                    head_only=head_only)

    def _read_root_file(self, name):
        root = self.server.root
        full = os.path.realpath(os.path.join(root, name.lstrip("/")))
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return b""
        with open(full, "rb") as f:
            return f.read()

    def _echo_headers(self, arg, head_only):
        body = json.dumps({k: v for k, v in self.headers.items()}).encode()
        self._reply(200, body, content_type="application/json", head_only=head_only)

    def _file(self, path, head_only):
        root = self.server.root
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not (full == root or full.startswith(root + os.sep)) or not os.path.isfile(full):
            self._reply(404, b"not found\n", head_only=head_only)
            return
        with open(full, "rb") as f:
            content = f.read()
        mtime = int(os.stat(full).st_mtime)
        etag = '"%s"' % hashlib.sha256(content).hexdigest()[:32]
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        validators = [("ETag", etag), ("Last-Modified", last_modified),
                      ("Vary", "Accept-Encoding")]

        if self._not_modified(etag, mtime):
            self._reply(304, headers=validators, head_only=head_only)
            return

        content_type = CONTENT_TYPES.get(os.path.splitext(full)[1].lower(),
                                         "application/octet-stream")
        headers = list(validators)
        if self._accepts_gzip():
            content = gzip.compress(content)
            headers.append(("Content-Encoding", "gzip"))
        self._reply(200, content, content_type=content_type, headers=headers,
                    head_only=head_only)

    def _not_modified(self, etag, mtime):
        # RFC 9110 13.2.2: If-None-Match, when present, decides alone.
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            return any(t == "*" or t.removeprefix("W/") == etag for t in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return mtime <= since
        return False


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # /trickle and /endless handlers must not block exit
    allow_reuse_address = True

    def __init__(self, address, root, log):
        super().__init__(address, Handler)
        self.root = os.path.realpath(root)
        self.log = log
        self._bombs = {}
        self._bomb_lock = threading.Lock()

    def handle_error(self, request, client_address):
        # A client that hangs up (a fetcher enforcing max_body or a timeout)
        # is what fault tests do on purpose: not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def bomb(self, mb):
        with self._bomb_lock:
            if mb not in self._bombs:
                self._bombs[mb] = gzip.compress(bytes(mb * 1024 * 1024), compresslevel=9)
            return self._bombs[mb]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="directory to serve")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--log", help="JSON-lines request log")
    args = parser.parse_args()

    if not os.path.isdir(args.root):
        sys.exit(f"feedserver: --root {args.root}: not a directory")

    server = Server(("127.0.0.1", args.port), args.root, Log(args.log))

    def on_sigterm(signum, frame):
        raise SystemExit(0)  # unwinds serve_forever in the main thread

    signal.signal(signal.SIGTERM, on_sigterm)

    if args.port_file:
        # Written atomically so a reader never sees a partial number.
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(f"{server.server_address[1]}\n")
        os.replace(tmp, args.port_file)

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

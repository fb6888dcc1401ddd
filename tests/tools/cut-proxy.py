#!/usr/bin/python3
"""An HTTP proxy on 127.0.0.1 in front of a registry, for the redirect and
resume tests.

cut-proxy.py PORT UPSTREAM_PORT LOG [CUT_BYTES [DELAY [always]]]

Forwards GET and HEAD to 127.0.0.1:UPSTREAM_PORT and logs "METHOD PATH
RANGE STATUS" per request to LOG.  A blob GET is redirected (307, a
relative Location) to /_r/PATH, as registries redirect to blob storage;
there, the first GET of each blob is cut after CUT_BYTES bytes of its body
(0: never; with "always", every GET of it) by closing the connection, as a
network failure would, and bodies are sent in 16 KiB pieces DELAY seconds
apart (a slow link).
"""
import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cut = int(sys.argv[4]) if len(sys.argv) > 4 else 0
delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0
always = len(sys.argv) > 6 and sys.argv[6] == "always"
seen = set()
lock = threading.Lock()


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method):
        path = self.path
        if method == "GET" and "/blobs/sha256:" in path and not path.startswith("/_r/"):
            log("%s %s %s 307" % (method, path, self.headers.get("Range", "-")))
            self.send_response(307)
            self.send_header("Location", "/_r" + path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        redirected = path.startswith("/_r/")
        if redirected:
            path = path[3:]
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection")}
        c = http.client.HTTPConnection("127.0.0.1", upstream)
        c.request(method, path, headers=headers)
        r = c.getresponse()
        first = False
        with lock:
            if redirected and (always or path not in seen):
                seen.add(path)
                first = True
        log("%s %s %s %d" % (method, self.path, self.headers.get("Range", "-"), r.status))
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        body = r.read() if method == "GET" else b""
        c.close()
        limit = cut if first and cut and r.status in (200, 206) and len(body) > cut else len(body)
        try:
            for off in range(0, limit, 16384):
                self.wfile.write(body[off:min(off + 16384, limit)])
                self.wfile.flush()
                if delay and redirected:
                    time.sleep(delay)
        except OSError:
            return
        if limit < len(body):
            self.close_connection = True
            self.connection.shutdown(2)

    def do_GET(self):
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()

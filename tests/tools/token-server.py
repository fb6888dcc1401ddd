#!/usr/bin/python3
"""A registry token server for the bearer-auth tests (Docker's token spec).

token-server.py KEY.pem CERT.pem PORT USER PASSWORD ISSUER SERVICE

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with HTTP
basic auth USER:PASSWORD answers {"token": JWT} granting the scopes asked;
without credentials or with wrong ones, 401 (no anonymous access).
The JWT is RS256-signed with KEY and carries CERT in its x5c header, which
the registry trusts through its rootcertbundle.  Listens on 127.0.0.1 only
and logs one line per request to stdout.
"""
import base64
import json
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

key_pem = open(sys.argv[1], "rb").read()
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
port, user, password, issuer, service = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stdout.write("%s\n" % (fmt % args))
        sys.stdout.flush()

    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        who = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if u == user and p == password:
                who = u
        if who is None:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        access = []
        for s in q.get("scope", []):
            parts = s.split(":")
            if len(parts) < 3:
                continue
            actions = parts[-1].split(",")
            access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": actions})
        now = int(time.time())
        claims = {"iss": issuer, "sub": who or "", "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        token = jwt.encode(claims, key_pem, algorithm="RS256", headers={"x5c": [x5c]})
        body = json.dumps({"token": token, "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()

#!/usr/bin/env python3
"""A tiny DNS responder for tests: answers one name with one IPv4 address,
over UDP and TCP on ADDR:53, and says NXDOMAIN (or no A record) for the rest.

usage: dns-responder.py ADDR NAME IPV4 READY_FILE
It writes READY_FILE once both sockets listen, and runs until killed."""
import socket
import struct
import sys
import threading


def answer(query, name, ip):
    if len(query) < 12:
        return None
    qid, _flags, qd = struct.unpack("!HHH", query[:6])
    if qd != 1:
        return None
    i, labels = 12, []
    while i < len(query) and query[i] != 0:
        n = query[i]
        labels.append(query[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    i += 1
    if i + 4 > len(query):
        return None
    qtype, _qclass = struct.unpack("!HH", query[i:i + 4])
    question = query[12:i + 4]
    qname = ".".join(labels).lower()
    known = qname == name
    rcode = 0 if known else 3  # NXDOMAIN
    an = 1 if known and qtype == 1 else 0
    head = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, an, 0, 0)
    body = question
    if an:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(ip)
    return head + body


def serve_udp(sock, name, ip):
    while True:
        data, peer = sock.recvfrom(512)
        out = answer(data, name, ip)
        if out:
            sock.sendto(out, peer)


def serve_tcp(sock, name, ip):
    while True:
        conn, _ = sock.accept()
        with conn:
            try:
                head = conn.recv(2)
                (n,) = struct.unpack("!H", head)
                data = b""
                while len(data) < n:
                    chunk = conn.recv(n - len(data))
                    if not chunk:
                        break
                    data += chunk
                out = answer(data, name, ip)
                if out:
                    conn.sendall(struct.pack("!H", len(out)) + out)
            except (OSError, struct.error):
                pass


def main():
    addr, name, ip, ready = sys.argv[1], sys.argv[2].lower().rstrip("."), sys.argv[3], sys.argv[4]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((addr, 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(8)
    threading.Thread(target=serve_tcp, args=(t, name, ip), daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    serve_udp(u, name, ip)


if __name__ == "__main__":
    main()

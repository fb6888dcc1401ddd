#!/usr/bin/python3
"""Tiny TCP/UDP probe for the network e2e tests.

  netprobe.py serve tcp|udp PORT [ADDR [NAME]]
                                   answer every connection or datagram with
                                   "[NAME ]from PEER_ADDRESS" (so a test sees
                                   the source address the server saw)
  netprobe.py ask tcp|udp HOST PORT [TIMEOUT [SOURCE_PORT]]
                                   print the answer; exit 1 without one
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(proto, port, addr="0.0.0.0", name=""):
    tag = name + " " if name else ""
    fam = family(addr)
    if proto == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(64)
        while True:
            c, peer = s.accept()
            try:
                c.sendall(("%sfrom %s\n" % (tag, peer[0])).encode())
            except OSError:
                pass
            c.close()
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(("%sfrom %s\n" % (tag, peer[0])).encode(), peer)


def ask(proto, host, port, timeout, sport=0):
    try:
        if proto == "tcp":
            s = socket.create_connection((host, port), timeout=timeout)
            s.settimeout(timeout)
            data = s.recv(256)
        else:
            s = socket.socket(family(host), socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if ":" in host else "0.0.0.0", sport))
            s.settimeout(timeout)
            s.sendto(b"ping", (host, port))
            data, _ = s.recvfrom(256)
    except OSError as e:
        print("no answer: %s" % e, file=sys.stderr)
        return 1
    sys.stdout.write(data.decode())
    return 0 if data else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), *sys.argv[4:6])
    else:
        sys.exit(ask(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                     float(sys.argv[5]) if len(sys.argv) > 5 else 2.0,
                     int(sys.argv[6]) if len(sys.argv) > 6 else 0))

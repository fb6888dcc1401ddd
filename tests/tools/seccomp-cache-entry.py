#!/usr/bin/env python3
"""Rewrite an entry of berth's seccomp cache (src/lib/linux/seccomp_cache.c)
in place, keeping its key, owner and mode, with a program that allows every
syscall and a checksum that matches: what someone able to write the cache
would do.  Tests use it to show that a cache entry decides the container's
filter, and that berth refuses entries it must not trust.

  seccomp-cache-entry.py allow-all ENTRY
"""
import struct
import sys

HEADER = struct.Struct("=QIIQ")  # magic, key_len, n_insns, checksum
SECCOMP_RET_ALLOW = 0x7FFF0000
BPF_RET_K = 0x06


def fnv1a(data, h=0xCBF29CE484222325):
    for c in data:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "allow-all":
        sys.exit(__doc__)
    with open(sys.argv[2], "r+b") as f:
        data = f.read()
        magic, key_len, _, _ = HEADER.unpack_from(data)
        key = data[HEADER.size:HEADER.size + key_len]
        prog = struct.pack("=HBBI", BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)
        f.seek(0)
        f.write(HEADER.pack(magic, key_len, 1, fnv1a(key + prog)) + key + prog)
        f.truncate()


if __name__ == "__main__":
    main()

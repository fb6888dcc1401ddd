#!/usr/bin/env python3
"""Run a command on a new pty and drive it: pty-drive.py SCRIPT -- CMD...

SCRIPT is a list of steps separated by ';;': "send:TEXT" writes TEXT
(\\n, \\x10 escapes), "expect:TEXT" reads until TEXT appears (10 s).  The
output is printed at the end and the command's exit status is ours."""
import os
import pty
import select
import sys
import time


def main():
    sep = sys.argv.index("--")
    steps = sys.argv[1].split(";;") if sep > 1 else []
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = b""

    def read_some(timeout):
        nonlocal seen
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(fd, 4096)
        except OSError:
            return None
        if not data:
            return None
        seen += data
        return True

    for step in steps:
        kind, _, text = step.partition(":")
        text = text.encode().decode("unicode_escape").encode("latin-1")
        if kind == "send":
            time.sleep(0.2)
            os.write(fd, text)
        elif kind == "expect":
            deadline = time.time() + 10
            while text not in seen and time.time() < deadline:
                if read_some(0.2) is None:
                    break
            if text not in seen:
                sys.stdout.write(seen.decode(errors="replace"))
                print("\npty-drive: did not see %r" % text)
                os.kill(pid, 9)
                sys.exit(99)
    deadline = time.time() + 10
    while time.time() < deadline and read_some(0.2) is not None:
        pass
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(st))


main()

#!/usr/bin/env python3
"""stop-recorder.py FILE NAME DELAY [ignore | child CHILD_DELAY]

A service that appends "up NAME T", "term NAME T" and "exit NAME T" to
FILE, T in seconds of CLOCK_MONOTONIC (the test's time.monotonic()).  On
SIGTERM it lingers DELAY seconds, then exits 0.  "ignore": SIGTERM is
recorded, then ignored (only SIGKILL ends it).  "child": it also forks a
child in its process group that does the same as NAME-child, lingering
CHILD_DELAY seconds, so that the job's tree outlives its main process.
"""
import os
import signal
import sys
import time


def rec(path, what, name):
    # one write(2) with O_APPEND: lines of several jobs never interleave
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                 0o644)
    try:
        os.write(fd, ("%s %s %.6f\n" % (what, name, time.monotonic()))
                 .encode())
    finally:
        os.close(fd)


def serve(path, name, delay, ignore):
    got = []

    def on_term(signo, frame):
        rec(path, "term", name)
        if not ignore:
            got.append(signo)
    signal.signal(signal.SIGTERM, on_term)
    rec(path, "up", name)
    while not got:
        time.sleep(0.01)    # pause() could miss a TERM just before it
    time.sleep(delay)
    rec(path, "exit", name)
    sys.exit(0)


def main():
    path, name, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    if mode == "child" and os.fork() == 0:
        serve(path, name + "-child", float(sys.argv[5]), False)
    serve(path, name, delay, mode == "ignore")


main()

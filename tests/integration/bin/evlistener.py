#!/usr/bin/env python3
"""A supervisord event listener for the tests, speaking the protocol by hand.

evlistener.py OUT MODE [ARG]: appends "pid serial poolserial eventname" and
the payload to OUT for every event, then answers by MODE:
  ok        RESULT 2 OK
  failfirst RESULT 4 FAIL the first time a serial is seen (OUT.seen), else OK
  crashfirst exit(3) on the first event ever (marker OUT.crashed), else OK
  killfatal on PROCESS_STATE_FATAL: kill -QUIT the pid in ARG (a pidfile)
  silent    never says READY
  hold      takes the first event and never answers it
  drain     ok, but ignores SIGTERM and exits once it has acknowledged an
            event named ARG (a shutdown's last words reach it)
"""
import os
import signal
import sys

out, mode = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer


def ready():
    stdout.write(b"READY\n")
    stdout.flush()


def result(body):
    stdout.write(b"RESULT %d\n%s" % (len(body), body))
    stdout.flush()


if mode == "drain":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "silent":
    stdin.read()
    sys.exit(0)
while True:
    ready()
    line = stdin.readline()
    if not line:
        sys.exit(0)
    hdr = dict(t.split(":", 1) for t in line.decode().split())
    payload = stdin.read(int(hdr["len"]))
    with open(out, "ab") as f:
        f.write(("%d %s %s %s\n" % (os.getpid(), hdr["serial"],
                 hdr["poolserial"], hdr["eventname"])).encode())
        f.write(b"  " + payload.replace(b"\n", b"\\n") + b"\n")
    if mode == "hold":
        stdin.read()
        sys.exit(0)
    if mode == "failfirst":
        seen = out + ".seen"
        serials = open(seen).read().split() if os.path.exists(seen) else []
        if hdr["serial"] not in serials:
            with open(seen, "a") as f:
                f.write(hdr["serial"] + "\n")
            result(b"FAIL")
            continue
    if mode == "crashfirst" and not os.path.exists(out + ".crashed"):
        open(out + ".crashed", "w").write(hdr["serial"])
        os._exit(3)
    if mode == "killfatal" and hdr["eventname"] == "PROCESS_STATE_FATAL":
        os.kill(int(open(arg).read().strip()), signal.SIGQUIT)
    result(b"OK")
    if mode == "drain" and hdr["eventname"] == arg:
        sys.exit(0)

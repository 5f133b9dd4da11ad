#!/usr/bin/env python3
"""notify-ready.py DELAY FILE: send READY=1 on $NOTIFY_SOCKET after DELAY s."""
import os, socket, sys, time
time.sleep(float(sys.argv[1]))
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sent = time.monotonic_ns()      # before: drover may pass READY on at once
s.sendto(b"READY=1\nSTATUS=serving", addr)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % sent)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
while True:
    time.sleep(60)

#!/usr/bin/env python3
"""notify-send.py MARKER DELAY MSG... LAST: send each MSG (Python escapes
such as \\x00 decoded) on $NOTIFY_SOCKET, wait DELAY s, create MARKER, then
send LAST; then sleep."""
import os, socket, sys, time
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
msgs = [m.encode().decode("unicode_escape").encode("latin-1")
        for m in sys.argv[3:]]
for m in msgs[:-1]:
    s.sendto(m, addr)
time.sleep(float(sys.argv[2]))
open(sys.argv[1], "w").close()
s.sendto(msgs[-1], addr)
while True:
    time.sleep(60)

#!/usr/bin/python3
"""rpc-child.py OUT: asks drover about itself through supervisord's
childutils (SUPERVISOR_SERVER_URL), writes the answer to OUT, then copies
each line of stdin to OUT.  Debian's python3 has supervisor.childutils."""
import os
import sys

from supervisor import childutils

out = sys.argv[1]
rpc = childutils.getRPCInterface(os.environ)
info = rpc.supervisor.getProcessInfo(os.environ["SUPERVISOR_PROCESS_NAME"])
with open(out + ".tmp", "w") as f:
    f.write("%s %s %d\n" % (os.environ["SUPERVISOR_SERVER_URL"],
                            info["statename"], info["pid"]))
os.rename(out + ".tmp", out)
for line in sys.stdin:
    with open(out, "a") as f:
        f.write("stdin: " + line)

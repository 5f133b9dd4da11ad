#!/usr/bin/env python3
"""bigconf.py N [options] > FILE: a large configuration for timing
`drover -t -c FILE` and reloads (doc/RELIABILITY.md, configuration size).

Default: N [program:sNNNNNN] sections (command = sleep 1000, autostart =
false, so a drover started on it spawns nothing); the first half of them
in [group:gNNNNN] sections of --group-size programs.
  --after       each program after = the one before it (a chain)
  --change K    the first K commands differ (sleep 1001): a reload restarts
                exactly those
  --one-group   N [task:tNNNNNN] sections instead, all in one group whose
                jobs = list takes N continuation lines
  --files F     --one-group's opposite: N programs spread over F files in
                DIR/conf.d, included by DIR/main.ini (needs --dir)
"""
import argparse
import os
import sys


def programs(a):
    out = ["[drover]", "socket = none", ""]
    for i in range(a.n):
        out += ["[program:s%06d]" % i,
                "command = sleep %d" % (1001 if i < a.change else 1000),
                "autostart = false"]
        if a.after and i > 0:
            out.append("after = s%06d" % (i - 1))
        out.append("")
    half = a.n // 2
    for g, start in enumerate(range(0, half, a.group_size)):
        end = min(start + a.group_size, half)
        out += ["[group:g%05d]" % g, "programs = " +
                ", ".join("s%06d" % i for i in range(start, end)), ""]
    return "\n".join(out)


def one_group(a):
    out = ["[drover]", "socket = none"]
    for i in range(a.n):
        out += ["[task:t%06d]" % i, "command = /bin/true"]
    out += ["[group:big]", "max_concurrent = 64", "jobs ="]
    out += ["  t%06d," % i for i in range(a.n)]
    return "\n".join(out) + "\n"


def files(a):
    os.makedirs(os.path.join(a.dir, "conf.d"), exist_ok=True)
    with open(os.path.join(a.dir, "main.ini"), "w") as f:
        f.write("[drover]\nsocket = none\ninclude = conf.d/*.ini\n")
    per = a.n // a.files
    for k in range(a.files):
        out = []
        for i in range(k * per, (k + 1) * per):
            out += ["[program:p%06d]" % i, "command = sleep 1000"]
        with open(os.path.join(a.dir, "conf.d", "f%04d.ini" % k), "w") as f:
            f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--group-size", type=int, default=100)
    ap.add_argument("--after", action="store_true")
    ap.add_argument("--change", type=int, default=0)
    ap.add_argument("--one-group", action="store_true")
    ap.add_argument("--files", type=int, default=0)
    ap.add_argument("--dir")
    a = ap.parse_args()
    if a.files > 0:
        if a.dir is None:
            ap.error("--files needs --dir")
        files(a)
    elif a.one_group:
        sys.stdout.write(one_group(a))
    else:
        sys.stdout.write(programs(a))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Per-run analysis for bench/run: reads the raw files a run leaves behind
(stamp files, time-stamped log lines, launch info) and prints key=value.

  analyze.py stamps STAMPS T0_NS            first_ms last_ms count
  analyze.py line LINES T0_NS TEXT          ms of the first line containing TEXT
  analyze.py crash STAMPS SKIP_MS WIN_MS [LINES]
        spawns in the window that starts SKIP_MS after the first spawn,
        restarts/s, exit->respawn gaps, and with LINES (drover's log with
        arrival times) exit->noticed from its "(pid N, exit 1" lines
"""
import re
import statistics
import sys


def q(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, max(0, int(round(p * (len(xs) - 1)))))
    return xs[k]


def fmt(x):
    return "NA" if x != x else f"{x:.3f}"


def stamps(path, t0):
    vals = []
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line.isdigit():
                vals.append(int(line))
    if not vals:
        print("first_ms=NA last_ms=NA count=0")
        return
    print(f"first_ms={fmt((min(vals) - t0) / 1e6)} "
          f"last_ms={fmt((max(vals) - t0) / 1e6)} count={len(vals)}")


def line(path, t0, text):
    with open(path, errors="replace") as f:
        for ln in f:
            ts, _, rest = ln.partition(" ")
            if text in rest:
                print(fmt((int(ts) - t0) / 1e6))
                return
    print("NA")


def crash(path, skip_ms, win_ms, lines=None):
    recs = []
    with open(path) as f:
        for ln in f:
            p = ln.split()
            if len(p) == 3:
                recs.append((int(p[0]), int(p[1]), int(p[2])))
    recs.sort(key=lambda r: r[1])
    if len(recs) < 2:
        print(f"spawns=0 rate=0 gap_med_ms=NA gap_min_ms=NA gap_p90_ms=NA "
              f"gap_max_ms=NA total={len(recs)}")
        return
    a = recs[0][1] + skip_ms * 1e6
    b = a + win_ms * 1e6
    win = [r for r in recs if a <= r[1] < b]
    gaps = [(recs[i + 1][1] - recs[i][2]) / 1e6 for i in range(len(recs) - 1)
            if a <= recs[i][1] and recs[i + 1][1] < b]
    out = (f"spawns={len(win)} rate={len(win) / (win_ms / 1000):.2f} "
           f"gap_med_ms={fmt(statistics.median(gaps) if gaps else float('nan'))} "
           f"gap_min_ms={fmt(min(gaps) if gaps else float('nan'))} "
           f"gap_p90_ms={fmt(q(gaps, 0.9))} "
           f"gap_max_ms={fmt(max(gaps) if gaps else float('nan'))} "
           f"total={len(recs)}")
    if lines:
        end = {r[0]: r[2] for r in win}
        pat = re.compile(r"\(pid (\d+), exit ")
        noticed = []
        with open(lines, errors="replace") as f:
            for ln in f:
                m = pat.search(ln)
                if m and int(m.group(1)) in end:
                    ts = int(ln.split(" ", 1)[0])
                    noticed.append((ts - end[int(m.group(1))]) / 1e6)
        if noticed:
            out += (f" notice_med_ms={fmt(statistics.median(noticed))} "
                    f"notice_p90_ms={fmt(q(noticed, 0.9))} "
                    f"notice_max_ms={fmt(max(noticed))} "
                    f"notice_n={len(noticed)}")
    print(out)


def main(argv):
    if len(argv) >= 3 and argv[0] == "stamps":
        stamps(argv[1], int(argv[2]))
    elif len(argv) >= 4 and argv[0] == "line":
        line(argv[1], int(argv[2]), " ".join(argv[3:]))
    elif len(argv) >= 4 and argv[0] == "crash":
        crash(argv[1], float(argv[2]), float(argv[3]),
              argv[4] if len(argv) > 4 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

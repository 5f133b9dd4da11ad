#!/usr/bin/env python3
"""Run history (issue 18): droverctl history, the status statistics, the
history key."""
import json
import os
import signal
import subprocess

import harness
from harness import wait_for, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")

# Run n of the task exits with codes[n - 1] (the runs counted in a file).
FLAKY = """
[task:flaky]
command = /bin/sh -c 'n=$(($(cat @DIR@/n 2>/dev/null || echo 0) + 1)); \
echo $n > @DIR@/n; case $n in 2|4) exit 3;; esac'
autostart = false
%s

[service:web]
command = /bin/sleep 1000
startsecs = 0
"""


class HistoryTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        if not os.access(DROVERCTL, os.X_OK):
            self.skipTest("droverctl not built")

    def ctl(self, d, *args):
        return subprocess.run([DROVERCTL, "-s", d.socket] + list(args),
                              capture_output=True, text=True,
                              timeout=30 * SCALE)

    def ctl_json(self, d, *args):
        r = self.ctl(d, "--json", *args)
        return r.returncode, json.loads(r.stdout)

    def one(self, d, cmd, name):
        rc, rep = self.ctl_json(d, cmd, name)
        self.assertEqual(rc, 0, rep)
        (inst,) = rep["instances"]
        return inst

    def start(self, conf):
        d = self.drover(conf)
        wait_for(lambda: os.path.exists(d.socket), 10, what="socket")
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status answers")
        return d

    def run_times(self, d, name, n):
        """Run the task n times, each once the one before has ended."""
        for i in range(1, n + 1):
            r = self.ctl(d, "run", name)
            self.assertEqual(r.returncode, 0, r.stderr)
            wait_for(lambda: self.one(d, "status", name)["stats"]["runs"]
                     == i and self.one(d, "status", name)["state"]
                     == "EXITED", 10, what="run %d of %s ended" % (i, name))

    def finish(self, d):
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_five_runs_two_failed(self):
        d = self.start(FLAKY % "")
        self.run_times(d, "flaky", 5)
        h = self.one(d, "history", "flaky")
        self.assertEqual([r["code"] for r in h["runs"]], [0, 3, 0, 3, 0])
        self.assertEqual([r["result"] for r in h["runs"]],
                         ["ok", "failed", "ok", "failed", "ok"])
        starts = [r["start_ms"] for r in h["runs"]]
        self.assertEqual(starts, sorted(starts))
        self.assertEqual(len(set(r["pid"] for r in h["runs"])), 5)
        for r in h["runs"]:
            self.assertEqual(r["tries"], 1)
            self.assertGreaterEqual(r["end_ms"], r["start_ms"])
            self.assertIsInstance(r["duration_ms"], int)
        st = h["stats"]
        self.assertEqual((st["runs"], st["ok"], st["by_result"]["failed"]),
                         (5, 3, 2))
        self.assertAlmostEqual(st["success_rate"], 0.6)
        self.assertEqual(st["last_duration_ms"], h["runs"][-1]["duration_ms"])
        self.assertEqual(st["median_duration_ms"], sorted(
            r["duration_ms"] for r in h["runs"])[2])
        # the table: a header and the five runs, oldest first
        r = self.ctl(d, "history", "flaky")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^START\s+DURATION\s+PID\s+EXIT\s+"
                         r"RESULT\s+TRIES$")
        rows = lines[1:6]
        self.assertEqual([l.split()[6] for l in rows],
                         ["ok", "failed", "ok", "failed", "ok"])
        for l, run in zip(rows, h["runs"]):
            self.assertRegex(l, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+"
                             r"\d+\.\d{3}s\s+%d\s+exit %d\s+\w+\s+1$"
                             % (run["pid"], run["code"]))
        self.assertRegex(lines[6], r"^flaky: 3/5 ok \(60%\), last "
                         r"\d+\.\d{3}s, median \d+\.\d{3}s$")
        # status: the same figures, services untouched
        r = self.ctl(d, "status")
        self.assertRegex(r.stdout, r"(?m)^flaky\s+EXITED\s+last ok \(exit 0, "
                         r"[0-9.]+s\), 3/5 ok \(60%\), median [0-9.]+s$")
        self.assertRegex(r.stdout, r"(?m)^web\s+RUNNING\s+pid \d+, "
                         r"uptime [0-9:]+$")
        web = self.one(d, "status", "web")
        self.assertEqual(web["stats"]["runs"], 0)
        self.assertIsNone(web["stats"]["success_rate"])
        self.finish(d)

    def test_history_key_bounds_the_ring(self):
        d = self.start(FLAKY % "history = 3")
        self.run_times(d, "flaky", 5)
        h = self.one(d, "history", "flaky")
        self.assertEqual([r["code"] for r in h["runs"]], [0, 3, 0])
        self.assertEqual(h["history"], 3)
        self.assertEqual(h["stats"]["runs"], 5)     # counters: every run
        self.assertEqual(h["stats"]["kept"], 3)
        r = self.ctl(d, "history", "flaky")
        self.assertEqual(len(r.stdout.splitlines()), 1 + 3 + 1, r.stdout)
        # a reload that shrinks it keeps the newest; the counters stay
        with open(d.path, "w") as f:
            f.write((FLAKY % "history = 2").replace("@DIR@", self.tmp))
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: ")
        wait_for(lambda: self.one(d, "history", "flaky")["history"] == 2, 10,
                 what="history = 2 applied")
        h = self.one(d, "history", "flaky")
        self.assertEqual([r["code"] for r in h["runs"]], [3, 0])
        self.assertEqual(h["stats"]["runs"], 5)
        self.finish(d)

    def test_retries_count_tries(self):
        d = self.start("""
            [task:doomed]
            command = /bin/sh -c 'exit 7'
            autostart = false
            retries = 2
            backoff = 0.01
            """)
        r = self.ctl(d, "run", "doomed")
        wait_for(lambda: self.one(d, "status", "doomed")["stats"]["runs"] == 3
                 and self.one(d, "status", "doomed")["state"] == "EXITED",
                 10, what="three tries")
        h = self.one(d, "history", "doomed")
        self.assertEqual([(x["tries"], x["code"]) for x in h["runs"]],
                         [(1, 7), (2, 7), (3, 7)])
        self.assertEqual(h["stats"]["success_rate"], 0)
        self.finish(d)

    def test_history_is_memory_only(self):
        d = self.start(FLAKY % "")
        self.run_times(d, "flaky", 1)
        self.finish(d)
        d = self.start(FLAKY % "")
        h = self.one(d, "history", "flaky")
        self.assertEqual((h["runs"], h["stats"]["runs"]), ([], 0))
        self.finish(d)

    def test_every_run_of_a_periodic_task(self):
        d = self.start("""
            [task:tick]
            command = /bin/sh -c 'n=$(($(cat @DIR@/t 2>/dev/null || echo 0) + 1)); echo $n > @DIR@/t; exit $((n % 2))'
            interval = 0.2s
            history = 20
            """)
        wait_for(lambda: self.one(d, "status", "tick")["stats"]["runs"] >= 4,
                 15, what="four interval runs")
        h = self.one(d, "history", "tick")
        runs = h["runs"]
        self.assertEqual(len(runs), h["stats"]["runs"])
        # run n exits n % 2: failed, ok, failed, ok ...
        self.assertEqual([r["result"] for r in runs],
                         [["ok", "failed"][(i + 1) % 2]
                          for i in range(len(runs))])
        starts = [r["start_ms"] for r in runs]
        self.assertEqual(starts, sorted(starts))
        self.assertEqual(len(set(starts)), len(starts))
        self.finish(d)

    def test_unknown_name(self):
        d = self.start(FLAKY % "")
        r = self.ctl(d, "history", "flakey")
        self.assertEqual(r.returncode, 3)
        self.assertIn("no job, instance or group named 'flakey' (did you "
                      "mean 'flaky'?)", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.ctl(d, "history")
        self.assertEqual(r.returncode, 2)
        self.assertIn("wrong number of arguments for history", r.stderr)
        self.finish(d)

    def test_bad_history_values(self):
        for v in ("0", "banana", "1001", "-1"):
            with open(self.path("bad.ini"), "w") as f:
                f.write("[task:t]\ncommand = /bin/true\nhistory = %s\n" % v)
            r = subprocess.run([harness.DROVER, "-t", "-c",
                                self.path("bad.ini")], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 2, v)
            self.assertRegex(r.stderr, r"bad\.ini:3: .*history.*1 to 1000",
                             v)


if __name__ == "__main__":
    harness.main()

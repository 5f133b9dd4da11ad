#!/usr/bin/env python3
"""Tasks: concurrency bounds, timeouts, retries, after, interval, --once."""
import os
import re
import signal
import subprocess
import time

import harness
from harness import wait_for, pid_alive, descendants_of


def intervals(lines):
    """start/end stamps -> {name: [(start_ns, end_ns), ...]}"""
    runs, open_ = {}, {}
    for l in lines:
        kind, name, t = l.split()
        if kind == "start":
            open_[name] = int(t)
        else:
            runs.setdefault(name, []).append((open_.pop(name), int(t)))
    return runs


def peak(runs):
    ev = []
    for spans in runs.values():
        for a, b in spans:
            ev += [(a, 1), (b, -1)]
    cur = best = 0
    for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
        cur += d
        best = max(best, cur)
    return best


class TaskTest(harness.DroverTest):
    def once(self, config, *extra, timeout=60):
        d = self.drover(config, args=["--once"] + list(extra))
        return d, d.wait_exit(timeout)

    def test_group_bound_is_reached_and_never_exceeded(self):
        d, rc = self.once("""
            [group:g]
            jobs = t
            max_concurrent = 3
            [task:t]
            command = @BIN@/stamp.sh @DIR@/stamps %(process_num)d 0.2
            numprocs = 12
            """)
        self.assertEqual(rc, 0, d.log())
        runs = intervals(self.read_lines("stamps"))
        self.assertEqual(len(runs), 12)
        self.assertEqual(peak(runs), 3)

    def test_global_bound(self):
        d, rc = self.once("""
            [drover]
            max_concurrent = 2
            [task:a]
            command = @BIN@/stamp.sh @DIR@/stamps a%(process_num)d 0.2
            numprocs = 4
            [task:b]
            command = @BIN@/stamp.sh @DIR@/stamps b%(process_num)d 0.2
            numprocs = 4
            """)
        self.assertEqual(rc, 0, d.log())
        runs = intervals(self.read_lines("stamps"))
        self.assertEqual(len(runs), 8)
        self.assertEqual(peak(runs), 2)

    def test_timeout_cancels_and_reports_timeout(self):
        d, rc = self.once("""
            [task:slow]
            command = /bin/sleep 30
            timeout = 500ms
            """)
        self.assertEqual(rc, 1)
        self.assertRegex(d.log(), r"slow: timeout after 500ms, stopping")
        self.assertRegex(d.log(), r"summary: slow timeout")

    def test_retries_succeed_on_third_run(self):
        d, rc = self.once("""
            [task:flaky]
            command = @BIN@/fails-until.sh @DIR@/count 3
            retries = 2
            backoff = 100ms
            """)
        self.assertEqual(rc, 0, d.log())
        self.assertEqual(self.read("count").strip(), "3")
        self.assertRegex(d.log(), r"summary: flaky ok")

    def test_after_order_from_timestamps(self):
        d, rc = self.once("""
            [task:first]
            command = @BIN@/stamp.sh @DIR@/stamps first 0.3
            [task:second]
            command = @BIN@/stamp.sh @DIR@/stamps second 0.1
            after = first
            [task:free]
            command = @BIN@/stamp.sh @DIR@/stamps free 0.3
            """)
        self.assertEqual(rc, 0, d.log())
        runs = intervals(self.read_lines("stamps"))
        self.assertGreaterEqual(runs["second"][0][0], runs["first"][0][1])
        # jobs with nothing to wait for start in parallel
        self.assertLess(runs["free"][0][0], runs["first"][0][1])

    def test_failed_dependency_cancels_dependant(self):
        d, rc = self.once("""
            [task:migrate]
            command = /bin/false
            [task:app]
            command = /bin/touch @DIR@/app-ran
            after = migrate
            """)
        self.assertEqual(rc, 1)
        self.assertFalse(os.path.exists(self.path("app-ran")))
        self.assertRegex(d.log(), r"app: not started: dependency migrate failed")

    def test_once_ends_when_a_dependency_service_exited(self):
        d, rc = self.once("""
            [service:db]
            command = /bin/sh -c 'sleep 0.5; exit 0'
            startsecs = 100ms
            [task:prep]
            command = /bin/sleep 0.8
            [task:report]
            command = /bin/touch @DIR@/report-ran
            after = db, prep
            """, timeout=20)
        self.assertEqual(rc, 1)
        self.assertFalse(os.path.exists(self.path("report-ran")))
        self.assertRegex(d.log(), r"report: not started: dependency db failed")

    def test_notify_service_holds_back_dependant(self):
        d = self.drover("""
            [service:db]
            command = /usr/bin/python3 @BIN@/notify-ready.py 0.5 @DIR@/ready
            ready = notify
            [task:client]
            command = /bin/sh -c 'date +%%s%%N > @DIR@/client'
            after = db
            """)
        self.wait_file("client", 15)
        self.assertTrue(os.path.exists(self.path("ready")))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_interval_runs_without_overlap(self):
        d = self.drover("""
            [task:tick]
            command = @BIN@/stamp.sh @DIR@/stamps tick 0.3
            interval = 200ms
            """)
        wait_for(lambda: len(self.read_lines("stamps")) >= 6, 15,
                 what="three runs")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        runs = intervals([l for l in self.read_lines("stamps")
                          if l.count(" ") == 2])["tick"]
        for (a1, b1), (a2, b2) in zip(runs, runs[1:]):
            self.assertGreaterEqual(a2, b1)
            self.assertGreaterEqual((a2 - b1) / 1e6, 150)

    def test_once_exit_codes(self):
        d, rc = self.once("""
            [task:a]
            command = /bin/true
            [task:b]
            command = /bin/true
            """)
        self.assertEqual(rc, 0, d.log())
        self.assertRegex(d.log(), r"summary: a ok")
        self.assertRegex(d.log(), r"summary: b ok")

    def test_once_with_a_failure_exits_1_and_keeps_every_result(self):
        d, rc = self.once("""
            [task:bad]
            command = /bin/sh -c 'exit 5'
            [task:good]
            command = /bin/sleep 0.3
            """)
        self.assertEqual(rc, 1)
        self.assertRegex(d.log(), r"summary: bad failed")
        self.assertRegex(d.log(), r"summary: good ok")

    def test_fail_fast_cancels_the_rest(self):
        t0 = time.monotonic()
        d, rc = self.once("""
            [task:bad]
            command = /bin/sh -c 'sleep 0.2; exit 1'
            [task:long]
            command = @BIN@/escape.sh @DIR@/gc.pid
            """, "--fail-fast")
        self.assertEqual(rc, 1)
        self.assertLess(time.monotonic() - t0, 8)
        self.assertRegex(d.log(), r"summary: long cancelled")
        gc = int(self.read("gc.pid"))
        wait_for(lambda: not pid_alive(gc), 5, what="grandchild gone")

    def test_critical_failure_exits_1(self):
        d = self.drover("""
            [service:web]
            command = /bin/sleep 100
            [task:must]
            command = /bin/false
            critical = true
            """)
        self.assertEqual(d.wait_exit(), 1)
        self.assertRegex(d.log(), r"must: critical job failed for good")


if __name__ == "__main__":
    harness.main()

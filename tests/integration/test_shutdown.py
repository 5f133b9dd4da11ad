#!/usr/bin/env python3
"""The graceful shutdown (SPEC 7), measured from outside."""
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

import harness
from harness import wait_for, pid_alive


SEQUENCE = """
[drover]
shutdown_timeout = 2s

[service:web]
command = @BIN@/term-talker.sh @DIR@/web.ready
startsecs = 0
stopwaitsecs = 3s

[service:stubborn]
command = @BIN@/ignore-term.sh @DIR@/stubborn.pid
startsecs = 0
stopwaitsecs = 1s

[service:escaper]
command = @BIN@/escape.sh @DIR@/gc.pid
startsecs = 0

[group:batch]
jobs = long, queued
max_concurrent = 1

[task:long]
command = @BIN@/stamp.sh @DIR@/stamps long 60

[task:queued]
command = /bin/touch @DIR@/queued-ran

[task:short]
command = @BIN@/stamp.sh @DIR@/stamps short 0.5

[task:shielded]
command = @BIN@/stamp.sh @DIR@/stamps shielded 3
shield = true
timeout = 20s

[cleanup:flush]
command = /bin/sh -c 'date +%%s%%N > @DIR@/flush'
after = web
timeout = 5s

[cleanup:first]
command = /bin/sh -c 'date +%%s%%N > @DIR@/first'
timeout = 5s
"""


class ShutdownTest(harness.DroverTest):
    def test_the_whole_sequence(self):
        d = self.drover(SEQUENCE)
        self.wait_file("web.ready")
        stubborn = self.wait_pidfile("stubborn.pid")
        gc = self.wait_pidfile("gc.pid")
        wait_for(lambda: len([l for l in self.read_lines("stamps")
                              if l.startswith("start")]) == 3, 10,
                 what="three tasks in flight")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait_exit(30)
        elapsed = time.monotonic() - t0
        log = d.log()
        self.assertEqual(rc, 0, log)
        stamps = self.read_lines("stamps")
        # the short task finished inside the deadline
        self.assertTrue(any(l.startswith("end short") for l in stamps))
        self.assertRegex(log, r"report: short ok")
        # the shielded one ran past the deadline, to its end
        self.assertTrue(any(l.startswith("end shielded") for l in stamps))
        self.assertRegex(log, r"report: shielded ok")
        # the long one was cancelled at the deadline
        self.assertFalse(any(l.startswith("end long") for l in stamps))
        self.assertRegex(log, r"report: long cancelled")
        m = re.search(r"shutdown: deadline reached", log)
        self.assertIsNotNone(m)
        # queued work never started
        self.assertFalse(os.path.exists(self.path("queued-ran")))
        self.assertRegex(log, r"queued: cancelled before it started")
        # cleanups ran, flush after web had stopped
        self.assertTrue(os.path.exists(self.path("first")))
        self.assertTrue(os.path.exists(self.path("flush")))
        web_stop = log.index("web: cancelled")
        self.assertLess(web_stop, log.index("flush: ok"))
        # the TERM-ignoring service was SIGKILLed after stopwaitsecs
        self.assertRegex(log, r"stubborn: still running 1000ms after TERM, "
                              r"sending SIGKILL")
        self.assertFalse(pid_alive(stubborn))
        # escaped grandchildren are gone
        self.assertFalse(pid_alive(gc))
        # the lines printed in the TERM handler reached the log
        self.assertRegex(log, r"web\[\d+\]: got TERM, cleaning up")
        self.assertRegex(log, r"web\[\d+\]: bye from TERM handler")
        # announced worst case, and it is respected
        m = re.search(r"worst case (\S+)", log)
        self.assertIsNotNone(m)
        self.assertLess(elapsed, 12)
        self.assertGreater(elapsed, 2.5)  # the shielded task's 3 s
        self.assertRegex(log, r"had to be killed with SIGKILL")

    def test_deadline_cancels_not_before_not_much_after(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 1500ms
            [task:long]
            command = @BIN@/stamp.sh @DIR@/stamps long 60
            """)
        wait_for(lambda: self.read_lines("stamps"), 10, what="task started")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 1.45)
        self.assertLess(elapsed, 3.5)
        self.assertRegex(d.log(), r"report: long cancelled")

    def test_second_sigterm_cancels_at_once(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 60s
            [task:long]
            command = @BIN@/stamp.sh @DIR@/stamps long 60
            """)
        wait_for(lambda: self.read_lines("stamps"), 10, what="task started")
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown \(SIGTERM\)")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertLess(time.monotonic() - t0, 3)
        self.assertRegex(d.log(), r"second signal, cancelling now")

    def test_third_signal_kills_everything(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 60s
            [service:stubborn]
            command = @BIN@/ignore-term.sh @DIR@/stubborn.pid
            startsecs = 0
            stopwaitsecs = 60s
            """)
        pid = self.wait_pidfile("stubborn.pid")
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown \(SIGTERM\)")
        d.signal(signal.SIGINT)
        d.wait_log(r"second signal")
        d.signal(signal.SIGTERM)
        d.wait_exit(10)
        self.assertFalse(pid_alive(pid))
        self.assertRegex(d.log(), r"third signal, killing everything")

    def test_sigterm_during_startup(self):
        d = self.drover("""
            [service:slow]
            command = /bin/sleep 100
            startsecs = 10s
            numprocs = 5
            """)
        d.wait_log(r"drover .* started")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertEqual(len(re.findall(r"report: slow_\d cancelled",
                                        d.log())), 5)

    def test_hup_and_usr1_during_shutdown(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 1s
            [task:long]
            command = @BIN@/stamp.sh @DIR@/stamps long 60
            """)
        wait_for(lambda: self.read_lines("stamps"), 10, what="task started")
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown \(SIGTERM\)")
        d.signal(signal.SIGUSR1)
        d.signal(signal.SIGHUP)
        d.wait_log(r"status: long\s+STOPPING|status: long\s+RUNNING")
        self.assertEqual(d.wait_exit(), 0)

    def test_cleanup_after_cleanup_waits_whatever_the_file_order(self):
        d = self.drover("""
            [cleanup:second]
            command = @BIN@/stamp.sh @DIR@/stamps second 0.3
            after = first
            timeout = 5s
            [cleanup:first]
            command = @BIN@/stamp.sh @DIR@/stamps first 0.3
            timeout = 5s
            """)
        d.wait_log(r"drover .* started")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        kinds = [l.split()[:2] for l in self.read_lines("stamps")]
        self.assertEqual(kinds, [["start", "first"], ["end", "first"],
                                 ["start", "second"], ["end", "second"]])

    def test_cleanup_before_a_service_of_its_bounded_group(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 20s
            [group:g]
            jobs = web, dereg
            max_concurrent = 1
            [service:web]
            command = /bin/sh -c 'echo $$ > @DIR@/web.pid; exec sleep 1000'
            startsecs = 0
            [cleanup:dereg]
            command = /bin/sh -c 'echo deregistering; kill -0 $(cat @DIR@/web.pid) && echo web-still-up'
            before = web
            timeout = 5s
            """)
        self.wait_pidfile("web.pid")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertRegex(d.log(), r"dereg\[\d+\]: web-still-up")
        self.assertNotIn("deadline reached", d.log())

    def test_hanging_cleanup_is_bounded_by_its_timeout(self):
        d = self.drover("""
            [cleanup:hang]
            command = /bin/sleep 100
            timeout = 1s
            stopwaitsecs = 500ms
            """)
        d.wait_log(r"drover .* started")
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertRegex(d.log(), r"report: hang timeout")

    @unittest.skipUnless(shutil.which("redis-server") and
                         shutil.which("redis-cli"), "no redis-server")
    def test_redis_keeps_its_data_across_a_drover_shutdown(self):
        conf = """
            [service:redis]
            command = /usr/bin/redis-server --port 0 --unixsocket @DIR@/redis.sock --dir @DIR@ --save "3600 1" --appendonly no --daemonize no
            ready = startsecs
            startsecs = 200ms
            """
        cli = ["redis-cli", "-s", self.path("redis.sock")]
        for round_ in range(2):
            d = self.drover(conf)
            d.wait_log(r"all autostart services are up")
            wait_for(lambda: subprocess.run(cli + ["PING"],
                     capture_output=True, text=True).stdout.strip() ==
                     "PONG", 10, what="redis answers")
            if round_ == 0:
                r = subprocess.run(cli + ["SET", "drover", "kept"],
                                   capture_output=True, text=True)
                self.assertEqual(r.stdout.strip(), "OK")
            else:
                r = subprocess.run(cli + ["GET", "drover"],
                                   capture_output=True, text=True)
                self.assertEqual(r.stdout.strip(), "kept")
            d.signal(signal.SIGTERM)
            self.assertEqual(d.wait_exit(), 0)
            self.assertRegex(d.log(), r"redis\[\d+\]: .*DB saved on disk")
            self.assertRegex(d.log(), r"report: redis cancelled")

    @unittest.skipUnless(shutil.which("unshare"), "no unshare")
    def test_as_pid1_reaps_orphans_and_obeys_sigterm(self):
        conf = self.path("pid1.ini")
        with open(conf, "w") as f:
            f.write("""
[drover]
socket = none
[service:orphaner]
command = /bin/sh -c 'for i in 1 2 3 4 5; do (sleep 0.05 &) ; done; exec sleep 100'
startsecs = 0
""")
        out = open(self.path("pid1.log"), "wb")
        p = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", harness.DROVER,
             "-c", conf, "-l", "debug"],
            stdout=out, stderr=subprocess.STDOUT)
        try:
            # the inner drover is pid 1 of its namespace; find it
            def inner():
                for c in harness.children_of(p.pid):
                    return c
            pid = wait_for(inner, 10, what="drover in namespace")
            wait_for(lambda: self.read("pid1.log").count("reaped orphan")
                     >= 5, 10, what="five orphans reaped")
            os.kill(pid, signal.SIGTERM)
            p.wait(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
            out.close()
        text = self.read("pid1.log")
        self.assertEqual(p.returncode, 0, text)
        self.assertIn("shutdown (SIGTERM)", text)

REC = "@BIN@/stop-recorder.py @DIR@/rec"


class StopOrderTest(harness.DroverTest):
    """Services stop in tiers of reverse priority (SPEC 2.2): each tier in
    parallel, the next once the previous one's trees are gone, after/before
    first, and the one deadline over it all.  The jobs stamp CLOCK_MONOTONIC
    times of their SIGTERM and their exit into @DIR@/rec."""

    def records(self):
        r = {}
        for line in self.read_lines("rec"):
            what, name, t = line.split()
            r.setdefault((what, name), float(t))
        return r

    def wait_up(self, names):
        wait_for(lambda: all(("up", n) in self.records() for n in names),
                 10, what="%s up" % ", ".join(names))

    def shut_down(self, d, timeout=20):
        """SIGTERM; the exit status, the log, when the TERM was sent and
        how long drover took to exit."""
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait_exit(timeout)
        return rc, d.log(), t0, time.monotonic() - t0

    def test_tiers_stop_in_reverse_priority_each_in_parallel(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 20s
            [service:db]
            command = %(rec)s db 0.2
            priority = 10
            startsecs = 0
            [service:app]
            command = %(rec)s app 0.2 child 0.8
            priority = 100
            killmode = group
            startsecs = 0
            [service:web]
            command = %(rec)s web 0.3
            priority = 300
            startsecs = 0
            [service:api]
            command = %(rec)s api 0.4
            priority = 100
            startsecs = 0
            """ % {"rec": REC})
        self.wait_up(["db", "app", "app-child", "web", "api"])
        rc, log, t0, _ = self.shut_down(d)
        self.assertEqual(rc, 0, log)
        r = self.records()
        term = {n: r[("term", n)] for n in
                ("db", "app", "app-child", "web", "api")}
        gone = {n: r[("exit", n)] for n in term}
        # the highest priority alone first
        self.assertLess(term["web"], min(term["app"], term["api"]))
        # the next tier once web is gone, both members together: each got
        # its signal before either of them finished
        self.assertGreater(min(term["app"], term["api"]), gone["web"])
        self.assertLess(max(term["app"], term["api"]),
                        min(gone["app"], gone["api"]))
        # the last tier once the whole of the previous one is gone, app's
        # child too, which outlives app's main process by 0.6 s
        self.assertGreater(gone["app-child"], gone["app"] + 0.4)
        self.assertGreater(term["db"],
                           max(gone["app"], gone["app-child"], gone["api"]))
        self.assertGreater(gone["db"], term["db"])
        self.assertRegex(log, r"stopping priority tier 300")
        self.assertLess(log.index("stopping priority tier 100"),
                        log.index("stopping priority tier 10\n"))
        self.assertNotIn("deadline reached", log)
        self.assertNotIn("SIGKILL", log)
        for n in ("db", "app", "web", "api"):
            self.assertRegex(log, r"report: %s cancelled" % n)

    def test_a_tier_that_ignores_sigterm_is_killed_then_the_next_goes(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 20s
            [service:stubborn]
            command = %(rec)s stubborn 0 ignore
            priority = 200
            stopwaitsecs = 1s
            startsecs = 0
            [service:db]
            command = %(rec)s db 0
            priority = 100
            startsecs = 0
            """ % {"rec": REC})
        self.wait_up(["stubborn", "db"])
        rc, log, t0, elapsed = self.shut_down(d)
        self.assertEqual(rc, 0, log)
        r = self.records()
        self.assertNotIn(("exit", "stubborn"), r)
        # stopwaitsecs, then SIGKILL, then the next tier
        self.assertRegex(log, r"stubborn: still running 1000ms after TERM, "
                              r"sending SIGKILL")
        self.assertGreaterEqual(r[("term", "db")] - r[("term", "stubborn")],
                                0.95)
        self.assertLess(log.index("sending SIGKILL"),
                        log.index("stopping priority tier 100"))
        self.assertIn(("exit", "db"), r)
        self.assertRegex(log, r"had to be killed with SIGKILL")
        self.assertLess(elapsed, 1 + 5 * harness.SCALE)

    def test_the_deadline_bounds_the_tiers(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 2s
            [service:stubborn]
            command = %(rec)s stubborn 0 ignore
            priority = 300
            stopwaitsecs = 4s
            startsecs = 0
            [service:app]
            command = %(rec)s app 0.5
            priority = 200
            startsecs = 0
            [service:db]
            command = %(rec)s db 0.5
            priority = 100
            startsecs = 0
            """ % {"rec": REC})
        self.wait_up(["stubborn", "app", "db"])
        rc, log, t0, elapsed = self.shut_down(d)
        self.assertEqual(rc, 0, log)
        r = self.records()
        since = {k: t - t0 for k, t in r.items() if k[0] != "up"}
        # stubborn holds its tier until the deadline; there the tiers end
        # and both lower tiers are stopped at once, in parallel
        self.assertLess(since[("term", "stubborn")], 1)
        for n in ("app", "db"):
            self.assertGreaterEqual(since[("term", n)], 1.9)
            self.assertLess(since[("term", n)], 2 + 1 * harness.SCALE)
        self.assertLess(max(r[("term", "app")], r[("term", "db")]),
                        min(r[("exit", "app")], r[("exit", "db")]))
        self.assertRegex(log, r"shutdown: deadline reached")
        self.assertNotIn("stopping priority tier 100", log)
        # stubborn is SIGKILLed at its own stopwaitsecs, and that is all
        self.assertRegex(log, r"stubborn: still running 4000ms after TERM, "
                              r"sending SIGKILL")
        self.assertGreaterEqual(elapsed, 3.9)
        self.assertLess(elapsed, 4 + 2 * harness.SCALE)

    def test_after_and_before_win_over_priority(self):
        # web needs db but has the lower priority; the consumer starts
        # after the broker, whose priority is the highest of all: the edges
        # decide, and each pair stops in the tier of its later half
        d = self.drover("""
            [drover]
            shutdown_timeout = 20s
            [service:db]
            command = %(rec)s db 0.1
            priority = 100
            startsecs = 0
            [service:web]
            command = %(rec)s web 0.1
            priority = 10
            after = db
            startsecs = 0
            [service:cache]
            command = %(rec)s cache 0.1
            priority = 50
            startsecs = 0
            [service:broker]
            command = %(rec)s broker 0.1
            priority = 500
            before = consumer
            startsecs = 0
            [service:consumer]
            command = %(rec)s consumer 0.1
            priority = 5
            startsecs = 0
            """ % {"rec": REC})
        order = ["cache", "web", "db", "consumer", "broker"]
        self.wait_up(order)
        rc, log, t0, _ = self.shut_down(d)
        self.assertEqual(rc, 0, log)
        r = self.records()
        for a, b in zip(order, order[1:]):
            self.assertGreater(r[("term", b)], r[("exit", a)],
                               "%s stopped before %s was gone" % (b, a))


if __name__ == "__main__":
    harness.main()

#!/usr/bin/env python3
"""drover as a Type=notify service, against a fake NOTIFY_SOCKET listener."""
import os
import signal
import socket
import threading
import time

import harness
from harness import wait_for


class Listener:
    """Records every datagram with its arrival time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.msgs = []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            self.msgs.append((time.monotonic(), data.decode()))

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()

    def with_field(self, field):
        return [(t, m) for t, m in self.msgs
                if any(l.startswith(field) for l in m.split("\n"))]


class NotifyTest(harness.DroverTest):
    def start(self, config, env=None):
        self.lis = Listener(self.path("notify.sock"))
        self.addCleanup(self.lis.close)
        e = {"NOTIFY_SOCKET": self.path("notify.sock")}
        e.update(env or {})
        d = self.drover(config, start=False)
        d.env.update(e)
        return d.start()

    def test_ready_only_after_startsecs_then_stopping(self):
        t0 = time.monotonic()
        d = self.start("""
            [service:slow]
            command = /bin/sleep 1000
            startsecs = 1s
            """)
        wait_for(lambda: self.lis.with_field("READY=1"), 10,
                 what="READY=1")
        t_ready = self.lis.with_field("READY=1")[0][0]
        self.assertGreaterEqual(t_ready - t0, 1.0)
        self.assertRegex(self.lis.with_field("READY=1")[0][1],
                         r"STATUS=1 running")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        stopping = self.lis.with_field("STOPPING=1")
        self.assertEqual(len(stopping), 1)
        self.assertIn("EXTEND_TIMEOUT_USEC=", stopping[0][1])
        self.assertGreater(stopping[0][0], t_ready)

    def test_no_ready_while_a_service_is_starting(self):
        d = self.start("""
            [service:a]
            command = /bin/sleep 1000
            startsecs = 0
            [service:b]
            command = /usr/bin/python3 @BIN@/notify-ready.py 1.0 @DIR@/b.ready
            ready = notify
            """)
        self.wait_file("b.ready", 10)
        wait_for(lambda: self.lis.with_field("READY=1"), 10,
                 what="READY=1")
        t_ready = self.lis.with_field("READY=1")[0][0]
        with open(self.path("b.ready")) as f:
            b_ready = int(f.read()) / 1e9
        self.assertGreaterEqual(t_ready, b_ready)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reloading_then_ready_around_sighup(self):
        d = self.start("""
            [service:a]
            command = /bin/sleep 1000
            startsecs = 0
            """)
        wait_for(lambda: self.lis.with_field("READY=1"), 10, what="READY")
        d.signal(signal.SIGHUP)
        wait_for(lambda: len(self.lis.with_field("READY=1")) >= 2, 10,
                 what="READY=1 after the reload")
        rel = self.lis.with_field("RELOADING=1")
        self.assertEqual(len(rel), 1)
        self.assertIn("MONOTONIC_USEC=", rel[0][1])
        self.assertLess(rel[0][0], self.lis.with_field("READY=1")[1][0])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_watchdog_pings_at_half_the_interval(self):
        d = self.start("""
            [service:a]
            command = /bin/sleep 1000
            startsecs = 0
            """, env={"WATCHDOG_USEC": "400000"})
        # WATCHDOG_PID is unset: sd_watchdog_enabled() then accepts any pid
        wait_for(lambda: len(self.lis.with_field("WATCHDOG=1")) >= 6, 10,
                 what="six pings")
        pings = [t for t, _ in self.lis.with_field("WATCHDOG=1")]
        gaps = [b - a for a, b in zip(pings[1:], pings[2:])]
        for g in gaps:
            self.assertGreater(g, 0.12)
            self.assertLess(g, 0.4)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_status_is_rate_limited(self):
        d = self.start("""
            [task:t]
            command = /bin/true
            numprocs = 50
            """)
        d.wait_log(r"t_49: ok|t_\d+: ok", count=50)
        wait_for(lambda: self.lis.msgs and
                 time.monotonic() - self.lis.msgs[-1][0] > 1.2, 10,
                 what="a quiet second")
        n = len(self.lis.with_field("STATUS="))
        # 50 tasks x 3 transitions, folded into a few messages
        self.assertLess(n, 15)
        self.assertRegex(self.lis.msgs[-1][1], r"STATUS=0 running")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_job_messages_nul_and_status_escapes(self):
        # a NUL inside a datagram refuses it whole, READY=1 included; one
        # at the end is allowed; a job's STATUS= is logged escaped
        d = self.drover("""
            [service:j]
            command = /usr/bin/python3 @BIN@/notify-send.py @DIR@/last 0.5
                'READY=1\\x00STATUS=hidden' 'STATUS=a\\x1bb\\rc'
                'MAINPID=1\\nREADY=1\\x00'
            ready = notify
            """)
        d.wait_log(r"all autostart services are up")
        self.assertTrue(os.path.exists(self.path("last")))
        self.assertIn(r"j: status: a\x1bb\rc", d.log())
        self.assertNotIn("hidden", d.log())
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_without_notify_socket_nothing_is_sent(self):
        d = self.drover("""
            [service:a]
            command = /bin/sleep 1000
            startsecs = 0
            """)
        d.wait_log(r"all autostart services are up")
        self.assertNotIn("NOTIFY_SOCKET", d.env)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

#!/usr/bin/env python3
"""droverctl tail, maintail and clear: the output each instance keeps
(tail_buffer) and drover's own log ring, through the control socket."""
import json
import os
import select
import signal
import subprocess
import time

import harness
from harness import wait_for, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")

# talk prints 20 lines on each stream, then waits for a file to say more
CONF = """
[service:talk]
command = /bin/sh -c 'i=1; while [ $i -le 20 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done; while :; do if [ -e @DIR@/more ]; then cat @DIR@/more; rm -f @DIR@/more; fi; sleep 0.05; done'
startsecs = 0

[service:filed]
command = /bin/sh -c 'echo f1; echo f2; echo f3; exec sleep 1000'
stdout = file:@DIR@/filed.log
startsecs = 0

[service:journaled]
command = /bin/sh -c 'echo j1; echo j2; exec sleep 1000'
stdout = journal
startsecs = 0

[service:logged]
command = /bin/sh -c 'echo l1; echo l2; exec sleep 1000'
stdout = log
startsecs = 0

[service:quiet]
command = /bin/sh -c 'echo nothing kept; exec sleep 1000'
tail_buffer = 0
startsecs = 0

[service:small]
command = /bin/sh -c 'i=1; while [ $i -le 200 ]; do echo line$i; i=$((i+1)); done; exec sleep 1000'
tail_buffer = 100
startsecs = 0

[service:again]
command = /bin/sh -c 'echo run; echo oops >&2; exec sleep 1000'
startsecs = 0

[service:multi]
command = /bin/sh -c 'echo m; exec sleep 1000'
numprocs = 2
process_name = multi_%(process_num)d
startsecs = 0
"""


def read_until(pipe, want, timeout=10):
    """What pipe gives until it has given want; a bounded wait, never a
    read that blocks (a follower that shows nothing fails the test)."""
    deadline = time.monotonic() + timeout * SCALE
    got = b""
    while want not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out waiting for %r; got %r"
                                 % (want, got))
        if select.select([pipe], [], [], left)[0]:
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                raise AssertionError("EOF waiting for %r; got %r"
                                     % (want, got))
            got += chunk
    return got


class TailTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        if not os.access(DROVERCTL, os.X_OK):
            self.skipTest("droverctl not built")

    def ctl(self, d, *args, timeout=30):
        return subprocess.run([DROVERCTL, "-s", d.socket] + list(args),
                              capture_output=True, text=True,
                              timeout=timeout * SCALE)

    def tail(self, d, *args):
        r = self.ctl(d, "tail", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def start(self):
        d = self.drover(CONF)
        wait_for(lambda: os.path.exists(d.socket), 10, what="socket")
        # every job has written what it writes at start
        wait_for(lambda: "out20\n" in self.ctl(d, "tail", "talk").stdout
                 and "err20\n" in self.ctl(d, "tail", "talk",
                                           "stderr").stdout
                 and "f3" in self.ctl(d, "tail", "filed").stdout
                 and "j2" in self.ctl(d, "tail", "journaled").stdout
                 and "line200" in self.ctl(d, "tail", "small").stdout,
                 10, what="output kept")
        return d

    def test_last_lines(self):
        d = self.start()
        self.assertEqual(self.tail(d, "-n", "3", "talk"),
                         "out18\nout19\nout20\n")
        self.assertEqual(self.tail(d, "-n", "3", "talk", "stderr"),
                         "err18\nerr19\nerr20\n")
        self.assertEqual(self.tail(d, "-n3", "talk", "stdout"),
                         "out18\nout19\nout20\n")
        # default: 10 lines, like tail(1)
        self.assertEqual(self.tail(d, "talk").splitlines(),
                         ["out%d" % i for i in range(11, 21)])
        self.assertEqual(self.tail(d, "-n", "0", "talk"), "")
        self.assertEqual(self.tail(d, "-n", "1000", "talk").splitlines(),
                         ["out%d" % i for i in range(1, 21)])

    def test_every_sink(self):
        d = self.start()
        self.assertEqual(self.tail(d, "filed"), "f1\nf2\nf3\n")
        self.assertEqual(self.read("filed.log"), "f1\nf2\nf3\n")
        self.assertEqual(self.tail(d, "journaled"), "j1\nj2\n")
        wait_for(lambda: "l2" in self.tail(d, "logged"), 10, what="logged")
        self.assertEqual(self.tail(d, "logged"), "l1\nl2\n")
        self.assertIn("logged[", d.log())      # still in drover's log too
        self.assertEqual(self.tail(d, "multi:1"), "m\n")
        self.assertEqual(self.tail(d, "multi_0"), "m\n")

    def test_bounds(self):
        d = self.start()
        wait_for(lambda: "nothing kept" in d.log(), 10, what="quiet ran")
        self.assertEqual(self.tail(d, "quiet"), "")
        r = self.ctl(d, "--json", "tail", "-n", "1000", "small")
        rep = json.loads(r.stdout.splitlines()[0])
        self.assertLessEqual(len(rep["data"]), 100)
        self.assertTrue(rep["data"].endswith("line200\n"))
        self.assertEqual(rep["tail_buffer"], 100)
        self.assertGreater(rep["start"], 0)     # the ring wrapped

    def test_follow_and_restart(self):
        d = self.start()
        f = subprocess.Popen([DROVERCTL, "-s", d.socket, "tail", "-f", "-n",
                              "1", "talk"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            self.assertEqual(read_until(f.stdout, b"out20\n"), b"out20\n")
            with open(self.path("more.tmp"), "w") as m:
                m.write("later\n")
            os.rename(self.path("more.tmp"), self.path("more"))
            self.assertEqual(read_until(f.stdout, b"later\n"), b"later\n")
            self.assertIsNone(f.poll())        # still following
        finally:
            f.send_signal(signal.SIGINT)
            f.wait(10 * SCALE)
            f.stdout.close()
            f.stderr.close()
        self.assertEqual(f.returncode, 0)     # SIGINT ends it cleanly
        # drover is still answering: the follower left nothing behind
        self.assertEqual(self.ctl(d, "status").returncode, 0)
        self.assertEqual(self.tail(d, "-n", "1", "talk"), "later\n")

    def test_restart_keeps_output(self):
        d = self.start()
        wait_for(lambda: self.tail(d, "again", "stderr") == "oops\n", 10,
                 what="first run")
        r = self.ctl(d, "restart", "again")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.tail(d, "again") == "run\nrun\n", 10,
                 what="second run's output after the first's")
        self.assertEqual(self.tail(d, "again", "stderr"), "oops\noops\n")

    def test_clear(self):
        d = self.start()
        r = self.ctl(d, "clear", "talk", "filed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("cleared talk, filed", r.stdout)
        self.assertEqual(self.tail(d, "talk"), "")
        self.assertEqual(self.tail(d, "talk", "stderr"), "")
        self.assertEqual(self.tail(d, "filed"), "")
        self.assertEqual(self.read("filed.log"), "f1\nf2\nf3\n")  # untouched
        self.assertEqual(self.tail(d, "journaled"), "j1\nj2\n")
        r = self.ctl(d, "clear", "all")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.tail(d, "journaled"), "")
        with open(self.path("more"), "w") as m:
            m.write("after clear\n")
        wait_for(lambda: self.tail(d, "talk") == "after clear\n", 10,
                 what="output after a clear")

    def test_maintail(self):
        d = self.start()
        r = self.ctl(d, "maintail", "-n", "1000")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,"
                         r"\d{3} info: control socket ")
        self.assertNotIn("out1\n", r.stdout)    # job output is not in it
        r = self.ctl(d, "maintail", "-n", "2")
        self.assertEqual(len(r.stdout.splitlines()), 2)
        f = subprocess.Popen([DROVERCTL, "-s", d.socket, "maintail", "-f",
                              "-n", "0"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            # the follower starts at the end of the log: a line logged
            # before its first poll is not its to show, so log one again
            # until it shows one (each read bounded; never a blocking read)
            deadline = time.monotonic() + 10 * SCALE
            got = b""
            while b"sent CONT to talk" not in got:
                self.assertLess(time.monotonic(), deadline,
                                "maintail -f showed no new line: %r" % got)
                self.ctl(d, "signal", "talk", "CONT")
                if select.select([f.stdout], [], [], 0.5)[0]:
                    got += os.read(f.stdout.fileno(), 65536)
            self.assertIn(b"sent CONT to talk", got)
        finally:
            f.send_signal(signal.SIGINT)
            f.wait(10 * SCALE)
            f.stdout.close()
            f.stderr.close()

    def test_bad_input(self):
        d = self.start()
        r = self.ctl(d, "tail", "nope")
        self.assertEqual(r.returncode, 3)
        self.assertIn("no job, instance or group named 'nope'", r.stderr)
        r = self.ctl(d, "tail", "multi")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'multi' names 2 instances", r.stderr)
        r = self.ctl(d, "tail", "-n", "-1", "talk")
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid number of lines '-1'", r.stderr)
        r = self.ctl(d, "tail", "-n", "x", "talk")
        self.assertEqual(r.returncode, 2)
        r = self.ctl(d, "tail", "talk", "stdin")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'stdin' is not stdout or stderr", r.stderr)
        r = self.ctl(d, "tail")
        self.assertEqual(r.returncode, 2)
        r = self.ctl(d, "maintail", "talk")
        self.assertEqual(r.returncode, 2)
        r = self.ctl(d, "clear", "nope")
        self.assertEqual(r.returncode, 3)
        # the protocol checks its members too
        for req, msg in (
                ({"cmd": "tail", "args": ["talk"], "lines": -1}, "lines"),
                ({"cmd": "tail", "args": ["talk"], "from": "x"}, "from"),
                ({"cmd": "tail", "args": ["talk"], "max": 0}, "max"),
                ({"cmd": "tail", "args": ["talk"], "lines": 1, "from": 0},
                 "not both")):
            rep = self.raw(d, req)
            self.assertFalse(rep["ok"])
            self.assertEqual(rep["error"], "bad-request")
            self.assertIn(msg, rep["message"])

    def raw(self, d, req):
        import socket
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10 * SCALE)
            s.connect(d.socket)
            s.sendall(json.dumps(req).encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            return json.loads(buf.split(b"\n")[0])

    def test_bad_tail_buffer(self):
        with open(self.path("bad.ini"), "w") as f:
            f.write("[service:x]\ncommand = /bin/true\n"
                    "tail_buffer = banana\n"
                    "[service:y]\ncommand = /bin/true\n"
                    "tail_buffer = 1GB\n")
        r = subprocess.run([harness.DROVER, "-t", "-c", self.path("bad.ini")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.ini:3: tail_buffer: invalid value 'banana'",
                      r.stderr)
        self.assertIn("bad.ini:6: tail_buffer: invalid value '1GB'",
                      r.stderr)
        with open(self.path("ok.ini"), "w") as f:
            f.write("[program:x]\ncommand = /bin/true\n"
                    "tail_buffer = 64KB\n")
        r = subprocess.run([harness.DROVER, "-t", "-c", self.path("ok.ini")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    harness.main()

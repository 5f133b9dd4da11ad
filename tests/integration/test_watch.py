#!/usr/bin/env python3
"""droverctl status --watch under a pseudo-terminal (issue 18): frames
drawn in place, a change shown, q and SIGINT end it cleanly."""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import harness
from harness import wait_for, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")

CONF = """
[service:web]
command = /bin/sleep 1000
startsecs = 0

[task:backup]
command = /bin/true
autostart = false
"""

HOME, CLEAR_SCREEN, EOS = b"\x1b[H", b"\x1b[2J", b"\x1b[J"


class Watch:
    """droverctl status --watch on a pty of 100 x 24."""

    def __init__(self, sock, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execv(DROVERCTL, [DROVERCTL, "-s", sock, "status",
                                     "--watch"] + list(args))
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 24, 100, 0, 0))
        self.out = b""
        self.status = None

    def read_some(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return
        try:
            data = os.read(self.fd, 65536)
        except OSError:         # EIO: the other side is gone
            data = b""
        self.out += data

    def frames(self):
        """Frames drawn completely: from a HOME to its end of screen."""
        return [f.split(EOS)[0].decode("utf-8", "replace")
                for f in self.out.split(HOME)[1:] if EOS in f]

    def wait_frame(self, pred, what, timeout=10.0):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            for i, f in enumerate(self.frames()):
                if pred(f):
                    return i
            self.read_some(0.05)
        raise AssertionError("no frame with %s in %r" % (what, self.out))

    def wait_exit(self, timeout=5.0):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            self.read_some(0.02)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = st
                self.read_some(0)
                return os.waitstatus_to_exitcode(st)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("droverctl --watch did not exit: %r" % self.out)

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)


def rows(frame):
    # the pty's ONLCR made "\n" "\r\n"
    return [l.replace("\x1b[K", "").rstrip("\r") for l in frame.split("\n")]


class WatchTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        if not os.access(DROVERCTL, os.X_OK):
            self.skipTest("droverctl not built")
        self.d = self.drover(CONF)
        wait_for(lambda: os.path.exists(self.d.socket), 10, what="socket")
        wait_for(lambda: self.ctl("status").returncode == 0, 10,
                 what="status answers")

    def ctl(self, *args):
        return subprocess.run([DROVERCTL, "-s", self.d.socket] + list(args),
                              capture_output=True, text=True,
                              timeout=30 * SCALE)

    def running(self, f, name="web"):
        return any(l.startswith(name) and " RUNNING " in l
                   for l in rows(f))

    def test_redraws_in_place_and_q_quits(self):
        w = Watch(self.d.socket, "0.2")
        try:
            first = w.wait_frame(self.running, "web RUNNING")
            self.assertEqual(self.ctl("stop", "web").returncode, 0)
            later = w.wait_frame(lambda f: any(
                l.startswith("web") and " STOPPED " in l for l in rows(f)),
                "web STOPPED")
            self.assertGreater(later, first)
            f = rows(w.frames()[later])
            self.assertRegex(f[0], r"^droverctl status, every 0\.2s \(q "
                             r"quits\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
            self.assertRegex("\n".join(f), r"(?m)^backup\s+STOPPED\s+not "
                             r"started$")
            # in place: the screen is cleared once, then only overwritten
            self.assertEqual(w.out.count(CLEAR_SCREEN), 1)
            self.assertTrue(w.out.startswith(b"\x1b[?25l" + HOME +
                                             CLEAR_SCREEN), w.out[:40])
            for line in w.frames()[later].split("\n")[:-1]:
                self.assertTrue(line.endswith("\x1b[K\r"), line)
            os.write(w.fd, b"q")
            self.assertEqual(w.wait_exit(), 0)
            self.assertTrue(w.out.endswith(b"\x1b[?25h"), w.out[-20:])
        finally:
            w.close()

    def test_sigint_ends_it_and_restores_the_terminal(self):
        w = Watch(self.d.socket)        # the default interval
        try:
            w.wait_frame(self.running, "web RUNNING")
            self.assertIn("every 2s", w.frames()[0])
            # q is read without Enter and not echoed meanwhile
            lflag = termios.tcgetattr(w.fd)[3]
            self.assertFalse(lflag & termios.ECHO)
            self.assertFalse(lflag & termios.ICANON)
            os.kill(w.pid, signal.SIGINT)
            self.assertEqual(w.wait_exit(), 0)
            lflag = termios.tcgetattr(w.fd)[3]
            self.assertTrue(lflag & termios.ECHO)
            self.assertTrue(lflag & termios.ICANON)
            self.assertTrue(w.out.endswith(b"\x1b[?25h"), w.out[-20:])
        finally:
            w.close()

    def test_lines_cut_to_the_width(self):
        self.d.stop()
        self.drovers.remove(self.d)
        long = "x" * 150
        self.d = self.drover("[service:%s]\ncommand = /bin/sleep 1000\n"
                             "startsecs = 0\n" % long)
        wait_for(lambda: os.path.exists(self.d.socket), 10, what="socket")
        w = Watch(self.d.socket, "0.2")
        try:
            i = w.wait_frame(lambda f: long[:99] in f, "the long name")
            for line in rows(w.frames()[i]):
                self.assertLessEqual(len(line), 99, line)
            os.kill(w.pid, signal.SIGTERM)
            self.assertEqual(w.wait_exit(), 0)
        finally:
            w.close()

    def test_bad_interval(self):
        for v in ("0", "0.01", "soon", "-1"):
            r = self.ctl("status", "--watch=" + v)
            self.assertEqual(r.returncode, 2, v)
            self.assertIn("seconds from 0.1 to 86400", r.stderr)
        r = self.ctl("--watch", "version")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--watch is for status", r.stderr)


if __name__ == "__main__":
    harness.main()

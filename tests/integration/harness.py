"""Integration-test harness: runs the real drover binary on real configs.

Every wait is for an event (a log line, a file, a process state) with a
bounded timeout; nothing sleeps hoping a race is over.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

DROVER = os.environ.get("DROVER") or os.path.join(
    os.path.dirname(__file__), "..", "..", "drover")
SRCDIR = os.environ.get("DROVER_SRCDIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
BIN = os.path.join(SRCDIR, "tests", "integration", "bin")
SCALE = float(os.environ.get("DROVER_TEST_TIMESCALE", "1"))


def wait_for(pred, timeout=10.0, interval=0.01, what="condition"):
    """Poll pred() until it returns a true value; fail after timeout."""
    deadline = time.monotonic() + timeout * SCALE
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout * SCALE, what))
        time.sleep(interval)


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] != "Z"


def children_of(pid):
    """Direct children of pid, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def descendants_of(pid):
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children_of(p):
            if c not in seen:
                seen.append(c)
                todo.append(c)
    return seen



def sanitized():
    """Is drover built with AddressSanitizer?  (RSS figures then mean
    nothing, and spawning takes the vfork() path.)"""
    try:
        with open(DROVER, "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"libasan" in data or b"__asan_init" in data

class Drover:
    """A drover process on a config written into a fresh directory."""

    def __init__(self, tmpdir, config, args=(), env=None, name="drover.ini"):
        self.dir = tmpdir
        self.path = os.path.join(tmpdir, name)
        with open(self.path, "w") as f:
            f.write(textwrap.dedent(config).replace("@DIR@", tmpdir)
                    .replace("@BIN@", BIN))
        self.logpath = os.path.join(tmpdir, "drover.log")
        self.args = list(args)
        # a control socket of its own: tests run in parallel
        self.socket = os.path.join(tmpdir, "drover.sock")
        if not any(a in ("-s", "--socket") or a.startswith("--socket=")
                   for a in self.args):
            self.args += ["-s", self.socket]
        # a state file of its own too: the default is shared
        # (/var/lib/drover/state when the tests run as root)
        if not any(a == "--state-file" or a.startswith("--state-file=")
                   for a in self.args):
            self.args += ["--state-file",
                          os.path.join(tmpdir, "drover.state")]
        self.env = dict(os.environ)
        self.env.pop("NOTIFY_SOCKET", None)
        if env:
            self.env.update(env)
        self.proc = None
        self._log = None

    def start(self, cgroup=None):
        """Start drover; in CGROUP (a cgroup2 directory) if given."""
        self._log = open(self.logpath, "wb")

        def enter():
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write("0")
        self.proc = subprocess.Popen(
            [DROVER, "-c", self.path] + self.args, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
            close_fds=True, preexec_fn=enter if cgroup else None)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        rx = re.compile(pattern, re.M)

        def found():
            m = rx.findall(self.log())
            return m if len(m) >= count else None
        try:
            return wait_for(found, timeout, what="log /%s/ x%d" %
                            (pattern, count))
        except AssertionError:
            sys.stderr.write("---- drover log ----\n%s\n----\n" % self.log())
            raise

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=20.0):
        try:
            return self.proc.wait(timeout=timeout * SCALE)
        except subprocess.TimeoutExpired:
            sys.stderr.write("---- drover log ----\n%s\n----\n" % self.log())
            raise AssertionError("drover did not exit within %.1fs"
                                 % (timeout * SCALE))

    def stop(self):
        """Tear down whatever is left (tests should have stopped it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self._log:
            self._log.close()


def private_cgroup(name):
    """A cgroup2 directory of the test's own below its current one, so that
    drovers started there see no other test's drover.* subtrees; None where
    cgroup2 is not writable."""
    mnt = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.startswith("cgroup2 "):
                mnt = pre.split()[4]
                break
    if mnt is None:
        return None
    own = "/"
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                own = line[3:].strip()
    path = os.path.join(mnt + (own if own != "/" else ""),
                        "%s.%d" % (name, os.getpid()))
    try:
        os.mkdir(path)
    except OSError:
        return None
    return path


def remove_cgroup(path):
    """Remove a test cgroup and whatever drover left in it (bounded)."""
    for _ in range(100):
        try:
            for root, dirs, _files in os.walk(path, topdown=False):
                for d in dirs:
                    try:
                        os.rmdir(os.path.join(root, d))
                    except OSError:
                        pass
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)


class DroverTest(unittest.TestCase):
    """Base class: a temp dir per test and cleanup of stray drovers."""

    def setUp(self):
        if not os.access(DROVER, os.X_OK):
            self.skipTest("drover binary not built")
        self.tmp = tempfile.mkdtemp(prefix="drover-test-")
        self.drovers = []

    def tearDown(self):
        for d in self.drovers:
            d.stop()
        if not os.environ.get("DROVER_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def drover(self, config, args=(), env=None, start=True):
        d = Drover(self.tmp, config, args, env)
        self.drovers.append(d)
        return d.start() if start else d

    def path(self, name):
        return os.path.join(self.tmp, name)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def read_lines(self, name):
        try:
            with open(self.path(name)) as f:
                return [l.rstrip("\n") for l in f]
        except FileNotFoundError:
            return []

    def wait_file(self, name, timeout=10.0):
        return wait_for(lambda: os.path.exists(self.path(name)), timeout,
                        what="file " + name)

    def wait_pidfile(self, name, timeout=10.0):
        def get():
            try:
                s = self.read(name).strip()
                return int(s) if s else None
            except (OSError, ValueError):
                return None
        return wait_for(get, timeout, what="pid in " + name)


def main():
    """unittest main with automake's exit codes (77 = all skipped)."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun > 0 and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)

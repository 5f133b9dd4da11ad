#!/usr/bin/env python3
"""Fault scenarios: drover against jobs and a system that misbehave.

Each test drives one fault to a settled state -- waiting for events, every
wait bounded, never a sleep hoping a race is over -- and then checks the
same invariants:
- drover is alive, or exited as documented (exit code, report);
- the jobs that should run are running (pids unchanged where they should be);
- nothing is left over: drover passes DROVER_FAULT_TAG=<test dir> to every
  job, so every process a job starts carries it in /proc/PID/environ, and
  none may survive (also the pids the jobs record themselves);
- drover's fd count (/proc/PID/fd) is back where it was before the fault;
- every run's end is in the log, `NAME: RESULT (pid N, exit C|signal S, T)`,
  exactly once for every pid a job recorded (tests/integration/bin/rec.sh).
See doc/RELIABILITY.md for what each scenario proves.
"""
import collections
import errno
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest

import harness
from harness import wait_for, pid_alive



def conf(*parts):
    """A config from parts, each dedented on its own."""
    return "\n".join(textwrap.dedent(p) for p in parts)


CALM = """
    [service:calm]
    command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
    startsecs = 0
    """
RESULT_RX = re.compile(
    r"^\w+: (\S+): (ok|failed|killed|timeout|cancelled|spawn-error) "
    r"\(pid (\d+)(?:, (exit|signal) (\d+))?, \d+\.\d{3}s\)", re.M)


SANITIZED = harness.sanitized()
# the floods shrink under a sanitizer, which copies every byte ten times
# slower (the RSS bounds are not checked there either)
FLOOD_1G, FLOOD_64M, FLOOD_PIPE_MB = (("64M", "8M", 32) if SANITIZED
                                      else ("1G", "64M", 256))


def fd_table(pid):
    out = {}
    base = "/proc/%d/fd" % pid
    for fd in os.listdir(base):
        try:
            out[int(fd)] = os.readlink(os.path.join(base, fd))
        except OSError:
            pass
    return out


def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2]


def ppid_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    return int(st[st.rindex(")") + 2:].split()[1])


def tagged(tag, exclude=()):
    """Live processes (not zombies) that carry DROVER_FAULT_TAG=tag."""
    needle = ("\0DROVER_FAULT_TAG=%s\0" % tag).encode()
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) in exclude or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                env = b"\0" + f.read()
        except OSError:
            continue
        if needle in env and pid_alive(int(p)):
            out.append(int(p))
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


class Drover(harness.Drover):
    """harness.Drover with a choice of where stderr goes and a preexec."""
    stdout = None
    preexec = None

    def start(self):
        self._log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [harness.DROVER, "-c", self.path] + self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log if self.stdout is None else self.stdout,
            stderr=subprocess.STDOUT, env=self.env, close_fds=True,
            preexec_fn=self.preexec)
        return self


class FaultTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        # a prefix of our own: the tag below must be unique on the machine
        os.rmdir(self.tmp)
        self.tmp = tempfile.mkdtemp(prefix="drover-fault-")
        self.tag = os.path.basename(self.tmp)
        self.addCleanup(self.kill_tagged)

    def kill_tagged(self):
        """After a failure: leave nothing behind on the machine."""
        for _ in range(10):
            left = tagged(self.tag)
            if not left:
                return
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)

    # --- starting and reconfiguring ---------------------------------------

    def start(self, config, args=(), env=None, stdout=None, preexec=None,
              tmpdir=None):
        e = {"DROVER_FAULT_TAG": self.tag}
        e.update(env or {})
        d = Drover(tmpdir or self.tmp, config, args, e)
        d.stdout = stdout
        d.preexec = preexec
        self.drovers.append(d)
        return d.start()

    def write_config(self, d, text):
        tmp = d.path + ".new"
        with open(tmp, "w") as f:
            f.write(textwrap.dedent(text).replace("@DIR@", self.tmp)
                    .replace("@BIN@", harness.BIN))
        os.rename(tmp, d.path)

    def reload(self, d, text, expect=r"reload: \d+ unchanged"):
        n = len(re.findall(expect, d.log()))
        self.write_config(d, text)
        d.signal(signal.SIGHUP)
        d.wait_log(expect, count=n + 1)

    # --- observing ----------------------------------------------------------

    def pids(self, name="pids"):
        return [int(x) for x in self.read_lines(name) if x.strip().isdigit()]

    def read_safe(self, name):
        try:
            return self.read(name)
        except (OSError, UnicodeDecodeError):
            return ""

    def wait_pids(self, n, name="pids", timeout=10.0):
        return wait_for(lambda: len(self.pids(name)) >= n and self.pids(name),
                        timeout, what="%d pids in %s" % (n, name))

    def results(self, d):
        """[(name, result, pid, 'exit'|'signal'|None, code)] from the log."""
        return [(m[0], m[1], int(m[2]), m[3] or None,
                 int(m[4]) if m[4] else None)
                for m in RESULT_RX.findall(d.log())]

    def result_of(self, d, pid):
        for r in self.results(d):
            if r[2] == pid:
                return r
        return None

    def wait_result(self, d, pid, timeout=10.0):
        return wait_for(lambda: self.result_of(d, pid), timeout,
                        what="result line for pid %d" % pid)

    def dump(self, d, ninst, timeout=10.0):
        """SIGUSR1; {instance: state} from the dump (at least ninst
        lines); self.dump_jobs is the job count of its header."""
        hdr = r"status: (\d+) jobs, \d+ runs in progress"
        n = len(re.findall(hdr, d.log()))
        prev = [None]

        def complete():
            log = d.log()
            heads = list(re.finditer(hdr, log))
            if len(heads) <= n:
                return None
            tail = log[heads[-1].start():]
            lines = re.findall(r"^\w+: status: (\S+)\s+([A-Z]+)\b", tail,
                               re.M)
            # the dump is written line by line: read it twice alike
            same, prev[0] = prev[0] == lines, lines
            if len(lines) < ninst or not same:
                return None
            self.dump_jobs = int(heads[-1].group(1))
            return dict(lines)
        d.signal(signal.SIGUSR1)
        return wait_for(complete, timeout, interval=0.02,
                        what="a status dump")

    def settled_fds(self, d, timeout=10.0):
        """drover's fd table once no spawn holds fds: no cgroup fd open
        but the one on drover's own subtree (drover.PID, which leaves are
        made relative to), and the same table twice in a row."""
        prev = [None]
        subtree = re.compile(r"/drover\.\d+(-\d+)?$")

        def settled():
            t = fd_table(d.pid)
            same, prev[0] = prev[0] == t, t
            if same and not any(v.startswith("/sys/fs/cgroup") and
                                not subtree.search(v)
                                for v in t.values()):
                return t
            return None
        return wait_for(settled, timeout, interval=0.05,
                        what="a settled fd table")

    def wait_fds(self, d, want, timeout=10.0):
        """drover's fd count back to `want` (a table: the same kinds)."""
        def kinds(t):
            return collections.Counter(re.sub(r"\d+", "N", v)
                                       for v in t.values())
        try:
            wait_for(lambda: len(fd_table(d.pid)) == len(want), timeout,
                     what="fd count %d" % len(want))
        except AssertionError:
            now = fd_table(d.pid)
            raise AssertionError("drover has %d fds, had %d: now %r, "
                                 "before %r" % (len(now), len(want),
                                                kinds(now), kinds(want)))
        self.assertEqual(kinds(want), kinds(fd_table(d.pid)))

    # --- the common invariants -------------------------------------------

    def assert_results_logged(self, d, pids, exactly=True):
        """Every recorded pid has exactly one result line (and, with
        exactly, no result names a pid nobody recorded)."""
        res = self.results(d)
        got = collections.Counter(r[2] for r in res if r[2] != 0)
        want = collections.Counter(pids)
        # a run cancelled by the stop signal before rec.sh wrote its pid
        # has a result but no record: it may appear once, as a signal death
        unrecorded = {r[2] for r in res if r[1] in ("cancelled", "killed")
                      and r[3] == "signal"}
        missing = {p: n for p, n in want.items() if got[p] < n}
        self.assertFalse(missing, "runs without a result line: %r\n%s"
                         % (missing, d.log()[-3000:]))
        if exactly:
            extra = {p: n for p, n in got.items() if n > want[p] and
                     not (want[p] == 0 and n == 1 and p in unrecorded)}
            self.assertFalse(extra, "result lines for pids that did not "
                             "run (or twice): %r" % extra)

    def assert_no_leftovers(self, exclude=(), timeout=10.0):
        left = []

        def none_left():
            left[:] = tagged(self.tag, exclude)
            return not left
        try:
            wait_for(none_left, timeout, what="no leftover processes")
        except AssertionError:
            raise AssertionError("left over: " + ", ".join(
                "%d (%s)" % (p, cmdline(p)) for p in left))

    def stop_drover(self, d, bound=10.0, rc=0):
        """SIGTERM, exit within bound seconds with rc; returns the time."""
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        got = d.wait_exit(bound + 10)
        elapsed = time.monotonic() - t0
        self.assertEqual(got, rc, d.log()[-3000:])
        self.assertLess(elapsed, bound * harness.SCALE, d.log()[-3000:])
        return elapsed

    def cgroups_used(self, d):
        d.wait_log(r"drover .* started")
        return "no cgroup v2 subtree" not in d.log()

    # =====================================================================
    # A job that ignores SIGTERM
    # =====================================================================

    STUBBORN = """
        [service:stubborn]
        command = @BIN@/rec.sh @DIR@/stubborn.pids @BIN@/ignore-term.sh @DIR@/stubborn.pid %s
        startsecs = 0
        stopwaitsecs = 1s
        """

    def test_job_ignoring_sigterm_is_killed_on_restart_and_shutdown(self):
        d = self.start(conf(self.STUBBORN % "gen1", CALM))
        d.wait_log(r"all autostart services are up")
        calm = self.wait_pids(1)[0]
        old = self.wait_pids(1, "stubborn.pids")[0]
        base = fd_table(d.pid)
        # a reload that changes it: TERM is ignored, SIGKILL after 1s
        t0 = time.monotonic()
        self.reload(d, conf(self.STUBBORN % "gen2", CALM), r"reload: 1 unchanged, "
                    r"1 restarted, 0 added, 0 removed")
        r = self.wait_result(d, old)
        took = time.monotonic() - t0
        self.assertEqual(r[1:], ("cancelled", old, "signal", 9))
        self.assertRegex(d.log(), r"stubborn: still running 1000ms after "
                         r"TERM, sending SIGKILL")
        self.assertGreater(took, 0.9)
        self.assertLess(took, 6 * harness.SCALE)
        self.assertFalse(pid_alive(old))
        new = self.wait_pids(2, "stubborn.pids")[1]
        wait_for(lambda: self.dump(d, 2).get("stubborn") == "RUNNING", 10,
                 what="the new stubborn RUNNING")
        self.wait_fds(d, base)
        self.assertTrue(pid_alive(new) and pid_alive(calm))
        # shutdown: the same escalation, bounded
        took = self.stop_drover(d, bound=7)
        self.assertGreater(took, 0.9)
        self.assertEqual(len(re.findall(r"stubborn: still running 1000ms",
                                        d.log())), 2)
        self.assertRegex(d.log(), r"had to be killed with SIGKILL")
        self.assert_results_logged(d, self.pids() + self.pids("stubborn.pids"))
        self.assert_no_leftovers()

    # =====================================================================
    # A job that double-forks with setsid and leaves daemons behind
    # =====================================================================

    DAEMONIZE = """
        [task:daemonize]
        command = @BIN@/rec.sh @DIR@/pids @BIN@/daemonize.sh @DIR@/daemons 3
        """

    def daemonize(self, cgroup):
        env = {} if cgroup else {"DROVER_NO_CGROUP": "1"}
        d = self.start(CALM, env=env)
        d.wait_log(r"all autostart services are up")
        if cgroup and not self.cgroups_used(d):
            self.skipTest("no writable cgroup2 here")
        base = fd_table(d.pid)
        self.reload(d, conf(CALM, self.DAEMONIZE), r"reload: 1 unchanged, "
                    r"0 restarted, 1 added")
        d.wait_log(r"daemonize: ok \(pid \d+, exit 0")
        daemons = self.pids("daemons")
        self.assertEqual(len(daemons), 3)
        if cgroup:
            # the daemons stayed in the job's cgroup: killed with the rest
            # of its tree when the main process exited (killmode=mixed)
            wait_for(lambda: not any(pid_alive(p) for p in daemons), 5,
                     what="daemons killed")
        else:
            # setsid took them out of the process group; drover, the
            # subreaper, adopted them and keeps them until it exits
            for p in daemons:
                self.assertTrue(pid_alive(p))
                self.assertEqual(ppid_of(p), d.pid)
        self.wait_fds(d, base)
        self.stop_drover(d)
        if not cgroup:
            self.assertRegex(d.log(), r"killed 3 leftover processes")
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    def test_daemons_left_behind_with_cgroups(self):
        self.daemonize(True)

    def test_daemons_left_behind_without_cgroups(self):
        self.daemonize(False)

    # =====================================================================
    # A crash loop: 100 jobs that exit at once
    # =====================================================================

    CRASH = """
        [service:crash]
        command = @BIN@/rec.sh @DIR@/pids /bin/sh -c 'exit %d'
        numprocs = 100
        startsecs = %s
        startretries = 2
        backoff = 50ms
        backoff_max = 200ms
        """

    def test_crash_loop_of_100_jobs(self):
        d = self.start(CALM)
        d.wait_log(r"all autostart services are up")
        calm = self.wait_pids(1)[0]
        os.unlink(self.path("pids"))
        base = fd_table(d.pid)
        # 1: every instance fails to start: 3 attempts each, then FATAL
        # (startsecs far above how long `exit 3` takes on a loaded machine:
        # a run that outlived 1s under ASan counted as a start, then a
        # crash, and got a fourth attempt)
        self.reload(d, conf(CALM, self.CRASH % (3, "30s")), r"reload: 1 unchanged, "
                    r"0 restarted, 1 added")
        d.wait_log(r"crash_\d+: gave up after 3 failed starts", timeout=60,
                   count=100)
        wait_for(lambda: len(self.pids()) == 300, 10, what="300 runs")
        res = [r for r in self.results(d) if r[0].startswith("crash_")]
        self.assertEqual(len(res), 300)
        self.assertTrue(all(r[1:2] == ("failed",) and r[3:] == ("exit", 3)
                            for r in res), res[:5])
        st = self.dump(d, 101)
        self.assertEqual(collections.Counter(st.values()),
                         {"FATAL": 100, "RUNNING": 1})
        self.assertTrue(pid_alive(calm))
        self.wait_fds(d, base)
        self.assert_results_logged(d, self.pids())
        # 2: now they start and crash while RUNNING, restarted with
        # backoff; shut down in the middle of the storm
        self.reload(d, conf(CALM, self.CRASH % (4, "0")), r"reload: 1 "
                    r"unchanged, 1 restarted")
        wait_for(lambda: len(self.pids()) >= 600, 60, what="300 more runs")
        self.assertTrue(pid_alive(calm))
        self.stop_drover(d, bound=10)
        self.assert_results_logged(d, self.pids() + [calm])
        self.assert_no_leftovers()

    # =====================================================================
    # A job that writes 1 GB to stdout as fast as it can
    # =====================================================================

    FLOOD = """
        [service:flood]
        command = @BIN@/rec.sh @DIR@/pids /bin/sh -c '%s; touch @DIR@/flood.done; exec sleep 1000'
        startsecs = 0
        """

    def flood_to_devnull(self, producer):
        d = self.start(self.FLOOD % producer, stdout=subprocess.DEVNULL)
        pid = self.wait_pids(1)[0]
        # the job can exec and run before drover has closed the spawn's
        # pipe ends and cgroup fds: take the table once they are gone
        base = self.settled_fds(d)
        self.wait_file("flood.done", timeout=120)
        hwm = proc_kb(d.pid, "VmHWM")
        if not SANITIZED:
            self.assertLess(hwm, 64 * 1024, "VmHWM %d kB" % hwm)
        self.wait_fds(d, base)
        self.assertTrue(pid_alive(pid))
        self.stop_drover(d)
        self.assert_no_leftovers()
        return hwm

    def test_flood_1gb_one_line_stderr_devnull(self):
        # one line of 1 GiB: split every 16 KiB, never held whole
        self.flood_to_devnull(r'head -c %s /dev/zero | tr "\0" x' % FLOOD_1G)

    def test_flood_64mb_of_short_lines_stderr_devnull(self):
        # 32 Mi lines of "y": the per-line path
        self.flood_to_devnull("yes | head -c %s" % FLOOD_64M)

    @unittest.skipUnless(shutil.which("awk"), "no awk")
    def test_flood_256mb_through_a_pipe_no_byte_lost(self):
        # drover's stderr is a pipe read by awk, which counts the job's
        # lines and bytes and passes drover's own lines to the log: 256
        # MiB, 256 times the queue's high-water mark, so drover pauses
        # and resumes reading many times; not a byte may be lost
        prog = ('index($0, "flood[") == 1 { n++; '
                'b += length($0) - index($0, ": ") - 1; next } '
                '{ print; fflush() } END { print "FLOOD", n, b }')
        awkcmd = ["awk"]
        ver = subprocess.run(["awk", "-W", "version"], capture_output=True,
                             text=True)
        if "mawk" in ver.stdout + ver.stderr:
            awkcmd += ["-W", "interactive"]	# else it reads whole blocks
        log = open(self.path("drover.log"), "ab")
        awk = subprocess.Popen(awkcmd + [prog], stdin=subprocess.PIPE,
                               stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (awk.kill(), awk.wait(), log.close()))
        d = self.start(conf(CALM, """
            [task:flood]
            command = @BIN@/rec.sh @DIR@/pids /bin/sh -c 'head -c %dM /dev/zero | tr "\\0" x'
            """ % FLOOD_PIPE_MB), stdout=awk.stdin)
        awk.stdin.close()
        r = wait_for(lambda: [x for x in self.results(d) if x[0] ==
                              "flood"], 120, what="flood done")[0]
        self.assertEqual(r[1:2], ("ok",))
        hwm = proc_kb(d.pid, "VmHWM")
        if not SANITIZED:
            self.assertLess(hwm, 64 * 1024, "VmHWM %d kB" % hwm)
        self.stop_drover(d)
        awk.wait(timeout=20)
        self.assertIn("FLOOD %d %d" % (FLOOD_PIPE_MB * 64,
                                       FLOOD_PIPE_MB * 1024 * 1024), d.log())
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    # =====================================================================
    # A job whose child holds stdout open after the main process exited
    # =====================================================================

    HOLD = """
        [task:hold]
        command = @BIN@/rec.sh @DIR@/hold.pids @BIN@/holdout.sh @DIR@/left
        killmode = %s
        stopwaitsecs = 1s
        """

    def holdout(self, killmode):
        d = self.start(CALM)
        d.wait_log(r"all autostart services are up")
        base = fd_table(d.pid)
        self.reload(d, conf(CALM, self.HOLD % killmode), r"reload: 1 unchanged, "
                    r"0 restarted, 1 added")
        left = self.wait_pidfile("left")
        t0 = time.monotonic()
        main = self.wait_pids(1, "hold.pids")[0]
        r = self.wait_result(d, main, timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(r[1:], ("ok", main, "exit", 0))
        # the line written before the exit was drained, not lost
        self.assertRegex(d.log(), r"hold\[%d\]: main process exiting" % main)
        self.wait_fds(d, base)
        return d, left, took

    def test_holdout_killmode_mixed(self):
        d, left, took = self.holdout("mixed")
        self.assertRegex(d.log(), r"hold: main process exited, killing what "
                         r"is left of its tree")
        self.assertFalse(pid_alive(left))
        self.assertLess(took, 0.9 * harness.SCALE)	# before stopwaitsecs
        self.assertNotIn("still held", d.log())
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids() + self.pids("hold.pids"))
        self.assert_no_leftovers()

    def test_holdout_killmode_group(self):
        d, left, took = self.holdout("group")
        self.assertFalse(pid_alive(left))	# TERM to the tree
        self.assertLess(took, 0.9 * harness.SCALE)
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids() + self.pids("hold.pids"))
        self.assert_no_leftovers()

    def test_holdout_killmode_process(self):
        d, left, took = self.holdout("process")
        self.assertRegex(d.log(), r"hold: main process exited, leaving "
                         r"processes behind \(killmode=process\)")
        self.assertRegex(d.log(), r"hold: output pipe or processes still held "
                         r"1000ms after the main process exited; closing")
        self.assertGreater(took, 0.9)		# waited stopwaitsecs ...
        self.assertLess(took, 5 * harness.SCALE)  # ... and no longer
        # killmode=process leaves it running (documented); drover, its
        # subreaper, kills it when it exits
        self.assertTrue(pid_alive(left))
        self.stop_drover(d)
        self.assertRegex(d.log(), r"killed 1 leftover process")
        self.assert_results_logged(d, self.pids() + self.pids("hold.pids"))
        self.assert_no_leftovers()

    def v2_cgroup(self):
        """A fresh cgroup2 child of our own cgroup, or skip."""
        mnt = None
        with open("/proc/self/mountinfo") as f:
            for line in f:
                if " - cgroup2 " in line:
                    mnt = line.split()[4]
                    break
        own = None
        with open("/proc/self/cgroup") as f:
            for line in f:
                if line.startswith("0::"):
                    own = line[3:].strip()
        if os.geteuid() != 0 or mnt is None or own is None:
            self.skipTest("no cgroup2")
        cg = os.path.join(mnt + own.rstrip("/"), "faulttest-" + self.tag)
        try:
            os.mkdir(cg)
        except OSError as e:
            self.skipTest("cannot make a cgroup2 child: %s" % e)
        self.addCleanup(self.remove_cgroup, cg)
        return cg

    def test_cgroup_leaf_unavailable_falls_back_to_process_group(self):
        # drover makes drover.PID/ and drover.PID/supervisor/ (2); no
        # leaf per job fits under cgroup.max.descendants = 2
        cg = self.v2_cgroup()
        with open(cg + "/cgroup.max.descendants", "w") as f:
            f.write("2")

        def join():
            with open(cg + "/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
        d = self.start(conf(CALM, self.HOLD % "mixed"), preexec=join)
        d.wait_log(r"hold: cgroup: Resource temporarily unavailable")
        left = self.wait_pidfile("left")
        t0 = time.monotonic()
        main = self.wait_pids(1, "hold.pids")[0]
        self.wait_result(d, main)
        # without its leaf the job is tracked by its process group, so
        # killmode=mixed kills what is left at once, as it does when
        # drover has no cgroups at all (test_holdout_killmode_mixed)
        self.assertLess(time.monotonic() - t0, 0.9 * harness.SCALE)
        self.assertNotIn("still held", d.log())
        self.assertFalse(pid_alive(left), "the job's leftover survived")
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids() + self.pids("hold.pids"))
        self.assert_no_leftovers()

    # =====================================================================
    # A job stopped with SIGSTOP
    # =====================================================================

    def test_sigstopped_job_is_still_stopped_quickly(self):
        d = self.start("""
            [service:frozen]
            command = @BIN@/rec.sh @DIR@/frozen.pid /bin/sleep 1000
            startsecs = 0
            stopwaitsecs = 20s
            [service:tree]
            command = @BIN@/rec.sh @DIR@/tree.pid /bin/sh -c '/bin/sleep 1000 & /bin/sleep 1001 & wait'
            startsecs = 0
            stopwaitsecs = 20s
            [service:gtree]
            command = @BIN@/rec.sh @DIR@/gtree.pid /bin/sh -c '/bin/sleep 1000 & /bin/sleep 1002 & wait'
            startsecs = 0
            stopwaitsecs = 20s
            killmode = group
            """)
        d.wait_log(r"all autostart services are up")
        pids = [self.wait_pidfile(n + ".pid") for n in
                ("frozen", "tree", "gtree")]
        wait_for(lambda: all(len(harness.children_of(p)) == 2
                             for p in pids[1:]), 10, what="sleeps started")
        os.kill(pids[0], signal.SIGSTOP)
        os.killpg(pids[1], signal.SIGSTOP)	# the whole tree
        os.killpg(pids[2], signal.SIGSTOP)
        wait_for(lambda: all(proc_state(p) == "T" for p in pids), 5,
                 what="jobs stopped")
        # the stop signal is followed by SIGCONT: no wait for stopwaitsecs
        self.stop_drover(d, bound=5)
        self.assertNotIn("sending SIGKILL", d.log())
        self.assertEqual(self.result_of(d, pids[0])[1:],
                         ("cancelled", pids[0], "signal", 15))
        self.assert_results_logged(d, pids)
        self.assert_no_leftovers()

    def test_sigstopped_job_restarted_by_reload(self):
        FROZEN = """
            [service:frozen]
            command = @BIN@/rec.sh @DIR@/frozen.pids /bin/sleep %d
            startsecs = 0
            stopwaitsecs = 20s
            """
        d = self.start(conf(FROZEN % 1000, CALM))
        d.wait_log(r"all autostart services are up")
        calm = self.wait_pids(1)[0]
        frozen = self.wait_pids(1, "frozen.pids")[0]
        base = fd_table(d.pid)
        os.kill(frozen, signal.SIGSTOP)
        wait_for(lambda: proc_state(frozen) == "T", 5, what="stopped")
        t0 = time.monotonic()
        self.reload(d, conf(FROZEN % 1001, CALM), r"reload: 1 unchanged, "
                    r"1 restarted")
        r = self.wait_result(d, frozen, timeout=10)
        self.assertEqual(r[1:], ("cancelled", frozen, "signal", 15))
        self.assertLess(time.monotonic() - t0, 5 * harness.SCALE)
        self.wait_pids(2, "frozen.pids")
        self.wait_fds(d, base)
        self.assertTrue(pid_alive(calm))
        self.stop_drover(d, bound=5)
        self.assert_results_logged(d, self.pids() + self.pids("frozen.pids"))
        self.assert_no_leftovers()

    # =====================================================================
    # RLIMIT_NOFILE: pipes fail with EMFILE
    # =====================================================================

    def test_emfile_at_startup_low_hard_limit(self):
        # drover lifts its soft limit to the hard one; pin both at 40
        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
        d = self.start("""
            [service:many]
            command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
            numprocs = 20
            startsecs = 0
            startretries = 2
            backoff = 50ms
            backoff_max = 100ms
            """, preexec=limit)
        d.wait_log(r"all autostart services are up", timeout=30)
        self.assertTrue(d.proc.poll() is None)
        self.assertRegex(d.log(), r"many_\d+: .*Too many open files")
        st = self.dump(d, 20)
        running = [n for n, s in st.items() if s == "RUNNING"]
        fatal = [n for n, s in st.items() if s == "FATAL"]
        self.assertGreater(len(running), 0)
        self.assertGreater(len(fatal), 0)
        self.assertEqual(len(running) + len(fatal), 20, st)
        # three failed attempts per FATAL instance, each a result line
        for n in fatal:
            self.assertEqual(len(re.findall(r"^\w+: %s: (?!spawn-error)"
                                            r".*Too many open files" % n,
                                            d.log(), re.M)), 3, n)
        self.assertEqual(len(self.pids()), len(running))
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    def test_emfile_then_recovery_leaks_no_fd(self):
        d = self.start(CALM)
        d.wait_log(r"all autostart services are up")
        base = fd_table(d.pid)
        soft, hard = resource.prlimit(d.pid, resource.RLIMIT_NOFILE)
        # room for about two more runs (3 fds each, 7 while spawning)
        lim = max(base) + 1 + 8
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (lim, hard))
        more = """
            [service:more]
            command = @BIN@/rec.sh @DIR@/pids /bin/sleep %d
            numprocs = 10
            startsecs = 0
            startretries = 2
            backoff = 50ms
            backoff_max = 100ms
            """
        self.reload(d, conf(CALM, more % 1000), r"reload: 1 unchanged, "
                    r"0 restarted, 1 added")
        d.wait_log(r"more_\d+: gave up after 3 failed starts", count=5)
        wait_for(lambda: set(self.dump(d, 11).values()) <=
                 {"RUNNING", "FATAL"}, 10, what="settled")
        self.assertTrue(d.proc.poll() is None)
        self.assertRegex(d.log(), r"more_\d+: .*Too many open files")
        # the limit goes back up; a reload restarts `more`: all run
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (soft, hard))
        self.reload(d, conf(CALM, more % 1001), r"reload: 1 unchanged, "
                    r"1 restarted")
        wait_for(lambda: list(self.dump(d, 11).values()).count("RUNNING")
                 == 11, 20, what="all 11 RUNNING")
        # and removed again: back to the fds we started with
        self.reload(d, CALM, r"reload: 1 unchanged, 0 restarted, 0 added, "
                    r"1 removed")
        wait_for(lambda: self.dump(d, 1) and self.dump_jobs == 1, 10,
                 what="more gone")
        self.wait_fds(d, base)
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    def test_spawn_error_is_logged_as_a_result(self):
        # every run ends with one result line, a failed spawn too
        d = self.start("""
            [task:t]
            command = /nonexistent/command
            """)
        d.wait_log(r"t: exec /nonexistent/command: No such file")
        d.wait_log(r"^\w+: t: spawn-error \(", timeout=5)
        self.stop_drover(d)

    def test_exec_failure_of_an_unwaited_child_is_its_result(self):
        # drover does not wait for the exec of a job that needs nothing
        # else: an executable file the kernel cannot run fails there,
        # and the run's result (exit 127) carries the exec error
        bad = os.path.join(self.tmp, "notelf")
        with open(bad, "wb") as f:
            f.write(b"\x7fELF\x02garbage, no interpreter\n")
        os.chmod(bad, 0o755)
        d = self.start("""
            [task:t]
            command = %s
            """ % bad)
        d.wait_log(r"t: exec %s: Exec format error" % re.escape(bad))
        if harness.sanitized():
            # ASan's build waits for every exec (the fork() path): then
            # the same error is a spawn error, reported at once
            line = d.wait_log(r"^\w+: t: spawn-error \(no process\): "
                              r"exec .*: Exec format error$")
        else:
            line = d.wait_log(r"^\w+: t: failed \(pid \d+, exit 127, "
                              r".*\): exec .*: Exec format error$")
        self.assertTrue(line)
        self.assertEqual(d.log().count("Exec format error"), 2, d.log())
        self.stop_drover(d)

    def test_spawn_error_result_names_no_stale_pid(self):
        ctl = os.environ.get("DROVERCTL") or os.path.join(
            os.path.dirname(harness.DROVER), "droverctl")
        if not os.access(ctl, os.X_OK):
            self.skipTest("no droverctl")
        d = self.start(conf("""
            [service:flaky]
            command = @BIN@/rec.sh @DIR@/flaky.pids /bin/sleep 1000
            startsecs = 0
            startretries = infinite
            backoff = 1s
            """, CALM))
        d.wait_log(r"all autostart services are up")
        first = self.wait_pids(1, "flaky.pids")[0]
        # no fd can be opened any more: the restart after the exit fails
        soft, hard = resource.prlimit(d.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (0, hard))
        os.kill(first, signal.SIGTERM)
        d.wait_log(r"flaky: (output pipes|status pipe): Too many open files")
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (soft, hard))
        out = subprocess.run([ctl, "-s", d.socket, "--json", "status",
                              "flaky"], capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        last = json.loads(out.stdout)["instances"][0]["last"]
        # the failed spawn started no process: its result must not name
        # the pid of the run before (a pid the kernel may have reused)
        self.assertEqual(last["result"], "spawn-error", last)
        self.assertNotEqual(last.get("pid"), first, last)
        self.wait_pids(2, "flaky.pids", timeout=10)
        self.stop_drover(d)
        self.assert_no_leftovers()

    # =====================================================================
    # RLIMIT_NPROC-like: fork fails with EAGAIN (pids cgroup)
    # =====================================================================

    def pids_cgroup(self, limit):
        base = "/sys/fs/cgroup/pids"
        if os.geteuid() != 0 or not os.path.exists(base + "/cgroup.procs"):
            self.skipTest("no cgroup v1 pids controller to limit forks")
        cg = os.path.join(base, "drover-fault-" + self.tag)
        try:
            os.mkdir(cg)
        except OSError as e:
            self.skipTest("cannot make a pids cgroup: %s" % e)
        self.addCleanup(self.remove_cgroup, cg)
        with open(cg + "/pids.max", "w") as f:
            f.write(str(limit))
        return cg

    def remove_cgroup(self, cg):
        """Empty it and its children (after a failure something may be
        left), remove them."""
        def gone():
            try:
                for top, dirs, files in os.walk(cg, topdown=False):
                    with open(top + "/cgroup.procs") as f:
                        for p in f.read().split():
                            os.kill(int(p), signal.SIGKILL)
                    os.rmdir(top)
            except FileNotFoundError:
                return not os.path.exists(cg)
            except OSError:
                return False
            return True
        wait_for(gone, 10, what="cgroup %s removed" % cg)

    def test_fork_fails_with_eagain_then_recovers(self):
        cg = self.pids_cgroup(6)	# drover + 5 jobs

        def join():
            with open(cg + "/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
        d = self.start("""
            [service:many]
            command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
            numprocs = 10
            startsecs = 0
            startretries = infinite
            backoff = 100ms
            backoff_max = 300ms
            """, preexec=join)
        d.wait_log(r"many_\d+: fork: Resource temporarily unavailable",
                   count=10, timeout=20)
        self.assertEqual(len(self.pids()), 5)
        self.assertTrue(d.proc.poll() is None)
        st = self.dump(d, 10)
        self.assertEqual(list(st.values()).count("RUNNING"), 5, st)
        self.assertNotIn("all autostart services are up", d.log())
        # the limit is lifted: the retries succeed
        with open(cg + "/pids.max", "w") as f:
            f.write("100")
        d.wait_log(r"all autostart services are up", timeout=10)
        self.assertEqual(len(self.wait_pids(10)), 10)
        st = self.dump(d, 10)
        self.assertEqual(list(st.values()).count("RUNNING"), 10, st)
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    # =====================================================================
    # A full disk under a file: sink
    # =====================================================================

    def test_full_disk_for_a_file_sink(self):
        mnt = self.path("full")
        os.mkdir(mnt)
        if os.geteuid() != 0 or subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs")
        # cleanups run last first: unmount, then remove what the harness's
        # tearDown could not (the mount point was busy)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(lambda: subprocess.run(["umount", "-l", mnt]))
        d = self.start("""
            [service:ticker]
            command = @BIN@/rec.sh @DIR@/pids @BIN@/ticker.sh @DIR@/progress
            startsecs = 0
            stdout = file:@DIR@/full/out.log
            """)
        pid = self.wait_pids(1)[0]
        wait_for(lambda: "tick 3" in self.read_safe("full/out.log"), 10,
                 what="lines in the file")
        base = fd_table(d.pid)
        # fill the disk
        fd = os.open(os.path.join(mnt, "filler"), os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError as e:
            self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)
        # and the last page of the log file (tmpfs allocates by page)
        fd = os.open(os.path.join(mnt, "out.log"), os.O_WRONLY | os.O_APPEND)
        try:
            while os.write(fd, b"\n") > 0:
                pass
        except OSError as e:
            self.assertEqual(e.errno, errno.ENOSPC)
        finally:
            os.close(fd)
        d.wait_log(r"write .*/full/out\.log \(1 errors\): No space left")

        def progress():
            try:
                return int(self.read_safe("progress"))
            except ValueError:
                return 0
        p0 = progress()
        # the job is not blocked and its pipe stays attached
        wait_for(lambda: progress() >= p0 + 10, 10, what="ticks go on")
        self.assertTrue(pid_alive(pid))
        self.assertIsNone(self.result_of(d, pid))
        self.wait_fds(d, base)
        # space again: lines reach the file again
        os.unlink(os.path.join(mnt, "filler"))
        p1 = progress()
        wait_for(lambda: any(int(x.split()[-1]) > p1 for x in
                             self.read_safe("full/out.log")
                             .splitlines()[-5:]
                             if x.startswith("tick ") and
                             x.split()[-1].isdigit()), 10,
                 what="ticks in the file again")
        self.assertEqual(self.pids(), [pid])
        self.wait_fds(d, base)
        self.stop_drover(d)
        self.assert_results_logged(d, self.pids())
        self.assert_no_leftovers()

    # =====================================================================
    # Signal storms
    # =====================================================================

    STORM = """
        [service:web]
        command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
        numprocs = 5
        startsecs = 0
        [service:db]
        command = @BIN@/rec.sh @DIR@/pids /bin/sleep %d
        startsecs = 0
        [task:once]
        command = @BIN@/rec.sh @DIR@/once.pids /bin/true
        """

    def settle_signals(self, d):
        """Every signal sent so far has been handled: a SIGUSR1 sent now
        gives a dump of its own (retried: pending ones coalesce)."""
        for _ in range(20):
            n = len(re.findall(r"status: \d+ jobs", d.log()))
            d.signal(signal.SIGUSR1)
            try:
                d.wait_log(r"status: \d+ jobs", count=n + 1, timeout=2)
                return
            except AssertionError:
                continue
        self.fail("drover does not answer SIGUSR1")

    def test_burst_of_1000_sighup_and_sigusr1(self):
        d = self.start(self.STORM % 1000)
        d.wait_log(r"all autostart services are up")
        d.wait_log(r"once: ok")
        pids = sorted(self.wait_pids(6))
        base = fd_table(d.pid)
        rss0 = proc_kb(d.pid, "VmRSS")
        for _ in range(1000):
            d.signal(signal.SIGHUP)
            d.signal(signal.SIGUSR1)
        self.settle_signals(d)
        wait_for(lambda: len(re.findall(r"reload: reading", d.log())) ==
                 len(re.findall(r"reload: \d+ unchanged", d.log())), 10,
                 what="every reload finished")
        self.assertTrue(d.proc.poll() is None)
        log = d.log()
        reloads = re.findall(r"reload: (\d+) unchanged, (\d+) restarted, "
                             r"(\d+) added, (\d+) removed", log)
        self.assertGreater(len(reloads), 0)
        self.assertLessEqual(len(reloads), 1000)
        self.assertEqual(set(reloads), {("3", "0", "0", "0")})
        st = self.dump(d, 7)
        self.assertEqual(list(st.values()).count("RUNNING"), 6, st)
        self.assertEqual(sorted(self.pids()), pids)
        self.assertTrue(all(pid_alive(p) for p in pids))
        self.wait_fds(d, base)
        rss1 = proc_kb(d.pid, "VmRSS")
        if not SANITIZED:
            self.assertLess(rss1 - rss0, 2048, "VmRSS %d -> %d kB after "
                            "%d reloads" % (rss0, rss1, len(reloads)))
        self.stop_drover(d)
        self.assert_results_logged(d, pids + self.pids("once.pids"))
        self.assert_no_leftovers()

    def test_sighup_storm_while_the_config_flips(self):
        d = self.start(self.STORM % 1000)
        d.wait_log(r"all autostart services are up")
        d.wait_log(r"once: ok")
        self.wait_pids(6)
        base = fd_table(d.pid)
        # 200 reloads, each of a config that changes `db`: a chain of
        # replacements, each waiting for the one before to be gone
        for i in range(200):
            self.write_config(d, self.STORM % (1001 + i % 2))
            d.signal(signal.SIGHUP)
        self.settle_signals(d)
        # the final config is the one running: one db, sleep 1000 + 1 + 1
        want = "sleep %d" % (1001 + 199 % 2)

        def settled():
            st = self.dump(d, 7)
            live = tagged(self.tag, exclude=(d.pid,))
            dbs = [p for p in live if "sleep 100" in cmdline(p) and
                   "sleep 1000" not in cmdline(p)]
            return (list(st.values()).count("RUNNING") == 6 and
                    len(live) == 6 and len(dbs) == 1 and
                    want in cmdline(dbs[0]))
        wait_for(settled, 15, interval=0.2, what="the final config running")
        self.wait_fds(d, base)
        self.stop_drover(d)
        # a db stopped by the next reload before rec.sh wrote its pid
        # has a result line but no recorded pid
        self.assert_results_logged(d, self.pids() + self.pids("once.pids"),
                                   exactly=False)
        self.assert_no_leftovers()

    # =====================================================================
    # SIGTERM during start-up and during a reload
    # =====================================================================

    def test_sigterm_at_every_moment_of_startup(self):
        config = """
            [drover]
            shutdown_timeout = 100ms
            [service:sv]
            command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
            numprocs = 20
            startsecs = 0
            [task:t]
            command = @BIN@/rec.sh @DIR@/pids /bin/sleep 1000
            [cleanup:c]
            command = @BIN@/rec.sh @DIR@/pids /bin/true
            timeout = 5s
            """
        for i, delay in enumerate([0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03,
                                   0.05, 0.08, 0.12]):
            sub = os.path.join(self.tmp, "run%d" % i)
            os.mkdir(sub)
            d = self.start(config.replace("@DIR@", sub), tmpdir=sub)
            time.sleep(delay)	# the point of the test: a moment, not a race
            t0 = time.monotonic()
            d.signal(signal.SIGTERM)
            rc = d.wait_exit(20)
            self.assertLess(time.monotonic() - t0, 10 * harness.SCALE)
            pids = self.pids("run%d/pids" % i)
            if rc == -signal.SIGTERM:
                # before the handler was installed: no job started yet
                self.assertEqual(pids, [], "run %d" % i)
            else:
                self.assertEqual(rc, 0, d.log())
                self.assertRegex(d.log(), r"shutdown complete")
                # (a job killed before rec.sh wrote its pid is not in
                # pids: its result line is not checked against it)
                self.assert_results_logged(d, pids, exactly=False)
            self.assert_no_leftovers()

    RELOAD_TERM = """
        [drover]
        shutdown_timeout = 2s
        [service:sv]
        command = @BIN@/rec.sh @DIR@/%(g)s.sv.pids @BIN@/ignore-term.sh @DIR@/%(g)s.%%(process_num)d.last
        numprocs = 10
        startsecs = 0
        stopwaitsecs = 1s
        [task:t]
        command = @BIN@/rec.sh @DIR@/%(g)s.t.pids /bin/sleep 1000
        [cleanup:c]
        command = @BIN@/rec.sh @DIR@/%(g)s.c.pids /bin/true
        timeout = 5s
        """

    def sigterm_during_reload(self, wait_reload):
        d = self.start(self.RELOAD_TERM % {"g": "gen1"})
        d.wait_log(r"all autostart services are up")
        self.wait_pids(10, "gen1.sv.pids")
        self.wait_pids(1, "gen1.t.pids")
        # every job changes: the old ones must stop (sv ignores TERM: 1s)
        # before the new ones start; the shutdown comes in between
        self.write_config(d, self.RELOAD_TERM % {"g": "gen2"})
        d.signal(signal.SIGHUP)
        if wait_reload:
            d.wait_log(r"reload: 0 unchanged, 3 restarted")
        self.stop_drover(d, bound=10)
        log = d.log()
        if wait_reload:
            self.assertRegex(log, r"sv_\d+: still running 1000ms after TERM")
        # the new services never started; one cleanup ran, once
        self.assertEqual(self.pids("gen2.sv.pids"), [], log)
        cleanups = self.pids("gen1.c.pids") + self.pids("gen2.c.pids")
        self.assertEqual(len(cleanups), 1, log)
        pids = []
        for g in ("gen1", "gen2"):
            for j in ("sv", "t", "c"):
                pids += self.pids("%s.%s.pids" % (g, j))
        self.assert_results_logged(d, pids)
        self.assert_no_leftovers()

    def test_sigterm_while_a_reload_waits_for_old_jobs(self):
        self.sigterm_during_reload(True)

    def test_sighup_and_sigterm_back_to_back(self):
        self.sigterm_during_reload(False)


if __name__ == "__main__":
    harness.main()

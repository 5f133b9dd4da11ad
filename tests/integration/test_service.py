#!/usr/bin/env python3
"""Services: spawn, reap, restart with backoff, containment, output."""
import os
import re
import signal
import subprocess
import time

import harness
from harness import wait_for, pid_alive, descendants_of


class ServiceTest(harness.DroverTest):
    def test_crash_backoff_fatal_counts_and_delays(self):
        d = self.drover("""
            [service:crash]
            command = /bin/sh -c 'date +%%s%%N >> @DIR@/starts; exit 3'
            startsecs = 1s
            startretries = 2
            backoff = 200ms
            backoff_max = 10s
            """, args=["--debug"])
        d.wait_log(r"crash: BACKOFF -> FATAL|crash: STARTING -> FATAL")
        d.wait_log(r"crash: gave up after 3 failed starts")
        starts = [int(x) for x in self.read_lines("starts")]
        # startretries + 1 attempts in all
        self.assertEqual(len(starts), 3)
        gaps = [(b - a) / 1e6 for a, b in zip(starts, starts[1:])]
        # 200ms then 400ms, +-10% jitter, plus spawn time
        self.assertGreaterEqual(gaps[0], 180)
        self.assertLess(gaps[0], 1500)
        self.assertGreaterEqual(gaps[1], 360)
        self.assertLess(gaps[1], 2000)
        self.assertIn("crash: failed (pid", d.log())
        self.assertIn("exit 3", d.log())
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_autorestart_unexpected(self):
        d = self.drover("""
            [service:ok]
            command = /bin/sh -c 'echo run >> @DIR@/ok.runs; sleep 0.3; exit 0'
            startsecs = 100ms
            [service:bad]
            command = /bin/sh -c 'echo run >> @DIR@/bad.runs; sleep 0.3; exit 7'
            startsecs = 100ms
            backoff = 100ms
            """)
        wait_for(lambda: len(self.read_lines("bad.runs")) >= 3, 15,
                 what="bad restarted twice")
        d.wait_log(r"ok: ok \(pid \d+, exit 0")
        self.assertEqual(len(self.read_lines("ok.runs")), 1)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertEqual(len(self.read_lines("ok.runs")), 1)

    def test_setsid_grandchild_is_killed_on_stop(self):
        d = self.drover("""
            [service:esc]
            command = @BIN@/escape.sh @DIR@/gc.pid
            startsecs = 0
            stopwaitsecs = 2s
            """)
        gc = self.wait_pidfile("gc.pid")
        self.assertTrue(pid_alive(gc))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        wait_for(lambda: not pid_alive(gc), 5, what="grandchild gone")

    def test_child_gets_only_fds_0_1_2(self):
        d = self.drover("""
            [task:fds]
            command = /bin/sh -c 'ls /proc/self/fd > @DIR@/fds.tmp; mv @DIR@/fds.tmp @DIR@/fds'
            """)
        self.wait_file("fds")
        fds = sorted(int(x) for x in self.read_lines("fds"))
        # ls itself opens one fd for the directory it lists
        self.assertLessEqual(len(fds), 4, fds)
        self.assertEqual(fds[:3], [0, 1, 2])
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_child_fd_table_does_not_grow_with_drover(self):
        # 300 services with log pipes: drover holds 600+ fds; a job spawned
        # after them must still get a fresh, small fd table (FDSize 64),
        # not a copy of drover's (which the kernel never shrinks)
        d = self.drover("""
            [service:s]
            command = /bin/sleep 1000
            numprocs = 300
            [task:fds]
            command = /bin/sh -c 'ls /proc/self/fd > @DIR@/fds.tmp; grep FDSize /proc/$$/status >> @DIR@/fds.tmp; mv @DIR@/fds.tmp @DIR@/fds'
            after = s
            """)
        self.wait_file("fds", timeout=30)
        lines = self.read_lines("fds")
        fds = sorted(int(x) for x in lines if x.isdigit())
        self.assertEqual(fds[:3], [0, 1, 2])
        self.assertLessEqual(len(fds), 4, fds)
        self.assertGreater(len(os.listdir("/proc/%d/fd" % d.pid)), 600)
        size = int(lines[-1].split()[1])
        if not harness.sanitized():  # the vfork() path copies the table
            self.assertLessEqual(size, 64, lines)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_child_environment_and_stdin(self):
        d = self.drover("""
            [drover]
            environment = GLOBAL=g
            [task:env]
            command = /bin/sh -c 'echo "$DROVER_JOB $DROVER_INSTANCE $GLOBAL $LOCAL"; readlink /proc/self/fd/0'
            environment = LOCAL="l l"
            """)
        d.wait_log(r"env\[\d+\]: env 0 g l l$")
        d.wait_log(r"env\[\d+\]: /dev/null$")
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_program_gets_supervisor_environment(self):
        d = self.drover("""
            [program:legacy]
            command = /bin/sh -c 'echo "$SUPERVISOR_ENABLED $SUPERVISOR_PROCESS_NAME $SUPERVISOR_GROUP_NAME"; sleep 100'
            """)
        d.wait_log(r"legacy\[\d+\]: 1 legacy legacy$")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_100k_lines_arrive_in_order(self):
        d = self.drover("""
            [task:flood]
            command = /usr/bin/seq 1 100000
            """)
        d.wait_log(r"flood: ok")
        nums = re.findall(r"^flood\[\d+\]: (\d+)$", d.log(), re.M)
        self.assertEqual(len(nums), 100000)
        self.assertEqual([int(n) for n in nums], list(range(1, 100001)))
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_slow_stderr_blocks_the_job_not_drover_memory(self):
        conf = self.path("slow.ini")
        with open(conf, "w") as f:
            f.write("[task:flood]\ncommand = /usr/bin/seq 1 1000000\n"
                    "[service:ticker]\ncommand = /bin/sh -c 'while :; do "
                    "echo tick; sleep 0.02; done'\nstartsecs = 0\n"
                    "stdout = file:%s\n" % self.path("ticks"))
        p = subprocess.Popen([harness.DROVER, "-c", conf, "--once",
                              "-s", self.path("drover.sock"),
                              "--state-file", self.path("drover.state")],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            def seq_blocked():
                for c in harness.descendants_of(p.pid):
                    try:
                        with open("/proc/%d/wchan" % c) as f:
                            if "pipe" in f.read():
                                return c
                    except OSError:
                        pass
            seq = wait_for(seq_blocked, 15, what="the job blocked on its pipe")

            def wchar():
                with open("/proc/%d/io" % seq) as f:
                    return [int(l.split()[1]) for l in f
                            if l.startswith("wchar")][0]
            def stalled():
                a = wchar()
                time.sleep(0.2)  # an observation window, not a race
                return a if wchar() == a else None
            w = wait_for(stalled, 15, interval=0, what="the job stalled")
            # drover stopped reading: the job cannot write more, and what
            # it wrote is far from its 6.9 MB (drover buffers ~1 MB at most)
            self.assertLess(w, 3 * 1024 * 1024)
            # ... while the loop goes on serving the other job
            n = len(self.read_lines("ticks"))
            wait_for(lambda: len(self.read_lines("ticks")) >= n + 5, 10,
                     what="the other job's output while stderr is stalled")
            os.kill(p.pid, signal.SIGTERM)
            out = p.stderr.read().decode()
            p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, out[-2000:])
        nums = re.findall(r"^flood\[\d+\]: (\d+)$", out, re.M)
        self.assertEqual(len(nums), 1000000)
        self.assertEqual(nums[0], "1")
        self.assertEqual(nums[-1], "1000000")
        self.assertEqual([int(n) for n in nums[::9973]],
                         list(range(1, 1000001, 9973)))

    def test_megabyte_line_is_split_not_dropped(self):
        d = self.drover("""
            [task:big]
            command = /usr/bin/python3 -c 'import sys; sys.stdout.write("x" * 1048576 + "\\nend\\n")'
            """)
        d.wait_log(r"big: ok")
        chunks = re.findall(r"^big\[\d+\]: (x+)$", d.log(), re.M)
        self.assertEqual(sum(len(c) for c in chunks), 1048576)
        self.assertEqual(len(chunks), 64)  # 16 KiB pieces
        self.assertRegex(d.log(), r"(?m)^big\[\d+\]: end$")
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_line_of_exactly_16k_is_one_line(self):
        d = self.drover("""
            [task:t]
            command = /bin/sh -c 'head -c 16384 /dev/zero | tr "\\000" x; sleep 0.3; echo; echo after'
            """)
        d.wait_log(r"t: ok")
        lines = re.findall(r"^t\[\d+\]: (.*)$", d.log(), re.M)
        self.assertEqual(lines, ["x" * 16384, "after"])
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_a_job_named_supervisor_is_just_a_job(self):
        d = self.drover("""
            [task:supervisor]
            command = /bin/sh -c 'echo hello; sleep 0.2'
            [task:cgroup.procs]
            command = /bin/echo fine
            """, args=["--once"])
        self.assertEqual(d.wait_exit(), 0, d.log())
        self.assertRegex(d.log(), r"summary: supervisor ok")
        self.assertRegex(d.log(), r"summary: cgroup.procs ok")

    def test_file_sink_keeps_bytes(self):
        d = self.drover("""
            [task:f]
            command = /usr/bin/printf 'a\\x1b[31mb\\r\\nno newline'
            stdout = file:@DIR@/out.log
            """)
        d.wait_log(r"f: ok")
        with open(self.path("out.log"), "rb") as fh:
            self.assertEqual(fh.read(), b"a\x1b[31mb\r\nno newline")
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_log_sink_escapes_control_characters(self):
        d = self.drover("""
            [task:esc]
            command = /usr/bin/printf 'red\\x1b[31m\\rforged\\tTab\\n'
            """)
        d.wait_log(r"esc: ok")
        self.assertIn("esc[", d.log())
        self.assertRegex(d.log(), r"esc\[\d+\]: red\\x1b\[31m\\rforged\tTab")
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_exec_failure_message(self):
        d = self.drover("""
            [service:missing]
            command = /nonexistent/binary --flag
            startretries = 0
            [service:nodir]
            command = /bin/sleep 100
            directory = /nonexistent-dir
            startretries = 0
            [service:nopath]
            command = no-such-program-anywhere
            startretries = 0
            """)
        d.wait_log(r"missing: exec /nonexistent/binary: No such file or directory")
        d.wait_log(r"nodir: chdir /nonexistent-dir: No such file or directory")
        d.wait_log(r"nopath: exec no-such-program-anywhere: No such file or directory")
        d.wait_log(r"gave up after 1 failed starts", count=3)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_numprocs_instances(self):
        d = self.drover("""
            [service:w]
            command = /bin/sh -c 'echo "i=$DROVER_INSTANCE"; exec sleep 100'
            numprocs = 3
            startsecs = 0
            """)
        for i in range(3):
            d.wait_log(r"w_%d\[\d+\]: i=%d$" % (i, i))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_leftovers_of_a_crashed_drover_are_killed(self):
        # drovers of other tests scan their own cgroup for leftovers: give
        # ours a cgroup of its own, or one of them may clean up first
        cg = harness.private_cgroup("drover-test-leftovers")
        if cg is None:
            self.skipTest("no writable cgroup2 here")
        self.addCleanup(harness.remove_cgroup, cg)
        conf = """
            [service:orphan]
            command = /bin/sh -c 'echo $$ > @DIR@/orphan.pid; exec sleep 1000'
            startsecs = 0
            """
        d = self.drover(conf, args=["-l", "debug"], start=False).start(cg)
        pid = self.wait_pidfile("orphan.pid")
        d.wait_log(r"cgroup: jobs run under " + re.escape(cg))
        d.signal(signal.SIGKILL)
        d.wait_exit()
        # the job outlived its supervisor
        self.assertTrue(pid_alive(pid))
        os.unlink(self.path("orphan.pid"))
        d2 = self.drover(conf, start=False).start(cg)
        d2.wait_log(r"killing processes of job orphan left by an earlier "
                    r"drover")
        wait_for(lambda: not pid_alive(pid), 5, what="leftover killed")
        self.wait_pidfile("orphan.pid")
        d2.signal(signal.SIGTERM)
        self.assertEqual(d2.wait_exit(), 0)

    def test_cgroup_leaf_goes_when_its_instance_settles(self):
        d = self.drover("""
            [service:svc]
            command = /bin/sleep 1000
            startsecs = 0
            [task:t]
            command = /bin/true
            [service:dead]
            command = /bin/sh -c 'exit 1'
            startsecs = 1s
            startretries = 0
            [service:crash]
            command = /bin/sh -c 'exit 1'
            startsecs = 0
            autorestart = true
            backoff = 60s
            """, args=["-l", "debug"])
        found = re.findall(r"cgroup: jobs run under (\S+)", d.log()) or \
            d.wait_log(r"cgroup: jobs run under (\S+)|no cgroup v2 subtree")
        if not found[0] or not found[0].startswith("/"):
            d.signal(signal.SIGTERM)
            d.wait_exit()
            self.skipTest("no writable cgroup2 here")
        base = found[0]
        d.wait_log(r"^\w+: t: ok \(pid")
        d.wait_log(r"dead: gave up after 1 failed start")
        d.wait_log(r"crash: failed \(pid")
        # settled (a finished task, a FATAL service): the leaf is gone
        wait_for(lambda: not os.path.exists(base + "/job.t") and
                 not os.path.exists(base + "/job.dead"), 5,
                 what="leaves of t and dead removed")
        # running, or waiting to restart: the leaf stays; the service was
        # born in its leaf (or joined it before exec)
        self.assertTrue(os.path.isdir(base + "/job.svc"))
        with open(base + "/job.svc/cgroup.procs") as f:
            self.assertEqual(len(f.read().split()), 1)
        self.assertTrue(os.path.isdir(base + "/job.crash"))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertFalse(os.path.exists(base))

    def test_task_leaf_goes_with_its_run_or_keeps_its_leftovers(self):
        # a task's leaf is removed as its run ends (the emptiness check is
        # the rmdir); one that leaves a process behind keeps its leaf,
        # named after the job, and its run lasts until that process is
        # gone
        marker = self.path("left.pid")
        d = self.drover("""
            [task:t]
            command = /bin/true
            numprocs = 3
            [task:keep]
            command = /bin/sh -c 'sleep 1000 & echo $! > %s'
            killmode = process
            """ % marker, args=["-l", "debug"])
        found = re.findall(r"cgroup: jobs run under (\S+)", d.log()) or \
            d.wait_log(r"cgroup: jobs run under (\S+)|no cgroup v2 subtree")
        if not found[0] or not found[0].startswith("/"):
            d.signal(signal.SIGTERM)
            d.wait_exit()
            self.skipTest("no writable cgroup2 here")
        base = found[0]
        d.wait_log(r"^\w+: t_2: ok \(pid")
        d.wait_log(r"keep: main process exited, leaving processes behind")
        wait_for(lambda: not any(n.startswith("job.t_") for n in
                                 os.listdir(base)), 5,
                 what="the leaves of t removed")
        wait_for(lambda: os.path.exists(marker) and
                 open(marker).read().strip() != "", 5, what="left.pid")
        left = int(open(marker).read())
        with open(base + "/job.keep/cgroup.procs") as f:
            self.assertEqual([int(p) for p in f.read().split()], [left])
        self.assertTrue(os.path.isdir(base + "/job.keep"))
        os.kill(left, signal.SIGKILL)
        d.wait_log(r"^\w+: keep: ok \(pid")
        wait_for(lambda: not os.path.exists(base + "/job.keep"), 5,
                 what="the leaf of keep removed once its leftover died")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertFalse(os.path.exists(base))

    def test_orphans_are_reaped_and_attributed_to_their_job(self):
        d = self.drover("""
            [service:parent]
            command = /bin/sh -c '(sleep 0.2 &); (sleep 0.3 &); exec sleep 1000'
            startsecs = 0
            """, args=["-l", "debug"])
        first = d.wait_log(r"cgroup: jobs run under|no cgroup v2")[0]
        if "jobs run under" in first:
            d.wait_log(r"parent: reaped orphan \d+", count=2)
        else:
            d.wait_log(r"reaped orphan \d+", count=2)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_no_wakeups_while_idle(self):
        d = self.drover("""
            [service:s]
            command = /bin/sleep 1000
            numprocs = 20
            startsecs = 100ms
            """, env={"DROVER_TEST": "idle"})
        d.wait_log(r"all autostart services are up")

        def switches():
            with open("/proc/%d/status" % d.pid) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        return int(line.split()[1])
        # let start-up work settle, then watch a quiet window
        before = None
        for _ in range(50):
            a = switches()
            time.sleep(0.2)
            if switches() == a:
                before = a
                break
        self.assertIsNotNone(before, "drover never went idle")
        time.sleep(1.5)  # the window measured, not a race
        self.assertEqual(switches(), before)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

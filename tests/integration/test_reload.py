#!/usr/bin/env python3
"""SIGHUP reload by difference, SIGUSR1 status dump, SIGUSR2 log reopen."""
import os
import re
import signal
import textwrap
import time

import harness
from harness import wait_for, pid_alive

BASE = """
[drover]
socket = none
[service:keep]
command = /bin/sh -c 'echo $$ > @DIR@/keep.pid; exec sleep 1000'
startsecs = 0
[service:change]
command = /bin/sh -c 'echo $$ > @DIR@/change.pid; exec sleep 1001'
startsecs = 0
[service:gone]
command = /bin/sh -c 'echo $$ > @DIR@/gone.pid; exec sleep 1002'
startsecs = 0
"""

CHANGED = """
[drover]
socket = none
[service:keep]
command = /bin/sh -c 'echo $$ > @DIR@/keep.pid; exec sleep 1000'
startsecs = 0
backoff = 3s
[service:change]
command = /bin/sh -c 'echo $$ > @DIR@/change.pid; exec sleep 1003'
startsecs = 0
[service:added]
command = /bin/sh -c 'echo $$ > @DIR@/added.pid; exec sleep 1004'
startsecs = 0
"""


class ReloadTest(harness.DroverTest):
    def write_config(self, d, text):
        tmp = d.path + ".new"
        with open(tmp, "w") as f:
            f.write(text.replace("@DIR@", self.tmp))
        os.rename(tmp, d.path)

    def pids(self):
        return {n: self.wait_pidfile(n + ".pid") for n in
                ("keep", "change", "gone")}

    def test_reload_by_difference(self):
        d = self.drover(BASE)
        d.wait_log(r"all autostart services are up")
        before = self.pids()
        os.unlink(self.path("change.pid"))
        self.write_config(d, CHANGED)
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: 1 unchanged, 1 restarted, 1 added, 1 removed")
        added = self.wait_pidfile("added.pid")
        new_change = self.wait_pidfile("change.pid")
        self.assertTrue(pid_alive(added))
        # unchanged: same process
        self.assertEqual(int(self.read("keep.pid")), before["keep"])
        self.assertTrue(pid_alive(before["keep"]))
        # changed: a new process, the old one gone
        self.assertNotEqual(new_change, before["change"])
        wait_for(lambda: not pid_alive(before["change"]), 10,
                 what="old change gone")
        # removed: stopped
        wait_for(lambda: not pid_alive(before["gone"]), 10,
                 what="gone stopped")
        d.wait_log(r"gone: cancelled")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertFalse(pid_alive(added))

    def test_broken_config_changes_nothing(self):
        d = self.drover(BASE)
        d.wait_log(r"all autostart services are up")
        before = self.pids()
        self.write_config(d, CHANGED + "\n[service:bad]\ncommand = /bin/true\n"
                          "startsecs = later\n")
        d.signal(signal.SIGHUP)
        d.wait_log(r"drover.ini:\d+: .*startsecs")
        d.wait_log(r"reload: 1 errors, keeping the running configuration")
        for name, pid in before.items():
            self.assertTrue(pid_alive(pid), name)
        self.assertFalse(os.path.exists(self.path("added.pid")))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reload_storm_ends_with_the_right_jobs(self):
        d = self.drover(BASE)
        d.wait_log(r"all autostart services are up")
        keep = self.pids()["keep"]
        for i in range(20):
            self.write_config(d, CHANGED if i % 2 == 0 else BASE)
            d.signal(signal.SIGHUP)
        self.write_config(d, CHANGED)
        d.signal(signal.SIGHUP)
        # signals coalesce: fewer reloads than SIGHUPs is right, but one
        # reload comes after the last write
        d.wait_log(r"reload: \d+ unchanged")

        # the last dump must list exactly keep, change, added as RUNNING
        def final_state():
            d.signal(signal.SIGUSR1)
            last = d.log().rsplit("runs in progress", 1)[-1]
            names = dict(re.findall(r"status: (\w+)\s+([A-Z]+)", last))
            return names if names == {"keep": "RUNNING",
                                      "change": "RUNNING",
                                      "added": "RUNNING"} else None
        wait_for(final_state, 30, interval=0.2, what="keep/change/added up")
        self.assertTrue(pid_alive(keep))
        self.assertEqual(int(self.read("keep.pid")), keep)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_replacement_retired_before_it_started_never_runs(self):
        slow = """
            [drover]
            socket = none
            [service:s]
            command = /bin/sh -c 'trap "sleep 1; exit 0" TERM; echo %s $$ >> @DIR@/versions; while :; do sleep 0.1; done'
            startsecs = 0
            """
        d = self.drover(slow % "v1")
        wait_for(lambda: len(self.read_lines("versions")) == 1, 10,
                 what="v1 up")
        v1 = int(self.read_lines("versions")[0].split()[1])
        self.write_config(d, textwrap.dedent(slow % "v2"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: s changed")
        # v1 takes a second to stop; let it go while drover is frozen, so
        # that its exit and the next reload arrive in one loop pass
        d.signal(signal.SIGSTOP)
        try:
            self.write_config(d, textwrap.dedent(slow % "v3"))
            # a zombie: exited, not yet reaped by the frozen drover
            wait_for(lambda: not pid_alive(v1), 10, what="v1 exits")
            d.signal(signal.SIGHUP)
        finally:
            d.signal(signal.SIGCONT)
        wait_for(lambda: any(l.startswith("v3") for l in
                             self.read_lines("versions")), 15, what="v3 up")

        def running_s():
            d.signal(signal.SIGUSR1)
            last = d.log().rsplit("runs in progress", 1)[-1]
            return len(re.findall(r"status: s\s+RUNNING", last)) or None
        self.assertEqual(wait_for(running_s, 10, what="a dump"), 1)
        self.assertEqual([l.split()[0] for l in self.read_lines("versions")],
                         ["v1", "v3"])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_usr1_dumps_one_line_per_instance(self):
        d = self.drover("""
            [service:web]
            command = /bin/sleep 1000
            numprocs = 2
            startsecs = 0
            [task:once]
            command = /bin/true
            """)
        d.wait_log(r"once: ok")
        d.wait_log(r"all autostart services are up")
        d.signal(signal.SIGUSR1)
        d.wait_log(r"status: web_0\s+RUNNING\s+pid \d+, uptime 0:00:\d\d, "
                   r"restarts 0")
        d.wait_log(r"status: web_1\s+RUNNING")
        d.wait_log(r"status: once\s+EXITED\s+restarts 0, last ok")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_usr2_reopens_file_sinks_after_rename(self):
        d = self.drover("""
            [service:talker]
            command = /bin/sh -c 'i=0; while :; do i=$((i+1)); echo line $i; sleep 0.05; done'
            stdout = file:@DIR@/talker.log
            startsecs = 0
            """)
        wait_for(lambda: os.path.exists(self.path("talker.log")) and
                 os.path.getsize(self.path("talker.log")) > 0, 10,
                 what="first lines")
        os.rename(self.path("talker.log"), self.path("talker.log.1"))
        d.signal(signal.SIGUSR2)
        d.wait_log(r"reopened log files")
        wait_for(lambda: os.path.exists(self.path("talker.log")) and
                 os.path.getsize(self.path("talker.log")) > 0, 10,
                 what="lines in the new file")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        old = self.read_lines("talker.log.1")
        new = self.read_lines("talker.log")
        nums = [int(l.split()[1]) for l in old + new]
        # nothing lost, nothing twice, in order across the rename
        self.assertEqual(nums, list(range(1, len(nums) + 1)))

    def test_reload_refused_during_shutdown(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 1s
            [task:long]
            command = /bin/sleep 100
            """)
        d.wait_log(r"drover .* started")
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown \(SIGTERM\)")
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload refused: shutting down")
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

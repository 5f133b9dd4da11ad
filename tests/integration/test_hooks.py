#!/usr/bin/env python3
"""on_fatal =, on_exit =: drover's own hooks, tasks with the event in env."""
import os
import signal
import subprocess

import harness
from harness import wait_for

DROVERCTL = os.path.join(os.path.dirname(harness.DROVER), "droverctl")
ENVDUMP = "/bin/sh -c 'env | grep ^DROVER_ | sort > @DIR@/%s.tmp && " \
          "mv @DIR@/%s.tmp @DIR@/%s'"


def envfile(test, name):
    return dict(l.split("=", 1) for l in test.read_lines(name))


class Hooks(harness.DroverTest):

    def test_on_fatal_droverctl_shutdown(self):
        """The one-liner: a FATAL job takes drover down (exit 0)."""
        d = self.drover("""
            [service:web]
            command = /bin/sleep 60
            startsecs = 0

            [service:broken]
            command = /bin/false
            startsecs = 1
            startretries = 0
            on_fatal = %s shutdown
            """ % os.path.abspath(DROVERCTL))
        self.assertEqual(d.wait_exit(), 0)
        log = d.log()
        self.assertRegex(log, r"broken: STARTING -> FATAL: running "
                         r"broken.on_fatal")
        self.assertRegex(log, r"broken.on_fatal: ok \(pid \d+, exit 0")
        self.assertIn("web: cancelled", log)

    def test_on_exit_environment(self):
        d = self.drover("""
            [task:job]
            command = /bin/sh -c 'exit 3'
            on_exit = %s
            """ % (ENVDUMP % ("env", "env", "env")))
        self.wait_file("env")
        env = envfile(self, "env")
        self.assertEqual(env["DROVER_HOOK"], "on_exit")
        self.assertEqual(env["DROVER_JOB"], "job")
        self.assertEqual(env["DROVER_PROCESS_NAME"], "job")
        self.assertEqual(env["DROVER_INSTANCE"], "0")
        self.assertEqual(env["DROVER_FROM_STATE"], "RUNNING")
        self.assertEqual(env["DROVER_TO_STATE"], "EXITED")
        self.assertEqual(env["DROVER_RESULT"], "failed")
        self.assertEqual(env["DROVER_EXIT_CODE"], "3")
        self.assertEqual(env["DROVER_SIGNAL"], "")
        self.assertRegex(env["DROVER_PID"], r"^\d+$")
        self.assertEqual(env["DROVER_SOCKET"], d.socket)
        # the hook's own result is a task's, in the log and in status
        d.wait_log(r"job.on_exit: ok \(pid \d+, exit 0")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_on_exit_per_instance_and_signal(self):
        d = self.drover("""
            [service:w]
            command = /bin/sh -c 'kill -KILL $$'
            process_name = w_%(process_num)d
            numprocs = 2
            startsecs = 0
            autorestart = false
            on_exit = /bin/sh -c 'env | grep ^DROVER_ > @DIR@/t%(process_num)d
                && mv @DIR@/t%(process_num)d @DIR@/w_%(process_num)d'
            """)
        self.wait_file("w_0")
        self.wait_file("w_1")
        for i in (0, 1):
            env = envfile(self, "w_%d" % i)
            self.assertEqual(env["DROVER_PROCESS_NAME"], "w_%d" % i)
            self.assertEqual(env["DROVER_INSTANCE"], str(i))
            self.assertEqual(env["DROVER_RESULT"], "killed")
            self.assertEqual(env["DROVER_SIGNAL"], "KILL")
            self.assertEqual(env["DROVER_EXIT_CODE"], "")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_hook_timeout(self):
        d = self.drover("""
            [service:broken]
            command = /bin/false
            startsecs = 1
            startretries = 0
            on_fatal = /bin/sleep 60
            hook_timeout = 300ms
            """)
        d.wait_log(r"broken.on_fatal: timeout after 300ms")
        d.wait_log(r"broken.on_fatal: timeout \(pid \d+")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_hook_waits_for_a_slot(self):
        """A hook is a task: max_concurrent holds it back like any."""
        d = self.drover("""
            [drover]
            max_concurrent = 1

            [task:hog]
            command = /bin/sh -c 'while ! test -e @DIR@/go; do sleep 0.05;
                done; touch @DIR@/hog.done'
            priority = 1

            # a service takes no task slot: it goes FATAL while hog runs
            [service:broken]
            command = /bin/false
            startsecs = 1
            startretries = 0
            on_fatal = /bin/sh -c 'if test -e @DIR@/hog.done; then
                echo after; else echo before; fi > @DIR@/hook'
            """)
        d.wait_log(r"broken: STARTING -> FATAL: running broken.on_fatal")
        # hog holds the one slot until the test lets it go: the hook waits
        r = subprocess.run([DROVERCTL, "-s", d.socket, "status",
                            "broken.on_fatal"], capture_output=True,
                           text=True, timeout=30)
        self.assertRegex(r.stdout, r"broken\.on_fatal\s+QUEUED", r.stderr)
        self.assertFalse(os.path.exists(self.path("hook")))
        open(self.path("go"), "w").close()
        self.wait_file("hook")
        self.assertEqual(self.read("hook").strip(), "after")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_bad_hooks(self):
        d = self.drover("""
            [service:a]
            command = /bin/true
            on_fatal =

            [service:b]
            command = /bin/true
            on_exit = /bin/echo 'unclosed

            [task:b.on_exit]
            command = /bin/true

            [service:c]
            command = /bin/true
            hook_timeout = soon
            """, args=["--check-config"])
        self.assertEqual(d.wait_exit(), 2)
        log = d.log()
        self.assertRegex(log, r"drover.ini:4: on_fatal: empty command")
        self.assertRegex(log, r"drover.ini:8: on_exit: .*quote")
        self.assertRegex(log, r"drover.ini:15: hook_timeout: invalid value "
                         r"'soon'")

    def test_hook_name_taken(self):
        d = self.drover("""
            [service:b]
            command = /bin/true
            on_exit = /bin/true

            [task:b.on_exit]
            command = /bin/true
            """, args=["--check-config"])
        self.assertEqual(d.wait_exit(), 2)
        self.assertRegex(d.log(), r"drover.ini:4: on_exit: its task "
                         r"'b.on_exit' has the name of a job")


if __name__ == "__main__":
    harness.main()

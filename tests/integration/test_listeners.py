#!/usr/bin/env python3
"""[eventlistener:x]: supervisord's protocol, pools, no event lost silently."""
import os
import shutil
import signal
import subprocess
import textwrap
import unittest

import harness
from harness import wait_for
from test_xmlrpc import SUPERVISORCTL, need_supervisorctl


def superlance_src(dest):
    """superlance's source into dest: from SUPERLANCE_DIR (a git directory
    or a source tree) or tests/.cache/superlance (bootstrap clones it);
    None if neither is there."""
    cands = [os.environ.get("SUPERLANCE_DIR"),
             os.path.join(harness.SRCDIR, "tests", ".cache", "superlance")]
    for c in cands:
        if not c or not os.path.isdir(c):
            continue
        if os.path.isdir(os.path.join(c, "superlance")):
            shutil.copytree(os.path.join(c, "superlance"),
                            os.path.join(dest, "superlance"))
            return dest
        tar = subprocess.run(["git", "--git-dir", c, "archive", "HEAD",
                              "superlance"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", dest], input=tar.stdout,
                       check=True)
        return dest
    return None


def events(path):
    """[(pid, serial, poolserial, name, payload)] from evlistener.py's OUT."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return []
    out = []
    for i in range(0, len(lines) - 1, 2):
        pid, serial, pserial, name = lines[i].split()
        out.append((int(pid), int(serial), int(pserial), name,
                    lines[i + 1][2:]))
    return out


class Listeners(harness.DroverTest):

    def test_fatal_takes_drover_down(self):
        """kill-supervisord: FATAL -> kill -QUIT $(cat pidfile) -> exit 0."""
        d = self.drover("""
            [supervisord]
            pidfile = @DIR@/drover.pid

            [eventlistener:killer]
            command = @BIN@/evlistener.py @DIR@/ev killfatal @DIR@/drover.pid
            events = PROCESS_STATE_FATAL, SUPERVISOR_STATE_CHANGE
            startsecs = 0

            [program:broken]
            command = /bin/false
            startsecs = 1
            startretries = 0
            """)
        self.assertEqual(d.wait_exit(), 0)
        evs = events(self.path("ev"))
        names = [e[3] for e in evs]
        self.assertIn("PROCESS_STATE_FATAL", names)
        fatal = [e for e in evs if e[3] == "PROCESS_STATE_FATAL"][0]
        # drover goes STARTING -> FATAL when no retry is left
        # (supervisord passes BACKOFF on the way): drover.ini(5)
        self.assertEqual(fatal[4], "processname:broken groupname:broken "
                         "from_state:STARTING")
        self.assertIn("SIGQUIT", d.log())
        self.assertFalse(os.path.exists(self.path("drover.pid")))

    def test_exited_payload_and_header(self):
        d = self.drover("""
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE_EXITED
            startsecs = 0

            [program:dies]
            command = /bin/sh -c 'exit 3'
            startsecs = 0
            autorestart = false
            """)
        wait_for(lambda: events(self.path("ev")), what="an event")
        pid, serial, pserial, name, payload = events(self.path("ev"))[0]
        self.assertEqual(name, "PROCESS_STATE_EXITED")
        self.assertRegex(payload, r"^processname:dies groupname:dies "
                         r"from_state:RUNNING expected:0 pid:\d+$")
        self.assertEqual(pserial, 1)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_stdout_logfile_none_still_speaks(self):
        """A listener's stdout is the protocol, whatever it is sent to."""
        d = self.drover("""
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE_EXITED
            stdout_logfile = NONE
            startsecs = 0

            [program:dies]
            command = /bin/true
            startsecs = 0
            autorestart = false
            """)
        wait_for(lambda: events(self.path("ev")), what="an event")
        self.assertEqual(events(self.path("ev"))[0][3],
                         "PROCESS_STATE_EXITED")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_pool_and_fail_rebuffer(self):
        """RESULT FAIL: the same serial comes again; a pool shares events."""
        d = self.drover("""
            [eventlistener:pool]
            command = @BIN@/evlistener.py @DIR@/ev failfirst
            process_name = pool_%(process_num)s
            numprocs = 2
            events = PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 4
            process_name = a_%(process_num)s
            """)
        want = {"a_%d" % i for i in range(4)}

        def done():
            evs = events(self.path("ev"))
            got = {e[4].split()[0].split(":")[1] for e in evs}
            return want <= got and all(
                sum(1 for e in evs if e[1] == s) >= 2
                for s in {e[1] for e in evs})
        wait_for(done, what="every RUNNING event twice (FAIL, then OK)")
        evs = events(self.path("ev"))
        for s in {e[1] for e in evs}:
            same = [e for e in evs if e[1] == s]
            # resent as it was: the same pool serial and payload
            self.assertEqual(len({(e[2], e[4]) for e in same}), 1)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_crash_mid_event_resends(self):
        d = self.drover("""
            [eventlistener:crashy]
            command = @BIN@/evlistener.py @DIR@/ev crashfirst
            events = PROCESS_STATE_EXITED
            startsecs = 0
            autorestart = true

            [program:once]
            command = /bin/true
            startsecs = 0
            autorestart = false
            """)
        self.wait_file("ev.crashed")
        first = int(self.read("ev.crashed"))
        wait_for(lambda: len(events(self.path("ev"))) >= 2,
                 what="the event again after the restart")
        evs = events(self.path("ev"))
        self.assertEqual(evs[0][1], first)
        self.assertEqual(evs[1][1], first)
        self.assertNotEqual(evs[0][0], evs[1][0])
        d.wait_log(r"event serial %d sent again" % first)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_overflow_counted(self):
        d = self.drover("""
            [eventlistener:deaf]
            command = @BIN@/evlistener.py @DIR@/ev silent
            events = PROCESS_STATE
            buffer_size = 2
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 3
            process_name = a_%(process_num)s
            """)
        d.wait_log(r"pool deaf: buffer full \(buffer_size 2\): dropped "
                   r"event serial 1 \(1 dropped so far\)")
        ctl = os.path.join(os.path.dirname(harness.DROVER), "droverctl")
        st = subprocess.run([ctl, "-s", d.socket, "status", "deaf"],
                            capture_output=True, text=True).stdout
        self.assertRegex(st, r"events queued 2 dropped [1-9]")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertRegex(d.log(), r"pool deaf: \d+ events dropped")

    def test_stdout_events_in_order(self):
        """supervisor_stdout-style: every line, in order, none lost."""
        n = 10000
        d = self.drover("""
            [eventlistener:out]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_LOG
            buffer_size = 20000
            startsecs = 0

            [program:talker]
            command = /bin/sh -c 'sleep 0.5; seq 1 %d'
            startsecs = 0
            autorestart = false
            stdout_events_enabled = true
            """ % n)
        wait_for(lambda: len(events(self.path("ev"))) >= n, timeout=60,
                 what="%d PROCESS_LOG_STDOUT events" % n)
        evs = events(self.path("ev"))
        self.assertEqual([e[4].split("\\n")[1] for e in evs],
                         [str(i) for i in range(1, n + 1)])
        self.assertTrue(all(e[3] == "PROCESS_LOG_STDOUT" for e in evs))
        self.assertNotIn("dropped", d.log())
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_superlance_crashmail(self):
        """superlance's real crashmail, with Debian's supervisor.childutils."""
        src = superlance_src(self.tmp)
        have_cu = subprocess.run(["/usr/bin/python3", "-c",
                                  "import supervisor.childutils"],
                                 capture_output=True).returncode == 0
        if not have_cu:
            if os.environ.get("CI"):
                self.fail("python3 supervisor.childutils missing "
                          "(bootstrap installs Debian's supervisor)")
            raise unittest.SkipTest("Debian's supervisor package (for "
                                    "supervisor.childutils) not installed")
        if src is None:
            # superlance has no Debian package: bootstrap clones it from
            # GitHub, which a machine without that network cannot reach
            raise unittest.SkipTest("superlance source not found "
                                    "(SUPERLANCE_DIR or tests/.cache/"
                                    "superlance; bootstrap clones it from "
                                    "github.com)")
        with open(self.path("sendmail.sh"), "w") as f:
            f.write("#!/bin/sh\ncat > %s/mail.tmp && mv %s/mail.tmp "
                    "%s/mail\n" % (self.tmp, self.tmp, self.tmp))
        os.chmod(self.path("sendmail.sh"), 0o755)
        d = self.drover("""
            [eventlistener:crashmail]
            command = /usr/bin/python3 -m superlance.crashmail -a
                -m ops@example.com -s @DIR@/sendmail.sh
            directory = @DIR@
            environment = PYTHONPATH="@DIR@",
                SUPERVISOR_SERVER_URL="unix://@DIR@/none.sock"
            events = PROCESS_STATE
            startsecs = 0

            [program:crasher]
            command = /bin/sh -c 'sleep 0.2; exit 7'
            startsecs = 0
            autorestart = false
            """)
        self.wait_file("mail", timeout=20)
        mail = self.read("mail")
        self.assertIn("To: ops@example.com", mail)
        self.assertRegex(mail, r"Process crasher in group crasher exited "
                         r"unexpectedly \(pid \d+\) from state RUNNING")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_shutdown_listener_stops_last(self):
        """Priority -1: the listener hears STOPPING and the jobs' STOPPED."""
        d = self.drover("""
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev drain
                PROCESS_STATE_STOPPED
            events = PROCESS_STATE_STOPPED, SUPERVISOR_STATE_CHANGE
            startsecs = 0
            stopwaitsecs = 20s

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        wait_for(lambda: events(self.path("ev")), what="RUNNING event")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(timeout=10), 0)
        self.assertNotIn("SIGKILL", d.log())
        # its ack came just before its exit: read, so nothing is resent
        self.assertNotIn("sent again", d.log())
        names = [(e[3], e[4].split(" ")[0]) for e in events(self.path("ev"))]
        self.assertIn(("SUPERVISOR_STATE_CHANGE_STOPPING", ""), names)
        self.assertIn(("PROCESS_STATE_STOPPED", "processname:a"), names)
        self.assertLess(names.index(("SUPERVISOR_STATE_CHANGE_STOPPING", "")),
                        names.index(("PROCESS_STATE_STOPPED",
                                     "processname:a")))

    def test_process_communication(self):
        """Capture mode: the text between the tokens is an event, not log."""
        d = self.drover("""
            [eventlistener:comm]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_COMMUNICATION
            startsecs = 0

            [program:talker]
            command = /bin/sh -c 'printf "before\\n<!--XSUPERVISOR:BEG";
                sleep 0.2; printf "IN-->hello\\nwor"; sleep 0.2;
                printf "ld<!--XSUPERVISOR:END-->after\\n"; sleep 60'
            stdout_capture_maxbytes = 1KB
            startsecs = 0

            [program:big]
            command = /bin/sh -c 'printf
                "<!--XSUPERVISOR:BEGIN-->0123456789abcdef<!--XSUPERVISOR:END-->"
                >&2; sleep 60'
            stderr_capture_maxbytes = 8
            startsecs = 0
            """)
        wait_for(lambda: len(events(self.path("ev"))) >= 2,
                 what="two PROCESS_COMMUNICATION events")
        evs = {e[3]: e for e in events(self.path("ev"))}
        out = evs["PROCESS_COMMUNICATION_STDOUT"][4]
        self.assertRegex(out, r"^processname:talker groupname:talker "
                         r"pid:\d+\\nhello\\nworld$")
        err = evs["PROCESS_COMMUNICATION_STDERR"][4]
        # past the bound the oldest bytes go, and that is logged
        self.assertRegex(err, r"^processname:big groupname:big pid:\d+"
                         r"\\n89abcdef$")
        d.wait_log(r"big: stderr capture over stderr_capture_maxbytes: "
                   r"its first 8 bytes dropped")
        d.wait_log(r"talker\[\d+\]: after")
        log = d.log()
        self.assertRegex(log, r"talker\[\d+\]: before")
        self.assertNotIn("hello", log)
        self.assertNotIn("XSUPERVISOR", log)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_tick_5(self):
        d = self.drover("""
            [eventlistener:ticker]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = TICK_5
            startsecs = 0
            """)
        wait_for(lambda: events(self.path("ev")), timeout=12, what="TICK_5")
        e = events(self.path("ev"))[0]
        self.assertEqual(e[3], "TICK_5")
        self.assertRegex(e[4], r"^when:\d+$")
        self.assertEqual(int(e[4][5:]) % 5, 0)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_bad_keys(self):
        d = self.drover("""
            [eventlistener:x]
            command = /bin/cat
            events = PROCESS_STATE_NOPE
            """, args=["--check-config"])
        self.assertEqual(d.wait_exit(), 2)
        self.assertRegex(d.log(), r"drover.ini:4: .*unknown event type "
                         r"'PROCESS_STATE_NOPE'")


    # -- a reload adds, removes and changes pools --------------------------

    def reload(self, d, text, ctl=False):
        """Write TEXT as d's configuration and SIGHUP it (droverctl reload
        if CTL); wait for it."""
        n = d.log().count("reload: reading")
        tmp = d.path + ".new"
        with open(tmp, "w") as f:
            f.write(textwrap.dedent(text).replace("@DIR@", self.tmp)
                    .replace("@BIN@", harness.BIN))
        os.rename(tmp, d.path)
        if ctl:
            droverctl = os.path.join(os.path.dirname(harness.DROVER),
                                     "droverctl")
            subprocess.run([droverctl, "-s", d.socket, "reload"],
                           check=True, capture_output=True,
                           timeout=30 * harness.SCALE)
        else:
            d.signal(signal.SIGHUP)
        d.wait_log(r"reload: \d+ unchanged", count=n + 1)

    def status(self, d, job):
        ctl = os.path.join(os.path.dirname(harness.DROVER), "droverctl")
        return subprocess.run([ctl, "-s", d.socket, "status", job],
                              capture_output=True, text=True).stdout

    def test_reload_adds_pool(self):
        """From no pool at all: the new one hears its own GROUP_ADDED."""
        d = self.drover("""
            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        d.wait_log(r"all autostart services are up")
        self.reload(d, """
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_GROUP, PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0

            [program:b]
            command = /bin/sleep 60
            startsecs = 0
            """)
        want = [("PROCESS_GROUP_ADDED", "groupname:rec\\n"),
                ("PROCESS_GROUP_ADDED", "groupname:b\\n")]
        wait_for(lambda: [(e[3], e[4]) for e in events(self.path("ev"))
                          if e[3] == "PROCESS_GROUP_ADDED"] == want,
                 what="both PROCESS_GROUP_ADDED")
        wait_for(lambda: any(e[4].startswith("processname:b ") for e in
                             events(self.path("ev"))), what="b RUNNING")
        evs = events(self.path("ev"))
        self.assertEqual([e[1] for e in evs], list(range(1, len(evs) + 1)))
        self.assertEqual([e[2] for e in evs], list(range(1, len(evs) + 1)))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reload_removes_pool(self):
        """Its queue is dropped out loud; the serials others hear go on."""
        d = self.drover("""
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE, PROCESS_GROUP
            startsecs = 0

            [eventlistener:deaf]
            command = @BIN@/evlistener.py @DIR@/deaf silent
            events = PROCESS_STATE
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        d.wait_log(r"all autostart services are up")
        wait_for(lambda: "events queued 6 " in self.status(d, "deaf"),
                 what="6 events queued for deaf")
        self.reload(d, """
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE, PROCESS_GROUP
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        d.wait_log(r"event listener pool deaf: removed: dropped 7 queued "
                   r"events \(serials 1-7\)")
        wait_for(lambda: any(e[3] == "PROCESS_GROUP_REMOVED" for e in
                             events(self.path("ev"))), what="GROUP_REMOVED")
        wait_for(lambda: any(e[3] == "PROCESS_STATE_STOPPED" and
                             e[4].startswith("processname:deaf ")
                             for e in events(self.path("ev"))),
                 what="deaf STOPPED")
        self.assertEqual(self.status(d, "deaf").find("events queued"), -1)
        # a later event: only rec hears it, with the next serial
        self.reload(d, """
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE, PROCESS_GROUP
            startsecs = 0
            """)
        wait_for(lambda: any(e[3] == "PROCESS_STATE_STOPPED" and
                             e[4].startswith("processname:a ")
                             for e in events(self.path("ev"))),
                 what="a STOPPED")
        evs = events(self.path("ev"))
        self.assertEqual([e[1] for e in evs], list(range(1, len(evs) + 1)))
        self.assertNotRegex(d.log(), r"pool deaf: event serial")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reload_changes_events_in_place(self):
        """events = : the next event; the listener keeps running."""
        d = self.drover("""
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        wait_for(lambda: len(events(self.path("ev"))) == 2,
                 what="2 RUNNING events")
        pid = events(self.path("ev"))[0][0]
        self.reload(d, """
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE_EXITED
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0

            [program:b]
            command = /bin/true
            startsecs = 0
            autorestart = false
            """)
        wait_for(lambda: len(events(self.path("ev"))) == 3,
                 what="b EXITED")
        evs = events(self.path("ev"))
        self.assertEqual(evs[2][3], "PROCESS_STATE_EXITED")
        self.assertTrue(evs[2][4].startswith("processname:b "))
        self.assertEqual({e[0] for e in evs}, {pid})
        self.assertEqual([e[1] for e in evs], [1, 2, 3])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reload_shrinks_buffer(self):
        """buffer_size = : the queue is cut to it at once, out loud."""
        d = self.drover("""
            [eventlistener:deaf]
            command = @BIN@/evlistener.py @DIR@/ev silent
            events = PROCESS_STATE
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 2
            process_name = a_%(process_num)s
            """)
        wait_for(lambda: "events queued 6 " in self.status(d, "deaf"),
                 what="6 events queued")
        pid = d.pid
        self.reload(d, """
            [eventlistener:deaf]
            command = @BIN@/evlistener.py @DIR@/ev silent
            events = PROCESS_STATE
            buffer_size = 2
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 2
            process_name = a_%(process_num)s
            """)
        for s in range(1, 5):
            d.wait_log(r"pool deaf: buffer_size now 2: dropped event "
                       r"serial %d " % s)
        self.assertIn("events queued 2 dropped 4", self.status(d, "deaf"))
        self.assertEqual(d.pid, pid)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_reload_restart_keeps_queue(self):
        """A new command and numprocs: the new processes get the queue."""
        d = self.drover("""
            [eventlistener:pool]
            command = @BIN@/evlistener.py @DIR@/ev silent
            events = PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 2
            process_name = a_%(process_num)s
            """)
        wait_for(lambda: "events queued 3 " in self.status(d, "pool"),
                 what="3 events queued")
        self.reload(d, """
            [eventlistener:pool]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_STATE_RUNNING
            startsecs = 0
            numprocs = 2
            process_name = pool_%(process_num)s

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            numprocs = 2
            process_name = a_%(process_num)s
            """, ctl=True)
        wait_for(lambda: len(events(self.path("ev"))) == 5,
                 what="3 queued and 2 new RUNNING events")
        evs = events(self.path("ev"))
        self.assertEqual(sorted(e[1] for e in evs), [1, 2, 3, 4, 5])
        names = {e[4].split()[0] for e in evs}
        self.assertEqual(names, {"processname:pool", "processname:a_0",
                                 "processname:a_1", "processname:pool_0",
                                 "processname:pool_1"})
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


    def test_update_adds_and_removes_pools(self):
        """supervisorctl update: stop (the held event goes back to the
        queue), then remove (the queue is dropped out loud)."""
        need_supervisorctl(self)
        d = self.drover("""
            [unix_http_server]
            file = @DIR@/sv.sock

            [eventlistener:old]
            command = @BIN@/evlistener.py @DIR@/old hold
            events = PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        wait_for(lambda: events(self.path("old")) and
                 "events queued 1 " in self.status(d, "old"),
                 what="old holds one event, one queued")
        held = events(self.path("old"))[0][1]
        with open(d.path, "w") as f:
            f.write(textwrap.dedent("""
                [unix_http_server]
                file = @DIR@/sv.sock

                [eventlistener:new]
                command = @BIN@/evlistener.py @DIR@/ev ok
                events = PROCESS_GROUP, PROCESS_STATE_RUNNING
                startsecs = 0

                [program:a]
                command = /bin/sleep 61
                startsecs = 0
                """).replace("@DIR@", self.tmp)
                    .replace("@BIN@", harness.BIN))
        out = subprocess.run([SUPERVISORCTL, "-s", "unix://" +
                              self.path("sv.sock"), "update"],
                             capture_output=True, text=True,
                             stdin=subprocess.DEVNULL,
                             timeout=30 * harness.SCALE).stdout
        self.assertIn("old: removed process group", out)
        self.assertIn("new: added process group", out)
        d.wait_log(r"pool old: removed: dropped 2 queued events "
                   r"\(serials 1-2\)")
        self.assertEqual(held, 1)
        self.assertIn("a: updated process group", out)
        # a restarted group is removed and added, as supervisord does
        wait_for(lambda: [(e[3], e[4]) for e in events(self.path("ev"))
                          if e[3].startswith("PROCESS_GROUP")] ==
                 [("PROCESS_GROUP_ADDED", "groupname:new\\n"),
                  ("PROCESS_GROUP_REMOVED", "groupname:a\\n"),
                  ("PROCESS_GROUP_ADDED", "groupname:a\\n"),
                  ("PROCESS_GROUP_REMOVED", "groupname:old\\n")],
                 what="new hears its own ADDED, a's and old's")
        wait_for(lambda: any(e[4].startswith("processname:new ")
                             for e in events(self.path("ev"))),
                 what="new's own RUNNING")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


    def test_reload_removes_holding_listener(self):
        """The event a removed listener held and never answered is
        dropped out loud once the listener is gone."""
        d = self.drover("""
            [eventlistener:old]
            command = @BIN@/evlistener.py @DIR@/old hold
            events = PROCESS_STATE_RUNNING
            startsecs = 0

            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        wait_for(lambda: events(self.path("old")) and
                 "events queued 1 " in self.status(d, "old"),
                 what="old holds one event, one queued")
        held = events(self.path("old"))[0][1]
        self.reload(d, """
            [program:a]
            command = /bin/sleep 60
            startsecs = 0
            """)
        d.wait_log(r"pool old: removed: dropped 1 queued event "
                   r"\(serial 2\)")
        d.wait_log(r"pool old: removed, its listener did not answer: "
                   r"dropped event serial %d \(2 dropped so far\)" % held)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


    def test_reload_sends_no_second_running(self):
        """A reload before every service is up is no second start."""
        conf = """
            [eventlistener:rec]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = SUPERVISOR_STATE_CHANGE, PROCESS_GROUP
            startsecs = 0

            [program:slow]
            command = /bin/sleep 60
            startsecs = 60
            """
        d = self.drover(conf)
        wait_for(lambda: events(self.path("ev")), what="RUNNING")
        for job in ("b", "c"):
            conf += """
            [program:%s]
            command = /bin/sleep 60
            startsecs = 0
            """ % job
            self.reload(d, conf)
            wait_for(lambda: ("PROCESS_GROUP_ADDED", "groupname:%s\\n" %
                              job) in [(e[3], e[4]) for e in
                                       events(self.path("ev"))],
                     what="GROUP_ADDED " + job)
        self.assertEqual([e[3] for e in events(self.path("ev"))],
                         ["SUPERVISOR_STATE_CHANGE_RUNNING",
                          "PROCESS_GROUP_ADDED", "PROCESS_GROUP_ADDED"])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


    def test_reload_adds_stdout_events_job(self):
        """A job a reload adds with stdout_events_enabled: its first line,
        written at once, is an event (the bus subscription follows)."""
        conf = """
            [eventlistener:out]
            command = @BIN@/evlistener.py @DIR@/ev ok
            events = PROCESS_LOG
            startsecs = 0
            """
        d = self.drover(conf)
        d.wait_log(r"all autostart services are up")
        self.reload(d, conf + """
            [program:talker]
            command = /bin/sh -c 'echo hello; exec sleep 60'
            startsecs = 0
            stdout_events_enabled = true
            """)
        wait_for(lambda: events(self.path("ev")), what="a PROCESS_LOG")
        evs = events(self.path("ev"))
        self.assertEqual(evs[0][3], "PROCESS_LOG_STDOUT")
        self.assertTrue(evs[0][4].endswith("\\nhello\\n"), evs[0][4])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

#!/usr/bin/env python3
"""schedule =: calendar runs of tasks, overlap, random_delay, --once,
drover -t, droverctl status, reload, and the state file.

cron has minute resolution; these tests use drover's 6-field form (seconds
first: "* * * * * *" is every second), so nothing waits for a minute.
"""
import json
import os
import signal
import subprocess
import time

import harness
from harness import wait_for, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")


def runs(lines):
    """stamp.sh lines -> [(start_ns, end_ns or None)] in order."""
    out = []
    for l in lines:
        kind, _, t = l.split()
        if kind == "start":
            out.append([int(t), None])
        elif out and out[-1][1] is None:
            out[-1][1] = int(t)
    return out


class ScheduleTest(harness.DroverTest):
    def ctl_json(self, d, *args):
        r = subprocess.run([DROVERCTL, "-s", d.socket, "--json"] +
                           list(args), capture_output=True, text=True,
                           timeout=30 * SCALE)
        return r.returncode, json.loads(r.stdout)

    def check(self, config):
        d = self.drover(config, args=["-t"])
        rc = d.wait_exit()
        return rc, d.log()

    # --- bad input first -------------------------------------------------

    def test_bad_schedules_name_file_and_line(self):
        rc, log = self.check("""
            [task:a]
            command = /bin/true
            schedule = 61 * * * *
            [task:b]
            command = /bin/true
            schedule = @daily
            interval = 5s
            [task:c]
            command = /bin/true
            schedule = daily
            [task:d]
            command = /bin/true
            schedule = @daily
            timezone = Mars/Olympus
            [task:e]
            command = /bin/true
            schedule = @daily
            overlap = sometimes
            [service:f]
            command = /bin/true
            schedule = @daily
            [task:g]
            command = /bin/true
            timezone = UTC
            [task:h]
            command = /bin/true
            schedule = @daily
            random_delay = soon
            """)
        self.assertEqual(rc, 2, log)
        ini = os.path.join(self.tmp, "drover.ini")
        for line, msg in [
                (4, "schedule: invalid calendar expression '61 * * * *': "
                 "field 1 (minute): out of range 0-59"),
                (7, "schedule and interval (line 8) may not both be set"),
                (11, "OnCalendar= forms are not accepted"),
                (15, "timezone: invalid value 'Mars/Olympus'"),
                (19, "overlap: invalid value 'sometimes' (expected skip, "
                 "queue or cancel-previous)"),
                (22, "schedule: only valid in [task:x]"),
                (25, "timezone: is only valid with schedule"),
                (29, "random_delay: invalid value 'soon'")]:
            self.assertRegex(log, r"%s:%d: .*%s" % (
                ini.replace(".", r"\."), line,
                msg.replace("*", r"\*").replace("(", r"\(")
                .replace(")", r"\)").replace("[", r"\[")
                .replace("]", r"\]")))

    def test_check_prints_next_three_runs(self):
        rc, log = self.check("""
            [task:leap]
            command = /bin/true
            schedule = 0 0 29 2 *
            timezone = UTC
            [task:boot]
            command = /bin/true
            schedule = @reboot
            [task:never]
            command = /bin/true
            schedule = 0 0 30 2 *
            """)
        self.assertEqual(rc, 0, log)
        self.assertIn("leap: schedule 0 0 29 2 *, timezone UTC\n"
                      "  2028-02-29 00:00:00 UTC\n"
                      "  2032-02-29 00:00:00 UTC\n"
                      "  2036-02-29 00:00:00 UTC\n", log)
        self.assertIn("boot: schedule @reboot\n  at every start", log)
        self.assertIn("never: schedule 0 0 30 2 *\n  never\n", log)

    # --- runs and overlap ------------------------------------------------

    def test_overlap_skip_is_logged_counted_and_never_overlaps(self):
        d = self.drover("""
            [task:slow]
            command = @BIN@/stamp.sh @DIR@/stamps slow 2.5
            schedule = * * * * * *
            """)
        d.wait_log(r"slow: scheduled run skipped: the previous run is "
                   r"still going \(3 skipped\)", timeout=15)
        rc, rep = self.ctl_json(d, "status", "slow")
        self.assertGreaterEqual(rep["instances"][0]["schedule"]["skipped"],
                                3)
        d.signal(signal.SIGTERM)
        d.wait_exit()
        r = runs(self.read_lines("stamps"))
        for a, b in zip(r, r[1:]):
            self.assertGreaterEqual(b[0], a[1])

    def test_overlap_queue_runs_after_the_running_one(self):
        d = self.drover("""
            [task:q]
            command = @BIN@/stamp.sh @DIR@/stamps q 1.5
            schedule = */3 * * * * *
            overlap = queue
            """)
        # due at 0, 3, 6, ... runs of 1.5s never overlap; a slower clock
        # is not needed: the queue shows when a run comes due mid-run
        d.wait_log(r"q: scheduled run", timeout=10)
        wait_for(lambda: len(runs(self.read_lines("stamps"))) >= 2,
                 timeout=15, what="two runs")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        self.assertNotIn("skipped", d.log())

    def test_overlap_queue_when_due_mid_run(self):
        d = self.drover("""
            [task:q]
            command = @BIN@/stamp.sh @DIR@/stamps q 1.5
            schedule = * * * * * *
            overlap = queue
            """)
        d.wait_log(r"q: scheduled run queued after the running one",
                   timeout=10)
        wait_for(lambda: len([x for x in runs(self.read_lines("stamps"))
                              if x[1]]) >= 3, timeout=15,
                 what="three finished runs")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        r = [x for x in runs(self.read_lines("stamps")) if x[1]]
        for a, b in zip(r, r[1:]):
            self.assertGreaterEqual(b[0], a[1])     # never two at once
            self.assertLess(b[0] - a[1], 0.7e9 * SCALE)  # right after
        self.assertNotIn("skipped", d.log())

    def test_overlap_cancel_previous(self):
        d = self.drover("""
            [drover]
            shutdown_timeout = 1s
            [task:c]
            command = /bin/sleep 30
            schedule = */2 * * * * *
            overlap = cancel-previous
            """)
        d.wait_log(r"c: scheduled run cancels the previous run", timeout=10)
        d.wait_log(r"c: cancelled", timeout=10)
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_random_delay_bounds(self):
        d = self.drover("""
            [task:r]
            command = @BIN@/stamp.sh @DIR@/stamps r 0
            schedule = */2 * * * * *
            random_delay = 1500ms
            """)
        wait_for(lambda: len(runs(self.read_lines("stamps"))) >= 4,
                 timeout=20, what="four runs")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        offs = [(s % 2000000000) / 1e9 for s, _ in
                runs(self.read_lines("stamps"))]
        for o in offs:      # due on an even second, delayed 0..1.5s
            self.assertLess(o, 1.5 + 0.3 * SCALE, offs)
        self.assertTrue(any(o > 0.1 for o in offs), offs)

    def test_once_counts_a_scheduled_task_done_after_its_first_run(self):
        d = self.drover("""
            [task:s]
            command = /bin/sh -c 'echo ran >> @DIR@/ran'
            schedule = * * * * * *
            [task:plain]
            command = /bin/true
            """, args=["--once"])
        self.assertEqual(d.wait_exit(), 0, d.log())
        self.assertEqual(self.read_lines("ran"), ["ran"])

    def test_autostart_false_leaves_the_schedule_off(self):
        d = self.drover("""
            [task:off]
            command = /bin/sh -c 'echo ran >> @DIR@/ran'
            schedule = * * * * * *
            autostart = false
            [task:on]
            command = /bin/sh -c 'echo on >> @DIR@/on'
            schedule = * * * * * *
            """)
        wait_for(lambda: len(self.read_lines("on")) >= 2, timeout=10,
                 what="two runs of on")
        self.assertEqual(self.read_lines("ran"), [])
        d.signal(signal.SIGTERM)
        d.wait_exit()

    # --- visibility ------------------------------------------------------

    def test_status_shows_next_run_and_reload_recomputes_it(self):
        cfg = """
            [task:yearly]
            command = /bin/sh -c 'echo ran >> @DIR@/ran'
            schedule = %s
            timezone = UTC
            """
        d = self.drover(cfg % "0 0 1 1 *")
        d.wait_log(r"started: 1 jobs")
        sch = wait_for(lambda: self.ctl_json(d, "status")[1]["instances"]
                       [0].get("schedule"), what="schedule in status")
        first = sch["next_run_ms"]
        self.assertGreater(first, time.time() * 1000)
        self.assertRegex(sch["next_run"], r"^\d{4}-01-01 00:00:00 UTC$")
        r = subprocess.run([DROVERCTL, "-s", d.socket, "status"],
                           capture_output=True, text=True)
        self.assertRegex(r.stdout, r"yearly .*next \d{4}-01-01 00:00:00 UTC")
        with open(d.path, "w") as f:
            f.write("[task:yearly]\ncommand = /bin/sh -c 'echo ran >> %s'\n"
                    "schedule = 0 0 2 1 *\ntimezone = UTC\n"
                    % self.path("ran"))
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: 1 unchanged")
        sch = self.ctl_json(d, "status")[1]["instances"][0]["schedule"]
        self.assertEqual(sch["next_run_ms"] - first, 86400 * 1000)
        self.assertEqual(sch["expression"], "0 0 2 1 *")
        self.assertEqual(self.read_lines("ran"), [])    # not run early
        self.assertNotIn("scheduled run", d.log())
        d.signal(signal.SIGTERM)
        d.wait_exit()

    # --- the state file --------------------------------------------------

    def state(self):
        try:
            with open(self.path("drover.state")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def ctl(self, d, *args):
        return subprocess.run([DROVERCTL, "-s", d.socket] + list(args),
                              capture_output=True, text=True,
                              timeout=30 * SCALE)

    WEB = """
        [service:web]
        command = /bin/sleep 1000
        startsecs = 0
        [service:db]
        command = /bin/sleep 1000
        startsecs = 0
        """

    def test_stopped_job_stays_stopped_across_restart(self):
        d = self.drover(self.WEB)
        d.wait_log(r"all autostart services are up")
        self.assertEqual(self.ctl(d, "stop", "web").returncode, 0)
        wait_for(lambda: (self.state() or {}).get("jobs", {}).get("web"),
                 what="web in the state file")
        self.assertEqual(self.state()["jobs"], {"web": {"stopped": True}})
        self.assertEqual(self.state()["version"], 1)
        d.signal(signal.SIGKILL)
        d.wait_exit()
        d = self.drover(self.WEB)
        d.wait_log(r"web: stopped before the restart: not started")
        d.wait_log(r"all autostart services are up")
        rc, rep = self.ctl_json(d, "status")
        st = {i["name"]: i["state"] for i in rep["instances"]}
        self.assertEqual(st, {"web": "STOPPED", "db": "RUNNING"})
        # start clears it, and a restart then starts web again
        self.assertEqual(self.ctl(d, "start", "web").returncode, 0)
        wait_for(lambda: "web" not in self.state()["jobs"],
                 what="web gone from the state file")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        d = self.drover(self.WEB)
        d.wait_log(r"all autostart services are up")
        rc, rep = self.ctl_json(d, "status", "web")
        self.assertEqual(rep["instances"][0]["state"], "RUNNING")
        self.assertNotIn("stopped before the restart", d.log())
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_removed_job_drops_its_state(self):
        d = self.drover(self.WEB)
        d.wait_log(r"all autostart services are up")
        self.ctl(d, "stop", "db")
        wait_for(lambda: "db" in ((self.state() or {}).get("jobs", {})),
                 what="db in the state file")
        with open(d.path, "w") as f:
            f.write("[service:web]\ncommand = /bin/sleep 1000\n"
                    "startsecs = 0\n")
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: .* 1 removed")
        wait_for(lambda: "db" not in self.state()["jobs"],
                 what="db dropped from the state file")
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def test_job_gone_while_drover_was_down_drops_its_state(self):
        self.write_state(json.dumps({
            "format": "drover-state", "version": 1, "jobs": {
                "gone": {"stopped": True}, "db": {"stopped": True}}}))
        d = self.drover(self.WEB)
        wait_for(lambda: "gone" not in self.state()["jobs"],
                 what="gone dropped from the state file")
        self.assertEqual(self.state()["jobs"], {"db": {"stopped": True}})
        d.signal(signal.SIGTERM)
        d.wait_exit()

    def write_state(self, text):
        with open(self.path("drover.state"), "w") as f:
            f.write(text)

    def test_corrupt_or_foreign_state_file_is_reported_and_ignored(self):
        for text, msg in [
                ('{"format": "drover-state", "vers', r"\(ignored\)"),
                ("\0\1garbage", r"\(ignored\)"),
                ('{"format": "other", "version": 1, "jobs": {}}',
                 r"not a drover state file of version 1 \(ignored\)"),
                ('{"format": "drover-state", "version": 7, "jobs": {}}',
                 r"not a drover state file"),
                ('[1, 2]', r"not a drover state file")]:
            self.write_state(text)
            d = self.drover(self.WEB)
            d.wait_log(r"state file .*drover\.state.*" + msg)
            d.wait_log(r"all autostart services are up")
            rc, rep = self.ctl_json(d, "status")
            self.assertEqual([i["state"] for i in rep["instances"]],
                             ["RUNNING", "RUNNING"])
            d.signal(signal.SIGTERM)
            self.assertEqual(d.wait_exit(), 0)

    def test_catch_up_runs_a_missed_run_once_at_start(self):
        day_ago = int((time.time() - 86400 * 2) * 1000)
        self.write_state(json.dumps({
            "format": "drover-state", "version": 1, "jobs": {
                "nightly": {"last_run_ms": day_ago},
                "plain": {"last_run_ms": day_ago},
                "fresh": {"last_run_ms": int(time.time() * 1000)}}}))
        d = self.drover("""
            [task:nightly]
            command = /bin/sh -c 'echo ran >> @DIR@/nightly'
            schedule = @daily
            catch_up = true
            [task:plain]
            command = /bin/sh -c 'echo ran >> @DIR@/plain'
            schedule = @daily
            [task:fresh]
            command = /bin/sh -c 'echo ran >> @DIR@/fresh'
            schedule = @yearly
            catch_up = true
            [task:never]
            command = /bin/sh -c 'echo ran >> @DIR@/never'
            schedule = @daily
            catch_up = true
            """)
        d.wait_log(r"nightly: a scheduled run was missed while drover "
                   r"was down: running it now \(catch_up\)")
        wait_for(lambda: self.read_lines("nightly") == ["ran"],
                 what="one catch-up run")
        wait_for(lambda: (self.state()["jobs"]["nightly"]["last_run_ms"]
                          > day_ago), what="the new last run written")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        self.assertEqual(self.read_lines("plain"), [])   # catch_up off
        self.assertEqual(self.read_lines("fresh"), [])   # nothing missed
        self.assertEqual(self.read_lines("never"), [])   # no last run
        self.assertEqual(self.read_lines("nightly"), ["ran"])

    def test_catch_up_across_a_real_restart(self):
        cfg = """
            [task:every]
            command = /bin/sh -c 'echo ran >> @DIR@/every'
            schedule = * * * * * *
            catch_up = true
            """
        d = self.drover(cfg)
        last = wait_for(lambda: (self.state() or {}).get("jobs", {})
                        .get("every", {}).get("last_run_ms"),
                        what="a last run in the state file")
        d.signal(signal.SIGKILL)
        d.wait_exit()
        # drover is down while the next second comes and goes
        wait_for(lambda: time.time() * 1000 > last + 2500, timeout=5,
                 what="a missed run")
        d = self.drover(cfg)
        d.wait_log(r"every: a scheduled run was missed while drover was "
                   r"down: running it now \(catch_up\)")
        d.signal(signal.SIGTERM)
        d.wait_exit()
        self.assertEqual(d.log().count("running it now"), 1)

    def test_state_file_survives_kill_9_during_writes(self):
        import random
        cfg = self.WEB + """
        [task:tick]
        command = /bin/true
        schedule = * * * * * *
        """
        rnd = random.Random(19)
        for n in range(12):
            d = self.drover(cfg)
            d.wait_log(r"started: 3 jobs")
            # a burst of changes, each a write 200ms later
            for _ in range(3):
                self.ctl(d, "stop", "web")
                self.ctl(d, "start", "web")
            time.sleep(rnd.uniform(0, 0.4))     # kill at any moment
            d.signal(signal.SIGKILL)
            d.wait_exit()
            st = self.state()   # always whole: json.load would raise
            if st is not None:
                self.assertEqual(st["format"], "drover-state")
                self.assertEqual(st["version"], 1)
        self.assertIsNotNone(self.state())


if __name__ == "__main__":
    harness.main()

#!/usr/bin/env python3
"""Prometheus metrics (issue 18): droverctl metrics, checked by promtool
and against what the test made happen."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess

import harness
from harness import wait_for, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")

# crashy fails its first two runs, then stays up; flaky fails runs 2 and
# 4 of 5; the third task's name needs escaping in a label value.
CONF = """
[drover]
max_concurrent = 4

[service:web]
command = /bin/sleep 1000
startsecs = 0

[service:crashy]
command = /bin/sh -c 'n=$(($(cat @DIR@/c 2>/dev/null || echo 0) + 1)); echo $n > @DIR@/c; [ $n -le 2 ] && exit 2; exec sleep 1000'
startsecs = 0
backoff = 0.01

[task:flaky]
command = /bin/sh -c 'n=$(($(cat @DIR@/n 2>/dev/null || echo 0) + 1)); echo $n > @DIR@/n; case $n in 2|4) exit 3;; esac'
autostart = false

[task:we"ird\\name]
command = /bin/sh -c 'kill -9 $$'
autostart = false

[group:batch]
jobs = flaky
max_concurrent = 2
"""

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1),
                                                       m.group(1)), v)


def parse(text):
    """{(name, frozenset(labels)): value}, and {family: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            types[name] = typ
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "bad line: %r" % line
        labels = frozenset((k, unescape(v))
                           for k, v in LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in samples, "repeated series: %r" % line
        samples[key] = float(m.group(3))
    return samples, types


class MetricsTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        if not os.access(DROVERCTL, os.X_OK):
            self.skipTest("droverctl not built")

    def ctl(self, d, *args):
        return subprocess.run([DROVERCTL, "-s", d.socket] + list(args),
                              capture_output=True, text=True,
                              timeout=30 * SCALE)

    def status(self, d, name):
        r = self.ctl(d, "--json", "status", name)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["instances"][0]

    def metrics(self, d):
        r = self.ctl(d, "metrics")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def busy_drover(self, extra=""):
        """A drover where things happened: returns it once they have."""
        d = self.drover(CONF + extra)
        wait_for(lambda: os.path.exists(d.socket), 10, what="socket")
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status answers")
        wait_for(lambda: self.status(d, "crashy")["state"] == "RUNNING" and
                 self.status(d, "crashy")["restarts"] == 2, 10,
                 what="crashy up after 2 failures")
        for i in range(1, 6):
            self.assertEqual(self.ctl(d, "run", "flaky").returncode, 0)
            wait_for(lambda: self.status(d, "flaky")["stats"]["runs"] == i
                     and self.status(d, "flaky")["state"] == "EXITED", 10,
                     what="flaky run %d" % i)
        self.ctl(d, "run", 'we"ird\\name')
        wait_for(lambda: self.status(d, 'we"ird\\name')["stats"]["runs"]
                 == 1, 10, what="the killed task")
        return d

    def promtool(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            if os.environ.get("CI") == "true":
                self.fail("promtool missing (Debian package prometheus; "
                          "./bootstrap deps installs it)")
            self.skipTest("promtool not installed (Debian package "
                          "prometheus)")
        return promtool

    def test_promtool_accepts_it(self):
        promtool = self.promtool()
        d = self.busy_drover()
        text = self.metrics(d)
        r = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, "")     # no lint either
        self.assertIn('job="we\\"ird\\\\name"', text)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_http_metrics(self):
        """GET /metrics on the HTTP server: authenticated, promtool-clean,
        the counters of what happened; HEAD has no body, POST is 405."""
        promtool = self.promtool()
        d = self.busy_drover("""
[inet_http_server]
port = 127.0.0.1:0
username = op
password = pw
""")
        port = int(d.wait_log(r"http: serving on 127\.0\.0\.1:(\d+)")[0])
        auth = {"Authorization": "Basic " +
                base64.b64encode(b"op:pw").decode()}

        def req(method, path="/metrics", headers=auth):
            c = http.client.HTTPConnection("127.0.0.1", port,
                                           timeout=10 * SCALE)
            c.request(method, path, headers=headers)
            r = c.getresponse()
            body = r.read()
            c.close()
            return r, body

        r, _ = req("GET", headers={})
        self.assertEqual(r.status, 401)
        r, _ = req("GET", headers={"Authorization": "Basic " +
                   base64.b64encode(b"op:nope").decode()})
        self.assertEqual(r.status, 401)
        r, body = req("GET")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.getheader("Content-Type").startswith(
            "text/plain; version=0.0.4"))
        text = body.decode()
        p = subprocess.run([promtool, "check", "metrics"], input=text,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")
        s, _ = parse(text)

        def v(name, job, **labels):
            return s[(name, frozenset(dict(job=job, instance=job,
                                           **labels).items()))]
        # what busy_drover made happen: flaky failed runs 2 and 4 of 5,
        # crashy crashed twice before it stayed up
        self.assertEqual(v("drover_job_failures_total", "flaky"), 2)
        self.assertEqual(v("drover_job_runs_total", "flaky", result="ok"), 3)
        self.assertEqual(v("drover_job_restarts_total", "crashy"), 2)
        self.assertEqual(v("drover_job_runs_total", "crashy",
                           result="failed"), 2)
        self.assertEqual(v("drover_job_state", "web", state="RUNNING"), 1)
        r, body = req("HEAD")
        self.assertEqual((r.status, body), (200, b""))
        r, _ = req("POST")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.getheader("Allow"), "GET, HEAD")
        r, _ = req("GET", "/metrics/x")
        self.assertEqual(r.status, 404)
        # droverctl metrics is still there, and agrees
        self.assertIn("drover_job_failures_total", self.metrics(d))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_values_match_what_happened(self):
        d = self.busy_drover()
        # a reload refused (a bad file), then one that works
        with open(d.path) as f:
            good = f.read()
        with open(d.path, "w") as f:
            f.write(good + "\n[task:bad]\nhistory = banana\n")
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: \d+ errors")
        with open(d.path, "w") as f:
            f.write(good)
        d.signal(signal.SIGHUP)
        d.wait_log(r"reload: .*unchanged")
        s, types = parse(self.metrics(d))

        def v(name, **labels):
            return s[(name, frozenset(labels.items()))]

        def inst(job, **more):
            return dict(job=job, instance=job, **more)

        self.assertEqual(v("drover_job_runs_total",
                           **inst("flaky", result="failed")), 2)
        self.assertEqual(v("drover_job_runs_total",
                           **inst("flaky", result="ok")), 3)
        self.assertEqual(v("drover_job_failures_total", **inst("flaky")), 2)
        self.assertEqual(v("drover_job_last_exit_code", **inst("flaky")), 0)
        self.assertEqual(v("drover_job_run_duration_seconds_count",
                           **inst("flaky")), 5)
        self.assertEqual(v("drover_job_run_duration_seconds_bucket",
                           **inst("flaky", le="+Inf")), 5)
        self.assertLessEqual(v("drover_job_run_duration_seconds_bucket",
                               **inst("flaky", le="0.1")), 5)
        self.assertEqual(v("drover_job_state", **inst("flaky",
                                                      state="EXITED")), 1)
        # one-hot: every instance is in exactly one state
        for job in ("web", "crashy", "flaky", 'we"ird\\name'):
            self.assertEqual(sum(v("drover_job_state", **inst(job, state=st))
                                 for st in ("STOPPED", "QUEUED", "STARTING",
                                            "RUNNING", "BACKOFF", "STOPPING",
                                            "EXITED", "FATAL")), 1, job)
        self.assertEqual(v("drover_job_state", **inst("web",
                                                      state="RUNNING")), 1)
        self.assertGreater(v("drover_job_uptime_seconds", **inst("web")), 0)
        self.assertEqual(v("drover_job_uptime_seconds", **inst("flaky")), 0)
        # the crashing service: two failed runs, two restarts, exit 2
        self.assertEqual(v("drover_job_restarts_total", **inst("crashy")), 2)
        self.assertEqual(v("drover_job_runs_total",
                           **inst("crashy", result="failed")), 2)
        self.assertEqual(v("drover_job_last_exit_code", **inst("crashy")), 2)
        # the task killed by SIGKILL, its name escaped and read back
        weird = inst('we"ird\\name')
        self.assertEqual(v("drover_job_runs_total",
                           **dict(weird, result="failed")) +
                         v("drover_job_runs_total",
                           **dict(weird, result="killed")), 1)
        self.assertEqual(v("drover_job_last_exit_signal", **weird), 9)
        self.assertNotIn(("drover_job_last_exit_code", frozenset(
            weird.items())), s)
        self.assertEqual(v("drover_job_info", **inst(
            "flaky", kind="task", group="batch")), 1)
        # drover's own
        self.assertEqual(v("drover_reloads_total"), 2)
        self.assertEqual(v("drover_reload_failures_total"), 1)
        self.assertEqual(v("drover_shutdown_phase", phase="none"), 1)
        self.assertEqual(v("drover_shutdown_phase", phase="drain"), 0)
        self.assertEqual(v("drover_group_slots_max", group="batch"), 2)
        self.assertEqual(v("drover_group_slots_used", group="batch"), 0)
        self.assertEqual(v("drover_queued_instances"), 0)
        self.assertEqual(v("drover_task_slots_max"), 4)
        self.assertEqual(v("drover_task_slots_used"), 0)
        self.assertEqual(v("drover_build_info", version=re.search(
            r"drover (\S+)", self.ctl(d, "version").stdout).group(1)), 1)
        self.assertGreater(v("drover_open_fds"), 3)
        self.assertGreater(v("drover_resident_memory_bytes"), 100000)
        self.assertGreater(v("drover_uptime_seconds"), 0)
        self.assertGreaterEqual(v("drover_loop_lag_seconds"), 0)
        self.assertGreaterEqual(v("drover_loop_lag_samples_total"), 1)
        self.assertEqual(types["drover_job_run_duration_seconds"],
                         "histogram")
        self.assertEqual(types["drover_job_runs_total"], "counter")
        for name, _ in s:
            self.assertTrue(name.startswith("drover_"), name)
        # counters never go back: another run adds one, a reload kept them
        self.assertEqual(self.ctl(d, "run", "flaky").returncode, 0)
        wait_for(lambda: self.status(d, "flaky")["stats"]["runs"] == 6, 10,
                 what="sixth run")
        s, _ = parse(self.metrics(d))
        self.assertEqual(v("drover_job_runs_total",
                           **inst("flaky", result="ok")), 4)
        r = self.ctl(d, "--json", "metrics")
        rep = json.loads(r.stdout)
        self.assertTrue(rep["content_type"].startswith(
            "text/plain; version=0.0.4"))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_every_family_is_documented(self):
        d = self.busy_drover()
        _, types = parse(self.metrics(d))
        with open(os.path.join(harness.SRCDIR, "doc",
                               "drover-metrics.7")) as f:
            doc = f.read()
        documented = set(re.findall(r"^\.It Li (drover_\w+) Pq (\w+)$", doc,
                                    re.M))
        self.assertEqual(set(types.items()), documented)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_idle_drover_does_not_wake_up(self):
        """Loop lag is measured from timers drover arms anyway: an idle
        drover (a service up, nothing due) makes no system calls."""
        if shutil.which("strace") is None:
            self.skipTest("strace not installed")
        d = self.drover("""
            [service:web]
            command = /bin/sleep 1000
            startsecs = 0
            """)
        wait_for(lambda: os.path.exists(d.socket), 10, what="socket")
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status answers")
        self.metrics(d)
        out = self.path("strace.out")
        try:
            r = subprocess.run(["timeout", "-s", "INT", str(2 * SCALE),
                                "strace", "-f", "-qq", "-o", out, "-p",
                                str(d.pid)], capture_output=True, text=True)
        except OSError as e:
            self.skipTest("strace: %s" % e)
        if "Operation not permitted" in r.stderr:
            self.skipTest("ptrace not permitted here")
        lines = self.read_lines("strace.out")
        # attached: the loop sits in one epoll_wait, and nothing else runs
        self.assertTrue(any("epoll_wait(" in l for l in lines), lines)
        self.assertEqual(len(lines), 1, "\n".join(lines))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

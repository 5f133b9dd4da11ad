#!/usr/bin/env python3
"""The control socket and droverctl (SPEC 10), from outside."""
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import time
from textwrap import dedent

import harness
from harness import wait_for, pid_alive, SCALE

DROVERCTL = os.environ.get("DROVERCTL") or os.path.join(
    os.path.dirname(harness.DROVER), "droverctl")

BASIC = """
[service:web]
command = /bin/sleep 1000
startsecs = 0

[service:worker]
command = /bin/sleep 1000
numprocs = 2
process_name = worker_%(process_num)d
startsecs = 0

[task:backup]
command = /bin/sh -c 'echo ran >> @DIR@/backup.runs'
autostart = false
interval = 1h

[group:pair]
jobs = left, right

[service:left]
command = /bin/sleep 1000
startsecs = 0

[service:right]
command = /bin/sleep 1000
startsecs = 0
"""


class ControlTest(harness.DroverTest):
    def setUp(self):
        super().setUp()
        if not os.access(DROVERCTL, os.X_OK):
            self.skipTest("droverctl not built")

    # --- helpers ---------------------------------------------------------

    def ctl(self, d, *args, sock=None, prefix=(), timeout=30):
        return subprocess.run(
            list(prefix) + [DROVERCTL, "-s", sock or d.socket] + list(args),
            capture_output=True, text=True, timeout=timeout * SCALE)

    def ctl_json(self, d, *args):
        r = self.ctl(d, "--json", *args)
        return r.returncode, json.loads(r.stdout)

    def status(self, d, *names):
        rc, rep = self.ctl_json(d, "status", *names)
        self.assertEqual(rc, 0, rep)
        return {i["name"]: i for i in rep["instances"]}

    def prompt_status(self, d):
        """status answers promptly: the loop is not blocked."""
        t = time.monotonic()
        r = self.ctl(d, "status", timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.monotonic() - t, 3 * SCALE)
        self.assertRegex(r.stdout, r"(?m)^web\s+RUNNING\s+pid \d+")

    def connect(self, d):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10 * SCALE)
        s.connect(d.socket)
        return s

    def read_reply(self, s):
        buf = b""
        while b"\n" not in buf:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
        line = buf.split(b"\n")[0]
        return json.loads(line) if line else None

    def raw(self, d, data):
        with self.connect(d) as s:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return self.read_reply(s)

    def start(self, conf=BASIC, args=()):
        d = self.drover(conf, args=args)
        wait_for(lambda: os.path.exists(d.socket), 10, what="socket")
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status")
        wait_for(lambda: self.status(d)["web"]["state"] == "RUNNING", 10,
                 what="web running")
        return d

    def finish(self, d):
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertFalse(os.path.exists(d.socket), "socket left behind")

    # --- status ----------------------------------------------------------

    def test_restart_after_leftovers_were_killed(self):
        """A service whose stop leaves a child (killed by cgroup.kill)
        restarts, and the new run stays up: on Linux 6.18 a child born
        into a leaf cgroup.kill once hit is killed at once, so drover
        makes that leaf anew."""
        d = self.drover("""
            [service:web]
            command = @BIN@/ticker.sh @DIR@/web.out
            stdout = null
            startsecs = 0
            """)
        d.wait_log(r"all autostart services are up")
        for n in range(2):
            r = self.ctl(d, "restart", "web")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        pid = self.status(d, "web")["web"]["pid"]
        # the run lives on: it prints, and its pid is the same later
        mark = int(self.read("web.out"))
        wait_for(lambda: int(self.read("web.out") or 0) > mark + 5, 10,
                 what="the restarted web ticking")
        st = self.status(d, "web")["web"]
        self.assertEqual((st["state"], st["pid"]), ("RUNNING", pid))
        self.assertNotIn("signal 9", d.log())

    def test_status_table_and_json(self):
        d = self.start()
        wait_for(lambda: self.status(d)["worker_1"]["state"] == "RUNNING",
                 10, what="workers")
        r = self.ctl(d, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 6, r.stdout)
        self.assertRegex(lines[0],
                         r"^web {18}RUNNING   pid \d+, uptime 0:00:\d\d$")
        self.assertRegex(r.stdout, r"(?m)^backup\s+STOPPED\s+not started$")
        rc, rep = self.ctl_json(d, "status", "web")
        self.assertEqual(rc, 0)
        self.assertTrue(rep["ok"])
        self.assertEqual(rep["drover"]["pid"], d.pid)
        self.assertFalse(rep["drover"]["shutting_down"])
        (web,) = rep["instances"]
        for key in ("name", "job", "kind", "state", "pid", "uptime_ms",
                    "restarts", "last", "next_run_in_ms"):
            self.assertIn(key, web)
        self.assertEqual(web["kind"], "service")
        self.assertTrue(pid_alive(web["pid"]))
        # names: instance, job, JOB:N, JOB:*, GROUP:*, group:GROUP, all
        for name, want in (("worker_1", ["worker_1"]),
                           ("worker", ["worker_0", "worker_1"]),
                           ("worker:1", ["worker_1"]),
                           ("worker:*", ["worker_0", "worker_1"]),
                           ("pair:*", ["left", "right"]),
                           ("group:pair", ["left", "right"]),
                           ("pair:left", ["left"])):
            self.assertEqual(sorted(self.status(d, name)), want, name)
        self.assertEqual(len(self.status(d, "all")), 6)
        # an implicit per-job group is not a group
        r = self.ctl(d, "status", "group:web")
        self.assertEqual(r.returncode, 3)
        r = self.ctl(d, "status", "wbe")
        self.assertEqual(r.returncode, 3)
        self.assertIn("did you mean 'web'", r.stderr)
        self.finish(d)

    # --- start, stop, restart, run ----------------------------------------

    def test_stop_start_restart(self):
        d = self.start()
        pid = self.status(d)["web"]["pid"]
        r = self.ctl(d, "stop", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        # stop replied once it was stopped, not before
        self.assertRegex(r.stdout, r"^web\s+STOPPED\s+last cancelled")
        self.assertFalse(pid_alive(pid))
        self.assertEqual(self.status(d)["web"]["state"], "STOPPED")
        r = self.ctl(d, "start", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = self.status(d)["web"]
        self.assertEqual(st["state"], "RUNNING")
        self.assertNotEqual(st["pid"], pid)
        r = self.ctl(d, "restart", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        st2 = self.status(d)["web"]
        self.assertEqual(st2["state"], "RUNNING")
        self.assertNotEqual(st2["pid"], st["pid"])
        self.assertFalse(pid_alive(st["pid"]))
        self.assertEqual(st2["restarts"], st["restarts"] + 1)
        # a group, at once
        r = self.ctl(d, "stop", "pair:*")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = self.status(d)
        self.assertEqual((s["left"]["state"], s["right"]["state"],
                          s["web"]["state"]), ("STOPPED", "STOPPED",
                                               "RUNNING"))
        r = self.ctl(d, "start", "pair:*")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.status(d, "pair:*")["left"]["state"],
                         "RUNNING")
        self.assertIn("control: uid 0 pid ", d.log())
        self.assertIn(": stop pair:*", d.log())
        self.finish(d)

    def test_stop_waits_for_a_slow_stop_and_no_wait(self):
        d = self.start(BASIC + dedent("""
            [service:stubborn]
            command = @BIN@/ignore-term.sh @DIR@/stubborn.pid
            startsecs = 0
            stopwaitsecs = 1s
            """))
        self.wait_pidfile("stubborn.pid")
        t = time.monotonic()
        r = self.ctl(d, "stop", "stubborn")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(time.monotonic() - t, 0.9)
        self.assertRegex(r.stdout, r"STOPPED\s+last cancelled \(signal KILL")
        r = self.ctl(d, "start", "stubborn")
        self.assertEqual(r.returncode, 0, r.stderr)
        t = time.monotonic()
        rc, rep = self.ctl_json(d, "--no-wait", "stop", "stubborn")
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t, 0.9)
        self.assertEqual(rep["instances"][0]["state"], "STOPPING")
        self.assertEqual(rep["instances"][0]["stopping"]["escalation"],
                         "SIGKILL")
        wait_for(lambda: self.status(d)["stubborn"]["state"] == "STOPPED",
                 10, what="stubborn stopped")
        self.finish(d)

    def test_run_task(self):
        d = self.start()
        self.assertEqual(self.read_lines("backup.runs"), [])
        r = self.ctl(d, "run", "backup")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.read_lines("backup.runs") == ["ran"], 10,
                 what="backup ran")
        wait_for(lambda: self.status(d)["backup"]["state"] == "EXITED", 10,
                 what="backup exited")
        st = self.status(d)["backup"]
        self.assertEqual(st["last"]["result"], "ok")
        self.assertEqual(st["last"]["code"], 0)
        self.assertGreater(st["next_run_in_ms"], 3000 * 1000)
        r = self.ctl(d, "status", "backup")
        self.assertRegex(r.stdout, r"EXITED\s+last ok \(exit 0, [0-9.]+s\), "
                         r"next run in (59m\d+s|1h), 1/1 ok \(100%\), "
                         r"median [0-9.]+s$")
        r = self.ctl(d, "run", "web")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is a service", r.stderr)
        self.finish(d)

    def test_signal(self):
        d = self.start(BASIC + dedent("""
            [service:hup]
            command = /bin/sh -c 'trap "echo hup >> @DIR@/hup" HUP; echo $$ > @DIR@/hup.pid; while :; do sleep 0.1; done'
            startsecs = 0
            """))
        pid = self.wait_pidfile("hup.pid")
        r = self.ctl(d, "signal", "hup", "HUP")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.read_lines("hup") == ["hup"], 10, what="HUP")
        self.assertEqual(self.status(d)["hup"]["pid"], pid)
        self.assertEqual(self.ctl(d, "signal", "hup", "NOPE").returncode, 2)
        self.assertEqual(self.ctl(d, "signal", "backup", "HUP").returncode,
                         1)
        self.finish(d)

    def test_reload(self):
        d = self.start()
        with open(d.path, "a") as f:
            f.write("\n[service:added]\ncommand = /bin/sleep 1000\n"
                    "startsecs = 0\n")
        r = self.ctl(d, "reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.status(d).get("added", {}).get("state") ==
                 "RUNNING", 10, what="added job running")
        with open(d.path, "a") as f:
            f.write("\n[service:broken]\nstartsecs = soon\n")
        r = self.ctl(d, "reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn("errors", r.stderr)
        self.finish(d)

    # --- permissions -------------------------------------------------------

    def unprivileged(self, d, *groups):
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            self.skipTest("needs root and setpriv")
        os.chmod(self.tmp, 0o755)
        ctl = os.path.join(self.tmp, "droverctl")
        shutil.copy(DROVERCTL, ctl)
        os.chmod(ctl, 0o755)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534"]
        prefix += ["--groups=" + ",".join(map(str, groups))] if groups \
            else ["--clear-groups"]
        return subprocess.run(prefix + [ctl, "-s", d.socket, "status"],
                              capture_output=True, text=True,
                              timeout=30 * SCALE)

    def test_unprivileged_peer_is_refused(self):
        d = self.start(BASIC + "[drover]\nsocket_mode = 0666\n")
        self.assertEqual(stat.S_IMODE(os.stat(d.socket).st_mode), 0o666)
        r = self.unprivileged(d)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("not permitted", r.stderr)
        d.wait_log(r"control: uid 65534 pid \d+: refused: not permitted")
        self.prompt_status(d)
        self.finish(d)

    def test_socket_group_member_is_allowed(self):
        d = self.start(BASIC + "[drover]\nsocket_mode = 0660\n"
                       "socket_group = users\n")
        st = os.stat(d.socket)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(st.st_gid, 100)
        # connect() itself is allowed by the group, the peer check too
        r = self.unprivileged(d, 100)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^web\s+RUNNING")
        self.finish(d)

    def test_default_mode_is_0600(self):
        d = self.start()
        self.assertEqual(stat.S_IMODE(os.stat(d.socket).st_mode), 0o600)
        self.assertTrue(stat.S_ISSOCK(os.stat(d.socket).st_mode))
        self.finish(d)

    # --- abuse -------------------------------------------------------------

    def test_malformed_json_nul_and_unknowns(self):
        d = self.start()
        rep = self.raw(d, b'{"cmd": "status", \n')
        self.assertEqual(rep["error"], "bad-request")
        self.assertIn("malformed JSON", rep["message"])
        rep = self.raw(d, b'{"cmd": "sta\x00tus"}\n')
        self.assertEqual(rep["error"], "bad-request")
        self.assertIn("NUL", rep["message"])
        rep = self.raw(d, b'["status"]\n')
        self.assertEqual(rep["error"], "bad-request")
        rep = self.raw(d, b'{"cmd": "frobnicate"}\n')
        self.assertEqual(rep["error"], "bad-request")
        self.assertIn("unknown command", rep["message"])
        rep = self.raw(d, b'{"cmd": "stop", "args": ["nosuch"]}\n')
        self.assertEqual(rep["error"], "unknown-job")
        rep = self.raw(d, b'{"cmd": "stop"}\n')
        self.assertEqual(rep["error"], "bad-request")
        self.assertEqual(self.ctl(d, "frobnicate").returncode, 2)
        self.assertEqual(self.ctl(d, "stop", "nosuch").returncode, 3)
        # a bad line does not end the connection: the next one is answered,
        # and replies come in order, with the request's id
        with self.connect(d) as s:
            s.sendall(b'nonsense\n{"cmd":"version","id":7}\n'
                      b'{"cmd":"status","args":["web"],"id":"x"}\n')
            f = s.makefile("rb")
            a, b, c = (json.loads(f.readline()) for _ in range(3))
        self.assertEqual(a["error"], "bad-request")
        self.assertEqual((b["ok"], b["id"], b["cmd"]), (True, 7, "version"))
        self.assertEqual((c["id"], c["instances"][0]["name"]), ("x", "web"))
        self.prompt_status(d)
        self.finish(d)

    def test_huge_line(self):
        d = self.start()
        rss = rss_kb(d.pid)
        rep = self.raw(d, b'{"cmd":"status","args":["' + b"a" * 10000000)
        self.assertEqual(rep["error"], "bad-request")
        self.assertIn("longer than 65536", rep["message"])
        d.wait_log(r"request longer than 65536 bytes, closing")
        self.prompt_status(d)
        self.assertLess(rss_kb(d.pid) - rss, 20 * 1024)
        self.finish(d)

    def test_half_request_then_idle(self):
        d = self.start()
        s = self.connect(d)
        s.sendall(b'{"cmd": "sta')
        self.prompt_status(d)
        # closed after the idle timeout (30s), with nothing sent back
        s.settimeout(45 * SCALE)
        self.assertEqual(s.recv(100), b"")
        s.close()
        d.wait_log(r"idle for 30s, closing")
        self.prompt_status(d)
        self.finish(d)

    def test_thousand_connections(self):
        d = self.start()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, 4096)
        if want < 1100:
            self.skipTest("RLIMIT_NOFILE hard limit too low")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        socks = []
        try:
            for _ in range(1000):
                socks.append(self.connect(d))
            # the ones past the limit were told so and closed
            refused = 0
            for s in socks[200:]:
                rep = self.read_reply(s)
                if rep is not None:
                    self.assertEqual(rep["error"], "failed")
                    self.assertIn("too many connections", rep["message"])
                    refused += 1
            self.assertGreaterEqual(refused, 800 - 64)
        finally:
            for s in socks:
                s.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        d.wait_log(r"control: 64 connections, refusing more")
        # the held ones see EOF and go away
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status after the flood")
        self.prompt_status(d)
        self.finish(d)

    def test_out_of_fds(self):
        d = self.start()
        if os.geteuid() != 0:
            self.skipTest("needs root to lower drover's RLIMIT_NOFILE")
        lim = resource.prlimit(d.pid, resource.RLIMIT_NOFILE)
        nfds = len(os.listdir("/proc/%d/fd" % d.pid))
        resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (nfds + 4, lim[1]))
        socks = []
        try:
            for _ in range(20):
                socks.append(self.connect(d))
            d.wait_log(r"control: out of file descriptors")
            self.assertTrue(pid_alive(d.pid))
        finally:
            for s in socks:
                s.close()
            resource.prlimit(d.pid, resource.RLIMIT_NOFILE, lim)
        wait_for(lambda: self.ctl(d, "status").returncode == 0, 10,
                 what="status after EMFILE")
        self.prompt_status(d)
        self.finish(d)

    def test_client_disconnects_before_reply(self):
        d = self.start(BASIC + dedent("""
            [service:stubborn]
            command = @BIN@/ignore-term.sh @DIR@/stubborn.pid
            startsecs = 0
            stopwaitsecs = 1s
            """))
        self.wait_pidfile("stubborn.pid")
        for req in (b'{"cmd":"stop","args":["stubborn"]}\n',
                    b'{"cmd":"status"}\n' * 50):
            s = self.connect(d)
            s.sendall(req)
            s.close()
        self.prompt_status(d)
        wait_for(lambda: self.status(d)["stubborn"]["state"] == "STOPPED",
                 10, what="stubborn stopped")
        self.prompt_status(d)
        self.finish(d)

    def test_commands_during_shutdown(self):
        d = self.start(BASIC + dedent("""
            [service:stubborn]
            command = @BIN@/ignore-term.sh @DIR@/stubborn.pid
            startsecs = 0
            stopwaitsecs = 4s
            """))
        self.wait_pidfile("stubborn.pid")
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown \(SIGTERM\)")
        wait_for(lambda: self.status(d)["stubborn"]["state"] == "STOPPING",
                 10, what="stubborn stopping")
        for cmd in (["start", "web"], ["restart", "stubborn"],
                    ["run", "backup"], ["reload"]):
            r = self.ctl(d, *cmd)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn("shutting down", r.stderr)
        rc, rep = self.ctl_json(d, "start", "web")
        self.assertEqual(rep["error"], "shutting-down")
        r = self.ctl(d, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^drover is shutting down \(drain\)")
        self.assertRegex(r.stdout, r"(?m)^stubborn\s+STOPPING\s+pid \d+, "
                         r"uptime [0-9:]+, stopping for \d+s, "
                         r"SIGKILL in [1-4]s")
        r = self.ctl(d, "signal", "stubborn", "CONT")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(d.wait_exit(), 0)
        self.assertFalse(os.path.exists(d.socket))

    # --- lifecycle ---------------------------------------------------------

    def test_shutdown_through_the_socket(self):
        d = self.start()
        r = self.ctl(d, "shutdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("shutting down", r.stdout)
        self.assertEqual(d.wait_exit(), 0)
        self.assertIn("shutdown (droverctl shutdown)", d.log())
        self.assertFalse(os.path.exists(d.socket))
        r = self.ctl(d, "status")
        self.assertEqual(r.returncode, 4)
        self.assertIn("cannot connect", r.stderr)

    def test_shutdown_that_completes_at_once_still_replies(self):
        d = self.drover("""
            [task:idle]
            command = /bin/true
            autostart = false
            """)
        wait_for(lambda: self.ctl(d, "version").returncode == 0, 10,
                 what="version")
        r = self.ctl(d, "shutdown")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "shutting down\n")
        self.assertEqual(d.wait_exit(), 0)

    def test_second_drover_refuses_to_start(self):
        d = self.start()
        d2 = harness.Drover(self.tmp, "[service:x]\ncommand = /bin/sleep 9\n",
                            args=["-s", d.socket], name="second.ini")
        d2.logpath = self.path("second.log")
        self.drovers.append(d2)
        d2.start()
        self.assertEqual(d2.wait_exit(), 2)
        self.assertIn("is in use", d2.log())
        self.assertNotIn("started", d2.log())
        # the first one is untouched
        self.prompt_status(d)
        self.finish(d)

    def test_stale_socket_is_replaced(self):
        path = self.path("drover.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()			# a dead drover's socket
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        d = self.start()
        d.wait_log(r"replacing a stale socket")
        self.prompt_status(d)
        self.finish(d)

    def test_not_a_socket_is_left_alone(self):
        with open(self.path("drover.sock"), "w") as f:
            f.write("precious\n")
        d = self.drover(BASIC)
        d.wait_log(r"exists and is not a socket; running without")
        d.wait_log(r"started")
        self.assertEqual(self.read("drover.sock"), "precious\n")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)
        self.assertEqual(self.read("drover.sock"), "precious\n")

    def test_socket_none_disables_it(self):
        d = self.drover(BASIC + "[drover]\nsocket = none\n", start=False)
        d.args = []		# no -s: the configuration says none
        d.start()
        d.wait_log(r"control socket disabled")
        self.assertFalse(os.path.exists(d.socket))
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    harness.main()

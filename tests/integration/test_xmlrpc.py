#!/usr/bin/env python3
"""supervisord's XML-RPC API: Debian's real supervisorctl and Python's
xmlrpc.client against drover's [unix_http_server] and [inet_http_server]."""
import base64
import hashlib
import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import textwrap
import threading
import time
import unittest
import xmlrpc.client

import harness
from harness import wait_for

SUPERVISORCTL = shutil.which("supervisorctl") or "/usr/bin/supervisorctl"


def need_supervisorctl(test):
    if os.access(SUPERVISORCTL, os.X_OK):
        return
    if os.environ.get("CI"):
        test.fail("supervisorctl missing (Debian package supervisor; "
                  "./bootstrap installs it)")
    test.skipTest("no supervisorctl (Debian package supervisor)")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.sock_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.sock_path)


class UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path):
        super().__init__()
        self.sock_path = path

    def make_connection(self, host):
        return UnixHTTPConnection(self.sock_path)


def proxy(path):
    return xmlrpc.client.ServerProxy("http://localhost/RPC2",
                                     transport=UnixTransport(path))


BASE = """
    [unix_http_server]
    file = @DIR@/sv.sock

    [program:web]
    command = @BIN@/ticker.sh @DIR@/web.out
    startsecs = 0

    [program:worker]
    command = sleep 1000
    numprocs = 2
    process_name = %(program_name)s_%(process_num)d
    startsecs = 0

    [program:idle]
    command = sleep 1000
    autostart = false
    startsecs = 0

    [program:a]
    command = sleep 1000
    startsecs = 0

    [program:b]
    command = sleep 1000
    startsecs = 0

    [group:pair]
    programs = a, b
"""


class XMLRPC(harness.DroverTest):

    def ctl(self, *args, sock=None, check=None, timeout=30):
        r = subprocess.run(
            [SUPERVISORCTL, "-s", "unix://" + (sock or self.path("sv.sock"))]
            + list(args), capture_output=True, text=True,
            timeout=timeout * harness.SCALE, stdin=subprocess.DEVNULL)
        if check is not None:
            self.assertEqual(r.returncode, check, r.stdout + r.stderr)
        return r.stdout

    def up(self, config=BASE):
        d = self.drover(config)
        d.wait_log(r"http: serving on")
        wait_for(lambda: "RUNNING" in self.ctl("status", "web"), 10,
                 what="web RUNNING")
        return d

    def status(self):
        """{namespec: (state, description)} from supervisorctl status."""
        out = {}
        for line in self.ctl("status").splitlines():
            m = re.match(r"(\S+)\s+([A-Z]+)\s*(.*)$", line)
            if m:
                out[m.group(1)] = (m.group(2), m.group(3))
        return out

    def test_status_start_stop_restart(self):
        """The usual session reads as against supervisord."""
        need_supervisorctl(self)
        self.up()
        wait_for(lambda: all(s[0] == "RUNNING" for n, s in
                             self.status().items() if n != "idle"),
                 10, what="all RUNNING")
        st = self.status()
        self.assertEqual(sorted(st), ["idle", "pair:a", "pair:b", "web",
                                      "worker:worker_0", "worker:worker_1"])
        self.assertEqual(st["idle"], ("STOPPED", "Not started"))
        self.assertRegex(st["web"][1], r"^pid \d+, uptime 0:00:\d\d$")
        # status exits 3 when something is stopped (LSB), as supervisord's
        r = subprocess.run([SUPERVISORCTL, "-s", "unix://" +
                            self.path("sv.sock"), "status"],
                           capture_output=True)
        self.assertEqual(r.returncode, 3)

        self.assertEqual(self.ctl("start", "idle"), "idle: started\n")
        self.assertIn("idle: ERROR (already started)", self.ctl("start",
                                                                "idle"))
        self.assertEqual(self.ctl("stop", "idle"), "idle: stopped\n")
        self.assertIn("idle: ERROR (not running)", self.ctl("stop", "idle"))
        self.assertIn("nope: ERROR (no such process)",
                      self.ctl("start", "nope"))

        out = self.ctl("stop", "worker:*")
        self.assertEqual(sorted(out.splitlines()),
                         ["worker:worker_0: stopped",
                          "worker:worker_1: stopped"])
        st = self.status()
        self.assertEqual(st["worker:worker_0"][0], "STOPPED")
        self.assertRegex(st["worker:worker_0"][1],
                         r"^[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M$")
        out = self.ctl("start", "worker:")
        self.assertEqual(sorted(out.splitlines()),
                         ["worker:worker_0: started",
                          "worker:worker_1: started"])

        pid = int(self.ctl("pid", "pair:a"))
        out = self.ctl("restart", "pair:a")
        self.assertEqual(out, "pair:a: stopped\npair:a: started\n")
        self.assertNotEqual(int(self.ctl("pid", "pair:a")), pid)
        self.assertTrue(harness.pid_alive(int(self.ctl("pid", "pair:b"))))

        out = self.ctl("stop", "all")
        self.assertEqual(len(out.splitlines()), 5, out)
        self.assertTrue(all(s[0] == "STOPPED" for s in
                            self.status().values()))
        out = self.ctl("start", "all")
        # all: the services that autostart and the one that does not
        self.assertEqual(len(out.splitlines()), 6, out)

    def test_signal_pid_avail_version(self):
        need_supervisorctl(self)
        d = self.up()
        self.assertEqual(int(self.ctl("pid")), d.pid)
        pid = int(self.ctl("pid", "web"))
        self.assertEqual(self.ctl("signal", "STOP", "web"),
                         "web: signalled\n")
        wait_for(lambda: open("/proc/%d/stat" % pid).read().split(") ")[1]
                 [0] == "T", 5, what="web stopped by SIGSTOP")
        self.ctl("signal", "CONT", "web")
        self.assertIn("ERROR (bad signal name)", self.ctl("signal", "NOPE",
                                                          "web"))
        self.assertIn("idle: ERROR (not running)",
                      self.ctl("signal", "HUP", "idle"))
        avail = self.ctl("avail").splitlines()
        self.assertEqual(len(avail), 6)
        self.assertRegex(avail[0], r"^pair:a\s+in use\s+auto\s+999:999$")
        self.assertTrue(any(re.match(r"^idle\s+in use\s+manual", l)
                            for l in avail), avail)
        self.assertRegex(self.ctl("version"), r"^\d+\.\d+\.\d+\n$")

    def test_reread_update_reload_shutdown(self):
        need_supervisorctl(self)
        d = self.up()
        conf = open(d.path).read()
        conf = conf.replace("[program:idle]", "[program:fresh]")
        conf = conf.replace("command = @BIN@/ticker.sh", "command = "
                            + harness.BIN + "/ticker.sh")
        conf = conf.replace("numprocs = 2", "numprocs = 3")
        with open(d.path, "w") as f:
            f.write(conf.replace("@DIR@", self.tmp))
        out = self.ctl("reread")
        self.assertEqual(sorted(out.splitlines()),
                         ["fresh: available", "idle: disappeared",
                          "worker: changed"])
        self.assertIn("fresh", self.ctl("avail"))
        self.assertIn("avail", [l.split()[1] for l in
                                self.ctl("avail").splitlines()
                                if l.startswith("fresh")])
        out = self.ctl("update")
        self.assertIn("fresh: added process group", out)
        self.assertIn("idle: removed process group", out)
        self.assertIn("worker: updated process group", out)
        wait_for(lambda: "worker:worker_2" in self.status()
                 and "idle" not in self.status(), 10,
                 what="update applied")
        self.assertEqual(self.ctl("reread"),
                         "No config updates to processes\n")

        # reload: the configuration again, every service restarted
        pid = int(self.ctl("pid", "web"))
        self.assertIn("Restarted supervisord", self.ctl("reload"))
        wait_for(lambda: self.ctl("pid", "web").strip() not in
                 ("0", str(pid)), 10, what="web restarted")
        self.assertEqual(int(self.ctl("pid")), d.pid)

        self.assertIn("Shut down", self.ctl("shutdown"))
        self.assertEqual(d.wait_exit(), 0)

    def test_tail_maintail_clear(self):
        """tail, tail -f, maintail and clear read the kept output."""
        need_supervisorctl(self)
        self.up(textwrap.dedent(BASE) + textwrap.dedent("""
            [program:once]
            command = sh -c 'echo hello; echo oops >&2; exec sleep 1000'
            startsecs = 0
            """))
        s = proxy(self.path("sv.sock"))
        wait_for(lambda: s.supervisor.readProcessStderrLog("once", 0, 0)
                 == "oops\n", 10, what="once's output kept")
        self.assertEqual(s.supervisor.readProcessStdoutLog("once", 0, 0),
                         "hello\n")
        self.assertEqual(s.supervisor.readProcessStdoutLog("once", -3, 0),
                         "lo\n")
        self.assertEqual(s.supervisor.tailProcessStdoutLog("once", 0, 3),
                         ["lo\n", 6, True])
        self.assertEqual(s.supervisor.tailProcessStdoutLog("once", 6, 100),
                         ["", 6, False])
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.readProcessStdoutLog("once", -3, 2)
        self.assertEqual(f.exception.faultCode, 3)  # BAD_ARGUMENTS
        self.assertEqual(self.ctl("tail", "once"), "hello\n\n")
        self.assertEqual(self.ctl("tail", "once", "stderr"), "oops\n\n")
        self.assertRegex(self.ctl("tail", "-30", "web"), r"tick \d+\n")
        self.assertIn("drover", self.ctl("maintail"))
        self.assertIn("nope: ERROR (no such process name)",
                      self.ctl("tail", "nope"))

        # tail -f: what web prints after it started arrives
        p = subprocess.Popen([SUPERVISORCTL, "-s", "unix://" +
                              self.path("sv.sock"), "tail", "-f", "web"],
                             stdout=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
        try:
            first = int(self.read("web.out"))
            seen = []
            deadline = time.monotonic() + 10 * harness.SCALE
            while True:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "tail -f: no new line in 10s")
                if not select.select([p.stdout], [], [], left)[0]:
                    continue
                line = p.stdout.readline()
                self.assertTrue(line, "tail -f ended")
                m = re.match(r"tick (\d+)$", line.strip())
                if m:
                    seen.append(int(m.group(1)))
                if seen and seen[-1] > first + 3:
                    break
        finally:
            p.kill()
            p.wait()
        # the follower that went away is dropped; drover still answers
        self.assertEqual(s.supervisor.getState()["statename"], "RUNNING")

        self.assertEqual(self.ctl("clear", "once"), "once: cleared\n")
        self.assertEqual(s.supervisor.readProcessStdoutLog("once", 0, 0),
                         "")
        self.assertTrue(s.supervisor.clearLog())

    def test_multicall_and_faults(self):
        """A Python xmlrpc.client script gets supervisord's answers."""
        self.up()
        s = proxy(self.path("sv.sock"))
        self.assertEqual(s.supervisor.getAPIVersion(), "3.0")
        self.assertEqual(s.supervisor.getState(),
                         {"statecode": 1, "statename": "RUNNING"})
        r = s.system.multicall([
            {"methodName": "supervisor.getAPIVersion", "params": []},
            {"methodName": "supervisor.getProcessInfo", "params": ["nope"]},
            {"methodName": "supervisor.getProcessInfo", "params": ["web"]},
            {"methodName": "supervisor.startProcess", "params": ["web"]},
            {"methodName": "supervisor.stopProcess",
             "params": ["pair:b", False]},
        ])
        self.assertEqual(r[0], ["3.0"])
        self.assertEqual(r[1], {"faultCode": 10,
                                "faultString": "BAD_NAME: nope"})
        info = r[2][0]
        self.assertEqual((info["name"], info["group"], info["state"],
                          info["statename"]), ("web", "web", 20, "RUNNING"))
        for k in ("start", "stop", "now", "spawnerr", "exitstatus",
                  "logfile", "stdout_logfile", "stderr_logfile", "pid",
                  "description"):
            self.assertIn(k, info)
        self.assertEqual(r[3]["faultCode"], 60)     # ALREADY_STARTED
        self.assertEqual(r[4], [True])
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.noSuchMethod()
        self.assertEqual(f.exception.faultCode, 1)  # UNKNOWN_METHOD
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.getProcessInfo()
        self.assertEqual(f.exception.faultCode, 4)  # SIGNATURE_UNSUPPORTED
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.stopProcess("idle")
        self.assertEqual(f.exception.faultCode, 70)  # NOT_RUNNING
        res = s.supervisor.stopProcessGroup("worker")
        self.assertEqual(sorted((x["name"], x["status"], x["description"])
                                for x in res),
                         [("worker_0", 80, "OK"), ("worker_1", 80, "OK")])
        methods = s.system.listMethods()
        for m in ("supervisor.tailProcessStdoutLog", "system.multicall",
                  "supervisor.sendRemoteCommEvent", "supervisor.readLog"):
            self.assertIn(m, methods)
        self.assertIn("string", s.system.methodSignature(
            "supervisor.startProcess")[0])
        self.assertTrue(s.system.methodHelp("supervisor.getPID"))
        self.assertTrue(s.supervisor.sendRemoteCommEvent("t", "d"))
        ci = {c["name"]: c for c in s.supervisor.getAllConfigInfo()}
        self.assertEqual(sorted(ci), ["a", "b", "idle", "web", "worker_0",
                                      "worker_1"])
        for k in ("autostart", "command", "exitcodes", "group", "inuse",
                  "stdout_logfile", "stdout_capture_maxbytes",
                  "stderr_logfile_maxbytes", "stderr_syslog", "stopsignal",
                  "stopwaitsecs", "startsecs", "serverurl"):
            self.assertIn(k, ci["web"])
        self.assertEqual((ci["a"]["group"], ci["idle"]["autostart"],
                          ci["web"]["exitcodes"], ci["web"]["stopsignal"]),
                         ("pair", False, [0], 15))

    def test_child_reaches_back_and_gets_stdin(self):
        """SUPERVISOR_SERVER_URL leads supervisor.childutils to drover;
        sendProcessStdin writes to a job with stdin = pipe."""
        if not os.path.exists("/usr/lib/python3/dist-packages/supervisor"):
            if os.environ.get("CI"):
                self.fail("Debian's python3-supervisor is missing")
            self.skipTest("no supervisor.childutils")
        self.up(textwrap.dedent(BASE) + textwrap.dedent("""
            [program:child]
            command = @BIN@/rpc-child.py @DIR@/child.out
            stdin = pipe
            startsecs = 0
            """))
        self.wait_file("child.out")
        url, state, pid = self.read("child.out").split()
        self.assertEqual(url, "unix://" + self.path("sv.sock"))
        self.assertIn(state, ("STARTING", "RUNNING"))
        s = proxy(self.path("sv.sock"))
        self.assertEqual(s.supervisor.getProcessInfo("child")["pid"],
                         int(pid))
        self.assertTrue(s.supervisor.sendProcessStdin("child", "héllo\n"))
        wait_for(lambda: "stdin: héllo" in self.read("child.out"), 10,
                 what="the line on the child's stdin")
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.sendProcessStdin("web", "x")
        self.assertEqual(f.exception.faultCode, 20)   # NO_FILE
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.sendProcessStdin("idle", "x")
        self.assertEqual(f.exception.faultCode, 70)   # NOT_RUNNING

    def test_wait_blocks_only_its_caller(self):
        """A stop that waits for a slow job leaves the loop free."""
        d = self.up("""
            [unix_http_server]
            file = @DIR@/sv.sock

            [program:web]
            command = sleep 1000
            startsecs = 0

            [program:slow]
            command = @BIN@/ignore-term.sh @DIR@/slow.ready
            startsecs = 0
            stopwaitsecs = 3
            """)
        self.wait_file("slow.ready")
        done = {}

        def stopper():
            t0 = time.monotonic()
            done["r"] = proxy(self.path("sv.sock")).supervisor.stopProcess(
                "slow")
            done["t"] = time.monotonic() - t0
        th = threading.Thread(target=stopper)
        th.start()
        s = proxy(self.path("sv.sock"))
        wait_for(lambda: s.supervisor.getProcessInfo("slow")["statename"]
                 == "STOPPING", 5, what="slow STOPPING")
        t0 = time.monotonic()
        self.assertEqual(s.supervisor.getState()["statename"], "RUNNING")
        self.assertLess(time.monotonic() - t0, 1.0 * harness.SCALE)
        self.assertTrue(th.is_alive())          # still waiting
        th.join(20 * harness.SCALE)
        self.assertTrue(done.get("r"))
        self.assertGreater(done["t"], 2.5)      # waited for the SIGKILL
        self.assertEqual(s.supervisor.getProcessInfo("slow")["statename"],
                         "STOPPED")

    def test_shutdown_state(self):
        d = self.up("""
            [unix_http_server]
            file = @DIR@/sv.sock

            [program:web]
            command = @BIN@/ignore-term.sh @DIR@/web.ready
            startsecs = 0
            stopwaitsecs = 5
            """)
        self.wait_file("web.ready")
        s = proxy(self.path("sv.sock"))
        d.signal(signal.SIGTERM)
        d.wait_log(r"shutdown")
        with self.assertRaises(xmlrpc.client.Fault) as f:
            s.supervisor.getAllProcessInfo()
        self.assertEqual(f.exception.faultCode, 6)  # SHUTDOWN_STATE
        self.assertEqual(d.wait_exit(), 0)


class HTTPServer(harness.DroverTest):

    def inet(self, auth):
        d = self.drover("""
            [inet_http_server]
            port = 127.0.0.1:0
            %s

            [program:web]
            command = sleep 1000
            startsecs = 0
            """ % auth)
        m = d.wait_log(r"http: serving on 127\.0\.0\.1:(\d+)")
        return d, int(m[0])

    def post(self, port, body, headers=None, path="/RPC2"):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h = {"Content-Type": "text/xml"}
        h.update(headers or {})
        c.request("POST", path, body, h)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    CALL = (b"<?xml version='1.0'?><methodCall><methodName>"
            b"supervisor.getAPIVersion</methodName><params/></methodCall>")

    def test_basic_auth_sha(self):
        """password = {SHA}hex, as supervisord takes it."""
        sha = hashlib.sha1(b"s3cret").hexdigest()
        _, port = self.inet("username = op\n            password = {SHA}"
                            + sha)
        st, _ = self.post(port, self.CALL)
        self.assertEqual(st, 401)
        for cred, want in ((b"op:wrong", 401), (b"op:" + sha.encode(), 401),
                           (b"other:s3cret", 401), (b"op:s3cret", 200)):
            st, body = self.post(port, self.CALL, {
                "Authorization": "Basic " + base64.b64encode(cred).decode()})
            self.assertEqual(st, want, cred)
        self.assertIn(b"3.0", body)

    def test_basic_auth_supervisorctl(self):
        need_supervisorctl(self)
        _, port = self.inet("username = op\n            password = s3cret")
        url = "http://127.0.0.1:%d" % port
        r = subprocess.run([SUPERVISORCTL, "-s", url, "-u", "op", "-p",
                            "s3cret", "status", "web"], capture_output=True,
                           text=True, timeout=30)
        self.assertIn("RUNNING", r.stdout)
        r = subprocess.run([SUPERVISORCTL, "-s", url, "-u", "op", "-p",
                            "nope", "status"], capture_output=True,
                           text=True, timeout=30)
        self.assertIn("401", r.stdout + r.stderr)

    def test_bad_requests(self):
        """Malformed, oversized, slow or wrong requests: a clean error,
        and drover goes on answering."""
        d, port = self.inet("")
        st, body = self.post(port, b"<methodCall><oops")
        self.assertEqual(st, 200)
        self.assertIn(b"<fault>", body)
        # 10 MB: refused (413) once the header says so, the body unread
        big = socket.create_connection(("127.0.0.1", port))
        big.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    b"text/xml\r\nContent-Length: %d\r\n\r\n"
                    % (10 * 1024 * 1024))
        try:
            big.sendall(b"x" * (10 * 1024 * 1024))
        except OSError:
            pass
        big.settimeout(10)
        self.assertIn(b" 413 ", big.recv(4096).split(b"\r\n")[0] + b" ")
        big.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/RPC2")
        self.assertEqual(c.getresponse().status, 405)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/nothing/here")
        self.assertEqual(c.getresponse().status, 404)
        # a slow client that promised more than it sends holds only its
        # own connection
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 1000\r\n\r\n<methodCall>")
        t0 = time.monotonic()
        st, body = self.post(port, self.CALL)
        self.assertEqual((st, b"3.0" in body), (200, True))
        self.assertLess(time.monotonic() - t0, 2 * harness.SCALE)
        slow.close()
        self.assertIsNone(d.proc.poll())

    def call(self, method, *params):
        return xmlrpc.client.dumps(params, method).encode()

    def state(self, port, name):
        st, body = self.post(port, self.call("supervisor.getProcessInfo",
                                             name))
        self.assertEqual(st, 200)
        return xmlrpc.client.loads(body)[0][0]["statename"]

    def test_dns_rebinding_refused(self):
        """Without a username, a Host that is a DNS name (a rebinding
        page's) is refused on every path, /RPC2 too, before anything
        runs; an IP literal or localhost is not."""
        d = self.drover("""
            [inet_http_server]
            port = 127.0.0.1:0

            [program:idle]
            command = sleep 1000
            autostart = false
            startsecs = 0
            """)
        port = int(d.wait_log(r"http: serving on 127\.0\.0\.1:(\d+)")[0])
        start = self.call("supervisor.startProcess", "idle", False)
        for host in ("evil.example", "evil.example:%d" % port,
                     "127.0.0.1.evil.example", "localhost.evil.example",
                     "[::1].evil.example", "[::1]x", "[evil.example]",
                     "127.0.0.1:80x", ""):
            st, body = self.post(port, start, {"Host": host})
            self.assertEqual(st, 403, host)
            self.assertIn(b"DNS rebinding", body)
        for path in ("/metrics", "/mainlogtail", "/logtail/idle", "/"):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path, headers={"Host": "evil.example"})
            self.assertEqual(c.getresponse().status, 403, path)
            c.close()
        d.wait_log(r"http: refused Host \"evil\.example:%d\": " % port)
        d.wait_log(r"http: refused Host \"\[::1\]x\"")
        self.assertEqual(self.state(port, "idle"), "STOPPED")
        for host in ("127.0.0.1:%d" % port, "127.0.0.1", "localhost",
                     "localhost.:%d" % port, "LocalHost", "[::1]:%d" % port,
                     "[::1]", "drover.localhost", "127.1"):
            st, body = self.post(port, self.CALL, {"Host": host})
            self.assertEqual((st, b"3.0" in body), (200, True), host)
        self.assertEqual(self.state(port, "idle"), "STOPPED")
        # Python's xmlrpc.client and Debian's supervisorctl, as they are
        p = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
        self.assertEqual(p.supervisor.getAPIVersion(), "3.0")
        p = xmlrpc.client.ServerProxy("http://localhost:%d/RPC2" % port)
        self.assertEqual(p.supervisor.getState()["statename"], "RUNNING")
        if os.access(SUPERVISORCTL, os.X_OK) or os.environ.get("CI"):
            need_supervisorctl(self)
            r = subprocess.run([SUPERVISORCTL, "-s", "http://127.0.0.1:%d"
                                % port, "status", "idle"],
                               capture_output=True, text=True, timeout=30)
            self.assertRegex(r.stdout, r"^idle\s+STOPPED", r.stderr)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_dns_name_with_password(self):
        """With a username the Host is not checked (a rebinding page has
        no credentials for its name): valid ones pass, none is 401."""
        _, port = self.inet("username = op\n            password = pw")
        ok = "Basic " + base64.b64encode(b"op:pw").decode()
        st, body = self.post(port, self.CALL, {"Host": "evil.example",
                                               "Authorization": ok})
        self.assertEqual((st, b"3.0" in body), (200, True))
        st, _ = self.post(port, self.CALL, {"Host": "evil.example"})
        self.assertEqual(st, 401)

    def test_unix_socket_any_host(self):
        """The unix socket takes any Host: its peer is checked by
        SO_PEERCRED, and no browser reaches it."""
        d = self.drover("""
            [unix_http_server]
            file = @DIR@/sv.sock

            [program:web]
            command = sleep 1000
            startsecs = 0
            """)
        d.wait_log(r"http: serving on")
        c = UnixHTTPConnection(self.path("sv.sock"))
        c.request("POST", "/RPC2", self.CALL, {"Content-Type": "text/xml",
                                               "Host": "evil.example"})
        r = c.getresponse()
        self.assertEqual((r.status, b"3.0" in r.read()), (200, True))
        c.close()

    def test_drover_native_keys(self):
        """The same servers spelt in [drover]: http_socket, http_listen,
        http_username, http_password."""
        need_supervisorctl(self)
        d = self.drover("""
            [drover]
            http_socket = @DIR@/native.sock
            http_socket_mode = 0700
            http_listen = 127.0.0.1:0
            http_username = op
            http_password = pw

            [service:web]
            command = sleep 1000
            startsecs = 0
            """)
        port = int(d.wait_log(r"http: serving on 127\.0\.0\.1:(\d+)")[0])
        self.assertEqual(os.stat(self.path("native.sock")).st_mode & 0o777,
                         0o700)
        for url in ("unix://" + self.path("native.sock"),
                    "http://127.0.0.1:%d" % port):
            r = subprocess.run([SUPERVISORCTL, "-s", url, "-u", "op", "-p",
                                "pw", "status"], capture_output=True,
                               text=True, timeout=30)
            self.assertRegex(r.stdout, r"^web\s+RUNNING\s+pid \d+", url)
        bad = self.drover("""
            [drover]
            http_listen = 0.0.0.0:9001
            """, start=False)
        r = subprocess.run([harness.DROVER, "-t", "-c", bad.path],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(bad.path + ":3: http_listen = 0.0.0.0:9001 is not a "
                      "loopback address", r.stderr)

    def test_open_port_without_password_refused(self):
        d = self.drover("""
            [inet_http_server]
            port = 0.0.0.0:0

            [program:web]
            command = sleep 1000
            """, args=["-t"], start=False)
        r = subprocess.run([harness.DROVER, "-t", "-c", d.path],
                           capture_output=True, text=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr + r.stdout, re.escape(d.path) +
                         r":3: .*not a loopback address: set username and "
                         r"password")


if __name__ == "__main__":
    harness.main()

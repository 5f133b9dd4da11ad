#!/usr/bin/env python3
"""The status page (GET /, /api/*): Debian's headless chromium loads it,
sees the jobs and presses "restart" (through the DevTools protocol over
--remote-debugging-pipe, stdlib only); plain HTTP checks the security
rules (no action by GET, the CSRF token, cross-site refusals, escaping).

DROVER_SCREENSHOT=FILE also saves the screenshot there (doc/status-page.png
is made so)."""
import base64
import fcntl
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

import harness
from harness import wait_for, SCALE

AUTH = "Basic " + base64.b64encode(b"op:pw").decode()

# A name that is HTML, output that is HTML: both must show as text.
CONF = """
[inet_http_server]
port = 127.0.0.1:0
username = op
password = pw

[service:web]
command = /bin/sh -c 'echo "<script>document.title=1</script> web up"; exec sleep 1000'
startsecs = 0

[service:worker]
command = /bin/sh -c 'echo "working <b>hard</b>" >&2; exec sleep 1000'
startsecs = 0

[task:backup]
command = /bin/sh -c 'n=$(($(cat @DIR@/n 2>/dev/null || echo 0) + 1)); echo $n > @DIR@/n; sleep 0.$n; [ $n -ne 3 ]'
autostart = false

[task:<i>x&amp;y]
command = /bin/echo '<script>alert(1)</script>'
"""


class Chromium:
    """chromium --headless=new, driven over --remote-debugging-pipe:
    fd 3 carries our commands to it, fd 4 its answers, each JSON message
    ended by a NUL."""

    def __init__(self, exe, tmpdir):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        # the child's ends above 4, so that moving them to 3 and 4 does
        # not close one
        to_r, from_w = (self._above(to_r, 10), self._above(from_w, 10))
        args = [exe, "--headless=new", "--remote-debugging-pipe",
                "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-dev-shm-usage",
                "--user-data-dir=" + os.path.join(tmpdir, "chromium"),
                "--window-size=1280,900", "about:blank"]
        # the pipe ends at fds 3 and 4, where chromium wants them
        with open(os.path.join(tmpdir, "chromium.log"), "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "import os, sys; "
                 "os.dup2(%d, 3); os.dup2(%d, 4); os.close(%d); os.close(%d); "
                 "os.execv(sys.argv[1], sys.argv[1:])" %
                 (to_r, from_w, to_r, from_w)] + args,
                pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=log)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    @staticmethod
    def _above(fd, low):
        new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)
        os.close(fd)
        return new

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("chromium did not answer")
            r, _, _ = select.select([self.from_r], [], [], left)
            if r:
                chunk = os.read(self.from_r, 65536)
                if not chunk:
                    raise AssertionError("chromium went away")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, timeout=20, session=True, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout * SCALE
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, timeout=20):
        deadline = time.monotonic() + timeout * SCALE
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def open_page(self):
        targets = self.call("Target.getTargets")["targetInfos"]
        page = [t for t in targets if t["type"] == "page"][0]
        self.session = self.call("Target.attachToTarget", session=False,
                                 targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        self.call("Page.enable")
        self.call("Network.enable")

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise AssertionError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, selector):
        """A real click: the mouse pressed and released on the element."""
        box = self.js("""(() => {
            const e = document.querySelector(%s);
            if (!e) return null;
            e.scrollIntoView({block: "center"});
            const r = e.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        })()""" % json.dumps(selector))
        assert box, "nothing to click at " + selector
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=t, x=box[0],
                      y=box[1], button="left", clickCount=1)


class PageTest(harness.DroverTest):

    def up(self, conf=CONF):
        d = self.drover(conf)
        port = int(d.wait_log(r"http: serving on 127\.0\.0\.1:(\d+)")[0])
        return d, port

    def req(self, port, method, path, headers=None, auth=True):
        h = {"Authorization": AUTH} if auth else {}
        h.update(headers or {})
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10 * SCALE)
        c.request(method, path, headers=h)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r, body

    def status(self, port):
        r, body = self.req(port, "GET", "/api/status")
        self.assertEqual(r.status, 200, body)
        return {j["name"]: j for j in json.loads(body)["jobs"]}

    def token(self, port):
        r, body = self.req(port, "GET", "/")
        self.assertEqual(r.status, 200)
        return re.search(rb'name="drover-token" content="([0-9a-f]{32})"',
                         body).group(1).decode()

    def running_pid(self, port, name):
        j = self.status(port)[name]
        return j["pid"] if j["state"] == "RUNNING" else None

    def test_security(self):
        d, port = self.up()
        pid = wait_for(lambda: self.running_pid(port, "web"), 10,
                       what="web up")
        tok = self.token(port)
        # the same Basic auth as /RPC2, for the page and its JSON
        for path in ("/", "/api/status", "/api/tail/web", "/metrics"):
            r, _ = self.req(port, "GET", path, auth=False)
            self.assertEqual(r.status, 401, path)
        r, _ = self.req(port, "POST", "/api/restart/web", auth=False,
                        headers={"X-Drover-Token": tok})
        self.assertEqual(r.status, 401)
        # no action by GET
        for path in ("/api/restart/web", "/api/stop/web", "/api/start/web"):
            r, _ = self.req(port, "GET", path)
            self.assertEqual(r.status, 405, path)
            self.assertEqual(r.getheader("Allow"), "POST")
        r, _ = self.req(port, "HEAD", "/api/restart/web")
        self.assertEqual(r.status, 405)
        r, _ = self.req(port, "POST", "/api/status")
        self.assertEqual(r.status, 405)
        # no token, a wrong one
        r, body = self.req(port, "POST", "/api/restart/web")
        self.assertEqual(r.status, 403)
        self.assertIn(b"X-Drover-Token", body)
        r, _ = self.req(port, "POST", "/api/restart/web",
                        headers={"X-Drover-Token": "0" * 32})
        self.assertEqual(r.status, 403)
        # cross-site, even with the token
        for h in ({"Origin": "http://evil.example"},
                  {"Origin": "null"},
                  {"Origin": "http://127.0.0.1:%d.evil.example" % port},
                  {"Sec-Fetch-Site": "cross-site"},
                  {"Sec-Fetch-Site": "same-site"}):
            h["X-Drover-Token"] = tok
            r, _ = self.req(port, "POST", "/api/restart/web", headers=h)
            self.assertEqual(r.status, 403, h)
        r, _ = self.req(port, "POST", "/api/restart/nope",
                        headers={"X-Drover-Token": tok})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.running_pid(port, "web"), pid)
        self.assertNotIn("from the status page", d.log())
        # and the right way: same origin, the token
        r, body = self.req(port, "POST", "/api/restart/web", headers={
            "X-Drover-Token": tok, "Origin": "http://127.0.0.1:%d" % port,
            "Sec-Fetch-Site": "same-origin"})
        self.assertEqual(r.status, 202, body)
        wait_for(lambda: self.running_pid(port, "web") not in (None, pid),
                 10, what="web restarted")
        d.wait_log(r"web: restart from the status page")
        # the page: no external assets, a CSP, a phone's viewport
        r, body = self.req(port, "GET", "/")
        self.assertEqual(r.getheader("Content-Type"),
                         "text/html; charset=utf-8")
        self.assertIn("default-src 'none'",
                      r.getheader("Content-Security-Policy"))
        self.assertIn("frame-ancestors 'none'",
                      r.getheader("Content-Security-Policy"))
        self.assertIn(b'name="viewport"', body)
        self.assertIsNone(re.search(rb'(src|href)="(https?:)?//', body))
        r, _ = self.req(port, "GET", "/nothing-here")
        self.assertEqual(r.status, 404)
        r, _ = self.req(port, "GET", "/api/tail/web?stream=nope")
        self.assertEqual(r.status, 400)
        # job names reach the page as JSON strings, never as markup
        st = self.status(port)
        self.assertIn("<i>x&amp;y", st)
        r, body = self.req(port, "GET", "/api/tail/web")
        self.assertEqual(r.status, 200)
        tail = json.loads(body)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        # (empty until the per-instance output ring is built in)
        if tail["text"]:
            self.assertIn("<script>document.title=1</script>", tail["text"])
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_open_server_wants_an_address(self):
        """Without a password, a Host that is a name (DNS rebinding) is
        refused; an address and localhost are not."""
        d, port = self.up("""
            [inet_http_server]
            port = 127.0.0.1:0

            [service:web]
            command = sleep 1000
            startsecs = 0
            """)
        for host, want in (("evil.example:%d" % port, 403),
                           ("127.0.0.1.evil.example", 403),
                           ("127.0.0.1:%d" % port, 200),
                           ("localhost:%d" % port, 200),
                           ("drover.localhost", 200),
                           ("[::1]:%d" % port, 200)):
            for path in ("/", "/api/status"):
                r, _ = self.req(port, "GET", path, auth=False,
                                headers={"Host": host})
                self.assertEqual(r.status, want, (host, path))
        tok = self.token(port)
        r, _ = self.req(port, "POST", "/api/restart/web", auth=False,
                        headers={"Host": "evil.example:%d" % port,
                                 "Origin": "http://evil.example:%d" % port,
                                 "X-Drover-Token": tok})
        self.assertEqual(r.status, 403)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def test_unix_socket(self):
        """The page and its API on [unix_http_server] too."""
        d = self.drover("""
            [unix_http_server]
            file = @DIR@/http.sock

            [service:web]
            command = sleep 1000
            startsecs = 0
            """)
        d.wait_log(r"http: serving on")
        path = self.path("http.sock")

        class Conn(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(10 * SCALE)
                self.sock.connect(path)

        def req(method, url, headers=None):
            c = Conn("localhost")
            c.request(method, url, headers=headers or {})
            r = c.getresponse()
            body = r.read()
            c.close()
            return r.status, body

        def pid():
            st, body = req("GET", "/api/status")
            self.assertEqual(st, 200)
            j = json.loads(body)["jobs"][0]
            return j["pid"] if j["state"] == "RUNNING" else None
        first = wait_for(pid, 10, what="web up")
        st, body = req("GET", "/")
        self.assertEqual(st, 200)
        tok = re.search(rb'name="drover-token" content="([0-9a-f]{32})"',
                        body).group(1).decode()
        st, _ = req("POST", "/api/restart/web", {"X-Drover-Token": tok})
        self.assertEqual(st, 202)
        wait_for(lambda: pid() not in (None, first), 10, what="restarted")
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)

    def chromium(self):
        exe = shutil.which("chromium")
        if exe is None:
            if os.environ.get("CI") == "true":
                self.fail("chromium missing (Debian package chromium; "
                          "./bootstrap deps installs it)")
            self.skipTest("chromium not installed (Debian package "
                          "chromium)")
        b = Chromium(exe, self.tmp)
        self.addCleanup(b.close)
        b.open_page()
        b.call("Network.setExtraHTTPHeaders",
               headers={"Authorization": AUTH})
        return b

    def test_browser_restart(self):
        b = self.chromium()
        d, port = self.up()
        wait_for(lambda: self.running_pid(port, "web") and
                 self.running_pid(port, "worker"), 10, what="services up")
        tok = self.token(port)
        # some history for the bars: backup runs three times, one fails
        for i in range(1, 4):
            r, _ = self.req(port, "POST", "/api/start/backup",
                            headers={"X-Drover-Token": tok})
            self.assertEqual(r.status, 202)
            wait_for(lambda: self.status(port)["backup"]["stats"]["runs"]
                     == i and self.status(port)["backup"]["state"] ==
                     "EXITED", 10, what="backup run %d" % i)
        b.call("Page.navigate", url="http://127.0.0.1:%d/" % port)
        b.wait_event("Page.loadEventFired")

        def card(name, what):
            return b.js("""(() => {
                const c = document.querySelector(
                    'section.job[data-name=' + CSS.escape(%s) + ']');
                return c ? c.querySelector(%s).textContent : null;
            })()""" % (json.dumps(name), json.dumps(what)))

        # every job, in the config's order, with its state and pid
        wait_for(lambda: b.js("[...document.querySelectorAll("
                              "'section.job h2')].map(e => e.textContent)"
                              ".join('|')") ==
                 "web|worker|backup|<i>x&amp;y", 10, what="the jobs shown")
        pid = self.running_pid(port, "web")
        wait_for(lambda: card("web", ".pid") == str(pid), 10,
                 what="web's pid shown")
        self.assertEqual(card("web", ".state"), "RUNNING")
        self.assertEqual(card("backup", ".last"), "failed (exit 1)")
        self.assertEqual(b.js("document.querySelectorAll('section.job"
                              "[data-name=backup] .spark rect').length"), 3)
        # the filter box hides what does not match, at once
        b.js("(() => { const f = document.getElementById('filter');"
             "f.value = 'WOR'; f.dispatchEvent(new Event('input')); })()")
        self.assertEqual(b.js("[...document.querySelectorAll('section.job')]"
                              ".filter(e => !e.hidden).map(e => "
                              "e.dataset.name).join('|')"), "worker")
        b.js("(() => { const f = document.getElementById('filter');"
             "f.value = ''; f.dispatchEvent(new Event('input')); })()")
        # the name is text: no <i> made of it, nothing ran
        self.assertEqual(b.js("document.querySelectorAll('main i').length"),
                         0)
        self.assertEqual(b.js("document.title"), "drover")
        b.click('section.job[data-name="web"] button[data-act="restart"]')
        wait_for(lambda: card("web", ".pid") not in (str(pid), "-") and
                 card("web", ".state") == "RUNNING", 10,
                 what="a new pid on the page")
        new = int(card("web", ".pid"))
        self.assertEqual(new, self.running_pid(port, "web"))
        self.assertNotEqual(new, pid)
        d.wait_log(r"web: restart from the status page")
        self.assertIn("restart web: done", b.js(
            "document.getElementById('msg').textContent"))
        # the output tail: opened, as text
        b.click('section.job[data-name="web"] button[data-act="output"]')
        wait_for(lambda: card("web", "pre") not in (None, ""), 10,
                 what="the output tail")
        r, body = self.req(port, "GET", "/api/tail/web")
        if json.loads(body)["text"]:    # the per-instance ring is there
            wait_for(lambda: "<script>document.title=1</script> web up" in
                     card("web", "pre"), 10, what="the output, as text")
        self.assertEqual(b.js("document.querySelectorAll('main script')"
                              ".length"), 0)
        self.assertEqual(b.js("document.title"), "drover")
        shot = b.call("Page.captureScreenshot", format="png")["data"]
        png = base64.b64decode(shot)
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        for path in (self.path("status-page.png"),
                     os.environ.get("DROVER_SCREENSHOT")):
            if path:
                with open(path, "wb") as f:
                    f.write(png)
        # a phone: nothing wider than its screen
        b.call("Emulation.setDeviceMetricsOverride", width=390, height=844,
               deviceScaleFactor=2, mobile=True)
        wait_for(lambda: b.js("document.documentElement.scrollWidth") <= 390,
                 5, what="the page fits 390 px")
        b.call("Emulation.clearDeviceMetricsOverride")
        # the page refreshes itself: a change shows without a reload
        r, _ = self.req(port, "POST", "/api/stop/worker",
                        headers={"X-Drover-Token": tok})
        self.assertEqual(r.status, 202)
        wait_for(lambda: card("worker", ".state") == "STOPPED", 10,
                 what="worker shown stopped")
        self.assertEqual(card("worker", ".pid"), "-")
        self.assertEqual(len([e for e in b.events if e.get("method") ==
                              "Page.loadEventFired"]), 0)
        d.signal(signal.SIGTERM)
        self.assertEqual(d.wait_exit(), 0)


if __name__ == "__main__":
    harness.main()

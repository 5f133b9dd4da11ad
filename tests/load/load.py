#!/usr/bin/env python3
"""load.py: drover under load, measured from outside.

  tests/load/load.py [--services N] [--tasks M] [--bound 64] ...

Services: N services (`sleep 100000`) under one drover must all reach
RUNNING (`all autostart services are up`); drover's RSS must stay within
the per-job budget; drover must make no system call while idle (its
voluntary context switches do not move over a 2 s window; `strace -c`
confirms when available); a reload that changes --changes of them must
restart exactly those (`reload: ... restarted`) and all must be RUNNING
again (counted in a SIGUSR1 dump); SIGTERM must end it within a bound,
exit 0, nothing left over.

Tasks: M short tasks (`/bin/true`) through a group bound of --bound with
`drover --once`: exit 0, one `summary: NAME ok` line per task, and never
more than --bound running at once (sampled).

Prints one `figure: NAME VALUE UNIT` line per measurement (for
doc/RELIABILITY.md; --json writes them too) and exits 0 when every check
passes, 1 when one fails, 77 when this machine cannot run it (limits).
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DROVER = os.environ.get("DROVER") or os.path.join(HERE, "..", "..", "drover")
SCALE = float(os.environ.get("DROVER_TEST_TIMESCALE", "1"))

figures = {}
failures = []


def figure(name, value, unit):
    figures[name] = {"value": value, "unit": unit}
    print("figure: %s %s %s" % (name, value if not isinstance(value, float)
                                else "%.3f" % value, unit), flush=True)


def check(ok, what):
    print("%s: %s" % ("ok" if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)
    return ok


def skip(why):
    print("SKIP: %s" % why, flush=True)
    sys.exit(77)


def sanitized(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return b"libasan" in data or b"__asan_init" in data
    except OSError:
        return False


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout * SCALE
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.0fs waiting for %s"
                               % (timeout * SCALE, what))
        time.sleep(interval)


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def kb(pid, key):
    return int(proc_status(pid)[key].split()[0])


def tagged(tag):
    needle = ("\0DROVER_LOAD_TAG=%s\0" % tag).encode()
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                if needle in b"\0" + f.read():
                    with open("/proc/%s/stat" % p) as g:
                        st = g.read()
                    if st[st.rindex(")") + 2] != "Z":
                        out.append(int(p))
        except OSError:
            continue
    return out


def children_of(pid):
    n = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        if int(st[st.rindex(")") + 2:].split()[1]) == pid:
            n += 1
    return n


class Log:
    """drover's stderr in a file, read incrementally."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        self.buf = b""

    def new(self):
        data = self.f.read()
        self.buf += data
        return data.decode("utf-8", "replace")

    def text(self):
        self.new()
        return self.buf.decode("utf-8", "replace")

    def wait(self, pattern, timeout, start=0):
        rx = re.compile(pattern.encode(), re.M)

        def found():
            self.new()
            return rx.search(self.buf, start)
        return wait_for(found, timeout, "log /%s/" % pattern)


class Drover:
    def __init__(self, workdir, config, args=(), tag="x"):
        self.dir = workdir
        self.conf = os.path.join(workdir, "drover.ini")
        self.write(config)
        self.logpath = os.path.join(workdir, "drover.log")
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env["DROVER_LOAD_TAG"] = tag
        self.out = open(self.logpath, "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [DROVER, "-c", self.conf, "-s", os.path.join(workdir, "sock"),
             "--state-file", os.path.join(workdir, "state")] + list(args),
            stdin=subprocess.DEVNULL, stdout=self.out,
            stderr=subprocess.STDOUT, env=env, close_fds=True)
        self.pid = self.proc.pid
        self.log = Log(self.logpath)
        self.rusage = None

    def write(self, config):
        tmp = self.conf + ".new"
        with open(tmp, "w") as f:
            f.write(config)
        os.rename(tmp, self.conf)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.rusage = ru
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                return self.proc.returncode
            time.sleep(0.02)
        raise TimeoutError("drover did not exit within %.0fs" % timeout)

    def kill(self):
        if self.proc.returncode is None:
            try:
                self.proc.kill()
                self.wait_exit(10)
            except (OSError, TimeoutError):
                pass
        self.out.close()

    def dump(self, timeout):
        """SIGUSR1; {instance: state} once the whole dump is there."""
        text = self.log.text()
        hdr = re.compile(r"status: (\d+) jobs, \d+ runs in progress")
        n = len(hdr.findall(text))
        self.signal(signal.SIGUSR1)
        prev = [None]

        def complete():
            text = self.log.text()
            heads = list(hdr.finditer(text))
            if len(heads) <= n:
                return None
            lines = re.findall(r"^\w+: status: (\S+)\s+([A-Z]+)\b",
                               text[heads[-1].start():], re.M)
            same, prev[0] = prev[0] == len(lines), len(lines)
            return dict(lines) if same and lines else None
        return wait_for(complete, timeout, "a status dump", interval=0.2)


def syscalls_while_idle(pid, seconds):
    """Syscalls in `seconds` by strace -c (None if strace cannot)."""
    if not shutil.which("strace"):
        return None
    p = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(seconds)		# the measurement window
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        return None
    m = re.search(r"^100\.00\s+\S+\s+\S+\s+(\d+)", err, re.M)
    if "Operation not permitted" in err:
        return None
    # the epoll_wait strace interrupted to attach (and to detach) is not
    # the daemon's doing: count everything else
    calls = {}
    for line in err.splitlines():
        f = line.split()
        if len(f) >= 5 and f[-1].isidentifier() and f[3].isdigit():
            calls[f[-1]] = int(f[3])
    calls.pop("total", None)
    calls.pop("epoll_wait", None)
    calls.pop("restart_syscall", None)
    return sum(calls.values()) if m or calls else 0


def services_config(n, gen_changed, changes, output):
    out = ["[drover]", "shutdown_timeout = 30s"]
    for i in range(n):
        secs = 100001 if gen_changed and i < changes else 100000
        out.append("[service:s%06d]" % i)
        out.append("command = /bin/sleep %d" % secs)
        if output != "log":
            out.append("stdout = %s\nstderr = %s" % (output, output))
    return "\n".join(out) + "\n"


def run_services(args, work, tag):
    n = args.services
    need = 3 * n + 128
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    output = args.output
    if output == "auto":
        output = "log" if need <= hard else "null"
    if output == "log" and need > hard:
        skip("%d services with log output need %d fds, the hard limit is "
             "%d" % (n, need, hard))
    if n + 1 > hard:
        skip("%d services need %d fds (pidfds), the hard limit is %d"
             % (n, n + 64, hard))
    print("services: %d, output %s" % (n, output), flush=True)
    figure("services.count", n, "jobs")
    figure("services.output", output, "")

    # the fixed cost: the same drover with one service
    base_dir = os.path.join(work, "base")
    os.mkdir(base_dir)
    b = Drover(base_dir, services_config(1, False, 0, output), tag=tag)
    try:
        b.log.wait(r"all autostart services are up", 30)
        base_rss = kb(b.pid, "VmRSS")
        b.signal(signal.SIGTERM)
        b.wait_exit(30)
    finally:
        b.kill()
    figure("services.rss_base", base_rss, "kB")

    d = Drover(work, services_config(n, False, args.changes, output),
               tag=tag)
    try:
        d.log.wait(r"all autostart services are up", args.start_timeout)
        t_up = time.monotonic() - d.t0
        figure("services.time_to_all_running", t_up, "s")
        st = d.dump(60)
        running = list(st.values()).count("RUNNING")
        check(running == n, "%d of %d services RUNNING" % (running, n))

        rss = kb(d.pid, "VmRSS")
        hwm = kb(d.pid, "VmHWM")
        per_job = (rss - base_rss) * 1024 / max(n - 1, 1)
        figure("services.rss", rss, "kB")
        figure("services.rss_hwm", hwm, "kB")
        figure("services.rss_per_job", per_job / 1024, "kB")
        figure("services.rss_per_job_raw", rss * 1024 / n / 1024, "kB")
        if args.rss_budget_kb > 0 and not sanitized(DROVER):
            check(per_job <= args.rss_budget_kb * 1024,
                  "RSS per job %.1f kB <= budget %d kB"
                  % (per_job / 1024, args.rss_budget_kb))
        fds = len(os.listdir("/proc/%d/fd" % d.pid))
        figure("services.fds", fds, "fds")

        # idle: no system call, so no context switch
        st0 = proc_status(d.pid)
        time.sleep(2.0)			# the measurement window
        st1 = proc_status(d.pid)
        vol = (int(st1["voluntary_ctxt_switches"]) -
               int(st0["voluntary_ctxt_switches"]))
        figure("services.idle_voluntary_ctxt_switches_2s", vol, "")
        check(vol == 0, "idle for 2 s: %d voluntary context switches" % vol)
        sc = syscalls_while_idle(d.pid, 2.0)
        if sc is not None:
            figure("services.idle_syscalls_2s", sc, "")
            check(sc == 0, "idle for 2 s: %d system calls (strace -c)" % sc)

        # reload: `changes` commands change
        changes = min(args.changes, n)
        start = len(d.log.buf)
        d.write(services_config(n, True, changes, output))
        t0 = time.monotonic()
        d.signal(signal.SIGHUP)
        m = d.log.wait(r"reload: (\d+) unchanged, (\d+) restarted, (\d+) "
                       r"added, (\d+) removed", 120, start)
        figure("services.reload_apply", time.monotonic() - t0, "s")
        got = tuple(int(x) for x in m.groups())
        check(got == (n - changes, changes, 0, 0),
              "reload: %d unchanged, %d restarted, %d added, %d removed"
              % got)

        def all_running_again():
            st = d.dump(60)
            return (len(st) == n and
                    list(st.values()).count("RUNNING") == n)
        try:
            wait_for(all_running_again, args.start_timeout,
                     "every service RUNNING after the reload", interval=0.5)
            figure("services.reload_to_all_running", time.monotonic() - t0,
                   "s")
            check(True, "all %d RUNNING again after the reload" % n)
        except TimeoutError as e:
            check(False, str(e))
        live = [p for p in tagged(tag) if p != d.pid]
        sleeps1 = sum(1 for p in live if b"100001" in
                      open("/proc/%d/cmdline" % p, "rb").read())
        check(len(live) == n and sleeps1 == changes,
              "%d processes (want %d), %d of the new command (want %d)"
              % (len(live), n, sleeps1, changes))

        # shutdown
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait_exit(args.shutdown_bound + 30)
        took = time.monotonic() - t0
        figure("services.shutdown", took, "s")
        check(rc == 0, "shutdown exit code %s" % rc)
        check(took <= args.shutdown_bound,
              "shutdown in %.1fs <= %ds" % (took, args.shutdown_bound))
        text = d.log.text()
        check("shutdown complete" in text, "shutdown report")
        cancelled = len(re.findall(r"^\w+: s\d+: cancelled \(pid \d+",
                                   text, re.M))
        check(cancelled == n + changes,
              "%d result lines for %d runs" % (cancelled, n + changes))
        left = wait_for(lambda: not tagged(tag) or None, 10,
                        "no leftover") if tagged(tag) else True
        check(bool(left), "no process left over")
    except TimeoutError as e:
        check(False, str(e))
        sys.stdout.write(d.log.text()[-3000:])
    finally:
        d.kill()


def tasks_config(m, bound, style):
    if style == "numprocs":
        # numprocs is at most 10000: sections of up to 10000 instances
        per = 10000
        names = ["t%d" % k for k in range((m + per - 1) // per)]
        out = ["[group:batch]", "jobs = " + ", ".join(names),
               "max_concurrent = %d" % bound]
        for k, name in enumerate(names):
            out.append("[task:%s]\ncommand = /bin/true\nnumprocs = %d"
                       % (name, min(per, m - k * per)))
        return "\n".join(out) + "\n"
    out = ["[group:batch]", "max_concurrent = %d" % bound, "jobs ="]
    for i in range(0, m, 100):
        out.append("  " + ", ".join("t%06d" % j for j in
                                    range(i, min(i + 100, m))))
    for i in range(m):
        out.append("[task:t%06d]\ncommand = /bin/true" % i)
    return "\n".join(out) + "\n"


def run_tasks(args, work, tag):
    m = args.tasks
    figure("tasks.count", m, "tasks")
    figure("tasks.bound", args.bound, "")
    d = Drover(work, tasks_config(m, args.bound, args.task_style),
               args=["--once"], tag=tag)
    try:
        peak = 0
        deadline = time.monotonic() + args.tasks_timeout * SCALE
        rc = None
        hwm = 0
        while time.monotonic() < deadline and rc is None:
            # sampled: the bound is never exceeded
            peak = max(peak, children_of(d.pid))
            try:
                hwm = max(hwm, kb(d.pid, "VmHWM"))
            except (OSError, KeyError):
                pass
            try:
                rc = d.wait_exit(0.05)
            except TimeoutError:
                pass
        if rc is None:
            rc = d.wait_exit(10)
        took = time.monotonic() - d.t0
        figure("tasks.total_time", took, "s")
        figure("tasks.per_second", m / took, "tasks/s")
        figure("tasks.peak_children_sampled", peak, "")
        figure("tasks.rss_hwm_sampled", hwm, "kB")
        check(rc == 0, "--once exit code %s" % rc)
        check(peak <= args.bound, "at most %d tasks at once (saw %d)"
              % (args.bound, peak))
        text = d.log.text()
        ok = len(re.findall(r"^\w+: summary: \S+ ok ", text, re.M))
        check(ok == m, "%d of %d `summary: NAME ok` lines" % (ok, m))
        check(not tagged(tag), "no process left over")
    except TimeoutError as e:
        check(False, str(e))
    finally:
        d.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, default=2000)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--bound", type=int, default=64)
    ap.add_argument("--changes", type=int, default=1000,
                    help="services whose command a reload changes")
    ap.add_argument("--rss-budget-kb", type=int, default=8,
                    help="drover's RSS per service above its fixed cost "
                    "(0: no check; never checked under ASan)")
    ap.add_argument("--output", choices=("auto", "log", "null"),
                    default="auto", help="services' stdout/stderr (auto: "
                    "log when the fd limit allows 3 fds per service)")
    ap.add_argument("--task-style", choices=("numprocs", "sections"),
                    default="numprocs", help="[task:tK] sections of up to "
                    "10000 instances (numprocs), or M [task:tNNNNNN] "
                    "sections of one")
    ap.add_argument("--start-timeout", type=int, default=300)
    ap.add_argument("--shutdown-bound", type=int, default=60)
    ap.add_argument("--tasks-timeout", type=int, default=900)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    args = ap.parse_args()

    if not os.access(DROVER, os.X_OK):
        skip("no drover binary at %s" % DROVER)
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    if args.services + args.bound + 1000 > pid_max:
        skip("pid_max %d is too low for %d services" % (pid_max,
                                                      args.services))
    work = tempfile.mkdtemp(prefix="drover-load-")
    tag = os.path.basename(work)
    try:
        if args.services > 0:
            d = os.path.join(work, "services")
            os.mkdir(d)
            run_services(args, d, tag)
        if args.tasks > 0:
            d = os.path.join(work, "tasks")
            os.mkdir(d)
            run_tasks(args, d, tag)
    finally:
        for p in tagged(tag):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"figures": figures, "failures": failures}, f,
                          indent=1)
        if args.keep:
            print("work dir: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%s: %d failed" % ("FAIL" if failures else "PASS", len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

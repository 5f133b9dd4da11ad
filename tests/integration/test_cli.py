#!/usr/bin/env python3
"""The command line: --version, --help, usage errors, -t on shipped configs."""
import glob
import os
import subprocess

import harness


def run(*args, **kw):
    return subprocess.run([harness.DROVER] + list(args), capture_output=True,
                          text=True, timeout=30, **kw)


class CliTest(harness.DroverTest):
    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^drover \d+\.\d+\.\d+\n$")
        self.assertEqual(run("-V").stdout, r.stdout)

    def test_help(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for opt in ("--config", "--check-config", "--once", "--fail-fast",
                    "--log-level", "--debug"):
            self.assertIn(opt, r.stdout)

    def test_bad_option_is_usage_error(self):
        r = run("--no-such-option")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage:", r.stderr)

    def test_fail_fast_needs_once(self):
        r = run("--fail-fast", "-c", "/dev/null")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--fail-fast needs --once", r.stderr)

    def test_bad_log_level(self):
        r = run("-l", "loud", "-t", "-c", "/dev/null")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown log level 'loud'", r.stderr)

    def test_missing_config(self):
        r = run("-t", "-c", self.path("nope.ini"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nope.ini", r.stderr)

    def test_shipped_configs_are_valid(self):
        confs = glob.glob(os.path.join(harness.SRCDIR, "conf", "*.ini"))
        self.assertGreaterEqual(len(confs), 2)
        for c in confs:
            r = run("-t", "-c", c)
            self.assertEqual(r.returncode, 0, c + ": " + r.stderr)

    def test_check_prints_one_line_per_job(self):
        with open(self.path("a.ini"), "w") as f:
            f.write("[service:web]\ncommand = /bin/sleep 100\n"
                    "[task:backup]\ncommand = /bin/true\n")
        r = run("-t", "-c", self.path("a.ini"))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[0], r"^web\s+service\s+x1\s+/bin/sleep 100$")
        self.assertRegex(lines[1], r"^backup\s+task\s+x1\s+/bin/true$")

    def test_check_reports_every_error_with_file_and_line(self):
        with open(self.path("bad.ini"), "w") as f:
            f.write("[service:web]\ncommand = /bin/true\nstartsecs = soon\n"
                    "[task:t]\ncommand = /bin/true\nbogus = 1\n")
        r = run("-t", "-c", self.path("bad.ini"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.ini:3:", r.stderr)
        self.assertIn("bad.ini:6:", r.stderr)


if __name__ == "__main__":
    harness.main()

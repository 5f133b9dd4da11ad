#!/usr/bin/env python3
"""drover -t against the supervisord corpus (SPEC 2.2).

Every real supervisord file that supervisord itself accepts must be accepted
by `drover -t -c FILE`, with only host facts (a user or group this machine
does not have, a log or pid directory that does not exist here) reported as
errors.  Every file supervisord rejects must be rejected by drover too,
unless it is in ALLOWED_DIFFERENCES below with the reason.

The corpus and supervisord's verdicts (REFERENCE.tsv) are real files of
other projects and are not part of drover's source tree: the test reads them
from $DROVER_CORPUS, or from ../shared/corpus/supervisord beside the source
tree where the developers keep them.  Without them the test is skipped (exit
77, automake's skip code) and says why.

A host fact is judged as what it is on the machine the test runs on, not as
it was where REFERENCE.tsv was recorded: every host fact drover reports must
be true here (the user really is unknown, the directory really is missing),
and every host fact of REFERENCE.tsv that is true here must be reported.  So
the test passes, and can fail, on any machine, whatever /var/log or
/etc/passwd hold.

Each file is copied into an empty directory first, as the reference
classification did, so that relative includes and log paths resolve there
and nothing of the source tree is picked up.  Missing includes listed in
REFERENCE.tsv that are plain relative file names get an empty stub (a glob
that matches nothing is only a warning; a literal file that is missing is
an error in drover, a deliberate difference).  The %(ENV_X)s placeholders
of REFERENCE.tsv are set to "1", as the reference run did.

Environment: DROVER (the drover binary), DROVER_SRCDIR (the source tree).
"""

import csv
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SKIP = 77

# Files drover accepts although supervisord rejects them, with the reason.
# (Empty: drover rejects both files supervisord rejects.)
ALLOWED_DIFFERENCES = {
}

# Error lines that state a fact about this host, not about the file.
HOST_FACTS = [
    re.compile(r"user: unknown user '[^']+'$"),
    re.compile(r"user: unknown group '[^']+'$"),
    re.compile(r"user: drover does not run as root"),
    re.compile(r": directory \S.* does not exist$"),
    re.compile(r": \S.* is not a directory$"),
    re.compile(r"socket_group: unknown group '[^']+'$"),
    re.compile(r"chown: unknown (user|group) '[^']+'$"),
    # An absolute include outside the corpus (REFERENCE missing_includes).
    re.compile(r": (include|files): cannot open /\S+: No such file"),
]


# Errors drover gives on purpose where supervisord only warns, with why.
# An [inet_http_server] off loopback without a password hands the control
# of every job to whoever reaches the port (issue 16: refuse to start).
REFUSED_ON_PURPOSE = [
    re.compile(r"\[inet_http_server\] port = \S+ is not a loopback "
               r"address: set username and password"),
]


def find_corpus():
    cands = []
    if os.environ.get("DROVER_CORPUS"):
        cands.append(os.environ["DROVER_CORPUS"])
    src = os.environ.get("DROVER_SRCDIR")
    if src:
        cands.append(os.path.join(src, "..", "shared", "corpus",
                                  "supervisord"))
    for c in cands:
        if os.path.isfile(os.path.join(c, "REFERENCE.tsv")):
            return os.path.realpath(c)
    return None


def load_reference(corpus):
    with open(os.path.join(corpus, "REFERENCE.tsv"), newline="",
              encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def is_host_fact(line):
    return any(p.search(line) for p in HOST_FACTS)


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def first_missing(d):
    """The first component of the absolute path d that does not exist."""
    parts = d.rstrip("/").split("/")
    for i in range(2, len(parts) + 1):
        p = "/".join(parts[:i])
        if not os.path.exists(p):
            return p
    return d


def checked_paths(row):
    """The paths of the keys whose directory drover checks in a file."""
    with open(os.path.join(CORPUS, row["file"]), encoding="utf-8",
              errors="replace") as f:
        text = f.read()
    return set(re.findall(r"^\s*(?:stdout_logfile|stderr_logfile|pidfile)"
                          r"\s*=\s*(\S+)", text, re.M))


def host_fact_holds(line):
    """Whether the host fact an error line states is true on this host."""
    m = re.search(r"unknown user '([^']+)'$", line)
    if m:
        return not user_exists(m.group(1))
    m = re.search(r"unknown group '([^']+)'$", line)
    if m:
        return not group_exists(m.group(1))
    if "drover does not run as root" in line:
        return os.geteuid() != 0
    m = re.search(r": directory (\S.*) does not exist$", line)
    if m:
        return not os.path.isabs(m.group(1)) or \
            not os.path.exists(m.group(1))
    m = re.search(r": (\S.*) is not a directory$", line)
    if m:
        return not os.path.isabs(m.group(1)) or \
            not os.path.isdir(m.group(1))
    m = re.search(r"cannot open (/\S+): No such file", line)
    if m:
        return not os.path.exists(m.group(1))
    return False


def is_glob(s):
    return any(c in s for c in "*?[")


CORPUS = find_corpus()
DROVER = os.environ.get("DROVER", "")


class CorpusTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.rows = load_reference(CORPUS)

    def run_drover(self, row):
        """Runs drover -t on a copy of the file; (rc, stdout, stderr)."""
        tmp = tempfile.mkdtemp(prefix="drover-corpus-")
        try:
            name = row["file"]
            target = os.path.join(tmp, name)
            shutil.copyfile(os.path.join(CORPUS, name), target)
            for inc in row["missing_includes"].split():
                if is_glob(inc) or inc.startswith("/"):
                    continue
                stub = os.path.join(tmp, inc)
                os.makedirs(os.path.dirname(stub), exist_ok=True)
                open(stub, "w").close()
            env = dict(os.environ)
            for var in filter(None, row["env_placeholders"].split(",")):
                env[var] = "1"
            p = subprocess.run([DROVER, "-t", "-c", target], cwd=tmp,
                               env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            out = p.stdout.decode("utf-8", "replace")
            err = p.stderr.decode("utf-8", "replace").replace(tmp + "/", "")
            return p.returncode, out, err
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def check_sane(self, rc, err):
        self.assertIn(rc, (0, 2), "drover crashed or misbehaved:\n" + err)
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            self.assertNotIn(bad, err)

    def check_host_facts(self, row, errors):
        """Every host fact drover reports is true on this host, and every
        host fact of the reference that is true here is reported."""
        for e in errors:
            self.assertTrue(host_fact_holds(e),
                            "reported as a host fact, but not true on "
                            "this host: " + e)
        text = "\n".join(errors)
        for fact in row["host_checks"].split(";"):
            fact = fact.strip()
            m = re.fullmatch(r"unknown user (\S+)", fact)
            if m and not user_exists(m.group(1)):
                self.assertIn("unknown user '%s'" % m.group(1), text)
            m = re.fullmatch(r"missing dir for (/\S+)", fact)
            # supervisord's own logfile= is not drover's to check
            if m and m.group(1) in checked_paths(row):
                d = os.path.dirname(m.group(1))
                if not os.path.isdir(d) and not os.path.exists(d):
                    self.assertRegex(text, r"directory %s\S* does not "
                                     r"exist" % re.escape(first_missing(d)),
                                     fact)

    def test_accepted(self):
        n = 0
        for row in self.rows:
            if row["supervisord_verdict"] != "accepted":
                continue
            n += 1
            with self.subTest(file=row["file"]):
                rc, out, err = self.run_drover(row)
                self.check_sane(rc, err)
                errors = [l[len("error: "):] for l in err.splitlines()
                          if l.startswith("error: ")]
                if rc == 0:
                    self.assertEqual(errors, [])
                    continue
                self.assertTrue(errors, "exit 2 without an error line")
                facts = [e for e in errors if is_host_fact(e)]
                refused = [e for e in errors if any(
                    r.search(e) for r in REFUSED_ON_PURPOSE)]
                self.assertEqual([e for e in errors if e not in facts and
                                  e not in refused], [],
                                 "errors that are not host facts")
                self.check_host_facts(row, facts)
        self.assertGreater(n, 0)

    def test_rejected(self):
        for row in self.rows:
            if row["supervisord_verdict"] == "accepted":
                continue
            with self.subTest(file=row["file"]):
                rc, out, err = self.run_drover(row)
                self.check_sane(rc, err)
                if row["file"] in ALLOWED_DIFFERENCES:
                    continue
                self.assertEqual(rc, 2, "drover accepts a file supervisord "
                                 "rejects (%s)" % row["error"])
                errors = [l for l in err.splitlines()
                          if l.startswith("error: ")]
                self.assertTrue([e for e in errors if not is_host_fact(e)],
                                "only host facts reported:\n" + err)


if __name__ == "__main__":
    if CORPUS is None:
        print("SKIP: the supervisord corpus is not part of the source tree; "
              "set DROVER_CORPUS=DIR (a directory with REFERENCE.tsv) to run "
              "this test")
        sys.exit(SKIP)
    if not DROVER or not os.access(DROVER, os.X_OK):
        print("DROVER does not name an executable drover: %r" % DROVER)
        sys.exit(1)
    unittest.main(verbosity=2)

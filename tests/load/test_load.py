#!/usr/bin/env python3
"""make check: tests/load/load.py at a reduced size (2000 services, 2000
tasks through a bound of 64), within 2 minutes.  Exit 0 pass, 77 skip,
1 fail (automake's protocol).  A sanitizer build spawns ten times slower
and its RSS means nothing: there 500 of each, no RSS budget.  The full
size is run by hand: tests/load/load.py --services 10000 --tasks 100000
(doc/RELIABILITY.md).  DROVER_LOAD_SIZE overrides the size.
"""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import load  # noqa: E402

size = os.environ.get("DROVER_LOAD_SIZE") or (
    "500" if load.sanitized(load.DROVER) else "2000")
cmd = [sys.executable, os.path.join(here, "load.py"), "--services", size,
       "--tasks", size, "--bound", "64", "--start-timeout", "90",
       "--tasks-timeout", "90"]
try:
    r = subprocess.run(cmd, timeout=float(os.environ.get(
        "DROVER_LOAD_TIMEOUT", "115")))
except subprocess.TimeoutExpired:
    print("FAIL: load.py took longer than its budget")
    sys.exit(1)
sys.exit(r.returncode if r.returncode in (0, 77) else 1)

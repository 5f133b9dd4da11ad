#!/bin/bash
# tests/package/container.sh: the container recipe's entrypoint as PID 1,
# stopped the way a container runtime stops it.
#
# The image of contrib/container/Dockerfile is laid out by hand in a
# Debian 12 minbase rootfs (the runtime stage's packages, drover and
# droverctl in /usr/bin, contrib/container/drover.ini, /srv/www), and its
# ENTRYPOINT runs as PID 1 of a new pid namespace (systemd-nspawn).  Then,
# as `docker stop` / `podman stop` do: SIGTERM to PID 1, SIGKILL when the
# 10 s grace period is over.  Checks: the web job answered on :8080, the
# exit code is 0, the cleanup job and the worker's TERM handler ran, and the
# stop finished inside the grace period.
#
# Not podman itself: on the machines this project is built on, podman's
# OCI runtime (crun) cannot start any container, because setting a
# container's rlimits needs CAP_SYS_RESOURCE, which their own container
# lacks ("crun: setrlimit RLIMIT_NPROC: Operation not permitted", with
# any --ulimit).  Where podman can run, this is the same entrypoint.
# Usage: container.sh DROVER DROVERCTL; exit 77 (SKIP) without root.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
DROVER=${1:-$TOP/drover} DROVERCTL=${2:-$TOP/droverctl}
GRACE=10
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
for t in systemd-nspawn mmdebstrap; do command -v $t >/dev/null || skip "no $t"; done
CT="bash $TOP/tests/container/ct.sh"
WORK=$(mktemp -d /var/tmp/drover-image.XXXXXX)
ROOT=$WORK/root
trap '$CT teardown "$ROOT" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
pass=0 fail=0
ok()    { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }

# the runtime stage of the Dockerfile, by hand
pkgs=$(sed -n '/^FROM \${BASE}$/,$p' "$TOP/contrib/container/Dockerfile" | tr '\n\\' '  ' |
	sed 's/.*--no-install-recommends \([^&]*\) &&.*/\1/' | tr -s ' ' '\n' | grep . | paste -sd, -)
$CT rootfs "$ROOT" --include "$pkgs" >"$WORK/rootfs.log" 2>&1 ||
	{ cat "$WORK/rootfs.log"; exit 1; }
install -D -m 0755 "$DROVER" "$ROOT/usr/bin/drover"
install -D -m 0755 "$DROVERCTL" "$ROOT/usr/bin/droverctl"
install -D -m 0644 "$TOP/contrib/container/drover.ini" "$ROOT/etc/drover/drover.ini"
mkdir -p "$ROOT/srv/www" && echo 'served by a drover job' >"$ROOT/srv/www/index.html"
entry=$(sed -n 's/^ENTRYPOINT \["\(.*\)"\]$/\1/p' "$TOP/contrib/container/Dockerfile" |
	sed 's/", "/ /g')
echo "# image packages: $pkgs; entrypoint: $entry"

# shellcheck disable=SC2086
$CT run "$ROOT" --pid1 -- $entry >"$WORK/out.log" 2>&1 &
runner=$!
pid1() {	# the host pid of the container's PID 1: nspawn's child on ROOT
	local n c
	for n in $(pgrep -x systemd-nspawn); do
		tr '\0' '\n' <"/proc/$n/cmdline" 2>/dev/null | grep -qx -- "--directory=$ROOT" || continue
		for c in $(cat /proc/"$n"/task/*/children 2>/dev/null); do
			awk '$1 == "NSpid:" { exit !($NF == 1) }' "/proc/$c/status" 2>/dev/null &&
				{ echo "$c"; return 0; }
		done
	done
	return 1
}
wait_for() {	# wait_for SECONDS CMD...
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}
up() { grep -q "all autostart services are up" "$WORK/out.log"; }
check "the entrypoint starts its jobs" wait_for 30 up
check "drover is PID 1 of the container" test "$(cat "/proc/$(pid1)/comm" 2>/dev/null)" = drover
check "the web job answers on :8080" wait_for 15 python3 -c '
import urllib.request, sys
body = urllib.request.urlopen("http://127.0.0.1:8080/", timeout=2).read()
sys.exit(b"served by a drover job" not in body)'

# the runtime's stop: SIGTERM to PID 1, SIGKILL at the end of the grace period
p=$(pid1) || { notok "no PID 1 found"; kill -KILL $runner; exit 1; }
start=$(date +%s%N)
kill -TERM "$p"
gone() { ! kill -0 $runner 2>/dev/null; }
if ! wait_for $GRACE gone; then
	notok "drover did not exit within the ${GRACE} s grace period: SIGKILL"
	kill -KILL "$p" 2>/dev/null
fi
rc=0; wait $runner || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "the stop finished inside the grace period (${ms} ms < ${GRACE} s)" test $ms -lt $((GRACE * 1000))
check "exit code 0 (got $rc)" test $rc -eq 0
check "the cleanup job ran" grep -q "deregister: leaving the load balancer" "$WORK/out.log"
check "the worker's TERM handler ran" grep -q "worker: finishing" "$WORK/out.log"
check "drover reported a complete shutdown" grep -q "shutdown complete in .*, exit 0" "$WORK/out.log"
[ $fail -eq 0 ] || sed 's/^/# /' "$WORK/out.log"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

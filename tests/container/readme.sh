#!/bin/bash
# tests/container/readme.sh: the README's two commands on a clean Debian 12.
#
# For each of `./bootstrap run` and `./bootstrap check`: a fresh minbase
# rootfs with only ca-certificates and git (the bare rootfs tarball may come
# from the cache; nothing that bootstrap installs is ever cached), a
# `git archive` of the commit in /root/drover, and the command run there
# exactly as the README writes it, as root, in a container (ct.sh run) with
# the host's network for apt-get.
#   run    must show the example running ("all autostart services are up"),
#          then, on SIGINT (what Ctrl-C sends), shut down cleanly: exit 0,
#          the cleanup jobs ran, "shutdown complete".
#   check  must exit 0 (automake: no FAIL, no ERROR).
# Prints the time of each step.  Usage: readme.sh [COMMIT]  (default HEAD)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CT="bash $HERE/ct.sh"
COMMIT=${1:-HEAD}
WORK=$(mktemp -d /var/tmp/drover-readme.XXXXXX)
rm -rf "$WORK/root"
t0=$SECONDS
step() { printf '%s (%d s)\n' "$*" $((SECONDS - t0)); }
cleanup() {
	local r
	for r in "$WORK"/root.*; do [ ! -e "$r" ] || $CT teardown "$r" >/dev/null 2>&1 || true; done
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

git -C "$TOP" archive --format=tar --prefix=drover/ "$COMMIT" >"$WORK/src.tar"

fresh_root() {	# fresh_root NAME: a clean rootfs with the source in /root/drover
	local r=$WORK/root.$1 t=$SECONDS
	$CT rootfs "$r" --include git
	tar -C "$r/root" -xf "$WORK/src.tar"
	printf '  rootfs for %s ready in %d s\n' "$1" $((SECONDS - t)) >&2
	echo "$r"
}

# In the container: start `./bootstrap run` as a terminal would (a job of
# its own), wait (bounded) for the example to be up, send SIGINT, and check
# the shutdown.  Its output is kept in /root/run.log.
RUN_SCRIPT='set -m
cd /root/drover
./bootstrap run >/root/run.log 2>&1 &
pid=$!
end=$((SECONDS + 1200))
until grep -q "all autostart services are up" /root/run.log; do
	if ! kill -0 $pid 2>/dev/null; then
		echo "bootstrap run ended before the example was up:"; tail -40 /root/run.log; exit 1
	fi
	[ $SECONDS -lt $end ] || { echo "example not up after 1200 s"; tail -40 /root/run.log; exit 1; }
	sleep 0.2
done
echo "  example up after $SECONDS s; SIGINT"
kill -INT $pid
rc=0; wait $pid || rc=$?
fail=0
expect() { grep -q "$1" /root/run.log || { echo "missing in the output: $1"; fail=1; }; }
expect "shutdown (SIGINT)"
expect "report: deregister ok"
expect "report: flush ok"
expect "shutdown complete in .*, exit 0"
[ $rc -eq 0 ] || { echo "drover exited $rc, not 0"; fail=1; }
if [ $fail -ne 0 ]; then tail -60 /root/run.log; exit 1; fi
sed -n "/shutdown (SIGINT)/,\$p" /root/run.log | sed "s/^/  | /"
echo "  ./bootstrap run: example ran, SIGINT shut it down, exit 0"'

step "README on a clean Debian 12: ./bootstrap run"
r=$(fresh_root run)
$CT run "$r" -- /bin/bash -c "$RUN_SCRIPT"
$CT teardown "$r" >/dev/null

step "README on a clean Debian 12: ./bootstrap check"
r=$(fresh_root check)
rc=0
$CT run "$r" -- /bin/bash -c 'cd /root/drover && ./bootstrap check' >"$WORK/check.log" 2>&1 || rc=$?
grep -aE '^(# (TOTAL|PASS|SKIP|FAIL|ERROR):|Skipped|  tests/|Nothing skipped)' "$WORK/check.log" |
	sed 's/\x1b\[[0-9;]*m//g' || true
if [ $rc -ne 0 ]; then
	tail -80 "$WORK/check.log"
	for f in $(grep -alE '^:test-result: (FAIL|ERROR)' "$r"/root/drover/tests/*/*.trs 2>/dev/null); do
		echo "=== ${f%.trs}.log"; tail -60 "${f%.trs}.log"
	done
	step "./bootstrap check FAILED (exit $rc)"
	exit 1
fi
$CT teardown "$r" >/dev/null
step "README on a clean Debian 12: both commands passed"

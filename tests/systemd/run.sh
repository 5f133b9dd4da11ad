#!/bin/bash
# tests/systemd/run.sh - drover under a real systemd (SPEC 8, 9).
#
# Boots systemd 252 as PID 1 of a systemd-nspawn container with the
# project's own harness (tests/container/ct.sh), installs the drover binary,
# the unit made from systemd/drover.service.in and a test configuration, and
# runs check.sh inside.  Exit 77 (SKIP, with the reason) when it cannot run
# here: not root, or no systemd-nspawn or mmdebstrap (`./bootstrap check`
# installs both).  A rootfs that cannot be
# made or a container that does not boot is a failure, not a skip.
#
# Environment:
#   DROVER, DROVER_SRCDIR   set by `make check` (binary, source tree)
#   DROVER_CT_DIR           work directory, default /var/tmp/drover-ct
#                           (a rootfs per run; the rootfs tarball is cached
#                           in $XDG_CACHE_HOME/drover, see ct.sh)
#   DROVER_CT_KEEP=1        power off but keep the rootfs (post-mortem:
#                           journalctl -D ROOTFS/var/log/journal)
#   DROVER_SYSTEMD_TEST=no  skip this test
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=${DROVER_SRCDIR:-$(cd "$HERE/../.." && pwd)}
DROVER=${DROVER:-$SRCDIR/drover}
WORK=${DROVER_CT_DIR:-/var/tmp/drover-ct}
CT=$SRCDIR/tests/container/ct.sh
# Always in the rootfs, whatever ldd says: drover's libraries, and those of
# a --enable-sanitizers (gcc) build, so that the plain and the sanitizer
# builds (and distcheck) share one cached rootfs.
BASE_PKGS="libevent-2.1-7 libinih1 libjansson4 libasan8 libubsan1 libgcc-s1 libstdc++6"

skip() { echo "SKIP: $*"; exit 77; }
hard() { echo "ERROR: $*"; exit 99; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "${DROVER_SYSTEMD_TEST:-yes}" != no ] || skip "DROVER_SYSTEMD_TEST=no"
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
for t in systemd-nspawn mmdebstrap nsenter; do
	command -v $t >/dev/null || skip "no $t (./bootstrap check installs it)"
done
[ -x "$DROVER" ] || hard "no drover binary at $DROVER"
for f in "$SRCDIR/systemd/drover.service.in" "$HERE/check.sh" "$CT"; do
	[ -f "$f" ] || hard "missing $f"
done
ct() { bash "$CT" "$@"; }

# --- the rootfs: the runtime libraries of this drover binary ---------------
pkgs_of() {	# the Debian packages of the shared libraries ldd lists
	local lib
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
	while read -r lib; do
		dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null
	done | sed -n 's/^\([^:,]*\)[:,].*/\1/p'
}
PKGS=$( { echo "$BASE_PKGS" | tr ' ' '\n'; command -v dpkg >/dev/null && pkgs_of "$DROVER"; } |
	sort -u | tr '\n' ',' | sed 's/,$//')

# --- set up, boot, always tear down ----------------------------------------
mkdir -p "$WORK" || hard "cannot create $WORK"
# rootfs of earlier runs that were killed before their trap ran
for d in "$WORK"/rootfs.*; do
	case "$d" in *.ct|*.mmdebstrap.log) continue;; esac
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null || ct teardown "$d" >/dev/null 2>&1
done
find "$WORK" -maxdepth 1 -name 'tmp.*' -mmin +120 -exec rm -rf {} + 2>/dev/null
ROOT=$WORK/rootfs.$$
export CT_LIFETIME=900 CT_EXEC_TIMEOUT=300
cleanup() {
	local t; t=$(now)
	if [ "${DROVER_CT_KEEP:-}" = 1 ]; then
		ct poweroff "$ROOT" >/dev/null 2>&1
		echo "# kept $ROOT (journalctl -D $ROOT/var/log/journal)"
	else
		ct teardown "$ROOT" >/dev/null 2>&1
		# a setup that failed half-way leaves no marker for teardown
		[ -d "$ROOT" ] && [ ! -f "$ROOT/.drover-ct" ] &&
			rm -rf --one-file-system -- "$ROOT" "$ROOT.ct" "$ROOT.mmdebstrap.log"
	fi
	rm -rf "$TMP"
	echo "# teardown $(since "$t")s"
}
# Interrupted while check.sh runs: end it first, inside, and let the exec
# return.  Powering off under a running exec is what must not happen:
# systemd-shutdown SIGSTOPs everything in the container, nsenter (outside)
# then stops itself too and never reaps its child, and the container's
# shutdown hangs for its 90 s timeout.
EXEC_PID=
interrupted() {
	trap - INT TERM
	if [ -n "$EXEC_PID" ] && kill -0 "$EXEC_PID" 2>/dev/null; then
		echo "# interrupted: stopping check.sh in the container"
		# shellcheck disable=SC2016
		CT_EXEC_TIMEOUT=10 ct exec "$ROOT" sh -c \
		    'p=$(cat /run/drover-systemd-check.pid 2>/dev/null) &&
		     kill -TERM "$(ps -o ppid= -p "$p")" "$p"' >/dev/null 2>&1
		for _ in $(seq 150); do kill -0 "$EXEC_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	exit 130
}
TMP=$(mktemp -d "$WORK/tmp.XXXXXX") || exit 99
trap cleanup EXIT
trap interrupted INT TERM

t=$(now)
# one builder at a time; the others then unpack the tarball it cached
exec 9>"$WORK/lock"
flock -w 1200 9 || hard "lock $WORK/lock busy for 20 minutes"
ct rootfs "$ROOT" --boot --include "$PKGS" >"$TMP/setup.log" 2>&1 ||
	{ sed 's/^/# /' "$TMP/setup.log"; hard "rootfs setup failed (packages: $PKGS)"; }
exec 9>&-
echo "# $(tail -n 1 "$TMP/setup.log" | sed 's/^ct: //') in $(since "$t")s (packages: $PKGS)"

# the unit, substituted as the Makefile does, and the test configuration
sed -e 's|@bindir@|/usr/local/bin|g' -e 's|@sysconfdir@|/etc|g' \
    -e 's|@runstatedir@|/run|g' "$SRCDIR/systemd/drover.service.in" > "$TMP/drover.service"
cp "$HERE/check.sh" "$TMP/drover-systemd-check"
cat > "$TMP/drover.ini" <<'EOF'
; tests/systemd: drover under a real systemd
[drover]
shutdown_timeout = 10s
; not the build's $(runstatedir) default: the unit is generated with /run
socket = /run/drover.sock

[service:web]
command = /bin/sh -c 'echo web up; echo oops >&2; exec sleep infinity'
startsecs = 1s

[service:worker]
command = /bin/sh -c 'echo worker %(process_num)d up; exec sleep infinity'
numprocs = 2

[task:hello]
command = /bin/sh -c 'echo hello ran'

[cleanup:mark]
command = /bin/sh -c 'mkdir -p /var/lib/drover-test && echo done > /var/lib/drover-test/cleanup.done'
before = web
timeout = 5s
EOF
install -D -m 0755 "$DROVER" "$ROOT/usr/local/bin/drover" &&
install -D -m 0755 "$TMP/drover-systemd-check" "$ROOT/usr/local/bin/drover-systemd-check" &&
install -D -m 0644 "$TMP/drover.service" "$ROOT/etc/systemd/system/drover.service" &&
install -D -m 0644 "$TMP/drover.ini" "$ROOT/etc/drover/drover.ini" || hard "install into $ROOT"

t=$(now)
ct boot "$ROOT" >"$TMP/boot.log" 2>&1 ||
	{ sed 's/^/# /' "$TMP/boot.log"; hard "the container did not boot"; }
echo "# booted in $(since "$t")s"

t=$(now)
rc=0
# in the background, so that a signal runs the teardown at once (bash
# defers traps while a foreground command runs)
ct exec "$ROOT" /usr/local/bin/drover-systemd-check &
EXEC_PID=$!
wait $EXEC_PID || rc=$?
EXEC_PID=
echo "# in-container test $(since "$t")s, rc=$rc"
[ $rc = 0 ] || rc=1
exit $rc

#!/bin/bash
# tests/systemd/run.sh - drover under a real systemd (SPEC 8, 9).
#
# Boots systemd 252 as PID 1 of a systemd-nspawn container with the shared
# harness (../shared/harness/systemd-sandbox.sh, see SYSTEMD.md there),
# installs the drover binary, the unit made from systemd/drover.service.in
# and a test configuration, and runs check.sh inside.  Exit 77 (SKIP) when
# the sandbox cannot run here: no harness, not root, no systemd-nspawn or
# mmdebstrap (and apt-get cannot install them), no rootfs, or no boot.
#
# Environment:
#   DROVER, DROVER_SRCDIR   set by `make check` (binary, source tree)
#   DROVER_SDSBX            path of systemd-sandbox.sh (else searched)
#   DROVER_SDSBX_DIR        work directory, default /var/tmp/drover-sdsbx
#                           (rootfs per run, cached rootfs tarballs in cache/)
#   DROVER_SDSBX_KEEP=1     power off but keep the rootfs (post-mortem:
#                           journalctl -D ROOTFS/var/log/journal)
#   DROVER_SYSTEMD_TEST=no  skip this test
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=${DROVER_SRCDIR:-$(cd "$HERE/../.." && pwd)}
DROVER=${DROVER:-$SRCDIR/drover}
WORK=${DROVER_SDSBX_DIR:-/var/tmp/drover-sdsbx}
# Always in the rootfs, whatever ldd says: drover's libraries, and those of
# a --enable-sanitizers (gcc) build, so that the plain and the sanitizer
# builds (and distcheck) share one cached rootfs.
BASE_PKGS="libevent-2.1-7 libinih1 libjansson4 libasan8 libubsan1 libgcc-s1 libstdc++6"

skip() { echo "SKIP: $*"; exit 77; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "${DROVER_SYSTEMD_TEST:-yes}" != no ] || skip "DROVER_SYSTEMD_TEST=no"

SBX=${DROVER_SDSBX:-}
if [ -z "$SBX" ]; then
	for c in "$SRCDIR/../shared/harness/systemd-sandbox.sh" \
	    /work/shared/harness/systemd-sandbox.sh; do
		[ -f "$c" ] && { SBX=$c; break; }
	done
fi
[ -n "$SBX" ] && [ -f "$SBX" ] || skip "no systemd-sandbox.sh harness (set DROVER_SDSBX)"
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
[ -x "$DROVER" ] || { echo "ERROR: no drover binary at $DROVER"; exit 99; }
for f in "$SRCDIR/systemd/drover.service.in" "$HERE/check.sh"; do
	[ -f "$f" ] || { echo "ERROR: missing $f"; exit 99; }
done
sbx() { bash "$SBX" "$@"; }

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
CACHE=$WORK/cache/rootfs-bookworm-$(printf '%s' "$PKGS" | md5sum | cut -c1-10).tar.gz

# --- host tools ------------------------------------------------------------
need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v nsenter >/dev/null || need+=(util-linux)
[ -s "$CACHE" ] || command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
if [ ${#need[@]} -gt 0 ]; then
	command -v apt-get >/dev/null || skip "missing ${need[*]} and no apt-get"
	echo "# apt-get install ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get install -y -q "${need[@]}" >/dev/null 2>&1 ||
	{ timeout 300 apt-get update -q >/dev/null 2>&1 &&
	  timeout 600 apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } ||
		skip "apt-get install ${need[*]} failed"
fi

# --- set up, boot, always tear down ----------------------------------------
mkdir -p "$WORK/cache" || skip "cannot create $WORK"
# rootfs of earlier runs that were killed before their trap ran
for d in "$WORK"/rootfs.*; do
	case "$d" in *.state|*.mmdebstrap.log) continue;; esac
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null || sbx teardown "$d" >/dev/null 2>&1
done
find "$WORK" -maxdepth 1 -name 'tmp.*' -mmin +120 -exec rm -rf {} + 2>/dev/null
ROOT=$WORK/rootfs.$$
export SDSBX_MAX_LIFETIME=900 SDSBX_EXEC_TIMEOUT=300
cleanup() {
	local t; t=$(now)
	if [ "${DROVER_SDSBX_KEEP:-}" = 1 ]; then
		sbx poweroff "$ROOT" >/dev/null 2>&1
		echo "# kept $ROOT (journalctl -D $ROOT/var/log/journal)"
	else
		sbx teardown "$ROOT" >/dev/null 2>&1
		# a setup that failed half-way leaves no marker for teardown
		[ -d "$ROOT" ] && [ ! -f "$ROOT/.sdsbx-rootfs" ] &&
			rm -rf --one-file-system -- "$ROOT" "$ROOT.state"
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
		SDSBX_EXEC_TIMEOUT=10 sbx exec "$ROOT" sh -c \
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
# one builder at a time per cache; the others then unpack what it wrote
exec 9>"$WORK/cache/lock"
flock -w 1200 9 || skip "cache lock $WORK/cache/lock busy"
[ -s "$CACHE" ] && how=cached || how=built
sbx setup "$ROOT" --cache "$CACHE" --include "$PKGS" >"$TMP/setup.log" 2>&1 ||
	{ sed 's/^/# /' "$TMP/setup.log"; skip "rootfs setup failed (packages: $PKGS)"; }
exec 9>&-
echo "# rootfs $how in $(since "$t")s (packages: $PKGS)"

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
sbx install "$ROOT" "$DROVER" "$TMP/drover.service" "$TMP/drover-systemd-check" \
	>"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; exit 99; }
install -D -m 0644 "$TMP/drover.ini" "$ROOT/etc/drover/drover.ini"

t=$(now)
sbx boot "$ROOT" >"$TMP/boot.log" 2>&1 ||
	{ sed 's/^/# /' "$TMP/boot.log"; skip "the container did not boot"; }
echo "# booted in $(since "$t")s"

t=$(now)
rc=0
# in the background, so that a signal runs the teardown at once (bash
# defers traps while a foreground command runs)
sbx exec "$ROOT" /usr/local/bin/drover-systemd-check &
EXEC_PID=$!
wait $EXEC_PID || rc=$?
EXEC_PID=
echo "# in-container test $(since "$t")s, rc=$rc"
[ $rc = 0 ] || rc=1
exit $rc

#!/bin/sh
# tests/valgrind.sh [BUILDDIR]: the unit tests and a short life of drover
# under valgrind's memcheck.  Fails on any memory error, any leak
# (definite, indirect or possible; "still reachable" blocks, such as
# glibc's NSS modules or drover's static log queue, are not leaks), and any
# file descriptor left open at exit other than 0-2 and those inherited
# from the parent (valgrind's --track-fds marks them).
#
# The drover run: a service, a task, a cleanup, a file: sink and a task
# that cannot be spawned; SIGUSR1, SIGUSR2, an invalid reload, a SIGHUP
# reload that changes, adds and removes jobs, droverctl status, history,
# metrics and status --watch, then SIGTERM.  Exit 0 pass, 1 fail, 77 no valgrind.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then
	build=$(cd "$1" && pwd)
elif [ -n "${DROVER:-}" ]; then
	build=$(cd "$(dirname "$DROVER")" && pwd)	# make check
else
	build=$top
fi
DROVER=${DROVER:-$build/drover}
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: no valgrind"; exit 77; }
[ -x "$DROVER" ] || { echo "SKIP: no $DROVER"; exit 77; }
if grep -q libasan "$DROVER" 2>/dev/null; then
	echo "SKIP: $DROVER is built with AddressSanitizer"
	exit 77
fi
work=$(mktemp -d /tmp/drover-vg.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1
    --track-fds=yes --child-silent-after-fork=yes --num-callers=30"
fail=0

# fds open at exit: each "Open file descriptor N: ..." is followed by
# where it was opened, or "<inherited from parent>"
check_fds() {	# VALGRIND-LOG WHAT
	awk -v what="$2" '
	/Open (file descriptor|AF_[A-Z0-9]+ socket) [0-9]+/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+:?$/) fd = $i
		sub(":", "", fd)
		head = $0
		getline nxt
		if (fd + 0 > 2 && nxt !~ /inherited from parent/) {
			print what ": fd left open at exit: " head
			print nxt
			bad = 1
		}
	}
	END { exit bad }' "$1"
}

report() {	# VALGRIND-LOG WHAT RC
	if [ "$3" -ne 0 ] || grep -qE "ERROR SUMMARY: [1-9]|definitely lost|indirectly lost|possibly lost|Invalid (read|write|free)|uninitialised|Syscall param" "$1"; then
		echo "FAIL: $2 (exit $3)"
		sed 's/^/    /' "$1" | head -200
		fail=1
	elif ! check_fds "$1" "$2"; then
		fail=1
	else
		echo "ok: $2"
	fi
}

# wait (bounded) until the log has PATTERN
wait_log() {	# PATTERN SECONDS
	n=0
	while ! grep -qE "$1" "$work/drover.log"; do
		n=$((n + 1))
		if [ "$n" -gt $(($2 * 10)) ]; then
			echo "FAIL: no /$1/ in the log after $2s"
			sed 's/^/    /' "$work/drover.log" | tail -40
			fail=1
			return 1
		fi
		sleep 0.1
	done
}

# --- unit tests, without fork so that valgrind sees the test bodies -------
for t in "$build"/tests/unit/check_*; do
	case $t in *.o|*.c|*.log|*.trs) continue ;; esac
	[ -x "$t" ] || continue
	name=$(basename "$t")
	CK_FORK=no CK_DEFAULT_TIMEOUT=600 $VG --log-file="$work/$name.vg" \
	    "$t" >"$work/$name.out" 2>&1
	rc=$?
	[ $rc -ne 0 ] && sed 's/^/    /' "$work/$name.out" | tail -20
	report "$work/$name.vg" "$name" $rc
done

# droverctl's queries, each under valgrind too (drover answers them under
# its own): the status table, a history, the metrics, tail
ctl_queries() {
	ctl=$build/droverctl
	[ -x "$ctl" ] || return 0
	for q in "status" "history task" "metrics" "status --watch 0.2" \
	    "tail -n 5 extra" "maintail" "tail -f extra" "clear all"; do
		# --watch and -f run until SIGINT; the others end by
		# themselves (a 1s bound cut a slow metrics reply under load,
		# and its buffer and socket then read as leaks)
		case $q in *--watch*|*" -f "*) secs=1 ;; *) secs=120 ;; esac
		# shellcheck disable=SC2086
		timeout -s INT $secs $VG --log-file="$work/ctl.vg" "$ctl" \
		    -s "$work/drover.sock" $q >"$work/ctl.out" 2>&1
		rc=$?
		[ "$rc" -eq 124 ] && [ "$secs" -eq 1 ] && rc=0	# ended by SIGINT
		report "$work/ctl.vg" "droverctl $q" $rc
	done
}

# --- a short life of drover -------------------------------------------------
cat >"$work/drover.ini" <<EOF
[drover]
shutdown_timeout = 5s
[service:svc]
command = /bin/sleep 1000
startsecs = 0
[service:filed]
command = /bin/sh -c 'echo to the file; exec sleep 1000'
startsecs = 0
stdout = file:$work/filed.log
[task:task]
command = /bin/sh -c 'echo task output; echo task error >&2'
[task:bad]
command = /nonexistent/command
[cleanup:clean]
command = /bin/sh -c 'echo cleaning up'
timeout = 30s
EOF
$VG --log-file="$work/drover.vg" "$DROVER" -c "$work/drover.ini" \
    -s "$work/drover.sock" >"$work/drover.log" 2>&1 </dev/null &
pid=$!
wait_log "all autostart services are up" 120 &&
wait_log "task: ok" 60 &&
{ kill -USR1 $pid; wait_log "status: svc" 30; } &&
{ kill -USR2 $pid; wait_log "reopened" 30; } &&
wait_log "bad: exec /nonexistent/command" 30 &&
{
	# an invalid reload changes nothing
	cp "$work/drover.ini" "$work/drover.ini.good"
	printf '[service:broken]\nnocommand = x\n' >>"$work/drover.ini"
	kill -HUP $pid
	wait_log "reload: [0-9]+ errors?, keeping the running configuration" 60
	mv "$work/drover.ini.good" "$work/drover.ini"
} &&
{
	# a reload: svc changes, filed goes, extra comes
	sed -e 's|/bin/sleep 1000|/bin/sleep 1001|' \
	    -e 's|^\[service:filed\]|[service:extra]|' \
	    -e '/^stdout = file:/d' "$work/drover.ini" >"$work/drover.ini.new"
	mv "$work/drover.ini.new" "$work/drover.ini"
	kill -HUP $pid
	wait_log "reload: [0-9]+ unchanged, 1 restarted, 1 added, 1 removed" 60
} &&
wait_log "svc: cancelled" 60 &&
{ ctl_queries; true; } &&
{ sleep 1; kill -TERM $pid; }	# a moment for the new svc to start
n=0
while kill -0 $pid 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 1200 ]; then
		echo "FAIL: drover did not exit within 120s"
		fail=1
		kill -KILL $pid
		break
	fi
	sleep 0.1
done
wait $pid
rc=$?
pid=
grep -q "shutdown complete" "$work/drover.log" || {
	echo "FAIL: no shutdown report"; fail=1; }
grep -q "clean: ok" "$work/drover.log" || {
	echo "FAIL: the cleanup did not run"; fail=1; }
report "$work/drover.vg" "drover (service, task, cleanup, reload, TERM)" $rc
[ $fail -eq 0 ] || sed 's/^/    log: /' "$work/drover.log" | tail -30
exit $fail

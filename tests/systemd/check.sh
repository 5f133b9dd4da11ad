#!/bin/bash
# Many checks are eval '...': expanded when the check runs, not before.
# shellcheck disable=SC2016,SC2034
# tests/systemd/check.sh - runs INSIDE the sandbox container, where a real
# systemd (252) is PID 1.  Installed by run.sh as
# /usr/local/bin/drover-systemd-check, next to /usr/local/bin/drover,
# /etc/systemd/system/drover.service and /etc/drover/drover.ini.
#
# Checks drover as a Type=notify, Delegate=yes service (SPEC 8, 9): start
# waits for READY=1, STATUS=, job output and drover's own messages in the
# journal, the cgroup layout, reload by diff, graceful stop, the watchdog.
# Prints "ok - ..." / "not ok - ..." and "N passed, M failed"; exit 1 on any
# failure.
set -u

U=drover.service
CONF=/etc/drover/drover.ini
CLEANUP_FILE=/var/lib/drover-test/cleanup.done
DROPIN_DIR=/run/systemd/system/$U.d
pass=0 fail=0
echo $$ > /run/drover-systemd-check.pid	# for run.sh, if it is interrupted

ok()    { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local desc_=$1; shift; if "$@"; then ok "$desc_"; else notok "$desc_"; fi; }
note()  { sed 's/^/# /'; }
now()   { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
ge()    { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x >= y) }'; }
prop()  { systemctl show -P "$1" "$U"; }
# systemctl with a bound: a drover that never sends READY=1 must not hang
# the test for TimeoutStartSec=5min (the harness's exec limit is the backstop)
sc() { timeout 60 systemctl "$@"; }
# KEY=VALUE lines of a process's environment
penv() { tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null; }

# Journal helpers.  A time stamp (@SECONDS.USEC) taken before a step limits
# a query to what the step logged.  (Not a cursor: journalctl 252's
# --after-cursor skips the first entry even when field matches exclude the
# cursor's own entry, so it drops the first matching line.)
cursor() { date +@%s.%6N; }
# jmsg SINCE MATCH... : messages (-o cat) since SINCE matching MATCH...
jmsg() { local c=$1; shift; journalctl -q --no-pager -o cat ${c:+--since="$c"} "$@"; }
# jfield FIELD SINCE MATCH... : every value of FIELD in the matching entries
jfield() {
	local f=$1 c=$2; shift 2
	journalctl -q --no-pager -o export ${c:+--since="$c"} "$@" | sed -n "s/^$f=//p"
}
# drover's own lines (its stderr stream, not the jobs' structured entries)
own() { local c=$1; shift; jmsg "$c" _SYSTEMD_UNIT=$U SYSLOG_IDENTIFIER=drover "$@"; }
has_own() { local c=$1 re=$2; shift 2; own "$c" "$@" | grep -qE -- "$re"; }
# systemd's own lines about the unit
pid1() { jmsg "$1" _PID=1 UNIT=$U; }

# wait_for SECONDS CMD... : poll CMD every 0.1 s
wait_for() {
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	"$@"
}

cg_root() {  # the cgroup2 mount, as drover finds it
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}
unit_cg() { echo "$(cg_root)$(prop ControlGroup)"; }
# drover's subtree: <unit cgroup>/drover.PID (exactly one expected)
sub_cg() {
	local d n=0 last=""
	for d in "$(unit_cg)"/drover.*; do [ -d "$d" ] && { n=$((n + 1)); last=$d; }; done
	[ $n = 1 ] && echo "$last"
}
procs() { sort -n "$1/cgroup.procs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
populated() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }
web_pid() { local s; s=$(sub_cg) && procs "$s/job.web"; }

# ---------------------------------------------------------------------------
echo "# systemd $(systemctl --version | awk 'NR == 1 { print $2 }'), cgroup2 at $(cg_root)" \
     "($(stat -fc %T /sys/fs/cgroup)), drover: $(/usr/local/bin/drover -V 2>&1 | head -1)"

echo "# --- systemd-analyze verify"
# --man=no: the rootfs has no man(1) to check Documentation=man:... with
out=$(systemd-analyze verify --man=no /etc/systemd/system/$U 2>&1); rc=$?
[ -n "$out" ] && echo "$out" | note
# verify exits 0 on "Failed to parse ..., ignoring": any line about drover fails
check "systemd-analyze verify $U: rc=0 and nothing about drover" \
	eval '[ $rc = 0 ] && ! grep -qi drover <<<"$out"'
systemd-analyze security $U 2>/dev/null | tail -1 | note

echo "# --- systemctl start: returns only after READY=1"
rm -f "$CLEANUP_FILE"
c0=$(cursor)
t0=$(now); sc start $U; rc=$?; d=$(since "$t0")
active_now=$(systemctl is-active $U)
echo "# systemctl start rc=$rc took ${d}s"
check "systemctl start rc=0" [ "$rc" = 0 ]
check "is-active right after start returns: active (got $active_now)" [ "$active_now" = active ]
check "SubState=running" [ "$(prop SubState)" = running ]
main_start=$(prop ExecMainStartTimestampMonotonic)
active_at=$(prop ActiveEnterTimestampMonotonic)
echo "# ExecMainStart -> ActiveEnter: $(( (active_at - main_start) / 1000 )) ms"
check "READY=1 not before web's startsecs=1s (ActiveEnter - ExecMainStart >= 1 s)" \
	[ $((active_at - main_start)) -ge 1000000 ]
check "web's 'web up' line is in the journal when start returns" \
	eval 'jmsg "$c0" DROVER_JOB=web | grep -qx "web up"'
webup_at=$(jfield __MONOTONIC_TIMESTAMP "$c0" DROVER_JOB=web "MESSAGE=web up" | head -1)
echo "# 'web up' logged -> ActiveEnter: $(( (active_at - ${webup_at:-0}) / 1000 )) ms"
check "unit became active >= 0.5 s after web printed 'web up'" \
	eval '[ -n "$webup_at" ] && [ $((active_at - webup_at)) -ge 500000 ]'
check "READY=1 came after drover's 'all autostart services are up'" \
	has_own "$c0" '^all autostart services are up$'

echo "# --- STATUS="
st=$(prop StatusText)
echo "# StatusText=$st"
check "StatusText has the counts (3 running: web, worker_0, worker_1)" \
	eval '[[ $st == *"3 running"* ]]'

echo "# --- job output in the journal"
webpid=$(web_pid)
check "journalctl DROVER_JOB=web PRIORITY=6 has stdout 'web up'" \
	eval 'jmsg "$c0" DROVER_JOB=web PRIORITY=6 | grep -qx "web up"'
check "journalctl DROVER_JOB=web PRIORITY=3 has stderr 'oops'" \
	eval 'jmsg "$c0" DROVER_JOB=web PRIORITY=3 | grep -qx "oops"'
check "no job line at a wrong priority ('web up' is not 3, 'oops' is not 6)" \
	eval '! jmsg "$c0" DROVER_JOB=web PRIORITY=3 | grep -qx "web up" &&
	      ! jmsg "$c0" DROVER_JOB=web PRIORITY=6 | grep -qx oops'
ids=$(jfield SYSLOG_IDENTIFIER "$c0" DROVER_JOB=web | sort -u | tr '\n' ' ')
check "web's lines: SYSLOG_IDENTIFIER=web (got: $ids)" [ "$ids" = "web " ]
v=$(jfield DROVER_INSTANCE "$c0" DROVER_JOB=web | sort -u | tr '\n' ' ')
# DROVER_INSTANCE is the instance number, as in the job's environment (drover.8)
check "web's lines: DROVER_INSTANCE=0 (got: $v)" [ "$v" = "0 " ]
v=$(jfield DROVER_PID "$c0" DROVER_JOB=web | sort -u | tr '\n' ' ')
check "web's lines: DROVER_PID = the pid in web's cgroup (got: $v, cgroup: $webpid)" \
	eval '[ -n "$webpid" ] && [ "$v" = "$webpid " ]'
v=$(jfield _SYSTEMD_UNIT "$c0" DROVER_JOB=web | sort -u | tr '\n' ' ')
check "web's lines belong to $U (got: $v)" [ "$v" = "$U " ]
v=$(jfield DROVER_INSTANCE "$c0" DROVER_JOB=worker | sort -u | tr '\n' ' ')
check "2-instance service: lines from instances 0 and 1 (got: $v)" [ "$v" = "0 1 " ]
v=$(jfield SYSLOG_IDENTIFIER "$c0" DROVER_JOB=worker | sort -u | tr '\n' ' ')
check "2-instance service: SYSLOG_IDENTIFIER is the instance (got: $v)" \
	[ "$v" = "worker_0 worker_1 " ]
check "task hello ran: 'hello ran' in journalctl DROVER_JOB=hello" \
	eval 'jmsg "$c0" DROVER_JOB=hello | grep -qx "hello ran"'

echo "# --- drover's own messages"
check "'drover ... started: N jobs' at PRIORITY=6 (info)" \
	has_own "$c0" '^drover .* started: [0-9]+ jobs from /etc/drover/drover.ini$' PRIORITY=6
check "journalctl -p info has 'started'" \
	eval 'own "$c0" -p info | grep -q "started: "'
check "journalctl -p warning has none of the info lines" \
	eval '! own "$c0" -p warning | grep -qE "started: |all autostart services are up"'
bad=$(own "$c0" | grep -E '^(<[0-7]>|(debug|info|notice|warning|error|crit|emerg|alert): )' | head -3)
check "no unparsed '<N>' or 'LEVEL: ' prefixes in drover's journal lines${bad:+ (got: $bad)}" [ -z "$bad" ]
bad=$(own "$c0" -p warning | head -5)
check "no warnings or errors from drover at start${bad:+ (got: $bad)}" [ -z "$bad" ]

check "control socket /run/drover.sock exists" [ -S /run/drover.sock ]

echo "# --- cgroup layout (Delegate=yes)"
mainpid=$(prop MainPID)
ucg=$(unit_cg); scg=$(sub_cg)
echo "# unit cgroup $ucg, drover subtree ${scg:-(none)}; MainPID=$mainpid"
find "$ucg" -name cgroup.procs 2>/dev/null | while read -r f; do
	echo "${f#"$ucg"/}: $(procs "${f%/cgroup.procs}")"; done | note
check "exactly one <unit cgroup>/drover.* subtree" [ -n "$scg" ]
check "drover.$mainpid is named after MainPID" [ "$scg" = "$ucg/drover.$mainpid" ]
check "drover.*/supervisor/cgroup.procs = MainPID" [ "$(procs "$scg/supervisor")" = "$mainpid" ]
check "no process left in the unit's own cgroup" [ -z "$(procs "$ucg")" ]
check "drover.*/job.web/cgroup.procs has web's pid (a sleep)" \
	eval '[ -n "$webpid" ] && [ "$(cat /proc/$webpid/comm 2>/dev/null)" = sleep ]'
check "web's environment: DROVER_JOB=web, no NOTIFY_SOCKET (systemd's is not passed on)" \
	eval 'penv "$webpid" | grep -qx DROVER_JOB=web && ! penv "$webpid" | grep -q ^NOTIFY_SOCKET='
check "drover.*/job.worker_0 and job.worker_1 each hold one process" \
	eval '[ "$(procs "$scg/job.worker_0" | wc -w)" = 1 ] && [ "$(procs "$scg/job.worker_1" | wc -w)" = 1 ]'

echo "# --- systemctl reload (reload by diff)"
w0=$(procs "$scg/job.worker_0"); w1=$(procs "$scg/job.worker_1")
cp "$CONF" /tmp/drover.ini.orig
cat >> "$CONF" <<'EOF'

[service:extra]
command = /bin/sh -c 'echo extra up; exec sleep infinity'
EOF
c1=$(cursor)
t0=$(now); sc reload $U; rc=$?
echo "# systemctl reload rc=$rc took $(since "$t0")s"
check "systemctl reload rc=0" [ "$rc" = 0 ]
# systemd 252: reload returns when kill exits; RELOADING=1 .. READY=1 follow
wait_for 15 eval '[ "$(prop ActiveState)" = active ] && has_own "$c1" "^reload: [0-9]+ unchanged"'
echo "# back to active $(since "$t0")s after the reload began"
own "$c1" | note
check "unit is active again after the reload" [ "$(prop ActiveState)" = active ]
check "drover logged 'reload: ... 1 added, 0 removed'" has_own "$c1" '^reload: .* 1 added, 0 removed$'
check "MainPID unchanged ($mainpid)" [ "$(prop MainPID)" = "$mainpid" ]
check "web's pid unchanged ($webpid)" [ "$(web_pid)" = "$webpid" ]
check "worker_0, worker_1 pids unchanged" \
	eval '[ "$(procs "$scg/job.worker_0")" = "$w0" ] && [ "$(procs "$scg/job.worker_1")" = "$w1" ]'
# a job added by a reload may get a leaf "job.extra~SERIAL" (it could overlap a
# stopping namesake)
extra_cg() { local x; for x in "$scg/job.extra" "$scg"/job.extra~*; do populated "$x" && return 0; done; return 1; }
check "added service 'extra' runs in its own cgroup (job.extra or job.extra~N)" wait_for 5 extra_cg
check "StatusText follows: 4 running" wait_for 5 eval '[[ "$(prop StatusText)" == *"4 running"* ]]'
check "systemd saw the reload (Reloaded/Reloading $U in the journal)" \
	eval 'pid1 "$c1" | grep -q "Reload"'

echo "# --- reload with an invalid file: ExecReload's drover -t refuses it"
printf '\n[service:web2]\ncomand = /bin/true\n' >> "$CONF"
c2=$(cursor)
t0=$(now); sc reload $U; rc=$?
echo "# reload returned rc=$rc after $(since "$t0")s"
own "$c2" | note
check "systemctl reload fails (rc=$rc): the unit's ExecReload checks the file first" [ "$rc" != 0 ]
check "the error names FILE:LINE and the key, at PRIORITY=3" \
	has_own "$c2" 'drover.ini:[0-9]+: .*comand' PRIORITY=3
check "the running drover was not asked to reload (no 'reload: reading')" \
	eval '! has_own "$c2" "^reload: reading"'
check "unit is still active" [ "$(prop ActiveState)" = active ]
check "MainPID and web's pid unchanged" \
	eval '[ "$(prop MainPID)" = "$mainpid" ] && [ "$(web_pid)" = "$webpid" ]'
echo "# --- the same bad file sent by SIGHUP straight to drover: kept running"
c2b=$(cursor)
sc kill -s HUP --kill-who=main $U
check "drover logged the error with FILE:LINE and kept the old configuration" \
	wait_for 10 eval 'has_own "$c2b" "drover.ini:[0-9]+" && has_own "$c2b" "^reload: [0-9]+ errors?, keeping"'
check "the refusal is at PRIORITY=3" has_own "$c2b" 'keeping the running' PRIORITY=3
check "unit is active, pids unchanged" \
	eval '[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$mainpid" ] && [ "$(web_pid)" = "$webpid" ]'
cp /tmp/drover.ini.orig "$CONF"

echo "# --- systemctl stop: graceful shutdown"
c3=$(cursor)
t0=$(now); sc stop $U; rc=$?; d=$(since "$t0")
echo "# systemctl stop rc=$rc took ${d}s"
own "$c3" | note
pid1 "$c3" | note
check "systemctl stop rc=0" [ "$rc" = 0 ]
check "the cleanup job ran: $CLEANUP_FILE exists" [ -f "$CLEANUP_FILE" ]
check "journal: 'shutdown (SIGTERM): ...' at PRIORITY=5" has_own "$c3" '^shutdown \(SIGTERM\): ' PRIORITY=5
check "journal: 'shutdown complete in ...ms, exit 0'" has_own "$c3" '^shutdown complete in [0-9]+ms, exit 0$'
check "journal: report line for the cleanup job (ok)" has_own "$c3" '^report: mark ok'
check "no job had to be SIGKILLed" eval '! has_own "$c3" "SIGKILL"'
check "ActiveState=inactive (not failed)" [ "$(prop ActiveState)" = inactive ]
check "Result=success" [ "$(prop Result)" = success ]
check "drover exited 0 (ExecMainStatus=$(prop ExecMainStatus))" [ "$(prop ExecMainStatus)" = 0 ]
check "systemd killed nothing itself (no 'Killing process' for $U)" \
	eval '! pid1 "$c3" | grep -q "Killing process"'
check "no process left in the unit's cgroup" \
	eval '! [ -d "$ucg" ] || ! populated "$ucg"'
check "control socket removed at exit" [ ! -e /run/drover.sock ]
left=$(pgrep -a -x sleep)
check "no job process left anywhere${left:+ (got: $left)}" [ -z "$left" ]

echo "# --- watchdog (WatchdogSec=2s drop-in)"
mkdir -p "$DROPIN_DIR"
printf '[Service]\nWatchdogSec=2s\n' > "$DROPIN_DIR/watchdog.conf"
systemctl daemon-reload
c4=$(cursor)
sc restart $U; rc=$?
check "restart with WatchdogSec=2s: rc=0" [ "$rc" = 0 ]
check "WatchdogUSec=2s" [ "$(prop WatchdogUSec)" = 2s ]
check "drover: 'watchdog: pinging systemd every 1000ms'" has_own "$c4" '^watchdog: pinging systemd every 1000ms$'
m1=$(prop MainPID); n0=$(prop NRestarts)
sleep 5
check "after 5 s: still active, same MainPID, NRestarts=0 (WATCHDOG=1 keeps it alive)" \
	eval '[ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$m1" ] && [ "$(prop NRestarts)" = 0 ]'
wp=$(web_pid)
check "web's environment has no WATCHDOG_USEC/WATCHDOG_PID/NOTIFY_SOCKET of drover's" \
	eval '[ -n "$wp" ] && ! penv "$wp" | grep -qE "^(WATCHDOG_USEC|WATCHDOG_PID|NOTIFY_SOCKET)="'
check "no watchdog timeout so far" eval '! pid1 "$c4" | grep -q "Watchdog timeout"'
c5=$(cursor)
t0=$(now)
systemctl kill -s STOP --kill-who=main $U
wait_for 8 eval 'pid1 "$c5" | grep -q "Watchdog timeout"'
d=$(since "$t0")
check "main process frozen: systemd reports 'Watchdog timeout' within 5 s (after ${d}s)" \
	eval 'pid1 "$c5" | grep -q "Watchdog timeout" && ge 5 "$d"'
wait_for 20 eval '[ "$(prop NRestarts)" -gt "$n0" ] && [ "$(prop ActiveState)" = active ]'
echo "# restarted $(since "$t0")s after SIGSTOP: NRestarts $n0 -> $(prop NRestarts), MainPID $m1 -> $(prop MainPID)"
pid1 "$c5" | note
check "restarted (Restart=on-failure) and active again with a new MainPID" \
	eval '[ "$(prop NRestarts)" -gt "$n0" ] && [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$m1" ]'
check "only the new drover's subtree is left, and web runs in it" \
	eval 's=$(sub_cg) && [ "$s" = "$(unit_cg)/drover.$(prop MainPID)" ] && populated "$s/job.web"'
systemctl kill -s CONT $U 2>/dev/null
sc stop $U
rm -rf "$DROPIN_DIR"; systemctl daemon-reload; systemctl reset-failed $U 2>/dev/null
check "stopped cleanly after the watchdog restart" eval '[ "$(prop ActiveState)" = inactive ]'

echo "# --- clone3 refused by a seccomp filter (as some container runtimes do)"
# drover spawns with clone3(CLONE_INTO_CGROUP); refused, its children must
# still end up in their leaf (they join it themselves)
mkdir -p "$DROPIN_DIR"
printf '[Service]\nSystemCallFilter=~clone3\nSystemCallErrorNumber=ENOSYS\n' > "$DROPIN_DIR/noclone3.conf"
systemctl daemon-reload
sc start $U; rc=$?
check "start with clone3 filtered out: rc=0" [ "$rc" = 0 ]
check "drover runs under a seccomp filter" \
	eval 'grep -q "^Seccomp:[[:space:]]*2" "/proc/$(prop MainPID)/status"'
web_in_leaf() { local p; p=$(web_pid) && [ -n "$p" ] && [ "$(echo "$p" | wc -w)" = 1 ]; }
check "web runs, alone, in its leaf job.web" wait_for 10 web_in_leaf
sc stop $U
rm -rf "$DROPIN_DIR"; systemctl daemon-reload
check "stopped cleanly" eval '[ "$(prop ActiveState)" = inactive ]'

echo "# --- slow stop: EXTEND_TIMEOUT_USEC past TimeoutStopSec=2s"
# a service that ignores SIGTERM, SIGKILLed by drover after stopwaitsecs=4s:
# drover's STOPPING=1 + EXTEND_TIMEOUT_USEC must keep systemd from killing
cat >> "$CONF" <<'EOF'

[service:stubborn]
command = /bin/sh -c 'trap "" TERM; echo stubborn up; while :; do sleep 0.2; done'
stopwaitsecs = 4s
EOF
mkdir -p "$DROPIN_DIR"
printf '[Service]\nTimeoutStopSec=2s\n' > "$DROPIN_DIR/stop.conf"
systemctl daemon-reload
sc start $U; rc=$?
check "start with a stubborn service: rc=0" [ "$rc" = 0 ]
c6=$(cursor)
t0=$(now); sc stop $U; rc=$?; d=$(since "$t0")
echo "# systemctl stop rc=$rc took ${d}s, Result=$(prop Result)"
own "$c6" | note
pid1 "$c6" | note
check "stop took 3.5-7 s: drover's stopwaitsecs, not systemd's 2 s ($d s)" \
	eval 'ge "$d" 3.5 && ge 7 "$d"'
check "Result=success: systemd did not time out (EXTEND_TIMEOUT_USEC honoured)" \
	[ "$(prop Result)" = success ]
check "systemd did not kill: no 'timed out' / 'Killing process'" \
	eval '! pid1 "$c6" | grep -qE "timed out|Killing process"'
check "drover says it had to SIGKILL, at PRIORITY=4" \
	has_own "$c6" 'had to be killed with SIGKILL' PRIORITY=4
check "drover exited 0" [ "$(prop ExecMainStatus)" = 0 ]
cp /tmp/drover.ini.orig "$CONF"
rm -rf "$DROPIN_DIR"; systemctl daemon-reload

if [ "$fail" != 0 ]; then
	echo "# --- journalctl -u $U (whole test)"
	journalctl -q --no-pager -u $U -o short-monotonic | note
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

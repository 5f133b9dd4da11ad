#!/bin/bash
# tests/package/inside.sh: runs INSIDE a booted Debian 12 container (systemd
# 252 as PID 1) with /root/old.deb and /root/new.deb.  Installs the package
# as a user would, checks that drover.service is enabled and running the
# shipped config, gives it jobs, upgrades to the newer package and checks
# that the jobs came back, then purges it and checks that nothing is left.
# Prints "ok - ..." / "not ok - ..." and "N passed, M failed".
set -u
export DEBIAN_FRONTEND=noninteractive
pass=0 fail=0
ok()    { echo "ok - $*"; pass=$((pass + 1)); }
notok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
note()  { sed 's/^/# /'; }
quiet() { "$@" >/dev/null 2>&1; }
# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
mainpid() { systemctl show -P MainPID drover.service; }
job_pid() { droverctl status "$1" 2>/dev/null | sed -n 's/.* RUNNING .*pid \([0-9]*\),.*/\1/p'; }
running() { [ -n "$(job_pid "$1")" ]; }

apt() { timeout 300 apt-get -y -q -o Dpkg::Use-Pty=0 "$@" 2>&1 | note; return "${PIPESTATUS[0]}"; }

# --- install -----------------------------------------------------------------
check "apt-get install ./old.deb" apt install /root/old.deb
check "drover.service is enabled" systemctl -q is-enabled drover.service
check "drover.service is running the shipped config" wait_for 30 systemctl -q is-active drover.service
check "the shipped /etc/drover/drover.ini is a conffile" \
	grep -qx ' /etc/drover/drover.ini [0-9a-f]*' <(dpkg-query -W -f='${Conffiles}\n' drover)
check "drover -t accepts the shipped config" quiet drover -t -c /etc/drover/drover.ini
check "the example is in /usr/share/doc/drover/examples" \
	quiet drover -t -c /usr/share/doc/drover/examples/example.ini

# --- jobs ------------------------------------------------------------------
cat >>/etc/drover/drover.ini <<'EOF'

; added by the package test
[service:web]
command = /bin/sh -c 'echo web up; exec sleep infinity'

[cleanup:mark]
command = /bin/sh -c 'echo stopped >> /var/tmp/drover-cleanup.log'
before = web
timeout = 5s
EOF
systemctl reload drover.service
check "a job added to the config runs after a reload" wait_for 30 running web
pid1=$(mainpid) web1=$(job_pid web)

# --- upgrade ---------------------------------------------------------------
check "apt-get install ./new.deb (upgrade)" apt install /root/new.deb
check "the new version is installed" \
	test "$(dpkg-query -W -f='${Version}' drover)" = "$(dpkg-deb -f /root/new.deb Version)"
check "systemd restarted drover on the upgrade (MainPID $pid1 -> $(mainpid))" \
	wait_for 30 sh -c "[ \"\$(systemctl show -P MainPID drover.service)\" != $pid1 ] && systemctl -q is-active drover.service"
check "the job came back after the upgrade" wait_for 30 running web
check "... as a new process ($web1 -> $(job_pid web))" test "$(job_pid web)" != "$web1"
check "the old drover stopped its jobs by its shutdown sequence (cleanup ran)" \
	grep -qx stopped /var/tmp/drover-cleanup.log
check "the operator's config survived the upgrade" grep -q '^\[service:web\]' /etc/drover/drover.ini
check "drover.service is still enabled" systemctl -q is-enabled drover.service

# --- purge -----------------------------------------------------------------
files=$(dpkg-query -L drover | while read -r f; do [ -d "$f" ] || echo "$f"; done)
check "apt-get purge drover" apt purge drover
check "no drover process is left" wait_for 10 sh -c '! pgrep -x drover'
check "no job process is left" sh -c '! pgrep -f "[s]leep infinity"'
check "no drover.service cgroup is left" wait_for 10 test ! -e /sys/fs/cgroup/system.slice/drover.service
check "the unit is not enabled any more" test ! -e /etc/systemd/system/multi-user.target.wants/drover.service
check "systemd forgot the unit" sh -c '[ "$(systemctl show -P LoadState drover.service)" = not-found ]'
left=$(for f in $files; do [ ! -e "$f" ] || echo "$f"; done)
check "every file of the package is gone${left:+ (left: $left)}" test -z "$left"
check "/etc/drover is gone (purge removes the conffile)" test ! -e /etc/drover
check "the control socket is gone" test ! -e /run/drover.sock
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

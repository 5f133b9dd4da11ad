#!/bin/bash
# tests/container/ct.sh: drover's own container harness (systemd-nspawn on a
# Debian rootfs made by mmdebstrap).  Two kinds of use:
#
#   ct.sh rootfs DIR [--boot] [--include PKG,...]
#       make DIR a Debian 12 minbase rootfs (with systemd when --boot), from
#       a cached tarball under $XDG_CACHE_HOME/drover when one matches
#   ct.sh run DIR [--pid1] [--bind HOST:CT] -- CMD...
#       run CMD as PID 2 (under nspawn's stub init; with --pid1, as PID 1,
#       as a container runtime runs an entrypoint) of a container on DIR, in
#       the foreground, network of the host (for apt-get), its own cgroup2
#       tree; exit status of CMD
#   ct.sh boot DIR          boot systemd as PID 1 on DIR, return once running
#   ct.sh exec DIR CMD...   run CMD in the booted container (timeout inside)
#   ct.sh poweroff DIR      orderly poweroff; SIGTERM, then SIGKILL, if stuck
#   ct.sh teardown DIR      poweroff, then delete DIR (only one made here)
#
# Why each nspawn flag is there:
#   --register=no --keep-unit  a host whose PID 1 is not systemd has no
#       machined and no system bus; nspawn then makes its payload cgroup under
#       the cgroup it runs in, so we first move into a cgroup of our own (one
#       per container, removed at the end) in every hierarchy systemd uses.
#   SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1  a private, writable cgroup2 tree in
#       the container, which drover needs for its leaves, on any host layout.
#   --console=read-only  systemd as PID 1 wants a /dev/console.
#   --link-journal=no --private-network  keep the booted container off the
#       host's journal and network.
# Commands in a booted container run through nsenter with their timeout
# inside, so that a timeout never leaves an orphan in the container.
#
# Settings: CT_SUITE (bookworm), CT_MIRROR (apt's first debian URI),
# CT_BOOT_TIMEOUT (60 s), CT_EXEC_TIMEOUT (600 s), CT_LIFETIME (1800 s: the
# longest a container may live; nspawn gets SIGTERM then).
set -euo pipefail

SUITE=${CT_SUITE:-bookworm}
MARK=.drover-ct
CACHE_DIR=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/drover
PATH_IN=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'ct: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

setroot() {	# ROOT, STATE and NAME for the rootfs directory $1
	[ -n "${1:-}" ] || die "no rootfs directory given"
	ROOT=$(realpath -m -- "$1")
	case "$ROOT" in /|/bin|/boot|/dev|/etc|/home|/lib*|/opt|/proc|/root|/run|\
	    /sbin|/srv|/sys|/tmp|/usr|/var|/var/tmp) die "refusing rootfs $ROOT" ;; esac
	STATE=$ROOT.ct
	NAME=drover-ct-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)
}

mirror() {
	local m=${CT_MIRROR:-}
	[ -n "$m" ] || [ ! -r /etc/apt/sources.list.d/debian.sources ] ||
		m=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	[ -n "$m" ] || [ ! -r /etc/apt/sources.list ] ||
		m=$(awk '$1 == "deb" && !/security/ { print $2; exit }' /etc/apt/sources.list)
	echo "${m:-http://deb.debian.org/debian}"
}

cmd_rootfs() {
	setroot "${1:-}"; shift
	local boot=0 include=ca-certificates
	while [ $# -gt 0 ]; do
		case $1 in
		--boot) boot=1; shift ;;
		--include) include="$include,$2"; shift 2 ;;
		*) die "rootfs: unknown option $1" ;;
		esac
	done
	[ $boot = 0 ] || include="$include,systemd,systemd-sysv,dbus,procps"
	include=$(echo "$include" | tr ',' '\n' | sort -u | paste -sd, -)
	local want="suite=$SUITE boot=$boot include=$include"
	local cache
	cache=$CACHE_DIR/rootfs-$SUITE-$(printf '%s' "$want" | md5sum | cut -c1-10).tar.gz
	[ ! -e "$ROOT" ] || [ -z "$(ls -A "$ROOT")" ] || die "$ROOT is not empty"
	mkdir -p "$ROOT"
	if [ -s "$cache" ]; then
		tar -C "$ROOT" --numeric-owner --xattrs --acls -xzf "$cache"
		if [ "$(cat "$ROOT/$MARK" 2>/dev/null)" = "$want" ]; then
			say "rootfs from $cache"
			return 0
		fi
		rm -rf --one-file-system -- "$ROOT"; mkdir -p "$ROOT"
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed"
	local hooks=()
	if [ $boot = 1 ]; then
		# timers and gettys that only slow a test container down
		local units="apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer"
		units="$units e2scrub_all.timer fstrim.timer e2scrub_reap.service"
		units="$units getty@tty1.service systemd-pstore.service"
		hooks+=(--customize-hook="systemctl --root=\"\$1\" mask -q $units")
	fi
	say "mmdebstrap $SUITE minbase + $include"
	timeout 900 mmdebstrap --variant=minbase --include="$include" \
	    --customize-hook='echo drover-ct > "$1/etc/hostname"' \
	    --customize-hook='printf "127.0.0.1 localhost drover-ct\n::1 localhost\n" > "$1/etc/hosts"' \
	    --customize-hook=': > "$1/etc/machine-id"' \
	    "${hooks[@]}" "$SUITE" "$ROOT" "$(mirror)" >"$ROOT.mmdebstrap.log" 2>&1 ||
		{ tail -20 "$ROOT.mmdebstrap.log" >&2; die "mmdebstrap failed"; }
	rm -f "$ROOT.mmdebstrap.log"
	echo "$want" >"$ROOT/$MARK"
	mkdir -p "$CACHE_DIR"
	tar -C "$ROOT" --numeric-owner --xattrs --acls -czf "$cache.$$" . &&
		mv "$cache.$$" "$cache"
	say "rootfs built, cached in $cache"
}

# The cgroups a container of ours runs in, one per hierarchy systemd uses;
# empty where the host's PID 1 is systemd (nspawn then makes a scope).
own_cgroups() {
	[ ! -d /run/systemd/system ] || return 0
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup/$NAME"
		return 0
	fi
	[ ! -d /sys/fs/cgroup/systemd ] || echo "/sys/fs/cgroup/systemd/$NAME"
	[ ! -e /sys/fs/cgroup/unified/cgroup.controllers ] ||
		echo "/sys/fs/cgroup/unified/$NAME"
}

remove_cgroups() {
	local d
	for d in $(cat "$STATE/cgroups" 2>/dev/null); do
		case $d in /sys/fs/cgroup/*drover-ct-*) ;; *) continue ;; esac
		[ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	# nspawn leaves this behind where /run is not a tmpfs
	rmdir "/run/systemd/nspawn/propagate/$NAME" 2>/dev/null || true
}

nspawn_args() {	# the flags both kinds of container share
	local host_cg=$1
	ARGS=(--quiet --directory="$ROOT" --machine="$NAME" --register=no)
	[ -z "$host_cg" ] || ARGS+=(--keep-unit)
}

cmd_run() {
	setroot "${1:-}"; shift
	[ -f "$ROOT/$MARK" ] || die "$ROOT is not a rootfs made by ct.sh"
	local binds=() init=--as-pid2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		--bind) binds+=(--bind="$2"); shift 2 ;;
		--pid1) init=; shift ;;
		*) die "run: unknown option $1" ;;
		esac
	done
	[ "${1:-}" = -- ] && shift
	[ $# -gt 0 ] || die "run: no command"
	mkdir -p "$STATE"
	local cgs; cgs=$(own_cgroups)
	echo "$cgs" >"$STATE/cgroups"
	nspawn_args "$cgs"
	ARGS+=($init --console=pipe --resolv-conf=copy-host --timezone=off "${binds[@]}"
	    --setenv=DEBIAN_FRONTEND=noninteractive)
	local rc=0
	# a subshell moves itself into our cgroups, then becomes nspawn
	( for d in $cgs; do mkdir -p "$d"; echo $BASHPID >"$d/cgroup.procs"; done
	  exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 timeout --kill-after=30 \
	      "${CT_LIFETIME:-1800}" systemd-nspawn "${ARGS[@]}" -- "$@" ) || rc=$?
	remove_cgroups
	return $rc
}

children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true; }

alive() {	# a zombie counts as gone: whoever reaps our orphans may be slow
	local st
	st=$(sed -E 's/.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

launcher() {	# the pid of the timeout(1) that runs nspawn, while it lives
	local p
	p=$(cat "$STATE/launcher" 2>/dev/null) || return 1
	alive "$p" && grep -q "$NAME" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}

leader() {	# the host pid of the container's PID 1
	local t n l
	t=$(launcher) || return 1
	for n in $(children "$t"); do
		for l in $(children "$n"); do
			awk '$1 == "NSpid:" { exit !($NF == 1) }' "/proc/$l/status" 2>/dev/null &&
				{ echo "$l"; return 0; }
		done
	done
	return 1
}

inside() {	# inside LEADER TIMEOUT CMD...
	local l=$1 to=$2; shift 2
	nsenter --target "$l" --all --root --wd -- env -i PATH=$PATH_IN HOME=/root \
	    LANG=C.UTF-8 SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 \
	    timeout --kill-after=5 "$to" "$@"
}

cmd_boot() {
	setroot "${1:-}"
	[ -f "$ROOT/$MARK" ] || die "$ROOT is not a rootfs made by ct.sh"
	! launcher >/dev/null || die "$NAME is already running"
	mkdir -p "$STATE"
	remove_cgroups
	local cgs; cgs=$(own_cgroups)
	echo "$cgs" >"$STATE/cgroups"
	nspawn_args "$cgs"
	ARGS+=(--boot --console=read-only --link-journal=no --resolv-conf=off
	    --private-network)
	setsid bash -c 'state=$1 cgs=$2 life=$3; shift 3
		for d in $cgs; do mkdir -p "$d" && echo $$ >"$d/cgroup.procs" || exit 97; done
		echo $$ >"$state/launcher"
		exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 timeout --kill-after=30 "$life" \
		    systemd-nspawn "$@"' ct-launch "$STATE" "$cgs" "${CT_LIFETIME:-1800}" \
	    "${ARGS[@]}" </dev/null >"$STATE/console.log" 2>&1 &
	local bash_pid=$! end=$((SECONDS + ${CT_BOOT_TIMEOUT:-60})) st= l=
	while [ $SECONDS -lt $end ]; do
		if ! alive $bash_pid && ! launcher >/dev/null; then
			cat "$STATE/console.log" >&2
			die "systemd-nspawn exited during boot"
		fi
		if l=$(leader); then
			st=$(inside "$l" 5 systemctl is-system-running 2>/dev/null || true)
			case $st in running|degraded) break ;; esac
		fi
		sleep 0.05
	done
	case $st in
	running) ;;
	degraded) say "booted degraded:"; inside "$l" 10 systemctl --failed --no-legend >&2 || true ;;
	*) tail -30 "$STATE/console.log" >&2; poweroff
	   die "no boot within ${CT_BOOT_TIMEOUT:-60} s (state: ${st:-no answer})" ;;
	esac
}

cmd_exec() {
	setroot "${1:-}"; shift
	local l; l=$(leader) || die "$NAME is not running"
	inside "$l" "${CT_EXEC_TIMEOUT:-600}" "$@"
}

wait_gone() {	# wait_gone PID SECONDS
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do alive "$1" || return 0; sleep 0.05; done
	return 1
}

poweroff() {
	local t l n
	if t=$(launcher); then
		! l=$(leader) || inside "$l" 10 systemctl poweroff --no-block >/dev/null 2>&1 || true
		if ! wait_gone "$t" 30; then
			say "no poweroff within 30 s: SIGTERM to nspawn"
			kill -TERM "$t" 2>/dev/null || true
			if ! wait_gone "$t" 15; then
				for n in $t $(children "$t"); do kill -KILL "$n" 2>/dev/null || true; done
				wait_gone "$t" 5 || true
			fi
		fi
	fi
	remove_cgroups
}

cmd_poweroff() { setroot "${1:-}"; poweroff; }

cmd_teardown() {
	setroot "${1:-}"
	poweroff
	[ -e "$ROOT" ] || { rm -rf "$STATE"; return 0; }
	[ -f "$ROOT/$MARK" ] || [ -z "$(ls -A "$ROOT")" ] ||
		die "$ROOT was not made by ct.sh; not deleting it"
	! awk -v r="$ROOT" 'index($5, r) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo ||
		die "something is mounted under $ROOT; not deleting it"
	rm -rf --one-file-system -- "$ROOT" "$STATE"
}

[ "$(id -u)" = 0 ] || die "needs root (systemd-nspawn)"
cmd=${1:-}; shift || true
case $cmd in
rootfs|run|boot|exec|poweroff|teardown) "cmd_$cmd" "$@" ;;
*) die "usage: ct.sh rootfs|run|boot|exec|poweroff|teardown DIR ..." ;;
esac

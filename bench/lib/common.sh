# shellcheck shell=bash
# shellcheck disable=SC2034  # globals shared between the sourced files
# bench/lib/common.sh: helpers for bench/run (sourced, not run).
#
# Process control: every supervisor runs under bin/launch, inside a cgroup
# v2 of its own below $TOPCG.  launch is a child subreaper, so nothing the
# supervisor starts can leave its tree; the cgroup lets us time "all gone"
# (cgroup.events) and kill everything at once (cgroup.kill) on teardown.

log()  { printf '[bench %(%T)T] %s\n' -1 "$*" >&2; }
warn() { printf '[bench %(%T)T] WARNING: %s\n' -1 "$*" >&2; ERRORS+=("$*"); }
die()  { printf '[bench %(%T)T] ERROR: %s\n' -1 "$*" >&2; exit 1; }

ERRORS=()
PY=/usr/bin/python3
ANALYZE="$BENCH/lib/analyze.py"

# rec SCENARIO PEER N RUN KEY VALUE: one result line in $RESULTS
rec() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
# rec_kv SCENARIO PEER N RUN "k=v k=v ...": every pair
rec_kv() {
    local s=$1 p=$2 n=$3 r=$4 kvs=$5 kv
    for kv in $kvs; do
        [[ $kv == *=* ]] && rec "$s" "$p" "$n" "$r" "${kv%%=*}" "${kv#*=}"
    done
}
# kv KEY "k=v ...": the value of KEY
kv() { local k=$1 x; for x in $2; do [[ $x == "$k="* ]] && { echo "${x#*=}"; return; }; done; echo NA; }

# ---- cgroups ---------------------------------------------------------------
cg_setup() {
    local mnt
    mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
    [[ -n $mnt ]] || die "no cgroup2 file system mounted; bench/run needs one"
    TOPCG="$mnt/drover-bench.$$"
    mkdir "$TOPCG" 2>/dev/null || die "cannot create a cgroup in $mnt (run as root, with a writable cgroup2)"
    [[ -w $TOPCG/cgroup.kill ]] || die "$TOPCG has no cgroup.kill (needs Linux >= 5.14)"
    CGSEQ=0
}

# cg_new NAME: a fresh cgroup for one run, in $CG
cg_new() { CGSEQ=$((CGSEQ + 1)); CG="$TOPCG/$1.$CGSEQ"; mkdir "$CG"; }

cg_populated() { grep -q '^populated 1' "$1/cgroup.events" 2>/dev/null; }

# cg_kill DIR: SIGKILL everything in DIR (recursively), wait until it is empty
cg_kill() {
    local d=$1 i
    [[ -d $d ]] || return 0
    echo 1 >"$d/cgroup.kill" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        cg_populated "$d" || return 0
        sleep 0.05
    done
    warn "cgroup $d still populated 10 s after cgroup.kill"
}

# cg_remove DIR: remove DIR and what drover made below it, deepest first
cg_remove() {
    local d=$1 i
    [[ -d $d ]] || return 0
    for ((i = 0; i < 50; i++)); do
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        [[ -d $d ]] || return 0
        sleep 0.1
    done
    warn "could not remove cgroup $d"
}

# cg_pids DIR: every pid in DIR and below
cg_pids() { find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null; }

# ---- supervisors -------------------------------------------------------------
# Set by peer_config: SUP_CMD (array), SUP_ENV (array of NAME=VALUE),
# STOP_SIG, SUP_EXE (the workload executable, left out of the accounting).
# sup_start [LINES]: start "${SUP_CMD[@]}" in a new cgroup under launch.  With
# LINES, its stdout+stderr are written there with arrival time stamps,
# otherwise to $SUP_OUT (default $WORK/sup.out); stdin is $SUP_IN or
# /dev/null.  Sets LAUNCH_PID, SUP_PID, T0.
sup_start() {
    local lines=${1:-} args e i
    cg_new "${PEER:-run}"
    args=(-g "$CG" -I "$WORK/info" -C)
    for e in "${SUP_ENV[@]}"; do args+=(-E "$e"); done
    [[ -n ${SUP_IN:-} ]] && args+=(-i "$SUP_IN")
    if [[ -n $lines ]]; then args+=(-L "$lines"); else args+=(-o "${SUP_OUT:-$WORK/sup.out}" -e -); fi
    rm -f "$WORK/info"
    "$BIN/launch" "${args[@]}" -- "${SUP_CMD[@]}" &
    LAUNCH_PID=$!
    for ((i = 0; i < 1000; i++)); do
        [[ -s $WORK/info ]] && break
        sleep 0.01
    done
    read -r T0 SUP_PID < <(sed -n '1s/^t0=\([0-9]*\) pid=\([0-9]*\)$/\1 \2/p' "$WORK/info")
    [[ -n ${SUP_PID:-} ]] || die "launch did not start ${SUP_CMD[*]}"
}

# sup_wait_exit TIMEOUT_S: wait for the launched command to end (its info
# file gets end=); 0 if it did.  Sets END, STATUS.
sup_wait_exit() {
    local t=$1 i line
    for ((i = 0; i < t * 100; i++)); do
        line=$(sed -n '2p' "$WORK/info" 2>/dev/null)
        if [[ $line == end=* ]]; then
            END=${line#end=}; END=${END%% *}
            STATUS=${line##*status=}
            return 0
        fi
        sleep 0.01
    done
    return 1
}

# sup_teardown: kill whatever is left of the run, reap, remove its cgroup
sup_teardown() {
    local i
    [[ -n ${CG:-} ]] && cg_kill "$CG"
    if [[ -n ${LAUNCH_PID:-} ]]; then
        for ((i = 0; i < 200; i++)); do
            kill -0 "$LAUNCH_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill -0 "$LAUNCH_PID" 2>/dev/null && kill -KILL "$LAUNCH_PID" 2>/dev/null
        wait "$LAUNCH_PID" 2>/dev/null
    fi
    [[ -n ${CG:-} ]] && cg_remove "$CG"
    CG="" LAUNCH_PID="" SUP_PID=""
}

# account: key=value totals of the supervision tree (workload left out)
account() { cg_pids "$CG" | "$BIN/pacct" -x "$SUP_EXE" -m "$SUP_PID"; }

# kmem_kb: kernel memory in use system-wide (slab, kernel stacks, page tables)
kmem_kb() { awk '/^(Slab|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }

# new_work NAME: a fresh work directory in $WORK
new_work() { WORK=$(mktemp -d "$WROOT/$1.XXXXXX"); }
drop_work() { [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"; WORK=""; }

# stop_timed [PIDFILE]: stop the supervisor its documented way and time it
# (and the exit of the pids in PIDFILE)
stop_timed() {
    local extra=()
    [[ -n ${1:-} ]] && extra=(-P "$1")
    "$BIN/stopwatch" -p "$SUP_PID" -s "$STOP_SIG" -c "$CG" "${extra[@]}" -T "${STOP_TIMEOUT_MS:-150000}"
}

# ---- global clean-up ----------------------------------------------------------
HELPER_PIDS=()
cleanup_all() {
    local p
    for p in "${HELPER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sup_teardown
    if [[ -n ${TOPCG:-} && -d $TOPCG ]]; then
        cg_kill "$TOPCG"
        cg_remove "$TOPCG"
    fi
    for p in "${HELPER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [[ -n ${WROOT:-} && -d $WROOT && ${KEEP:-0} != 1 ]]; then rm -rf "$WROOT"; fi
}

# shellcheck shell=bash
# shellcheck disable=SC2034  # globals shared between the sourced files
# bench/lib/peers.sh: how each supervisor is configured, started and stopped.
#
# peer_config PEER N KIND writes PEER's configuration for N copies of the
# workload KIND (idle: bin/svc-idle, crash: bin/svc-crash) into $WORK and
# sets SUP_CMD (the supervisor in the foreground), SUP_ENV, STOP_SIG (its
# documented "stop everything and exit" signal) and SUP_EXE.  Every copy
# appends its time stamps to $WORK/stamps.
#
#   limit          bench/limit/minisup: fork/exec/waitpid, nothing else
#   limit-cg       bench/limit/minisup-cg: the same, each child born in a
#                  cgroup v2 leaf of its own (mkdir, clone3 with
#                  CLONE_INTO_CGROUP, rmdir once reaped): the limit for
#                  drover with cgroups
#   drover         [service:s] numprocs=N startsecs=0, stdout/stderr =
#                  inherit: the children share the supervisor's output, as
#                  they do under minisup, s6 and runit
#   drover-log     the same with drover's default sinks (stdout = log: two
#                  pipes per job, read by drover)
#   drover-nocg    drover with DROVER_NO_CGROUP=1 (process groups instead of
#                  one cgroup leaf per job)
#   drover-notify  drover with NOTIFY_SOCKET set (READY=1 and STATUS=)
#   s6             s6-svscan + one s6-supervise per service
#   runit          runsvdir + one runsv per service
#   supervisord    one [program:sNNNNN] per service, *_logfile = NONE
# s6 and runit: each service directory's ./run is a symlink to the workload
# binary (no /bin/sh in between, so every peer execs the same program once).

DROVER=${DROVER:-$ROOT/drover}
FD_HARD=$(ulimit -Hn)
[[ $FD_HARD == unlimited ]] && FD_HARD=1048576

# peer_max_n PEER: the largest N the peer can run on this machine
peer_max_n() {
    case $1 in
    runit) echo 1000 ;;                              # runsvdir: "too many services"
    supervisord) echo $(( (FD_HARD - 128) / 3 )) ;;  # needs minfds >= 3N
    drover-log) echo $(( (FD_HARD - 64) / 2 )) ;;    # 2 pipes per job
    *) echo 1000000 ;;
    esac
}

peer_bin() {
    case $1 in
    limit) echo "$BIN/minisup" ;;
    limit-cg) echo "$BIN/minisup-cg" ;;
    drover*) echo "$DROVER" ;;
    s6) command -v s6-svscan ;;
    runit) command -v runsvdir ;;
    supervisord) command -v supervisord ;;
    esac
}

peer_version() {
    case $1 in
    limit) echo "bench/limit/minisup.c, $(cc --version | head -n1)" ;;
    limit-cg) echo "bench/limit/minisup-cg.c + cgleaf.h, $(cc --version | head -n1)" ;;
    drover*) "$DROVER" -V 2>/dev/null | head -n1 ;;
    s6) echo "s6 $(dpkg-query -W -f='${Version}' s6 2>/dev/null), skalibs $(dpkg-query -W -f='${Version}' 'libskarnet2*' 2>/dev/null | head -n1)" ;;
    runit) echo "runit $(dpkg-query -W -f='${Version}' runit 2>/dev/null)" ;;
    supervisord) echo "supervisor $(supervisord --version 2>/dev/null) (Debian $(dpkg-query -W -f='${Version}' supervisor 2>/dev/null)), $($PY --version 2>&1)" ;;
    esac
}

# s6 and runit: DIR/NAME/run -> the workload, for N names (python: no
# fork per directory)
svdirs() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import os, sys
d, n, exe = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
for i in range(1, n + 1):
    s = os.path.join(d, "s%05d" % i)
    os.mkdir(s)
    os.symlink(exe, os.path.join(s, "run"))
PYEOF
}

drover_ini() {
    local n=$1 exe=$2 kind=$3 sink=$4
    printf '[drover]\nsocket = none\n\n[service:s]\ncommand = %s %s/stamps\n' "$exe" "$WORK"
    printf 'numprocs = %s\nstartsecs = 0\n' "$n"
    if [[ $sink != default ]]; then printf 'stdout = %s\nstderr = %s\n' "$sink" "$sink"; fi
    if [[ $kind == crash ]]; then
        # the smallest restart delay drover accepts: no backoff at all
        printf 'autorestart = true\nstartretries = infinite\nbackoff = 0\nbackoff_max = 0\n'
    fi
}

peer_config() {
    local peer=$1 n=$2 kind=$3 exe i minfds
    exe="$BIN/svc-$kind"
    SUP_EXE=$exe SUP_ENV=() STOP_SIG=15
    case $peer in
    limit)
        SUP_CMD=("$BIN/minisup" -n "$n" -- "$exe" "$WORK/stamps") ;;
    limit-cg)
        SUP_CMD=("$BIN/minisup-cg" -n "$n" -- "$exe" "$WORK/stamps") ;;
    drover|drover-nocg|drover-notify)
        drover_ini "$n" "$exe" "$kind" inherit >"$WORK/drover.ini"
        SUP_CMD=("$DROVER" -c "$WORK/drover.ini")
        [[ $peer == drover-nocg ]] && SUP_ENV=(DROVER_NO_CGROUP=1)
        [[ $peer == drover-notify ]] && SUP_ENV=("NOTIFY_SOCKET=$WORK/notify.sock")
        ;;
    drover-log)
        drover_ini "$n" "$exe" "$kind" default >"$WORK/drover.ini"
        SUP_CMD=("$DROVER" -c "$WORK/drover.ini") ;;
    s6)
        svdirs "$WORK/scan" "$n" "$exe"
        SUP_CMD=(s6-svscan -c $((n < 500 ? 500 : n + 16)) "$WORK/scan") ;;
    runit)
        svdirs "$WORK/sv" "$n" "$exe"
        SUP_CMD=(runsvdir "$WORK/sv")
        STOP_SIG=1 ;;   # HUP: TERM to every runsv, then exit (TERM would orphan them)
    supervisord)
        minfds=$((3 * n + 128)); ((minfds < 1024)) && minfds=1024
        mkdir -p "$WORK/childlog"
        {
            printf '[supervisord]\nnodaemon = true\nlogfile = %s/supervisord.log\n' "$WORK"
            printf 'pidfile = %s/supervisord.pid\nchildlogdir = %s/childlog\n' "$WORK" "$WORK"
            printf 'minfds = %s\nuser = root\n' "$minfds"
            for ((i = 1; i <= n; i++)); do
                printf '\n[program:s%05d]\ncommand = %s %s/stamps\nautorestart = true\n' "$i" "$exe" "$WORK"
                printf 'startsecs = 0\nstdout_logfile = NONE\nstderr_logfile = NONE\n'
                [[ $kind == crash ]] && printf 'startretries = 1000000\n'
            done
        } >"$WORK/supervisord.conf"
        SUP_CMD=(supervisord -n -c "$WORK/supervisord.conf") ;;
    *) die "unknown peer $peer" ;;
    esac
}

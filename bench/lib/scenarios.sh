# shellcheck shell=bash
# shellcheck disable=SC2034  # globals shared between the sourced files
# bench/lib/scenarios.sh: the scenarios of bench/run (sourced).
# Each writes "scenario peer n run metric value" lines to $RESULTS.

# wait_line FILE TEXT TIMEOUT_S: ms after T0 of the first line with TEXT
wait_line() {
    local f=$1 text=$2 t=$3 i v
    for ((i = 0; i < t * 20; i++)); do
        v=$("$PY" "$ANALYZE" line "$f" "$T0" "$text" 2>/dev/null)
        [[ -n $v && $v != NA ]] && { echo "$v"; return 0; }
        sleep 0.05
    done
    echo NA
    return 1
}

start_listener() {
    rm -f "$WORK/notify.sock" "$WORK/notify.out"
    "$BIN/notifylisten" "$WORK/notify.sock" "$WORK/notify.out" 600000 &
    LISTENER=$!
    HELPER_PIDS+=("$LISTENER")
    local i
    for ((i = 0; i < 200; i++)); do [[ -S $WORK/notify.sock ]] && return; sleep 0.01; done
    die "notifylisten did not start"
}
stop_listener() {
    kill "$LISTENER" 2>/dev/null
    wait "$LISTENER" 2>/dev/null
    HELPER_PIDS=("${HELPER_PIDS[@]/$LISTENER}")
}

# ---- 1 + 3: scale-up, memory, fds; then stop-all on the same run -------------
scale_one() {
    local peer=$1 n=$2 run=$3 lines="" st acct stop k0 k1 ready=NA notify=NA tmo done_ms
    PEER=$peer
    new_work "scale-$peer"
    peer_config "$peer" "$n" idle
    [[ $peer == drover* ]] && lines="$WORK/lines"
    [[ $peer == drover-notify ]] && start_listener
    k0=$(kmem_kb)
    sup_start "$lines"
    tmo=$((60000 + n * 20))
    if ! "$BIN/waitfile" "$WORK/stamps" $((n * 24)) "$tmo" >/dev/null; then
        warn "scale $peer n=$n run=$run: not all $n services started within $((tmo / 1000)) s"
    fi
    st=$("$PY" "$ANALYZE" stamps "$WORK/stamps" "$T0")
    if [[ $peer == drover* ]]; then
        ready=$(wait_line "$lines" "all autostart services are up" 30)
    fi
    if [[ $peer == drover-notify ]]; then
        local i r=""
        for ((i = 0; i < 600; i++)); do
            r=$(sed -n 's/^ready=\([0-9]*\).*/\1/p' "$WORK/notify.out" 2>/dev/null)
            [[ -n $r && $r != 0 ]] && break
            sleep 0.05
        done
        [[ -n $r && $r != 0 ]] && notify=$(awk -v a="$r" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
    fi
    sleep "$SETTLE"
    acct=$(account)
    k1=$(kmem_kb)
    [[ $(kv work_n "$acct") == "$n" ]] || warn "scale $peer n=$n run=$run: $(kv work_n "$acct") workload processes, expected $n"
    stop=$(stop_timed)
    if [[ $peer == drover* ]]; then
        sup_wait_exit 5
        done_ms=$(sed -n 's/.*shutdown complete in \([0-9]*\)ms.*/\1/p' "$lines" | tail -n1)
        rec scale "$peer" "$n" "$run" shutdown_log_ms "${done_ms:-NA}"
    fi
    if [[ $peer == drover-notify ]]; then
        stop_listener
        rec_kv scale "$peer" "$n" "$run" "$(sed 's/^/notify_/; s/ / notify_/g' "$WORK/notify.out")"
    fi
    sup_teardown
    rec_kv scale "$peer" "$n" "$run" "$st"
    rec scale "$peer" "$n" "$run" ready_ms "$ready"
    rec scale "$peer" "$n" "$run" notify_ms "$notify"
    rec_kv scale "$peer" "$n" "$run" "$acct"
    rec scale "$peer" "$n" "$run" kmem_kb $((k1 - k0))
    rec_kv scale "$peer" "$n" "$run" "stop_$(kv sup_ms "$stop" | sed 's/^/sup_ms=/') stop_all_ms=$(kv all_ms "$stop")"
    log "scale $peer n=$n run $run: all running $(kv last_ms "$st") ms${ready:+ (ready $ready)}, pss $(kv pss_kb "$acct") KiB, fds $(kv fds "$acct"), stop $(kv all_ms "$stop") ms"
    drop_work
}

scen_scale() {
    local run n peer
    for ((run = 1; run <= RUNS; run++)); do
        for n in ${SIZES//,/ }; do
            for peer in $SCALE_PEERS; do
                if ((n > $(peer_max_n "$peer"))); then
                    ((run == 1)) && { log "scale $peer n=$n: skipped (max $(peer_max_n "$peer") here)"; rec scale "$peer" "$n" 0 skipped "max_n=$(peer_max_n "$peer")"; }
                    continue
                fi
                if [[ $peer == supervisord ]] && ((n > SUPD_FULL_N && run > 1)); then
                    continue   # one run only: minutes per run (see --supd-full-n)
                fi
                # READY=1 through NOTIFY_SOCKET: the smallest size is enough
                [[ $peer == drover-notify && $n != "${SIZES%%,*}" ]] && continue
                scale_one "$peer" "$n" "$run"
            done
        done
    done
}

# ---- 2: idle cost ---------------------------------------------------------------
count_syscalls() { # PIDS_FILE SECONDS -> total system calls of those pids
    local pf=$1 s=$2 out
    if [[ -n $PERF ]]; then
        out=$(timeout $((s + 30)) "$PERF" stat -x, -e raw_syscalls:sys_enter -p "$(paste -sd, "$pf")" -- sleep "$s" 2>&1 >/dev/null)
        # "<not counted>": the tasks never ran while perf watched, i.e. 0
        awk -F, '/raw_syscalls:sys_enter/ { print ($1 ~ /not counted/ ? 0 : $1); f = 1 }
                 END { if (!f) print "NA" }' <<<"$out"
    else
        local args=() p
        while read -r p; do args+=(-p "$p"); done <"$pf"
        timeout -s INT "$s" strace -c -f -qq -o "$WORK/strace.out" "${args[@]}" 2>/dev/null
        awk '/^[0-9. ]+total$/ { print $4; f = 1 } END { if (!f) print 0 }' "$WORK/strace.out"
    fi
}

scen_idle() {
    local peer w a b sc da db
    for peer in $IDLE_PEERS; do
        PEER=$peer
        new_work "idle-$peer"
        peer_config "$peer" "$IDLE_N" idle
        sup_start
        "$BIN/waitfile" "$WORK/stamps" $((IDLE_N * 24)) 120000 >/dev/null ||
            warn "idle $peer: not all $IDLE_N services started"
        sleep "$IDLE_SETTLE"
        cg_pids "$CG" | "$BIN/pacct" -l -x "$SUP_EXE" >"$WORK/pids"
        for ((w = 1; w <= RUNS; w++)); do
            a=$("$BIN/pacct" <"$WORK/pids")
            sleep "$IDLE_WIN"
            b=$("$BIN/pacct" <"$WORK/pids")
            da=$(($(kv vcsw "$b") + $(kv ivcsw "$b") - $(kv vcsw "$a") - $(kv ivcsw "$a")))
            db=$(($(kv cpu_ns "$b") - $(kv cpu_ns "$a")))
            rec idle "$peer" "$IDLE_N" "$w" wakeups_per_s "$(awk -v x="$da" -v s="$IDLE_WIN" 'BEGIN { printf "%.2f", x / s }')"
            rec idle "$peer" "$IDLE_N" "$w" cpu_ms_per_s "$(awk -v x="$db" -v s="$IDLE_WIN" 'BEGIN { printf "%.4f", x / 1e6 / s }')"
            rec idle "$peer" "$IDLE_N" "$w" procs "$(kv n "$b")"
        done
        sc=$(count_syscalls "$WORK/pids" "$IDLE_WIN")
        rec idle "$peer" "$IDLE_N" 1 syscalls_per_s "$(awk -v x="$sc" -v s="$IDLE_WIN" 'BEGIN { if (x == "NA") print "NA"; else printf "%.2f", x / s }')"
        log "idle $peer n=$IDLE_N: $(awk -v x="$da" -v s="$IDLE_WIN" 'BEGIN { printf "%.2f", x / s }') wake-ups/s, $sc system calls in ${IDLE_WIN} s"
        sup_teardown
        drop_work
    done
}

# ---- 4: crash loop ---------------------------------------------------------------
scen_crash() {
    local run peer lines res
    for ((run = 1; run <= RUNS; run++)); do
        for peer in $CRASH_PEERS; do
            PEER=$peer
            new_work "crash-$peer"
            peer_config "$peer" 1 crash
            lines=""
            [[ $peer == drover* ]] && lines="$WORK/lines"
            sup_start "$lines"
            if "$BIN/waitfile" "$WORK/stamps" 55 10000 >/dev/null; then
                sleep "$(awk -v a="$CRASH_SKIP_MS" -v b="$CRASH_WIN_MS" 'BEGIN { print (a + b) / 1000 + 0.3 }')"
            else
                warn "crash $peer: no spawn within 10 s"
            fi
            sup_teardown
            res=$("$PY" "$ANALYZE" crash "$WORK/stamps" "$CRASH_SKIP_MS" "$CRASH_WIN_MS" $lines)
            rec_kv crash "$peer" 1 "$run" "$res"
            log "crash $peer run $run: $res"
            drop_work
        done
    done
}

# ---- 5: one-shot tasks -------------------------------------------------------------
oneshot_config() {
    local runner=$1 sink
    SUP_IN=/dev/null SUP_EXE=/bin/true SUP_ENV=()
    case $runner in
    spawner) SUP_CMD=("$BIN/spawner" -j "$JOBS" -n "$TASKS" -- /bin/true) ;;
    spawner-cg) SUP_CMD=("$BIN/spawner-cg" -j "$JOBS" -n "$TASKS" -- /bin/true) ;;
    xargs) SUP_IN=$WROOT/tasks.txt SUP_CMD=(xargs -P "$JOBS" -n 1 /bin/true) ;;
    parallel) SUP_IN=$WROOT/tasks.txt SUP_CMD=(parallel --will-cite -j "$JOBS" /bin/true) ;;
    drover|drover-inherit|drover-nocg)
        sink=""
        [[ $runner == drover-inherit ]] && sink=$'stdout = inherit\nstderr = inherit\n'
        [[ $runner == drover-nocg ]] && SUP_ENV=(DROVER_NO_CGROUP=1)
        # numprocs stops at 10,000: more tasks are more jobs of the group
        local k jobs_list="" per ntask=$(( (TASKS + 9999) / 10000 ))
        per=$(( TASKS / ntask ))
        for ((k = 0; k < ntask; k++)); do jobs_list+="${jobs_list:+,}t$k"; done
        {
            printf '[drover]\nsocket = none\n\n[group:g]\njobs = %s\nmax_concurrent = %s\n' "$jobs_list" "$JOBS"
            for ((k = 0; k < ntask; k++)); do
                printf '\n[task:t%s]\ncommand = /bin/true\nnumprocs = %s\n%s' "$k" "$per" "$sink"
            done
        } >"$WORK/once.ini"
        SUP_CMD=("$DROVER" --once -c "$WORK/once.ini") ;;
    esac
}

scen_oneshot() {
    local run runner ms
    seq 1 "$TASKS" >"$WROOT/tasks.txt"
    for ((run = 0; run <= RUNS; run++)); do     # run 0: warm-up, not recorded
        for runner in $ONESHOT_RUNNERS; do
            PEER=$runner
            new_work "oneshot-$runner"
            oneshot_config "$runner"
            SUP_OUT=$WORK/out
            sup_start
            if sup_wait_exit 300; then
                ms=$(awk -v a="$END" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
                [[ $STATUS == exit:0 ]] || warn "oneshot $runner: $STATUS"
                if ((run > 0)); then
                    rec oneshot "$runner" "$TASKS" "$run" wall_ms "$ms"
                    rec oneshot "$runner" "$TASKS" "$run" tasks_per_s "$(awk -v n="$TASKS" -v m="$ms" 'BEGIN { printf "%.1f", n / m * 1000 }')"
                    log "oneshot $runner run $run: $TASKS tasks in $ms ms"
                fi
            else
                warn "oneshot $runner: did not finish within 300 s"
            fi
            sup_teardown
            SUP_OUT="" SUP_IN=""
            drop_work
        done
    done
}

# ---- 6: output throughput ----------------------------------------------------------
scen_output() {
    local run runner ms got
    for ((run = 0; run <= RUNS; run++)); do
        for runner in $OUTPUT_RUNNERS; do
            PEER=$runner
            new_work "output-$runner"
            SUP_ENV=() SUP_EXE=/usr/bin/seq SUP_OUT=$WORK/out
            case $runner in
            direct) SUP_CMD=(seq 1 "$LINES") ;;
            cat) SUP_CMD=(sh -c "seq 1 $LINES | cat") ;;
            drover-log|drover-file)
                {
                    printf '[drover]\nsocket = none\n\n[task:out]\ncommand = seq 1 %s\n' "$LINES"
                    if [[ $runner == drover-file ]]; then
                        printf 'stdout = file:%s/out\nstdout_logfile_maxbytes = 0\n' "$WORK"
                    fi
                } >"$WORK/out.ini"
                [[ $runner == drover-file ]] && SUP_OUT=$WORK/drover.log
                SUP_CMD=("$DROVER" --once -c "$WORK/out.ini") ;;
            esac
            sup_start
            if sup_wait_exit 300; then
                ms=$(awk -v a="$END" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
                if [[ $runner == drover-log ]]; then
                    got=$(grep -c '^out\[[0-9]*\]: ' "$WORK/out")
                else
                    got=$(wc -l <"$WORK/out")
                fi
                [[ $got == "$LINES" ]] || warn "output $runner: $got lines arrived, expected $LINES"
                if ((run > 0)); then
                    rec output "$runner" "$LINES" "$run" wall_ms "$ms"
                    rec output "$runner" "$LINES" "$run" lines_per_s "$(awk -v n="$LINES" -v m="$ms" 'BEGIN { printf "%.0f", n / m * 1000 }')"
                    rec output "$runner" "$LINES" "$run" bytes "$(stat -c %s "$WORK/out")"
                    log "output $runner run $run: $LINES lines in $ms ms"
                fi
            else
                warn "output $runner: did not finish within 300 s"
            fi
            sup_teardown
            SUP_OUT=""
            drop_work
        done
    done
}

# ---- 7: shutdown deadline with tasks in flight ----------------------------------------
scen_deadline() {
    local run stop cancel done_ms lines
    for ((run = 1; run <= RUNS; run++)); do
        PEER=drover
        new_work deadline
        printf '[drover]\nsocket = none\nshutdown_timeout = %s\n\n[task:t]\ncommand = %s %s/stamps\nnumprocs = %s\n' \
            "$DEADLINE" "$BIN/svc-idle" "$WORK" "$DEADLINE_N" >"$WORK/deadline.ini"
        SUP_CMD=("$DROVER" -c "$WORK/deadline.ini") SUP_ENV=() SUP_EXE=$BIN/svc-idle STOP_SIG=15
        lines=$WORK/lines
        sup_start "$lines"
        "$BIN/waitfile" "$WORK/stamps" $((DEADLINE_N * 24)) 120000 >/dev/null ||
            warn "deadline: not all $DEADLINE_N tasks started"
        sleep 0.5
        cg_pids "$CG" | "$BIN/pacct" -L -x "$SUP_EXE" >"$WORK/jobpids"
        stop=$(stop_timed "$WORK/jobpids")
        sup_wait_exit 5
        local t0s
        t0s=$(kv t0 "$stop")
        cancel=$("$PY" "$ANALYZE" line "$lines" "$t0s" "deadline reached")
        done_ms=$(sed -n 's/.*shutdown complete in \([0-9]*\)ms.*/\1/p' "$lines" | tail -n1)
        sup_teardown
        rec deadline drover "$DEADLINE_N" "$run" exit_ms "$(kv sup_ms "$stop")"
        rec deadline drover "$DEADLINE_N" "$run" all_gone_ms "$(kv all_ms "$stop")"
        rec deadline drover "$DEADLINE_N" "$run" jobs_gone_ms "$(kv jobs_ms "$stop")"
        rec deadline drover "$DEADLINE_N" "$run" cancel_ms "$cancel"
        rec deadline drover "$DEADLINE_N" "$run" shutdown_log_ms "${done_ms:-NA}"
        log "deadline run $run: cancel at $cancel ms, tasks gone $(kv jobs_ms "$stop") ms, drover exit $(kv sup_ms "$stop") ms after SIGTERM"
        drop_work
    done
}

# ---- 8: growth: per-task cost from 10^2 to 10^5 one-shot tasks -------------------------
# The same runners as one-shot (8 in flight, /bin/true), N tasks each: wall time
# per task.  Per-service start and stop costs come from the scale scenario's
# sizes.  N = 10^5 runs once (about 40 s a runner); smaller N every run.
scen_growth() {
    local n run runner runs ms saved_tasks=$TASKS
    for n in $GROWTH_TASKS; do
        TASKS=$n
        runs=$RUNS
        ((n > 10000)) && runs=1
        seq 1 "$n" >"$WROOT/tasks.txt"
        for ((run = 1; run <= runs; run++)); do
            for runner in $GROWTH_RUNNERS; do
                PEER=$runner
                new_work "growth-$runner"
                oneshot_config "$runner"
                SUP_OUT=$WORK/out
                sup_start
                if sup_wait_exit 600; then
                    ms=$(awk -v a="$END" -v b="$T0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
                    [[ $STATUS == exit:0 ]] || warn "growth $runner n=$n: $STATUS"
                    rec growth "$runner" "$n" "$run" wall_ms "$ms"
                    rec growth "$runner" "$n" "$run" us_per_task "$(awk -v n="$n" -v m="$ms" 'BEGIN { printf "%.1f", m * 1000 / n }')"
                    log "growth $runner run $run: $n tasks in $ms ms"
                else
                    warn "growth $runner n=$n: did not finish within 600 s"
                fi
                sup_teardown
                SUP_OUT="" SUP_IN=""
                drop_work
            done
        done
    done
    TASKS=$saved_tasks
}

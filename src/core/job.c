/*
 * job.c: the instance state machine (SPEC 4).
 *
 * States are supervisord's: STOPPED, QUEUED, STARTING, RUNNING, BACKOFF,
 * STOPPING, EXITED, FATAL.  instance_event() is the entry point (with
 * instance_timer_fired(), instance_run_flag() and instance_reaped() for
 * the loop's callbacks) and set_state() the only writer of ->state.  Everything outside the process
 * (spawning, signals, timers, the clock) goes through d->d_ops, so the unit
 * tests drive the machine with a fake clock and no processes.
 *
 * job.c calls no module above it.  What happened is published on the bus
 * (bus.h): every state change (BUS_STATE) and every recorded result
 * (BUS_RESULT).  The scheduler queues, dispatches and gives back slots on
 * those events, the conductor plans on them.  Every entry point holds the
 * bus, so they are delivered once the transition is complete, never in
 * the middle of it.  Outside writes to an instance are events too:
 * IE_EXTEND (EXTEND_TIMEOUT_USEC=), IE_KILL and IE_SHUTDOWN (the shutdown),
 * instance_reaped() (SIGCHLD).
 *
 * Invariants:
 * - want (desired) is kept apart from state (current): a stop during
 *   STARTING sets want = DOWN and the machine does the rest.
 * - A run exists (RUN_ACTIVE) from a successful spawn until IE_RUN_DONE,
 *   which comes only once the main process is reaped, both pipes are at EOF
 *   and the process tree is empty.  Each run ends with exactly one result.
 * - Each instance has one timer, armed at the earliest of t_state (the
 *   state's deadline: startsecs, start timeout, backoff, stop escalation,
 *   next interval run) and t_run (task timeout, leftover drain).
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "value.h"

const char *const jstate_names[JS__MAX] = {
	[JS_STOPPED] = "STOPPED", [JS_QUEUED] = "QUEUED",
	[JS_STARTING] = "STARTING", [JS_RUNNING] = "RUNNING",
	[JS_BACKOFF] = "BACKOFF", [JS_STOPPING] = "STOPPING",
	[JS_EXITED] = "EXITED", [JS_FATAL] = "FATAL",
};

const char *const result_names[RES__MAX] = {
	[RES_NONE] = "none", [RES_OK] = "ok", [RES_FAILED] = "failed",
	[RES_KILLED] = "killed", [RES_TIMEOUT] = "timeout",
	[RES_CANCELLED] = "cancelled", [RES_SPAWN_ERROR] = "spawn-error",
};

static const char *const ievent_names[IE__MAX] = {
	[IE_START] = "start", [IE_STOP] = "stop", [IE_DISPATCH] = "dispatch",
	[IE_READY] = "ready", [IE_TIMER] = "timer",
	[IE_MAIN_EXIT] = "main-exit", [IE_RUN_DONE] = "run-done",
	[IE_DEP_FAILED] = "dep-failed", [IE_RESTART] = "restart",
	[IE_EXTEND] = "extend", [IE_KILL] = "kill", [IE_SHUTDOWN] = "shutdown",
};

#define BIT(s)	(1u << (s))
/* Which states may follow which: a wrong transition is a bug, logged. */
static const unsigned allowed[JS__MAX] = {
	[JS_STOPPED] = BIT(JS_QUEUED) | BIT(JS_STOPPED),
	[JS_QUEUED] = BIT(JS_STARTING) | BIT(JS_RUNNING) | BIT(JS_STOPPED) |
	    BIT(JS_EXITED) | BIT(JS_BACKOFF) | BIT(JS_FATAL),
	[JS_STARTING] = BIT(JS_RUNNING) | BIT(JS_STOPPING) | BIT(JS_BACKOFF) |
	    BIT(JS_FATAL) | BIT(JS_EXITED) | BIT(JS_QUEUED) | BIT(JS_STOPPED),
	[JS_RUNNING] = BIT(JS_STOPPING) | BIT(JS_BACKOFF) | BIT(JS_EXITED) |
	    BIT(JS_QUEUED) | BIT(JS_FATAL) | BIT(JS_STOPPED),
	[JS_BACKOFF] = BIT(JS_QUEUED) | BIT(JS_STOPPED) | BIT(JS_FATAL),
	[JS_STOPPING] = BIT(JS_STOPPED) | BIT(JS_EXITED) | BIT(JS_QUEUED) |
	    BIT(JS_BACKOFF) | BIT(JS_FATAL),
	[JS_EXITED] = BIT(JS_QUEUED) | BIT(JS_EXITED) | BIT(JS_STOPPED),
	[JS_FATAL] = BIT(JS_QUEUED) | BIT(JS_STOPPED),
};

static void	task_done(struct instance *, enum result);
static void	start_failed(struct instance *);

static int64_t
now(const struct instance *in)
{
	return in->d->d_ops->now();
}

static bool
is_task(const struct instance *in)
{
	return in->job->cfg->kind != JOB_SERVICE;
}

static bool
shutting_down(const struct instance *in)
{
	return in->d->d_sd_phase != SD_NONE;
}

static void
publish_state(struct instance *in, enum jstate from)
{
	struct bus_event	ev = { .type = BUS_STATE, .in = in,
				    .job = in->job };

	ev.st.from = from;
	ev.st.to = in->state;
	ev.st.result = in->last.result;
	ev.st.pid = instance_active(in) ? in->pid : 0;
	ev.st.tries = is_task(in) ? in->task_fails : in->start_fails;
	bus_publish(in->d->d_bus, &ev);
}

static void
set_state(struct instance *in, enum jstate to)
{
	enum jstate	from = in->state;

	if (from != to && !(allowed[from] & BIT(to)))
		log_error("%s: bad transition %s -> %s", in->name,
		    jstate_names[from], jstate_names[to]);
	in->state = to;
	in->state_since = now(in);
	if (from != to && log_debug_enabled())
		log_info("%s: %s -> %s", in->name, jstate_names[from],
		    jstate_names[to]);
	in->d->d_ops->arm(in);
	publish_state(in, from);
}

static void
set_deadline(struct instance *in, int64_t at)
{
	in->t_state = at;
	in->d->d_ops->arm(in);
}

/*
 * Exponential backoff: backoff * 2^(n-1), capped at backoff_max, with
 * +-10% jitter so that a crowd of crashing jobs does not restart in step.
 */
int64_t
backoff_delay(const struct job_config *c, int n, uint32_t rnd)
{
	int64_t	d = c->backoff;
	int64_t	jitter;

	if (n <= 0)
		return 0;
	while (--n > 0 && d < c->backoff_max)
		d *= 2;
	if (d > c->backoff_max)
		d = c->backoff_max;
	jitter = d / 10;
	if (jitter > 0)
		d += (int64_t)(rnd % (uint32_t)(2 * jitter + 1)) - jitter;
	return d < 0 ? 0 : d;
}

bool
instance_active(const struct instance *in)
{
	return (in->rflags & RUN_ACTIVE) != 0;
}

/* Nothing running, nothing queued, no timer that will start it again. */
bool
instance_settled(const struct instance *in)
{
	switch (in->state) {
	case JS_STOPPED:
	case JS_FATAL:
		return true;
	case JS_EXITED:
		return in->t_state == 0 && !in->pending;
	default:
		return false;
	}
}

/* Neither running nor about to run. */
bool
instance_quiet(const struct instance *in)
{
	return !instance_active(in) && in->state != JS_QUEUED;
}

/* Does this instance satisfy a dependant's `after`? */
bool
instance_is_ready(const struct instance *in)
{
	if (!is_task(in))
		return in->state == JS_RUNNING;
	return in->last.result == RES_OK && !instance_active(in);
}

bool
instance_failed_for_good(const struct instance *in)
{
	if (in->state == JS_FATAL)
		return true;
	return is_task(in) && in->state == JS_EXITED &&
	    in->last.result != RES_OK && in->last.result != RES_NONE;
}

/* Record the result of the run that just ended. */
static void
record_result(struct instance *in, enum result res, const char *note)
{
	struct result_rec	*r = &in->last;
	struct bus_event	 ev = { .type = BUS_RESULT, .in = in,
				    .job = in->job };

	memset(r, 0, sizeof(*r));
	r->result = res;
	r->pid = instance_active(in) ? in->pid : 0;	/* no stale pid */
	r->code = -1;
	if (instance_active(in)) {
		r->start = in->run_start_wall;
		r->duration = (in->main_exit ? in->main_exit : now(in)) -
		    in->run_start;
		r->end = r->start + r->duration;
		if (in->rflags & RUN_REAPED) {
			if (WIFEXITED(in->wstatus))
				r->code = WEXITSTATUS(in->wstatus);
			else if (WIFSIGNALED(in->wstatus))
				r->signal = WTERMSIG(in->wstatus);
		}
	} else {
		r->start = r->end = in->d->d_ops->wallclock();
	}
	if (note != NULL)
		snprintf(r->note, sizeof(r->note), "%s", note);
	ev.res = *r;
	bus_publish(in->d->d_bus, &ev);
}

/* The result of a run that ended without drover stopping it. */
static enum result
exit_result(const struct instance *in)
{
	if (!(in->rflags & RUN_REAPED))
		return RES_KILLED;
	if (WIFEXITED(in->wstatus))
		return job_exitcode_expected(in->job->cfg,
		    WEXITSTATUS(in->wstatus)) ? RES_OK : RES_FAILED;
	return RES_KILLED;
}

static void
log_result(struct instance *in, int pri)
{
	const struct result_rec	*r = &in->last;
	char			 how[64] = "";

	if (r->pid == 0) {
		log_msg(pri, "%s: %s (no process)%s%s", in->name,
		    result_names[r->result], r->note[0] ? ": " : "", r->note);
		return;
	}
	if (r->signal)
		snprintf(how, sizeof(how), ", signal %d", r->signal);
	else if (r->code >= 0)
		snprintf(how, sizeof(how), ", exit %d", r->code);
	log_msg(pri, "%s: %s (pid %ld%s, %lld.%03llds)%s%s", in->name,
	    result_names[r->result], (long)r->pid, how,
	    (long long)(r->duration / 1000), (long long)(r->duration % 1000),
	    r->note[0] ? ": " : "", r->note);
}

/* Try to spawn; on failure the run counts as a failed start. */
static void
dispatch(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;
	char			 err[256];

	if (in->d->d_ops->spawn(in, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", in->name, err);
		record_result(in, RES_SPAWN_ERROR, err);
		log_result(in, LOG_WARNING);
		if (is_task(in) && c->ready == READY_STARTED)
			task_done(in, RES_SPAWN_ERROR);
		else
			start_failed(in);
		return;
	}
	in->ever_started = true;
	if (shutting_down(in))
		in->shutdown_seen = true;
	if (c->ready == READY_STARTED) {
		in->ready_at = now(in);
		in->t_state = 0;
		set_state(in, JS_RUNNING);
	} else {
		in->t_state = now(in) + (c->ready == READY_NOTIFY ?
		    c->start_timeout : c->startsecs);
		set_state(in, JS_STARTING);
	}
	if (c->timeout > 0)
		in->t_run = now(in) + c->timeout;
	in->d->d_ops->arm(in);
}

/* Ask the run to stop: stopsignal (+SIGCONT), escalate after stopwaitsecs. */
static void
stop_begin(struct instance *in, enum result res)
{
	const struct job_config	*c = in->job->cfg;
	bool			 tree = c->killmode == KM_GROUP;

	in->stop_result = res;
	in->t_run = 0;
	if (in->rflags & RUN_REAPED) {
		/* only leftovers remain: kill them, as mixed would */
		if (c->killmode != KM_PROCESS) {
			in->d->d_ops->kill(in, SIGKILL, true);
			in->rflags |= RUN_KILLED;
		}
		in->stop_phase = STOP_KILLED;
		in->t_state = now(in) + KILL_GRACE_MS;
	} else {
		in->d->d_ops->kill(in, c->stopsignal, tree);
		in->d->d_ops->kill(in, SIGCONT, tree);
		in->stop_phase = STOP_SIGNALLED;
		in->t_state = now(in) + c->stopwaitsecs;
	}
	set_state(in, JS_STOPPING);
}

/* stopwaitsecs (or the kill grace) ran out while STOPPING. */
static void
stop_escalate(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;

	if (in->stop_phase == STOP_SIGNALLED) {
		log_warnx("%s: still running %lldms after %s, sending SIGKILL",
		    in->name, (long long)c->stopwaitsecs,
		    value_signal_name(c->stopsignal));
		in->d->d_ops->kill(in, SIGKILL, c->killmode != KM_PROCESS);
		in->rflags |= RUN_KILLED;
		in->d->d_sd_killed_any |= shutting_down(in);
		in->stop_phase = STOP_KILLED;
		set_deadline(in, now(in) + KILL_GRACE_MS);
		return;
	}
	log_error("%s: processes left %ds after SIGKILL; no longer waiting",
	    in->name, KILL_GRACE_MS / 1000);
	in->t_state = 0;
	in->rflags |= RUN_FORCED;
	instance_run_flag(in, RUN_DONE);
}

/*
 * The main process exited but the run is not over: leftovers hold the
 * pipes or the tree.  mixed: SIGKILL them now (systemd's KillMode=mixed);
 * group: the stop signal, SIGKILL after stopwaitsecs; process: wait
 * stopwaitsecs for the pipes, then close them.
 */
static void
main_exited(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;

	if ((in->rflags & RUN_DONE) == RUN_DONE)
		return;
	if (in->rflags & RUN_TREE_ASKED)
		return;		/* instance_tree_known() comes back here */
	if (in->state == JS_STOPPING) {
		if (c->killmode == KM_MIXED && in->stop_phase ==
		    STOP_SIGNALLED && !(in->rflags & RUN_TREE_GONE)) {
			in->d->d_ops->kill(in, SIGKILL, true);
			in->rflags |= RUN_KILLED;
		}
		return;
	}
	if (!(in->rflags & RUN_TREE_GONE)) {
		if (c->killmode == KM_MIXED) {
			log_info("%s: main process exited, killing what is "
			    "left of its tree", in->name);
			in->d->d_ops->kill(in, SIGKILL, true);
		} else if (c->killmode == KM_GROUP) {
			in->d->d_ops->kill(in, c->stopsignal, true);
			in->d->d_ops->kill(in, SIGCONT, true);
		} else {
			log_warnx("%s: main process exited, leaving processes "
			    "behind (killmode=process)", in->name);
			in->rflags |= RUN_TREE_GONE;
		}
	}
	in->t_run = now(in) + c->stopwaitsecs;
	in->d->d_ops->arm(in);
}

/* t_run expired: a task timeout, or leftovers outlived the drain. */
static void
run_timer(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;

	in->t_run = 0;
	if (!(in->rflags & RUN_REAPED)) {
		log_warnx("%s: timeout after %lldms, stopping", in->name,
		    (long long)c->timeout);
		stop_begin(in, RES_TIMEOUT);
		return;
	}
	if (in->d->d_out_paused && (in->rflags & RUN_TREE_GONE)) {
		/* nobody holds the pipe: drover paused reading it */
		in->t_run = now(in) + c->stopwaitsecs;
		in->d->d_ops->arm(in);
		return;
	}
	if (!(in->rflags & RUN_KILLED) && c->killmode != KM_PROCESS &&
	    !(in->rflags & RUN_TREE_GONE)) {
		in->d->d_ops->kill(in, SIGKILL, true);
		in->rflags |= RUN_KILLED;
		in->t_run = now(in) + KILL_GRACE_MS;
		in->d->d_ops->arm(in);
		return;
	}
	log_warnx("%s: output pipe or processes still held %lldms after "
	    "the main process exited; closing", in->name,
	    (long long)c->stopwaitsecs);
	in->rflags |= RUN_FORCED;
	instance_run_flag(in, RUN_DONE);
}

void
instance_timer_fired(struct instance *in)
{
	struct bus	*b = in->d->d_bus;
	int64_t		 t = now(in);

	bus_hold(b);
	if (in->t_run != 0 && in->t_run <= t)
		run_timer(in);
	else if (in->t_state != 0 && in->t_state <= t)
		instance_event(in, IE_TIMER, 0);
	else
		in->d->d_ops->arm(in);
	bus_release(b);
}

/* Set a run flag; post IE_RUN_DONE when the run is complete. */
void
instance_run_flag(struct instance *in, int flag)
{
	struct bus	*b = in->d->d_bus;

	if (!instance_active(in) || (in->rflags & RUN_FINISHING))
		return;
	bus_hold(b);
	in->rflags |= flag;
	if ((in->rflags & RUN_DONE) == RUN_DONE) {
		/* once: closing the pipes below may report EOF again */
		in->rflags |= RUN_FINISHING;
		instance_event(in, IE_RUN_DONE, 0);
	}
	bus_release(b);
}

/*
 * SIGCHLD: the main process was reaped with this wait status.  True if its
 * tree is still there (reap.c looks again later).
 */
bool
instance_reaped(struct instance *in, int status)
{
	struct bus	*b = in->d->d_bus;
	bool		 left;

	bus_hold(b);
	in->rflags |= RUN_REAPED;
	switch (in->d->d_ops->tree_empty(in)) {
	case 1:
		in->rflags |= RUN_TREE_GONE;
		break;
	case -1:
		in->rflags |= RUN_TREE_ASKED;
		break;
	}
	left = !(in->rflags & RUN_TREE_GONE);
	instance_event(in, IE_MAIN_EXIT, status);
	instance_run_flag(in, 0);
	bus_release(b);
	return left;
}

/*
 * The answer tree_empty() promised: the tree is gone, or leftovers live,
 * which main_exited() deals with now as it would have at the exit.
 */
void
instance_tree_known(struct instance *in, bool gone)
{
	struct bus	*b = in->d->d_bus;

	if (!instance_active(in) || !(in->rflags & RUN_TREE_ASKED))
		return;
	bus_hold(b);
	in->rflags &= ~RUN_TREE_ASKED;
	if (gone)
		in->rflags |= RUN_TREE_GONE;
	main_exited(in);
	instance_run_flag(in, 0);
	bus_release(b);
}

/* A task run is over: success, retry, or give up. */
static void
task_done(struct instance *in, enum result res)
{
	const struct job_config	*c = in->job->cfg;

	if (res == RES_OK)
		in->task_fails = 0;
	else
		in->task_fails++;
	if (res != RES_OK && res != RES_CANCELLED && c->kind == JOB_TASK &&
	    in->task_fails <= c->retries && !shutting_down(in) &&
	    in->want == WANT_UP) {
		log_info("%s: retry %d of %d", in->name, in->task_fails,
		    c->retries);
		in->restarts++;
		set_state(in, JS_BACKOFF);
		set_deadline(in, now(in) + backoff_delay(c, in->task_fails,
		    in->d->d_ops->random()));
		return;
	}
	in->task_fails = 0;
	if (in->pending && !shutting_down(in) && in->want == WANT_UP) {
		in->pending = false;
		set_state(in, JS_QUEUED);
		return;
	}
	in->pending = false;
	set_state(in, JS_EXITED);
	if (c->interval > 0 && !shutting_down(in) && !in->d->d_once &&
	    in->want == WANT_UP)
		set_deadline(in, now(in) + c->interval);
}

/* A service run is over while it was RUNNING: restart per policy. */
static void
service_done(struct instance *in, enum result res)
{
	const struct job_config	*c = in->job->cfg;
	bool			 restart;
	int64_t			 up = now(in) - in->ready_at;

	switch (c->autorestart) {
	case AR_TRUE:
		restart = true;
		break;
	case AR_UNEXPECTED:
		restart = res != RES_OK;
		break;
	default:
		restart = false;
	}
	if (!restart || shutting_down(in) || in->want != WANT_UP) {
		set_state(in, JS_EXITED);
		return;
	}
	if (up >= c->backoff_max)
		in->backoff_n = 0;
	in->restarts++;
	if (in->backoff_n++ == 0) {
		set_state(in, JS_QUEUED);
		return;
	}
	set_state(in, JS_BACKOFF);
	set_deadline(in, now(in) + backoff_delay(c, in->backoff_n - 1,
	    in->d->d_ops->random()));
}

/* A start failed (exit or timeout while STARTING): BACKOFF or FATAL. */
static void
start_failed(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;

	in->start_fails++;
	if (shutting_down(in) || in->want != WANT_UP) {
		set_state(in, is_task(in) ? JS_EXITED : JS_STOPPED);
		return;
	}
	if (c->startretries >= 0 && in->start_fails > c->startretries) {
		log_warnx("%s: gave up after %d failed starts", in->name,
		    in->start_fails);
		set_state(in, JS_FATAL);
		return;
	}
	set_state(in, JS_BACKOFF);
	set_deadline(in, now(in) + backoff_delay(c, in->start_fails,
	    in->d->d_ops->random()));
}

/* IE_RUN_DONE: record the one result of this run and move on. */
static void
run_finish(struct instance *in)
{
	enum jstate	 was = in->state;
	enum result	 res;
	int		 pri = LOG_INFO;

	if (was == JS_STOPPING) {
		res = in->stop_result;
		if (res == RES_NONE)
			res = RES_CANCELLED;
	} else
		res = exit_result(in);
	if (was == JS_STARTING && res == RES_OK)
		res = RES_FAILED;	/* exited before it was ready */
	record_result(in, res, in->late_note != NULL ? in->late_note :
	    (in->rflags & RUN_FORCED) ?
	    ((in->rflags & RUN_KILLED) ? "processes outlived the kill" :
	    "output held open after the main process exited") :
	    was == JS_STARTING ? "exited before it was ready" : NULL);
	free(in->late_note);
	in->late_note = NULL;
	if ((in->rflags & RUN_KILLED) && shutting_down(in))
		in->d->d_sd_killed_any = true;
	if (res != RES_OK && res != RES_CANCELLED)
		pri = LOG_WARNING;
	if (in->rflags & RUN_KILLED)
		pri = LOG_WARNING;
	log_result(in, pri);
	in->d->d_ops->release(in);
	in->rflags = 0;
	in->main_exit = 0;
	in->t_run = 0;
	in->t_state = 0;
	in->stop_phase = STOP_NONE;
	in->stop_result = RES_NONE;

	switch (was) {
	case JS_STARTING:
		start_failed(in);
		break;
	case JS_STOPPING:
		if (in->start_timed_out) {
			in->start_timed_out = false;
			start_failed(in);
		} else if (is_task(in) && res == RES_TIMEOUT)
			task_done(in, res);
		else if (in->want == WANT_UP && !shutting_down(in)) {
			in->restarts++;
			set_state(in, JS_QUEUED);
		} else
			set_state(in, is_task(in) ? JS_EXITED : JS_STOPPED);
		break;
	case JS_RUNNING:
		in->start_fails = 0;
		if (is_task(in))
			task_done(in, res);
		else
			service_done(in, res);
		break;
	default:
		log_error("%s: run ended in state %s", in->name,
		    jstate_names[was]);
		set_state(in, JS_STOPPED);
	}
}

static void
bad_event(struct instance *in, enum ievent ev)
{
	log_debug("%s: event %s ignored in %s", in->name, ievent_names[ev],
	    jstate_names[in->state]);
}

/* A stop request while no process runs. */
static void
stop_idle(struct instance *in)
{
	in->want = WANT_DOWN;
	in->pending = false;
	in->t_state = 0;
	switch (in->state) {
	case JS_QUEUED:
		record_result(in, RES_CANCELLED, "never started");
		log_info("%s: cancelled before it started", in->name);
		set_state(in, is_task(in) ? JS_EXITED : JS_STOPPED);
		break;
	case JS_BACKOFF:
		set_state(in, JS_STOPPED);
		break;
	case JS_EXITED:
		in->d->d_ops->arm(in);	/* drops an interval timer */
		break;
	default:
		break;
	}
}

/* The shutdown's last resort: SIGKILL now, one grace, then stop waiting. */
static void
kill_now(struct instance *in)
{
	if (in->state == JS_QUEUED)
		instance_event(in, IE_STOP, 0);
	if (!instance_active(in))
		return;
	in->d->d_ops->kill(in, SIGKILL, true);
	in->d->d_ops->kill(in, SIGKILL, false);
	in->rflags |= RUN_KILLED;
	if (in->state != JS_STOPPING)
		instance_event(in, IE_STOP, RES_CANCELLED);
	in->stop_phase = STOP_KILLED;
	set_deadline(in, now(in) + KILL_GRACE_MS);
}

/* Events that do not depend on the state, or not only; false for others. */
static bool
event_any_state(struct instance *in, enum ievent ev, int arg)
{
	switch (ev) {
	case IE_START:
		in->want = WANT_UP;
		switch (in->state) {
		case JS_STOPPED:
		case JS_EXITED:
		case JS_FATAL:
			in->start_fails = in->task_fails = 0;
			in->backoff_n = 0;
			in->t_state = 0;
			set_state(in, JS_QUEUED);
			break;
		case JS_BACKOFF:
			in->t_state = 0;
			set_state(in, JS_QUEUED);
			break;
		case JS_STARTING:
		case JS_RUNNING:
		case JS_STOPPING:
			if (is_task(in))
				in->pending = true;
			break;
		default:
			break;
		}
		return true;
	case IE_RESTART:
		if (instance_active(in) && in->state != JS_STOPPING) {
			in->want = WANT_UP;
			stop_begin(in, RES_CANCELLED);
		} else if (in->state == JS_STOPPING)
			in->want = WANT_UP;
		else
			instance_event(in, IE_START, 0);
		return true;
	case IE_STOP:
		if (!instance_active(in)) {
			stop_idle(in);
			return true;
		}
		in->want = WANT_DOWN;
		in->pending = false;
		if (in->state != JS_STOPPING)
			stop_begin(in, arg ? (enum result)arg : RES_CANCELLED);
		return true;
	case IE_MAIN_EXIT:
		in->wstatus = arg;
		in->main_exit = now(in);
		main_exited(in);
		return true;
	case IE_RUN_DONE:
		run_finish(in);
		return true;
	case IE_EXTEND:		/* EXTEND_TIMEOUT_USEC=: arg more ms to start */
		if (in->state == JS_STARTING && now(in) + arg > in->t_state)
			set_deadline(in, now(in) + arg);
		return true;
	case IE_KILL:
		kill_now(in);
		return true;
	case IE_SHUTDOWN:	/* no new work: down, nothing pending */
		in->want = WANT_DOWN;
		in->pending = false;
		if (!instance_active(in))
			stop_idle(in);
		return true;
	default:
		return false;
	}
}

/*
 * The one entry point of the machine.  The bus is held: what the
 * transition publishes is delivered once it is complete.
 */
void
instance_event(struct instance *in, enum ievent ev, int arg)
{
	const struct job_config	*c = in->job->cfg;
	struct bus		*b = in->d->d_bus;

	bus_hold(b);
	if (event_any_state(in, ev, arg)) {
		bus_release(b);
		return;
	}
	switch (in->state) {
	case JS_QUEUED:
		if (ev == IE_DISPATCH)
			dispatch(in);
		else if (ev == IE_DEP_FAILED) {
			/* the scheduler took it out of its queue */
			record_result(in, RES_CANCELLED, in->dep_note);
			log_warnx("%s: not started: %s", in->name, in->dep_note);
			set_state(in, is_task(in) ? JS_EXITED : JS_STOPPED);
		} else
			bad_event(in, ev);
		break;
	case JS_STARTING:
		if (ev == IE_READY || (ev == IE_TIMER &&
		    c->ready == READY_STARTSECS)) {
			in->t_state = 0;
			in->ready_at = now(in);
			set_state(in, JS_RUNNING);
		} else if (ev == IE_TIMER) {
			log_warnx("%s: not ready after %lldms", in->name,
			    (long long)c->start_timeout);
			in->start_timed_out = true;
			stop_begin(in, RES_TIMEOUT);
		} else
			bad_event(in, ev);
		break;
	case JS_BACKOFF:
		if (ev == IE_TIMER) {
			in->t_state = 0;
			set_state(in, JS_QUEUED);
		} else
			bad_event(in, ev);
		break;
	case JS_STOPPING:
		if (ev == IE_TIMER)
			stop_escalate(in);
		else
			bad_event(in, ev);
		break;
	case JS_EXITED:
		if (ev == IE_TIMER) {	/* the next interval run is due */
			in->t_state = 0;
			set_state(in, JS_QUEUED);
		} else
			bad_event(in, ev);
		break;
	default:
		bad_event(in, ev);
	}
	bus_release(b);
}

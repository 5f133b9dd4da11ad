/*
 * shutdown.c: the graceful shutdown (SPEC 7), a daemon state with an
 * absolute deadline, never a blocking loop.
 *
 * shutdown_begin() takes the first steps at once: STOPPING=1, no new work
 * (queued runs cancelled, retry and interval timers dropped, nothing
 * restarted).  From then on shutdown_step() runs after every state change
 * and decides what to signal next:
 * - a cleanup job starts once the jobs in its `after` have stopped;
 * - a service is stopped once every job that waits on it has stopped,
 *   every cleanup that must run before it has finished and no service of
 *   a higher stop tier (priority) is left;
 * - tasks in flight drain until the deadline (shutdown_timeout);
 * - at the deadline (or a second TERM) every unshielded run is cancelled.
 * A hard cap at the announced worst case SIGKILLs whatever is left (a
 * third TERM does the same at once), so nothing can wait forever.  When no
 * run is left, the report is logged and the loop exits.
 *
 * The planner asks job.c to act by events only (IE_SHUTDOWN, IE_STOP,
 * IE_START, IE_KILL), closes the scheduler's gate (sched_gate()) as the
 * phases go by, and publishes each phase on the bus (DP_STOPPING ...
 * DP_STOPPED).  The conductor calls shutdown_step() after changes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "value.h"

static int64_t
now(struct drover *d)
{
	return d->d_ops->now();
}

static bool
shielded(const struct instance *in)
{
	return in->job->cfg->kind == JOB_CLEANUP || in->job->cfg->shield;
}

/*
 * Stop tiers (SPEC 2.2: the stop order is the reverse of priority).
 * Before the deadline a service gets its stop signal only once no service
 * of a higher tier is left; inside a tier, and wherever after/before
 * order two jobs, the edges alone decide.  A service's tier is its
 * priority, lowered to the tier of whatever must stop before it (its
 * dependants, the cleanups that run before it, and what those wait for):
 * an edge that runs against priority wins, and only ever delays a stop,
 * never brings one forward.  So every wait is for a job of the same or a
 * higher tier, and tiers and edges cannot wait on each other in a circle.
 * Tasks drain instead of being stopped and have no tier of their own;
 * cleanups pass on the tiers of what they wait for.
 */
#define TIER_NONE	INT64_MAX	/* nothing to wait for */
#define TIER_EMPTY	INT64_MIN	/* no service left */

static int64_t	tier_of(struct job *);

static int64_t
tier_min(int64_t t, struct job **v, int n)
{
	int64_t	u;
	int	k;

	for (k = 0; k < n; k++)
		if ((u = tier_of(v[k])) < t)
			t = u;
	return t;
}

static int64_t
tier_of(struct job *j)
{
	int64_t	t = TIER_NONE;

	if (j->sd_tier_mark == 2)
		return j->sd_tier;
	if (j->sd_tier_mark == 1)
		return TIER_NONE;	/* a cycle: the config check refuses it */
	j->sd_tier_mark = 1;
	switch (j->cfg->kind) {
	case JOB_SERVICE:
		t = tier_min(j->cfg->priority, j->rdeps, j->nrdeps);
		t = tier_min(t, j->cleanups_before, j->ncleanups_before);
		break;
	case JOB_CLEANUP:
		t = tier_min(t, j->waitstop, j->nwaitstop);
		break;
	case JOB_TASK:
		break;
	}
	j->sd_tier = t;
	j->sd_tier_mark = 2;
	return t;
}

/* The highest tier that still has a service up (retired ones aside). */
static int64_t
tier_top(struct drover *d)
{
	struct job	*j;
	int64_t		 top = TIER_EMPTY;
	int		 i;

	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->cfg->kind == JOB_SERVICE && !j->removed &&
		    !job_quiet(j) && tier_of(j) > top)
			top = j->sd_tier;
	}
	return top;
}

/* Fresh tiers for this shutdown; are services up in more than one? */
static void
tier_init(struct drover *d)
{
	struct job	*j;
	int64_t		 low = TIER_NONE;
	int		 i;

	for (i = 0; i < d->d_njobs; i++)
		d->d_jobs[i]->sd_tier_mark = 0;
	d->d_sd_tier = tier_top(d);
	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->cfg->kind == JOB_SERVICE && !j->removed &&
		    !job_quiet(j) && j->sd_tier < low)
			low = j->sd_tier;
	}
	d->d_sd_tiered = d->d_sd_tier != TIER_EMPTY && low < d->d_sd_tier;
	if (d->d_sd_tiered)
		log_info("shutdown: stopping priority tier %lld",
		    (long long)d->d_sd_tier);
}

/* Does a service still wait for a higher tier?  (droverctl status) */
bool
shutdown_tier_wait(struct instance *in, int64_t *tier)
{
	struct drover	*d = in->d;

	if (d->d_sd_phase != SD_DRAIN || in->job->cfg->kind != JOB_SERVICE ||
	    in->job->removed || tier_of(in->job) >= d->d_sd_tier)
		return false;
	*tier = d->d_sd_tier;
	return true;
}

/*
 * The worst case: the drain deadline (or the longest shielded run), then
 * the longest chain of stops with their escalations, then the cleanups
 * that may stand in the chain.  The hard cap enforces it.
 */
int64_t
shutdown_worst_case(struct drover *d)
{
	const struct job_config	*c;
	int64_t			 base = d->d_conf->shutdown_timeout;
	int64_t			 maxstop = 0, chain = 0, cleanups = 0, t;
	int			 i;

	for (i = 0; i < d->d_njobs; i++) {
		c = d->d_jobs[i]->cfg;
		t = c->stopwaitsecs + KILL_GRACE_MS;
		if (t > maxstop)
			maxstop = t;
		if (c->kind == JOB_SERVICE)
			chain += t;
		if (c->kind == JOB_CLEANUP)
			cleanups += c->timeout + t;
		if (c->shield && c->timeout > base)
			base = c->timeout;
	}
	return base + maxstop + chain + cleanups + KILL_GRACE_MS;
}

static void
deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover	*d = arg;

	if (d->d_sd_phase == SD_DRAIN) {
		log_notice("shutdown: deadline reached, cancelling what is "
		    "left");
		d->d_sd_phase = SD_CANCEL;
		bus_set_phase(d->d_bus, DP_CANCELLING);
	}
	shutdown_step(d);
}

static void
kill_everything(struct drover *d)
{
	struct instance	*in;
	int		 i, j;

	d->d_sd_phase = SD_KILL;
	sched_gate(d, GATE_CLOSED);
	bus_set_phase(d->d_bus, DP_KILLING);
	bus_hold(d->d_bus);
	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if (instance_active(in))
				d->d_sd_killed_any = true;
			/* SIGKILL, one grace period, then stop waiting */
			instance_event(in, IE_KILL, 0);
		}
	}
	bus_release(d->d_bus);
}

static void
hardcap_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover	*d = arg;

	log_error("shutdown: worst case reached, killing everything");
	kill_everything(d);
	shutdown_step(d);
}

static void
arm_timer(struct drover *d, struct event **ev, int64_t at,
    event_callback_fn cb)
{
	struct timeval	tv;
	int64_t		ms = at - now(d);

	if (d->d_base == NULL)
		return;
	if (*ev == NULL)
		*ev = evtimer_new(d->d_base, cb, d);
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(*ev, &tv);
}

/* Steps 1 and 2: announce, and take no new work. */
void
shutdown_begin(struct drover *d, const char *why)
{
	struct instance	*in;
	int		 i, j, tasks = 0, services = 0;
	int64_t		 worst;
	char		 b1[32], b2[32];

	if (d->d_sd_phase != SD_NONE)
		return;
	d->d_sd_phase = SD_DRAIN;
	sched_gate(d, GATE_CLEANUPS);
	bus_set_phase(d->d_bus, DP_STOPPING);
	d->d_sd_start = now(d);
	d->d_sd_deadline = d->d_sd_start + d->d_conf->shutdown_timeout;
	worst = shutdown_worst_case(d);
	/* past the cap, one kill grace remains for the trees to vanish */
	d->d_sd_hardcap = d->d_sd_start + worst - KILL_GRACE_MS;
	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if (!instance_active(in))
				continue;
			in->shutdown_seen = true;
			if (in->job->cfg->kind == JOB_SERVICE)
				services++;
			else
				tasks++;
		}
	}
	value_duration_fmt(d->d_conf->shutdown_timeout, b1, sizeof(b1));
	value_duration_fmt(worst, b2, sizeof(b2));
	log_notice("shutdown (%s): %d tasks in flight, %d services, deadline "
	    "%s, worst case %s", why, tasks, services, b1, b2);
	notify_stopping(d, worst);
	arm_timer(d, &d->d_sd_timer, d->d_sd_deadline, deadline_cb);
	arm_timer(d, &d->d_sd_hardtimer, d->d_sd_hardcap, hardcap_cb);

	bus_hold(d->d_bus);
	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if (in->job->cfg->kind != JOB_CLEANUP)
				instance_event(in, IE_SHUTDOWN, 0);
		}
	}
	tier_init(d);
	bus_release(d->d_bus);
	shutdown_step(d);
}

/* TERM/INT/QUIT: the first starts the shutdown, the second cancels, the third
 * kills.  sig 0 (--fail-fast) goes straight to cancelling. */
void
shutdown_signal(struct drover *d, int sig)
{
	if (sig != 0)
		d->d_sd_signals++;
	if (d->d_sd_phase == SD_NONE) {
		shutdown_begin(d, sig == SIGINT ? "SIGINT" : sig == SIGQUIT ?
		    "SIGQUIT" : "SIGTERM");
		return;
	}
	if (d->d_sd_phase == SD_DRAIN) {
		log_notice("shutdown: %s, cancelling now", sig == 0 ?
		    "fail-fast" : "second signal");
		d->d_sd_phase = SD_CANCEL;
		bus_set_phase(d->d_bus, DP_CANCELLING);
	} else if (d->d_sd_phase == SD_CANCEL && d->d_sd_signals >= 3) {
		log_warnx("shutdown: third signal, killing everything");
		kill_everything(d);
	}
	shutdown_step(d);
}

static void
report(struct drover *d)
{
	struct instance	*in;
	char		 line[512];
	int		 i, j;

	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if (d->d_once && in->job->cfg->kind == JOB_TASK &&
			    in->last.result != RES_NONE) {
				snprintf(line, sizeof(line), "%s %s %lld.%03llds",
				    in->name, result_names[in->last.result],
				    (long long)in->last.duration / 1000,
				    (long long)in->last.duration % 1000);
				log_notice("summary: %s", line);
				if (in->last.result != RES_OK)
					d->d_exitcode = 1;
			} else if (in->shutdown_seen)
				log_notice("report: %s %s%s%s", in->name,
				    result_names[in->last.result],
				    in->last.note[0] ? ": " : "",
				    in->last.note);
		}
	}
	if (d->d_sd_killed_any)
		log_warnx("shutdown: some jobs had to be killed with SIGKILL");
	if (d->d_critical_failed)
		d->d_exitcode = 1;
	log_notice("shutdown complete in %lldms, exit %d",
	    (long long)(now(d) - d->d_sd_start), d->d_exitcode);
}

/* A tier has stopped: the next one may go. */
static void
tier_advance(struct drover *d)
{
	int64_t	top = tier_top(d);

	if (top == d->d_sd_tier)
		return;
	d->d_sd_tier = top;
	if (d->d_sd_tiered && top != TIER_EMPTY && d->d_sd_phase == SD_DRAIN)
		log_info("shutdown: stopping priority tier %lld",
		    (long long)top);
}

/* One pass of the planner; returns true when nothing is left. */
static bool
plan(struct drover *d)
{
	struct instance	*in;
	struct job	*jb;
	bool		 done = true;
	int		 i, j, k;

	tier_advance(d);
	for (i = 0; i < d->d_njobs; i++) {
		jb = d->d_jobs[i];
		for (j = 0; j < jb->ninst; j++) {
			in = jb->inst[j];
			if (jb->cfg->kind == JOB_CLEANUP && !in->sd_started &&
			    jb->removed)
				in->sd_started = true;	/* its replacement runs */
			if (jb->cfg->kind == JOB_CLEANUP && !in->sd_started) {
				for (k = 0; k < jb->nwaitstop; k++)
					if (!job_stopped_for_cleanup(
					    jb->waitstop[k]))
						break;
				if (k == jb->nwaitstop &&
				    d->d_sd_phase < SD_KILL) {
					in->sd_started = true;
					in->shutdown_seen = true;
					instance_event(in, IE_START, 0);
				} else if (d->d_sd_phase >= SD_KILL)
					in->sd_started = true;
			}
			if (!instance_quiet(in) || (jb->cfg->kind == JOB_CLEANUP &&
			    !in->sd_started))
				done = false;
			if (!instance_active(in) || in->state == JS_STOPPING)
				continue;
			if (d->d_sd_phase >= SD_CANCEL && !shielded(in)) {
				instance_event(in, IE_STOP, RES_CANCELLED);
				continue;
			}
			if (jb->cfg->kind != JOB_SERVICE ||
			    (!jb->removed && tier_of(jb) < d->d_sd_tier))
				continue;
			for (k = 0; k < jb->nrdeps; k++)
				if (!job_quiet(jb->rdeps[k]))
					break;
			if (k < jb->nrdeps)
				continue;
			for (k = 0; k < jb->ncleanups_before; k++)
				if (!job_cleanup_finished(jb->cleanups_before[k]))
					break;
			if (k == jb->ncleanups_before)
				instance_event(in, IE_STOP, RES_CANCELLED);
		}
	}
	return done;
}

/* Re-plan after any change; re-entrant calls fold into the outer one. */
void
shutdown_step(struct drover *d)
{
	bool	done;

	if (d->d_sd_phase == SD_NONE || d->d_sd_phase == SD_DONE)
		return;
	if (d->d_stepping) {
		d->d_restep = true;
		return;
	}
	d->d_stepping = true;
	do {
		d->d_restep = false;
		done = plan(d);
	} while (d->d_restep);
	d->d_stepping = false;
	if (!done)
		return;
	d->d_sd_phase = SD_DONE;
	sched_gate(d, GATE_CLOSED);
	report(d);
	if (d->d_sd_timer != NULL)
		evtimer_del(d->d_sd_timer);
	if (d->d_sd_hardtimer != NULL)
		evtimer_del(d->d_sd_hardtimer);
	if (d->d_base != NULL)
		event_base_loopbreak(d->d_base);
	bus_set_phase(d->d_bus, DP_STOPPED);
}

/*
 * conductor.c: the top of the core (src/README).  The one subscriber of
 * the bus that acts on drover as a whole:
 * - policy on a change: a critical job failed for good shuts drover down,
 *   --fail-fast cancels the rest;
 * - after changes, once per pass of the loop (the settle pass): READY=1
 *   once every autostart service is up, --once's end, the shutdown
 *   planner's next step, a reload's retired jobs;
 * - the SIGUSR1 status dump.
 * Nothing below calls it: it learns of every change from the bus, after
 * the scheduler (BUS_PRIO_SCHED < BUS_PRIO_CONDUCTOR).
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "bus.h"
#include "cron.h"
#include "drover.h"
#include "log.h"
#include "value.h"

static void	check_ready(struct drover *);
static void	check_once(struct drover *);

/* "web RUNNING pid 1234, uptime 0:10:02, restarts 0, last ok". */
static void
status_line(struct instance *in, char *buf, size_t sz)
{
	int64_t		 now = in->d->d_ops->now();
	char		 up[64], extra[128] = "";
	const char	*why;
	bool		 failed;

	if (in->state == JS_STOPPING)
		snprintf(extra, sizeof(extra), ", stopping for %llds, %s in "
		    "%llds", (long long)(now - in->state_since) / 1000,
		    in->stop_phase == STOP_SIGNALLED ? "SIGKILL" : "give up",
		    (long long)((in->t_state > now ? in->t_state - now : 0) +
		    999) / 1000);
	else if (in->state == JS_QUEUED && in->qwhere == Q_WAITING &&
	    !sched_deps_ok(in, &why, &failed))
		snprintf(extra, sizeof(extra), ", waiting for %s", why);
	else if ((in->state == JS_BACKOFF || in->state == JS_EXITED) &&
	    in->t_state > 0)
		snprintf(extra, sizeof(extra), ", next run in %llds",
		    (long long)((in->t_state - now + 999) / 1000));
	if (instance_active(in)) {
		value_uptime_fmt(now - in->run_start, up, sizeof(up));
		snprintf(buf, sz, "%-20s %-9s pid %ld, uptime %s, restarts "
		    "%d, last %s%s", in->name, jstate_names[in->state],
		    (long)in->pid, up, in->restarts,
		    result_names[in->last.result], extra);
	} else
		snprintf(buf, sz, "%-20s %-9s restarts %d, last %s%s%s%s%s",
		    in->name, jstate_names[in->state], in->restarts,
		    result_names[in->last.result], in->last.note[0] ? " (" :
		    "", in->last.note, in->last.note[0] ? ")" : "", extra);
}

/* SIGUSR1: one line per instance. */
void
conductor_dump_status(struct drover *d)
{
	char	line[512];
	int	i, j;

	log_notice("status: %d jobs, %d runs in progress%s", d->d_njobs,
	    d->d_nactive, d->d_sd_phase != SD_NONE ? ", shutting down" : "");
	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			status_line(d->d_jobs[i]->inst[j], line,
			    sizeof(line));
			log_notice("status: %s", line);
		}
	}
}

/* The checks that look at every job, once the changes settle. */
static void
settle(struct drover *d)
{
	check_ready(d);
	check_once(d);
	if (d->d_sd_phase != SD_NONE)
		shutdown_step(d);
	reload_changed(d);
}

static void
settle_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover	*d = arg;

	d->d_settle_pending = false;
	settle(d);
}

/*
 * After a state change: the whole-table checks run once per pass of the
 * loop, however many instances changed in it (a shutdown of N services
 * would otherwise re-plan N times over N instances).  Without a loop (the
 * unit tests) they run at once.
 */
static void
after_change(struct drover *d)
{
	if (d->d_base == NULL) {
		settle(d);
		return;
	}
	if (d->d_settle_pending)
		return;
	if (d->d_settle_ev == NULL &&
	    (d->d_settle_ev = event_new(d->d_base, -1, 0, settle_cb, d)) == NULL)
		fatalx("event_new");
	d->d_settle_pending = true;
	event_active(d->d_settle_ev, 0, 0);
}

/* READY=1 once every autostart service is RUNNING or FATAL. */
static void
check_ready(struct drover *d)
{
	struct instance	*in;
	int		 i, j;

	if (d->d_ready_sent || d->d_sd_phase != SD_NONE || !d->d_started)
		return;
	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->cfg->kind != JOB_SERVICE ||
		    !d->d_jobs[i]->cfg->autostart)
			continue;
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			/* STOPPED after autostart: a dependency failed */
			if (in->state != JS_RUNNING && in->state != JS_FATAL &&
			    in->state != JS_EXITED && in->state != JS_STOPPED)
				return;
		}
	}
	d->d_ready_sent = true;
	bus_set_phase(d->d_bus, DP_READY);	/* notify.c: READY=1 */
}

/*
 * --once: shut down when no task is running or can run again.  The walk
 * starts at the instance that stopped the last one and goes round once:
 * while tasks run, that one is usually still busy and the check costs a
 * single look, not one per instance.
 */
static void
check_once(struct drover *d)
{
	struct job	*j;
	int		 i, k, n, total = 0;

	if (!d->d_once || d->d_sd_phase != SD_NONE || !d->d_started)
		return;
	for (i = 0; i < d->d_njobs; i++)
		total += d->d_jobs[i]->ninst;
	if (d->d_once_job >= d->d_njobs)
		d->d_once_job = d->d_once_inst = 0;
	i = d->d_once_job;
	k = d->d_once_inst;
	for (n = 0; n < total; n++, k++) {
		while (k >= d->d_jobs[i]->ninst) {
			i = (i + 1) % d->d_njobs;
			k = 0;
		}
		j = d->d_jobs[i];
		/* a scheduled task is done for --once after its first run */
		if (j->cfg->kind == JOB_TASK && (!instance_settled(j->inst[k]) ||
		    (cron_job_timed(j->cfg) && !j->inst[k]->ever_started &&
		    j->cron_next != 0 && !j->st_down))) {
			d->d_once_job = i;
			d->d_once_inst = k;
			return;
		}
	}
	shutdown_begin(d, "--once: every task has finished");
}

/* A critical job failed for good, or a task under --fail-fast. */
static void
policy(struct instance *in)
{
	struct drover	*d = in->d;

	if (in->job->cfg->critical && instance_failed_for_good(in) &&
	    !d->d_critical_failed && d->d_sd_phase == SD_NONE) {
		d->d_critical_failed = true;
		log_error("%s: critical job failed for good, shutting down",
		    in->name);
		shutdown_begin(d, "critical job failed");
	}
	if (d->d_once && d->d_fail_fast && in->job->cfg->kind == JOB_TASK &&
	    instance_failed_for_good(in) && d->d_sd_phase == SD_NONE) {
		log_warnx("%s: failed, cancelling the rest (--fail-fast)",
		    in->name);
		shutdown_begin(d, "--fail-fast");
		shutdown_signal(d, 0);
	}
}

/* What job.c and the life cycle publish. */
static void
conductor_bus_cb(const struct bus_event *ev, void *arg)
{
	struct drover	*d = arg;

	if (ev->type == BUS_DROVER) {
		if (ev->dp.to == DP_STARTED) {
			check_ready(d);
			check_once(d);
		}
		return;
	}
	if (ev->st.from == ev->st.to)
		return;
	policy(ev->in);
	after_change(d);
}

/*
 * The core's subscribers, in the order of bus.h: the scheduler, then the
 * conductor.  The daemon and the unit tests alike call this once, after
 * engine_init().
 */
void
conductor_init(struct drover *d)
{
	sched_init(d);
	bus_subscribe(d->d_bus, BUS_PRIO_CONDUCTOR, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_DROVER), conductor_bus_cb, d);
}

void
conductor_fini(struct drover *d)
{
	if (d->d_settle_ev != NULL)
		event_free(d->d_settle_ev);
	d->d_settle_ev = NULL;
}

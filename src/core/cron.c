/*
 * cron.c: calendar schedules of tasks (cron.h).
 *
 * Times are wall clock (a calendar is), timers are libevent's monotonic
 * ones: each timer is armed for the distance to the next run, and when it
 * fires early (the wall clock was set back) it is armed again for the
 * rest.  A run is started through instance_event(), so it goes through
 * core/sched's group and global bounds like any task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bus.h"
#include "calendar.h"
#include "cron.h"
#include "drover.h"
#include "log.h"
#include "xmalloc.h"

static void	arm(struct job *, int64_t wall);

bool
cron_job_timed(const struct job_config *c)
{
	return c->kind == JOB_TASK && c->schedule != NULL &&
	    !c->cal.c_reboot && c->autostart;
}

/* The next run after wall ms `after`, with its random delay; 0 = none. */
static void
compute(struct job *j, int64_t after)
{
	const struct job_config	*c = j->cfg;
	time_t			 t;
	int64_t			 delay = 0;

	t = calendar_next(&c->cal, c->timezone, (time_t)(after / 1000));
	if (t == (time_t)-1) {
		j->cron_next = j->cron_fire = 0;
		return;
	}
	if (c->random_delay > 0)
		delay = (int64_t)(j->d->d_ops->random() %
		    (uint64_t)(c->random_delay + 1));
	j->cron_next = (int64_t)t * 1000;
	j->cron_fire = j->cron_next + delay;
}

/* One instance's scheduled run, by the overlap policy. */
static void
fire_instance(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;

	if (in->job->st_down || (in->ever_started && in->want == WANT_DOWN)) {
		log_info("%s: stopped: scheduled run not started (start it "
		    "to resume)", in->name);
		return;
	}
	if (in->state != JS_QUEUED && !instance_active(in)) {
		instance_event(in, IE_START, 0);
		return;
	}
	switch (c->overlap) {
	case OVERLAP_SKIP:
		in->job->cron_skipped++;
		log_notice("%s: scheduled run skipped: the previous run is "
		    "still going (%llu skipped)", in->name,
		    (unsigned long long)in->job->cron_skipped);
		break;
	case OVERLAP_QUEUE:
		log_info("%s: scheduled run queued after the running one",
		    in->name);
		instance_event(in, IE_START, 0);
		break;
	case OVERLAP_CANCEL:
		log_notice("%s: scheduled run cancels the previous run",
		    in->name);
		instance_event(in, IE_RESTART, 0);
		break;
	}
}

static void
cron_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job	*j = arg;
	struct drover	*d = j->d;
	int64_t		 now = d->d_ops->wallclock(), due = j->cron_next;
	int64_t		 late = now - j->cron_fire;
	int		 i;

	if (j->cron_fire == 0 || d->d_sd_phase != SD_NONE || j->removed)
		return;
	if (now < j->cron_fire) {	/* the clock went back: not yet */
		arm(j, now);
		return;
	}
	log_info("%s: scheduled run", j->cfg->name);
	j->st_last_run = due;		/* state.c writes it */
	bus_hold(d->d_bus);
	for (i = 0; i < j->ninst; i++)
		fire_instance(j->inst[i]);
	bus_release(d->d_bus);
	/* from the time it was due, or from now if the loop was asleep
	 * (suspend): a missed run is not made up over and over */
	compute(j, late > 60000 ? now : due);
	arm(j, now);
}

static void
arm(struct job *j, int64_t now)
{
	struct timeval	tv;
	int64_t		ms;

	if (j->cron_ev == NULL)
		j->cron_ev = evtimer_new(j->d->d_base, cron_cb, j);
	evtimer_del(j->cron_ev);
	if (j->cron_fire == 0)
		return;
	ms = j->cron_fire - now;
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(j->cron_ev, &tv);
}

/*
 * catch_up = true (systemd's Persistent=): a run that came due while
 * drover was down runs once now.  Only with a last run in the state
 * file: on the very first start nothing was missed.
 */
static void
catch_up(struct job *j, int64_t now)
{
	time_t	t;
	int	i;

	if (!j->cfg->catch_up || j->st_last_run <= 0 || j->st_down)
		return;
	t = calendar_next(&j->cfg->cal, j->cfg->timezone,
	    (time_t)(j->st_last_run / 1000));
	if (t == (time_t)-1 || (int64_t)t * 1000 > now)
		return;
	log_notice("%s: a scheduled run was missed while drover was down: "
	    "running it now (catch_up)", j->cfg->name);
	j->st_last_run = now;
	bus_hold(j->d->d_bus);
	for (i = 0; i < j->ninst; i++)
		fire_instance(j->inst[i]);
	bus_release(j->d->d_bus);
}

static char *
key_of(const struct job_config *c)
{
	return xprintf("%s\n%s", c->schedule, c->timezone ? c->timezone : "");
}

/* Start-up and after a reload: arm what has a schedule, keep what is
 * armed for the same schedule, drop the rest. */
static void
cron_arm_all(struct drover *d, bool startup)
{
	struct job	*j;
	char		*key;
	int64_t		 now = d->d_ops->wallclock();
	int		 i;

	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->removed || !cron_job_timed(j->cfg)) {
			if (j->cron_ev != NULL)
				evtimer_del(j->cron_ev);
			j->cron_next = j->cron_fire = 0;
			continue;
		}
		key = key_of(j->cfg);
		if (j->cron_key != NULL && strcmp(key, j->cron_key) == 0 &&
		    j->cron_ev != NULL && evtimer_pending(j->cron_ev, NULL)) {
			free(key);
			continue;
		}
		free(j->cron_key);
		j->cron_key = key;
		compute(j, now);
		arm(j, now);
		if (startup)
			catch_up(j, now);
	}
}

static void
cron_disarm_all(struct drover *d)
{
	int	i;

	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->cron_ev != NULL)
			evtimer_del(d->d_jobs[i]->cron_ev);
		d->d_jobs[i]->cron_next = d->d_jobs[i]->cron_fire = 0;
	}
}

static void
cron_bus_cb(const struct bus_event *ev, void *arg)
{
	struct drover	*d = arg;

	if (ev->type != BUS_DROVER)
		return;
	if (ev->dp.to == DP_STARTED)
		cron_arm_all(d, true);
	else if (ev->dp.from == DP_RELOADING && ev->dp.to < DP_STOPPING)
		cron_arm_all(d, false);
	else if (ev->dp.to >= DP_STOPPING)
		cron_disarm_all(d);
}

void
cron_init(struct drover *d)
{
	/* before the conductor: --once's check on DP_STARTED needs to know
	 * which scheduled tasks have a run coming */
	bus_subscribe(d->d_bus, BUS_PRIO_SCHED + 5, BUS_MASK(BUS_DROVER),
	    cron_bus_cb, d);
}

void
cron_next_fmt(const struct job *j, char *buf, size_t bufsz)
{
	if (j->cron_next == 0)
		snprintf(buf, bufsz, "-");
	else
		calendar_fmt((time_t)(j->cron_next / 1000), j->cfg->timezone, buf,
		    bufsz);
}

void
cron_print_next(const struct config *conf, int n, FILE *fp)
{
	const struct job_config	*c;
	char			 buf[64];
	time_t			 t;
	int			 i, k;

	for (i = 0; i < conf->njobs; i++) {
		c = conf->jobs[i];
		if (c->schedule == NULL)
			continue;
		fprintf(fp, "%s: schedule %s%s%s\n", c->name, c->schedule,
		    c->timezone ? ", timezone " : "",
		    c->timezone ? c->timezone : "");
		if (c->cal.c_reboot) {
			fprintf(fp, "  at every start of drover\n");
			continue;
		}
		t = time(NULL);
		for (k = 0; k < n; k++) {
			if ((t = calendar_next(&c->cal, c->timezone, t)) ==
			    (time_t)-1) {
				fprintf(fp, "  never\n");
				break;
			}
			calendar_fmt(t, c->timezone, buf, sizeof buf);
			fprintf(fp, "  %s\n", buf);
		}
	}
}

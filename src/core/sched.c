/*
 * sched.c: when a QUEUED instance may start (SPEC 4.3).
 *
 * An instance that is due waits first for its `after` jobs (d_waiting),
 * then in its group's FIFO queue for a slot.  Groups with queued work take
 * turns (round robin), so one busy group never starves another.  A slot is
 * a counting semaphore: the group's (services count too) and, for tasks,
 * the global [drover] max_concurrent.  A slot is taken at dispatch and
 * given back when the run is over (reaped, pipes drained), never earlier,
 * so the bound is never exceeded, not even for a moment.
 *
 * The scheduler is the first subscriber of the bus (bus.h): an instance
 * that became QUEUED is queued, one that left QUEUED otherwise is taken
 * out, a recorded result gives the run's slots back, and a change of a
 * job others wait for moves them on.  The shutdown closes the gate
 * (sched_gate()) instead of being asked at every dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "xmalloc.h"

/* Does [drover] max_concurrent bound this instance?  Tasks only. */
static bool
globally_bounded(const struct instance *in)
{
	return in->job->cfg->kind == JOB_TASK;
}

static bool
group_empty(const struct jgroup *g)
{
	return TAILQ_EMPTY(&g->q_bounded) && TAILQ_EMPTY(&g->q_free);
}

/* Are the jobs in `after` ready?  *failed when one failed for good. */
bool
sched_deps_ok(struct instance *in, const char **why, bool *failed)
{
	struct job	*dep;
	int		 i, j;

	*failed = false;
	*why = NULL;
	for (i = 0; i < in->job->ndeps; i++) {
		dep = in->job->deps[i];
		for (j = 0; j < dep->ninst; j++) {
			if (instance_failed_for_good(dep->inst[j]) ||
			    (dep->cfg->kind == JOB_SERVICE &&
			    dep->inst[j]->state == JS_EXITED)) {
				/* a service that exited is not coming back */
				*failed = true;
				*why = dep->cfg->name;
				return false;
			}
			if (!instance_is_ready(dep->inst[j])) {
				*why = dep->cfg->name;
				return false;
			}
		}
	}
	return true;
}

static void
group_push(struct instance *in)
{
	struct drover	*d = in->d;
	struct jgroup	*g = in->job->group;

	if (globally_bounded(in))
		TAILQ_INSERT_TAIL(&g->q_bounded, in, qentry);
	else
		TAILQ_INSERT_TAIL(&g->q_free, in, qentry);
	in->qwhere = Q_GROUP;
	if (!g->in_rr) {
		TAILQ_INSERT_TAIL(&d->d_ready_groups, g, rr);
		g->in_rr = true;
	}
}

/* Queue a QUEUED instance: wait for dependencies, then for a slot. */
void
sched_enqueue(struct instance *in)
{
	const char	*why;
	bool		 failed;

	if (in->qwhere != Q_NONE)
		return;
	if (!sched_deps_ok(in, &why, &failed)) {
		if (failed) {
			free(in->dep_note);
			in->dep_note = xprintf("dependency %s failed", why);
			instance_event(in, IE_DEP_FAILED, 0);
			return;
		}
		log_debug("%s: waiting for %s", in->name, why);
		TAILQ_INSERT_TAIL(&in->d->d_waiting, in, qentry);
		in->qwhere = Q_WAITING;
		return;
	}
	group_push(in);
	sched_pump(in->d);
}

void
sched_dequeue(struct instance *in)
{
	struct jgroup	*g = in->job->group;

	switch (in->qwhere) {
	case Q_WAITING:
		TAILQ_REMOVE(&in->d->d_waiting, in, qentry);
		break;
	case Q_GROUP:
		if (globally_bounded(in))
			TAILQ_REMOVE(&g->q_bounded, in, qentry);
		else
			TAILQ_REMOVE(&g->q_free, in, qentry);
		if (group_empty(g) && g->in_rr) {
			TAILQ_REMOVE(&in->d->d_ready_groups, g, rr);
			g->in_rr = false;
		}
		break;
	case Q_NONE:
		break;
	}
	in->qwhere = Q_NONE;
}

/* Give back the slots of a run that is over. */
void
sched_release(struct instance *in)
{
	struct drover	*d = in->d;

	if (in->holds_slot) {
		in->job->group->running--;
		in->holds_slot = false;
	}
	if (in->holds_global) {
		d->d_running_tasks--;
		in->holds_global = false;
	}
	sched_pump(d);
}

/* May the gate let this instance through? */
static bool
gate_open(const struct drover *d, const struct instance *in)
{
	switch (d->d_sched_gate) {
	case GATE_OPEN:
		return true;
	case GATE_CLEANUPS:
		return in->job->cfg->kind == JOB_CLEANUP;
	default:
		return false;
	}
}

/* The shutdown: only cleanup jobs from now on, then nothing. */
void
sched_gate(struct drover *d, enum sched_gate g)
{
	d->d_sched_gate = g;
}

/* The instance of this group that may start now, if any. */
static struct instance *
group_candidate(struct drover *d, struct jgroup *g)
{
	struct instance	*in;

	/* shielded cleanup work never waits for a slot a stopping job holds */
	in = TAILQ_FIRST(&g->q_free);
	if (in != NULL && d->d_sched_gate != GATE_OPEN &&
	    in->job->cfg->kind == JOB_CLEANUP && gate_open(d, in))
		return in;
	if (g->max > 0 && g->running >= g->max)
		return NULL;
	if (in != NULL && gate_open(d, in))
		return in;
	if ((in = TAILQ_FIRST(&g->q_bounded)) == NULL)
		return NULL;
	if (d->d_max_tasks > 0 && d->d_running_tasks >= d->d_max_tasks)
		return NULL;
	return gate_open(d, in) ? in : NULL;
}

/* Dispatch one runnable instance, taking turns between groups. */
static bool
pump_one(struct drover *d)
{
	struct jgroup	*g;
	struct instance	*in;

	TAILQ_FOREACH(g, &d->d_ready_groups, rr) {
		if ((in = group_candidate(d, g)) == NULL)
			continue;
		sched_dequeue(in);
		/* it left QUEUED; that event is still on its way to us */
		if (in->state != JS_QUEUED)
			return true;
		/* the next turn goes to the other groups */
		if (g->in_rr) {
			TAILQ_REMOVE(&d->d_ready_groups, g, rr);
			TAILQ_INSERT_TAIL(&d->d_ready_groups, g, rr);
		}
		g->running++;
		in->holds_slot = true;
		if (globally_bounded(in)) {
			d->d_running_tasks++;
			in->holds_global = true;
		}
		instance_event(in, IE_DISPATCH, 0);
		return true;
	}
	return false;
}

/* Start whatever may start now; re-entrant calls fold into the outer one. */
void
sched_pump(struct drover *d)
{
	if (d->d_pumping) {
		d->d_repump = true;
		return;
	}
	d->d_pumping = true;
	do {
		d->d_repump = false;
		while (pump_one(d))
			;
	} while (d->d_repump);
	d->d_pumping = false;
}

/* A dependency changed state: move waiting instances on. */
void
sched_recheck_waiting(struct drover *d)
{
	struct instance	*in, *next;
	const char	*why;
	bool		 failed;

	for (in = TAILQ_FIRST(&d->d_waiting); in != NULL; in = next) {
		next = TAILQ_NEXT(in, qentry);
		if (in->state != JS_QUEUED)	/* that event is on its way */
			sched_dequeue(in);
		else if (sched_deps_ok(in, &why, &failed)) {
			sched_dequeue(in);
			group_push(in);
		} else if (failed) {
			sched_dequeue(in);
			free(in->dep_note);
			in->dep_note = xprintf("dependency %s failed", why);
			instance_event(in, IE_DEP_FAILED, 0);
			next = TAILQ_FIRST(&d->d_waiting);
		}
	}
	sched_pump(d);
}

/*
 * What job.c published.  A queued event may be older than the instance's
 * state (the instance moved on since): act on the state it has now.
 */
static void
sched_bus_cb(const struct bus_event *ev, void *arg)
{
	struct instance	*in = ev->in;
	struct drover	*d = in->d;

	if (ev->type == BUS_RESULT) {
		sched_release(in);
		return;
	}
	if (ev->st.from == ev->st.to)
		return;
	if (in->state == JS_QUEUED)
		sched_enqueue(in);
	else if (in->qwhere != Q_NONE)
		sched_dequeue(in);
	if (in->job->nrdeps > 0 && (ev->st.to == JS_RUNNING ||
	    ev->st.to == JS_EXITED || ev->st.to == JS_FATAL ||
	    ev->st.to == JS_STOPPED))
		sched_recheck_waiting(d);
}

void
sched_init(struct drover *d)
{
	bus_subscribe(d->d_bus, BUS_PRIO_SCHED, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_RESULT), sched_bus_cb, d);
}

/*
 * hook.c: on_fatal = and on_exit = (drover.ini(5), HOOKS), a bus
 * subscriber at BUS_PRIO_LISTENER.
 *
 * Each hook is a task of its own (config_hook.c builds it: JOB.on_fatal,
 * one instance per instance of the job).  On the change it waits for,
 * the hook instance gets the event as DROVER_* variables (spawn.c adds
 * in->run_env last) and an IE_START: from there it is a task like any
 * other, queued, bounded by max_concurrent and its group, cut at its
 * timeout, its result recorded.  A task never overlaps itself: an event
 * that comes while the hook runs (or waits for a slot) makes it run once
 * more, with the latest event; that is logged.  Once drover is shutting
 * down no new work starts, hooks included (logged too).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

/* A failure for good: FATAL, or a task's last try failed. */
static bool
is_fatal(const struct bus_event *be)
{
	enum result	r = be->st.result;

	if (be->st.to == JS_FATAL)
		return true;
	return be->in->job->cfg->kind != JOB_SERVICE &&
	    be->st.to == JS_EXITED && r != RES_OK && r != RES_NONE &&
	    r != RES_CANCELLED;
}

/* A run that had a process is over (whatever comes next). */
static bool
run_ended(const struct bus_event *be)
{
	switch (be->st.from) {
	case JS_STARTING:
	case JS_RUNNING:
	case JS_STOPPING:
		break;
	default:
		return false;
	}
	return be->st.to != JS_RUNNING && be->st.to != JS_STOPPING &&
	    be->in->last.pid != 0;
}

static char **
hook_env(const struct bus_event *be, enum hook_kind h)
{
	const struct instance	*in = be->in;
	const struct job_config	*c = in->job->cfg;
	const struct result_rec	*r = &in->last;
	char		       **env = strv_new();

	strv_push_take(&env, xprintf("DROVER_HOOK=%s", hook_key_names[h]));
	strv_push_take(&env, xprintf("DROVER_JOB=%s", c->name));
	strv_push_take(&env, xprintf("DROVER_INSTANCE=%d", in->pc->num));
	strv_push_take(&env, xprintf("DROVER_PROCESS_NAME=%s", in->name));
	strv_push_take(&env, xprintf("DROVER_GROUP=%s", c->group != NULL ?
	    c->group : c->name));
	strv_push_take(&env, xprintf("DROVER_FROM_STATE=%s",
	    jstate_names[be->st.from]));
	strv_push_take(&env, xprintf("DROVER_TO_STATE=%s",
	    jstate_names[be->st.to]));
	strv_push_take(&env, xprintf("DROVER_RESULT=%s",
	    result_names[r->result]));
	if (r->pid != 0 && r->code >= 0)
		strv_push_take(&env, xprintf("DROVER_EXIT_CODE=%d", r->code));
	else
		strv_push(&env, "DROVER_EXIT_CODE=");
	if (r->pid != 0 && r->code < 0 && r->signal > 0)
		strv_push_take(&env, xprintf("DROVER_SIGNAL=%s",
		    value_signal_name(r->signal)));
	else
		strv_push(&env, "DROVER_SIGNAL=");
	if (r->pid != 0)
		strv_push_take(&env, xprintf("DROVER_PID=%ld", (long)r->pid));
	else
		strv_push(&env, "DROVER_PID=");
	strv_push_take(&env, xprintf("DROVER_TRIES=%d", be->st.tries));
	/* so that "on_fatal = droverctl shutdown" finds this drover */
	if (in->d->d_socket_path != NULL)
		strv_push_take(&env, xprintf("DROVER_SOCKET=%s",
		    in->d->d_socket_path));
	return env;
}

static void
hook_fire(struct drover *d, const struct bus_event *be, enum hook_kind h)
{
	const struct instance	*in = be->in;
	struct instance		*hin;
	struct job		*j;

	if (bus_phase(d->d_bus) >= DP_STOPPING) {
		log_notice("%s: %s -> %s: %s not run, drover is shutting down",
		    in->name, jstate_names[be->st.from],
		    jstate_names[be->st.to], in->job->cfg->hooks[h]);
		return;
	}
	if ((j = engine_find_job(d, in->job->cfg->hooks[h])) == NULL ||
	    in->idx >= j->ninst)
		return;
	hin = j->inst[in->idx];
	if (instance_active(hin) || hin->state == JS_QUEUED)
		log_notice("%s: busy with an earlier event: it runs once more, "
		    "with this one (%s -> %s)", hin->name,
		    jstate_names[be->st.from], jstate_names[be->st.to]);
	else
		log_info("%s: %s -> %s: running %s", in->name,
		    jstate_names[be->st.from], jstate_names[be->st.to],
		    hin->name);
	strv_free(hin->run_env);
	hin->run_env = hook_env(be, h);
	instance_event(hin, IE_START, 0);
}

static void
hook_bus(const struct bus_event *be, void *arg)
{
	struct drover		*d = arg;
	const struct job_config	*c = be->in->job->cfg;

	if (be->st.from == be->st.to)
		return;
	if (c->hooks[HOOK_FATAL] != NULL && is_fatal(be))
		hook_fire(d, be, HOOK_FATAL);
	if (c->hooks[HOOK_EXIT] != NULL && run_ended(be))
		hook_fire(d, be, HOOK_EXIT);
}

/* Subscribe, whether or not a job has hooks now: a reload may add some. */
void
hook_init(struct drover *d)
{
	bus_subscribe(d->d_bus, BUS_PRIO_LISTENER, BUS_MASK(BUS_STATE),
	    hook_bus, d);
}

void
hook_fini(struct drover *d)
{
	bus_unsubscribe(d->d_bus, hook_bus, d);
}

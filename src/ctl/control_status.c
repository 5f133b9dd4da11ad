/*
 * control_status.c: what a status reply says (droverctl(1) lists the
 * fields): each instance's state, its last result, what it waits for,
 * its schedule, its shutdown; and drover's own state.  control_cmd.c's
 * replies (status, and the instances of start, stop, signal ...) are
 * built from these.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <jansson.h>

#include "control_proto.h"
#include "control_status.h"
#include "cron.h"
#include "drover.h"
#include "history_json.h"
#include "value.h"

static const char *const sd_phase_names[] = {
	[SD_NONE] = "none", [SD_DRAIN] = "drain", [SD_CANCEL] = "cancel",
	[SD_KILL] = "kill", [SD_DONE] = "done",
};

/* --- JSON helpers --------------------------------------------------------- */

/* A JSON string; bytes that are not UTF-8 become '?' (control_proto.c). */
json_t *
jstr(const char *s)
{
	return ctl_json_str(s);
}

static json_t *
jms(int64_t ms)
{
	return json_integer(ms < 0 ? 0 : ms);
}

void
jset(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

static json_t *
result_json(const struct result_rec *r)
{
	json_t	*o;

	if (r->result == RES_NONE)
		return json_null();
	o = json_object();
	jset(o, "result", jstr(result_names[r->result]));
	jset(o, "pid", r->pid > 0 ? json_integer(r->pid) : NULL);
	jset(o, "code", r->code >= 0 ? json_integer(r->code) : NULL);
	jset(o, "signal", r->signal > 0 ? json_integer(r->signal) : NULL);
	jset(o, "signal_name", r->signal > 0 ?
	    jstr(value_signal_name(r->signal)) : NULL);
	jset(o, "duration_ms", jms(r->duration));
	jset(o, "start_ms", json_integer(r->start));
	jset(o, "end_ms", json_integer(r->end));
	jset(o, "note", r->note[0] != '\0' ? jstr(r->note) : NULL);
	return o;
}

/* What a QUEUED instance waits for. */
static json_t *
waiting_for(struct instance *in)
{
	struct drover	*d = in->d;
	struct jgroup	*g = in->job->group;
	const char	*why;
	bool		 failed;
	char		 buf[160];

	if (in->qwhere == Q_WAITING && !sched_deps_ok(in, &why, &failed))
		return jstr(why);
	if (d->d_sd_phase != SD_NONE)
		return jstr("shutdown");
	if (g->max > 0 && g->running >= g->max) {
		snprintf(buf, sizeof(buf), "a slot in group %s", g->name);
		return jstr(buf);
	}
	if (in->job->cfg->kind == JOB_TASK && d->d_max_tasks > 0 &&
	    d->d_running_tasks >= d->d_max_tasks)
		return jstr("a task slot (max_concurrent)");
	return json_null();
}

static json_t *
stopping_json(struct instance *in, int64_t now)
{
	json_t	*o = json_object();

	jset(o, "for_ms", jms(now - in->state_since));
	jset(o, "escalation", jstr(in->stop_phase == STOP_SIGNALLED ?
	    "SIGKILL" : "give-up"));
	jset(o, "escalation_in_ms", in->t_state > 0 ?
	    jms(in->t_state - now) : NULL);
	return o;
}

/* During a shutdown: what an instance still waits for. */
static json_t *
shutdown_json(struct instance *in, int64_t now)
{
	struct drover		*d = in->d;
	struct job		*j = in->job;
	const struct job_config	*c = j->cfg;
	json_t			*o = json_object(), *names = json_array();
	int64_t			 tier;
	int			 k;

	if (c->kind == JOB_CLEANUP && !in->sd_started) {
		for (k = 0; k < j->nwaitstop; k++)
			if (!job_stopped_for_cleanup(j->waitstop[k]))
				json_array_append_new(names,
				    jstr(j->waitstop[k]->cfg->name));
		jset(o, "starts_after", names);
	} else if (instance_active(in) && in->state != JS_STOPPING &&
	    c->kind == JOB_SERVICE) {
		for (k = 0; k < j->nrdeps; k++)
			if (!job_quiet(j->rdeps[k]))
				json_array_append_new(names,
				    jstr(j->rdeps[k]->cfg->name));
		for (k = 0; k < j->ncleanups_before; k++)
			if (!job_cleanup_finished(j->cleanups_before[k]))
				json_array_append_new(names,
				    jstr(j->cleanups_before[k]->cfg->name));
		jset(o, "stops_after", names);
		if (shutdown_tier_wait(in, &tier))
			jset(o, "stops_after_tier", json_integer(tier));
	} else {
		json_decref(names);
		if (instance_active(in) && in->state != JS_STOPPING) {
			if (c->kind == JOB_CLEANUP || c->shield)
				jset(o, "timeout_in_ms", in->t_run > 0 ?
				    jms(in->t_run - now) : NULL);
			else if (d->d_sd_phase == SD_DRAIN)
				jset(o, "cancel_in_ms",
				    jms(d->d_sd_deadline - now));
		}
	}
	return o;
}

/* schedule =: the expression, its next run, the runs overlap skipped. */
static json_t *
schedule_json(struct job *j)
{
	json_t	*o = json_object();
	char	 buf[64];

	jset(o, "expression", jstr(j->cfg->schedule));
	jset(o, "timezone", j->cfg->timezone ? jstr(j->cfg->timezone) : NULL);
	cron_next_fmt(j, buf, sizeof buf);
	jset(o, "next_run", j->cron_next ? jstr(buf) : NULL);
	jset(o, "next_run_ms", j->cron_next ? json_integer(j->cron_next) :
	    NULL);
	jset(o, "skipped", json_integer((json_int_t)j->cron_skipped));
	return o;
}

/* An event listener's pool: events waiting, events dropped (overflow). */
static json_t *
pool_json(const char *pool)
{
	json_t		*o;
	uint64_t	 dropped;
	int		 queued;

	if (!evlisten_pool_stats(pool, &queued, &dropped))
		return NULL;
	o = json_object();
	jset(o, "queued", json_integer(queued));
	jset(o, "dropped", json_integer((json_int_t)dropped));
	return o;
}

/* One element of a status reply (droverctl(1) lists the fields). */
static json_t *
instance_json(struct instance *in, int64_t now)
{
	const struct job_config	*c = in->job->cfg;
	bool			 active = instance_active(in);
	json_t			*o = json_object();

	jset(o, "name", jstr(in->name));
	jset(o, "job", jstr(c->name));
	jset(o, "kind", jstr(job_kind_name(c->kind)));
	jset(o, "group", in->job->group->implicit ? NULL :
	    jstr(in->job->group->name));
	jset(o, "process_num", json_integer(in->pc->num));
	jset(o, "state", jstr(jstate_names[in->state]));
	jset(o, "state_for_ms", jms(now - in->state_since));
	jset(o, "want", jstr(in->want == WANT_UP ? "up" : "down"));
	jset(o, "pid", active && !(in->rflags & RUN_REAPED) ?
	    json_integer(in->pid) : NULL);
	jset(o, "uptime_ms", active ? jms(now - in->run_start) : NULL);
	jset(o, "restarts", json_integer(in->restarts));
	jset(o, "last", result_json(&in->last));
	jset(o, "stats", history_json_stats(in));
	jset(o, "next_run_in_ms", (in->state == JS_BACKOFF ||
	    in->state == JS_EXITED) && in->t_state > 0 ?
	    jms(in->t_state - now) : NULL);
	if (c->schedule != NULL)
		jset(o, "schedule", schedule_json(in->job));
	if (in->state == JS_QUEUED)
		jset(o, "waiting_for", waiting_for(in));
	if (in->state == JS_STOPPING)
		jset(o, "stopping", stopping_json(in, now));
	if (in->job->removed)
		jset(o, "removed", json_true());
	if (c->listener)
		jset(o, "events", pool_json(c->name));
	if (in->d->d_sd_phase != SD_NONE)
		jset(o, "shutdown", shutdown_json(in, now));
	return o;
}

json_t *
instances_json(struct drover *d, const struct ivec *v)
{
	json_t	*a = json_array();
	int64_t	 now = d->d_ops->now();
	size_t	 i;

	for (i = 0; i < v->n; i++)
		json_array_append_new(a, instance_json(v->v[i], now));
	return a;
}

json_t *
drover_json(struct drover *d)
{
	json_t	*o = json_object(), *sd;
	int64_t	 now = d->d_ops->now();

	jset(o, "version", jstr(PACKAGE_VERSION));
	jset(o, "pid", json_integer(getpid()));
	jset(o, "shutting_down", json_boolean(d->d_sd_phase != SD_NONE));
	if (d->d_sd_phase != SD_NONE) {
		sd = json_object();
		jset(sd, "phase", jstr(sd_phase_names[d->d_sd_phase]));
		jset(sd, "elapsed_ms", jms(now - d->d_sd_start));
		jset(sd, "deadline_in_ms", jms(d->d_sd_deadline - now));
		jset(sd, "worst_case_in_ms", jms(d->d_sd_hardcap +
		    KILL_GRACE_MS - now));
		jset(o, "shutdown", sd);
	}
	return o;
}

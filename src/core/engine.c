/*
 * engine.c: the job table built from a config (and rebuilt by reload.c),
 * the pid map, lookups by name, and starting jobs.  Above job.c, below
 * everything that looks jobs up; what happens after a change is the
 * conductor's (conductor.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bus.h"
#include "cron.h"
#include "drover.h"
#include "log.h"
#include "names.h"
#include "value.h"
#include "xmalloc.h"

#define PIDMAP_MIN	1024

void
engine_init(struct drover *d, const struct engine_ops *ops)
{
	d->d_ops = ops;
	TAILQ_INIT(&d->d_waiting);
	TAILQ_INIT(&d->d_ready_groups);
	LIST_INIT(&d->d_filesinks);
	d->d_devnull = -1;
	d->d_notify_fd = -1;
	d->d_pidmap_size = PIDMAP_MIN;
	d->d_pidmap = xcalloc(d->d_pidmap_size, sizeof(*d->d_pidmap));
	d->d_bus = bus_new();
}

static size_t
pid_hash(struct drover *d, pid_t pid)
{
	return ((size_t)pid * 2654435761u) & (d->d_pidmap_size - 1);
}

void
pidmap_add(struct drover *d, struct instance *in)
{
	size_t	h = pid_hash(d, in->pid);

	in->pid_next = d->d_pidmap[h];
	d->d_pidmap[h] = in;
}

void
pidmap_del(struct drover *d, struct instance *in)
{
	struct instance	**pp;

	for (pp = &d->d_pidmap[pid_hash(d, in->pid)]; *pp != NULL;
	    pp = &(*pp)->pid_next) {
		if (*pp == in) {
			*pp = in->pid_next;
			in->pid_next = NULL;
			return;
		}
	}
}

struct instance *
pidmap_find(struct drover *d, pid_t pid)
{
	struct instance	*in;

	for (in = d->d_pidmap[pid_hash(d, pid)]; in != NULL; in = in->pid_next)
		if (in->pid == pid && !(in->rflags & RUN_REAPED))
			return in;
	return NULL;
}

/* A group, kept in d_groups until exit (retired jobs may still use it). */
struct jgroup *
engine_group_new(struct drover *d, const char *name, int max, bool implicit)
{
	struct jgroup	*g = xcalloc(1, sizeof(*g));

	g->name = xstrdup(name);
	g->max = max;
	g->implicit = implicit;
	TAILQ_INIT(&g->q_bounded);
	TAILQ_INIT(&g->q_free);
	d->d_groups = xreallocarray(d->d_groups, (size_t)d->d_ngroups + 1,
	    sizeof(*d->d_groups));
	d->d_groups[d->d_ngroups++] = g;
	return g;
}

struct job *
engine_find_job(struct drover *d, const char *name)
{
	int	i;

	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed &&
		    strcmp(d->d_jobs[i]->cfg->name, name) == 0)
			return d->d_jobs[i];
	return NULL;
}

struct instance *
engine_find_instance(struct drover *d, const char *name)
{
	int	i, j;

	for (i = 0; i < d->d_njobs; i++)
		for (j = 0; j < d->d_jobs[i]->ninst; j++)
			if (!d->d_jobs[i]->removed &&
			    strcmp(d->d_jobs[i]->inst[j]->name, name) == 0)
				return d->d_jobs[i]->inst[j];
	return NULL;
}

static void
job_add_ref(struct job ***v, int *n, struct job *j)
{
	int	i;

	for (i = 0; i < *n; i++)
		if ((*v)[i] == j)
			return;
	*v = xreallocarray(*v, (size_t)*n + 1, sizeof(**v));
	(*v)[(*n)++] = j;
}

/*
 * Resolve `after`/`before` into edges.  At start-up only services and tasks
 * order each other; a cleanup job's `after` means "once these have
 * stopped" and its `before` means "finish before these are stopped".
 */
static struct job *
job_by_name(struct drover *d, const struct names *t, const char *name)
{
	int	i = names_find(t, name);

	return i == -1 ? NULL : d->d_jobs[i];
}

static void
link_deps(struct drover *d)
{
	struct job	*j, *o;
	struct names	*t = names_new(false);
	char	       **n;
	int		 i;

	/* the live jobs by name, as engine_find_job() would find them */
	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed)
			(void)names_add(t, d->d_jobs[i]->cfg->name, i);
	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->removed)
			continue;
		for (n = j->cfg->after; n != NULL && *n != NULL; n++) {
			if ((o = job_by_name(d, t, *n)) == NULL)
				continue;
			if (j->cfg->kind == JOB_CLEANUP)
				job_add_ref(&j->waitstop, &j->nwaitstop, o);
			else if (o->cfg->kind != JOB_CLEANUP) {
				job_add_ref(&j->deps, &j->ndeps, o);
				job_add_ref(&o->rdeps, &o->nrdeps, j);
			}
		}
		for (n = j->cfg->before; n != NULL && *n != NULL; n++) {
			if ((o = job_by_name(d, t, *n)) == NULL)
				continue;
			if (j->cfg->kind == JOB_CLEANUP)
				job_add_ref(&o->cleanups_before,
				    &o->ncleanups_before, j);
			else if (o->cfg->kind == JOB_CLEANUP)
				job_add_ref(&o->waitstop, &o->nwaitstop, j);
			else {
				job_add_ref(&o->deps, &o->ndeps, j);
				job_add_ref(&j->rdeps, &j->nrdeps, o);
			}
		}
	}
	names_free(t);
}

static struct instance *
instance_new(struct drover *d, struct job *j, int idx)
{
	struct instance	*in = xcalloc(1, sizeof(*in));

	in->d = d;
	in->job = j;
	in->idx = idx;
	in->pc = &j->cfg->procs[idx];
	in->name = in->pc->name;
	/* STOPPED from xcalloc(): only job.c writes a state */
	_Static_assert(JS_STOPPED == 0, "a new instance is STOPPED");
	in->out.fd = in->err.fd = -1;
	in->lst_fd = in->stdin_fd = -1;
	in->spawn_late.stage = -1;
	in->out.in = in->err.in = in;
	in->err.is_err = true;
	return in;
}

/* A job and its instances (not yet in d_jobs, not linked). */
struct job *
engine_job_new(struct drover *d, struct job_config *c, struct jgroup *g)
{
	struct job	*j = xcalloc(1, sizeof(*j));
	int		 k;

	j->d = d;
	j->cfg = c;
	j->group = g;
	j->serial = d->d_started ? ++d->d_job_serial : 0;
	j->ninst = c->nprocs;
	j->inst = xcalloc((size_t)j->ninst, sizeof(*j->inst));
	for (k = 0; k < j->ninst; k++)
		j->inst[k] = instance_new(d, j, k);
	return j;
}

/* (Re)build the dependency edges between the current jobs. */
void
engine_relink(struct drover *d)
{
	struct job	*j;
	int		 i;

	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		free(j->deps);
		free(j->rdeps);
		free(j->waitstop);
		free(j->cleanups_before);
		j->deps = j->rdeps = j->waitstop = j->cleanups_before = NULL;
		j->ndeps = j->nrdeps = j->nwaitstop = j->ncleanups_before = 0;
	}
	link_deps(d);
}

/* Build jobs, instances and groups for a config (the first load). */
int
engine_load(struct drover *d, struct config *conf)
{
	struct names	*groups = names_new(false);
	struct jgroup	*g;
	int		 i, k;

	d->d_conf = conf;
	d->d_max_tasks = conf->max_concurrent;
	for (i = 0; i < conf->ngroups; i++)
		engine_group_new(d, conf->groups[i]->name,
		    conf->groups[i]->max_concurrent, false);
	for (i = 0; i < conf->ngroups; i++)
		(void)names_add(groups, conf->groups[i]->name, i);
	d->d_jobs = xcalloc((size_t)conf->njobs, sizeof(*d->d_jobs));
	for (i = 0; i < conf->njobs; i++) {
		g = NULL;
		if (conf->jobs[i]->group != NULL &&
		    (k = names_find(groups, conf->jobs[i]->group)) != -1)
			g = d->d_groups[k];
		/* a job outside any group has an unbounded group of its own */
		if (g == NULL)
			g = engine_group_new(d, conf->jobs[i]->name, 0, true);
		d->d_jobs[i] = engine_job_new(d, conf->jobs[i], g);
	}
	d->d_njobs = conf->njobs;
	names_free(groups);
	link_deps(d);
	return 0;
}

static int
priority_cmp(const void *a, const void *b)
{
	const struct instance	*x = *(struct instance *const *)a;
	const struct instance	*y = *(struct instance *const *)b;

	if (x->job->cfg->priority != y->job->cfg->priority)
		return x->job->cfg->priority < y->job->cfg->priority ? -1 : 1;
	/* qsort is not stable: keep file order among equal priorities */
	if (x->job != y->job)
		return x->job < y->job ? -1 : 1;
	return x->idx - y->idx;
}

static void
start_sorted(struct instance **v, size_t n)
{
	size_t	i;

	qsort(v, n, sizeof(*v), priority_cmp);
	for (i = 0; i < n && v[0]->d->d_sd_phase == SD_NONE; i++)
		instance_event(v[i], IE_START, 0);
}

/* Start every autostart service and task, lower priority first. */
void
engine_autostart(struct drover *d)
{
	struct instance	**v;
	size_t		  n = 0;
	int		  a, b;

	for (a = 0; a < d->d_njobs; a++)
		n += (size_t)d->d_jobs[a]->ninst;
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	for (a = 0; a < d->d_njobs; a++) {
		if (!d->d_jobs[a]->cfg->autostart ||
		    d->d_jobs[a]->cfg->kind == JOB_CLEANUP ||
		    cron_job_timed(d->d_jobs[a]->cfg) ||	/* its timer runs it */
		    d->d_jobs[a]->st_down)	/* stopped by hand (state.c) */
			continue;
		for (b = 0; b < d->d_jobs[a]->ninst; b++)
			v[n++] = d->d_jobs[a]->inst[b];
	}
	if (n > 0)
		start_sorted(v, n);
	free(v);
	d->d_started = true;
	bus_set_phase(d->d_bus, DP_STARTED);
}

/* Start every instance of one job (reload: added or replaced). */
void
engine_start_job(struct job *j)
{
	int	i;

	for (i = 0; i < j->ninst && j->d->d_sd_phase == SD_NONE; i++)
		instance_event(j->inst[i], IE_START, 0);
}

static void
instance_free(struct instance *in)
{
	bus_forget(in->d->d_bus, in);
	if (in->ev_timer != NULL)
		event_free(in->ev_timer);
	strv_free(in->run_env);
	free(in->late_note);
	free(in->dep_note);
	cgroup_remove(in);
	output_instance_free(in);
	free(in);
}

void
engine_job_free(struct job *j)
{
	int	k;

	for (k = 0; k < j->ninst; k++)
		instance_free(j->inst[k]);
	free(j->inst);
	free(j->deps);
	free(j->rdeps);
	free(j->waitstop);
	free(j->cleanups_before);
	if (j->cron_ev != NULL)
		event_free(j->cron_ev);
	free(j->cron_key);
	free(j);
}

void
engine_free_jobs(struct drover *d)
{
	int			 i;

	struct retired_conf	*rc;

	for (i = 0; i < d->d_njobs; i++) {
		rc = d->d_jobs[i]->removed ? d->d_jobs[i]->retired_conf : NULL;
		engine_job_free(d->d_jobs[i]);
		if (rc != NULL && --rc->refs == 0) {
			config_free(rc->conf);
			free(rc);
		}
	}
	free(d->d_jobs);
	d->d_jobs = NULL;
	d->d_njobs = 0;
	for (i = 0; i < d->d_ngroups; i++) {
		free(d->d_groups[i]->name);
		free(d->d_groups[i]);
	}
	free(d->d_groups);
	d->d_groups = NULL;
	d->d_ngroups = 0;
	free(d->d_pidmap);
	d->d_pidmap = NULL;
	bus_free(d->d_bus);
	d->d_bus = NULL;
}

/* No instance of the job is running or about to run. */
bool
job_quiet(const struct job *j)
{
	int	i;

	for (i = 0; i < j->ninst; i++)
		if (!instance_quiet(j->inst[i]))
			return false;
	return true;
}

/* What a cleanup job's `after` waits for: a cleanup to have run, any
 * other job to be quiet. */
bool
job_stopped_for_cleanup(const struct job *j)
{
	return j->cfg->kind == JOB_CLEANUP ? job_cleanup_finished(j) :
	    job_quiet(j);
}

/* A cleanup job has run during this shutdown and is over. */
bool
job_cleanup_finished(const struct job *j)
{
	int	i;

	for (i = 0; i < j->ninst; i++)
		if (!j->inst[i]->sd_started || !instance_quiet(j->inst[i]))
			return false;
	return true;
}

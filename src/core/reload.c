/*
 * reload.c: SIGHUP (and `droverctl reload`) applies a new configuration by
 * difference (SPEC 6).
 *
 * The new file is parsed beside the running configuration.  With any error,
 * every error is logged and nothing changes.  Otherwise jobs are matched by
 * name:
 * - unchanged: the job keeps its instances and processes; its config
 *   pointer moves to the new config, so backoff, retries, timeouts,
 *   priorities and group bounds apply in place;
 * - changed (job_config_needs_restart(), a new group, or a new [drover]
 *   environment): the old job is stopped and retired, and a new job starts
 *   once every old instance is quiet;
 * - removed: stopped and retired; added: created and started.
 * Retired jobs keep their old config alive until they are freed, which
 * happens from a deferred event, never inside a state change.
 *
 * The bus is held while the table is rebuilt: what the stops and starts
 * publish, and the BUS_JOB events (added, removed, changed), are delivered
 * once the new table is whole.  The life cycle shows DP_RELOADING
 * meanwhile.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "bus.h"
#include "cron.h"
#include "drover.h"
#include "log.h"
#include "names.h"
#include "value.h"
#include "xmalloc.h"

static bool
job_was_up(const struct job *j)
{
	int	i;

	for (i = 0; i < j->ninst; i++)
		if (instance_active(j->inst[i]) || j->inst[i]->want == WANT_UP)
			return true;
	return false;
}

/* Named groups (not the implicit one of a job alone) by name. */
static struct names *
groups_by_name(struct drover *d)
{
	struct names	*t = names_new(false);
	int		 i;

	for (i = 0; i < d->d_ngroups; i++) {
		if (!d->d_groups[i]->implicit)
			names_add(t, d->d_groups[i]->name, i);
	}
	return t;
}

static struct jgroup *
group_for(struct drover *d, const struct job_config *c, struct job *old,
    struct names *groups)
{
	struct jgroup	*g;
	int		 i;

	if (c->group == NULL) {
		if (old != NULL && old->group->implicit)
			return old->group;
		g = engine_group_new(d, c->name, 0, true);
		return g;
	}
	if ((i = names_find(groups, c->group)) != -1)
		return d->d_groups[i];
	g = engine_group_new(d, c->group, 0, false);
	names_add(groups, g->name, d->d_ngroups - 1);	/* appended */
	return g;
}

static void
apply_group_bounds(struct drover *d, struct config *conf)
{
	struct names	*bounds = names_new(false);
	struct jgroup	*g;
	int		 i, k;

	for (k = 0; k < conf->ngroups; k++)
		names_add(bounds, conf->groups[k]->name, k);
	for (i = 0; i < d->d_ngroups; i++) {
		g = d->d_groups[i];
		if (!g->implicit &&
		    (k = names_find(bounds, g->name)) != -1)
			g->max = conf->groups[k]->max_concurrent;
	}
	names_free(bounds);
}

/* Point an unchanged job at its new config (same instances, same names). */
static void
adopt_config(struct job *j, struct job_config *c)
{
	int	i;

	j->cfg = c;
	for (i = 0; i < j->ninst; i++) {
		j->inst[i]->pc = &c->procs[i];
		j->inst[i]->name = c->procs[i].name;
	}
}

static void
publish_job(struct drover *d, struct job *j, enum bus_job what)
{
	struct bus_event	ev = { .type = BUS_JOB, .job = j, .jb = what };

	bus_publish(d->d_bus, &ev);
}

static void
retire(struct drover *d, struct job *j, struct retired_conf *rc)
{
	int	i;

	j->removed = true;
	j->start_when_free = false;
	j->retired_conf = rc;
	rc->refs++;
	for (i = 0; i < j->ninst; i++)
		instance_event(j->inst[i], IE_STOP, 0);
}

/* A retired job is gone: whoever waited for it waits for what it waited
 * for, or starts. */
static void
release_waiters(struct drover *d, struct job *gone)
{
	struct job	*nj;
	int		 k;

	for (k = 0; k < d->d_njobs; k++) {
		nj = d->d_jobs[k];
		if (nj == gone || nj->replaces != gone)
			continue;
		nj->replaces = gone->replaces;
		if (nj->replaces == NULL && nj->start_when_free && !nj->removed)
			engine_start_job(nj);
	}
}

/* Free retired jobs that have gone quiet; start what waited for them. */
static void
reload_progress_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover		*d = arg;
	struct job		*j;
	struct retired_conf	*rc;
	int			 i, n;

	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->removed && job_quiet(j))
			release_waiters(d, j);
	}
	/* free only once no job points at them any more */
	for (i = n = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (!j->removed || !job_quiet(j)) {
			d->d_jobs[n++] = j;
			continue;
		}
		rc = j->retired_conf;
		engine_job_free(j);
		if (--rc->refs == 0) {
			config_free(rc->conf);
			free(rc);
		}
	}
	d->d_njobs = n;
	if (d->d_sd_phase != SD_NONE)
		shutdown_step(d);
}

/* After any state change: retired jobs may be ready to go. */
void
reload_changed(struct drover *d)
{
	int	i;

	if (d->d_reload_ev == NULL)
		return;
	for (i = 0; i < d->d_njobs; i++)
		if (d->d_jobs[i]->removed && job_quiet(d->d_jobs[i])) {
			event_active(d->d_reload_ev, 0, 0);
			return;
		}
}

static bool
env_changed(const struct config *a, const struct config *b)
{
	return !strv_eq(a->environment, b->environment);
}

/* The old job a new config's job of this name replaces or keeps; taken
 * out of old[] (names: the old jobs still configured, by name). */
static struct job *
take_old(struct job **old, const struct names *names, const char *name)
{
	struct job	*o;
	int		 k;

	if ((k = names_find(names, name)) == -1 || (o = old[k]) == NULL)
		return NULL;
	old[k] = NULL;
	return o;
}

/*
 * The old jobs the new config does not name are retired; they stay in the
 * table, after the new ones, until they are quiet.  How many were retired.
 */
static int
retire_rest(struct drover *d, struct job **old, int nold,
    struct retired_conf *rc)
{
	int	k, n = 0;

	for (k = 0; k < nold; k++) {
		if (old[k] == NULL)
			continue;
		if (!old[k]->removed) {
			log_info("reload: %s removed, stopping it",
			    old[k]->cfg->name);
			retire(d, old[k], rc);
			publish_job(d, old[k], BJ_REMOVED);
			n++;
		}
		d->d_jobs[d->d_njobs++] = old[k];
	}
	return n;
}

/* Apply a valid new config by difference. */
static void
apply(struct drover *d, struct config *nc)
{
	struct config		*oc = d->d_conf;
	struct retired_conf	*rc = xcalloc(1, sizeof(*rc));
	struct job		**old = d->d_jobs, *o, *nj, **added;
	struct names		*oldnames = names_new(false), *groups;
	int			 nold = d->d_njobs, i, k, nadded = 0;
	int			 nkept = 0, nchanged = 0, nremoved = 0;
	bool			 allenv = env_changed(oc, nc);

	rc->conf = oc;
	rc->refs = 1;		/* dropped below, after the diff */
	d->d_jobs = xcalloc((size_t)nold + (size_t)nc->njobs,
	    sizeof(*d->d_jobs));
	d->d_njobs = 0;
	added = xcalloc((size_t)nc->njobs + 1, sizeof(*added));
	for (k = 0; k < nold; k++) {
		if (!old[k]->removed)
			names_add(oldnames, old[k]->cfg->name, k);
	}
	groups = groups_by_name(d);
	for (i = 0; i < nc->njobs; i++) {
		o = take_old(old, oldnames, nc->jobs[i]->name);
		if (o != NULL && !allenv &&
		    !job_config_needs_restart(o->cfg, nc->jobs[i]) &&
		    ((o->cfg->group == NULL && nc->jobs[i]->group == NULL) ||
		    (o->cfg->group != NULL && nc->jobs[i]->group != NULL &&
		    strcmp(o->cfg->group, nc->jobs[i]->group) == 0))) {
			adopt_config(o, nc->jobs[i]);
			d->d_jobs[d->d_njobs++] = o;
			nkept++;
			continue;
		}
		nj = engine_job_new(d, nc->jobs[i],
		    group_for(d, nc->jobs[i], o, groups));
		d->d_jobs[d->d_njobs++] = nj;
		if (o != NULL) {
			log_info("reload: %s changed, restarting it", o->cfg->name);
			nj->replaces = o;	/* o may wait for an older one */
			nj->start_when_free = job_was_up(o) ||
			    (nc->jobs[i]->autostart &&
			    nc->jobs[i]->kind != JOB_CLEANUP);
			retire(d, o, rc);
			d->d_jobs[d->d_njobs++] = o;
			publish_job(d, nj, BJ_CHANGED);
			nchanged++;
		} else {
			log_info("reload: %s added", nj->cfg->name);
			publish_job(d, nj, BJ_ADDED);
			if (nj->cfg->autostart && nj->cfg->kind != JOB_CLEANUP &&
			    !cron_job_timed(nj->cfg))	/* cron.c arms it */
				added[nadded++] = nj;
		}
	}
	nremoved = retire_rest(d, old, nold, rc);
	names_free(groups);
	names_free(oldnames);	/* its names are in the old config */
	free(old);
	d->d_conf = nc;
	d->d_max_tasks = nc->max_concurrent;
	apply_group_bounds(d, nc);
	engine_relink(d);
	if (--rc->refs == 0) {
		config_free(rc->conf);
		free(rc);
	}
	log_notice("reload: %d unchanged, %d restarted, %d added, %d removed",
	    nkept, nchanged, nadded, nremoved);
	for (i = 0; i < nadded; i++)
		engine_start_job(added[i]);
	free(added);
	sched_recheck_waiting(d);
	sched_pump(d);
	reload_changed(d);
}

/* Reload the configuration file; 0 if applied, -1 (nothing changed). */
int
reload_request(struct drover *d, char *err, size_t errsz)
{
	struct config_env	 env;
	struct diag		 dg;
	struct config		*nc;
	enum dphase		 phase;
	int			 i;

	d->d_reloads++;
	if (d->d_sd_phase != SD_NONE) {
		d->d_reload_failures++;
		log_warnx("reload refused: shutting down");
		snprintf(err, errsz, "shutting down");
		return -1;
	}
	log_notice("reload: reading %s", d->d_confpath);
	if (getenv("NOTIFY_SOCKET") != NULL)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)d->d_ops->now() * 1000);
	config_env_default(&env);
	diag_init(&dg);
	nc = config_load(d->d_confpath, &env, &dg);
	for (i = 0; i < dg.nwarnings; i++)
		log_warnx("%s", dg.warnings[i]);
	for (i = 0; i < dg.nerrors; i++)
		log_error("%s", dg.errors[i]);
	if (nc == NULL) {
		d->d_reload_failures++;
		log_error("reload: %d errors, keeping the running "
		    "configuration", dg.nerrors);
		snprintf(err, errsz, "%d errors in %s%s%s", dg.nerrors,
		    d->d_confpath, dg.nerrors > 0 ? ": " : "",
		    dg.nerrors > 0 ? dg.errors[0] : "");
		diag_free(&dg);
		notify_ready_again(d);
		return -1;
	}
	diag_free(&dg);
	if (nc->log_level >= 0 && !d->d_level_from_cli)
		log_setlevel(nc->log_level);
	if ((nc->socket == NULL) != (d->d_conf->socket == NULL) ||
	    (nc->socket != NULL && strcmp(nc->socket, d->d_conf->socket) != 0))
		log_warnx("reload: the control socket changes only at restart");
	if (d->d_reload_ev == NULL && d->d_base != NULL)
		d->d_reload_ev = event_new(d->d_base, -1, 0, reload_progress_cb,
		    d);
	phase = bus_phase(d->d_bus);
	bus_set_phase(d->d_bus, DP_RELOADING);
	bus_hold(d->d_bus);
	apply(d, nc);
	bus_release(d->d_bus);
	bus_set_phase(d->d_bus, phase);
	notify_ready_again(d);
	return 0;
}

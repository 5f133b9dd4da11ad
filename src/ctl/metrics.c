/*
 * metrics.c: what drover knows, as Prometheus metrics (metrics.h).
 *
 * Per instance: its state (one-hot), the counters history.c keeps (runs
 * by result, failures, restarts, time per state, the duration
 * histogram), its last exit, its uptime.  Drover's own: uptime, loop lag,
 * fds, RSS, queues, slots, event listener queues and drops, reloads, the
 * shutdown phase, the build.  Families are written one after the other,
 * each with all its series, as the format requires; jobs a reload
 * removed (still stopping) are left out, so a name is never repeated.
 *
 * Loop lag comes from the instance timers drover arms anyway (main.c
 * tells us how late each one fired): measuring it needs no timer of its
 * own, so an idle drover still wakes up 0 times.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "bus.h"
#include "drover.h"
#include "history.h"
#include "metrics.h"
#include "promtext.h"
#include "xmalloc.h"

struct metrics {
	int64_t		 start_wall;	/* ms */
	int64_t		 start_mono;
	int64_t		 lag_ms;	/* the last timer's */
	int64_t		 lag_max_ms;
	uint64_t	 lag_samples;
};

static const char *const sd_phase_names[] = {
	[SD_NONE] = "none", [SD_DRAIN] = "drain", [SD_CANCEL] = "cancel",
	[SD_KILL] = "kill", [SD_DONE] = "done",
};

void
metrics_init(struct drover *d)
{
	struct metrics	*m = xcalloc(1, sizeof(*m));

	m->start_wall = d->d_ops->wallclock();
	m->start_mono = d->d_ops->now();
	d->d_metrics = m;
}

void
metrics_fini(struct drover *d)
{
	free(d->d_metrics);
	d->d_metrics = NULL;
}

void
metrics_loop_lag(struct drover *d, int64_t late_ms)
{
	struct metrics	*m = d->d_metrics;

	if (m == NULL)
		return;
	if (late_ms < 0)
		late_ms = 0;
	m->lag_ms = late_ms;
	if (late_ms > m->lag_max_ms)
		m->lag_max_ms = late_ms;
	m->lag_samples++;
}

/* --- per instance ------------------------------------------------------- */

/* Every instance of a job that is not being removed. */
#define FOREACH_INSTANCE(d, i, k, in)					\
	for ((i) = 0; (i) < (d)->d_njobs; (i)++)			\
		if (!(d)->d_jobs[(i)]->removed)				\
			for ((k) = 0; (k) < (d)->d_jobs[(i)]->ninst &&	\
			    ((in) = (d)->d_jobs[(i)]->inst[(k)], 1); (k)++)

static void
inst_state(struct drover *d, struct evbuffer *b, int64_t now)
{
	struct instance	*in;
	struct hist	*e;
	int		 i, k, s;
	const char	*l[] = { "job", NULL, "instance", NULL, "state", NULL,
			    NULL };

	promtext_family(b, "drover_job_state", "gauge", "1 for the state "
	    "each instance is in, 0 for the others.");
	FOREACH_INSTANCE(d, i, k, in) {
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		for (s = 0; s < JS__MAX; s++) {
			l[5] = jstate_names[s];
			promtext_sample_u64(b, "drover_job_state", l,
			    in->state == (enum jstate)s);
		}
	}
	promtext_family(b, "drover_job_state_seconds_total", "counter",
	    "Time each instance has spent in each state since drover "
	    "started.");
	FOREACH_INSTANCE(d, i, k, in) {
		e = history_of(in);
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		for (s = 0; s < JS__MAX; s++) {
			l[5] = jstate_names[s];
			promtext_sample_ms(b, "drover_job_state_seconds_total",
			    l, history_state_ms(e, (enum jstate)s, now));
		}
	}
}

static void
inst_info(struct drover *d, struct evbuffer *b, int64_t now)
{
	struct instance	*in;
	int		 i, k;
	const char	*l[] = { "job", NULL, "instance", NULL, "kind", NULL,
			    "group", NULL, NULL };

	promtext_family(b, "drover_job_info", "gauge", "1 for each "
	    "configured instance: its job, kind and group.");
	FOREACH_INSTANCE(d, i, k, in) {
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		l[5] = job_kind_name(in->job->cfg->kind);
		l[7] = in->job->group->implicit ? "" : in->job->group->name;
		promtext_sample_u64(b, "drover_job_info", l, 1);
	}
	l[4] = NULL;
	promtext_family(b, "drover_job_uptime_seconds", "gauge", "How long "
	    "the instance's current run has lasted; 0 when none runs.");
	FOREACH_INSTANCE(d, i, k, in)
		promtext_sample_ms(b, "drover_job_uptime_seconds",
		    (l[1] = in->job->cfg->name, l[3] = in->name, l),
		    instance_active(in) && !(in->rflags & RUN_REAPED) ?
		    now - in->run_start : 0);
}

static void
inst_counters(struct drover *d, struct evbuffer *b)
{
	struct instance	*in;
	struct hist	*e;
	uint64_t	 fails;
	int		 i, k, r;
	const char	*l[] = { "job", NULL, "instance", NULL, "result", NULL,
			    NULL };

	promtext_family(b, "drover_job_runs_total", "counter", "Runs that "
	    "ended since drover started, by result (ok, failed, killed, "
	    "timeout, cancelled, spawn-error).");
	FOREACH_INSTANCE(d, i, k, in) {
		e = history_of(in);
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		for (r = RES_OK; r < RES__MAX; r++) {
			l[5] = result_names[r];
			promtext_sample_u64(b, "drover_job_runs_total", l,
			    e->by_result[r]);
		}
	}
	l[4] = NULL;
	promtext_family(b, "drover_job_failures_total", "counter", "Runs "
	    "that failed: failed, killed, timeout or spawn-error (not "
	    "cancelled).");
	FOREACH_INSTANCE(d, i, k, in) {
		e = history_of(in);
		fails = e->by_result[RES_FAILED] + e->by_result[RES_KILLED] +
		    e->by_result[RES_TIMEOUT] + e->by_result[RES_SPAWN_ERROR];
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		promtext_sample_u64(b, "drover_job_failures_total", l, fails);
	}
	promtext_family(b, "drover_job_restarts_total", "counter", "Times "
	    "drover started the instance again by itself (autorestart, "
	    "retries).");
	FOREACH_INSTANCE(d, i, k, in) {
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		promtext_sample_u64(b, "drover_job_restarts_total", l,
		    history_of(in)->restarts);
	}
}

static void
inst_runs(struct drover *d, struct evbuffer *b)
{
	struct instance	*in;
	struct hist	*e;
	char		 les[HIST_NBUCKETS][PROMTEXT_LE_MAX];
	const char	*le[HIST_NBUCKETS];
	int		 i, k;
	const char	*l[] = { "job", NULL, "instance", NULL, NULL };

	promtext_le(hist_buckets, HIST_NBUCKETS, les);
	for (i = 0; i < HIST_NBUCKETS; i++)
		le[i] = les[i];
	promtext_family(b, "drover_job_run_duration_seconds", "histogram",
	    "How long runs lasted, from spawn to the main process's exit "
	    "(runs that never had a process are not counted).");
	FOREACH_INSTANCE(d, i, k, in) {
		e = history_of(in);
		l[1] = in->job->cfg->name;
		l[3] = in->name;
		promtext_histogram(b, "drover_job_run_duration_seconds", l,
		    le, e->dur_count, HIST_NBUCKETS, e->dur_n,
		    e->dur_sum_ms);
	}
	promtext_family(b, "drover_job_last_exit_code", "gauge", "Exit "
	    "code of the instance's last run; absent if it has not exited "
	    "with one (never ran, or killed by a signal).");
	FOREACH_INSTANCE(d, i, k, in)
		if (in->last.result != RES_NONE && in->last.code >= 0)
			promtext_sample_u64(b, "drover_job_last_exit_code",
			    (l[1] = in->job->cfg->name, l[3] = in->name, l),
			    (uint64_t)in->last.code);
	promtext_family(b, "drover_job_last_exit_signal", "gauge", "Number "
	    "of the signal that ended the instance's last run; absent if "
	    "no signal did.");
	FOREACH_INSTANCE(d, i, k, in)
		if (in->last.result != RES_NONE && in->last.signal > 0)
			promtext_sample_u64(b, "drover_job_last_exit_signal",
			    (l[1] = in->job->cfg->name, l[3] = in->name, l),
			    (uint64_t)in->last.signal);
	promtext_family(b, "drover_job_last_run_end_timestamp_seconds",
	    "gauge", "When the instance's last run ended (Unix time); "
	    "absent if it never ran.");
	FOREACH_INSTANCE(d, i, k, in)
		if (in->last.result != RES_NONE)
			promtext_sample_ms(b,
			    "drover_job_last_run_end_timestamp_seconds",
			    (l[1] = in->job->cfg->name, l[3] = in->name, l),
			    in->last.end);
}

/* --- drover's own ------------------------------------------------------- */

static int
open_fds(void)
{
	struct dirent	*de;
	DIR		*dir;
	int		 n = 0;

	if ((dir = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;		/* the directory's own */
}

/* statm: "size resident shared ...", in pages */
static int64_t
rss_bytes(void)
{
	FILE		*f;
	char		 buf[128], *p, *end;
	long long	 rss;

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strchr(buf, ' ')) == NULL)
		return -1;
	rss = strtoll(p + 1, &end, 10);
	if (end == p + 1 || rss < 0)
		return -1;
	return rss * sysconf(_SC_PAGESIZE);
}

static void
gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
	promtext_family(b, name, "gauge", help);
	promtext_sample(b, name, NULL, v);
}

static void
counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	promtext_family(b, name, "counter", help);
	promtext_sample_u64(b, name, NULL, v);
}

static void
self_process(struct drover *d, struct evbuffer *b, int64_t now)
{
	struct metrics	*m = d->d_metrics;
	struct rlimit	 rl;
	const char	*l[] = { "version", PACKAGE_VERSION, NULL };
	int64_t		 v;

	promtext_family(b, "drover_build_info", "gauge", "Always 1: drover's "
	    "version as a label.");
	promtext_sample_u64(b, "drover_build_info", l, 1);
	promtext_family(b, "drover_start_time_seconds", "gauge", "When "
	    "drover started (Unix time).");
	promtext_sample_ms(b, "drover_start_time_seconds", NULL,
	    m != NULL ? m->start_wall : 0);
	promtext_family(b, "drover_uptime_seconds", "gauge", "How long "
	    "drover has been running.");
	promtext_sample_ms(b, "drover_uptime_seconds", NULL,
	    m != NULL ? now - m->start_mono : 0);
	promtext_family(b, "drover_loop_lag_seconds", "gauge", "How late "
	    "the last instance timer fired: the time the event loop was "
	    "busy before it could run it.");
	promtext_sample_ms(b, "drover_loop_lag_seconds", NULL,
	    m != NULL ? m->lag_ms : 0);
	promtext_family(b, "drover_loop_lag_max_seconds", "gauge", "The "
	    "largest loop lag seen since drover started.");
	promtext_sample_ms(b, "drover_loop_lag_max_seconds", NULL,
	    m != NULL ? m->lag_max_ms : 0);
	counter(b, "drover_loop_lag_samples_total", "Instance timers that "
	    "measured the loop lag.", m != NULL ? m->lag_samples : 0);
	if ((v = open_fds()) >= 0)
		gauge(b, "drover_open_fds", "File descriptors drover has "
		    "open.", (double)v);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		gauge(b, "drover_max_fds", "drover's limit on open file "
		    "descriptors (RLIMIT_NOFILE, soft).", (double)rl.rlim_cur);
	if ((v = rss_bytes()) >= 0)
		gauge(b, "drover_resident_memory_bytes", "drover's resident "
		    "set size.", (double)v);
}

static void
self_sched(struct drover *d, struct evbuffer *b)
{
	struct instance	*in;
	struct jgroup	*g;
	int		 i, k, queued = 0;
	const char	*l[] = { "group", NULL, NULL };

	FOREACH_INSTANCE(d, i, k, in)
		queued += in->state == JS_QUEUED;
	gauge(b, "drover_queued_instances", "Instances waiting to start "
	    "(state QUEUED: for a slot or a dependency).", queued);
	gauge(b, "drover_active_runs", "Runs in progress.", d->d_nactive);
	promtext_family(b, "drover_group_slots_used", "gauge", "Slots of "
	    "each [group:x] held by its running jobs.");
	for (i = 0; i < d->d_ngroups; i++)
		if (!(g = d->d_groups[i])->implicit)
			promtext_sample_u64(b, "drover_group_slots_used",
			    (l[1] = g->name, l), (uint64_t)g->running);
	promtext_family(b, "drover_group_slots_max", "gauge", "The bound "
	    "of each [group:x] that has one (max_concurrent).");
	for (i = 0; i < d->d_ngroups; i++)
		if (!(g = d->d_groups[i])->implicit && g->max > 0)
			promtext_sample_u64(b, "drover_group_slots_max",
			    (l[1] = g->name, l), (uint64_t)g->max);
	gauge(b, "drover_task_slots_used", "Global task slots held "
	    "([drover] max_concurrent).", d->d_running_tasks);
	if (d->d_max_tasks > 0)
		gauge(b, "drover_task_slots_max", "The global bound on running "
		    "tasks ([drover] max_concurrent).", d->d_max_tasks);
}

static void
self_events(struct drover *d, struct evbuffer *b)
{
	uint64_t	 dropped;
	int		 i, queued;
	const char	*l[] = { "pool", NULL, NULL };

	promtext_family(b, "drover_listener_events_queued", "gauge", "Events "
	    "waiting in each event listener pool's queue.");
	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed && d->d_jobs[i]->cfg->listener &&
		    evlisten_pool_stats(d->d_jobs[i]->cfg->name, &queued,
		    &dropped))
			promtext_sample_u64(b, "drover_listener_events_queued",
			    (l[1] = d->d_jobs[i]->cfg->name, l),
			    (uint64_t)queued);
	promtext_family(b, "drover_listener_events_dropped_total", "counter",
	    "Events each pool dropped: its queue was full (buffer_size), "
	    "a reload shrank it, or removed the pool.");
	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed && d->d_jobs[i]->cfg->listener &&
		    evlisten_pool_stats(d->d_jobs[i]->cfg->name, &queued,
		    &dropped))
			promtext_sample_u64(b,
			    "drover_listener_events_dropped_total",
			    (l[1] = d->d_jobs[i]->cfg->name, l), dropped);
	counter(b, "drover_events_dropped_total", "Events dropped by all "
	    "event listener pools since drover started.",
	    d->d_events_dropped);
	counter(b, "drover_bus_events_total", "Events delivered on drover's "
	    "internal bus (state changes, results, ...).",
	    d->d_bus != NULL ? bus_delivered(d->d_bus) : 0);
}

static void
self_life(struct drover *d, struct evbuffer *b)
{
	const char	*l[] = { "phase", NULL, NULL };
	int		 p;

	counter(b, "drover_reloads_total", "Reloads asked for (SIGHUP, "
	    "droverctl reload).", d->d_reloads);
	counter(b, "drover_reload_failures_total", "Reloads refused: a "
	    "configuration with errors, or drover shutting down.",
	    d->d_reload_failures);
	promtext_family(b, "drover_shutdown_phase", "gauge", "1 for the "
	    "shutdown phase drover is in (none while it runs), 0 for the "
	    "others.");
	for (p = SD_NONE; p <= SD_DONE; p++) {
		l[1] = sd_phase_names[p];
		promtext_sample_u64(b, "drover_shutdown_phase", l,
		    d->d_sd_phase == (enum shutdown_phase)p);
	}
}

void
metrics_render(struct drover *d, struct evbuffer *dst)
{
	int64_t	now = d->d_ops->now();

	inst_info(d, dst, now);
	inst_state(d, dst, now);
	inst_counters(d, dst);
	inst_runs(d, dst);
	self_process(d, dst, now);
	self_sched(d, dst);
	self_events(d, dst);
	self_life(d, dst);
}

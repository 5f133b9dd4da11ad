/*
 * control_cmd.c: control requests (droverctl(1) documents the protocol),
 * once control_proto.c has decoded them: resolving names into instances,
 * acting through instance_event(), and building the replies with jansson
 * (a status reply's instances: control_status.c).
 *
 * stop replies once every named instance has settled (no run, not
 * queued); start, restart and run once each one is up, queued for a slot,
 * or has failed.  A wait keeps instance *names*, not pointers, because a
 * reload may free an instance meanwhile, and it is bounded by a timer
 * (control.c) computed from the jobs' own stop and start bounds.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "control.h"
#include "control_int.h"
#include "control_proto.h"
#include "control_status.h"
#include "drover.h"
#include "history_json.h"
#include "log.h"
#include "metrics.h"
#include "value.h"
#include "xmalloc.h"

/* What to do with a decoded request (control_proto.c checked its syntax). */
struct command {
	bool		 in_shutdown;	/* allowed while shutting down */
	bool		 query;		/* changes nothing: logged at debug,
					 * so a --watch or a scraper does not
					 * fill the log */
	json_t		*(*fn)(struct ctl_conn *, struct ctl_request *);
};

static json_t	*cmd_status(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_start(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_stop(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_restart(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_run(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_signal(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_reload(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_shutdown(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_version(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_history(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_metrics(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_tail(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_maintail(struct ctl_conn *, struct ctl_request *);
static json_t	*cmd_clear(struct ctl_conn *, struct ctl_request *);

static const struct command commands[CTL__MAX] = {
	[CTL_STATUS] = { true, true, cmd_status },
	[CTL_START] = { false, false, cmd_start },
	[CTL_STOP] = { true, false, cmd_stop },
	[CTL_RESTART] = { false, false, cmd_restart },
	[CTL_RUN] = { false, false, cmd_run },
	[CTL_SIGNAL] = { true, false, cmd_signal },
	[CTL_RELOAD] = { false, false, cmd_reload },
	[CTL_SHUTDOWN] = { true, false, cmd_shutdown },
	[CTL_VERSION] = { true, true, cmd_version },
	[CTL_HISTORY] = { true, true, cmd_history },
	[CTL_METRICS] = { true, true, cmd_metrics },
	[CTL_TAIL] = { true, true, cmd_tail },
	[CTL_MAINTAIL] = { true, true, cmd_maintail },
	[CTL_CLEAR] = { true, false, cmd_clear },
};


/* A failed reply to request r, logged with the peer. */
static json_t * __attribute__((format(printf, 4, 5)))
reply_fail(struct ctl_conn *cc, const struct ctl_request *r, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;
	json_t	*o;

	va_start(ap, fmt);
	o = ctl_reply_verror(r, code, fmt, ap);
	va_end(ap);
	log_info("control: uid %u pid %ld: %s: %s", (unsigned)cc->cc_uid,
	    (long)cc->cc_pid, code,
	    json_string_value(json_object_get(o, "message")));
	return o;
}

/* --- names ---------------------------------------------------------------- */

static void
ivec_add(struct ivec *v, struct instance *in)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		if (v->v[i] == in)
			return;
	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	v->v[v->n++] = in;
}

static void
ivec_add_job(struct ivec *v, struct job *j)
{
	int	k;

	for (k = 0; k < j->ninst; k++)
		ivec_add(v, j->inst[k]);
}

/* The jobs of [group:NAME] (not the implicit per-job groups). */
static bool
add_group(struct drover *d, const char *name, struct ivec *v)
{
	struct job	*j;
	bool		 found = false;
	int		 i;

	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (!j->removed && !j->group->implicit &&
		    strcmp(j->group->name, name) == 0) {
			ivec_add_job(v, j);
			found = true;
		}
	}
	return found;
}

/* PREFIX:REST, REST not "*": JOB:N (process_num), JOB:INSTANCE,
 * GROUP:INSTANCE (supervisorctl's spelling), group:GROUP. */
static bool
resolve_pair(struct drover *d, const char *prefix, const char *rest,
    struct ivec *v)
{
	struct instance	*in;
	struct job	*j;
	long		 num;
	int		 k;

	if (strcmp(prefix, "group") == 0 && add_group(d, rest, v))
		return true;
	j = engine_find_job(d, prefix);
	if (j != NULL && value_int(rest, 0, INT_MAX, &num) == 0) {
		for (k = 0; k < j->ninst; k++)
			if (j->inst[k]->pc->num == num) {
				ivec_add(v, j->inst[k]);
				return true;
			}
		return false;
	}
	if ((in = engine_find_instance(d, rest)) == NULL)
		return false;
	if (strcmp(in->job->cfg->name, prefix) != 0 &&
	    (in->job->group->implicit ||
	    strcmp(in->job->group->name, prefix) != 0))
		return false;
	ivec_add(v, in);
	return true;
}

/* One NAME (droverctl(1) NAMES) into instances; false if it matches none. */
static bool
resolve_one(struct drover *d, const char *name, struct ivec *v)
{
	struct instance	*in;
	struct job	*j;
	const char	*colon;
	char		*prefix;
	bool		 found;
	int		 i;

	if ((in = engine_find_instance(d, name)) != NULL) {
		ivec_add(v, in);
		return true;
	}
	if ((j = engine_find_job(d, name)) != NULL) {
		ivec_add_job(v, j);
		return true;
	}
	if (strcmp(name, "all") == 0) {
		for (i = 0; i < d->d_njobs; i++)
			if (!d->d_jobs[i]->removed &&
			    d->d_jobs[i]->cfg->kind != JOB_CLEANUP)
				ivec_add_job(v, d->d_jobs[i]);
		return true;
	}
	if ((colon = strchr(name, ':')) == NULL)
		return false;
	prefix = xstrndup(name, (size_t)(colon - name));
	if (strcmp(colon + 1, "*") == 0) {
		found = add_group(d, prefix, v);
		if (!found && (j = engine_find_job(d, prefix)) != NULL) {
			ivec_add_job(v, j);
			found = true;
		}
	} else
		found = resolve_pair(d, prefix, colon + 1, v);
	free(prefix);
	return found;
}

/* "unknown-job", with the closest name when there is one. */
static json_t *
unknown_name(struct ctl_conn *cc, struct ctl_request *r, const char *name)
{
	struct drover	 *d = cc->cc_ctl->c_d;
	const char	**cand;
	const char	 *near;
	size_t		  n = 0;
	int		  i, k;
	json_t		 *o;

	for (i = 0; i < d->d_njobs; i++)
		n += 1 + (size_t)d->d_jobs[i]->ninst;
	cand = xcalloc(n + 1, sizeof(*cand));
	n = 0;
	for (i = 0; i < d->d_njobs; i++) {
		cand[n++] = d->d_jobs[i]->cfg->name;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			cand[n++] = d->d_jobs[i]->inst[k]->name;
	}
	near = value_suggest(name, cand);
	o = reply_fail(cc, r, CTL_E_UNKNOWN_JOB, "no job, instance or group "
	    "named '%s'%s%s%s", name, near ? " (did you mean '" : "",
	    near ? near : "", near ? "'?)" : "");
	free(cand);
	return o;
}

/* The request's NAMEs (from arg first on); NULL, or the error reply. */
static json_t *
resolve(struct ctl_conn *cc, struct ctl_request *r, size_t first,
    size_t last, struct ivec *v)
{
	struct drover	*d = cc->cc_ctl->c_d;
	size_t		 i;

	for (i = first; i < last; i++)
		if (!resolve_one(d, r->cr_args[i], v))
			return unknown_name(cc, r, r->cr_args[i]);
	return NULL;
}

/* --- waits ---------------------------------------------------------------- */

static bool
settled_down(const struct instance *in)
{
	return !instance_active(in) && in->state != JS_QUEUED;
}

/* Up, queued for a slot, done (a quick task), or given up. */
static bool
settled_up(const struct instance *in)
{
	if (in->state == JS_STARTING)
		return false;
	if (in->state == JS_STOPPING)
		return in->want == WANT_DOWN;	/* stopped by someone else */
	return true;
}

/* Did a settled start not work? */
static bool
up_failed(const struct instance *in)
{
	bool	task = in->job->cfg->kind != JOB_SERVICE;

	switch (in->state) {
	case JS_FATAL:
	case JS_STOPPED:
	case JS_STOPPING:
		return true;
	case JS_BACKOFF:
		return !task || in->last.result == RES_SPAWN_ERROR;
	case JS_EXITED:
		return in->last.result == RES_SPAWN_ERROR ||
		    in->last.result == RES_CANCELLED;
	default:
		return false;
	}
}

static void
describe(char *buf, size_t sz, const struct instance *in)
{
	size_t	len = strlen(buf);

	if (len + 4 >= sz)
		return;
	snprintf(buf + len, sz - len, "%s%s %s%s%s%s%s", len > 0 ? ", " : "",
	    in->name, jstate_names[in->state], in->last.result != RES_NONE ?
	    " (last " : "", in->last.result != RES_NONE ?
	    result_names[in->last.result] : "", in->last.note[0] != '\0' ?
	    ": " : "", in->last.note);
	if (in->last.result != RES_NONE && strlen(buf) + 2 < sz)
		strcat(buf, ")");
}

static void
wait_resolve(struct drover *d, struct ctl_wait *w, struct ivec *v)
{
	struct instance	*in;
	char		**n;

	for (n = w->w_names; *n != NULL; n++)
		if ((in = engine_find_instance(d, *n)) != NULL)
			ivec_add(v, in);
}

/* The final reply of a wait (settled, timed out, or drover exiting). */
static json_t *
wait_reply(struct ctl_wait *w, enum wait_why why)
{
	struct ctl_conn	*cc = w->w_conn;
	struct drover	*d = cc->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	char		 pending[400] = "", failed[400] = "";
	json_t		*o = w->w_reply;
	size_t		 i;
	bool		 done;

	w->w_reply = NULL;
	wait_resolve(d, w, &v);
	for (i = 0; i < v.n; i++) {
		done = w->w_kind == WAIT_DOWN ? settled_down(v.v[i]) :
		    settled_up(v.v[i]);
		if (!done)
			describe(pending, sizeof(pending), v.v[i]);
		else if (w->w_kind == WAIT_UP && up_failed(v.v[i]))
			describe(failed, sizeof(failed), v.v[i]);
	}
	jset(o, "instances", instances_json(d, &v));
	free(v.v);
	if (pending[0] != '\0' || failed[0] != '\0') {
		jset(o, "ok", json_false());
		jset(o, "error", jstr(pending[0] == '\0' ? CTL_E_FAILED :
		    why == WAIT_TIMEOUT ? CTL_E_TIMEOUT : CTL_E_FAILED));
		if (pending[0] != '\0')
			snprintf(failed, sizeof(failed), "%s %llds, still: %s",
			    why == WAIT_TIMEOUT ? "gave up waiting after" :
			    "drover is exiting after", (long long)
			    ((w->w_bound + 999) / 1000), pending);
		jset(o, "message", jstr(failed));
		log_info("control: uid %u pid %ld: %s: %s",
		    (unsigned)cc->cc_uid, (long)cc->cc_pid,
		    json_string_value(json_object_get(o, "error")), failed);
	}
	return o;
}

/* Has the wait settled (or must it end)?  If so, reply and say true. */
static bool
ctl_wait_check(struct ctl_wait *w, enum wait_why why)
{
	struct drover	*d = w->w_conn->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	size_t		 i;
	bool		 done = true;

	if (why == WAIT_CHANGED) {
		wait_resolve(d, w, &v);
		for (i = 0; i < v.n && done; i++)
			done = w->w_kind == WAIT_DOWN ?
			    settled_down(v.v[i]) : settled_up(v.v[i]);
		free(v.v);
		if (!done)
			return false;
	}
	ctl_conn_reply(w->w_conn, wait_reply(w, why));
	return true;
}

static void
ctl_wait_free(struct ctl_wait *w)
{
	if (w->w_timer != NULL)
		event_free(w->w_timer);
	strv_free(w->w_names);
	if (w->w_reply != NULL)
		json_decref(w->w_reply);
	free(w);
}

/* Reply now (settled, or --no-wait), or wait for the instances. */
static json_t *
wait_or_reply(struct ctl_conn *cc, struct ctl_request *r, struct ivec *v,
    int kind, int64_t bound)
{
	struct ctl_wait	*w = xcalloc(1, sizeof(*w));
	json_t		*o;
	size_t		 i;

	w->w_conn = cc;
	w->w_kind = kind;
	w->w_bound = bound;
	w->w_reply = ctl_reply_new(r, true);
	w->w_names = strv_new();
	for (i = 0; i < v->n; i++)
		strv_push(&w->w_names, v->v[i]->name);
	if (!r->cr_wait) {
		o = w->w_reply;
		w->w_reply = NULL;
		jset(o, "instances", instances_json(cc->cc_ctl->c_d, v));
		free(v->v);
		ctl_wait_free(w);
		return o;
	}
	free(v->v);
	if (ctl_wait_check(w, WAIT_CHANGED)) {
		ctl_wait_free(w);
		return NULL;
	}
	ctl_conn_wait_begin(cc, w, bound);
	return NULL;
}

/* How long a stop may take: stopwaitsecs, then the kill grace. */
static int64_t
bound_stop(const struct ivec *v)
{
	int64_t	max = 0, t;
	size_t	i;

	for (i = 0; i < v->n; i++) {
		t = v->v[i]->job->cfg->stopwaitsecs + KILL_GRACE_MS;
		if (t > max)
			max = t;
	}
	return max + CONTROL_WAIT_SLACK_MS;
}

/* How long a start may take: a stop in progress, then becoming ready. */
static int64_t
bound_start(const struct ivec *v)
{
	const struct job_config	*c;
	int64_t			 max = 0, t;
	size_t			 i;

	for (i = 0; i < v->n; i++) {
		c = v->v[i]->job->cfg;
		t = c->stopwaitsecs + KILL_GRACE_MS;
		if (c->ready == READY_NOTIFY)
			t += c->start_timeout;
		else if (c->ready == READY_STARTSECS)
			t += c->startsecs;
		if (t > max)
			max = t;
	}
	return max + CONTROL_WAIT_SLACK_MS;
}

/* --- commands ------------------------------------------------------------- */

static json_t *
cmd_status(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover	*d = cc->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	json_t		*o;
	int		 i;

	if (r->cr_nargs == 0) {
		for (i = 0; i < d->d_njobs; i++)
			ivec_add_job(&v, d->d_jobs[i]);
	} else if ((o = resolve(cc, r, 0, r->cr_nargs, &v)) != NULL) {
		free(v.v);
		return o;
	}
	o = ctl_reply_new(r, true);
	jset(o, "drover", drover_json(d));
	jset(o, "instances", instances_json(d, &v));
	free(v.v);
	return o;
}

/* Post ev to every named instance, then reply or wait. */
static json_t *
act(struct ctl_conn *cc, struct ctl_request *r, enum ievent ev)
{
	struct ivec	 v = { NULL, 0 };
	json_t		*o;
	int64_t		 bound;
	size_t		 i;

	if ((o = resolve(cc, r, 0, r->cr_nargs, &v)) != NULL) {
		free(v.v);
		return o;
	}
	bound = ev == IE_STOP ? bound_stop(&v) : bound_start(&v);
	for (i = 0; i < v.n; i++)
		instance_event(v.v[i], ev, 0);
	return wait_or_reply(cc, r, &v, ev == IE_STOP ? WAIT_DOWN : WAIT_UP,
	    bound);
}

static json_t *
cmd_start(struct ctl_conn *cc, struct ctl_request *r)
{
	return act(cc, r, IE_START);
}

static json_t *
cmd_stop(struct ctl_conn *cc, struct ctl_request *r)
{
	return act(cc, r, IE_STOP);
}

static json_t *
cmd_restart(struct ctl_conn *cc, struct ctl_request *r)
{
	return act(cc, r, IE_RESTART);
}

/* Trigger tasks now (through the scheduler and its bounds). */
static json_t *
cmd_run(struct ctl_conn *cc, struct ctl_request *r)
{
	struct ivec	 v = { NULL, 0 };
	json_t		*o;
	size_t		 i;

	if ((o = resolve(cc, r, 0, r->cr_nargs, &v)) != NULL) {
		free(v.v);
		return o;
	}
	for (i = 0; i < v.n; i++)
		if (v.v[i]->job->cfg->kind == JOB_SERVICE) {
			o = reply_fail(cc, r, CTL_E_BAD_REQUEST, "%s is a "
			    "service, not a task: use start", v.v[i]->name);
			free(v.v);
			return o;
		}
	free(v.v);
	return act(cc, r, IE_START);
}

/* Send a signal to the main process of every named instance that runs. */
static json_t *
cmd_signal(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover	*d = cc->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	json_t		*o;
	char		 sent[400] = "";
	size_t		 i, len;
	int		 sig = r->cr_signal;

	if ((o = resolve(cc, r, 0, 1, &v)) != NULL) {
		free(v.v);
		return o;
	}
	for (i = 0; i < v.n; i++) {
		if (!instance_active(v.v[i]) || (v.v[i]->rflags & RUN_REAPED))
			continue;
		d->d_ops->kill(v.v[i], sig, false);
		len = strlen(sent);
		snprintf(sent + len, sizeof(sent) - len, "%s%s",
		    len > 0 ? ", " : "", v.v[i]->name);
	}
	if (sent[0] == '\0')
		o = reply_fail(cc, r, CTL_E_FAILED, "%s: not running",
		    r->cr_args[0]);
	else {
		o = ctl_reply_new(r, true);
		jset(o, "message", jstr(sent));
		log_info("control: sent %s to %s", value_signal_name(sig),
		    sent);
	}
	jset(o, "instances", instances_json(d, &v));
	free(v.v);
	return o;
}

static json_t *
cmd_reload(struct ctl_conn *cc, struct ctl_request *r)
{
	char	err[512] = "";
	json_t	*o;

	if (reload_request(cc->cc_ctl->c_d, err, sizeof(err)) == -1)
		return reply_fail(cc, r, CTL_E_FAILED, "%s", err[0] != '\0' ?
		    err : "reload failed");
	o = ctl_reply_new(r, true);
	jset(o, "message", jstr("configuration reloaded"));
	return o;
}

static json_t *
cmd_shutdown(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover	*d = cc->cc_ctl->c_d;
	json_t		*o = ctl_reply_new(r, true);

	if (d->d_sd_phase != SD_NONE) {
		jset(o, "message", jstr("already shutting down"));
		return o;
	}
	jset(o, "message", jstr("shutting down"));
	shutdown_begin(d, "droverctl shutdown");
	return o;
}

static json_t *
cmd_version(struct ctl_conn *cc, struct ctl_request *r)
{
	json_t	*o = ctl_reply_new(r, true);

	jset(o, "version", jstr(PACKAGE_VERSION));
	jset(o, "pid", json_integer(getpid()));
	return o;
}

/* The runs kept of every named instance, oldest first. */
static json_t *
cmd_history(struct ctl_conn *cc, struct ctl_request *r)
{
	struct ivec	 v = { NULL, 0 };
	json_t		*o, *a, *h;
	size_t		 i;

	if ((o = resolve(cc, r, 0, r->cr_nargs, &v)) != NULL) {
		free(v.v);
		return o;
	}
	a = json_array();
	for (i = 0; i < v.n; i++) {
		h = json_object();
		jset(h, "name", jstr(v.v[i]->name));
		jset(h, "job", jstr(v.v[i]->job->cfg->name));
		jset(h, "kind", jstr(job_kind_name(v.v[i]->job->cfg->kind)));
		jset(h, "history", json_integer(v.v[i]->job->cfg->history));
		jset(h, "stats", history_json_stats(v.v[i]));
		jset(h, "runs", history_json_runs(v.v[i]));
		json_array_append_new(a, h);
	}
	free(v.v);
	o = ctl_reply_new(r, true);
	jset(o, "instances", a);
	return o;
}

/* The Prometheus exposition (metrics.c), as one string. */
static json_t *
cmd_metrics(struct ctl_conn *cc, struct ctl_request *r)
{
	struct evbuffer	*b = evbuffer_new();
	json_t		*o;

	if (b == NULL)
		return reply_fail(cc, r, CTL_E_FAILED, "out of memory");
	metrics_render(cc->cc_ctl->c_d, b);
	o = ctl_reply_new(r, true);
	jset(o, "content_type", jstr(METRICS_CONTENT_TYPE));
	jset(o, "text", json_stringn((const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b)));
	evbuffer_free(b);
	return o;
}

/* --- tail ----------------------------------------------------------------- */

/*
 * What a ring holds from where the request says: the last "lines" lines
 * (10 if neither is given), or "from" an offset of an earlier reply.  A
 * follower (droverctl tail -f) asks again with "next"; the daemon keeps
 * nothing for it, so a follower costs nothing between its requests and
 * nothing once it is gone (its requests are queries: logged at debug).  "from" above the asked offset means bytes
 * were overwritten meanwhile; "end" below it means the ring was cleared.
 */
static json_t *
tail_reply(struct ctl_request *r, const struct outring *ring)
{
	struct evbuffer	*b = evbuffer_new();
	uint64_t	 start = outring_start(ring), end = outring_end(ring);
	uint64_t	 from;
	size_t		 n;
	const char	*p;
	json_t		*o;

	if (b == NULL)
		fatalx("control: out of memory");
	if (r->cr_from >= 0)
		from = (uint64_t)r->cr_from;
	else
		from = outring_tail_lines(ring, (size_t)(r->cr_lines >= 0 ?
		    r->cr_lines : 10));
	if (from < start)
		from = start;
	if (from > end)
		from = end;
	n = outring_read(ring, from, r->cr_max, b);
	p = n > 0 ? (const char *)evbuffer_pullup(b, -1) : "";
	if (from + n < end)
		n = ctl_utf8_cut(p, n);
	o = ctl_reply_new(r, true);
	jset(o, "data", ctl_json_bytes(p, n));
	jset(o, "from", json_integer((json_int_t)from));
	jset(o, "next", json_integer((json_int_t)from + (json_int_t)n));
	jset(o, "start", json_integer((json_int_t)start));
	jset(o, "end", json_integer((json_int_t)end));
	evbuffer_free(b);
	return o;
}

/* tail NAME [stdout|stderr]: one instance's ring. */
static json_t *
cmd_tail(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover	*d = cc->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	struct instance	*in;
	json_t		*o;

	if (!resolve_one(d, r->cr_args[0], &v)) {
		free(v.v);
		return unknown_name(cc, r, r->cr_args[0]);
	}
	if (v.n != 1) {
		o = v.n == 0 ? reply_fail(cc, r, CTL_E_UNKNOWN_JOB, "'%s' "
		    "names no instance", r->cr_args[0]) : reply_fail(cc, r,
		    CTL_E_BAD_REQUEST, "'%s' names %zu instances: tail one "
		    "of them, e.g. '%s'", r->cr_args[0], v.n, v.v[0]->name);
		free(v.v);
		return o;
	}
	in = v.v[0];
	free(v.v);
	o = tail_reply(r, instance_output_ring(in, r->cr_stderr));
	jset(o, "name", jstr(in->name));
	jset(o, "stream", jstr(r->cr_stderr ? "stderr" : "stdout"));
	jset(o, "tail_buffer", json_integer((json_int_t)
	    in->job->cfg->tail_buffer));
	return o;
}

/* maintail: drover's own log (log.c keeps its last 64 KiB). */
static json_t *
cmd_maintail(struct ctl_conn *cc, struct ctl_request *r)
{
	return tail_reply(r, log_ring());
}

/* clear NAME...: forget what the instances kept (both streams). */
static json_t *
cmd_clear(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover	*d = cc->cc_ctl->c_d;
	struct ivec	 v = { NULL, 0 };
	json_t		*o;
	char		 done[400] = "cleared ";
	size_t		 i, len;

	if ((o = resolve(cc, r, 0, r->cr_nargs, &v)) != NULL) {
		free(v.v);
		return o;
	}
	for (i = 0; i < v.n; i++) {
		instance_output_clear(v.v[i]);
		len = strlen(done);
		if (len + 8 < sizeof(done))
			snprintf(done + len, sizeof(done) - len, "%s%s",
			    i > 0 ? ", " : "", v.v[i]->name);
	}
	o = ctl_reply_new(r, true);
	jset(o, "message", jstr(v.n == 0 ? "nothing to clear" : done));
	jset(o, "instances", instances_json(d, &v));
	free(v.v);
	return o;
}

/* --- requests ------------------------------------------------------------- */

/* "stop web worker:*" for the log, escaped. */
static void
log_request(struct ctl_conn *cc, const struct ctl_request *r)
{
	bool	query = commands[r->cr_which].query;
	char	raw[512], esc[1024];
	size_t	i, len;

	snprintf(raw, sizeof(raw), "%s", r->cr_cmd);
	for (i = 0; i < r->cr_nargs; i++) {
		len = strlen(raw);
		snprintf(raw + len, sizeof(raw) - len, " %s", r->cr_args[i]);
	}
	log_escape(esc, sizeof(esc), raw, strlen(raw));
	log_msg(query ? LOG_DEBUG : LOG_INFO, "control: uid %u pid %ld: %s",
	    (unsigned)cc->cc_uid, (long)cc->cc_pid, esc);
}

static json_t *
dispatch(struct ctl_conn *cc, struct ctl_request *r)
{
	struct drover		*d = cc->cc_ctl->c_d;
	const struct command	*c = &commands[r->cr_which];

	if (!c->in_shutdown && d->d_sd_phase != SD_NONE)
		return reply_fail(cc, r, CTL_E_SHUTTING_DOWN, "drover is "
		    "shutting down: %s refused", r->cr_cmd);
	return c->fn(cc, r);
}

/* One request line: decode, run, reply (or begin a wait). */
static void
ctl_cmd_line(struct ctl_conn *cc, const char *line, size_t len)
{
	struct ctl_request	 r;
	json_t			*reply = NULL;

	switch (ctl_request_decode(line, len, &r)) {
	case CTL_DEC_BLANK:
		break;			/* blank lines are ignored */
	case CTL_DEC_ERROR:
		reply = reply_fail(cc, &r, r.cr_error, "%s", r.cr_message);
		break;
	case CTL_DEC_OK:
		log_request(cc, &r);
		reply = dispatch(cc, &r);
		break;
	}
	if (reply != NULL)
		ctl_conn_reply(cc, reply);
	ctl_request_free(&r);
}

static const struct ctl_commands cmd_iface = {
	.line = ctl_cmd_line,
	.wait_check = ctl_wait_check,
	.wait_free = ctl_wait_free,
};

/*
 * Create the control socket (path: -s, else [drover] socket; NULL: none)
 * and serve these commands on it.  -1 when a live drover holds it.
 */
int
control_init(struct drover *d, const char *path)
{
	return ctl_listen(d, path, &cmd_iface);
}

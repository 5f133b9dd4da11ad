/*
 * rpc_proc.c: supervisord's process methods (start, stop, signal, info,
 * logs) over drover's instances.
 *
 * Names are supervisord's: a job is a process group (its [group:x], or
 * the job itself), an instance a process; "web" is "web:web", "g:*" the
 * whole group.  States map one to one but for QUEUED (waiting for a slot
 * or for a job it comes after), which reads as STARTING.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "drover.h"
#include "log.h"
#include "outring.h"
#include "rpc_int.h"
#include "value.h"
#include "xmalloc.h"

#define WAIT_SLACK_MS	1000

struct ivec {
	struct instance	**v;
	size_t		  n;
};

const char *
rpc_group_of(const struct job_config *c)
{
	return c->group != NULL ? c->group : c->name;
}

enum sv_state
rpc_sv_state(const struct instance *in)
{
	switch (in->state) {
	case JS_STOPPED:	return SV_STOPPED;
	case JS_QUEUED:
	case JS_STARTING:	return SV_STARTING;
	case JS_RUNNING:	return SV_RUNNING;
	case JS_BACKOFF:	return SV_BACKOFF;
	case JS_STOPPING:	return SV_STOPPING;
	case JS_EXITED:		return SV_EXITED;
	case JS_FATAL:		return SV_FATAL;
	default:		return SV_UNKNOWN;
	}
}

const char *
rpc_sv_state_name(enum sv_state s)
{
	switch (s) {
	case SV_STOPPED:	return "STOPPED";
	case SV_STARTING:	return "STARTING";
	case SV_RUNNING:	return "RUNNING";
	case SV_BACKOFF:	return "BACKOFF";
	case SV_STOPPING:	return "STOPPING";
	case SV_EXITED:		return "EXITED";
	case SV_FATAL:		return "FATAL";
	default:		return "UNKNOWN";
	}
}

/* supervisord's RUNNING_STATES: what start refuses and stop accepts */
static bool
sv_running(const struct instance *in)
{
	enum sv_state	s = rpc_sv_state(in);

	return s == SV_RUNNING || s == SV_STARTING || s == SV_BACKOFF;
}

static bool
sv_signallable(const struct instance *in)
{
	enum sv_state	s = rpc_sv_state(in);

	return (s == SV_RUNNING || s == SV_STARTING || s == SV_STOPPING) &&
	    instance_active(in) && !(in->rflags & RUN_REAPED);
}

/* --- names ------------------------------------------------------------------ */

static void
ivec_add(struct ivec *v, struct instance *in)
{
	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	v->v[v->n++] = in;
}

static int
lexical_cmp(const void *a, const void *b)
{
	const struct instance *x = *(struct instance *const *)a;
	const struct instance *y = *(struct instance *const *)b;
	int	c = strcmp(rpc_group_of(x->job->cfg), rpc_group_of(y->job->cfg));

	return c != 0 ? c : strcmp(x->name, y->name);
}

static int
priority_cmp(const void *a, const void *b)
{
	const struct instance *x = *(struct instance *const *)a;
	const struct instance *y = *(struct instance *const *)b;

	if (x->job->cfg->priority != y->job->cfg->priority)
		return x->job->cfg->priority < y->job->cfg->priority ? -1 : 1;
	return lexical_cmp(a, b);
}

/* Every instance of the running configuration (a reload's leftovers,
 * still stopping, are not supervisord processes any more). */
static void
all_instances(struct drover *d, struct ivec *v, bool lexical)
{
	int	i, k;

	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->removed)
			continue;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			ivec_add(v, d->d_jobs[i]->inst[k]);
	}
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), lexical ? lexical_cmp :
		    priority_cmp);
}

/*
 * supervisord's split_namespec: "g:p" is one process, "g:" and "g:*" the
 * group, "x" the process x of group x.  *proc is NULL for a group.  A
 * fault (BAD_NAME) if nothing has that name.
 */
static bool
resolve(xmlrpc_env *env, struct drover *d, const char *spec, struct ivec *v,
    struct instance **proc)
{
	const char	*colon = strchr(spec, ':');
	char		*g, *p;
	struct ivec	 all = { NULL, 0 };
	size_t		 i;

	if (v->n == (size_t)-1) {	/* a group call: the name is a group */
		v->n = 0;
		g = xstrdup(spec);
		p = NULL;
	} else if (colon != NULL) {
		g = xstrndup(spec, (size_t)(colon - spec));
		p = colon[1] == '\0' || strcmp(colon + 1, "*") == 0 ? NULL :
		    xstrdup(colon + 1);
	} else {
		g = xstrdup(spec);
		p = xstrdup(spec);
	}
	*proc = NULL;
	all_instances(d, &all, false);
	for (i = 0; i < all.n; i++) {
		if (strcmp(rpc_group_of(all.v[i]->job->cfg), g) != 0)
			continue;
		if (p == NULL)
			ivec_add(v, all.v[i]);
		else if (strcmp(all.v[i]->name, p) == 0) {
			ivec_add(v, all.v[i]);
			*proc = all.v[i];
		}
	}
	free(all.v);
	free(g);
	if (v->n == 0 || (p != NULL && *proc == NULL))
		rpc_fault(env, F_BAD_NAME, "%s", spec);
	free(p);
	return !env->fault_occurred;
}

/* One process, never a group (getProcessInfo, the log methods). */
static struct instance *
resolve_one(xmlrpc_env *env, struct drover *d, xmlrpc_value *params)
{
	struct ivec	 v = { NULL, 0 };
	struct instance	*in = NULL;
	char		*name;

	if (!rpc_arg_string(env, params, 0, &name))
		return NULL;
	if (resolve(env, d, name, &v, &in) && in == NULL)
		rpc_fault(env, F_BAD_NAME, "%s", name);
	free(v.v);
	free(name);
	return env->fault_occurred ? NULL : in;
}

/* --- process info -------------------------------------------------------- */

/* Python's str(timedelta) of whole seconds: "1 day, 2:03:04". */
static void
uptime_str(char *buf, size_t sz, int64_t secs)
{
	int64_t	days = secs / 86400;

	secs %= 86400;
	if (days > 0)
		snprintf(buf, sz, "%lld day%s, %lld:%02lld:%02lld",
		    (long long)days, days == 1 ? "" : "s",
		    (long long)(secs / 3600), (long long)(secs / 60 % 60),
		    (long long)(secs % 60));
	else
		snprintf(buf, sz, "%lld:%02lld:%02lld", (long long)(secs / 3600),
		    (long long)(secs / 60 % 60), (long long)(secs % 60));
}

static const char *
spawnerr_of(const struct instance *in)
{
	return in->last.result == RES_SPAWN_ERROR ? in->last.note : "";
}

static pid_t
live_pid(const struct instance *in)
{
	return instance_active(in) && !(in->rflags & RUN_REAPED) ? in->pid : 0;
}

/* supervisord's _interpretProcessInfo(), the status line's last column */
static void
describe(char *buf, size_t sz, struct drover *d, const struct instance *in)
{
	char		up[64];
	time_t		stop;
	struct tm	tm;

	buf[0] = '\0';
	switch (rpc_sv_state(in)) {
	case SV_RUNNING:
		uptime_str(up, sizeof(up), (d->d_ops->now() - in->run_start) /
		    1000);
		snprintf(buf, sz, "pid %ld, uptime %s", (long)live_pid(in), up);
		break;
	case SV_FATAL:
	case SV_BACKOFF:
		if (*spawnerr_of(in) != '\0')
			snprintf(buf, sz, "%s", spawnerr_of(in));
		else if (in->last.note[0] != '\0')
			snprintf(buf, sz, "%s", in->last.note);
		else if (in->last.result != RES_NONE)
			snprintf(buf, sz, "Exited too quickly (process log may "
			    "have details)");
		else
			snprintf(buf, sz, "unknown error (try \"tail %s\")",
			    in->name);
		break;
	case SV_STOPPED:
	case SV_EXITED:
		if (!in->ever_started || in->last.end == 0) {
			snprintf(buf, sz, "Not started");
			break;
		}
		stop = (time_t)(in->last.end / 1000);
		localtime_r(&stop, &tm);
		strftime(buf, sz, "%b %d %I:%M %p", &tm);
		break;
	case SV_STARTING:
		if (in->state == JS_QUEUED)
			snprintf(buf, sz, "queued%s%s", in->dep_note != NULL ?
			    ": " : "", in->dep_note != NULL ? in->dep_note : "");
		break;
	default:
		break;
	}
}

static const char *
logfile_of(const struct sink *s)
{
	return s->kind == SINK_FILE ? s->path : "";
}

static xmlrpc_value *
process_info(xmlrpc_env *env, struct drover *d, const struct instance *in)
{
	char		 desc[256];
	int64_t		 start, stop = in->last.end / 1000;
	enum sv_state	 s = rpc_sv_state(in);

	start = instance_active(in) ? in->run_start_wall / 1000 :
	    in->last.start / 1000;
	describe(desc, sizeof(desc), d, in);
	return xmlrpc_build_value(env,
	    "{s:s,s:s,s:i,s:i,s:i,s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:s}",
	    "name", in->name, "group", rpc_group_of(in->job->cfg),
	    "start", (int)start, "stop", (int)stop,
	    "now", (int)(d->d_ops->wallclock() / 1000),
	    "state", (int)s, "statename", rpc_sv_state_name(s),
	    "spawnerr", spawnerr_of(in),
	    "exitstatus", in->last.code > 0 ? in->last.code : 0,
	    "logfile", logfile_of(&in->pc->out),
	    "stdout_logfile", logfile_of(&in->pc->out),
	    "stderr_logfile", logfile_of(&in->pc->err),
	    "pid", (int)live_pid(in), "description", desc);
}

static xmlrpc_value *
m_process_info(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc	*rpc = srv;
	struct instance	*in;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) ||
	    (in = resolve_one(env, rpc->r_d, p)) == NULL)
		return NULL;
	return process_info(env, rpc->r_d, in);
}

static xmlrpc_value *
m_all_process_info(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc	*rpc = srv;
	struct ivec	 v = { NULL, 0 };
	xmlrpc_value	*a, *st;
	size_t		 i;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	all_instances(rpc->r_d, &v, true);
	a = xmlrpc_array_new(env);
	for (i = 0; i < v.n && !env->fault_occurred; i++) {
		st = process_info(env, rpc->r_d, v.v[i]);
		if (st != NULL) {
			xmlrpc_array_append_item(env, a, st);
			xmlrpc_DECREF(st);
		}
	}
	free(v.v);
	return a;
}

/* --- start and stop ------------------------------------------------------- */

/*
 * Has an instance a waiting call asked about settled?  Up: RUNNING, or a
 * task whose run is over with ok; a spawn error or a fall out of the
 * starting states is a fault, as supervisord's onwait() raises.  Down:
 * nothing runs and nothing is queued.  A name a reload took away has
 * settled down (and, for a start, failed).
 */
bool
rpc_item_check(struct rpc *rpc, struct rpc_call *c, struct rpc_item *it,
    xmlrpc_env *res)
{
	struct instance	*in = engine_find_instance(rpc->r_d, it->name);
	bool		 task;

	if (c->rc_wait == RW_DOWN)
		return in == NULL || in->job->removed ||
		    (!instance_active(in) && in->state != JS_QUEUED);
	if (in == NULL || in->job->removed) {
		rpc_fault(res, F_BAD_NAME, "%s", it->name);
		return true;
	}
	task = in->job->cfg->kind != JOB_SERVICE;
	switch (in->state) {
	case JS_RUNNING:
		return true;
	case JS_QUEUED:
	case JS_STARTING:
		return false;
	case JS_STOPPED:
	case JS_EXITED:
		if (task && in->last.result == RES_OK)
			return true;
		break;
	default:
		break;
	}
	if (in->last.result == RES_SPAWN_ERROR)
		rpc_fault(res, F_SPAWN_ERROR, "%s", it->name);
	else
		rpc_fault(res, F_ABNORMAL_TERMINATION, "%s", it->name);
	return true;
}

static int64_t
wait_bound(const struct ivec *v, bool up)
{
	const struct job_config	*c;
	int64_t			 max = 0, t;
	size_t			 i;

	for (i = 0; i < v->n; i++) {
		c = v->v[i]->job->cfg;
		t = c->stopwaitsecs + KILL_GRACE_MS;
		if (up && c->ready == READY_NOTIFY)
			t += c->start_timeout;
		else if (up && c->ready == READY_STARTSECS)
			t += c->startsecs;
		if (t > max)
			max = t;
	}
	return max + WAIT_SLACK_MS;
}

static void
item_set(struct rpc_item *it, const struct instance *in)
{
	it->name = xstrdup(in->name);
	it->group = xstrdup(rpc_group_of(in->job->cfg));
	it->pname = xstrdup(in->name);
	it->done = false;
}

/*
 * Act on the instances in v and answer: at once (wait=false, or inside a
 * multicall: what has already failed is a fault, the rest succeeded), or
 * by leaving the wait in the call.  array: a group or all call's answer.
 */
static xmlrpc_value *
act(xmlrpc_env *env, struct rpc *rpc, struct rpc_call *c, struct ivec *v,
    enum ievent ev, bool wait, bool array)
{
	struct rpc_call	 now = { .rc_wait = ev == IE_STOP ? RW_DOWN : RW_UP };
	struct rpc_item	 it;
	xmlrpc_value	*a = array ? xmlrpc_array_new(env) : NULL;
	xmlrpc_env	 res;
	size_t		 i;

	for (i = 0; i < v->n; i++)
		instance_event(v->v[i], ev, 0);
	if (wait && !rpc->r_in_multicall && v->n > 0) {
		c->rc_wait = now.rc_wait;
		c->rc_array = array;
		c->rc_results = a;
		c->rc_bound = wait_bound(v, ev != IE_STOP);
		c->rc_items = xcalloc(v->n, sizeof(*c->rc_items));
		c->rc_nitems = v->n;
		for (i = 0; i < v->n; i++)
			item_set(&c->rc_items[i], v->v[i]);
		return xmlrpc_bool_new(env, 1);	/* dropped: the wait answers */
	}
	for (i = 0; i < v->n && !env->fault_occurred; i++) {
		xmlrpc_env_init(&res);
		item_set(&it, v->v[i]);
		if (!rpc_item_check(rpc, &now, &it, &res) || ev == IE_STOP)
			xmlrpc_env_clean(&res), xmlrpc_env_init(&res);
		if (array)
			rpc_result_add(env, a, it.group, it.pname, &res);
		else if (res.fault_occurred)
			xmlrpc_env_set_fault(env, res.fault_code,
			    res.fault_string);
		free(it.name);
		free(it.group);
		free(it.pname);
		xmlrpc_env_clean(&res);
	}
	if (env->fault_occurred) {
		if (a != NULL)
			xmlrpc_DECREF(a);
		return NULL;
	}
	return array ? a : xmlrpc_bool_new(env, 1);
}

/* Keep the instances for which keep() holds. */
static void
ivec_filter(struct ivec *v, bool (*keep)(const struct instance *))
{
	size_t	i, n = 0;

	for (i = 0; i < v->n; i++)
		if (keep(v->v[i]))
			v->v[n++] = v->v[i];
	v->n = n;
}

static bool
not_running(const struct instance *in)
{
	return !sv_running(in);
}

static bool
running(const struct instance *in)
{
	return sv_running(in);
}

/* "all" covers services and listeners; tasks and cleanups by name. */
static bool
startable_in_all(const struct instance *in)
{
	return in->job->cfg->kind == JOB_SERVICE && !sv_running(in);
}

static xmlrpc_value *
start_or_stop(xmlrpc_env *env, struct rpc *rpc, struct rpc_call *c,
    xmlrpc_value *p, enum ievent ev, int scope)
{
	struct ivec	 v = { NULL, 0 };
	struct instance	*in = NULL;
	xmlrpc_value	*r = NULL;
	char		*name = NULL;
	bool		 wait;

	if (!rpc_nargs(env, p, scope == 2 ? 0 : 1, scope == 2 ? 1 : 2))
		return NULL;
	if (scope != 2 && !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (!rpc_arg_bool(env, p, scope == 2 ? 0 : 1, true, &wait))
		goto out;
	if (scope == 1)
		v.n = (size_t)-1;	/* a group call names a group */
	if (scope == 2)
		all_instances(rpc->r_d, &v, false);
	else if (!resolve(env, rpc->r_d, name, &v, &in))
		goto out;
	if (in != NULL) {
		if (ev == IE_START && sv_running(in))
			rpc_fault(env, F_ALREADY_STARTED, "%s", name);
		else if (ev == IE_STOP && !sv_running(in) &&
		    in->state != JS_QUEUED)
			rpc_fault(env, F_NOT_RUNNING, "%s", name);
		else
			r = act(env, rpc, c, &v, ev, wait, false);
		goto out;
	}
	ivec_filter(&v, ev == IE_STOP ? running : scope == 2 ?
	    startable_in_all : not_running);
	r = act(env, rpc, c, &v, ev, wait, true);
out:
	free(v.v);
	free(name);
	return r;
}

#define START_STOP(fn, ev, scope)					\
static xmlrpc_value *							\
fn(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)		\
{									\
	return start_or_stop(env, srv, ci, p, ev, scope);		\
}
START_STOP(m_start, IE_START, 0)
START_STOP(m_start_group, IE_START, 1)
START_STOP(m_start_all, IE_START, 2)
START_STOP(m_stop, IE_STOP, 0)
START_STOP(m_stop_group, IE_STOP, 1)
START_STOP(m_stop_all, IE_STOP, 2)

/* --- signals ----------------------------------------------------------------- */

/* supervisord's signal_number(): a name ("HUP", "SIGHUP") or a number. */
static bool
arg_signal(xmlrpc_env *env, xmlrpc_value *p, int i, int *sig)
{
	xmlrpc_value	*v;
	char		*s;
	int		 n;

	xmlrpc_array_read_item(env, p, i, &v);
	if (env->fault_occurred)
		return false;
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
		xmlrpc_read_int(env, v, &n);
		xmlrpc_DECREF(v);
		if (!env->fault_occurred && (n < 1 || n > 64))
			rpc_fault(env, F_BAD_SIGNAL, "%d", n);
		*sig = n;
		return !env->fault_occurred;
	}
	xmlrpc_DECREF(v);
	if (!rpc_arg_string(env, p, i, &s))
		return false;
	if (value_signal(s, sig) != 0)
		rpc_fault(env, F_BAD_SIGNAL, "%s", s);
	free(s);
	return !env->fault_occurred;
}

static xmlrpc_value *
signal_some(xmlrpc_env *env, struct rpc *rpc, xmlrpc_value *p, int scope)
{
	struct ivec	 v = { NULL, 0 };
	struct instance	*in = NULL;
	xmlrpc_value	*a = NULL;
	xmlrpc_env	 ok;
	char		*name = NULL;
	int		 sig;
	size_t		 i;

	if (!rpc_nargs(env, p, scope == 2 ? 1 : 2, scope == 2 ? 1 : 2))
		return NULL;
	if (scope != 2 && !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (scope == 1)
		v.n = (size_t)-1;	/* a group call names a group */
	if (scope == 2)
		all_instances(rpc->r_d, &v, false);
	else if (!resolve(env, rpc->r_d, name, &v, &in))
		goto out;
	if (!arg_signal(env, p, scope == 2 ? 0 : 1, &sig))
		goto out;
	if (in != NULL && scope == 0) {
		if (!sv_signallable(in))
			rpc_fault(env, F_NOT_RUNNING, "%s", name);
		else {
			rpc->r_d->d_ops->kill(in, sig, false);
			log_info("rpc: sent %s to %s", value_signal_name(sig),
			    in->name);
			a = xmlrpc_bool_new(env, 1);
		}
		goto out;
	}
	ivec_filter(&v, sv_signallable);
	a = xmlrpc_array_new(env);
	xmlrpc_env_init(&ok);
	for (i = 0; i < v.n; i++) {
		rpc->r_d->d_ops->kill(v.v[i], sig, false);
		log_info("rpc: sent %s to %s", value_signal_name(sig),
		    v.v[i]->name);
		rpc_result_add(env, a, rpc_group_of(v.v[i]->job->cfg),
		    v.v[i]->name, &ok);
	}
	xmlrpc_env_clean(&ok);
out:
	free(v.v);
	free(name);
	return a;
}

static xmlrpc_value *
m_signal(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)ci;
	return signal_some(env, srv, p, 0);
}

static xmlrpc_value *
m_signal_group(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)ci;
	return signal_some(env, srv, p, 1);
}

static xmlrpc_value *
m_signal_all(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)ci;
	return signal_some(env, srv, p, 2);
}

/* --- output ------------------------------------------------------------------ */

static xmlrpc_value *
ring_string(xmlrpc_env *env, const struct instance *in, bool is_err,
    uint64_t from, size_t len)
{
	struct evbuffer	*b = evbuffer_new();
	xmlrpc_value	*v;

	if (b == NULL)
		fatalx("out of memory");
	instance_output_read(in, is_err, from, len, b);
	v = rpc_string(env, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return v;
}

/* The stream a log method reads: stderr merged into stdout reads stdout. */
static bool
stream_of(const struct instance *in, bool is_err)
{
	return is_err && !in->pc->redirect_stderr;
}

static xmlrpc_value *
read_log(xmlrpc_env *env, struct rpc *rpc, xmlrpc_value *p, bool is_err)
{
	struct instance	*in;
	uint64_t	 from = 0;
	size_t		 len = 0;
	int		 off, n;

	if (!rpc_nargs(env, p, 3, 3) || (in = resolve_one(env, rpc->r_d,
	    p)) == NULL || !rpc_arg_int(env, p, 1, &off) ||
	    !rpc_arg_int(env, p, 2, &n))
		return NULL;
	is_err = stream_of(in, is_err);
	rpc_read_range(env, instance_output_start(in, is_err),
	    instance_output_end(in, is_err), off, n, &from, &len);
	if (env->fault_occurred)
		return NULL;
	return ring_string(env, in, is_err, from, len);
}

static xmlrpc_value *
tail_log(xmlrpc_env *env, struct rpc *rpc, xmlrpc_value *p, bool is_err)
{
	struct instance	*in;
	xmlrpc_value	*s, *r;
	uint64_t	 from = 0, end;
	size_t		 len = 0;
	bool		 overflow;
	int		 off, n;

	if (!rpc_nargs(env, p, 3, 3) || (in = resolve_one(env, rpc->r_d,
	    p)) == NULL || !rpc_arg_int(env, p, 1, &off) ||
	    !rpc_arg_int(env, p, 2, &n))
		return NULL;
	is_err = stream_of(in, is_err);
	end = instance_output_end(in, is_err);
	rpc_tail(instance_output_start(in, is_err), end, off, n, &from, &len,
	    &overflow);
	if ((s = ring_string(env, in, is_err, from, len)) == NULL)
		return NULL;
	r = xmlrpc_build_value(env, "(Vib)", s, (int)(end > INT32_MAX ?
	    INT32_MAX : end), (xmlrpc_bool)overflow);
	xmlrpc_DECREF(s);
	return r;
}

#define LOG_METHOD(fn, impl, is_err)					\
static xmlrpc_value *							\
fn(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)		\
{									\
	(void)ci;							\
	return impl(env, srv, p, is_err);				\
}
LOG_METHOD(m_read_stdout, read_log, false)
LOG_METHOD(m_read_stderr, read_log, true)
LOG_METHOD(m_tail_stdout, tail_log, false)
LOG_METHOD(m_tail_stderr, tail_log, true)

static xmlrpc_value *
m_clear_logs(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc	*rpc = srv;
	struct instance	*in;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) || (in = resolve_one(env, rpc->r_d,
	    p)) == NULL)
		return NULL;
	instance_output_clear(in);
	return xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *
m_clear_all_logs(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc	*rpc = srv;
	struct ivec	 v = { NULL, 0 };
	xmlrpc_value	*a;
	xmlrpc_env	 ok;
	size_t		 i;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	all_instances(rpc->r_d, &v, false);
	a = xmlrpc_array_new(env);
	xmlrpc_env_init(&ok);
	for (i = 0; i < v.n; i++) {
		instance_output_clear(v.v[i]);
		rpc_result_add(env, a, rpc_group_of(v.v[i]->job->cfg),
		    v.v[i]->name, &ok);
	}
	xmlrpc_env_clean(&ok);
	free(v.v);
	return a;
}

static xmlrpc_value *
m_send_stdin(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc	*rpc = srv;
	struct instance	*in;
	char		*chars;

	(void)ci;
	if (!rpc_nargs(env, p, 2, 2) || (in = resolve_one(env, rpc->r_d,
	    p)) == NULL || !rpc_arg_string(env, p, 1, &chars))
		return NULL;
	if (live_pid(in) == 0 || in->state == JS_STOPPING)
		rpc_fault(env, F_NOT_RUNNING, "%s", in->name);
	else if (instance_stdin_write(in, chars, strlen(chars)) == -1)
		rpc_fault(env, errno == EAGAIN ? F_FAILED : F_NO_FILE, "%s%s",
		    in->name, errno == EAGAIN ? ": its stdin pipe is full" :
		    errno == EBADF ? ": no stdin pipe (stdin = pipe)" : "");
	free(chars);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}

static const struct xmlrpc_method_info3 methods[] = {
	{ "supervisor.getProcessInfo", m_process_info, NULL, 0, "S:s",
	    "Info about one process (or group:name)." },
	{ "supervisor.getAllProcessInfo", m_all_process_info, NULL, 0, "A:",
	    "Info about every process." },
	{ "supervisor.startProcess", m_start, NULL, 0, "b:s,b:sb",
	    "Start a process (name, group:name or group:*); wait=true." },
	{ "supervisor.startProcessGroup", m_start_group, NULL, 0, "A:s,A:sb",
	    "Start every process of a group." },
	{ "supervisor.startAllProcesses", m_start_all, NULL, 0, "A:,A:b",
	    "Start every service and listener that is not running." },
	{ "supervisor.stopProcess", m_stop, NULL, 0, "b:s,b:sb",
	    "Stop a process; wait=true waits until it has stopped." },
	{ "supervisor.stopProcessGroup", m_stop_group, NULL, 0, "A:s,A:sb",
	    "Stop every process of a group." },
	{ "supervisor.stopAllProcesses", m_stop_all, NULL, 0, "A:,A:b",
	    "Stop every process that runs." },
	{ "supervisor.signalProcess", m_signal, NULL, 0, "b:ss,b:si",
	    "Send a signal (name or number) to a process." },
	{ "supervisor.signalProcessGroup", m_signal_group, NULL, 0,
	    "A:ss,A:si", "Send a signal to every process of a group." },
	{ "supervisor.signalAllProcesses", m_signal_all, NULL, 0, "A:s,A:i",
	    "Send a signal to every process that runs." },
	{ "supervisor.readProcessStdoutLog", m_read_stdout, NULL, 0, "s:sii",
	    "Read a process's kept stdout: offset, length." },
	{ "supervisor.readProcessLog", m_read_stdout, NULL, 0, "s:sii",
	    "Alias of readProcessStdoutLog." },
	{ "supervisor.readProcessStderrLog", m_read_stderr, NULL, 0, "s:sii",
	    "Read a process's kept stderr: offset, length." },
	{ "supervisor.tailProcessStdoutLog", m_tail_stdout, NULL, 0, "A:sii",
	    "Tail a process's stdout: [bytes, offset, overflow]." },
	{ "supervisor.tailProcessLog", m_tail_stdout, NULL, 0, "A:sii",
	    "Alias of tailProcessStdoutLog." },
	{ "supervisor.tailProcessStderrLog", m_tail_stderr, NULL, 0, "A:sii",
	    "Tail a process's stderr: [bytes, offset, overflow]." },
	{ "supervisor.clearProcessLogs", m_clear_logs, NULL, 0, "b:s",
	    "Clear a process's kept output." },
	{ "supervisor.clearProcessLog", m_clear_logs, NULL, 0, "b:s",
	    "Alias of clearProcessLogs." },
	{ "supervisor.clearAllProcessLogs", m_clear_all_logs, NULL, 0, "A:",
	    "Clear the kept output of every process." },
	{ "supervisor.sendProcessStdin", m_send_stdin, NULL, 0, "b:ss",
	    "Write to a process's stdin (a job with stdin = pipe)." },
};

void
rpc_proc_register(xmlrpc_env *env, struct rpc *rpc)
{
	rpc_register(env, rpc, methods, sizeof(methods) / sizeof(methods[0]));
}

/*
 * evlisten.c: [eventlistener:x] pools, supervisord's way (drover.ini(5),
 * EVENT LISTENERS).  A bus subscriber at BUS_PRIO_LISTENER turns drover's
 * events into supervisord's, queues them per pool (one pool per listener
 * job, its numprocs processes share it) and hands each to one READY
 * process at a time over its stdin; the process's stdout carries READY
 * and RESULT back (evlisten_proto.c has the bytes).
 *
 * No event is lost silently: a pool's queue holds buffer_size events; on
 * overflow the oldest is dropped (supervisord's choice), counted in the
 * pool and logged with its serial.  An event whose RESULT is FAIL, or
 * whose listener dies or turns to UNKNOWN while handling it, goes back to
 * the head of the queue and is sent again.  "Died while handling it" is
 * decided when the listener's stdout is at its end, never at the reap:
 * a listener that acks and exits at once may be reaped before its ack is
 * read (the run model of STYLE.md: reaped AND pipes at EOF).
 *
 * A reload changes the pools in place (BUS_JOB): an added listener job
 * gets a new pool, a removed one's pool drops its queue out loud and goes
 * once its last process is gone, and a kept or restarted one keeps its
 * queue and takes its new events and buffer_size before the next event.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus.h"
#include "drover.h"
#include "evlisten_proto.h"
#include "log.h"
#include "xmalloc.h"

struct evl_ev {
	uint64_t		 serial;
	uint64_t		 poolserial;
	int			 type;
	char			*data;		/* header + payload */
	size_t			 len;
	TAILQ_ENTRY(evl_ev)	 entry;
};
TAILQ_HEAD(evl_q, evl_ev);

enum lstate { LS_ACK, LS_READY, LS_BUSY, LS_UNKNOWN };

struct evl_proc {
	struct instance		*in;
	struct evl_pool		*pool;
	int			 fd;		/* its stdin, non-blocking */
	struct event		*wev;
	enum lstate		 state;
	char			*rbuf;
	size_t			 rlen;
	struct evl_ev		*cur;		/* the event it handles */
	size_t			 woff;		/* bytes of cur written */
	LIST_ENTRY(evl_proc)	 entry;
};

struct evl_pool {
	char			*name;
	const struct job	*job;		/* NULL once removed */
	const struct job_config	*cfg;		/* what subs and max come from */
	bool			 removed;	/* by a reload: its procs go */
	bool			 subs[64];
	struct evl_q		 q;
	int			 nq, max;
	uint64_t		 poolserial;
	uint64_t		 dropped;
	LIST_HEAD(, evl_proc)	 procs;
	TAILQ_ENTRY(evl_pool)	 entry;
};
TAILQ_HEAD(evl_pools, evl_pool);

static const int tick_secs[] = { 5, 60, 3600 };
#define NTICKS	3

struct evl {
	struct drover		*d;
	struct event		*tick[NTICKS];	/* only if someone listens */
	struct event		*reconf;	/* after a reload: ticks, mask */
	unsigned		 mask;		/* what evl_bus is subscribed to */
	struct evl_pools	 pools;		/* removed ones until their
						   procs are gone */
	uint64_t		 serial;
};

static struct evl	*E;	/* one drover per process */

static void	pool_pump(struct evl_pool *);

static struct evl_proc *
proc_find(const struct instance *in)
{
	struct evl_pool	*pool;
	struct evl_proc	*p;

	TAILQ_FOREACH(pool, &E->pools, entry)
		LIST_FOREACH(p, &pool->procs, entry)
			if (p->in == in)
				return p;
	return NULL;
}

/* The live pool of this name (a removed one may linger beside it). */
static struct evl_pool *
pool_find(const char *name)
{
	struct evl_pool	*pool;

	TAILQ_FOREACH(pool, &E->pools, entry)
		if (!pool->removed && strcmp(pool->name, name) == 0)
			return pool;
	return NULL;
}

static void
ev_free(struct evl_ev *ev)
{
	if (ev == NULL)
		return;
	free(ev->data);
	free(ev);
}

/* An event no listener will get: counted and logged, never silent. */
static void
pool_drop(struct evl_pool *pool, struct evl_ev *ev, const char *why)
{
	pool->dropped++;
	E->d->d_events_dropped++;	/* metrics: never reset */
	log_warnx("event listener pool %s: %s: dropped event serial %llu "
	    "(%llu dropped so far)", pool->name, why,
	    (unsigned long long)ev->serial, (unsigned long long)pool->dropped);
	ev_free(ev);
}

/* Put an event back at the head: it is the next one sent. */
static void
pool_requeue(struct evl_pool *pool, struct evl_ev *ev)
{
	if (pool->removed) {
		pool_drop(pool, ev, "removed, its listener did not answer");
		return;
	}
	TAILQ_INSERT_HEAD(&pool->q, ev, entry);
	pool->nq++;
	log_info("event listener pool %s: event serial %llu sent again",
	    pool->name, (unsigned long long)ev->serial);
}

static int
serial_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The serials of a queue as ranges, "1-7,9,12-13", cut with "..." where
 * BUF (SZ > 4) ends: a FAIL sent back by one process of a pool while
 * another held a later event leaves the queue out of order.
 */
static void
serials_fmt(char *buf, size_t sz, const struct evl_q *q, int nq)
{
	const struct evl_ev	*ev;
	uint64_t		*v = xcalloc((size_t)nq, sizeof(*v));
	size_t			 off = 0;
	int			 i = 0, j, n;

	TAILQ_FOREACH(ev, q, entry)
		v[i++] = ev->serial;
	qsort(v, (size_t)nq, sizeof(*v), serial_cmp);
	buf[0] = '\0';
	for (i = 0; i < nq; i = j) {
		for (j = i + 1; j < nq && v[j] == v[j - 1] + 1; j++)
			;
		if (j - 1 > i)
			n = snprintf(buf + off, sz - off, "%s%llu-%llu",
			    i > 0 ? "," : "", (unsigned long long)v[i],
			    (unsigned long long)v[j - 1]);
		else
			n = snprintf(buf + off, sz - off, "%s%llu",
			    i > 0 ? "," : "", (unsigned long long)v[i]);
		if (n < 0 || (size_t)n >= sz - off) {
			strcpy(buf + sz - 4, "...");
			break;
		}
		off += (size_t)n;
	}
	free(v);
}

/* Subscriptions and bound from the job's current config; a smaller
 * buffer_size drops the oldest events at once, each logged. */
static void
pool_configure(struct evl_pool *pool)
{
	const struct job_config	 *cfg = pool->job->cfg;
	struct evl_ev		 *ev;
	char			**e, why[64];
	int			  t, i;

	pool->cfg = cfg;
	pool->max = cfg->buffer_size;
	memset(pool->subs, 0, sizeof(pool->subs));
	for (e = cfg->events; e != NULL && *e != NULL; e++) {
		t = evl_type_lookup(*e);
		for (i = 0; i < evl_ntypes(); i++)
			if (evl_type_matches(t, i))
				pool->subs[i] = true;
	}
	snprintf(why, sizeof(why), "buffer_size now %d", pool->max);
	while (pool->nq > pool->max) {
		ev = TAILQ_FIRST(&pool->q);
		TAILQ_REMOVE(&pool->q, ev, entry);
		pool->nq--;
		pool_drop(pool, ev, why);
	}
}

static struct evl_pool *
pool_new(const struct job *job)
{
	struct evl_pool	*pool = xcalloc(1, sizeof(*pool));

	pool->name = xstrdup(job->cfg->name);
	pool->job = job;
	pool->poolserial = 1;
	TAILQ_INIT(&pool->q);
	LIST_INIT(&pool->procs);
	pool_configure(pool);
	TAILQ_INSERT_TAIL(&E->pools, pool, entry);
	return pool;
}

/* Its queue's events (none once removed) and the pool; no procs left. */
static void
pool_free(struct evl_pool *pool)
{
	struct evl_ev	*ev;

	while ((ev = TAILQ_FIRST(&pool->q)) != NULL) {
		TAILQ_REMOVE(&pool->q, ev, entry);
		ev_free(ev);
	}
	TAILQ_REMOVE(&E->pools, pool, entry);
	free(pool->name);
	free(pool);
}

/*
 * A reload removed its job: what is queued is dropped (counted, logged
 * with the serials), nothing more is queued for it, and an event one of
 * its stopping processes holds is dropped too if it is not answered.
 * The pool goes with its last process.
 */
static void
pool_remove(struct evl_pool *pool)
{
	struct evl_ev	*ev;
	char		 serials[256];

	if (pool->nq > 0) {
		serials_fmt(serials, sizeof(serials), &pool->q, pool->nq);
		pool->dropped += (uint64_t)pool->nq;
		E->d->d_events_dropped += (uint64_t)pool->nq;
		log_warnx("event listener pool %s: removed: dropped %d queued "
		    "event%s (serial%s %s)", pool->name, pool->nq,
		    pool->nq == 1 ? "" : "s", pool->nq == 1 ? "" : "s",
		    serials);
	}
	while (pool->nq > 0) {
		ev = TAILQ_FIRST(&pool->q);
		TAILQ_REMOVE(&pool->q, ev, entry);
		pool->nq--;
		ev_free(ev);
	}
	pool->removed = true;
	pool->job = NULL;
	pool->cfg = NULL;
	if (LIST_EMPTY(&pool->procs))
		pool_free(pool);
}

/* A kept job's config moved on with a reload (adopt_config()): the
 * pool's events and buffer_size follow before the next event. */
static void
pools_sync(void)
{
	struct evl_pool	*pool;

	TAILQ_FOREACH(pool, &E->pools, entry)
		if (!pool->removed && pool->cfg != pool->job->cfg)
			pool_configure(pool);
}

static void
proc_gone(struct evl_proc *p)
{
	if (p->cur != NULL)
		pool_requeue(p->pool, p->cur);
	p->cur = NULL;
	if (p->wev != NULL)
		event_free(p->wev);
	if (p->fd != -1)
		close(p->fd);
	free(p->rbuf);
	LIST_REMOVE(p, entry);
	free(p);
}

/* Write what is left of the current event; the rest when writable. */
static void
proc_write(struct evl_proc *p)
{
	ssize_t	n;

	while (p->cur != NULL && p->woff < p->cur->len) {
		n = write(p->fd, p->cur->data + p->woff, p->cur->len - p->woff);
		if (n > 0) {
			p->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			event_add(p->wev, NULL);
			return;
		}
		log_warn("%s: event listener stdin", p->in->name);
		return;		/* it has gone: the exit resends */
	}
}

static void
proc_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	proc_write(arg);
}

static void
pool_pump(struct evl_pool *pool)
{
	struct evl_proc	*p;
	struct evl_ev	*ev;

	LIST_FOREACH(p, &pool->procs, entry) {
		if ((ev = TAILQ_FIRST(&pool->q)) == NULL)
			return;
		/*
		 * A stopping listener that still says READY gets what is
		 * queued: in a shutdown, the STOPPED events of the jobs of
		 * the tier before it may still be in the queue when its own
		 * tier's SIGTERM comes.
		 */
		if (p->state != LS_READY || (p->in->state != JS_RUNNING &&
		    p->in->state != JS_STOPPING))
			continue;
		TAILQ_REMOVE(&pool->q, ev, entry);
		pool->nq--;
		p->cur = ev;
		p->woff = 0;
		p->state = LS_BUSY;
		proc_write(p);
	}
}

static void
proc_reply(struct evl_proc *p, enum evl_reply r)
{
	/* a pool with a Python result_handler: the body is data, not FAIL */
	if (r == EVL_FAIL && p->in->job->cfg->result_any)
		r = EVL_OK;
	/* a RESULT with no event sent is not the protocol */
	if ((r == EVL_OK || r == EVL_FAIL) && p->cur == NULL)
		r = EVL_BAD;
	switch (r) {
	case EVL_READY:
		p->state = LS_READY;
		break;
	case EVL_OK:
		ev_free(p->cur);
		p->cur = NULL;
		p->state = LS_ACK;
		break;
	case EVL_FAIL:
		log_warnx("%s: event serial %llu rejected", p->in->name,
		    (unsigned long long)p->cur->serial);
		pool_requeue(p->pool, p->cur);
		p->cur = NULL;
		p->state = LS_ACK;
		break;
	case EVL_BAD:
		log_warnx("%s: event listener broke the protocol; no more "
		    "events until it restarts", p->in->name);
		if (p->cur != NULL)
			pool_requeue(p->pool, p->cur);
		p->cur = NULL;
		p->state = LS_UNKNOWN;
		break;
	case EVL_NEED_MORE:
		break;
	}
}

/* The listener's stdout: the protocol, never logged; len 0 at its end. */
static void
evl_data(struct instance *in, const char *buf, size_t len)
{
	struct evl_proc	*p;
	struct evl_pool	*pool;
	enum evl_reply	 r;
	size_t		 used;

	if ((p = proc_find(in)) == NULL)
		return;
	if (len == 0) {
		/*
		 * Its stdout is closed (EOF, or closed by force once the run
		 * was over): everything it wrote has been read, so an ack
		 * that came just before the exit counts, and only an event
		 * it never answered is sent again, to the next READY one.
		 */
		pool = p->pool;
		proc_gone(p);
		if (pool->removed && LIST_EMPTY(&pool->procs))
			pool_free(pool);
		else
			pool_pump(pool);
		return;
	}
	if (p->state == LS_UNKNOWN)
		return;
	p->rbuf = xrealloc(p->rbuf, p->rlen + len);
	memcpy(p->rbuf + p->rlen, buf, len);
	p->rlen += len;
	while (p->state != LS_UNKNOWN) {
		r = evl_parse(p->rbuf, p->rlen, p->state == LS_BUSY, &used);
		if (r == EVL_NEED_MORE)
			break;
		memmove(p->rbuf, p->rbuf + used, p->rlen - used);
		p->rlen -= used;
		proc_reply(p, r);
		if (r == EVL_BAD)
			p->rlen = 0;
	}
	pool_pump(p->pool);
}

static void
evl_spawned(struct instance *in, int fd)
{
	struct evl_pool	*pool;
	struct evl_proc	*p;

	if ((p = proc_find(in)) != NULL) {
		pool = p->pool;
		proc_gone(p);	/* its stdout's end comes no more */
		if (pool->removed && LIST_EMPTY(&pool->procs))
			pool_free(pool);
	}
	if ((pool = pool_find(in->job->cfg->name)) == NULL) {
		close(fd);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->in = in;
	p->pool = pool;
	p->fd = fd;
	p->state = LS_ACK;
	p->wev = event_new(E->d->d_base, fd, EV_WRITE, proc_writable_cb, p);
	if (p->wev == NULL)
		fatalx("%s: cannot watch stdin", in->name);
	LIST_INSERT_HEAD(&p->pool->procs, p, entry);
}

/* Queue one event in every pool that subscribes to its type. */
static void
evl_emit(int type, const char *payload, size_t plen)
{
	struct evl_pool	*pool;
	struct evl_ev	*ev, *old;
	char		 hdr[512], why[64];
	uint64_t	 serial = 0;
	int		 n;

	TAILQ_FOREACH(pool, &E->pools, entry) {
		if (pool->removed || !pool->subs[type])
			continue;
		if (serial == 0)
			serial = ++E->serial;
		if (pool->nq >= pool->max) {
			old = TAILQ_FIRST(&pool->q);
			TAILQ_REMOVE(&pool->q, old, entry);
			pool->nq--;
			snprintf(why, sizeof(why), "buffer full (buffer_size "
			    "%d)", pool->max);
			pool_drop(pool, old, why);
		}
		ev = xcalloc(1, sizeof(*ev));
		ev->serial = serial;
		ev->poolserial = pool->poolserial++;
		ev->type = type;
		n = evl_header(hdr, sizeof(hdr), serial, pool->name,
		    ev->poolserial, evl_type_name(type), plen);
		ev->len = (size_t)n + plen;
		ev->data = xmalloc(ev->len);
		memcpy(ev->data, hdr, (size_t)n);
		memcpy(ev->data + n, payload, plen);
		TAILQ_INSERT_TAIL(&pool->q, ev, entry);
		pool->nq++;
		pool_pump(pool);
	}
}

static const char *
group_of(const struct instance *in)
{
	return in->job->cfg->group != NULL ? in->job->cfg->group :
	    in->job->cfg->name;
}

/* supervisord's state names; QUEUED is drover's: as STOPPED. */
static const char *
sv_state(enum jstate s)
{
	return s == JS_QUEUED ? "STOPPED" : jstate_names[s];
}

static void
on_state(const struct bus_event *be)
{
	const struct instance	*in = be->in;
	struct evl_proc		*p;
	char			 buf[1024], ename[64];
	int			 n, type;

	/*
	 * A listener leaving RUNNING is not gone: a stopping one may still
	 * answer, and take what is queued.  It is gone when its stdout ends
	 * (evl_data()), after the last of its bytes has been read.
	 */
	if (be->st.to == JS_QUEUED)
		return;
	snprintf(ename, sizeof(ename), "PROCESS_STATE_%s",
	    jstate_names[be->st.to]);
	if ((type = evl_type_lookup(ename)) == -1)
		return;
	n = snprintf(buf, sizeof(buf), "processname:%s groupname:%s "
	    "from_state:%s", in->name, group_of(in), sv_state(be->st.from));
	switch (be->st.to) {
	case JS_STARTING:
	case JS_BACKOFF:
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " tries:%d",
		    be->st.tries);
		break;
	case JS_EXITED:
		n += snprintf(buf + n, sizeof(buf) - (size_t)n,
		    " expected:%d pid:%ld", be->st.result == RES_OK,
		    (long)be->st.pid);
		break;
	case JS_RUNNING:
	case JS_STOPPING:
	case JS_STOPPED:
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " pid:%ld",
		    (long)be->st.pid);
		break;
	default:
		break;
	}
	evl_emit(type, buf, (size_t)n);
	if (in->job->cfg->listener && be->st.to == JS_RUNNING &&
	    (p = proc_find(in)) != NULL)
		pool_pump(p->pool);
}

static void
on_output(const struct bus_event *be)
{
	const struct instance	*in = be->in;
	const struct job_config	*cfg = in->job->cfg;
	char			 hdr[512], *buf;
	int			 n;

	if (!(be->out.is_err ? cfg->stderr_events : cfg->stdout_events))
		return;
	n = snprintf(hdr, sizeof(hdr), "processname:%s groupname:%s pid:%ld "
	    "channel:%s\n", in->name, group_of(in), (long)in->pid,
	    be->out.is_err ? "stderr" : "stdout");
	buf = xmalloc((size_t)n + be->out.len + 1);
	memcpy(buf, hdr, (size_t)n);
	memcpy(buf + n, be->out.line, be->out.len);
	buf[(size_t)n + be->out.len] = '\n';
	evl_emit(evl_type_lookup(be->out.is_err ? "PROCESS_LOG_STDERR" :
	    "PROCESS_LOG_STDOUT"), buf, (size_t)n + be->out.len + 1);
	free(buf);
}

/* Capture mode's data (output.c): "processname:P groupname:G pid:N\n"
 * then the bytes between the tokens, as supervisord sends them. */
static void
evl_comm(struct instance *in, bool is_err, const char *data, size_t len)
{
	char	hdr[512], *buf;
	int	n;

	n = snprintf(hdr, sizeof(hdr), "processname:%s groupname:%s pid:%ld\n",
	    in->name, group_of(in), (long)in->pid);
	buf = xmalloc((size_t)n + len);
	memcpy(buf, hdr, (size_t)n);
	memcpy(buf + n, data, len);
	evl_emit(evl_type_lookup(is_err ? "PROCESS_COMMUNICATION_STDERR" :
	    "PROCESS_COMMUNICATION_STDOUT"), buf, (size_t)n + len);
	free(buf);
}

/*
 * A reload added, removed or restarted JOB: its pool follows, before the
 * group events, so that a new pool hears its own PROCESS_GROUP_ADDED and
 * a removed one not its own PROCESS_GROUP_REMOVED (supervisord's order).
 * A restarted pool keeps its queue for its new processes.
 */
static void
pool_update(const struct job *job, enum bus_job jb)
{
	struct evl_pool	*pool = pool_find(job->cfg->name);

	if (jb != BJ_REMOVED && job->cfg->listener) {
		if (pool == NULL) {
			pool_new(job);
			log_info("event listener pool %s: added", job->cfg->name);
		} else {
			pool->job = job;
			pool_configure(pool);
		}
	} else if (pool != NULL && (jb != BJ_REMOVED || pool->job == job)) {
		log_info("event listener pool %s: removed", pool->name);
		pool_remove(pool);
	}
	event_active(E->reconf, 0, 0);
}

static void
on_job(const struct bus_event *be)
{
	const struct job_config	*cfg = be->job->cfg, *was = cfg;
	char			 buf[512];
	int			 n;

	/* restarted: supervisorctl update removes the old group, adds the
	 * new one (its name may have changed) */
	if (be->jb == BJ_CHANGED && be->job->replaces != NULL)
		was = be->job->replaces->cfg;
	pool_update(be->job, be->jb);
	if (be->jb != BJ_ADDED) {
		n = snprintf(buf, sizeof(buf), "groupname:%s\n",
		    was->group != NULL ? was->group : was->name);
		evl_emit(evl_type_lookup("PROCESS_GROUP_REMOVED"), buf,
		    (size_t)n);
	}
	if (be->jb != BJ_REMOVED) {
		n = snprintf(buf, sizeof(buf), "groupname:%s\n",
		    cfg->group != NULL ? cfg->group : cfg->name);
		evl_emit(evl_type_lookup("PROCESS_GROUP_ADDED"), buf,
		    (size_t)n);
	}
}

static void
evl_bus(const struct bus_event *be, void *arg)
{
	pools_sync();
	switch (be->type) {
	case BUS_STATE:
		on_state(be);
		break;
	case BUS_OUTPUT:
		on_output(be);
		break;
	case BUS_JOB:
		on_job(be);
		break;
	case BUS_DROVER:
		if (be->dp.from == DP_RELOADING)
			event_active(E->reconf, 0, 0);
		/* the end of a reload is no new start */
		if (be->dp.to == DP_STARTED && be->dp.from != DP_RELOADING)
			evl_emit(evl_type_lookup(
			    "SUPERVISOR_STATE_CHANGE_RUNNING"), "", 0);
		else if (be->dp.to == DP_STOPPING)
			evl_emit(evl_type_lookup(
			    "SUPERVISOR_STATE_CHANGE_STOPPING"), "", 0);
		break;
	default:
		break;
	}
}

/* TICK_N: "when:T", T the wall-clock second rounded down to N, as
 * supervisord has it. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	int	i = (int)(intptr_t)arg;
	char	buf[64], name[16];
	time_t	now = time(NULL);
	int	n;

	n = snprintf(buf, sizeof(buf), "when:%lld",
	    (long long)(now - now % tick_secs[i]));
	snprintf(name, sizeof(name), "TICK_%d", tick_secs[i]);
	evl_emit(evl_type_lookup(name), buf, (size_t)n);
}

/* A timer per TICK type some pool subscribes to; none otherwise, so an
 * idle drover without tick listeners does not wake up.  A reload arms
 * the new ones and frees the unwanted; one kept keeps its period. */
static void
ticks_sync(void)
{
	struct evl_pool	*pool;
	struct timeval	 tv;
	char		 name[16];
	bool		 want;
	int		 i, t;

	for (i = 0; i < NTICKS; i++) {
		snprintf(name, sizeof(name), "TICK_%d", tick_secs[i]);
		t = evl_type_lookup(name);
		want = false;
		TAILQ_FOREACH(pool, &E->pools, entry)
			want |= !pool->removed && pool->subs[t];
		if (!want && E->tick[i] != NULL) {
			event_free(E->tick[i]);
			E->tick[i] = NULL;
		}
		if (!want || E->tick[i] != NULL)
			continue;
		E->tick[i] = event_new(E->d->d_base, -1, EV_PERSIST, tick_cb,
		    (void *)(intptr_t)i);
		tv.tv_sec = tick_secs[i];
		tv.tv_usec = 0;
		if (E->tick[i] == NULL || event_add(E->tick[i], &tv) == -1)
			fatalx("cannot arm TICK_%d", tick_secs[i]);
	}
}

/* What evl_bus needs: output lines only if a job sends PROCESS_LOG. */
static unsigned
bus_mask(void)
{
	unsigned	mask = BUS_MASK(BUS_STATE) | BUS_MASK(BUS_JOB) |
			    BUS_MASK(BUS_DROVER);
	int		i;

	for (i = 0; i < E->d->d_njobs; i++)
		if (E->d->d_jobs[i]->cfg->stdout_events ||
		    E->d->d_jobs[i]->cfg->stderr_events)
			mask |= BUS_MASK(BUS_OUTPUT);
	return mask;
}

/* After a reload, from the loop (the bus forbids subscribing while it
 * delivers): the ticks and the output lines the new table wants.  It
 * runs before the loop reads any new job's first output. */
static void
reconf_cb(evutil_socket_t fd, short what, void *arg)
{
	unsigned	mask = bus_mask();

	ticks_sync();
	if (mask == E->mask)
		return;
	bus_unsubscribe(E->d->d_bus, evl_bus, E);
	E->mask = mask;
	bus_subscribe(E->d->d_bus, BUS_PRIO_LISTENER, mask, evl_bus, E);
}

/* Pools for the listener jobs of the table.  Subscribed even with none,
 * for a reload that adds one. */
void
evlisten_init(struct drover *d)
{
	int	i;

	E = xcalloc(1, sizeof(*E));
	E->d = d;
	TAILQ_INIT(&E->pools);
	for (i = 0; i < d->d_njobs; i++)
		if (d->d_jobs[i]->cfg->listener)
			pool_new(d->d_jobs[i]);
	if ((E->reconf = event_new(d->d_base, -1, 0, reconf_cb, E)) == NULL)
		fatalx("event_new");
	d->d_evl_spawned = evl_spawned;
	d->d_evl_data = evl_data;
	d->d_evl_comm = evl_comm;
	ticks_sync();
	E->mask = bus_mask();
	bus_subscribe(d->d_bus, BUS_PRIO_LISTENER, E->mask, evl_bus, E);
}

/* REMOTE_COMMUNICATION: "type:T\n" then the data, as supervisord's
 * sendRemoteCommEvent() sends it (for the XML-RPC interface to call). */
void
evlisten_remote_comm(const char *type, const char *data)
{
	char	*buf;
	int	 n;

	if (E == NULL || TAILQ_EMPTY(&E->pools))
		return;
	n = asprintf(&buf, "type:%s\n%s", type, data);
	if (n == -1)
		fatal("asprintf");
	evl_emit(evl_type_lookup("REMOTE_COMMUNICATION"), buf, (size_t)n);
	free(buf);
}

/* For droverctl status: the pool's queue and what it had to drop. */
bool
evlisten_pool_stats(const char *pool, int *queued, uint64_t *dropped)
{
	struct evl_pool	*p;

	if (E == NULL || (p = pool_find(pool)) == NULL)
		return false;
	*queued = p->nq;
	*dropped = p->dropped;
	return true;
}

void
evlisten_fini(struct drover *d)
{
	struct evl_pool	*pool;
	struct evl_ev	*ev;
	int		 i;

	if (E == NULL)
		return;
	bus_unsubscribe(d->d_bus, evl_bus, E);
	for (i = 0; i < NTICKS; i++)
		if (E->tick[i] != NULL)
			event_free(E->tick[i]);
	event_free(E->reconf);
	while ((pool = TAILQ_FIRST(&E->pools)) != NULL) {
		while (!LIST_EMPTY(&pool->procs))
			proc_gone(LIST_FIRST(&pool->procs));
		/*
		 * No listener is left to hear them (its own STOPPED, at
		 * least): said, not dropped silently.
		 */
		if ((ev = TAILQ_FIRST(&pool->q)) != NULL)
			log_notice("event listener pool %s: %d events queued "
			    "at exit (serial %llu to %llu)", pool->name,
			    pool->nq, (unsigned long long)ev->serial,
			    (unsigned long long)TAILQ_LAST(&pool->q,
			    evl_q)->serial);
		if (pool->dropped > 0)
			log_warnx("event listener pool %s: %llu events dropped",
			    pool->name, (unsigned long long)pool->dropped);
		pool_free(pool);
	}
	free(E);
	E = NULL;
	d->d_evl_spawned = NULL;
	d->d_evl_data = NULL;
	d->d_evl_comm = NULL;
}

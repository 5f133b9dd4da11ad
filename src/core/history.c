/*
 * history.c: run history and counters per instance (history.h).
 *
 * A bus subscriber at BUS_PRIO_LISTENER: it sees a change after drover
 * has acted on it, and only reads the instance.  Records are keyed by
 * instance name in a small hash table owned here (d_history), and an
 * instance caches its record in in->hist; a record outlives the
 * instance (a reload that rebuilds a job keeps its counters), and is
 * only freed when drover exits, so the cache never dangles.
 */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "history.h"
#include "xmalloc.h"

#define HASH_SIZE	256	/* grows: 2 records a bucket at most */

const double hist_buckets[HIST_NBUCKETS] = {
	0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600,
};

struct history {
	struct drover	 *d;
	struct hist	**tab;
	size_t		  size, n;
};

/* --- the ring ------------------------------------------------------------ */

/* i = 0 is the oldest run kept. */
const struct hist_run *
hist_ring_get(const struct hist_ring *r, int i)
{
	if (i < 0 || i >= r->n || r->cap == 0)
		return NULL;
	return &r->runs[(r->head - r->n + i + r->cap) % r->cap];
}

/* A new bound, keeping the newest runs. */
void
hist_ring_resize(struct hist_ring *r, int cap)
{
	struct hist_run	*runs;
	int		 n, i, skip;

	if (cap < 1)
		cap = 1;
	if (cap == r->cap)
		return;
	runs = xcalloc((size_t)cap, sizeof(*runs));
	n = r->n < cap ? r->n : cap;
	skip = r->n - n;
	for (i = 0; i < n; i++)
		runs[i] = *hist_ring_get(r, skip + i);
	free(r->runs);
	r->runs = runs;
	r->cap = cap;
	r->n = n;
	r->head = n % cap;
}

void
hist_ring_push(struct hist_ring *r, const struct hist_run *run)
{
	if (r->cap == 0)
		hist_ring_resize(r, HISTORY_DEFAULT);
	r->runs[r->head] = *run;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

void
hist_ring_free(struct hist_ring *r)
{
	free(r->runs);
	memset(r, 0, sizeof(*r));
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int64_t
hist_ring_median(const struct hist_ring *r)
{
	int64_t	*v, m;
	int	 i, n = 0;

	if (r->n == 0)
		return -1;
	v = xcalloc((size_t)r->n, sizeof(*v));
	for (i = 0; i < r->n; i++)
		if (hist_ring_get(r, i)->r.pid > 0)
			v[n++] = hist_ring_get(r, i)->r.duration;
	if (n == 0) {
		free(v);
		return -1;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

/* --- records by name ---------------------------------------------------- */

static size_t
hash_name(const char *s, size_t size)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (size - 1);
}

static void
history_grow(struct history *h)
{
	struct hist	**tab, *e, *next;
	size_t		  size = h->size * 2, i, k;

	tab = xcalloc(size, sizeof(*tab));
	for (i = 0; i < h->size; i++)
		for (e = h->tab[i]; e != NULL; e = next) {
			next = e->next;
			k = hash_name(e->name, size);
			e->next = tab[k];
			tab[k] = e;
		}
	free(h->tab);
	h->tab = tab;
	h->size = size;
}

/* Bind an instance to its record: found by name, or new. */
static struct hist *
history_bind(struct history *h, struct instance *in, int64_t now)
{
	struct hist	*e;
	size_t		 k = hash_name(in->name, h->size);

	for (e = h->tab[k]; e != NULL; e = e->next)
		if (strcmp(e->name, in->name) == 0)
			break;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(in->name);
		e->state = in->state;
		e->since = in->state_since;
		e->next = h->tab[k];
		h->tab[k] = e;
		if (++h->n > h->size * 2)
			history_grow(h);
	} else {
		e->state_ms[e->state] += now - e->since;
		e->state = in->state;
		e->since = now;
	}
	free(e->job);
	e->job = xstrdup(in->job->cfg->name);
	e->kind = job_kind_name(in->job->cfg->kind);
	e->removed = false;
	e->seen_restarts = 0;
	/* the ring is made by the first run that ends (on_result): a
	 * service that never exits does not pay for one */
	if (e->ring.cap != 0)
		hist_ring_resize(&e->ring, in->job->cfg->history);
	in->hist = e;
	return e;
}

struct hist *
history_of(struct instance *in)
{
	/* a reload may change the key in place: apply it on the next look */
	if (in->hist != NULL && in->hist->ring.cap != 0 &&
	    in->hist->ring.cap != in->job->cfg->history)
		hist_ring_resize(&in->hist->ring, in->job->cfg->history);
	if (in->hist != NULL)
		return in->hist;
	return history_bind(in->d->d_history, in, in->d->d_ops->now());
}

int64_t
history_state_ms(const struct hist *e, enum jstate s, int64_t now)
{
	return e->state_ms[s] + (e->state == s ? now - e->since : 0);
}

void
history_stats(const struct hist *e, struct hist_stats *s)
{
	const struct hist_run	*run;
	int			 i;

	memset(s, 0, sizeof(*s));
	s->runs = e->runs;
	s->ok = e->by_result[RES_OK];
	s->judged = e->runs - e->by_result[RES_CANCELLED];
	s->success = s->judged > 0 ? (double)s->ok / (double)s->judged : -1;
	s->last_ms = -1;
	for (i = e->ring.n - 1; i >= 0; i--) {
		run = hist_ring_get(&e->ring, i);
		if (run->r.pid > 0) {
			s->last_ms = run->r.duration;
			break;
		}
	}
	s->median_ms = hist_ring_median(&e->ring);
}

/* --- the subscriber ------------------------------------------------------ */

static void
on_state(struct hist *e, const struct bus_event *ev, int64_t now)
{
	struct instance	*in = ev->in;

	e->state_ms[e->state] += now - e->since;
	e->state = ev->st.to;
	e->since = now;
	/* tries counts failures before this change: the coming run is
	 * attempt tries + 1 (a RESULT always follows the state its run
	 * started from, since the bus keeps publish order) */
	e->try_next = ev->st.tries + 1;
	if (in->restarts > e->seen_restarts)
		e->restarts += (uint64_t)(in->restarts - e->seen_restarts);
	e->seen_restarts = in->restarts;
}

static void
on_result(struct hist *e, const struct bus_event *ev)
{
	struct instance	*in = ev->in;
	struct hist_run	 run;
	int		 i;

	memset(&run, 0, sizeof(run));
	run.r = ev->res;
	run.tries = e->try_next > 0 ? e->try_next : 1;
	if (e->ring.cap != in->job->cfg->history)
		hist_ring_resize(&e->ring, in->job->cfg->history);
	hist_ring_push(&e->ring, &run);
	e->runs++;
	if (run.r.result < RES__MAX)
		e->by_result[run.r.result]++;
	if (run.r.pid <= 0)
		return;		/* never ran: no duration */
	e->dur_n++;
	e->dur_sum_ms += run.r.duration;
	for (i = 0; i < HIST_NBUCKETS; i++)
		if ((double)run.r.duration / 1000.0 <= hist_buckets[i])
			e->dur_count[i]++;
}

static void
history_bus(const struct bus_event *ev, void *arg)
{
	struct history	*h = arg;
	struct hist	*e;
	int		 k;

	if (ev->type == BUS_JOB) {
		if (ev->jb != BJ_REMOVED)
			return;
		for (k = 0; k < ev->job->ninst; k++)
			if (ev->job->inst[k]->hist != NULL)
				ev->job->inst[k]->hist->removed = true;
		return;
	}
	if (ev->in->job->removed)
		return;		/* a retired run: its name may be reused */
	e = history_of(ev->in);
	if (ev->type == BUS_STATE)
		on_state(e, ev, h->d->d_ops->now());
	else
		on_result(e, ev);
}

void
history_init(struct drover *d)
{
	struct history	*h = xcalloc(1, sizeof(*h));

	h->d = d;
	h->size = HASH_SIZE;
	h->tab = xcalloc(h->size, sizeof(*h->tab));
	d->d_history = h;
	bus_subscribe(d->d_bus, BUS_PRIO_LISTENER, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_RESULT) | BUS_MASK(BUS_JOB), history_bus, h);
}

void
history_fini(struct drover *d)
{
	struct history	*h = d->d_history;
	struct hist	*e, *next;
	size_t		 i;

	if (h == NULL)
		return;
	if (d->d_bus != NULL)	/* engine_free_jobs() may have freed it */
		bus_unsubscribe(d->d_bus, history_bus, h);
	for (i = 0; i < h->size; i++)
		for (e = h->tab[i]; e != NULL; e = next) {
			next = e->next;
			hist_ring_free(&e->ring);
			free(e->job);
			free(e->name);
			free(e);
		}
	free(h->tab);
	free(h);
	d->d_history = NULL;
}

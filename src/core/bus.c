/*
 * bus.c: the internal event bus; bus.h has the rules of delivery.
 *
 * A FIFO of events and a list of subscribers sorted by priority.  An event
 * published while a hold is taken, or while an earlier event is being
 * delivered, is queued; the release of the last hold (or the end of the
 * delivery in progress) drains the queue, one event to all subscribers at
 * a time.  Nothing here knows what the events mean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "xmalloc.h"

const char *const dphase_names[DP__MAX] = {
	[DP_STARTING] = "starting", [DP_STARTED] = "started",
	[DP_READY] = "ready", [DP_RELOADING] = "reloading",
	[DP_STOPPING] = "stopping", [DP_CANCELLING] = "cancelling",
	[DP_KILLING] = "killing", [DP_STOPPED] = "stopped",
};

struct bus_sub {
	int		 prio;
	unsigned	 mask;
	bus_fn		 fn;
	void		*arg;
};

/* A queued event; an output line is copied (the caller's buffer is reused). */
struct qent {
	struct bus_event ev;
	char		*owned;
};

struct bus {
	struct bus_sub	*subs;
	size_t		 nsubs;
	unsigned	 wanted;	/* union of the masks */
	struct qent	*q;		/* q[head..tail) waits */
	size_t		 head, tail, cap;
	int		 holds;
	bool		 draining;
	enum dphase	 phase;
	uint64_t	 delivered;
};

struct bus *
bus_new(void)
{
	struct bus	*b = xcalloc(1, sizeof(*b));

	b->phase = DP_STARTING;
	return b;
}

static void
qent_clear(struct qent *e)
{
	free(e->owned);
	e->owned = NULL;
	e->ev.type = BUS__MAX;
}

void
bus_free(struct bus *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = b->head; i < b->tail; i++)
		qent_clear(&b->q[i]);
	free(b->q);
	free(b->subs);
	free(b);
}

static void
recompute_wanted(struct bus *b)
{
	size_t	i;

	b->wanted = 0;
	for (i = 0; i < b->nsubs; i++)
		b->wanted |= b->subs[i].mask;
}

/* Subscribe at start-up, not from a subscriber (the list is walked). */
void
bus_subscribe(struct bus *b, int prio, unsigned mask, bus_fn fn, void *arg)
{
	size_t	i;

	if (b->draining)
		fatalx("bus: subscribe during delivery");
	b->subs = xreallocarray(b->subs, b->nsubs + 1, sizeof(*b->subs));
	/* after every subscriber of the same or a lower priority */
	for (i = b->nsubs; i > 0 && b->subs[i - 1].prio > prio; i--)
		b->subs[i] = b->subs[i - 1];
	b->subs[i] = (struct bus_sub){ prio, mask, fn, arg };
	b->nsubs++;
	recompute_wanted(b);
}

void
bus_unsubscribe(struct bus *b, bus_fn fn, void *arg)
{
	size_t	i;

	if (b->draining)
		fatalx("bus: unsubscribe during delivery");
	for (i = 0; i < b->nsubs; i++) {
		if (b->subs[i].fn == fn && b->subs[i].arg == arg) {
			memmove(&b->subs[i], &b->subs[i + 1],
			    (b->nsubs - i - 1) * sizeof(*b->subs));
			b->nsubs--;
			break;
		}
	}
	recompute_wanted(b);
}

/* Does anyone subscribe to this type?  (Output lines cost nothing else.) */
bool
bus_wants(const struct bus *b, enum bus_type t)
{
	return (b->wanted & BUS_MASK(t)) != 0;
}

static void
enqueue(struct bus *b, const struct bus_event *ev)
{
	struct qent	*e;

	if (b->head == b->tail)
		b->head = b->tail = 0;
	else if (b->tail == b->cap && b->head > 0) {
		memmove(b->q, b->q + b->head, (b->tail - b->head) *
		    sizeof(*b->q));
		b->tail -= b->head;
		b->head = 0;
	}
	if (b->tail == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->q = xreallocarray(b->q, b->cap, sizeof(*b->q));
	}
	e = &b->q[b->tail++];
	e->ev = *ev;
	e->owned = NULL;
	if (ev->type == BUS_OUTPUT) {
		e->owned = xmalloc(ev->out.len + 1);
		memcpy(e->owned, ev->out.line, ev->out.len);
		e->owned[ev->out.len] = '\0';
		e->ev.out.line = e->owned;
	}
}

/*
 * One event to its subscribers.  With --debug, one slower than the loop's
 * slow-callback bound is named by its priority (bus.h's table).
 */
static void
deliver(struct bus *b, const struct bus_event *ev)
{
	char	who[32];
	size_t	i;
	int64_t	t0;

	for (i = 0; i < b->nsubs; i++) {
		if (!(b->subs[i].mask & BUS_MASK(ev->type)))
			continue;
		t0 = log_cb_begin();
		b->subs[i].fn(ev, b->subs[i].arg);
		if (t0 != 0) {
			snprintf(who, sizeof(who), "priority %d",
			    b->subs[i].prio);
			log_cb_end(t0, "bus subscriber at", who);
		}
	}
	b->delivered++;
}

/* Deliver everything queued, including what subscribers publish. */
static void
drain(struct bus *b)
{
	struct qent	e;

	b->draining = true;
	while (b->head < b->tail) {
		e = b->q[b->head++];	/* a copy: the queue may move */
		if (e.ev.type != BUS__MAX)
			deliver(b, &e.ev);
		qent_clear(&e);
	}
	b->head = b->tail = 0;
	b->draining = false;
}

void
bus_publish(struct bus *b, const struct bus_event *ev)
{
	if (ev->type >= BUS__MAX || !(b->wanted & BUS_MASK(ev->type)))
		return;
	enqueue(b, ev);
	if (b->holds == 0 && !b->draining)
		drain(b);
}

/* A transition (or another multi-step change) is in progress. */
void
bus_hold(struct bus *b)
{
	b->holds++;
}

void
bus_release(struct bus *b)
{
	if (b->holds <= 0)
		fatalx("bus: release without a hold");
	if (--b->holds == 0 && !b->draining && b->head < b->tail)
		drain(b);
}

int
bus_holds(const struct bus *b)
{
	return b->holds;
}

/* Drop what is queued about an instance or a job about to be freed. */
void
bus_forget(struct bus *b, const void *p)
{
	size_t	i;

	const struct bus_event	*ev;

	for (i = b->head; i < b->tail; i++) {
		ev = &b->q[i].ev;
		if (ev->type != BUS__MAX && (ev->in == p || ev->job == p))
			qent_clear(&b->q[i]);
	}
}

enum dphase
bus_phase(const struct bus *b)
{
	return b->phase;
}

/* Drover's life cycle moves on: tell whoever listens. */
void
bus_set_phase(struct bus *b, enum dphase to)
{
	struct bus_event	ev = { .type = BUS_DROVER };

	if (to == b->phase)
		return;
	ev.dp.from = b->phase;
	ev.dp.to = to;
	b->phase = to;
	log_debug("drover: %s -> %s", dphase_names[ev.dp.from],
	    dphase_names[to]);
	bus_publish(b, &ev);
}

/* Events delivered so far (tests, metrics). */
uint64_t
bus_delivered(const struct bus *b)
{
	return b->delivered;
}

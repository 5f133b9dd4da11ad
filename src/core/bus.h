/*
 * bus.h: the internal event bus, "what just happened" (src/README).
 *
 * job.c publishes what happens to an instance (its state changed, a run
 * has its result), output.c the lines of a job's output, reload.c the jobs
 * a reload added, removed or changed, and the life cycle of drover itself
 * (started, ready, reloading, the shutdown phases) is published by the
 * module that moves it on.  Modules above job.c subscribe; none of them is
 * called by the module that publishes.
 *
 * Delivery, the rules every subscriber may count on:
 * - Deferred: an event published while a transition is in progress (a
 *   hold, taken by every entry point of job.c and by any module in the
 *   middle of a multi-step change) waits in a FIFO queue until the last
 *   hold is released.  A subscriber therefore never runs inside a
 *   transition, and may call instance_event() itself: what that publishes
 *   is queued behind the current event.
 * - Ordered: events go out in the order they were published; each event
 *   reaches every subscriber before the next event reaches any.
 *   Subscribers of one event run by priority (BUS_PRIO_*, lower first),
 *   those of equal priority in the order they subscribed.  So the
 *   scheduler has queued, dispatched or released for a change before the
 *   conductor plans on it, and both before the control socket replies on
 *   it.
 * - Never blocking: subscribers run on the event loop and must return
 *   promptly: no blocking I/O, bounded work per event.  Whole-table work
 *   is deferred to the loop (event_active), as the conductor's settle pass
 *   and the control socket's wait checks are; a reply goes into a
 *   bufferevent, never a blocking write.  With --debug a subscriber that
 *   takes longer than the loop's slow-callback bound is logged.
 * - Pointers in an event are valid during its delivery.  An instance or
 *   job is only freed from the loop, with nothing queued (bus_forget() is
 *   the safety net).
 */
#ifndef DROVER_BUS_H
#define DROVER_BUS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drover.h"

enum bus_type {
	BUS_STATE,	/* an instance changed state */
	BUS_RESULT,	/* a run ended (or never started) with its result */
	BUS_OUTPUT,	/* a line of a job's log-sink output, if anyone asks */
	BUS_JOB,	/* a reload added, removed or changed a job */
	BUS_DROVER,	/* drover's own life cycle moved on */
	BUS__MAX
};
#define BUS_MASK(t)	(1u << (t))
#define BUS_ALL		((1u << BUS__MAX) - 1)

enum bus_job { BJ_ADDED, BJ_REMOVED, BJ_CHANGED };

/* Drover's life cycle, as BUS_DROVER tells it. */
enum dphase {
	DP_STARTING,	/* configuration loaded, nothing started */
	DP_STARTED,	/* autostart done */
	DP_READY,	/* every autostart service up (READY=1) */
	DP_RELOADING,	/* applying a new configuration; then back */
	DP_STOPPING,	/* shutdown: draining */
	DP_CANCELLING,	/* shutdown: cancelling what is left */
	DP_KILLING,	/* shutdown: SIGKILL to everything */
	DP_STOPPED,	/* nothing left; the loop exits */
	DP__MAX
};
extern const char *const dphase_names[DP__MAX];

struct bus_event {
	enum bus_type	 type;
	struct instance	*in;		/* STATE, RESULT, OUTPUT */
	struct job	*job;		/* JOB; the instance's job otherwise */
	union {
		struct {		/* BUS_STATE */
			enum jstate	 from, to;
			enum result	 result;	/* of the last run */
			pid_t		 pid;		/* 0: no process */
			int		 tries;		/* failed starts/runs */
		} st;
		struct result_rec res;	/* BUS_RESULT */
		struct {		/* BUS_OUTPUT */
			const char	*line;		/* no newline, not NUL- */
			size_t		 len;		/* terminated */
			bool		 is_err;
		} out;
		enum bus_job	 jb;	/* BUS_JOB */
		struct {		/* BUS_DROVER */
			enum dphase	 from, to;
		} dp;
	};
};

/*
 * Priorities: the order of delivery of one event.  The next consumers
 * (event listeners, history, metrics, the web page) come after the
 * control socket: they see a change once drover has acted on it.
 */
#define BUS_PRIO_SCHED		10	/* queues, slots, dependencies */
#define BUS_PRIO_CONDUCTOR	20	/* policy; shutdown, reload, --once */
#define BUS_PRIO_NOTIFY		30	/* STATUS=, READY=1 */
#define BUS_PRIO_PROC		40	/* cgroup leaves of settled runs */
#define BUS_PRIO_CONTROL	50	/* waiting requests reply */
#define BUS_PRIO_LISTENER	60	/* the next issues' consumers */
#define BUS_PRIO_TEST		100

typedef void (*bus_fn)(const struct bus_event *, void *arg);

struct bus;

struct bus	*bus_new(void);
void		 bus_free(struct bus *);
void		 bus_subscribe(struct bus *, int prio, unsigned mask, bus_fn fn,
		    void *arg);
void		 bus_unsubscribe(struct bus *, bus_fn fn, void *arg);
bool		 bus_wants(const struct bus *, enum bus_type);
void		 bus_publish(struct bus *, const struct bus_event *);
void		 bus_hold(struct bus *);
void		 bus_release(struct bus *);	/* the last one delivers */
int		 bus_holds(const struct bus *);
void		 bus_forget(struct bus *, const void *in_or_job);
enum dphase	 bus_phase(const struct bus *);
void		 bus_set_phase(struct bus *, enum dphase);	/* publishes */
uint64_t	 bus_delivered(const struct bus *);

#endif

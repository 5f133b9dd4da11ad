/*
 * history.h: what happened to each instance while drover runs (issue 18).
 *
 * A subscriber at BUS_PRIO_LISTENER keeps, per instance name, a bounded
 * ring of its last runs (the job's `history` key) and counters that
 * never reset while drover runs: runs by result, restarts, time in each
 * state, and a histogram of run durations.  Keyed by name, so a reload
 * that rebuilds a job keeps its history.  Read by control_cmd.c
 * (droverctl history, status) and metrics.c (/metrics).
 */
#ifndef DROVER_HISTORY_H
#define DROVER_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drover.h"

#define HISTORY_DEFAULT	10	/* runs kept per instance */
#define HISTORY_MAX	1000

/* The upper bounds (seconds) of the run duration histogram. */
#define HIST_NBUCKETS	11
extern const double hist_buckets[HIST_NBUCKETS];

struct hist_run {
	struct result_rec r;
	int		 tries;		/* consecutive failures, this one too */
};

/* The ring: the newest cap runs, oldest first by index. */
struct hist_ring {
	struct hist_run	*runs;
	int		 cap, n, head;	/* head: where the next one goes */
};

struct hist {
	char		*name;		/* the instance's */
	char		*job;
	const char	*kind;
	struct hist_ring ring;
	uint64_t	 runs;
	uint64_t	 by_result[RES__MAX];
	uint64_t	 restarts;
	int64_t		 state_ms[JS__MAX];	/* before `since` */
	enum jstate	 state;
	int64_t		 since;		/* monotonic ms */
	uint64_t	 dur_count[HIST_NBUCKETS];	/* cumulative below */
	uint64_t	 dur_n;		/* runs that had a process */
	int64_t		 dur_sum_ms;
	int		 seen_restarts;	/* of the bound instance */
	int		 try_next;	/* attempt of the coming run, 0 = 1st */
	bool		 removed;	/* its job is gone (reload) */
	struct hist	*next;		/* hash chain */
};

/* The ring alone (unit-tested). */
void	 hist_ring_resize(struct hist_ring *, int cap);
void	 hist_ring_push(struct hist_ring *, const struct hist_run *);
const struct hist_run *hist_ring_get(const struct hist_ring *, int i);
void	 hist_ring_free(struct hist_ring *);
/* Median duration (ms) of the runs kept that had a process; -1: none. */
int64_t	 hist_ring_median(const struct hist_ring *);

void	 history_init(struct drover *);		/* subscribes */
void	 history_fini(struct drover *);
/* The instance's history (made on first use). */
struct hist *history_of(struct instance *);
/* Time in state s so far, the current stay included. */
int64_t	 history_state_ms(const struct hist *, enum jstate s, int64_t now);

/* What droverctl status shows per task, from the counters and the ring. */
struct hist_stats {
	uint64_t	 runs;		/* all runs since drover started */
	uint64_t	 ok;
	uint64_t	 judged;	/* runs - cancelled: what the rate is of */
	double		 success;	/* ok / judged, -1: nothing judged */
	int64_t		 last_ms;	/* newest run with a process, -1: none */
	int64_t		 median_ms;	/* of the runs kept, -1: none */
};
void	 history_stats(const struct hist *, struct hist_stats *);

#endif

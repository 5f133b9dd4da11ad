/*
 * state.h: the state file, what drover keeps across a restart.
 *
 * One small JSON file ({"format": "drover-state", "version": 1, "jobs":
 * {NAME: {"stopped": true, "last_run_ms": N}}}) holding the operator's
 * wanted state of each autostart job (stopped by `droverctl stop`: it
 * stays stopped across a restart until `start`) and the last scheduled
 * run of each task with a schedule (for catch_up =).  Loaded once at
 * start-up, before autostart; a corrupt or foreign file is reported and
 * ignored.  Written atomically (a temporary file, fsync, rename, fsync of
 * the directory), from a timer that coalesces the changes of 200ms, so
 * never on the path of a spawn.  Only the jobs of the current
 * configuration are written: a job removed by a reload drops its state.
 */
#ifndef DROVER_STATE_H
#define DROVER_STATE_H

struct drover;

/* path NULL: no state file.  Loads it and subscribes. */
void	state_init(struct drover *, const char *path);
/* Writes what is pending, frees the timer. */
void	state_fini(struct drover *);

#endif

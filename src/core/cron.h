/*
 * cron.h: calendar schedules of tasks (schedule =).
 *
 * One libevent timer per scheduled task, armed only for its next run (no
 * periodic wake-up).  When it fires the task is started like any task
 * (IE_START: the group and global bounds apply, core/sched queues it), or,
 * if the previous run is still going, overlap = decides: skip (logged and
 * counted), queue (one more run after it), cancel-previous (IE_RESTART).
 * The timer is armed once autostart is done, re-armed after a reload
 * (a changed schedule is recomputed from now, never run early), and
 * dropped when the shutdown begins.
 */
#ifndef DROVER_CRON_H
#define DROVER_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

struct drover;
struct job;

void	cron_init(struct drover *);		/* subscribes */
/* A scheduled task that start-up and reload leave to its timer. */
bool	cron_job_timed(const struct job_config *);
/* "2026-12-04 02:30:00 CET", or "-" if none. */
void	cron_next_fmt(const struct job *, char *buf, size_t bufsz);
/* drover -t: the next n run times of each scheduled task. */
void	cron_print_next(const struct config *, int n, FILE *);

#endif

/*
 * config_hook.c: on_fatal = and on_exit = (drover.ini(5), HOOKS).
 *
 * A hook is a task of its own, built here from its job: named
 * "JOB.on_fatal" (each instance "INSTANCE.on_fatal", one per instance of
 * the job, so that two instances' events never wait on each other), not
 * autostarted, bounded by the job's hook_timeout, run as drover's user in
 * drover's directory, with its output in drover's log.  Being a task, it
 * is scheduled, bounded by max_concurrent, recorded and shown like any
 * other; core/hook.c starts it with the event in its environment.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"
#include "xmalloc.h"

const char *const hook_key_names[HOOK__MAX] = {
	[HOOK_FATAL] = "on_fatal", [HOOK_EXIT] = "on_exit",
};

/* The task for one hook of owner; argvs[i] (taken) for its instance i. */
struct job_config *
hook_job_new(const struct job_config *owner, enum hook_kind h,
    const struct rkey *k, char ***argvs)
{
	struct job_config	*job = xcalloc(1, sizeof(*job));
	struct proc_config	*p;
	int			 i;

	job->name = xprintf("%s.%s", owner->name, hook_key_names[h]);
	job->kind = JOB_TASK;
	job->file = xstrdup(k->file->path);
	job->line = k->line;
	job->umask = -1;
	job->autostart = false;
	job->autorestart = AR_FALSE;
	job->exitcodes[0] = 1;			/* 0 */
	job->backoff = 1000;
	job->backoff_max = 60 * 1000;
	job->stopsignal = SIGTERM;
	job->stopwaitsecs = 5 * 1000;
	job->killmode = KM_MIXED;
	job->priority = owner->priority;
	job->ready = READY_STARTED;
	job->start_timeout = 90 * 1000;
	job->timeout = owner->hook_timeout;
	job->buffer_size = 10;
	job->hook_of = xstrdup(owner->name);
	job->hook_kind = h;
	job->nprocs = owner->nprocs;
	job->procs = xcalloc((size_t)job->nprocs, sizeof(*job->procs));
	for (i = 0; i < job->nprocs; i++) {
		p = &job->procs[i];
		p->name = xprintf("%s.%s", owner->procs[i].name,
		    hook_key_names[h]);
		p->num = owner->procs[i].num;
		p->argv = argvs[i];
		p->out.kind = p->err.kind = SINK_LOG;
	}
	return job;
}

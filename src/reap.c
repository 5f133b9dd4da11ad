/*
 * reap.c: SIGCHLD.  Drain waitpid until nothing is left (signals
 * coalesce), dispatch by pid, and reap orphans: drover is a subreaper (or
 * PID 1), so what a job leaves behind is reparented here.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>

#include "drover.h"
#include "log.h"

void
reap_all(struct drover *d)
{
	struct instance	*in;
	pid_t		 pid;
	int		 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			break;
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("waitpid");
			break;
		}
		if ((in = pidmap_find(d, pid)) == NULL) {
			log_debug("reaped orphan %ld", (long)pid);
			continue;
		}
		pidmap_del(d, in);
		in->rflags |= RUN_REAPED;
		if (d->d_ops->tree_empty(in))
			in->rflags |= RUN_TREE_GONE;
		instance_event(in, IE_MAIN_EXIT, status);
		instance_run_flag(in, 0);
	}
	reap_check_trees(d);
}

/* Runs whose main process is gone but whose tree was not: look again. */
void
reap_check_trees(struct drover *d)
{
	struct instance	*in;
	int		 i, j;

	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if ((in->rflags & (RUN_ACTIVE | RUN_REAPED |
			    RUN_TREE_GONE)) != (RUN_ACTIVE | RUN_REAPED))
				continue;
			if (d->d_ops->tree_empty(in))
				instance_run_flag(in, RUN_TREE_GONE);
		}
	}
}

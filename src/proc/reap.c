/*
 * reap.c: SIGCHLD.  Drain waitpid until nothing is left (signals
 * coalesce), dispatch by pid, and reap orphans: drover is a subreaper (or
 * PID 1), so what a job leaves behind is reparented here.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drover.h"
#include "log.h"

/*
 * The job an orphan came from, by its cgroup (read while it is still a
 * zombie, before we reap it), or NULL without cgroups.
 */
static struct instance *
orphan_owner(struct drover *d, pid_t pid)
{
	char	 path[64], line[512], *rel = NULL;
	FILE	*f;
	int	 i, j;
	size_t	 rl, cl;
	struct instance *in;

	if (d->d_cg_base == NULL)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			rel = line + 3;
			rel[strcspn(rel, "\n")] = '\0';
			break;
		}
	fclose(f);
	if (rel == NULL || (rl = strlen(rel)) == 0)
		return NULL;
	for (i = 0; i < d->d_njobs; i++)
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if (in->cg_dir == NULL || (cl = strlen(in->cg_dir)) < rl)
				continue;
			if (strcmp(in->cg_dir + cl - rl, rel) == 0)
				return in;
		}
	return NULL;
}

/* Our run's main process is reaped. */
static void
reaped(struct drover *d, struct instance *in, int status)
{
	pidmap_del(d, in);
	spawn_reaped(in);	/* a failed exec nobody waited for */
	if (instance_reaped(in, status))
		d->d_trees_pending = true;	/* its tree is left */
}

void
reap_all(struct drover *d)
{
	struct instance	*in, *orphan = NULL;
	pid_t		 pid;
	int		 status;
	siginfo_t	 si;

	for (;;) {
		if (d->d_cg_base == NULL) {
			/* no leaf can name an orphan's job: reap at once */
			if ((pid = waitpid(-1, &status, WNOHANG)) == -1 &&
			    errno == EINTR)
				continue;
			if (pid <= 0)
				break;
			if ((in = pidmap_find(d, pid)) == NULL) {
				log_debug("reaped orphan %ld", (long)pid);
				continue;
			}
			reaped(d, in, status);
			continue;
		}
		/* look before reaping: an orphan's cgroup names its job */
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				log_warn("waitid");
			break;
		}
		if (si.si_pid == 0)
			break;
		in = pidmap_find(d, si.si_pid);
		orphan = NULL;
		if (in == NULL && (orphan = orphan_owner(d, si.si_pid)) != NULL)
			log_debug("%s: reaped orphan %ld", orphan->name,
			    (long)si.si_pid);
		else if (in == NULL)
			log_debug("reaped orphan %ld", (long)si.si_pid);
		while ((pid = waitpid(si.si_pid, &status, 0)) == -1 &&
		    errno == EINTR)
			;
		/* the last leftover of a run that is over: its leaf can go */
		if (in == NULL && orphan != NULL && !instance_active(orphan) &&
		    instance_settled(orphan))
			(void)cgroup_release(orphan);
		if (pid == -1 || in == NULL)
			continue;
		reaped(d, in, status);
	}
	reap_check_trees(d);
}

/*
 * Runs whose main process is gone but whose tree was not: look again.
 * Such runs are rare, so the walk over every instance happens only while
 * one may exist, not at every SIGCHLD.
 */
void
reap_check_trees(struct drover *d)
{
	struct instance	*in;
	int		 i, j;
	bool		 left = false;

	if (!d->d_trees_pending)
		return;
	for (i = 0; i < d->d_njobs; i++) {
		for (j = 0; j < d->d_jobs[i]->ninst; j++) {
			in = d->d_jobs[i]->inst[j];
			if ((in->rflags & (RUN_ACTIVE | RUN_REAPED |
			    RUN_TREE_GONE)) != (RUN_ACTIVE | RUN_REAPED))
				continue;
			if (d->d_ops->tree_empty(in) == 1)
				instance_run_flag(in, RUN_TREE_GONE);
			else
				left = true;
		}
	}
	d->d_trees_pending = left;
}

/*
 * spawner-cg -j J -n N -- CMD [ARG]...: spawner, with each run contained.
 *
 * The physical limit for one-shot jobs that each get a cgroup v2 leaf (as
 * drover's tasks do): per run, mkdir of a leaf in spawner-cg's own cgroup,
 * clone3(CLONE_INTO_CGROUP) into it, execv(), a blocking waitpid(), and
 * rmdir of the leaf once the run is reaped; nothing else.  See cgleaf.h.
 * Exits 0 if every run exited 0, else 1.
 */
#include "cgleaf.h"

#include <sys/wait.h>

int
main(int argc, char **argv)
{
	long jobs = 1, n = 0, started = 0, running = 0, failed = 0, i;
	pid_t *pids;
	sigset_t mask;
	int opt;

	while ((opt = getopt(argc, argv, "+j:n:")) != -1) {
		switch (opt) {
		case 'j': jobs = atol(optarg); break;
		case 'n': n = atol(optarg); break;
		default: goto usage;
		}
	}
	if (jobs <= 0 || n <= 0 || optind >= argc)
		goto usage;
	if (cgleaf_init() == -1) {
		perror("spawner-cg: own cgroup");
		return 111;
	}
	/* pids[k]: the run in leaf k (k < J), 0: free */
	if ((pids = calloc((size_t)jobs, sizeof(*pids))) == NULL)
		return 111;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	while (started < n || running > 0) {
		for (i = 0; running < jobs && started < n && i < jobs; i++) {
			if (pids[i] != 0)
				continue;
			pids[i] = cgleaf_spawn((unsigned long)i, argv + optind,
			    &mask);
			if (pids[i] < 0) {
				perror("spawner-cg: clone3 into a new leaf");
				return 111;
			}
			started++;
			running++;
		}
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("spawner-cg: waitpid");
			return 111;
		}
		for (i = 0; i < jobs && pids[i] != pid; i++)
			;
		if (i < jobs) {
			pids[i] = 0;
			running--;
			if (cgleaf_remove((unsigned long)i) == -1)
				perror("spawner-cg: rmdir leaf");
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: spawner-cg -j J -n N -- CMD [ARG]...\n");
	return 2;
}

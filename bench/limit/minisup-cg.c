/*
 * minisup-cg -n N -- CMD [ARG]...: minisup, with each child contained.
 *
 * The physical limit for a supervisor that gives every child a cgroup v2
 * leaf of its own (what drover does): everything minisup.c does, plus,
 * per child, mkdir of its leaf in minisup-cg's own cgroup and
 * clone3(CLONE_INTO_CGROUP) into it instead of fork(), and rmdir of the
 * leaf once the child is reaped (a restarted child gets a new leaf).
 * Nothing else: no controller, no cgroup.events watch, no bookkeeping
 * beyond a pid table.  See cgleaf.h.
 */
#include "cgleaf.h"

#include <sys/wait.h>

static pid_t *live;		/* pids of the running children */
static int *slot;		/* slot[pid] = 1 + index in live, 0: none */
static unsigned long *leaf;	/* leaf[pid]: the child's leaf */
static unsigned long nextleaf;
static int nlive, pidmax;
static char **cmd;
static sigset_t blocked, saved;

static void
die(const char *what)
{
	fprintf(stderr, "minisup-cg: %s: %s\n", what, strerror(errno));
	exit(111);
}

static void
spawn(void)
{
	pid_t pid = cgleaf_spawn(nextleaf, cmd, &saved);

	if (pid < 0)
		die("clone3 into a new leaf");
	if (pid >= pidmax)
		die("pid above pid_max");
	leaf[pid] = nextleaf++;
	slot[pid] = nlive + 1;
	live[nlive++] = pid;
}

/* Drop pid from the table and remove its leaf; 0 if it was not ours. */
static int
forget(pid_t pid)
{
	int i;

	if (pid >= pidmax || slot[pid] == 0)
		return 0;
	if (cgleaf_remove(leaf[pid]) == -1)
		fprintf(stderr, "minisup-cg: rmdir leaf c%lu: %s\n", leaf[pid],
		    strerror(errno));
	i = slot[pid] - 1;
	slot[pid] = 0;
	live[i] = live[--nlive];
	if (i < nlive)
		slot[live[i]] = i + 1;
	return 1;
}

int
main(int argc, char **argv)
{
	long n = 0;
	int opt, stopping = 0;
	FILE *f;

	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: minisup-cg -n N -- CMD [ARG]...\n");
			return 2;
		}
		n = atol(optarg);
	}
	if (n <= 0 || optind >= argc) {
		fprintf(stderr, "usage: minisup-cg -n N -- CMD [ARG]...\n");
		return 2;
	}
	cmd = argv + optind;
	if (cgleaf_init() == -1)
		die("own cgroup");
	pidmax = 4194304;
	if ((f = fopen("/proc/sys/kernel/pid_max", "re")) != NULL) {
		if (fscanf(f, "%d", &pidmax) != 1)
			pidmax = 4194304;
		fclose(f);
	}
	pidmax++;
	live = calloc((size_t)n, sizeof(*live));
	/* calloc: untouched pages of the tables cost no memory */
	slot = calloc((size_t)pidmax, sizeof(*slot));
	leaf = calloc((size_t)pidmax, sizeof(*leaf));
	if (live == NULL || slot == NULL || leaf == NULL)
		die("malloc");

	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigprocmask(SIG_BLOCK, &blocked, &saved);

	for (long i = 0; i < n; i++)
		spawn();
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&blocked, &si), st;
		pid_t pid;

		if (sig < 0) {
			if (errno == EINTR)
				continue;
			die("sigwaitinfo");
		}
		if (sig == SIGTERM || sig == SIGINT) {
			stopping = 1;
			for (int i = 0; i < nlive; i++)
				kill(live[i], SIGTERM);
		}
		/* SIGCHLDs coalesce: reap everything there is */
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (forget(pid) && !stopping)
				spawn();
		}
		if (stopping && nlive == 0)
			return 0;
	}
}

/*
 * minisup -n N -- CMD [ARG]...: the least a supervisor can do.
 *
 * The physical limit the benchmark compares supervisors with: one process
 * that fork()s and execv()s N copies of CMD, restarts any that exits at
 * once (no backoff, no bookkeeping beyond a pid table), and sleeps in
 * sigwaitinfo() otherwise, so it has no timer and no idle wake-up.  On
 * SIGTERM or SIGINT it sends SIGTERM to every child, reaps them all and
 * exits 0.  Children inherit its stdin/stdout/stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *live;		/* pids of the running children */
static int *slot;		/* slot[pid] = 1 + index in live, 0: none */
static int nlive, pidmax;
static char **cmd;
static sigset_t blocked, saved;

static void
die(const char *what)
{
	fprintf(stderr, "minisup: %s: %s\n", what, strerror(errno));
	exit(111);
}

static void
spawn(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &saved, NULL);
		execv(cmd[0], cmd);
		_exit(127);
	}
	if (pid >= pidmax)
		die("pid above pid_max");
	slot[pid] = nlive + 1;
	live[nlive++] = pid;
}

/* Drop pid from the table; 0 if it was not ours (an orphan). */
static int
forget(pid_t pid)
{
	int i;

	if (pid >= pidmax || slot[pid] == 0)
		return 0;
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
			fprintf(stderr, "usage: minisup -n N -- CMD [ARG]...\n");
			return 2;
		}
		n = atol(optarg);
	}
	if (n <= 0 || optind >= argc) {
		fprintf(stderr, "usage: minisup -n N -- CMD [ARG]...\n");
		return 2;
	}
	cmd = argv + optind;
	pidmax = 4194304;
	if ((f = fopen("/proc/sys/kernel/pid_max", "re")) != NULL) {
		if (fscanf(f, "%d", &pidmax) != 1)
			pidmax = 4194304;
		fclose(f);
	}
	pidmax++;
	live = calloc((size_t)n, sizeof(*live));
	/* calloc: untouched pages of the table cost no memory */
	slot = calloc((size_t)pidmax, sizeof(*slot));
	if (live == NULL || slot == NULL)
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

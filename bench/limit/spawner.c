/*
 * spawner -j J -n N -- CMD [ARG]...: run CMD N times, J at a time.
 *
 * The physical limit for one-shot jobs: fork(), execv(), and a blocking
 * waitpid() that starts the next run as soon as one ends.  Exits 0 if
 * every run exited 0, else 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long jobs = 1, n = 0, started = 0, running = 0, failed = 0;
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
	while (started < n || running > 0) {
		while (running < jobs && started < n) {
			pid_t pid = fork();

			if (pid < 0) {
				perror("spawner: fork");
				return 111;
			}
			if (pid == 0) {
				execv(argv[optind], argv + optind);
				_exit(127);
			}
			started++;
			running++;
		}
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("spawner: waitpid");
			return 111;
		}
		running--;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: spawner -j J -n N -- CMD [ARG]...\n");
	return 2;
}

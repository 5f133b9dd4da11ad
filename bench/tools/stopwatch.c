/*
 * stopwatch -p PID -s SIG -c CGDIR [-T TIMEOUT_MS]: time a stop.
 *
 * Opens a pidfd on PID (the supervisor) and CGDIR/cgroup.events, takes t0,
 * sends SIG to PID, then sleeps in poll() until the pidfd is readable (PID
 * has exited) and cgroup.events says "populated 0" (every process of the
 * supervisor and of its jobs is gone; the kernel wakes us through POLLPRI
 * when the file changes).  Prints
 *   sup_ms=T all_ms=T
 * (milliseconds after the signal; "NA" if not reached within TIMEOUT_MS,
 * default 120000, and then exits 1).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

#include "bt.h"

static int
populated(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *p;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "populated ")) == NULL)
		return -1;
	return p[10] == '1';
}

int
main(int argc, char **argv)
{
	pid_t pid = 0;
	int sig = SIGTERM, opt, pfd, efd;
	const char *cg = NULL;
	long timeout = 120000;
	int64_t t0, t_sup = -1, t_all = -1, deadline;
	char path[4096];

	while ((opt = getopt(argc, argv, "p:s:c:T:")) != -1) {
		switch (opt) {
		case 'p': pid = (pid_t)atol(optarg); break;
		case 's': sig = atoi(optarg); break;
		case 'c': cg = optarg; break;
		case 'T': timeout = atol(optarg); break;
		default:
			fprintf(stderr, "usage: stopwatch -p PID -s SIG -c CGDIR "
			    "[-T MS]\n");
			return 2;
		}
	}
	if (pid <= 0 || cg == NULL)
		bt_die("need -p and -c");
	if ((pfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		bt_die("pidfd_open %ld:", (long)pid);
	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	if ((efd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		bt_die("open %s:", path);
	(void)populated(efd);

	t0 = bt_now();
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		bt_die("signal %d to %ld:", sig, (long)pid);
	deadline = t0 + (int64_t)timeout * 1000000;
	for (;;) {
		struct pollfd pf[2] = { { pfd, POLLIN, 0 }, { efd, POLLPRI, 0 } };
		int64_t now = bt_now();
		int ms;

		if (t_sup >= 0)
			pf[0].fd = -1;	/* stays readable: stop watching */
		if (now >= deadline)
			break;
		/* a 50 ms safety tick, in case a notification is missed */
		ms = (int)((deadline - now) / 1000000) + 1;
		if (ms > 50)
			ms = 50;
		if (poll(pf, 2, ms) < 0 && errno != EINTR)
			bt_die("poll:");
		now = bt_now();
		if (t_sup < 0 && (pf[0].revents & POLLIN))
			t_sup = now;
		if (t_all < 0 && populated(efd) == 0)
			t_all = now;
		if (t_sup >= 0 && t_all >= 0)
			break;
	}
	if (t_sup >= 0)
		printf("sup_ms=%.3f ", (double)(t_sup - t0) / 1e6);
	else
		printf("sup_ms=NA ");
	if (t_all >= 0)
		printf("all_ms=%.3f\n", (double)(t_all - t0) / 1e6);
	else
		printf("all_ms=NA\n");
	return t_sup >= 0 && t_all >= 0 ? 0 : 1;
}

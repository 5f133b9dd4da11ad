/*
 * stopwatch -p PID -s SIG -c CGDIR [-P PIDFILE] [-T TIMEOUT_MS]: time a stop.
 *
 * Opens a pidfd on PID (the supervisor) and CGDIR/cgroup.events, takes t0,
 * sends SIG to PID through the pidfd, then sleeps in poll() until the
 * pidfd is readable (PID has exited) and cgroup.events says "populated 0"
 * (every process of the supervisor and of its jobs is gone; the kernel
 * signals POLLPRI when the file changes, and a 20 ms tick re-reads it in
 * case a change is missed).  -P PIDFILE also times when the last of the
 * pids listed in PIDFILE (one per line: the jobs) has exited, through one
 * pidfd each in an epoll set.  Prints
 *   t0=NS sup_ms=T all_ms=T [jobs_ms=T]
 * in milliseconds after the signal, "NA" for what did not happen within
 * TIMEOUT_MS (default 120000; then the exit code is 1).
 */
#include "bt.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

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

static int
open_events(const char *cg)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		bt_die("open %s:", path);
	(void)populated(fd);
	return fd;
}

static void
show(const char *key, int64_t t, int64_t t0)
{
	if (t >= 0)
		printf(" %s=%.3f", key, (double)(t - t0) / 1e6);
	else
		printf(" %s=NA", key);
}

int
main(int argc, char **argv)
{
	pid_t pid = 0;
	int sig = SIGTERM, opt, pfd, efd, ep = -1;
	long njobs = 0;
	const char *cg = NULL, *pidfile = NULL;
	long timeout = 120000;
	int64_t t0, t_sup = -1, t_all = -1, t_jobs = -1, deadline;

	while ((opt = getopt(argc, argv, "p:s:c:P:T:")) != -1) {
		switch (opt) {
		case 'p': pid = (pid_t)atol(optarg); break;
		case 's': sig = atoi(optarg); break;
		case 'c': cg = optarg; break;
		case 'P': pidfile = optarg; break;
		case 'T': timeout = atol(optarg); break;
		default:
			fprintf(stderr, "usage: stopwatch -p PID -s SIG -c CGDIR "
			    "[-P PIDFILE] [-T MS]\n");
			return 2;
		}
	}
	if (pid <= 0 || cg == NULL)
		bt_die("need -p and -c");
	if ((pfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
		bt_die("pidfd_open %ld:", (long)pid);
	efd = open_events(cg);
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "re");
		long p;

		if (f == NULL)
			bt_die("open %s:", pidfile);
		if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			bt_die("epoll_create1:");
		while (fscanf(f, "%ld", &p) == 1) {
			struct epoll_event ev = { .events = EPOLLIN };
			int fd = (int)syscall(SYS_pidfd_open, (pid_t)p, 0);

			if (fd < 0)
				continue;	/* already gone */
			ev.data.fd = fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
				bt_die("epoll_ctl:");
			njobs++;
		}
		fclose(f);
	}

	t0 = bt_now();
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		bt_die("signal %d to %ld:", sig, (long)pid);
	deadline = t0 + (int64_t)timeout * 1000000;
	for (;;) {
		struct pollfd pf[3] = {
			{ t_sup < 0 ? pfd : -1, POLLIN, 0 },	/* stays readable */
			{ t_all < 0 ? efd : -1, POLLPRI, 0 },
			{ njobs > 0 ? ep : -1, POLLIN, 0 },
		};
		int64_t now = bt_now();
		int ms;

		if (now >= deadline)
			break;
		ms = (int)((deadline - now) / 1000000) + 1;
		if (ms > 20)
			ms = 20;
		if (poll(pf, 3, ms) < 0 && errno != EINTR)
			bt_die("poll:");
		now = bt_now();
		if (t_sup < 0 && (pf[0].revents & POLLIN))
			t_sup = now;
		if (njobs > 0 && (pf[2].revents & POLLIN)) {
			struct epoll_event evs[256];
			int k = epoll_wait(ep, evs, 256, 0);

			for (int i = 0; i < k; i++) {
				epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
				close(evs[i].data.fd);
				njobs--;
			}
			if (njobs == 0)
				t_jobs = now;
		}
		if (ep >= 0 && njobs == 0 && t_jobs < 0)
			t_jobs = now;
		if (t_all < 0 && populated(efd) == 0)
			t_all = now;
		if (t_sup >= 0 && t_all >= 0 && (ep < 0 || t_jobs >= 0))
			break;
	}
	printf("t0=%lld", (long long)t0);
	show("sup_ms", t_sup, t0);
	show("all_ms", t_all, t0);
	if (ep >= 0)
		show("jobs_ms", t_jobs, t0);
	putchar('\n');
	return t_sup >= 0 && t_all >= 0 ? 0 : 1;
}

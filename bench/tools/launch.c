/*
 * launch: start one command under benchmark control.
 *
 *   launch [-g CGDIR] [-i IN] [-o OUT] [-e ERR] [-L LINES] [-I INFO] [-C]
 *          [-E NAME=VALUE]... -- CMD [ARG]...
 *
 * launch becomes a child subreaper, takes t0 (CLOCK_MONOTONIC) just before
 * fork(), and runs CMD with
 *   -g CGDIR  the child joins this cgroup v2 before exec, so CMD and every
 *             descendant can be counted, timed and killed as one set
 *   -i/-o/-e  stdin (default /dev/null), stdout and stderr (default:
 *             inherited; -e - means "same as stdout")
 *   -L LINES  stdout and stderr go to a pipe; every line read from it is
 *             written to LINES as "NS line", NS being the time it was read
 *   -C        a clean environment: standard root PATH, HOME, LANG, TZ=UTC
 *   -E        add a variable (after -C)
 * and only fds 0-2 open.  INFO gets "t0=NS pid=PID" as soon as the child
 * exists, and "end=NS status=exit:N|signal:N" once it has exited.  launch
 * reaps every orphan the tree hands it and exits when it has no child
 * left, with CMD's exit code (128+N for a signal).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bt.h"

#define MAXENV 64

static const char *info_path;
static char info_text[512];

static void
info(const char *fmt, long long a, long long b)
{
	size_t l = strlen(info_text);

	snprintf(info_text + l, sizeof(info_text) - l, fmt, a, b);
	if (info_path != NULL && bt_put_file(info_path, info_text) < 0)
		bt_die("write %s:", info_path);
}

static void
redirect(int target, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		bt_die("open %s:", path);
	if (dup2(fd, target) < 0)
		bt_die("dup2:");
	close(fd);
}

int
main(int argc, char **argv)
{
	const char *cg = NULL, *in = "/dev/null", *out = NULL, *err = NULL;
	const char *lines = NULL;
	char *envv[MAXENV + 1], *add[MAXENV];
	char **envp = environ;
	int nadd = 0, nenv = 0, clean = 0, opt, lp[2] = { -1, -1 }, sfd;
	int code = 111, main_done = 0, i;
	pid_t pid, w;
	sigset_t set;
	FILE *lf = NULL;
	char buf[65536], part[65536];
	size_t plen = 0;

	while ((opt = getopt(argc, argv, "+g:i:o:e:L:I:CE:")) != -1) {
		switch (opt) {
		case 'g': cg = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		case 'L': lines = optarg; break;
		case 'I': info_path = optarg; break;
		case 'C': clean = 1; break;
		case 'E':
			if (nadd == MAXENV)
				bt_die("too many -E");
			add[nadd++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: launch [-g CGDIR] [-i IN] [-o OUT] "
			    "[-e ERR] [-L LINES] [-I INFO] [-C] [-E K=V] -- CMD\n");
			return 2;
		}
	}
	if (optind >= argc)
		bt_die("no command");
	if (clean) {
		envv[nenv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		    "/usr/bin:/sbin:/bin";
		envv[nenv++] = "HOME=/root";
		envv[nenv++] = "LANG=C.UTF-8";
		envv[nenv++] = "TZ=UTC";
		for (i = 0; i < nadd && nenv < MAXENV; i++)
			envv[nenv++] = add[i];
		envv[nenv] = NULL;
		envp = envv;
	} else {
		for (i = 0; i < nadd; i++)
			putenv(add[i]);
		envp = environ;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		bt_die("PR_SET_CHILD_SUBREAPER:");
	if (lines != NULL) {
		if ((lf = fopen(lines, "we")) == NULL)
			bt_die("open %s:", lines);
		if (pipe2(lp, O_CLOEXEC) < 0)
			bt_die("pipe:");
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		bt_die("signalfd:");

	int64_t t0 = bt_now();
	pid = fork();
	if (pid < 0)
		bt_die("fork:");
	if (pid == 0) {
		sigset_t none;

		if (cg != NULL) {
			char p[4096];
			int fd;

			snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
			if ((fd = open(p, O_WRONLY)) < 0 || write(fd, "0", 1) != 1)
				bt_die("join cgroup %s:", cg);
			close(fd);
		}
		redirect(0, in, O_RDONLY);
		if (lp[1] >= 0) {
			dup2(lp[1], 1);
			dup2(lp[1], 2);
		} else {
			if (out != NULL)
				redirect(1, out, O_WRONLY | O_CREAT | O_TRUNC);
			if (err != NULL && strcmp(err, "-") == 0)
				dup2(1, 2);
			else if (err != NULL)
				redirect(2, err, O_WRONLY | O_CREAT | O_TRUNC);
		}
		syscall(SYS_close_range, 3U, ~0U, 0U);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvpe(argv[optind], argv + optind, envp);
		bt_die("exec %s:", argv[optind]);
	}
	info("t0=%lld pid=%lld\n", (long long)t0, (long long)pid);
	if (lp[1] >= 0)
		close(lp[1]);

	for (;;) {
		struct pollfd pf[2] = { { sfd, POLLIN, 0 }, { lp[0], POLLIN, 0 } };
		int status;

		if (poll(pf, lp[0] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			bt_die("poll:");
		}
		if (lp[0] >= 0 && (pf[1].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(lp[0], buf, sizeof(buf));
			int64_t t = bt_now();

			if (n <= 0) {
				if (plen > 0)
					fprintf(lf, "%lld %.*s\n", (long long)t,
					    (int)plen, part);
				fclose(lf);
				lf = NULL;
				close(lp[0]);
				lp[0] = -1;
			} else {
				for (ssize_t k = 0; k < n; k++) {
					if (buf[k] == '\n' || plen == sizeof(part)) {
						fprintf(lf, "%lld %.*s\n",
						    (long long)t, (int)plen, part);
						plen = 0;
						if (buf[k] == '\n')
							continue;
					}
					part[plen++] = buf[k];
				}
				fflush(lf);	/* readers poll LINES */
			}
		}
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			(void)read(sfd, &si, sizeof(si));
		}
		while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
			if (w != pid)
				continue;
			int64_t t = bt_now();
			if (WIFEXITED(status)) {
				code = WEXITSTATUS(status);
				info("end=%lld status=exit:%lld\n", (long long)t,
				    code);
			} else {
				code = 128 + WTERMSIG(status);
				info("end=%lld status=signal:%lld\n",
				    (long long)t, WTERMSIG(status));
			}
			main_done = 1;
		}
		if (w < 0 && errno == ECHILD && main_done && lp[0] < 0)
			break;
	}
	if (lf != NULL)
		fclose(lf);
	return code;
}

/*
 * cgleaf.h: the least a program can do to give each child a cgroup v2 leaf
 * (shared by minisup-cg.c and spawner-cg.c; header-only, no library).
 *
 * cgleaf_init() opens the caller's own cgroup directory.  cgleaf_spawn()
 * makes a leaf beside nothing else (mkdirat on that fd), opens it O_PATH
 * and starts the child in it with clone3(CLONE_INTO_CGROUP), so the child
 * is born contained: no write to cgroup.procs, no window in which it runs
 * outside.  cgleaf_remove() rmdirs a leaf once its process is reaped (a
 * reaped process has left its cgroup, so the leaf is empty).  No
 * controller is enabled: cgroup.kill and cgroup.events need none.
 */
#ifndef CGLEAF_H
#define CGLEAF_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cgleaf_dirfd = -1;	/* our own cgroup */

/* Open the cgroup we run in; 0 or -1 (errno set). */
static int
cgleaf_init(void)
{
	char line[4096], mnt[4096] = "", path[8192], *p;
	FILE *f;

	if ((f = fopen("/proc/self/mounts", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char dev[256], dir[4096], type[64];

		if (sscanf(line, "%255s %4095s %63s", dev, dir, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			strcpy(mnt, dir);
			break;
		}
	}
	fclose(f);
	if (mnt[0] == '\0' || (f = fopen("/proc/self/cgroup", "re")) == NULL) {
		errno = ENOENT;
		return -1;
	}
	path[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if ((p = strchr(line, '\n')) != NULL)
			*p = '\0';
		snprintf(path, sizeof(path), "%s%s", mnt,
		    strcmp(line + 3, "/") == 0 ? "" : line + 3);
	}
	fclose(f);
	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	cgleaf_dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cgleaf_dirfd == -1 ? -1 : 0;
}

static void
cgleaf_name(char *buf, size_t len, unsigned long id)
{
	snprintf(buf, len, "c%lu", id);
}

/*
 * mkdir leaf ID, clone3 a child into it, which execv()s CMD with signal
 * mask MASK.  The child's pid, or -1.
 */
static pid_t
cgleaf_spawn(unsigned long id, char **cmd, const sigset_t *mask)
{
	struct clone_args ca;
	char name[32];
	int fd;
	pid_t pid;

	cgleaf_name(name, sizeof(name), id);
	if (mkdirat(cgleaf_dirfd, name, 0755) == -1 && errno != EEXIST)
		return -1;
	if ((fd = openat(cgleaf_dirfd, name, O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)fd;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, mask, NULL);
		execv(cmd[0], cmd);
		_exit(127);
	}
	close(fd);
	return pid;
}

/* Remove leaf ID (its process has been reaped); 0 or -1. */
static int
cgleaf_remove(unsigned long id)
{
	char name[32];

	cgleaf_name(name, sizeof(name), id);
	return unlinkat(cgleaf_dirfd, name, AT_REMOVEDIR);
}

#endif

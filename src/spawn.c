/*
 * spawn.c: start one run of an instance, and signal it (SPEC 3).
 *
 * Everything that can block or allocate (PATH lookup, environment, groups)
 * happens before fork.  Signals are blocked around fork; the child resets
 * every disposition and its mask, makes its own session, joins its cgroup
 * leaf, applies limits, user, umask and directory, takes exactly fds 0-2
 * and execs.  A failure in the child comes back through a close-on-exec
 * status pipe as {stage, errno}: EOF means exec succeeded.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drover.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

extern char **environ;

enum spawn_stage {
	ST_SETSID, ST_CGROUP, ST_RLIMIT, ST_GROUPS, ST_SETGID, ST_SETUID,
	ST_CHDIR, ST_DUP, ST_EXEC, ST__MAX
};

static const char *const stage_names[ST__MAX] = {
	[ST_SETSID] = "setsid", [ST_CGROUP] = "cgroup", [ST_RLIMIT] =
	    "setrlimit", [ST_GROUPS] = "setgroups", [ST_SETGID] = "setgid",
	[ST_SETUID] = "setuid", [ST_CHDIR] = "chdir", [ST_DUP] = "dup2",
	[ST_EXEC] = "exec",
};

struct spawn_err {
	int	stage;
	int	err;
};

/* What the child needs, all prepared before fork. */
struct spawn_ctx {
	const struct job_config	*cfg;
	const struct proc_config *pc;
	char			*path;
	char		       **envp;
	gid_t			*groups;
	int			 ngroups;
	int			 fds[3];
	int			 cg_fd;
	int			 status_fd;
	const struct rlimit_saved *nofile;
};

#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The executable for argv[0]: as is with a slash, else the first in PATH. */
static char *
resolve_path(const char *argv0, const char *pathenv)
{
	const char	*p, *end;
	char		*cand;
	int		 saved = ENOENT;

	if (strchr(argv0, '/') != NULL)
		return xstrdup(argv0);
	if (pathenv == NULL)
		pathenv = DEFAULT_PATH;
	for (p = pathenv; ; p = end + 1) {
		end = strchrnul(p, ':');
		cand = xprintf("%.*s%s%s", (int)(end - p), p,
		    end == p ? "" : "/", argv0);
		if (access(cand, X_OK) == 0)
			return cand;
		if (errno != ENOENT && errno != ENOTDIR)
			saved = errno;
		free(cand);
		if (*end == '\0')
			break;
	}
	errno = saved;
	return NULL;
}

/* Set KEY=value in an environment vector, replacing an earlier KEY. */
static void
env_set(char ***envp, const char *kv)
{
	size_t	 klen = strcspn(kv, "=");
	char	**e;

	for (e = *envp; *e != NULL; e++) {
		if (strncmp(*e, kv, klen) == 0 && (*e)[klen] == '=') {
			free(*e);
			*e = xstrdup(kv);
			return;
		}
	}
	strv_push(envp, kv);
}

static void
env_set_take(char ***envp, char *kv)
{
	env_set(envp, kv);
	free(kv);
}

static const char *
env_get(char *const *envp, const char *key)
{
	size_t	klen = strlen(key);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, key, klen) == 0 && (*envp)[klen] == '=')
			return *envp + klen + 1;
	return NULL;
}

static char **
build_env(struct instance *in)
{
	const struct job_config	*c = in->job->cfg;
	struct config		*conf = in->d->d_conf;
	struct passwd		*pw = NULL;
	char		       **envp = strv_new(), **e, *s;

	if (c->clean_environment) {
		if (c->user != NULL)
			pw = getpwuid(c->uid);
		else
			pw = getpwuid(geteuid());
		env_set(&envp, "PATH=" DEFAULT_PATH);
		if (pw != NULL) {
			strv_push_take(&envp, xprintf("HOME=%s", pw->pw_dir));
			strv_push_take(&envp, xprintf("USER=%s", pw->pw_name));
		}
		if ((s = getenv("LANG")) != NULL)
			strv_push_take(&envp, xprintf("LANG=%s", s));
	} else {
		for (e = environ; *e != NULL; e++)
			if (strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 &&
			    strncmp(*e, "LISTEN_", 7) != 0 &&
			    strncmp(*e, "JOURNAL_STREAM=", 15) != 0 &&
			    strncmp(*e, "WATCHDOG_", 9) != 0)
				strv_push(&envp, *e);
	}
	for (e = conf->environment; e != NULL && *e != NULL; e++)
		env_set(&envp, *e);
	for (e = in->pc->env; e != NULL && *e != NULL; e++)
		env_set(&envp, *e);
	if (c->ready == READY_NOTIFY && in->d->d_notify_addr[0] != '\0')
		env_set_take(&envp, xprintf("NOTIFY_SOCKET=%s",
		    in->d->d_notify_addr));
	env_set_take(&envp, xprintf("DROVER_JOB=%s", c->name));
	env_set_take(&envp, xprintf("DROVER_INSTANCE=%d", in->pc->num));
	if (c->compat) {
		env_set(&envp, "SUPERVISOR_ENABLED=1");
		env_set_take(&envp, xprintf("SUPERVISOR_PROCESS_NAME=%s",
		    in->name));
		env_set_take(&envp, xprintf("SUPERVISOR_GROUP_NAME=%s",
		    c->group != NULL ? c->group : c->name));
	}
	return envp;
}

/* Supplementary groups of the target user, looked up before fork. */
static int
build_groups(const struct job_config *c, gid_t **groups, int *ngroups)
{
	struct passwd	*pw;
	int		 n = 32;

	*groups = NULL;
	*ngroups = 0;
	if (c->user == NULL)
		return 0;
	if ((pw = getpwuid(c->uid)) == NULL)
		return 0;	/* a uid without a name: no supplementary groups */
	for (;;) {
		*groups = xreallocarray(*groups, n, sizeof(gid_t));
		if (getgrouplist(pw->pw_name, c->gid, *groups, &n) != -1)
			break;
		if (n > 65536)
			return -1;
	}
	*ngroups = n;
	return 0;
}

static void __attribute__((noreturn))
child_fail(int fd, int stage)
{
	struct spawn_err	e = { stage, errno };
	ssize_t			r;

	r = write(fd, &e, sizeof(e));
	(void)r;
	_exit(127);
}

static void
child_rlimit(int fd, int resource, const struct job_limit *l)
{
	struct rlimit	rl;

	if (!l->set)
		return;
	rl.rlim_cur = rl.rlim_max = l->value == LIMIT_INFINITY ?
	    RLIM_INFINITY : (rlim_t)l->value;
	if (setrlimit(resource, &rl) == -1)
		child_fail(fd, ST_RLIMIT);
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(struct spawn_ctx *x)
{
	const struct job_config	*c = x->cfg;
	struct sigaction	 sa;
	struct rlimit		 rl;
	sigset_t		 none;
	int			 sig, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() == -1)
		child_fail(x->status_fd, ST_SETSID);
	if (x->cg_fd != -1 && write(x->cg_fd, "0", 1) != 1)
		child_fail(x->status_fd, ST_CGROUP);
	if (x->nofile->set) {
		/* drover raised its own soft limit; jobs get the original */
		rl.rlim_cur = (rlim_t)x->nofile->cur;
		rl.rlim_max = (rlim_t)x->nofile->max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	child_rlimit(x->status_fd, RLIMIT_NOFILE, &c->limit_nofile);
	child_rlimit(x->status_fd, RLIMIT_CORE, &c->limit_core);
	child_rlimit(x->status_fd, RLIMIT_NPROC, &c->limit_nproc);
	child_rlimit(x->status_fd, RLIMIT_AS, &c->limit_as);
	if (c->user != NULL) {
		if (setgroups((size_t)x->ngroups, x->groups) == -1)
			child_fail(x->status_fd, ST_GROUPS);
		if (setresgid(c->gid, c->gid, c->gid) == -1)
			child_fail(x->status_fd, ST_SETGID);
		if (setresuid(c->uid, c->uid, c->uid) == -1)
			child_fail(x->status_fd, ST_SETUID);
	}
	if (c->umask >= 0)
		umask((mode_t)c->umask);
	if (x->pc->directory != NULL && chdir(x->pc->directory) == -1)
		child_fail(x->status_fd, ST_CHDIR);
	for (i = 0; i < 3; i++) {
		if (x->fds[i] == i) {
			/* inherited as is: make sure it survives exec */
			if (fcntl(i, F_SETFD, 0) == -1)
				child_fail(x->status_fd, ST_DUP);
		} else if (dup2(x->fds[i], i) == -1)
			child_fail(x->status_fd, ST_DUP);
	}
	/* belt and braces: nothing but 0-2 survives exec */
	if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */)
	    == -1) {
		for (i = 3; i < 1024; i++)
			if (i != x->status_fd)
				(void)fcntl(i, F_SETFD, FD_CLOEXEC);
	}
	execve(x->path, x->pc->argv, x->envp);
	child_fail(x->status_fd, ST_EXEC);
}

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_VFORK	0	/* ASan does not follow a child on our stack */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_VFORK	0
#endif
#endif
#ifndef SPAWN_VFORK
#define SPAWN_VFORK	1
#endif

#if SPAWN_VFORK
/* The child's stack: we are suspended until it execs or exits, so one
 * stack serves every spawn. */
static char	child_stack[64 * 1024] __attribute__((aligned(16)));

static int
child_entry(void *arg)
{
	child_exec(arg);
}
#endif

/*
 * fork() copies the whole daemon's page tables for a child that execs at
 * once: with thousands of jobs that is most of the cost of a spawn.  Like
 * posix_spawn, share our memory and sleep until the child has exec'd or
 * died (CLONE_VM | CLONE_VFORK).  The child touches nothing of ours but
 * its stack and errno; signals are blocked and its dispositions are its
 * own (no CLONE_SIGHAND).
 */
static pid_t
spawn_fork(struct spawn_ctx *x)
{
#if SPAWN_VFORK
	/* errno is shared too: the child's failures may change it, but the
	 * parent reads it only when clone itself failed */
	return clone(child_entry, child_stack + sizeof(child_stack),
	    CLONE_VM | CLONE_VFORK | SIGCHLD, x);
#else
	pid_t	pid = fork();

	if (pid == 0)
		child_exec(x);
	return pid;
#endif
}

static void
ctx_free(struct spawn_ctx *x)
{
	free(x->path);
	strv_free(x->envp);
	free(x->groups);
}

static int
pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* After fork: wait for exec or for the child's report of what failed. */
static int
read_status(int fd, pid_t pid, struct instance *in, struct spawn_ctx *x,
    char *err, size_t errsz)
{
	struct spawn_err	e;
	ssize_t			n;
	int			st;

	do
		n = read(fd, &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(e)) {
		snprintf(err, errsz, "spawn: lost the child's status");
		return -1;
	}
	switch (e.stage) {
	case ST_EXEC:
		snprintf(err, errsz, "exec %s: %s", x->path, strerror(e.err));
		break;
	case ST_CHDIR:
		snprintf(err, errsz, "chdir %s: %s", x->pc->directory,
		    strerror(e.err));
		break;
	case ST_SETUID:
	case ST_SETGID:
	case ST_GROUPS:
		snprintf(err, errsz, "%s %s: %s", stage_names[e.stage],
		    in->job->cfg->user, strerror(e.err));
		break;
	default:
		snprintf(err, errsz, "%s: %s", e.stage >= 0 && e.stage <
		    ST__MAX ? stage_names[e.stage] : "spawn", strerror(e.err));
	}
	return -1;
}

/* Start a run: 0 with in->pid set, or -1 with a message in err. */
int
spawn_instance(struct instance *in, char *err, size_t errsz)
{
	struct drover	*d = in->d;
	struct spawn_ctx x;
	sigset_t	 all, old;
	int		 sp[2], closefds[4] = { -1, -1, -1, -1 }, i, rc = -1;
	pid_t		 pid;

	memset(&x, 0, sizeof(x));
	x.cfg = in->job->cfg;
	x.pc = in->pc;
	x.cg_fd = -1;
	x.nofile = &d->d_nofile;
	x.envp = build_env(in);
	if ((x.path = resolve_path(in->pc->argv[0], env_get(x.envp, "PATH")))
	    == NULL) {
		snprintf(err, errsz, "exec %s: %s", in->pc->argv[0],
		    strerror(errno));
		goto out;
	}
	if (build_groups(x.cfg, &x.groups, &x.ngroups) == -1) {
		snprintf(err, errsz, "user %s: too many groups", x.cfg->user);
		goto out;
	}
	if (output_open(in, x.fds, closefds) == -1) {
		snprintf(err, errsz, "output pipes: %s", strerror(errno));
		goto out;
	}
	if (d->d_cg_base != NULL && cgroup_prepare(in, &x.cg_fd) == -1)
		log_warn("%s: cgroup", in->name);	/* run without one */
	if (pipe2(sp, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "status pipe: %s", strerror(errno));
		output_force_close(in);
		goto closeall;
	}
	x.status_fd = sp[1];

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = spawn_fork(&x);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	if (pid == -1) {
		snprintf(err, errsz, "fork: %s", strerror(errno));
		close(sp[0]);
		output_force_close(in);
		goto closeall;
	}
	rc = read_status(sp[0], pid, in, &x, err, errsz);
	close(sp[0]);
	if (rc == -1) {
		output_force_close(in);
		goto closeall;
	}
	in->pid = pid;
	in->pidfd = pidfd_open_compat(pid);
	in->rflags = RUN_ACTIVE;
	in->run_start = d->d_ops->now();
	in->run_start_wall = d->d_ops->wallclock();
	in->main_exit = 0;
	d->d_nactive++;
	pidmap_add(d, in);
	output_start(in);
	log_debug("%s: started pid %ld", in->name, (long)pid);
closeall:
	for (i = 0; i < 4; i++)
		if (closefds[i] != -1)
			close(closefds[i]);
	if (x.cg_fd != -1)
		close(x.cg_fd);
out:
	ctx_free(&x);
	return rc;
}

/*
 * Signal the main process (through its pidfd, so a recycled pid is never
 * hit) or the whole tree (its cgroup, or its process group without one).
 */
void
spawn_kill(struct instance *in, int sig, bool tree)
{
	if (!instance_active(in))
		return;
	if (tree && (in->rflags & RUN_TREE_GONE))
		return;
	if (tree) {
		if (in->cg_dir != NULL && cgroup_kill(in, sig) == 0)
			return;
		if (kill(-in->pid, sig) == -1 && errno != ESRCH)
			log_warn("%s: kill -%d %ld", in->name, sig,
			    (long)in->pid);
		return;
	}
	if (in->rflags & RUN_REAPED)
		return;
	if (in->pidfd != -1) {
		if (syscall(SYS_pidfd_send_signal, in->pidfd, sig, NULL, 0)
		    == -1 && errno != ESRCH)
			log_warn("%s: pidfd_send_signal %d", in->name, sig);
		return;
	}
	if (kill(in->pid, sig) == -1 && errno != ESRCH)
		log_warn("%s: kill %d %ld", in->name, sig, (long)in->pid);
}

/* Is the run's process tree gone? */
bool
spawn_tree_empty(struct instance *in)
{
	if (in->cg_dir != NULL)
		return cgroup_empty(in);
	return kill(-in->pid, 0) == -1 && errno == ESRCH;
}

/* The run is over: drop its pid, pidfd and pipes. */
void
spawn_close_run(struct instance *in)
{
	struct drover	*d = in->d;

	pidmap_del(d, in);
	output_force_close(in);
	if (in->pidfd != -1) {
		close(in->pidfd);
		in->pidfd = -1;
	}
	if (d->d_nactive > 0)
		d->d_nactive--;
}

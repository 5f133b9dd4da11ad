/*
 * spawn.c: start one run of an instance, and signal it (SPEC 3).
 *
 * Everything that can block or allocate (PATH lookup, environment, groups)
 * happens before the clone.  The child is born in its cgroup leaf, shares
 * our memory and our fd table, and we sleep until it has exec'd or died,
 * as with vfork.  It first takes a private fd table holding only fds 0-6
 * (fds 3-6 are slots reserved at start-up, where we put its stdin, stdout
 * and stderr just before the clone), so that its cost and the table the
 * job keeps do not grow with the number of jobs.  Then it resets every
 * signal disposition and its mask, makes its own session, applies limits,
 * user, umask and directory, moves fds 3-5 to 0-2 and execs.  A failure
 * is left in our memory as {stage, errno} before the child exits (or, on
 * the fork() path, written to the status pipe in fd 6).
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
	int	stage;		/* -1: none */
	int	err;
};

/*
 * fds 3-5: the child's stdin, stdout and stderr on their way to 0-2; fd 6:
 * the status pipe of the fork() path (close-on-exec: EOF means exec'd).
 */
#define SLOT_FIRST	3
#define SLOT_STATUS	6
#define SLOT_END	7

/* What the child needs, all prepared before the clone. */
struct spawn_ctx {
	const struct job_config	*cfg;
	const struct proc_config *pc;
	char			*path;
	char		       **envp;
	gid_t			*groups;
	int			 ngroups;
	int			 fds[3];
	int			 cg_fd;		/* the leaf's cgroup.procs */
	int			 cg_dirfd;	/* the leaf, for CLONE_INTO_CGROUP */
	bool			 born_in_cg;	/* CLONE_INTO_CGROUP did the join */
	int			 status_fd;	/* fork() path only, else -1 */
	const struct rlimit_saved *nofile;
	volatile struct spawn_err err;	/* written by a child sharing memory */
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
	/* a hook's event (hook.c): its DROVER_JOB is the job it is about */
	for (e = in->run_env; e != NULL && *e != NULL; e++)
		env_set(&envp, *e);
	if (c->compat) {
		env_set(&envp, "SUPERVISOR_ENABLED=1");
		env_set_take(&envp, xprintf("SUPERVISOR_PROCESS_NAME=%s",
		    in->name));
		env_set_take(&envp, xprintf("SUPERVISOR_GROUP_NAME=%s",
		    c->group != NULL ? c->group : c->name));
	}
	/* where supervisor.childutils reaches the XML-RPC API: every job */
	if (in->d->d_server_url != NULL)
		env_set_take(&envp, xprintf("SUPERVISOR_SERVER_URL=%s",
		    in->d->d_server_url));
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
child_fail(struct spawn_ctx *x, int stage)
{
	struct spawn_err	e = { stage, errno };
	ssize_t			r;

	x->err.err = e.err;
	x->err.stage = stage;
	if (x->status_fd != -1) {
		r = write(x->status_fd, &e, sizeof(e));
		(void)r;
	}
	_exit(127);
}

/*
 * Leave the fd table we share with drover for one holding fds 0 to
 * SLOT_END - 1 only.  With CLOSE_RANGE_UNSHARE the kernel copies just
 * those, whatever drover holds; older kernels copy the whole table first.
 */
static void
child_own_fds(struct spawn_ctx *x)
{
	struct rlimit	rl;
	rlim_t		fd;

	if (syscall(SYS_close_range, (unsigned)SLOT_END, ~0U,
	    2U /* CLOSE_RANGE_UNSHARE */) == 0)
		return;
	if (unshare(CLONE_FILES) == -1)
		child_fail(x, ST_DUP);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur > 1 << 20)
		rl.rlim_cur = 1 << 20;
	for (fd = SLOT_END; fd < rl.rlim_cur; fd++)
		(void)close((int)fd);
}

static void
child_rlimit(struct spawn_ctx *x, int resource, const struct job_limit *l)
{
	struct rlimit	rl;

	if (!l->set)
		return;
	rl.rlim_cur = rl.rlim_max = l->value == LIMIT_INFINITY ?
	    RLIM_INFINITY : (rlim_t)l->value;
	if (setrlimit(resource, &rl) == -1)
		child_fail(x, ST_RLIMIT);
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

	/* join the leaf through our fd table, before leaving it */
	if (!x->born_in_cg && x->cg_fd != -1 && write(x->cg_fd, "0", 1) != 1)
		child_fail(x, ST_CGROUP);
	child_own_fds(x);	/* before anything changes an fd */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() == -1)
		child_fail(x, ST_SETSID);
	if (x->nofile->set) {
		/* drover raised its own soft limit; jobs get the original */
		rl.rlim_cur = (rlim_t)x->nofile->cur;
		rl.rlim_max = (rlim_t)x->nofile->max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	child_rlimit(x, RLIMIT_NOFILE, &c->limit_nofile);
	child_rlimit(x, RLIMIT_CORE, &c->limit_core);
	child_rlimit(x, RLIMIT_NPROC, &c->limit_nproc);
	child_rlimit(x, RLIMIT_AS, &c->limit_as);
	if (c->user != NULL) {
		if (setgroups((size_t)x->ngroups, x->groups) == -1)
			child_fail(x, ST_GROUPS);
		if (setresgid(c->gid, c->gid, c->gid) == -1)
			child_fail(x, ST_SETGID);
		if (setresuid(c->uid, c->uid, c->uid) == -1)
			child_fail(x, ST_SETUID);
	}
	if (c->umask >= 0)
		umask((mode_t)c->umask);
	if (x->pc->directory != NULL && chdir(x->pc->directory) == -1)
		child_fail(x, ST_CHDIR);
	for (i = 0; i < 3; i++)
		if (dup2(SLOT_FIRST + i, i) == -1)
			child_fail(x, ST_DUP);
	/* the status slot stays: close-on-exec, it reports a failed exec */
	for (i = SLOT_FIRST; i < SLOT_STATUS; i++)
		(void)close(i);
	execve(x->path, x->pc->argv, x->envp);
	child_fail(x, ST_EXEC);
}

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_CLONE	0	/* ASan does not follow a child on our stack */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_CLONE	0
#endif
#endif
#ifndef SPAWN_CLONE
#define SPAWN_CLONE	1
#endif

#if SPAWN_CLONE && defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SPAWN_UNDER_VALGRIND()	RUNNING_ON_VALGRIND
#endif
#endif
#ifndef SPAWN_UNDER_VALGRIND
#define SPAWN_UNDER_VALGRIND()	0
#endif

#if SPAWN_CLONE
/* The child's stack: we are suspended until it execs or exits, so one
 * stack serves every spawn. */
static char	child_stack[64 * 1024] __attribute__((aligned(16)));
#endif

/* A child was born in its leaf: later spawns skip opening cgroup.procs. */
static bool	spawn_born_in_leaf;

#if SPAWN_CLONE
static int
child_entry(void *arg)
{
	child_exec(arg);
}
#endif

#if SPAWN_CLONE && defined(__x86_64__) && defined(SYS_clone3)
#define SPAWN_CLONE3	1
#include <linux/sched.h>	/* struct clone_args, CLONE_INTO_CGROUP */

/*
 * clone3() with CLONE_VM and a stack of the child's own.  Like glibc's
 * clone(), in assembly: the child starts on the new stack, where no C
 * caller's frame exists to return to, so it calls fn(arg) from here and
 * exits with its value.  syscall preserves every register but rax, rcx and
 * r11, so fn and arg are still in theirs in the child, which reads both
 * before it clears rbp (they may be in it).  The stack top is 16-byte
 * aligned; the call makes the frame the ABI expects.
 */
static long
clone3_vm(struct clone_args *ca, int (*fn)(void *), void *arg)
{
	long	ret;

	__asm__ volatile (
	    "syscall\n\t"
	    "testq %%rax, %%rax\n\t"
	    "jnz 1f\n\t"
	    "movq %[arg], %%rdi\n\t"		/* the child */
	    "movq %[fn], %%rax\n\t"
	    "xorl %%ebp, %%ebp\n\t"		/* end of the frame chain */
	    "callq *%%rax\n\t"
	    "movl %%eax, %%edi\n\t"
	    "movl %[nr_exit], %%eax\n\t"
	    "syscall\n\t"
	    "hlt\n"
	    "1:"
	    : "=a" (ret)
	    : "0" ((long)SYS_clone3), "D" (ca), "S" (sizeof(*ca)),
	      [fn] "r" (fn), [arg] "r" (arg), [nr_exit] "i" (SYS_exit)
	    : "rcx", "r11", "memory", "cc");
	return ret;
}

/*
 * Born in its leaf (Linux 5.7): joining by a write to cgroup.procs takes
 * the cgroup write lock, which waits for an RCU grace period when no other
 * migration ran just before, milliseconds during which we and the child
 * both wait.  Once the kernel refuses clone3 (too old, or a seccomp filter
 * such as a container runtime's), stop asking.
 */
static pid_t
spawn_clone3(struct spawn_ctx *x)
{
	static bool		no_clone3;
	struct clone_args	ca;
	long			ret;

	if (no_clone3 || x->cg_dirfd == -1)
		return -2;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)child_stack;
	ca.stack_size = sizeof(child_stack);
	ca.cgroup = (uint64_t)x->cg_dirfd;
	x->born_in_cg = true;
	if ((ret = clone3_vm(&ca, child_entry, x)) >= 0) {
		spawn_born_in_leaf = true;
		return (pid_t)ret;
	}
	x->born_in_cg = false;
	if (ret == -EAGAIN || ret == -ENOMEM) {
		errno = (int)-ret;
		return -1;
	}
	log_debug("clone3 with CLONE_INTO_CGROUP: %s; children join their "
	    "leaf themselves", strerror((int)-ret));
	no_clone3 = true;
	return -2;
}
#else
#define SPAWN_CLONE3	0
#endif

/*
 * fork() would copy the daemon's page tables and fd table for a child that
 * execs at once: with thousands of jobs that is most of the cost of a
 * spawn.  Share both and sleep until the child has exec'd or died
 * (CLONE_VM | CLONE_VFORK | CLONE_FILES); child_own_fds() then copies only
 * what the job needs.  The child touches nothing of ours but its stack,
 * errno and x->err; signals are blocked and its dispositions are its own
 * (no CLONE_SIGHAND).
 *
 * Under ASan (which cannot follow a child on another stack) and valgrind
 * (which refuses such a clone), plain fork(), and the child reports a
 * failure through the status pipe in SLOT_STATUS instead.
 */
static bool
spawn_shares_memory(void)
{
	return SPAWN_CLONE && !SPAWN_UNDER_VALGRIND();
}

static pid_t
spawn_clone(struct spawn_ctx *x)
{
	pid_t	pid;

#if SPAWN_CLONE
#if SPAWN_CLONE3
	if (x->status_fd == -1 && (pid = spawn_clone3(x)) != -2)
		return pid;
#endif
#endif
	/* not born in the leaf: the child joins it through cgroup.procs */
	if (x->cg_dirfd != -1 && x->cg_fd == -1 &&
	    (x->cg_fd = cgroup_procs_fd(x->cg_dirfd)) == -1)
		return -1;
#if SPAWN_CLONE
	if (x->status_fd == -1)
		return clone(child_entry, child_stack + sizeof(child_stack),
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, x);
#endif
	if ((pid = fork()) == 0)
		child_exec(x);
	return pid;
}

static void
ctx_free(struct spawn_ctx *x)
{
	free(x->path);
	strv_free(x->envp);
	free(x->groups);
}

/*
 * Take fds 3-6 for the child (at start-up, before anything else opens an
 * fd).  They hold /dev/null, close-on-exec, between spawns.
 */
void
spawn_reserve_slots(void)
{
	int	fd, i;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	for (i = SLOT_FIRST; i < SLOT_END; i++)
		if (fd != i && dup3(fd, i, O_CLOEXEC) == -1)
			fatal("dup3");
	if (fd >= SLOT_END)
		close(fd);
}

/* At exit: nothing of ours stays open. */
void
spawn_release_slots(void)
{
	int	i;

	for (i = SLOT_FIRST; i < SLOT_END; i++)
		(void)close(i);
}

/* Put the child's fds in the slots, or (fds NULL) /dev/null back. */
static int
slots_fill(const int fds[SLOT_END - SLOT_FIRST], int devnull)
{
	int	i;

	for (i = 0; i < SLOT_END - SLOT_FIRST; i++)
		if (dup3(fds != NULL ? fds[i] : devnull, SLOT_FIRST + i,
		    O_CLOEXEC) == -1)
			return -1;
	return 0;
}

/* The fork() path: EOF once the child has exec'd, or its failure. */
static void
read_status(int fd, struct spawn_ctx *x)
{
	struct spawn_err	e;
	ssize_t			n;

	do
		n = read(fd, &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return;
	if (n != (ssize_t)sizeof(e)) {
		e.stage = ST__MAX;	/* "spawn" */
		e.err = EIO;
	}
	x->err.stage = e.stage;
	x->err.err = e.err;
}

/* The child died before exec: its story, from x->err. */
static void
spawn_error(struct instance *in, struct spawn_ctx *x, char *err,
    size_t errsz)
{
	int	stage = x->err.stage, e = x->err.err;

	switch (stage) {
	case ST_EXEC:
		snprintf(err, errsz, "exec %s: %s", x->path, strerror(e));
		break;
	case ST_CHDIR:
		snprintf(err, errsz, "chdir %s: %s", x->pc->directory,
		    strerror(e));
		break;
	case ST_SETUID:
	case ST_SETGID:
	case ST_GROUPS:
		snprintf(err, errsz, "%s %s: %s", stage_names[stage],
		    in->job->cfg->user, strerror(e));
		break;
	default:
		snprintf(err, errsz, "%s: %s", stage >= 0 && stage < ST__MAX ?
		    stage_names[stage] : "spawn", strerror(e));
	}
}

/* Clone and wait for the exec; the pid, or -1 with err filled in. */
static pid_t
spawn_run(struct instance *in, struct spawn_ctx *x, char *err, size_t errsz)
{
	int		devnull = in->d->d_devnull, sp[2] = { -1, -1 }, st, saved;
	int		slots[SLOT_END - SLOT_FIRST];
	sigset_t	all, old;
	pid_t		pid;

	if (!spawn_shares_memory() && pipe2(sp, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "status pipe: %s", strerror(errno));
		return -1;
	}
	memcpy(slots, x->fds, sizeof(x->fds));
	slots[SLOT_STATUS - SLOT_FIRST] = sp[1] != -1 ? sp[1] : devnull;
	x->status_fd = sp[1] != -1 ? SLOT_STATUS : -1;
	x->err.stage = -1;
	pid = -1;
	if (slots_fill(slots, devnull) == 0) {
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		pid = spawn_clone(x);
		saved = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
	} else
		saved = errno;
	/* the slots hold the only other copies of the job's pipe ends */
	if (slots_fill(NULL, devnull) == -1)
		fatal("dup3 /dev/null");
	if (sp[1] != -1)
		close(sp[1]);
	if (pid != -1 && sp[0] != -1)
		read_status(sp[0], x);
	if (sp[0] != -1)
		close(sp[0]);
	if (pid == -1) {
		/* a fork, as far as the operator is concerned */
		snprintf(err, errsz, "fork: %s", strerror(saved));
		return -1;
	}
	if (x->err.stage != -1) {
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		spawn_error(in, x, err, errsz);
		return -1;
	}
	return pid;
}

/* Start a run: 0 with in->pid set, or -1 with a message in err. */
int
spawn_instance(struct instance *in, char *err, size_t errsz)
{
	struct drover	*d = in->d;
	struct spawn_ctx x;
	int		 closefds[4] = { -1, -1, -1, -1 }, i, rc = -1;
	pid_t		 pid;

	memset(&x, 0, sizeof(x));
	x.cfg = in->job->cfg;
	x.pc = in->pc;
	x.cg_fd = x.cg_dirfd = -1;
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
	/* once children are born in their leaves, cgroup.procs is not needed */
	if (d->d_cg_base != NULL && cgroup_prepare(in, &x.cg_dirfd,
	    spawn_born_in_leaf ? NULL : &x.cg_fd) == -1)
		log_warn("%s: cgroup", in->name);	/* run without one */
	if ((pid = spawn_run(in, &x, err, errsz)) == -1) {
		output_force_close(in);
		goto closeall;
	}
	rc = 0;
	in->pid = pid;
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
	if (x.cg_dirfd != -1)
		close(x.cg_dirfd);
out:
	ctx_free(&x);
	return rc;
}

/*
 * Signal the main process or the whole tree (its cgroup, or its process
 * group without one).  The main process's pid cannot be recycled before we
 * reap it (we are its parent), and we never signal it after.
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
	if (kill(in->pid, sig) == -1 && errno != ESRCH)
		log_warn("%s: kill %d %ld", in->name, sig, (long)in->pid);
}

/* Is the run's process tree gone? */
bool
spawn_tree_empty(struct instance *in)
{
	/*
	 * Shutting down, the leaf will not serve another run, and a task's
	 * leaf rarely does (a retry or the next period makes it again):
	 * removing it answers as well (the kernel refuses while it is
	 * populated, and then it keeps naming the job's leftovers) in one
	 * system call instead of reading cgroup.events and removing it
	 * when the run settles.  A service keeps its leaf for its restart.
	 */
	if (in->cg_dir != NULL && (in->d->d_sd_phase != SD_NONE ||
	    in->job->cfg->kind == JOB_TASK) && cgroup_release(in))
		return true;
	if (in->cg_dir != NULL)
		return cgroup_empty(in);
	return kill(-in->pid, 0) == -1 && errno == ESRCH;
}

/* The run is over: drop its pid and pipes. */
void
spawn_close_run(struct instance *in)
{
	struct drover	*d = in->d;

	pidmap_del(d, in);
	output_force_close(in);
	if (d->d_nactive > 0)
		d->d_nactive--;
}

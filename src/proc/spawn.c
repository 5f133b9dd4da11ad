/*
 * spawn.c: start one run of an instance, and signal it (SPEC 3).
 *
 * Everything that can block or allocate (PATH lookup, environment, groups)
 * happens before the clone.  The child is born in its cgroup leaf and
 * shares our memory and our fd table.  Its first act is to take a private
 * fd table holding only the low fds (the slots reserved at start-up, where
 * we put its stdin, stdout and stderr just before the clone), so that its
 * cost and the table the job keeps do not grow with the number of jobs.
 * Then it resets every signal disposition and its mask, makes its own
 * session, applies limits, user, umask and directory, and execs.
 *
 * A child whose run needs nothing that can fail but the exec itself (no
 * user, directory or limits) is not waited for: it runs on its own stack
 * and slot group (one of NCHILD), and we go on to the next spawn while it
 * execs, on another CPU if there is one.  The kernel clears its record's
 * ctid word once it has left our memory (CLONE_CHILD_CLEARTID, at exec or
 * exit); until then the record, its stack and what the child reads stay.
 * Its slots get /dev/null back once it has taken its fds (it says so on
 * the eventfd in SLOT_EVENT), so that no pipe end of a job stays open in
 * drover.  If its exec fails, it leaves the error in the instance and
 * exits 127; the run's result carries it when it is reaped.  Every other
 * child we wait for, as with vfork, and a failure before its exec is a
 * spawn error, reported at once; on the fork() path (ASan, valgrind) it
 * comes through the status pipe in SLOT_STATUS.
 *
 * A child that shares our memory uses raw system calls only: it must not
 * touch errno or anything else of the thread whose TLS it shares while
 * that thread runs on.
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

#include <linux/futex.h>
#include <sys/eventfd.h>

#include <event2/event.h>

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
 * Low fds reserved at start-up: 3, the eventfd on which a child that we
 * do not wait for says it has taken its fds; 4, the status pipe of the
 * fork() path (close-on-exec: EOF means exec'd); then NCHILD groups of
 * three, a child's stdin, stdout and stderr on their way to 0-2.
 */
#define SLOT_EVENT	3
#define SLOT_STATUS	4
#define SLOT_GROUP0	5
#define NCHILD		4
#define SLOT_END	(SLOT_GROUP0 + 3 * NCHILD)
#define CHILD_STACK	(16 * 1024)

/*
 * What the child needs, all prepared before the clone, and all its own: a
 * child we do not wait for may still read it after a reload has freed
 * the job's configuration.
 */
struct spawn_ctx {
	char			*path;
	char		       **argv;
	char			*directory;
	bool			 set_user;
	uid_t			 uid;
	gid_t			 gid;
	int			 umask;		/* -1: leave it */
	struct job_limit	 limits[4];	/* as child_limits[] says */
	char		       **envp;
	gid_t			*groups;
	int			 ngroups;
	int			 fds[3];
	int			 group;		/* its slot group */
	int			 cg_fd;		/* the leaf's cgroup.procs */
	int			 cg_dirfd;	/* the leaf, for CLONE_INTO_CGROUP */
	bool			 born_in_cg;	/* CLONE_INTO_CGROUP did the join */
	bool			 detached;	/* not waited for: say when taken */
	int			 status_fd;	/* fork() path only, else -1 */
	const struct rlimit_saved *nofile;
	volatile struct spawn_err err;	/* written by a child sharing memory */
	volatile struct spawn_late *late; /* the instance's: a failed exec */
};

/*
 * A child on its way to exec: its context, the state of its slot group,
 * and the stack it runs on while it shares our memory.
 */
struct spawn_child {
	/* first: the top of the stack and the rest share a page */
	char		 stack[CHILD_STACK] __attribute__((aligned(16)));
	struct spawn_ctx x;
	volatile int	 ctid;		/* 0 once it has left our memory */
	volatile int	 taken;		/* it has its own fd table */
	bool		 busy;		/* the record is in use */
	bool		 slots_busy;	/* its slot group holds its fds */
	uint64_t	 seq;		/* spawn order: wait for the oldest */
};

static struct spawn_child children[NCHILD];
static uint64_t		 spawn_seq;
static struct event	*slot_ev;	/* SLOT_EVENT readable */
static int		 slot_devnull = -1;

#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The executable for argv[0]: as is with a slash, else the first in PATH.
 * A path is checked here unless it is relative to the job's directory
 * (the child checks that one, as it changes to it before the exec), so
 * that a missing command is a spawn error before the run starts.
 */
static char *
resolve_path(const char *argv0, const char *pathenv, const char *dir)
{
	const char	*p, *end;
	char		*cand;
	int		 saved = ENOENT;

	if (strchr(argv0, '/') != NULL) {
		if ((argv0[0] == '/' || dir == NULL) &&
		    access(argv0, X_OK) == -1)
			return NULL;
		return xstrdup(argv0);
	}
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

/*
 * System calls for a child that may share our memory: the result, or
 * -errno, and errno untouched (it is the TLS of the thread running on).
 */
#if defined(__x86_64__)
static inline long
rsys(long nr, long a1, long a2, long a3, long a4)
{
	register long	r10 __asm__("r10") = a4;
	long		ret;

	__asm__ volatile ("syscall"
	    : "=a" (ret)
	    : "0" (nr), "D" (a1), "S" (a2), "d" (a3), "r" (r10)
	    : "rcx", "r11", "memory");
	return ret;
}
#else
/* only the fork() and vfork paths run here: errno is ours to clobber */
static long
rsys(long nr, long a1, long a2, long a3, long a4)
{
	long	ret = syscall(nr, a1, a2, a3, a4);

	return ret == -1 ? -errno : ret;
}
#endif
#define RSYS0(nr)		rsys((nr), 0, 0, 0, 0)
#define RSYS1(nr, a)		rsys((nr), (long)(a), 0, 0, 0)
#define RSYS2(nr, a, b)		rsys((nr), (long)(a), (long)(b), 0, 0)
#define RSYS3(nr, a, b, c)	rsys((nr), (long)(a), (long)(b), (long)(c), 0)
#define RSYS4(nr, a, b, c, d)	rsys((nr), (long)(a), (long)(b), (long)(c), \
				    (long)(d))

static void __attribute__((noreturn))
child_fail(struct spawn_ctx *x, int stage, long ret)
{
	struct spawn_err	e = { stage, (int)-ret };

	x->err.err = e.err;
	x->err.stage = stage;
	if (x->detached) {
		/* nobody waits for us: the reaper finds it in the instance */
		x->late->err = e.err;
		x->late->stage = stage;
	}
	if (x->status_fd != -1)
		(void)RSYS3(SYS_write, x->status_fd, &e, sizeof(e));
	for (;;)
		(void)RSYS1(SYS_exit_group, 127);
}

/*
 * Leave the fd table we share with drover for one holding our slot group
 * and the fds below it only.  With CLOSE_RANGE_UNSHARE the kernel copies
 * just those, whatever drover holds; older kernels copy the whole table.
 */
static void
child_own_fds(struct spawn_ctx *x)
{
	unsigned	top = (unsigned)(SLOT_GROUP0 + 3 * (x->group + 1));
	long		ret;
	uint64_t	one = 1;

	if (RSYS3(SYS_close_range, top, ~0U, 2U /* CLOSE_RANGE_UNSHARE */)
	    != 0) {
		if ((ret = RSYS1(SYS_unshare, CLONE_FILES)) < 0)
			child_fail(x, ST_DUP, ret);
		(void)RSYS3(SYS_close_range, top, ~0U, 0);
	}
	if (x->detached) {
		__atomic_store_n(&children[x->group].taken, 1,
		    __ATOMIC_RELEASE);
		(void)RSYS3(SYS_write, SLOT_EVENT, &one, sizeof(one));
	}
}

static void
child_rlimit(struct spawn_ctx *x, int resource, const struct job_limit *l)
{
	struct rlimit	rl;
	long		ret;

	if (!l->set)
		return;
	rl.rlim_cur = rl.rlim_max = l->value == LIMIT_INFINITY ?
	    RLIM_INFINITY : (rlim_t)l->value;
	if ((ret = RSYS2(SYS_setrlimit, resource, &rl)) < 0)
		child_fail(x, ST_RLIMIT, ret);
}

static const int child_limits[4] = {
	RLIMIT_NOFILE, RLIMIT_CORE, RLIMIT_NPROC, RLIMIT_AS,
};

/* The kernel's sigaction, for SIG_DFL (no handler, so no restorer). */
struct ksigaction {
	void		*handler;
	unsigned long	 flags;
	void		*restorer;
	uint64_t	 mask;
};

/* In the child, between clone and exec: raw system calls only. */
static void __attribute__((noreturn))
child_exec(struct spawn_ctx *x)
{
	struct ksigaction	 dfl;
	struct rlimit		 rl;
	uint64_t		 none = 0;
	long			 ret;
	int			 sig, i, first;

	/* join the leaf through our fd table, before leaving it */
	if (!x->born_in_cg && x->cg_fd != -1 &&
	    (ret = RSYS3(SYS_write, x->cg_fd, "0", 1)) != 1)
		child_fail(x, ST_CGROUP, ret < 0 ? ret : -EIO);
	child_own_fds(x);	/* before anything changes an fd */
	first = SLOT_GROUP0 + 3 * x->group;
	for (i = 0; i < 3; i++)
		if ((ret = RSYS3(SYS_dup3, first + i, i, 0)) < 0)
			child_fail(x, ST_DUP, ret);
	/* the status slot stays: close-on-exec, it reports a failed exec */
	(void)RSYS1(SYS_close, SLOT_EVENT);
	if (x->status_fd == -1)
		(void)RSYS1(SYS_close, SLOT_STATUS);
	(void)RSYS3(SYS_close_range, SLOT_GROUP0, ~0U, 0);

	memset(&dfl, 0, sizeof(dfl));
	for (sig = 1; sig < NSIG; sig++)
		(void)RSYS4(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(none));
	(void)RSYS4(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL,
	    sizeof(none));

	if ((ret = RSYS0(SYS_setsid)) < 0)
		child_fail(x, ST_SETSID, ret);
	if (x->nofile->set) {
		/* drover raised its own soft limit; jobs get the original */
		rl.rlim_cur = (rlim_t)x->nofile->cur;
		rl.rlim_max = (rlim_t)x->nofile->max;
		(void)RSYS2(SYS_setrlimit, RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < 4; i++)
		child_rlimit(x, child_limits[i], &x->limits[i]);
	if (x->set_user) {
		/* the system calls, not libc's: those would signal our
		 * threads to change their ids too */
		if ((ret = RSYS2(SYS_setgroups, x->ngroups, x->groups)) < 0)
			child_fail(x, ST_GROUPS, ret);
		if ((ret = RSYS3(SYS_setresgid, x->gid, x->gid, x->gid)) < 0)
			child_fail(x, ST_SETGID, ret);
		if ((ret = RSYS3(SYS_setresuid, x->uid, x->uid, x->uid)) < 0)
			child_fail(x, ST_SETUID, ret);
	}
	if (x->umask >= 0)
		(void)RSYS1(SYS_umask, x->umask);
	if (x->directory != NULL &&
	    (ret = RSYS1(SYS_chdir, x->directory)) < 0)
		child_fail(x, ST_CHDIR, ret);
	ret = RSYS3(SYS_execve, x->path, x->argv, x->envp);
	child_fail(x, ST_EXEC, ret);
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

/* A child was born in its leaf: later spawns skip opening cgroup.procs. */
static bool	spawn_born_in_leaf;

#if SPAWN_CLONE
static int
child_entry(void *arg)
{
	child_exec(arg);
}
#endif

#if SPAWN_CLONE
static char *
child_stack_top(struct spawn_ctx *x)
{
	return children[x->group].stack + CHILD_STACK;
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
 * such as a container runtime's), stop asking.  A detached child is not
 * waited for (CLONE_VFORK): the kernel clears its record's ctid when it
 * has left our memory.
 */
static pid_t
spawn_clone3(struct spawn_ctx *x)
{
	static bool		 no_clone3;
	struct spawn_child	*ch = &children[x->group];
	struct clone_args	 ca;
	long			 ret;

	if (no_clone3 || (x->cg_dirfd == -1 && !x->detached))
		return -2;	/* clone() serves as well */
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_VM | CLONE_FILES;
	if (x->cg_dirfd != -1) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)x->cg_dirfd;
		x->born_in_cg = true;
	}
	if (x->detached) {
		ca.flags |= CLONE_CHILD_CLEARTID;
		ca.child_tid = (uint64_t)(uintptr_t)&ch->ctid;
		ch->ctid = 1;
		ch->taken = 0;
	} else
		ca.flags |= CLONE_VFORK;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)ch->stack;
	ca.stack_size = CHILD_STACK;
	if ((ret = clone3_vm(&ca, child_entry, x)) >= 0) {
		if (x->born_in_cg)
			spawn_born_in_leaf = true;
		return (pid_t)ret;
	}
	x->born_in_cg = false;
	x->detached = false;
	ch->ctid = 0;
	if (ret == -EAGAIN || ret == -ENOMEM) {
		errno = (int)-ret;
		return -1;
	}
	log_debug("clone3: %s; children join their leaf themselves, and "
	    "are waited for", strerror((int)-ret));
	no_clone3 = true;
	return -2;
}
#else
#define SPAWN_CLONE3	0
#endif

/*
 * fork() would copy the daemon's page tables and fd table for a child that
 * execs at once: with thousands of jobs that is most of the cost of a
 * spawn.  Share both (CLONE_VM | CLONE_FILES); child_own_fds() then copies
 * only what the job needs.  The child touches nothing of ours but its
 * stack, its record and the instance's spawn_late; signals are blocked and
 * its dispositions are its own (no CLONE_SIGHAND).
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
	x->detached = false;	/* the paths below wait for the exec */
	/* not born in the leaf: the child joins it through cgroup.procs */
	if (x->cg_dirfd != -1 && x->cg_fd == -1 &&
	    (x->cg_fd = cgroup_procs_fd(x->cg_dirfd)) == -1)
		return -1;
#if SPAWN_CLONE
	if (x->status_fd == -1)
		return clone(child_entry, child_stack_top(x),
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
	strv_free(x->argv);
	free(x->directory);
	strv_free(x->envp);
	free(x->groups);
	x->path = x->directory = NULL;
	x->argv = x->envp = NULL;
	x->groups = NULL;
}

/* Copy what the child reads of the job's configuration. */
static void
ctx_copy_config(struct spawn_ctx *x, const struct instance *in)
{
	const struct job_config	*c = in->job->cfg;
	char * const		*a;

	x->argv = strv_new();
	for (a = in->pc->argv; *a != NULL; a++)
		strv_push(&x->argv, *a);
	x->directory = in->pc->directory != NULL ?
	    xstrdup(in->pc->directory) : NULL;
	x->set_user = c->user != NULL;
	x->uid = c->uid;
	x->gid = c->gid;
	x->umask = c->umask;
	x->limits[0] = c->limit_nofile;
	x->limits[1] = c->limit_core;
	x->limits[2] = c->limit_nproc;
	x->limits[3] = c->limit_as;
}

/* --- slot groups and child records ------------------------------------- */

/* Put the fds of group G in its slots, or (fds NULL) /dev/null back. */
static int
slots_fill(int g, const int fds[3])
{
	int	i;

	for (i = 0; i < 3; i++)
		if (dup3(fds != NULL ? fds[i] : slot_devnull,
		    SLOT_GROUP0 + 3 * g + i, O_CLOEXEC) == -1)
			return -1;
	return 0;
}

/*
 * Give back what detached children are done with: the slots of one that
 * has taken its fds (they hold the only other copies of its job's pipe
 * ends), the record of one that has left our memory.
 */
void
spawn_settle(void)
{
	struct spawn_child	*ch;
	int			 g;

	for (g = 0; g < NCHILD; g++) {
		ch = &children[g];
		if (!ch->busy)
			continue;
		if (ch->slots_busy && (__atomic_load_n(&ch->taken,
		    __ATOMIC_ACQUIRE) || __atomic_load_n(&ch->ctid,
		    __ATOMIC_ACQUIRE) == 0)) {
			if (slots_fill(g, NULL) == -1)
				fatal("dup3 /dev/null");
			ch->slots_busy = false;
		}
		if (__atomic_load_n(&ch->ctid, __ATOMIC_ACQUIRE) == 0) {
			ctx_free(&ch->x);
			ch->busy = false;
		}
	}
}

static void
slot_event_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t	n;

	(void)what;
	(void)arg;
	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
	spawn_settle();
}

/*
 * A free record and slot group: settle, and if all NCHILD children are
 * still on their way to exec, wait for the oldest (the kernel wakes the
 * futex on its ctid when it leaves our memory).
 */
static struct spawn_child *
child_get(void)
{
	struct spawn_child	*ch, *old;
	struct timespec		 ts = { 0, 100 * 1000 * 1000 };
	int			 g, v;

	for (;;) {
		spawn_settle();
		old = NULL;
		for (g = 0; g < NCHILD; g++) {
			ch = &children[g];
			if (!ch->busy)
				return ch;
			if (old == NULL || ch->seq < old->seq)
				old = ch;
		}
		if ((v = __atomic_load_n(&old->ctid, __ATOMIC_ACQUIRE)) != 0)
			(void)syscall(SYS_futex, &old->ctid, FUTEX_WAIT, v,
			    &ts, NULL, 0);
	}
}

/*
 * Take fds 3 to SLOT_END - 1 for the children (at start-up, before
 * anything else opens an fd): the eventfd, then /dev/null, close-on-exec,
 * in every other slot between spawns.
 */
void
spawn_reserve_slots(void)
{
	int	fd, i;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	for (i = SLOT_STATUS; i < SLOT_END; i++)
		if (fd != i && dup3(fd, i, O_CLOEXEC) == -1)
			fatal("dup3");
	if (fd >= SLOT_END || fd == SLOT_EVENT)
		close(fd);
	if ((fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	if (fd != SLOT_EVENT) {
		if (dup3(fd, SLOT_EVENT, O_CLOEXEC) == -1)
			fatal("dup3");
		close(fd);
	}
}

/* Hear children take their fds (with the event base, before a spawn). */
/*
 * A burst of stop signals (a shutdown, its deadline, a stop of a whole
 * group) makes a burst of exits while it is sent: a SIGCHLD per exit
 * would break into it a thousand times (libevent's handler, a write and
 * a read on its socketpair).  The first signal of a turn of the loop
 * holds SIGCHLD back; the end of the turn lets it in, once, and one
 * reap_all() takes every exit so far.
 */
static struct event	*ev_unhold;
static bool		 chld_held;
static sigset_t		 chld_old;

static void
unhold_sigchld(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	chld_held = false;
	sigprocmask(SIG_SETMASK, &chld_old, NULL);
}

static void
hold_sigchld(void)
{
	sigset_t	chld;

	if (chld_held || ev_unhold == NULL)
		return;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &chld_old) == -1)
		return;
	chld_held = true;
	event_active(ev_unhold, 0, 0);
}

void
spawn_init(struct drover *d)
{
	slot_devnull = d->d_devnull;
	slot_ev = event_new(d->d_base, SLOT_EVENT, EV_READ | EV_PERSIST,
	    slot_event_cb, NULL);
	if (slot_ev == NULL || event_add(slot_ev, NULL) == -1)
		fatalx("spawn: cannot watch the slot eventfd");
	if ((ev_unhold = event_new(d->d_base, -1, 0, unhold_sigchld,
	    NULL)) == NULL)
		fatalx("spawn: event_new");
}

void
spawn_fini(void)
{
	if (slot_ev != NULL)
		event_free(slot_ev);
	slot_ev = NULL;
	if (ev_unhold != NULL)
		event_free(ev_unhold);
	ev_unhold = NULL;
	if (chld_held)
		unhold_sigchld(-1, 0, NULL);
}

/* At exit: nothing of ours stays open. */
void
spawn_release_slots(void)
{
	int	g, i;

	for (g = 0; g < NCHILD; g++)
		if (children[g].busy && children[g].ctid == 0)
			ctx_free(&children[g].x);
	for (i = SLOT_EVENT; i < SLOT_END; i++)
		(void)close(i);
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

/* What a child that died before exec says: its story, from x->err. */
static void
spawn_error(const struct instance *in, const char *path, int stage, int e,
    char *err, size_t errsz)
{
	switch (stage) {
	case ST_EXEC:
		snprintf(err, errsz, "exec %s: %s", path, strerror(e));
		break;
	case ST_CHDIR:
		snprintf(err, errsz, "chdir %s: %s", in->pc->directory,
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

/*
 * Clone, and wait for the exec unless the child is detached; the pid, or
 * -1 with err filled in.
 */
static pid_t
spawn_run(struct instance *in, struct spawn_ctx *x, char *err, size_t errsz)
{
	struct spawn_child *ch = &children[x->group];
	int		sp[2] = { -1, -1 }, st, saved;
	sigset_t	all, old;
	pid_t		pid;

	if (!spawn_shares_memory() && pipe2(sp, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "status pipe: %s", strerror(errno));
		return -1;
	}
	if (sp[1] != -1 && dup3(sp[1], SLOT_STATUS, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "status pipe: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	x->status_fd = sp[1] != -1 ? SLOT_STATUS : -1;
	x->err.stage = -1;
	pid = -1;
	if (slots_fill(x->group, x->fds) == 0) {
		ch->slots_busy = true;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		pid = spawn_clone(x);
		saved = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
	} else
		saved = errno;
	if (sp[1] != -1) {
		close(sp[1]);
		if (dup3(slot_devnull, SLOT_STATUS, O_CLOEXEC) == -1)
			fatal("dup3 /dev/null");
	}
	/* a waited-for child has its own fds, or none: the slots go back */
	if (pid == -1 || !x->detached) {
		if (slots_fill(x->group, NULL) == -1)
			fatal("dup3 /dev/null");
		ch->slots_busy = false;
	}
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
		spawn_error(in, x->path, x->err.stage, x->err.err, err,
		    errsz);
		return -1;
	}
	return pid;
}

/*
 * May the child go unwaited-for?  Only if nothing but the exec can fail
 * (drover checked the file before): a user, a directory or a limit can,
 * and their failures are spawn errors, reported before the run counts as
 * started.
 */
static bool
spawn_may_detach(const struct spawn_ctx *x)
{
	int	i;

	if (!SPAWN_CLONE3 || !spawn_shares_memory() || x->set_user ||
	    x->directory != NULL)
		return false;
	for (i = 0; i < 4; i++)
		if (x->limits[i].set)
			return false;
	return true;
}

/* Start a run: 0 with in->pid set, or -1 with a message in err. */
int
spawn_instance(struct instance *in, char *err, size_t errsz)
{
	struct drover		*d = in->d;
	struct spawn_child	*ch = child_get();
	struct spawn_ctx	*x = &ch->x;
	int			 closefds[4] = { -1, -1, -1, -1 }, i, rc = -1;
	pid_t			 pid;

	memset(x, 0, sizeof(*x));
	x->group = (int)(ch - children);
	ctx_copy_config(x, in);
	x->cg_fd = x->cg_dirfd = -1;
	x->nofile = &d->d_nofile;
	x->late = &in->spawn_late;
	in->spawn_late.stage = -1;
	x->envp = build_env(in);
	if ((x->path = resolve_path(in->pc->argv[0], env_get(x->envp,
	    "PATH"), in->pc->directory)) == NULL) {
		snprintf(err, errsz, "exec %s: %s", in->pc->argv[0],
		    strerror(errno));
		goto out;
	}
	if (build_groups(in->job->cfg, &x->groups, &x->ngroups) == -1) {
		snprintf(err, errsz, "user %s: too many groups",
		    in->job->cfg->user);
		goto out;
	}
	if (output_open(in, x->fds, closefds) == -1) {
		snprintf(err, errsz, "output pipes: %s", strerror(errno));
		goto out;
	}
	/* once children are born in their leaves, cgroup.procs is not needed */
	if (d->d_cg_base != NULL && cgroup_prepare(in, &x->cg_dirfd,
	    spawn_born_in_leaf ? NULL : &x->cg_fd) == -1)
		log_warn("%s: cgroup", in->name);	/* run without one */
	x->detached = spawn_may_detach(x);
	if ((pid = spawn_run(in, x, err, errsz)) == -1) {
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
	if (x->cg_fd != -1)
		close(x->cg_fd);
	if (x->cg_dirfd != -1)
		close(x->cg_dirfd);
	x->cg_fd = x->cg_dirfd = -1;
out:
	if (rc == 0 && x->detached) {
		/* the child still reads x: spawn_settle() frees it */
		ch->busy = true;
		ch->seq = ++spawn_seq;
		return 0;
	}
	ctx_free(x);
	return rc;
}

/*
 * The main process of a run was reaped: a detached child whose exec
 * failed left the error in the instance, for the run's result.
 */
void
spawn_reaped(struct instance *in)
{
	char	msg[256];

	spawn_settle();
	if (in->spawn_late.stage < 0)
		return;
	spawn_error(in, in->pc->argv[0], in->spawn_late.stage,
	    in->spawn_late.err, msg, sizeof(msg));
	in->spawn_late.stage = -1;
	log_warnx("%s: %s", in->name, msg);
	free(in->late_note);
	in->late_note = xstrdup(msg);
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
	hold_sigchld();
	if (tree) {
		if (cgroup_kill_deferred(in, sig))
			return;
		if (in->cg_dir != NULL && cgroup_kill(in, sig) == 0)
			return;
		if (kill(-in->pid, sig) == 0)
			return;
		/* a child we did not wait for may not have made its
		 * session and group yet: then it is the whole tree */
		if (errno == ESRCH && !(in->rflags & RUN_REAPED) &&
		    kill(in->pid, sig) == 0)
			return;
		if (errno != ESRCH)
			log_warn("%s: kill -%d %ld", in->name, sig,
			    (long)in->pid);
		return;
	}
	if (in->rflags & RUN_REAPED)
		return;
	if (kill(in->pid, sig) == -1 && errno != ESRCH)
		log_warn("%s: kill %d %ld", in->name, sig, (long)in->pid);
}

/* Is the run's process tree gone?  1 yes, 0 no, -1 told later. */
int
spawn_tree_empty(struct instance *in)
{
	/*
	 * Shutting down, the leaf will not serve another run: if it is
	 * empty, cgroup.c's remover thread takes it away, off the loop.  A
	 * task's leaf rarely serves another (a retry or the next period
	 * makes it again): removing it answers as well (the kernel refuses
	 * while it is populated, and then it keeps naming the job's
	 * leftovers) in one system call instead of reading cgroup.events
	 * and removing it when the run settles.  A service keeps its leaf
	 * for its restart.
	 */
	if (in->cg_dir != NULL && in->d->d_sd_phase != SD_NONE)
		return cgroup_release_async(in);
	if (in->cg_dir != NULL && in->job->cfg->kind == JOB_TASK &&
	    cgroup_release(in))
		return 1;
	if (in->cg_dir != NULL)
		return cgroup_empty(in) ? 1 : 0;
	return kill(-in->pid, 0) == -1 && errno == ESRCH ? 1 : 0;
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

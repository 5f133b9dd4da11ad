/*
 * cgroup.c: one cgroup v2 leaf per instance, when drover may make them.
 *
 * drover finds the cgroup2 mount in /proc/self/mountinfo and its own
 * cgroup in the "0::" line of /proc/self/cgroup, makes OWN/drover.PID/,
 * moves itself into its supervisor/ leaf and puts each instance in a leaf
 * beside it.  No controller is enabled; cgroup.kill and cgroup.events need
 * none.  A child joins its leaf before exec, so no descendant can escape,
 * not even through setsid.  A drover.* subtree whose supervisor leaf is
 * empty belongs to a drover that died (whatever pid namespace either runs
 * in): its processes are killed and logged and the subtree removed at
 * start-up.  Without a writable cgroup2, drover falls back to process
 * groups and being a subreaper.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "xmalloc.h"

/*
 * An fd on d_cg_base: leaves are made, opened and removed relative to it
 * (mkdirat, openat, unlinkat), so no spawn walks the whole path again.
 */
static int	base_fd = -1;

/* The cgroup2 mount point, from mountinfo (field 5; fstype after " - "). */
static char *
cgroup2_mount(void)
{
	FILE	*f;
	char	*line = NULL, *mnt = NULL, *sep, *fields[6], *p;
	size_t	 cap = 0;
	int	 i;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return NULL;
	while (mnt == NULL && getline(&line, &cap, f) != -1) {
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		if (strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		p = line;
		for (i = 0; i < 6 && p != NULL; i++)
			fields[i] = strsep(&p, " ");
		if (i == 6 && fields[4] != NULL)
			mnt = xstrdup(fields[4]);
	}
	free(line);
	fclose(f);
	return mnt;
}

static char *
own_cgroup(void)
{
	FILE	*f;
	char	*line = NULL, *path = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return NULL;
	while (path == NULL && (n = getline(&line, &cap, f)) != -1) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		path = xstrdup(line + 3);
	}
	free(line);
	fclose(f);
	return path;
}

static int
write_file(const char *dir, const char *file, const char *s)
{
	char	*path = xprintf("%s/%s", dir, file);
	int	 fd, rc = -1;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1) {
		if (write(fd, s, strlen(s)) == (ssize_t)strlen(s))
			rc = 0;
		close(fd);
	}
	free(path);
	return rc;
}

static bool
dir_populated(const char *dir)
{
	char	*path = xprintf("%s/cgroup.events", dir), buf[256], *p;
	int	 fd;
	ssize_t	 n;
	bool	 populated = false;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			if ((p = strstr(buf, "populated ")) != NULL)
				populated = p[10] == '1';
		}
		close(fd);
	}
	free(path);
	return populated;
}

/*
 * A drover that shuts down leaves its supervisor leaf at once (the move
 * waits for an RCU grace period, off the loop), and makes this leaf so
 * that another drover starting meanwhile still takes it for alive; a
 * crash in a shutdown leaves it behind, and after STOPPING_ALIVE_S the
 * subtree is a dead drover's again.
 */
#define STOPPING_LEAF		"stopping"
#define STOPPING_ALIVE_S	600

/* Kill and remove what a dead drover left in DIR (drover.PID). */
static void
reap_leftover(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	char		*sub;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    strcmp(de->d_name, "supervisor") == 0)
			continue;
		sub = xprintf("%s/%s", dir, de->d_name);
		if (dir_populated(sub)) {
			log_warnx("killing processes of job %s left by an "
			    "earlier drover (%s)", strncmp(de->d_name, "job.",
			    4) == 0 ? de->d_name + 4 : de->d_name, dir);
			if (write_file(sub, "cgroup.kill", "1") == -1)
				log_warn("%s: cgroup.kill", sub);
		}
		/* fails while the killed are still dying; then it stays */
		(void)rmdir(sub);
		free(sub);
	}
	closedir(dp);
	sub = xprintf("%s/supervisor", dir);
	(void)rmdir(sub);
	free(sub);
	(void)rmdir(dir);
}

/*
 * Is DIR (a drover.* subtree) held by a live drover?  Each drover runs in
 * DIR/supervisor, so "populated" answers from any pid namespace.  A subtree
 * younger than a few seconds may be one whose drover is still moving in.
 */
static bool
subtree_alive(const char *dir)
{
	struct stat	 st;
	char		*sup = xprintf("%s/supervisor", dir);
	bool		 alive;

	alive = dir_populated(sup);
	/* made, but its drover not yet moved in (the window is that short:
	 * an empty supervisor leaf means a dead drover, so that a restart
	 * right after a crash finds and kills what the crash left) */
	if (!alive && stat(sup, &st) == -1 && stat(dir, &st) == 0 &&
	    time(NULL) - st.st_mtime < 5)
		alive = true;
	free(sup);
	/* shutting down, its drover has already left the supervisor leaf
	 * (cgroup_bus_cb): a "stopping" leaf says so, for a while */
	sup = xprintf("%s/" STOPPING_LEAF, dir);
	if (!alive && stat(sup, &st) == 0 &&
	    time(NULL) - st.st_mtime < STOPPING_ALIVE_S)
		alive = true;
	free(sup);
	return alive;
}

static void
clean_leftovers(const char *parent)
{
	DIR		*dp;
	struct dirent	*de;
	char		*dir;

	if ((dp = opendir(parent)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, "drover.", 7) != 0 ||
		    de->d_type != DT_DIR)
			continue;
		dir = xprintf("%s/%s", parent, de->d_name);
		if (!subtree_alive(dir))
			reap_leftover(dir);
		free(dir);
	}
	closedir(dp);
}

/* Move ourselves into DIR (a cgroup); 0 or -1. */
static int
move_self(const char *dir)
{
	char	pid[32];

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	return write_file(dir, "cgroup.procs", pid);
}

static void	leave_early(struct drover *);

/*
 * A run that is over and will not come back soon gives its leaf up; a
 * shutdown starts leaving our subtree.
 */
static void
cgroup_bus_cb(const struct bus_event *ev, void *arg)
{
	if (ev->type == BUS_DROVER) {
		if (ev->dp.to == DP_STOPPING)
			leave_early(arg);
		return;
	}
	if (!instance_active(ev->in) && instance_settled(ev->in))
		(void)cgroup_release(ev->in);
}

/*
 * 0 with d_cg_base set, or -1: no usable cgroup2 (fall back).  drover
 * makes OWN/drover.PID/, moves itself into its supervisor/ leaf, and puts
 * each instance in a leaf beside it.
 */
int
cgroup_init(struct drover *d)
{
	char	*mnt, *own, *parent, *base = NULL, *sup;
	int	 i;

	if (getenv("DROVER_NO_CGROUP") != NULL)
		return -1;
	if ((mnt = cgroup2_mount()) == NULL)
		return -1;
	if ((own = own_cgroup()) == NULL) {
		free(mnt);
		return -1;
	}
	parent = xprintf("%s%s", mnt, strcmp(own, "/") == 0 ? "" : own);
	free(mnt);
	free(own);
	clean_leftovers(parent);
	for (i = 0; i < 100; i++) {
		base = i == 0 ? xprintf("%s/drover.%ld", parent,
		    (long)getpid()) : xprintf("%s/drover.%ld-%d", parent,
		    (long)getpid(), i);
		if (mkdir(base, 0755) == 0)
			break;
		free(base);
		base = NULL;
		if (errno != EEXIST)
			break;
	}
	if (base == NULL) {
		log_debug("cgroup: cannot make a subtree under %s: %s; using "
		    "process groups", parent, strerror(errno));
		free(parent);
		return -1;
	}
	sup = xprintf("%s/supervisor", base);
	if (mkdir(sup, 0755) == -1 || move_self(sup) == -1) {
		log_debug("cgroup: cannot move into %s: %s; using process "
		    "groups", sup, strerror(errno));
		(void)rmdir(sup);
		(void)rmdir(base);
		free(sup);
		free(base);
		free(parent);
		return -1;
	}
	free(sup);
	if ((base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open %s", base);
	d->d_cg_base = base;
	d->d_cg_parent = parent;
	bus_subscribe(d->d_bus, BUS_PRIO_PROC, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_DROVER), cgroup_bus_cb, d);
	log_debug("cgroup: jobs run under %s", base);
	return 0;
}

/*
 * The leaf of an instance: "job.NAME" (never "supervisor" nor a cgroup.*
 * file), with '/', '%', '~' and unprintable bytes %-escaped so that two
 * names never share a leaf; a job made by a reload adds "~SERIAL".
 */
static char *
leaf_name(const struct instance *in)
{
	char		 buf[1024];
	size_t		 o;
	const char	*p;

	o = (size_t)snprintf(buf, sizeof(buf), "job.");
	for (p = in->name; *p != '\0' && o + 4 < sizeof(buf); p++) {
		if (*p == '/' || *p == '%' || *p == '~' ||
		    !isprint((unsigned char)*p))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%%%02x",
			    (unsigned char)*p);
		else
			buf[o++] = *p;
	}
	buf[o] = '\0';
	if (in->job->serial > 0)
		return xprintf("%s~%u", buf, in->job->serial);
	return xstrdup(buf);
}

/* The leaf's name in d_cg_base (in->cg_dir is d_cg_base/NAME). */
static const char *
leaf_rel(const struct instance *in)
{
	return in->cg_dir + strlen(in->d->d_cg_base) + 1;
}

/*
 * The instance's leaf and an fd on it (for CLONE_INTO_CGROUP); with
 * procs_fd, one on its cgroup.procs too, for a child that joins it itself
 * (and to know that we may).  A spawn born in the leaf needs no more than
 * the directory: clone3 checks the permission to write cgroup.procs.
 */
int
cgroup_prepare(struct instance *in, int *dir_fd, int *procs_fd)
{
	char	*leaf;

	/*
	 * Linux 6.x (seen on 6.18) kills a child that clone3 puts into a
	 * leaf whose cgroup.kill was ever written (its kill_seq is compared
	 * with the parent's cgroup's): a killed leaf is made anew.
	 */
	if (in->cg_dir != NULL && in->cg_killed && cgroup_release(in))
		in->cg_killed = false;
	in->cg_busy = in->cg_removing = false;
	in->cg_owed = 0;
	if (in->cg_dir == NULL) {
		leaf = leaf_name(in);
		in->cg_dir = xprintf("%s/%s", in->d->d_cg_base, leaf);
		free(leaf);
	}
	*dir_fd = -1;
	if (procs_fd != NULL)
		*procs_fd = -1;
	if ((mkdirat(base_fd, leaf_rel(in), 0755) == 0 || errno == EEXIST) &&
	    (*dir_fd = openat(base_fd, leaf_rel(in), O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) != -1 && (procs_fd == NULL ||
	    (*procs_fd = cgroup_procs_fd(*dir_fd)) != -1))
		return 0;
	if (*dir_fd != -1)
		close(*dir_fd);
	*dir_fd = -1;
	/* track this run by its process group instead */
	free(in->cg_dir);
	in->cg_dir = NULL;
	return -1;
}

/* An fd to write a pid into the leaf DIR_FD's cgroup.procs, or -1. */
int
cgroup_procs_fd(int dir_fd)
{
	return openat(dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
}

bool
cgroup_empty(struct instance *in)
{
	return !dir_populated(in->cg_dir);
}

/*
 * While the remover decides whether the leaf is empty, a signal for the
 * tree is kept for a busy verdict (an empty tree has nobody to get it).
 * True if kept.
 */
bool
cgroup_kill_deferred(struct instance *in, int sig)
{
	if (!in->cg_removing || sig <= 0 || sig >= 64)
		return false;
	in->cg_owed |= UINT64_C(1) << sig;
	return true;
}

/* SIGKILL through cgroup.kill; other signals to every pid in the leaf. */
int
cgroup_kill(struct instance *in, int sig)
{
	FILE	*f;
	char	*path;
	long	 pid;

	if (sig == SIGKILL && write_file(in->cg_dir, "cgroup.kill", "1") == 0) {
		in->cg_killed = true;
		return 0;
	}
	path = xprintf("%s/cgroup.procs", in->cg_dir);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return -1;
	while (fscanf(f, "%ld", &pid) == 1)
		if (kill((pid_t)pid, sig) == -1 && errno != ESRCH)
			log_warn("%s: kill %d %ld", in->name, sig, pid);
	fclose(f);
	return 0;
}

/*
 * The run is over and nothing will start the instance again on its own:
 * remove its leaf now, spread over the run, rather than all of them in a
 * row at exit (a spawn makes it again).  A leaf still holding leftovers
 * (killmode = process) stays, and keeps naming their job.  true if the
 * leaf is gone.
 */
bool
cgroup_release(struct instance *in)
{
	if (in->cg_dir == NULL)
		return true;
	if (unlinkat(base_fd, leaf_rel(in), AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		return false;	/* EBUSY: populated */
	free(in->cg_dir);
	in->cg_dir = NULL;
	return true;
}

void
cgroup_remove(struct instance *in)
{
	if (in->cg_dir == NULL)
		return;
	if (unlinkat(base_fd, leaf_rel(in), AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		log_debug("%s: rmdir %s: %s", in->name, in->cg_dir,
		    strerror(errno));
	free(in->cg_dir);
	in->cg_dir = NULL;
}

/*
 * Removing a leaf is the dearest system call of a run's end (the kernel
 * takes down each of its files), and a shutdown ends a thousand runs at
 * once: there, leaves are removed by a thread of their own, on another
 * CPU, while the loop goes on reaping.  It only ever calls unlinkat() on
 * the names it is handed (it logs nothing, and touches nothing else);
 * what it could not remove, cgroup_fini() reports.  No leaf it is handed
 * is made again: nothing respawns a run once the shutdown has begun.
 *
 * A leaf handed over when its run's main process is reaped comes with
 * its instance, which waits for a verdict: removed (the kernel refuses a
 * populated leaf, so its tree is gone) or busy (leftovers: the loop
 * watches the leaf as it did before the shutdown).  The loop thus asks
 * nothing of the kernel at each exit; the remover's rmdir answers.
 */
#define RM_BATCH	16

struct rm_verdict {
	struct instance	*in;
	int		 err;		/* of the rmdir; 0: removed */
};

/* Leaf names, each NUL-terminated, one after the other. */
struct namebuf {
	char	*buf;
	size_t	 len, cap;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 tid;
	bool		 running, stop;
	bool		 idle;		/* the remover waits on cv */
	char		*move_path;	/* write our pid here, then NULL */
	char		 move_pid[24];
	bool		 moved;		/* we left the supervisor leaf */
	struct namebuf	 todo;		/* the loop's: filled under mu */
	int		 ntodo;		/* names in it */
	struct namebuf	 work;		/* the remover's: swapped under mu */
	struct namebuf	 failed;	/* the remover's, read after join */
	/* who waits for each name of todo / work (NULL: nobody) */
	struct instance	**todo_in, **work_in;
	size_t		 todo_in_cap, work_in_cap;
	/* verdicts for the loop: room for all it is owed, made by the loop */
	struct rm_verdict *done;
	size_t		 ndone, done_cap, owed;
	int		 efd;		/* eventfd: verdicts wait */
	struct event	*ev_done, *ev_kick;
} rmq = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
    .efd = -1 };

static void
namebuf_add(struct namebuf *nb, const char *name)
{
	size_t	n = strlen(name) + 1;

	if (nb->len + n > nb->cap) {
		nb->cap = nb->len + n > 4096 ? (nb->len + n) * 2 : 4096;
		nb->buf = xrealloc(nb->buf, nb->cap);
	}
	memcpy(nb->buf + nb->len, name, n);
	nb->len += n;
}

/* The remover's move of our process: plain system calls, no log. */
static void
move_pid_to(const char *procs, const char *pid)
{
	int	fd;
	bool	ok = false;

	if ((fd = open(procs, O_WRONLY | O_CLOEXEC)) != -1) {
		ok = write(fd, pid, strlen(pid)) == (ssize_t)strlen(pid);
		close(fd);
	}
	pthread_mutex_lock(&rmq.mu);
	rmq.moved = ok;
	pthread_mutex_unlock(&rmq.mu);
}

/*
 * The remover: swap the queue for its own buffer, remove what is in it,
 * and come back.  It allocates nothing (a free of the loop's memory here
 * would contend for malloc's lock with the loop), but on a failure.
 */
static void *
remover_main(void *arg)
{
	struct namebuf	 tmp;
	struct instance	**tin, *in;
	const char	*name;
	size_t		 tcap, i;
	bool		 stop, told;
	int		 err;
	uint64_t	 one = 1;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&rmq.mu);
		while (rmq.todo.len == 0 && !rmq.stop &&
		    rmq.move_path == NULL) {
			rmq.idle = true;
			pthread_cond_wait(&rmq.cv, &rmq.mu);
		}
		rmq.idle = false;
		if (rmq.move_path != NULL) {
			char	*path = rmq.move_path;

			pthread_mutex_unlock(&rmq.mu);
			move_pid_to(path, rmq.move_pid);
			pthread_mutex_lock(&rmq.mu);
			rmq.move_path = NULL;
			free(path);
		}
		stop = rmq.stop && rmq.todo.len == 0;
		tmp = rmq.work;
		rmq.work = rmq.todo;
		rmq.todo = tmp;
		rmq.todo.len = 0;
		rmq.ntodo = 0;
		tin = rmq.work_in;
		tcap = rmq.work_in_cap;
		rmq.work_in = rmq.todo_in;
		rmq.work_in_cap = rmq.todo_in_cap;
		rmq.todo_in = tin;
		rmq.todo_in_cap = tcap;
		pthread_mutex_unlock(&rmq.mu);
		if (stop)
			return NULL;
		told = false;
		for (name = rmq.work.buf, i = 0; name < rmq.work.buf +
		    rmq.work.len; name += strlen(name) + 1, i++) {
			err = unlinkat(base_fd, name, AT_REMOVEDIR) == -1 &&
			    errno != ENOENT ? errno : 0;
			if ((in = rmq.work_in[i]) == NULL) {
				if (err != 0)
					namebuf_add(&rmq.failed, name);
				continue;
			}
			/* the loop made room for every verdict it is owed */
			pthread_mutex_lock(&rmq.mu);
			rmq.done[rmq.ndone].in = in;
			rmq.done[rmq.ndone++].err = err;
			pthread_mutex_unlock(&rmq.mu);
			told = true;
		}
		rmq.work.len = 0;
		/* only a counter at its maximum refuses: then it is set */
		if (told && write(rmq.efd, &one, sizeof(one)) == -1)
			continue;
	}
}

/* Start the remover, with rmq.mu held; 0 or an error number. */
static int
remover_start(void)
{
	sigset_t	all, old;
	int		rc;

	if (rmq.running)
		return 0;
	/* signals stay with the loop's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&rmq.tid, NULL, remover_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	rmq.running = rc == 0;
	return rc;
}

/*
 * Hand leaf NAME (relative to base_fd) to the remover, with the instance
 * that waits for its verdict or NULL; false: cannot.
 */
static bool
remover_push(const char *name, struct instance *in)
{
	int	rc;

	pthread_mutex_lock(&rmq.mu);
	if ((rc = remover_start()) == 0) {
		if ((size_t)rmq.ntodo >= rmq.todo_in_cap) {
			rmq.todo_in_cap = rmq.todo_in_cap ? rmq.todo_in_cap *
			    2 : 256;
			rmq.todo_in = xreallocarray(rmq.todo_in,
			    rmq.todo_in_cap, sizeof(*rmq.todo_in));
		}
		if (in != NULL && rmq.ndone + rmq.owed + 1 > rmq.done_cap) {
			rmq.done_cap = (rmq.ndone + rmq.owed + 1) * 2;
			rmq.done = xreallocarray(rmq.done, rmq.done_cap,
			    sizeof(*rmq.done));
		}
		rmq.owed += in != NULL;
		rmq.todo_in[rmq.ntodo] = in;
		namebuf_add(&rmq.todo, name);
		/* woken for a batch, not for each (a busy one finds them when
		 * it comes back for more); remover_join() takes the rest,
		 * and a verdict waited for is asked for at the end of the
		 * loop's turn (remover_kick) */
		if (++rmq.ntodo >= RM_BATCH && rmq.idle)
			pthread_cond_signal(&rmq.cv);
	}
	pthread_mutex_unlock(&rmq.mu);
	return rc == 0;
}

/* The end of a turn that handed over leaves waited for: wake the remover. */
static void
remover_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	pthread_mutex_lock(&rmq.mu);
	if (rmq.ntodo > 0 && rmq.idle)
		pthread_cond_signal(&rmq.cv);
	pthread_mutex_unlock(&rmq.mu);
}

/* Signals owed to a tree that turned out to have leftovers. */
static void
pay_owed(struct instance *in)
{
	uint64_t	owed = in->cg_owed;
	int		sig;

	in->cg_owed = 0;
	if (owed & (UINT64_C(1) << SIGKILL)) {
		(void)cgroup_kill(in, SIGKILL);
		return;
	}
	for (sig = 1; sig < 64; sig++)
		if (owed & (UINT64_C(1) << sig))
			(void)cgroup_kill(in, sig);
}

/* The remover's verdicts, in the loop. */
static void
remover_done(evutil_socket_t fd, short what, void *arg)
{
	struct drover		*d = arg;
	struct rm_verdict	*v;
	struct instance		*in;
	uint64_t		 n;
	size_t			 nv, i;
	bool			 busy = false;

	(void)what;
	if (read(fd, &n, sizeof(n)) == -1 && errno == EAGAIN)
		return;		/* another turn took them */
	pthread_mutex_lock(&rmq.mu);
	nv = rmq.ndone;
	v = xreallocarray(NULL, nv ? nv : 1, sizeof(*v));
	memcpy(v, rmq.done, nv * sizeof(*v));
	rmq.ndone = 0;
	rmq.owed -= nv;
	pthread_mutex_unlock(&rmq.mu);
	for (i = 0; i < nv; i++) {
		in = v[i].in;
		in->cg_removing = false;
		if (v[i].err == 0) {
			in->cg_owed = 0;
			free(in->cg_dir);
			in->cg_dir = NULL;
			instance_tree_known(in, true);
		} else if (in->cg_dir != NULL) {
			/* leftovers: watched as before the shutdown */
			in->cg_busy = true;
			pay_owed(in);
			instance_tree_known(in, false);
			busy = true;
		}
	}
	free(v);
	/* their leftovers are our children (we are the subreaper): each
	 * exit has reap_all() look at these trees again */
	if (busy)
		d->d_trees_pending = true;
}

/* The verdict's plumbing, made by the first leaf that waits for one. */
static bool
remover_plumb(struct drover *d)
{
	if (rmq.ev_done != NULL)
		return true;
	if ((rmq.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return false;
	rmq.ev_done = event_new(d->d_base, rmq.efd, EV_READ | EV_PERSIST,
	    remover_done, d);
	rmq.ev_kick = event_new(d->d_base, -1, 0, remover_kick, NULL);
	if (rmq.ev_done == NULL || rmq.ev_kick == NULL ||
	    event_add(rmq.ev_done, NULL) == -1) {
		if (rmq.ev_done != NULL)
			event_free(rmq.ev_done);
		if (rmq.ev_kick != NULL)
			event_free(rmq.ev_kick);
		rmq.ev_done = rmq.ev_kick = NULL;
		close(rmq.efd);
		rmq.efd = -1;
		return false;
	}
	return true;
}

/* Wait for the remover to finish its queue; report what it left. */
static void
remover_join(const char *base)
{
	const char	*name;

	if (!rmq.running)
		return;
	pthread_mutex_lock(&rmq.mu);
	rmq.stop = true;
	pthread_cond_signal(&rmq.cv);
	pthread_mutex_unlock(&rmq.mu);
	pthread_join(rmq.tid, NULL);
	rmq.running = false;
	for (name = rmq.failed.buf; name != NULL &&
	    name < rmq.failed.buf + rmq.failed.len; name += strlen(name) + 1)
		log_warnx("cannot remove %s/%s: still populated", base, name);
	free(rmq.todo.buf);
	free(rmq.work.buf);
	free(rmq.failed.buf);
	memset(&rmq.todo, 0, sizeof(rmq.todo));
	memset(&rmq.work, 0, sizeof(rmq.work));
	memset(&rmq.failed, 0, sizeof(rmq.failed));
	free(rmq.todo_in);
	free(rmq.work_in);
	free(rmq.done);
	rmq.todo_in = rmq.work_in = NULL;
	rmq.todo_in_cap = rmq.work_in_cap = 0;
	rmq.done = NULL;
	rmq.ndone = rmq.done_cap = rmq.owed = 0;
	rmq.ntodo = 0;
	if (rmq.ev_done != NULL) {
		event_free(rmq.ev_done);
		event_free(rmq.ev_kick);
		close(rmq.efd);
	}
	rmq.ev_done = rmq.ev_kick = NULL;
	rmq.efd = -1;
}

/*
 * Shutting down, a run is over when its leaf is empty: the remover's rmdir
 * says whether it is (-1: the answer comes through remover_done()).  A
 * leaf found busy is read as before: 1 if it is empty (or there is none),
 * and the remover takes it away; 0 if not.
 */
int
cgroup_release_async(struct instance *in)
{
	char	 path[1100], buf[256], *p;
	int	 fd;
	ssize_t	 n;
	bool	 populated = true;

	if (in->cg_dir == NULL)
		return 1;
	if (in->cg_removing)
		return -1;		/* the remover will say */
	if (!in->cg_busy && remover_plumb(in->d) &&
	    remover_push(leaf_rel(in), in)) {
		in->cg_removing = true;
		event_active(rmq.ev_kick, 0, 0);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/cgroup.events", leaf_rel(in));
	if ((fd = openat(base_fd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return cgroup_release(in) ? 1 : 0;
	if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if ((p = strstr(buf, "populated ")) != NULL)
			populated = p[10] == '1';
	}
	close(fd);
	if (populated)
		return 0;
	if (!remover_push(leaf_rel(in), NULL))
		return cgroup_release(in) ? 1 : 0;
	free(in->cg_dir);
	in->cg_dir = NULL;
	in->cg_busy = false;
	return 1;
}

/*
 * The shutdown began: go back to where we started now, on the remover's
 * thread, while the loop stops the jobs, rather than at exit, where the
 * write to cgroup.procs (an RCU grace period, 10-20 ms) would be all
 * that is left to wait for.  The "stopping" leaf keeps us alive to
 * another drover's eyes; without it, we leave at exit.
 */
static void
leave_early(struct drover *d)
{
	if (d->d_cg_base == NULL || base_fd == -1)
		return;
	if (mkdirat(base_fd, STOPPING_LEAF, 0755) == -1 && errno != EEXIST)
		return;
	pthread_mutex_lock(&rmq.mu);
	if (rmq.move_path == NULL && !rmq.moved && remover_start() == 0) {
		rmq.move_path = xprintf("%s/cgroup.procs", d->d_cg_parent);
		snprintf(rmq.move_pid, sizeof(rmq.move_pid), "%ld",
		    (long)getpid());
		pthread_cond_signal(&rmq.cv);
	}
	pthread_mutex_unlock(&rmq.mu);
}

/* Leave our subtree (back to where we started) and remove it. */
void
cgroup_fini(struct drover *d)
{
	char	*sup;
	bool	 moved;

	if (d->d_cg_base == NULL)
		return;
	remover_join(d->d_cg_base);
	moved = rmq.moved;	/* the remover has gone: no lock */
	if (base_fd != -1)
		close(base_fd);
	base_fd = -1;
	sup = xprintf("%s/%s", d->d_cg_base, STOPPING_LEAF);
	(void)rmdir(sup);
	free(sup);
	sup = xprintf("%s/supervisor", d->d_cg_base);
	if ((moved || move_self(d->d_cg_parent) == 0) && rmdir(sup) == -1)
		log_warn("rmdir %s", sup);
	if (rmdir(d->d_cg_base) == -1 && errno != ENOENT)
		log_warn("rmdir %s", d->d_cg_base);
	free(sup);
	free(d->d_cg_base);
	free(d->d_cg_parent);
	d->d_cg_base = d->d_cg_parent = NULL;
}

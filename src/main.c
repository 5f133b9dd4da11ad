/*
 * main.c: command line, start-up order, the event loop, exit codes.
 *
 * Exit codes (SPEC 11): 0 clean shutdown (with --once: every task
 * succeeded), 1 a critical job failed or a --once task failed, 2 usage or
 * configuration error.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "cron.h"
#include "state.h"
#include "web.h"
#include "drover.h"
#include "history.h"
#include "metrics.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

#ifndef DROVER_SYSCONFDIR
#define DROVER_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG	DROVER_SYSCONFDIR "/drover/drover.ini"

struct options {
	const char	*config;
	const char	*socket;
	const char	*state_file;	/* --state-file, NULL = the config's */
	bool		 check;
	bool		 once;
	bool		 fail_fast;
	bool		 debug;
	int		 level;
	bool		 level_set;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: drover [-c FILE] [-t] [--once [--fail-fast]] "
	    "[-s SOCKET] [-l LEVEL] [--debug] [-V] [-h]\n"
	    "  -c, --config FILE      configuration (default %s)\n"
	    "  -t, --check-config     validate the configuration and exit\n"
	    "      --once             run every task to completion, then exit\n"
	    "      --fail-fast        with --once: the first failure cancels "
	    "the rest\n"
	    "  -s, --socket PATH      control socket (overrides the config)\n"
	    "      --state-file PATH  state file, or none (overrides the "
	    "config)\n"
	    "  -l, --log-level LEVEL  debug, info, notice, warning, error\n"
	    "      --debug            log every state transition\n"
	    "  -V, --version          print the version\n"
	    "  -h, --help             this help\n", DEFAULT_CONFIG);
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_ONCE = 256, OPT_FAIL_FAST, OPT_DEBUG, OPT_STATE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "fail-fast", no_argument, NULL, OPT_FAIL_FAST },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "state-file", required_argument, NULL, OPT_STATE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	o->level = LOG_INFO;
	while ((ch = getopt_long(argc, argv, "c:ts:l:Vh", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 't': o->check = true; break;
		case 's': o->socket = optarg; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_FAIL_FAST: o->fail_fast = true; break;
		case OPT_DEBUG: o->debug = true; break;
		case OPT_STATE: o->state_file = optarg; break;
		case 'l':
			if (log_level_parse(optarg, &o->level) == -1) {
				fprintf(stderr, "drover: unknown log level "
				    "'%s'\n", optarg);
				exit(2);
			}
			o->level_set = true;
			break;
		case 'V':
			printf("drover %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "drover: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (o->fail_fast && !o->once) {
		fprintf(stderr, "drover: --fail-fast needs --once\n");
		exit(2);
	}
}

/* --- the engine's view of the system ------------------------------------ */

static int64_t
clock_ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_now(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static int64_t
wall_now(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static uint32_t
rand32(void)
{
	return (uint32_t)random();
}

static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct instance	*in = arg;
	int64_t		 t0 = log_cb_begin(), at;

	/* how late it fired: the loop lag, for free (metrics.c) */
	at = in->t_state;
	if (in->t_run != 0 && (at == 0 || in->t_run < at))
		at = in->t_run;
	if (at != 0)
		metrics_loop_lag(in->d, mono_now() - at);
	instance_timer_fired(in);
	log_cb_end(t0, "timer", in->name);
}

/* One timer per instance, at the earliest of its two deadlines. */
static void
arm_instance(struct instance *in)
{
	int64_t		at, ms;
	struct timeval	tv;

	at = in->t_state;
	if (in->t_run != 0 && (at == 0 || in->t_run < at))
		at = in->t_run;
	if (at == 0) {
		/* most instances spend their life without a deadline (a
		 * running service): no event kept for them */
		if (in->ev_timer != NULL)
			event_free(in->ev_timer);
		in->ev_timer = NULL;
		return;
	}
	if (in->ev_timer == NULL)
		in->ev_timer = evtimer_new(in->d->d_base, timer_cb, in);
	ms = at - mono_now();
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(in->ev_timer, &tv);
}

static const struct engine_ops real_ops = {
	.spawn = spawn_instance,
	.kill = spawn_kill,
	.tree_empty = spawn_tree_empty,
	.release = spawn_close_run,
	.arm = arm_instance,
	.now = mono_now,
	.wallclock = wall_now,
	.random = rand32,
};

/* --- signals ----------------------------------------------------------- */

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct drover	*d = arg;
	char		 err[256];
	int64_t		 t0 = log_cb_begin();

	switch (sig) {
	case SIGCHLD:
		reap_all(d);
		break;
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:		/* supervisord's third one */
		shutdown_signal(d, (int)sig);
		break;
	case SIGHUP:
		(void)reload_request(d, err, sizeof(err));
		break;
	case SIGUSR1:
		conductor_dump_status(d);
		break;
	case SIGUSR2:
		output_reopen(d);
		break;
	}
	log_cb_end(t0, "signal", strsignal((int)sig));
}

static void
signals_init(struct drover *d)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP,
	    SIGUSR1, SIGUSR2 };
	size_t		i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->d_sigev[i] = evsignal_new(d->d_base, sigs[i], signal_cb, d);
		if (d->d_sigev[i] == NULL || evsignal_add(d->d_sigev[i],
		    NULL) == -1)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	d->d_nsigev = (int)i;
}

/* --- process set-up ------------------------------------------------------ */

/* Make sure fds 0-2 exist, so no pipe of ours lands on them. */
static void
std_fds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* Many jobs need many pipes: lift our soft fd limit, keep the original
 * for the jobs. */
static void
raise_nofile(struct drover *d)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == rl.rlim_max)
		return;
	d->d_nofile.set = true;
	d->d_nofile.cur = rl.rlim_cur;
	d->d_nofile.max = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		d->d_nofile.set = false;
}

static int
pidfile_write(const char *path)
{
	char	*tmp = xprintf("%s.tmp.%ld", path, (long)getpid());
	FILE	*f;
	int	 rc = -1;

	if ((f = fopen(tmp, "we")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		if (fclose(f) == 0 && rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc == -1) {
		log_warn("pidfile %s", path);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/*
 * Our direct children, as the kernel lists them (CONFIG_PROC_CHILDREN):
 * -1 if it does not.  A zombie among them only needs reaping.
 */
static int
kill_listed_children(pid_t self)
{
	char	 path[64], *line = NULL, *p, *end;
	size_t	 cap = 0;
	FILE	*f;
	long	 pid;
	int	 n = 0;
	siginfo_t si;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)self);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (getline(&line, &cap, f) == -1) {
		free(line);
		fclose(f);
		return 0;
	}
	fclose(f);
	for (p = line; ; p = end) {
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p || errno != 0)
			break;
		memset(&si, 0, sizeof(si));
		if (pid <= 0 || waitid(P_PID, (id_t)pid, &si, WEXITED |
		    WNOHANG | WNOWAIT) == -1 || si.si_pid != 0)
			continue;	/* not ours after all, or a zombie */
		if (kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	free(line);
	return n;
}

/* Our direct children: every orphan is ours (subreaper). */
static int
kill_children(void)
{
	DIR		*dp;
	struct dirent	*de;
	char		 path[300], buf[512], *p;
	FILE		*f;
	long		 ppid;
	pid_t		 self = getpid();
	int		 n = 0;

	/* the list is cheap; the scan opens a file per process on the host */
	if ((n = kill_listed_children(self)) >= 0)
		return n;
	n = 0;
	if ((dp = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p == NULL || (p = strrchr(buf, ')')) == NULL)
			continue;
		/* a zombie ('Z') only needs reaping */
		if (sscanf(p + 2, "%*c %ld", &ppid) == 1 &&
		    ppid == (long)self && p[2] != 'Z') {
			kill((pid_t)atol(de->d_name), SIGKILL);
			n++;
		}
	}
	closedir(dp);
	return n;
}

/*
 * Orphans still around at exit (without a cgroup nothing else holds them):
 * kill them, reap them, and again for what they leave (bounded).
 */
static void
kill_orphans(void)
{
	int	round, n, total = 0;

	for (round = 0; round < 50; round++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((n = kill_children()) == 0)
			break;
		total += n;
		while (n-- > 0 && waitpid(-1, NULL, 0) > 0)
			;
	}
	if (total > 0)
		log_warnx("killed %d leftover processes", total);
}

static struct config *
load_config(const struct options *o, bool *ok)
{
	struct config_env	 env;
	struct diag		 dg;
	struct config		*conf;
	int			 i;

	config_env_default(&env);
	diag_init(&dg);
	conf = config_load(o->config, &env, &dg);
	for (i = 0; i < dg.nwarnings; i++)
		log_warnx("%s", dg.warnings[i]);
	for (i = 0; i < dg.nerrors; i++)
		log_error("%s", dg.errors[i]);
	diag_free(&dg);
	*ok = conf != NULL;
	return conf;
}

/*
 * The state file: --state-file, else state_file =, else (as root) the
 * default under $(localstatedir)/lib/drover, its directory made if need
 * be.  A user's drover keeps none unless told where.
 */
static const char *
state_path(const struct config *conf, const struct options *o)
{
	static const char *const dirs[] = { DROVER_LOCALSTATEDIR,
	    DROVER_LOCALSTATEDIR "/lib", DROVER_LOCALSTATEDIR "/lib/drover" };
	const char	*p = o->state_file;

	if (p == NULL && conf->state_file_none)
		return NULL;
	if (p == NULL)
		p = conf->state_file;
	if (p != NULL)
		return strcmp(p, "none") == 0 ? NULL : p;
	if (geteuid() != 0)
		return NULL;
	/* a /usr/local build may be the first to use $(localstatedir) */
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (mkdir(dirs[i], 0755) == -1 && errno != EEXIST) {
			log_warn("%s: no state file", dirs[i]);
			return NULL;
		}
	return DROVER_LOCALSTATEDIR "/lib/drover/state";
}

static int
run(struct drover *d, const struct options *o)
{
	struct config	*conf = d->d_conf;	/* until the first reload */
	char		*pidfile = NULL;
	int		 i;

	if ((d->d_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	/* before anything else: a live drover on our socket stops us here */
	if (control_init(d, o->socket) == -1) {
		engine_free_jobs(d);
		event_base_free(d->d_base);
		return 2;
	}
	if (web_init(d) == -1) {
		control_fini(d);
		engine_free_jobs(d);
		event_base_free(d->d_base);
		return 2;
	}
	signals_init(d);
	output_init(d);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	raise_nofile(d);
	if ((d->d_devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	spawn_init(d);
	if (cgroup_init(d) == -1)
		log_info("no cgroup v2 subtree: tracking jobs by process group");
	notify_init(d);
	history_init(d);
	metrics_init(d);
	if (notify_server_init(d) == -1)
		log_warn("notify socket for jobs");
	notify_watchdog_init(d);
	/* a reload frees this config: keep the path we wrote */
	if (conf->pidfile != NULL && pidfile_write(conf->pidfile) == 0)
		pidfile = xstrdup(conf->pidfile);
	d->d_once = o->once;
	d->d_fail_fast = o->fail_fast;
	engine_load(d, conf);
	evlisten_init(d);
	hook_init(d);
	log_info("drover %s started: %d jobs from %s", PACKAGE_VERSION,
	    conf->njobs, o->config);
	state_init(d, state_path(conf, o));
	engine_autostart(d);
	if (d->d_sd_phase != SD_DONE)
		event_base_dispatch(d->d_base);
	state_fini(d);
	web_fini(d);
	control_fini(d);
	evlisten_fini(d);
	hook_fini(d);

	if (pidfile != NULL)
		unlink(pidfile);
	free(pidfile);
	kill_orphans();
	notify_fini(d);
	output_fini(d);
	spawn_fini();
	engine_free_jobs(d);		/* and their cgroup leaves */
	history_fini(d);
	metrics_fini(d);
	cgroup_fini(d);
	if (d->d_sd_timer != NULL)
		event_free(d->d_sd_timer);
	if (d->d_sd_hardtimer != NULL)
		event_free(d->d_sd_hardtimer);
	if (d->d_reload_ev != NULL)
		event_free(d->d_reload_ev);
	conductor_fini(d);
	for (i = 0; i < d->d_nsigev; i++)
		event_free(d->d_sigev[i]);
	event_base_free(d->d_base);
	close(d->d_devnull);
	return d->d_exitcode;
}

int
main(int argc, char **argv)
{
	struct options	 o;
	struct drover	 d;
	bool		 ok;
	int		 rc;

	std_fds();
	spawn_reserve_slots();
	parse_options(argc, argv, &o);
	log_init(o.level, o.debug);
	memset(&d, 0, sizeof(d));
	d.d_conf = load_config(&o, &ok);
	if (!ok) {
		spawn_release_slots();
		return 2;
	}
	if (!o.level_set && d.d_conf->log_level >= 0)
		log_setlevel(d.d_conf->log_level);
	if (o.check) {
		config_summary(d.d_conf, stdout);
		cron_print_next(d.d_conf, 3, stdout);
		config_free(d.d_conf);
		spawn_release_slots();
		return 0;
	}
	srandom((unsigned)(getpid() ^ time(NULL)));
	engine_init(&d, &real_ops);
	conductor_init(&d);
	cron_init(&d);
	d.d_confpath = o.config;
	d.d_level_from_cli = o.level_set;
	rc = run(&d, &o);
	config_free(d.d_conf);
	spawn_release_slots();
	return rc;
}

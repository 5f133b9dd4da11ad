/*
 * droverctl.c: the control client (droverctl(1)).
 *
 * Sends one request line to drover's control socket, reads one reply
 * line, prints it (a table for status, the raw line with --json) and turns
 * it into an exit status: 0 success, 1 failure or refusal, 2 usage or bad
 * request, 3 unknown job, 4 cannot connect.  A client may block: nothing
 * else runs here.  tail and maintail send several requests on one
 * connection: the chunks of what is kept, then, with -f, a request for
 * what came since every TAIL_POLL_MS (the follower polls, so the daemon
 * keeps no state for it).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "control.h"
#include "value.h"
#include "xmalloc.h"

#define EX_FAILED	1
#define EX_USAGE	2
#define EX_UNKNOWN	3
#define EX_CONNECT	4

#define REPLY_TIMEOUT_MS	30000		/* commands that do not wait */
#define WATCH_DEFAULT		2.0		/* seconds, as watch(1) */
#define WATCH_MIN		0.1
#define WATCH_TIMEOUT_MS	5000		/* a frame's reply */
#define REPLY_MAX		(64 * 1024 * 1024)
#define TAIL_POLL_MS		200

struct options {
	const char	*socket;
	const char	*config;
	bool		 json;
	bool		 no_wait;
	double		 watch;		/* status --watch: seconds, 0 = no */
};

struct command {
	const char	*name;
	int		 min, max;	/* arguments; -1: any number */
	bool		 waits;		/* drover replies when it is done */
};

static const struct command commands[] = {
	{ "status", 0, -1, false },
	{ "start", 1, -1, true },
	{ "stop", 1, -1, true },
	{ "restart", 1, -1, true },
	{ "run", 1, -1, true },
	{ "signal", 2, 2, false },
	{ "reload", 0, 0, false },
	{ "shutdown", 0, 0, false },
	{ "version", 0, 0, false },
	{ "tail", 1, 4, false },	/* options counted: checked again */
	{ "maintail", 0, 3, false },
	{ "clear", 1, -1, false },
	{ "history", 1, -1, false },
	{ "metrics", 0, 0, false },
	{ "names", 0, 0, false },	/* hidden: for shell completion */
};

static int	 watch_seconds(const char *, double *);

static void
usage(FILE *f)
{
	fprintf(f, "usage: droverctl [-s SOCKET | -c CONFIG] [--json] "
	    "[--no-wait] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status [--watch [SECS]] [NAME...]\n"
	    "                       one line per instance\n"
	    "  start NAME...        start, wait until running\n"
	    "  stop NAME...         stop, wait until stopped\n"
	    "  restart NAME...      stop and start again\n"
	    "  run TASK...          run a task now\n"
	    "  signal NAME SIGNAL   send a signal to the main process\n"
	    "  reload               reload the configuration\n"
	    "  shutdown             shut drover down gracefully\n"
	    "  version              drover's version\n"
	    "  tail [-f] [-n N] NAME [stdout|stderr]\n"
	    "                       the last N lines (10) an instance wrote\n"
	    "  maintail [-f] [-n N] the last N lines of drover's own log\n"
	    "  clear NAME...        forget what tail would show\n"
	    "  history NAME...      the last runs kept (the history key)\n"
	    "  metrics              Prometheus metrics (text format)\n"
	    "NAME: an instance, a job (all its instances), JOB:N, JOB:*, "
	    "GROUP:*, all\n"
	    "options:\n"
	    "  -s, --socket PATH    control socket\n"
	    "  -c, --config FILE    read the socket path from a configuration\n"
	    "  -j, --json           print drover's reply as JSON\n"
	    "  -n, --no-wait        reply at once, do not wait for the jobs\n"
	    "  -w, --watch[=SECS]   status: redraw every SECS (2), q quits\n"
	    "  -V, --version        droverctl's version\n"
	    "  -h, --help           this help\n");
}

static const struct command *
command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	/* "+": stop at the command, so "signal web -HUP" is not an option */
	while ((ch = getopt_long(argc, argv, "+s:c:jnw::Vh", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 's': o->socket = optarg; break;
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'n': o->no_wait = true; break;
		case 'w':
			if (watch_seconds(optarg, &o->watch) == -1)
				exit(EX_USAGE);
			break;
		case 'V':
			printf("droverctl %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	return optind;
}

/* -s, else the socket of -c's configuration, else $DROVER_SOCKET, else
 * the default (drover's default for this user). */
static char *
socket_path(const struct options *o)
{
	struct config_env	 env;
	struct diag		 dg;
	struct config		*conf;
	const char		*s;
	char			*path;
	int			 i;

	if (o->socket != NULL)
		return xstrdup(o->socket);
	config_env_default(&env);
	if (o->config == NULL) {
		s = getenv("DROVER_SOCKET");
		return xstrdup(s != NULL && *s != '\0' ? s :
		    env.default_socket);
	}
	diag_init(&dg);
	conf = config_load(o->config, &env, &dg);
	for (i = 0; i < dg.nerrors; i++)
		fprintf(stderr, "droverctl: %s\n", dg.errors[i]);
	diag_free(&dg);
	if (conf == NULL)
		exit(EX_USAGE);
	if (conf->socket == NULL) {
		fprintf(stderr, "droverctl: %s: the control socket is "
		    "disabled\n", o->config);
		exit(EX_CONNECT);
	}
	path = xstrdup(conf->socket);
	config_free(conf);
	return path;
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send all of s; false if the peer is gone. */
static bool
send_all(int fd, const char *s)
{
	size_t	len = strlen(s), off = 0;
	ssize_t	n;

	while (off < len) {
		n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

/* Send the request; a peer that closed early may have replied anyway. */
static void
send_line(int fd, const char *s)
{
	if (send_all(fd, s))
		shutdown(fd, SHUT_WR);
}

/* status --watch: set by SIGINT, SIGTERM, SIGHUP (and q); SIGWINCH asks
 * for a redraw at once. */
static volatile sig_atomic_t	watch_stop, watch_redraw;

/* One reply line, or NULL (closed, timed out, too long). */
static char *
read_line(int fd, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		*buf = NULL, *nl;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == -1 && errno == EINTR && !watch_stop)
			continue;
		if (rc <= 0)
			break;		/* timed out */
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			return buf;
		}
		if (len > REPLY_MAX)
			break;
	}
	free(buf);
	return NULL;
}

/* --- printing --------------------------------------------------------- */

static const char *
sget(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static bool
iget(json_t *o, const char *key, long long *v)
{
	json_t	*j = json_object_get(o, key);

	if (!json_is_integer(j))
		return false;
	*v = json_integer_value(j);
	return true;
}

static void
cat(char *buf, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cat(char *buf, size_t sz, const char *fmt, ...)
{
	size_t	len = strlen(buf);
	va_list	ap;

	if (len >= sz - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, sz - len, fmt, ap);
	va_end(ap);
}

/* A time to come, rounded up to seconds: "3s", "4m58s". */
static void
fmt_in(long long ms, char *buf, size_t sz)
{
	value_duration_fmt((ms + 999) / 1000 * 1000, buf, sz);
}

static void
cat_names(char *buf, size_t sz, const char *what, json_t *a)
{
	size_t	i;
	json_t	*v;

	if (json_array_size(a) == 0)
		return;
	cat(buf, sz, ", %s ", what);
	json_array_foreach(a, i, v)
		cat(buf, sz, "%s%s", i > 0 ? ", " : "", json_string_value(v));
}

/* A run's duration: "0.120s" under a minute, "4m58s" above. */
static void
cat_duration(char *buf, size_t sz, long long ms)
{
	char	t[32];

	if (ms < 60000)
		cat(buf, sz, "%lld.%03llds", ms / 1000, ms % 1000);
	else {
		value_duration_fmt(ms / 1000 * 1000, t, sizeof(t));
		cat(buf, sz, "%s", t);
	}
}

/* A task's record: ", 3/5 ok (60%), last 0.120s, median 0.100s" (no
 * last duration where the last result is shown already). */
static void
cat_stats(char *buf, size_t sz, json_t *in, bool with_last)
{
	json_t		*st = json_object_get(in, "stats"), *rate;
	long long	 runs = 0, ok = 0, ms;

	if (strcmp(sget(in, "kind"), "service") == 0 || !json_is_object(st) ||
	    !iget(st, "runs", &runs) || runs == 0)
		return;
	iget(st, "ok", &ok);
	cat(buf, sz, ", %lld/%lld ok", ok, runs);
	rate = json_object_get(st, "success_rate");
	if (json_is_number(rate))
		cat(buf, sz, " (%.0f%%)", json_number_value(rate) * 100);
	if (with_last && iget(st, "last_duration_ms", &ms)) {
		cat(buf, sz, ", last ");
		cat_duration(buf, sz, ms);
	}
	if (iget(st, "median_duration_ms", &ms)) {
		cat(buf, sz, ", median ");
		cat_duration(buf, sz, ms);
	}
}

/* "last failed (exit 3, 0.120s): exited before it was ready" */
static void
cat_last(char *buf, size_t sz, json_t *last)
{
	long long	v, ms = 0;

	if (!json_is_object(last)) {
		cat(buf, sz, "not started");
		return;
	}
	cat(buf, sz, "last %s (", sget(last, "result"));
	if (iget(last, "signal", &v))
		cat(buf, sz, "signal %s, ", sget(last, "signal_name"));
	else if (iget(last, "code", &v))
		cat(buf, sz, "exit %lld, ", v);
	iget(last, "duration_ms", &ms);
	cat_duration(buf, sz, ms);
	cat(buf, sz, ")");
	if (*sget(last, "note") != '\0')
		cat(buf, sz, ": %s", sget(last, "note"));
}

static void
cat_shutdown(char *buf, size_t sz, json_t *sd)
{
	char		t[32];
	long long	v;

	if (!json_is_object(sd))
		return;
	cat_names(buf, sz, "starts after", json_object_get(sd,
	    "starts_after"));
	cat_names(buf, sz, "stops after", json_object_get(sd, "stops_after"));
	if (iget(sd, "stops_after_tier", &v))
		cat(buf, sz, ", stops after priority tier %lld", v);
	if (iget(sd, "cancel_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", cancelled in %s", t);
	}
	if (iget(sd, "timeout_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", timeout in %s", t);
	}
}

/* The detail column of one instance. */
static void
detail(json_t *in, char *buf, size_t sz)
{
	const char	*state = sget(in, "state");
	json_t		*st = json_object_get(in, "stopping"), *sch;
	char		 t[64], t2[32];
	long long	 v = 0, w = 0;
	bool		 shown_last = false;

	buf[0] = '\0';
	if (iget(in, "pid", &v) && iget(in, "uptime_ms", &w)) {
		value_uptime_fmt(w, t, sizeof(t));
		cat(buf, sz, "pid %lld, uptime %s", v, t);
	} else if (strcmp(state, "QUEUED") == 0) {
		cat(buf, sz, json_is_string(json_object_get(in,
		    "waiting_for")) ? "waiting for %s" : "queued%s",
		    sget(in, "waiting_for"));
	} else if (strcmp(state, "STOPPING") == 0)
		cat(buf, sz, "main process gone");
	else {
		cat_last(buf, sz, json_object_get(in, "last"));
		shown_last = true;
	}
	if (json_is_object(st)) {
		iget(st, "for_ms", &v);
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", stopping for %s", t);
		if (iget(st, "escalation_in_ms", &w)) {
			fmt_in(w, t2, sizeof(t2));
			cat(buf, sz, ", %s in %s", sget(st, "escalation"), t2);
		}
	}
	if (iget(in, "next_run_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", %s in %s", strcmp(state, "BACKOFF") == 0 ?
		    "retry" : "next run", t);
	}
	if (iget(in, "restarts", &v) && v > 0)
		cat(buf, sz, ", restarts %lld", v);
	sch = json_object_get(in, "schedule");
	if (json_is_object(sch) && json_is_string(json_object_get(sch,
	    "next_run")))
		cat(buf, sz, ", next %s", sget(sch, "next_run"));
	if (json_is_true(json_object_get(in, "removed")))
		cat(buf, sz, ", removed by a reload");
	if (json_is_object(json_object_get(in, "events"))) {
		iget(json_object_get(in, "events"), "queued", &v);
		iget(json_object_get(in, "events"), "dropped", &w);
		cat(buf, sz, ", events queued %lld dropped %lld", v, w);
	}
	cat_stats(buf, sz, in, !shown_last);
	cat_shutdown(buf, sz, json_object_get(in, "shutdown"));
}

static void
print_instances(FILE *f, json_t *reply)
{
	json_t	*in;
	size_t	 i;
	char	 buf[1024];

	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		detail(in, buf, sizeof(buf));
		fprintf(f, "%-20s %-9s %s\n", sget(in, "name"), sget(in, "state"),
		    buf);
	}
}

static void
print_shutdown(FILE *f, json_t *reply)
{
	json_t		*sd;
	long long	 dl = 0, wc = 0;
	char		 t1[32], t2[32];

	sd = json_object_get(json_object_get(reply, "drover"), "shutdown");
	if (!json_is_object(sd))
		return;
	iget(sd, "deadline_in_ms", &dl);
	iget(sd, "worst_case_in_ms", &wc);
	fmt_in(dl, t1, sizeof(t1));
	fmt_in(wc, t2, sizeof(t2));
	fprintf(f, "drover is shutting down (%s): deadline in %s, worst case in "
	    "%s\n", sget(sd, "phase"), t1, t2);
}

/* "2026-12-04 01:02:03" in local time, from ms since the epoch. */
static void
fmt_wall(long long ms, char *buf, size_t sz)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL || strftime(buf, sz,
	    "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sz, "%lld", ms / 1000);
}

/* One line of droverctl history. */
static void
print_run(json_t *run)
{
	char		start[32], dur[32] = "-", pid[16] = "-", ex[32] = "-";
	long long	v = 0;

	fmt_wall(iget(run, "start_ms", &v) ? v : 0, start, sizeof(start));
	if (iget(run, "duration_ms", &v)) {
		dur[0] = '\0';
		cat_duration(dur, sizeof(dur), v);
	}
	if (iget(run, "pid", &v))
		snprintf(pid, sizeof(pid), "%lld", v);
	if (iget(run, "signal", &v))
		snprintf(ex, sizeof(ex), "signal %s", sget(run, "signal_name"));
	else if (iget(run, "code", &v))
		snprintf(ex, sizeof(ex), "exit %lld", v);
	if (!iget(run, "tries", &v))
		v = 0;
	printf("%-19s %10s %8s %-12s %-12s %5lld%s%s\n", start, dur, pid, ex,
	    sget(run, "result"), v, *sget(run, "note") != '\0' ? "  " : "",
	    sget(run, "note"));
}

/* droverctl history: the runs kept of each instance, oldest first. */
static void
print_history(json_t *reply)
{
	json_t	*a = json_object_get(reply, "instances"), *in, *run;
	size_t	 i, k;
	char	 buf[256];

	json_array_foreach(a, i, in) {
		if (json_array_size(a) > 1)
			printf("%s%s:\n", i > 0 ? "\n" : "", sget(in, "name"));
		printf("%-19s %10s %8s %-12s %-12s %5s\n", "START", "DURATION",
		    "PID", "EXIT", "RESULT", "TRIES");
		json_array_foreach(json_object_get(in, "runs"), k, run)
			print_run(run);
		buf[0] = '\0';
		cat_stats(buf, sizeof(buf), in, true);
		if (buf[0] != '\0')
			printf("%s: %s\n", sget(in, "name"), buf + 2);
	}
}

/* The hidden `names` command: every name completion may offer. */
static void
print_names(json_t *reply)
{
	json_t		*in, *seen = json_object();
	const char	*k[4];
	char		 g[256], j[256];
	size_t		 i, n;

	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		k[0] = sget(in, "job");
		k[1] = sget(in, "name");
		k[2] = k[3] = NULL;
		if (strcmp(k[0], k[1]) != 0) {
			snprintf(j, sizeof(j), "%s:*", k[0]);
			k[2] = j;
		}
		if (json_is_string(json_object_get(in, "group"))) {
			snprintf(g, sizeof(g), "%s:*", sget(in, "group"));
			k[3] = g;
		}
		for (n = 0; n < 4; n++)
			if (k[n] != NULL && json_object_get(seen, k[n]) ==
			    NULL) {
				json_object_set_new(seen, k[n], json_true());
				printf("%s\n", k[n]);
			}
	}
	json_decref(seen);
}

static void
print_reply(const char *cmd, json_t *reply)
{
	long long	pid = 0;

	if (strcmp(cmd, "names") == 0)
		print_names(reply);
	else if (strcmp(cmd, "status") == 0) {
		print_shutdown(stdout, reply);
		print_instances(stdout, reply);
	} else if (strcmp(cmd, "history") == 0) {
		print_history(reply);
	} else if (strcmp(cmd, "metrics") == 0) {
		fputs(sget(reply, "text"), stdout);
	} else if (strcmp(cmd, "version") == 0) {
		iget(reply, "pid", &pid);
		printf("drover %s (pid %lld)\n", sget(reply, "version"), pid);
	} else if (strcmp(cmd, "signal") == 0)
		printf("signal sent to %s\n", sget(reply, "message"));
	else if (json_is_string(json_object_get(reply, "message")))
		printf("%s\n", sget(reply, "message"));
	else
		print_instances(stdout, reply);
}

static int
exit_code(json_t *reply)
{
	const char	*e;

	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	e = sget(reply, "error");
	if (strcmp(e, CTL_E_BAD_REQUEST) == 0)
		return EX_USAGE;
	if (strcmp(e, CTL_E_UNKNOWN_JOB) == 0)
		return EX_UNKNOWN;
	return EX_FAILED;
}

/* --- tail, maintail ------------------------------------------------------ */

static void	watch_signals(void);

struct tailopts {
	bool		 follow;
	long		 lines;
	const char	*name;		/* tail: NAME */
	const char	*stream;	/* tail: stdout, stderr or NULL */
};

/* The command's own options: [-f] [-n N], then its arguments. */
static int
tail_parse(int argc, char **argv, struct tailopts *t)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	bool	main_log = strcmp(argv[0], "maintail") == 0;
	int	ch;

	memset(t, 0, sizeof(*t));
	t->lines = 10;
	optind = 0;		/* glibc: start again, on these arguments */
	while ((ch = getopt_long(argc, argv, "fn:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			t->follow = true;
			break;
		case 'n':
			if (value_int(optarg, 0, 1000000, &t->lines) == 0)
				break;
			fprintf(stderr, "droverctl: %s: invalid number of "
			    "lines '%s' (expected 0 to 1000000)\n", argv[0],
			    optarg);
			return -1;
		default:
			return -1;
		}
	}
	argc -= optind;
	argv += optind;
	if (main_log ? argc != 0 : argc < 1 || argc > 2) {
		fprintf(stderr, "droverctl: usage: %s\n", main_log ?
		    "maintail [-f] [-n N]" :
		    "tail [-f] [-n N] NAME [stdout|stderr]");
		return -1;
	}
	if (main_log)
		return 0;
	t->name = argv[0];
	t->stream = argc == 2 ? argv[1] : NULL;
	if (t->stream != NULL && strcmp(t->stream, "stdout") != 0 &&
	    strcmp(t->stream, "stderr") != 0) {
		fprintf(stderr, "droverctl: tail: '%s' is not stdout or "
		    "stderr\n", t->stream);
		return -1;
	}
	return 0;
}

/* One request line: the last lines (from < 0), or from an offset. */
static char *
tail_request(const char *cmd, const struct tailopts *t, long long from)
{
	json_t	*req = json_object(), *a = json_array();
	char	*s, *line;

	json_object_set_new(req, "cmd", json_string(cmd));
	if (t->name != NULL && json_array_append_new(a,
	    json_string(t->name)) == -1) {
		fprintf(stderr, "droverctl: the name is not valid UTF-8\n");
		exit(EX_USAGE);
	}
	if (t->stream != NULL)
		json_array_append_new(a, json_string(t->stream));
	json_object_set_new(req, "args", a);
	if (from < 0)
		json_object_set_new(req, "lines", json_integer(t->lines));
	else
		json_object_set_new(req, "from", json_integer(from));
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		exit(EX_FAILED);
	json_decref(req);
	xasprintf(&line, "%s\n", s);
	free(s);
	return line;
}

/* Wait ms between two polls; true if drover closed the connection. */
static bool
tail_pause(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		rc;

	fflush(stdout);
	rc = poll(&pfd, 1, ms);
	return rc > 0;		/* nothing is sent unasked: EOF or error */
}

/* One reply: print it; -1 to go on, or the exit status. */
static int
tail_print(json_t *reply, const char *line, bool json, long long asked,
    long long *from, long long *next, long long *end)
{
	json_t	*data = json_object_get(reply, "data");

	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "droverctl: %s\n", sget(reply, "message"));
		return exit_code(reply);
	}
	if (!json_is_string(data) || !iget(reply, "from", from) ||
	    !iget(reply, "next", next) || !iget(reply, "end", end)) {
		fprintf(stderr, "droverctl: bad reply from drover\n");
		return EX_FAILED;
	}
	if (json)
		printf("%s\n", line);
	else
		fwrite(json_string_value(data), 1, json_string_length(data),
		    stdout);
	if (asked >= 0 && *from > asked)
		fprintf(stderr, "droverctl: %lld bytes were overwritten before "
		    "they could be read\n", *from - asked);
	return -1;
}

/*
 * What is kept, in chunks, up to the end the first reply gave; with -f,
 * then whatever comes, polling.  An end below our offset means a clear:
 * drover clamps, and we go on from its end.
 */
static int
tail_loop(int fd, const char *cmd, const struct tailopts *t, bool json)
{
	json_error_t	 jerr;
	json_t		*reply;
	char		*req, *line;
	long long	 asked = -1, from = 0, next = 0, end = 0, stop = -1;
	int		 rc;

	if (t->follow)
		watch_signals();	/* SIGINT ends it: close, exit 0 */
	while (!watch_stop) {
		req = tail_request(cmd, t, asked);
		line = send_all(fd, req) ? read_line(fd, REPLY_TIMEOUT_MS) :
		    NULL;
		free(req);
		if (line == NULL) {
			fprintf(stderr, "droverctl: no reply from drover\n");
			return EX_FAILED;
		}
		if ((reply = json_loads(line, 0, &jerr)) == NULL) {
			fprintf(stderr, "droverctl: bad reply from drover: "
			    "%s\n", jerr.text);
			free(line);
			return EX_FAILED;
		}
		rc = tail_print(reply, line, json, asked, &from, &next, &end);
		json_decref(reply);
		free(line);
		if (rc >= 0)
			return rc;
		if (stop < 0)
			stop = end;
		asked = next;
		if (next > from && next < (t->follow ? end : stop))
			continue;		/* more is there now */
		if (!t->follow)
			return 0;
		if (tail_pause(fd, TAIL_POLL_MS)) {
			fprintf(stderr, "droverctl: drover closed the "
			    "connection\n");
			return EX_FAILED;
		}
	}
	return 0;
}

static int
tail_main(const struct options *o, int argc, char **argv)
{
	struct tailopts	 t;
	char		*path;
	int		 fd, rc;

	if (tail_parse(argc, argv, &t) == -1)
		return EX_USAGE;
	path = socket_path(o);
	if ((fd = ctl_connect(path)) == -1) {
		fprintf(stderr, "droverctl: cannot connect to %s: %s\n", path,
		    strerror(errno));
		free(path);
		return EX_CONNECT;
	}
	free(path);
	rc = tail_loop(fd, argv[0], &t, o->json);
	close(fd);
	fflush(stdout);
	return rc;
}

/* --- main --------------------------------------------------------------- */

static char *
build_request(const char *cmd, char **args, int nargs, bool no_wait)
{
	json_t	*req = json_object(), *a = json_array();
	char	*s;
	int	 i;

	/* names is status, printed differently */
	json_object_set_new(req, "cmd", json_string(strcmp(cmd, "names") ==
	    0 ? "status" : cmd));
	for (i = 0; i < nargs; i++) {
		if (json_array_append_new(a, json_string(args[i])) == -1) {
			fprintf(stderr, "droverctl: argument %d is not "
			    "valid UTF-8\n", i + 1);
			exit(EX_USAGE);
		}
	}
	json_object_set_new(req, "args", a);
	if (no_wait)
		json_object_set_new(req, "wait", json_false());
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL)
		exit(EX_FAILED);
	return s;
}

/*
 * One request, one reply: the reply (and its line in *linep), or NULL
 * with the error in err and the exit status in *rc.
 */
static json_t *
exchange(const char *path, const char *req, int timeout_ms, char **linep,
    char *err, size_t errsz, int *rc)
{
	json_error_t	 jerr;
	json_t		*reply;
	char		*line;
	int		 fd;

	if ((fd = ctl_connect(path)) == -1) {
		snprintf(err, errsz, "cannot connect to %s: %s", path,
		    strerror(errno));
		*rc = EX_CONNECT;
		return NULL;
	}
	xasprintf(&line, "%s\n", req);
	send_line(fd, line);
	free(line);
	line = read_line(fd, timeout_ms);
	close(fd);
	*rc = EX_FAILED;
	if (line == NULL) {
		snprintf(err, errsz, "no reply from drover on %s", path);
		return NULL;
	}
	if ((reply = json_loads(line, 0, &jerr)) == NULL ||
	    !json_is_object(reply)) {
		snprintf(err, errsz, "bad reply from drover: %s",
		    reply == NULL ? jerr.text : "not an object");
		json_decref(reply);
		free(line);
		return NULL;
	}
	*linep = line;
	return reply;
}

/* --- status --watch ------------------------------------------------------ */

static int
watch_seconds(const char *s, double *secs)
{
	char	*end;
	double	 v;

	if (s == NULL) {
		*secs = WATCH_DEFAULT;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v < WATCH_MIN ||
	    v > 86400) {
		fprintf(stderr, "droverctl: --watch %s: seconds from %.1f to "
		    "86400\n", s, WATCH_MIN);
		return -1;
	}
	*secs = v;
	return 0;
}

/*
 * status's own arguments: --watch [SECS], -w [SECS], --watch=SECS among
 * the names (a name is never a number).  Returns the names left, moved
 * to the front.
 */
static int
watch_args(char **args, int n, struct options *o)
{
	char	*end;
	int	 i, k = 0;

	for (i = 0; i < n; i++) {
		if (strncmp(args[i], "--watch=", 8) == 0) {
			if (watch_seconds(args[i] + 8, &o->watch) == -1)
				exit(EX_USAGE);
		} else if (strcmp(args[i], "--watch") == 0 ||
		    strcmp(args[i], "-w") == 0) {
			o->watch = WATCH_DEFAULT;
			if (i + 1 < n && (strtod(args[i + 1], &end), *end ==
			    '\0') && watch_seconds(args[++i], &o->watch) == -1)
				exit(EX_USAGE);
		} else
			args[k++] = args[i];
	}
	return k;
}

static void
watch_sig(int sig)
{
	if (sig == SIGWINCH)
		watch_redraw = 1;
	else
		watch_stop = 1;
}

/* No SA_RESTART: the signal ends the poll() the loop waits in. */
static void
watch_signals(void)
{
	struct sigaction	sa;
	static const int	sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_sig;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* One frame into f: a title line, then the status (or what went wrong). */
static void
watch_frame(FILE *f, const char *path, const char *req, const struct
    options *o)
{
	json_t	*reply;
	char	*line, err[512], now[32];
	int	 rc;

	fmt_wall((long long)time(NULL) * 1000, now, sizeof(now));
	fprintf(f, "droverctl status, every %gs (q quits)    %s\n\n",
	    o->watch, now);
	if ((reply = exchange(path, req, WATCH_TIMEOUT_MS, &line, err,
	    sizeof(err), &rc)) == NULL) {
		fprintf(f, "droverctl: %s\n", err);
		return;
	}
	if (!json_is_true(json_object_get(reply, "ok")))
		fprintf(f, "droverctl: %s\n", sget(reply, "message"));
	print_shutdown(f, reply);
	print_instances(f, reply);
	json_decref(reply);
	free(line);
}

/*
 * Draw a frame over the last one: cursor home, each line cut to the
 * width and followed by clear-to-end-of-line, then clear-to-end-of-
 * screen.  Nothing is erased before it is overwritten, and the whole
 * frame goes out in one write: no flicker.
 */
static void
watch_draw(const char *text, size_t len)
{
	struct winsize	 ws;
	FILE		*f;
	char		*out = NULL;
	const char	*p = text, *end = text + len, *nl;
	size_t		 outlen = 0, w;
	int		 cols = 0, rows = 0, row = 0;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	if ((f = open_memstream(&out, &outlen)) == NULL)
		return;
	fputs("\033[H", f);
	for (; p < end && (rows == 0 || row < rows - 1); p = nl + 1, row++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		w = (size_t)(nl - p);
		/* cols - 1: in the last column, \033[K may erase that one */
		if (cols > 1 && w > (size_t)cols - 1)
			w = (size_t)cols - 1;
		fwrite(p, 1, w, f);
		fputs("\033[K\n", f);
	}
	fputs("\033[J", f);
	fclose(f);
	fwrite(out, 1, outlen, stdout);
	fflush(stdout);
	free(out);
}

/* Wait for the next frame: false once q, SIGINT or SIGTERM says stop. */
static bool
watch_wait(bool keys, int64_t ms)
{
	struct pollfd	pfd = { STDIN_FILENO, POLLIN, 0 };
	char		ch;

	if (watch_stop)
		return false;
	if (poll(&pfd, keys ? 1 : 0, (int)ms) == 1) {
		if (read(STDIN_FILENO, &ch, 1) != 1 || ch == 'q' || ch == 'Q')
			watch_stop = 1;	/* q, or the terminal went away */
	}
	return !watch_stop;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* droverctl status --watch: a frame every o->watch seconds until q. */
static int
watch_status(const char *path, const char *req, const struct options *o)
{
	struct termios	 saved, raw;
	bool		 tty = isatty(STDOUT_FILENO), keys;
	char		*text = NULL, *line, err[512];
	size_t		 len = 0;
	int64_t		 next, left;
	json_t		*reply;
	FILE		*f;
	int		 rc;

	watch_signals();
	keys = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (keys) {		/* q without Enter, and not echoed */
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (tty)
		fputs("\033[?25l\033[H\033[2J", stdout);	/* once */
	do {
		next = mono_ms() + (int64_t)(o->watch * 1000);
		if (o->json) {	/* a reply per line, for a program */
			if ((reply = exchange(path, req, WATCH_TIMEOUT_MS,
			    &line, err, sizeof(err), &rc)) == NULL)
				fprintf(stderr, "droverctl: %s\n", err);
			else {
				printf("%s\n", line);
				json_decref(reply);
				free(line);
			}
			fflush(stdout);
		} else if ((f = open_memstream(&text, &len)) != NULL) {
			watch_frame(f, path, req, o);
			fclose(f);
			if (watch_stop) {	/* cut short: not a frame */
				free(text);
				break;
			}
			if (tty)
				watch_draw(text, len);
			else {
				fwrite(text, 1, len, stdout);
				fputs("\n", stdout);
				fflush(stdout);
			}
			free(text);
			text = NULL;
		}
		while ((left = next - mono_ms()) > 0 && !watch_redraw &&
		    watch_wait(keys, left))
			;
		watch_redraw = 0;
	} while (!watch_stop);
	if (tty) {
		fputs("\033[?25h", stdout);	/* the cursor back */
		fflush(stdout);
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return 0;
}

int
main(int argc, char **argv)
{
	struct options		 o;
	const struct command	*c;
	json_t			*reply;
	char			*path, *req, *line, err[512];
	int			 first, nargs, rc;

	first = parse_options(argc, argv, &o);
	if (first >= argc || (c = command_find(argv[first])) == NULL) {
		if (first < argc)
			fprintf(stderr, "droverctl: unknown command '%s'\n",
			    argv[first]);
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(c->name, "tail") == 0 || strcmp(c->name, "maintail") == 0)
		return tail_main(&o, argc - first, argv + first);
	nargs = argc - first - 1;
	if (strcmp(c->name, "status") == 0)
		nargs = watch_args(argv + first + 1, nargs, &o);
	if (nargs < c->min || (c->max >= 0 && nargs > c->max)) {
		fprintf(stderr, "droverctl: wrong number of arguments for "
		    "%s\n", c->name);
		usage(stderr);
		return EX_USAGE;
	}
	if (o.watch > 0 && strcmp(c->name, "status") != 0) {
		fprintf(stderr, "droverctl: --watch is for status\n");
		return EX_USAGE;
	}
	req = build_request(c->name, argv + first + 1, nargs, o.no_wait);
	path = socket_path(&o);
	if (o.watch > 0) {
		rc = watch_status(path, req, &o);
		free(path);
		free(req);
		return rc;
	}
	reply = exchange(path, req, c->waits && !o.no_wait ? -1 :
	    REPLY_TIMEOUT_MS, &line, err, sizeof(err), &rc);
	free(path);
	free(req);
	if (reply == NULL) {
		fprintf(stderr, "droverctl: %s\n", err);
		return rc;
	}
	if (o.json)
		printf("%s\n", line);
	else if (json_is_true(json_object_get(reply, "ok")))
		print_reply(c->name, reply);
	else {
		fprintf(stderr, "droverctl: %s\n", sget(reply, "message"));
		print_instances(stdout, reply);
	}
	rc = exit_code(reply);
	json_decref(reply);
	free(line);
	return rc;
}

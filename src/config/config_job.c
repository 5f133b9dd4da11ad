/*
 * config_job.c: [service:x], [task:x], [cleanup:x] and [program:x].
 *
 * One table says where each key is allowed and how its value is parsed.
 * Values are interpolated before they are parsed (supervisord expands
 * %(ENV_X)s even in numprocs and autostart).  The keys that differ from
 * one instance to the next (command, process_name, directory, environment
 * and the output keys) are kept raw and expanded once per instance, when
 * %(process_num)d is known.
 */
#include <sys/types.h>

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "evlisten_proto.h"
#include "value.h"
#include "xmalloc.h"

#define IN_SERVICE	0x01
#define IN_TASK		0x02
#define IN_CLEANUP	0x04
#define IN_PROGRAM	0x08
#define IN_JOBS		(IN_SERVICE | IN_TASK | IN_CLEANUP | IN_PROGRAM)
#define IN_SVC		(IN_SERVICE | IN_PROGRAM)
#define IN_COMPAT	0x10	/* supervisord's, not implemented: warned */
#define IN_LISTENER	0x20	/* [eventlistener:x] only */

#define DEFAULT_MAXBYTES	(50 * 1024 * 1024)
#define DEFAULT_BACKUPS		10
#define DEFAULT_TAIL_BUFFER	(64 * 1024)
#define MAX_TAIL_BUFFER		(64 * 1024 * 1024)

enum inst {
	I_COMMAND, I_PROCESS_NAME, I_DIRECTORY, I_ENVIRONMENT,
	I_STDOUT, I_STDERR, I_STDOUT_LOGFILE, I_STDERR_LOGFILE, NINST
};

struct jobbuild {
	struct loader		*ld;
	const struct rsect	*sect;
	struct job_config	*job;
	const struct rkey	*inst[NINST];
	const struct rkey	*numprocs_k, *shield_k, *backoff_max_k;
	const struct rkey	*killasgroup_k;
	const struct rkey	*schedule_k, *interval_k, *timezone_k;
	const struct rkey	*hook_k[HOOK__MAX];
	int			 numprocs;
	int			 numprocs_start;
	uint64_t		 maxbytes[2];
	int			 backups[2];
	bool			 redirect;
	int			 stopasgroup;	/* -1: not set */
	int			 killasgroup;
	bool			 killmode_set;
	char		       **seen_dirs;	/* directories checked */
};

typedef int (*jobkey_fn)(struct jobbuild *, const struct rkey *,
    const char *, size_t);

struct jobkey {
	const char	*name;
	unsigned	 in;
	jobkey_fn	 set;
	size_t		 arg;		/* offset, instance key or stream */
	const char	*why;		/* where it belongs, or why ignored */
};

#define FIELD(b, off, type)	((type *)(void *)((char *)(b)->job + (off)))

static int
bad(struct jobbuild *b, const struct rkey *k, const char *v,
    const char *expected)
{
	key_bad_value(b->ld, k, v, expected);
	return -1;
}

static int
set_inst(struct jobbuild *b, const struct rkey *k, const char *v, size_t i)
{
	b->inst[i] = k;
	return 0;
}

static int
set_bool(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	if (value_bool(v, FIELD(b, off, bool)) != 0)
		return bad(b, k, v, EXPECT_BOOL);
	return 0;
}

static int
set_duration(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (value_duration(v, FIELD(b, off, int64_t)) != 0)
		return bad(b, k, v, EXPECT_DURATION);
	return 0;
}

static int
set_count(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	long	n;

	if (value_int(v, 0, INT_MAX, &n) != 0)
		return bad(b, k, v, EXPECT_COUNT);
	*FIELD(b, off, int) = (int)n;
	return 0;
}

static int
set_priority(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	if (value_int(v, -INT_MAX, INT_MAX, &n) != 0)
		return bad(b, k, v, "a whole number");
	b->job->priority = (int)n;
	return 0;
}

static int
set_signal(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	if (value_signal(v, &b->job->stopsignal) != 0)
		return bad(b, k, v, "a signal like TERM, INT, HUP or QUIT");
	return 0;
}

static int
set_list(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	char	***list = FIELD(b, off, char **);

	strv_free(*list);
	return value_list(v, list);
}

static int
set_rlimit(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	struct job_limit	*l = FIELD(b, off, struct job_limit);

	if (value_rlimit(v, &l->value) != 0)
		return bad(b, k, v, "a number, a size like 64MB, or infinity");
	l->set = true;
	return 0;
}

static int
set_umask(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	int	mask;

	if (value_octal(v, &mask) != 0 || mask > 0777)
		return bad(b, k, v, "an octal mask like 022");
	b->job->umask = mask;
	return 0;
}

static int
set_numprocs(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	if (value_int(v, 1, CONFIG_MAX_NUMPROCS, &n) != 0)
		return bad(b, k, v, "a number from 1 to 10000");
	b->numprocs = (int)n;
	b->numprocs_k = k;
	return 0;
}

/* events = PROCESS_STATE, TICK_60: names checked by the listener
 * module's table (evlisten_proto.c), which config may call (a layer down). */
static int
set_events(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	char	**list, **e;

	if (value_list(v, &list) != 0)
		return bad(b, k, v, "a list of event types");
	for (e = list; *e != NULL; e++) {
		if (evl_type_lookup(*e) == -1) {
			key_error(b->ld, k, "unknown event type '%s' (see "
			    "drover.ini(5), EVENT LISTENERS)", *e);
			strv_free(list);
			return -1;
		}
	}
	if (*list == NULL) {
		strv_free(list);
		return bad(b, k, v, "a list of event types");
	}
	strv_free(b->job->events);
	b->job->events = list;
	return 0;
}

static int
set_buffer_size(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	if (value_int(v, 1, 1000000, &n) != 0)
		return bad(b, k, v, "a number from 1 to 1000000");
	b->job->buffer_size = (int)n;
	return 0;
}

/*
 * Only supervisord's default handler (RESULT OK / FAIL) is built in.  A
 * Python handler (supervisor_stdout:event_handler is the common one) takes
 * the RESULT body as data, not as a verdict; drover cannot run it, so such
 * a pool takes every RESULT as OK rather than resending forever.
 */
static int
set_result_handler(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (strcmp(v, "supervisor.dispatchers:default_handler") == 0)
		return 0;
	if (strchr(v, ':') == NULL)
		return bad(b, k, v, "MODULE:FUNCTION");
	key_warn(b->ld, k, "drover runs no Python handler '%s'; every RESULT "
	    "is taken as OK", v);
	b->job->result_any = true;
	return 0;
}

static int
set_numprocs_start(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	if (value_int(v, 0, 1000000, &n) != 0)
		return bad(b, k, v, "a number from 0 to 1000000");
	b->numprocs_start = (int)n;
	return 0;
}

static int
set_user(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	uid_t	uid;
	gid_t	gid;

	if (validate_user(b->ld, k, v, &uid, &gid) != 0)
		return -1;
	free(b->job->user);
	b->job->user = xstrdup(v);
	b->job->uid = uid;
	b->job->gid = gid;
	return 0;
}

/* supervisord's auto_restart(): any boolean, or "unexpected". */
static int
set_autorestart(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	bool	yes;

	if (strcasecmp(v, "unexpected") == 0)
		b->job->autorestart = AR_UNEXPECTED;
	else if (value_bool(v, &yes) == 0)
		b->job->autorestart = yes ? AR_TRUE : AR_FALSE;
	else
		return bad(b, k, v, "true, false or unexpected");
	return 0;
}

/* A list of 0..255 into the bitmap; all or nothing. */
static int
set_exitcodes(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	uint8_t	  map[32];
	char	**list;
	long	  n;
	int	  i, ret = 0;

	memset(map, 0, sizeof(map));
	value_list(v, &list);
	for (i = 0; list[i] != NULL; i++) {
		if (value_int(list[i], 0, 255, &n) != 0) {
			ret = bad(b, k, v, "a list of exit codes from 0 to 255");
			break;
		}
		map[n / 8] |= (uint8_t)(1u << (n % 8));
	}
	strv_free(list);
	if (ret == 0)
		memcpy(b->job->exitcodes, map, sizeof(map));
	return ret;
}

static int
set_startretries(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	if (strcasecmp(v, "infinite") == 0)
		n = -1;
	else if (value_int(v, 0, INT_MAX, &n) != 0)
		return bad(b, k, v, "a whole number, 0 or more, or infinite");
	b->job->startretries = (int)n;
	return 0;
}

static int
set_backoff_max(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	b->backoff_max_k = k;
	return set_duration(b, k, v, offsetof(struct job_config, backoff_max));
}

static int
set_killmode(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (strcmp(v, "mixed") == 0)
		b->job->killmode = KM_MIXED;
	else if (strcmp(v, "group") == 0)
		b->job->killmode = KM_GROUP;
	else if (strcmp(v, "process") == 0)
		b->job->killmode = KM_PROCESS;
	else
		return bad(b, k, v, "mixed, group or process");
	b->killmode_set = true;
	return 0;
}

/* stopasgroup (which = 0) and killasgroup (1), mapped onto killmode. */
static int
set_asgroup(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t which)
{
	bool	yes;

	if (value_bool(v, &yes) != 0)
		return bad(b, k, v, EXPECT_BOOL);
	if (which == 0)
		b->stopasgroup = yes;
	else {
		b->killasgroup = yes;
		b->killasgroup_k = k;
	}
	return 0;
}

static int
set_ready(struct jobbuild *b, const struct rkey *k, const char *v, size_t off)
{
	if (strcmp(v, "started") == 0)
		b->job->ready = READY_STARTED;
	else if (strcmp(v, "startsecs") == 0)
		b->job->ready = READY_STARTSECS;
	else if (strcmp(v, "notify") == 0)
		b->job->ready = READY_NOTIFY;
	else
		return bad(b, k, v, "started, startsecs or notify");
	return 0;
}

static int
set_shield(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	b->shield_k = k;
	return set_bool(b, k, v, offsetof(struct job_config, shield));
}

static int
set_redirect(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (value_bool(v, &b->redirect) != 0)
		return bad(b, k, v, EXPECT_BOOL);
	return 0;
}

/* *_capture_maxbytes: capture mode's bound (PROCESS_COMMUNICATION). */
static int
set_capture(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t stream)
{
	uint64_t	n;

	if (value_size(v, &n) != 0 || n > 1024 * 1024 * 1024)
		return bad(b, k, v, "a size like 1MB (at most 1GB), or 0");
	b->job->capture_max[stream] = n;
	return 0;
}

/* on_fatal =, on_exit =: split per instance once the job is built */
static int
set_hook(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t h)
{
	b->hook_k[h] = k;
	return 0;
}

static int
set_maxbytes(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t stream)
{
	if (value_size(v, &b->maxbytes[stream]) != 0)
		return bad(b, k, v, "a size like 50MB, or 0");
	return 0;
}

/* tail_buffer: what each stream keeps for tail, in memory. */
static int
set_tail_buffer(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	uint64_t	n;

	if (value_size(v, &n) != 0 || n > MAX_TAIL_BUFFER)
		return bad(b, k, v, "a size like 64KB, at most 64MB, or 0");
	b->job->tail_buffer = n;
	return 0;
}

static int
set_backups(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t stream)
{
	long	n;

	if (value_int(v, 0, 1000, &n) != 0)
		return bad(b, k, v, "a number from 0 to 1000");
	b->backups[stream] = (int)n;
	return 0;
}

/* stdin = null | pipe */
static int
set_stdin(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	(void)off;
	if (strcmp(v, "null") == 0)
		b->job->stdin_pipe = false;
	else if (strcmp(v, "pipe") == 0)
		b->job->stdin_pipe = true;
	else
		return bad(b, k, v, "null or pipe");
	return 0;
}

/* history.h's HISTORY_MAX; config sits below core, so the number is here */
static int
set_history(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	long	n;

	(void)off;
	if (value_int(v, 1, 1000, &n) != 0)
		return bad(b, k, v, "a number of runs from 1 to 1000");
	b->job->history = (int)n;
	return 0;
}

static int
set_interval(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	b->interval_k = k;
	return set_duration(b, k, v, off);
}

static int
set_schedule(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	char	err[256];

	if (calendar_parse(&b->job->cal, v, err, sizeof err) != 0) {
		key_error(b->ld, k, "invalid calendar expression '%.60s': %s",
		    v, err);
		return -1;
	}
	free(b->job->schedule);
	b->job->schedule = xstrdup(v);
	b->schedule_k = k;
	return 0;
}

static int
set_timezone(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (*v == '\0' || !calendar_zone_valid(v))
		return bad(b, k, v, "a zone of the time zone database like "
		    "Europe/Berlin or UTC");
	free(b->job->timezone);
	b->job->timezone = xstrdup(v);
	b->timezone_k = k;
	return 0;
}

static int
set_overlap(struct jobbuild *b, const struct rkey *k, const char *v,
    size_t off)
{
	if (strcmp(v, "skip") == 0)
		b->job->overlap = OVERLAP_SKIP;
	else if (strcmp(v, "queue") == 0)
		b->job->overlap = OVERLAP_QUEUE;
	else if (strcmp(v, "cancel-previous") == 0)
		b->job->overlap = OVERLAP_CANCEL;
	else
		return bad(b, k, v, "skip, queue or cancel-previous");
	return 0;
}

#define OFF(f)	offsetof(struct job_config, f)
#define TASKONLY	"only valid in [task:x]"

static const struct jobkey jobkeys[] = {
	{ "command", IN_JOBS, set_inst, I_COMMAND, NULL },
	{ "process_name", IN_JOBS, set_inst, I_PROCESS_NAME, NULL },
	{ "numprocs", IN_JOBS, set_numprocs, 0, NULL },
	{ "numprocs_start", IN_JOBS, set_numprocs_start, 0, NULL },
	{ "directory", IN_JOBS, set_inst, I_DIRECTORY, NULL },
	{ "user", IN_JOBS, set_user, 0, NULL },
	{ "umask", IN_JOBS, set_umask, 0, NULL },
	{ "environment", IN_JOBS, set_inst, I_ENVIRONMENT, NULL },
	{ "clean_environment", IN_JOBS, set_bool, OFF(clean_environment),
	    NULL },
	{ "autostart", IN_JOBS, set_bool, OFF(autostart), NULL },
	{ "autorestart", IN_SVC, set_autorestart, 0, NULL },
	{ "exitcodes", IN_JOBS, set_exitcodes, 0, NULL },
	{ "startsecs", IN_JOBS, set_duration, OFF(startsecs), NULL },
	{ "startretries", IN_JOBS, set_startretries, 0, NULL },
	{ "retries", IN_TASK, set_count, OFF(retries), TASKONLY },
	{ "backoff", IN_JOBS, set_duration, OFF(backoff), NULL },
	{ "backoff_max", IN_JOBS, set_backoff_max, 0, NULL },
	{ "stopsignal", IN_JOBS, set_signal, 0, NULL },
	{ "stopwaitsecs", IN_JOBS, set_duration, OFF(stopwaitsecs), NULL },
	{ "killmode", IN_JOBS, set_killmode, 0, NULL },
	{ "stopasgroup", IN_JOBS, set_asgroup, 0, NULL },
	{ "killasgroup", IN_JOBS, set_asgroup, 1, NULL },
	{ "priority", IN_JOBS, set_priority, 0, NULL },
	{ "after", IN_JOBS, set_list, OFF(after), NULL },
	{ "before", IN_JOBS, set_list, OFF(before), NULL },
	{ "ready", IN_JOBS, set_ready, 0, NULL },
	{ "start_timeout", IN_JOBS, set_duration, OFF(start_timeout), NULL },
	{ "timeout", IN_TASK | IN_CLEANUP, set_duration, OFF(timeout),
	    "only valid in [task:x] and [cleanup:x]" },
	{ "interval", IN_TASK, set_interval, OFF(interval), TASKONLY },
	{ "schedule", IN_TASK, set_schedule, 0, TASKONLY },
	{ "timezone", IN_TASK, set_timezone, 0, TASKONLY },
	{ "overlap", IN_TASK, set_overlap, 0, TASKONLY },
	{ "random_delay", IN_TASK, set_duration, OFF(random_delay), TASKONLY },
	{ "catch_up", IN_TASK, set_bool, OFF(catch_up), TASKONLY },
	{ "shield", IN_TASK, set_shield, 0, TASKONLY },
	{ "critical", IN_JOBS, set_bool, OFF(critical), NULL },
	{ "stdin", IN_JOBS, set_stdin, 0, NULL },
	{ "history", IN_JOBS, set_history, 0, NULL },
	{ "stdout", IN_JOBS, set_inst, I_STDOUT, NULL },
	{ "stderr", IN_JOBS, set_inst, I_STDERR, NULL },
	{ "stdout_logfile", IN_JOBS, set_inst, I_STDOUT_LOGFILE, NULL },
	{ "stderr_logfile", IN_JOBS, set_inst, I_STDERR_LOGFILE, NULL },
	{ "redirect_stderr", IN_JOBS, set_redirect, 0, NULL },
	{ "stdout_logfile_maxbytes", IN_JOBS, set_maxbytes, 0, NULL },
	{ "stderr_logfile_maxbytes", IN_JOBS, set_maxbytes, 1, NULL },
	{ "tail_buffer", IN_JOBS, set_tail_buffer, 0, NULL },
	{ "stdout_logfile_backups", IN_JOBS, set_backups, 0, NULL },
	{ "stderr_logfile_backups", IN_JOBS, set_backups, 1, NULL },
	{ "limit_nofile", IN_JOBS, set_rlimit, OFF(limit_nofile), NULL },
	{ "limit_core", IN_JOBS, set_rlimit, OFF(limit_core), NULL },
	{ "limit_nproc", IN_JOBS, set_rlimit, OFF(limit_nproc), NULL },
	{ "limit_as", IN_JOBS, set_rlimit, OFF(limit_as), NULL },
	{ "stdout_capture_maxbytes", IN_JOBS, set_capture, 0, NULL },
	{ "stderr_capture_maxbytes", IN_JOBS, set_capture, 1, NULL },
	{ "stdout_events_enabled", IN_JOBS, set_bool, OFF(stdout_events),
	    NULL },
	{ "stderr_events_enabled", IN_JOBS, set_bool, OFF(stderr_events),
	    NULL },
	{ "events", IN_LISTENER, set_events, 0,
	    "only in [eventlistener:x]" },
	{ "buffer_size", IN_LISTENER, set_buffer_size, 0,
	    "only in [eventlistener:x]" },
	{ "result_handler", IN_LISTENER, set_result_handler, 0,
	    "only in [eventlistener:x]" },
	{ "on_fatal", IN_JOBS, set_hook, HOOK_FATAL, NULL },
	{ "on_exit", IN_JOBS, set_hook, HOOK_EXIT, NULL },
	{ "hook_timeout", IN_JOBS, set_duration, OFF(hook_timeout), NULL },
	{ "stdout_syslog", IN_COMPAT, NULL, 0,
	    "use stdout_logfile = syslog (or stdout = journal)" },
	{ "stderr_syslog", IN_COMPAT, NULL, 0,
	    "use stderr_logfile = syslog (or stderr = journal)" },
	{ "serverurl", IN_COMPAT, NULL, 0, "drover sets SUPERVISOR_SERVER_URL "
	    "to its own [unix_http_server] or [inet_http_server]" },
};
#define NJOBKEYS	(sizeof(jobkeys) / sizeof(jobkeys[0]))

static unsigned
sect_bit(enum sect_type st)
{
	switch (st) {
	case ST_SERVICE:
		return IN_SERVICE;
	case ST_TASK:
		return IN_TASK;
	case ST_CLEANUP:
		return IN_CLEANUP;
	case ST_LISTENER:
		return IN_PROGRAM | IN_LISTENER;
	default:
		return IN_PROGRAM;
	}
}

static const struct jobkey *
jobkey_find(const char *key)
{
	size_t	i;

	for (i = 0; i < NJOBKEYS; i++) {
		if (strcmp(jobkeys[i].name, key) == 0)
			return &jobkeys[i];
	}
	return NULL;
}

/* A key in the wrong kind of job is an error in drover's sections and a
 * warning in [program:x] (supervisord would ignore it). */
enum key_verdict
job_key_check(enum sect_type st, const char *key, const char **why)
{
	const struct jobkey	*jk;

	if ((jk = jobkey_find(key)) == NULL)
		return KV_UNKNOWN;
	if (jk->in & IN_COMPAT) {
		*why = jk->why;
		return st == ST_PROGRAM || st == ST_LISTENER ? KV_WARN :
		    KV_UNKNOWN;
	}
	if (jk->in & sect_bit(st))
		return KV_OK;
	if (strcmp(key, "autorestart") == 0)
		*why = st == ST_TASK ? "not valid in [task:x]; use retries" :
		    "not valid in [cleanup:x], which runs once";
	else
		*why = jk->why;
	return st == ST_PROGRAM || st == ST_LISTENER ? KV_WARN :
	    KV_ERROR;
}

const char *
job_key_suggest(enum sect_type st, const char *key)
{
	const char	*cand[NJOBKEYS + 1];
	size_t		 i, n = 0;

	for (i = 0; i < NJOBKEYS; i++) {
		if (jobkeys[i].in & sect_bit(st))
			cand[n++] = jobkeys[i].name;
	}
	cand[n] = NULL;
	return value_suggest(key, cand);
}

/* --- building ------------------------------------------------------------ */

/* SPEC 2.2's defaults; [program:x] has those of [service:x]. */
static void
job_defaults(struct jobbuild *b, enum sect_type st)
{
	struct job_config	*job = b->job;

	job->kind = st == ST_TASK ? JOB_TASK : st == ST_CLEANUP ? JOB_CLEANUP :
	    JOB_SERVICE;
	job->compat = st == ST_PROGRAM || st == ST_LISTENER;
	job->listener = st == ST_LISTENER;
	job->buffer_size = 10;
	job->umask = -1;
	job->autostart = true;
	job->autorestart = job->kind == JOB_SERVICE ? AR_UNEXPECTED : AR_FALSE;
	job->exitcodes[0] = 1;			/* 0 */
	job->startsecs = 1000;
	job->startretries = 3;
	job->backoff = 1000;
	job->backoff_max = 60 * 1000;
	job->stopsignal = SIGTERM;
	job->stopwaitsecs = 10 * 1000;
	job->killmode = KM_MIXED;
	job->priority = st == ST_LISTENER ? -1 : 999;
	job->history = 10;
	job->ready = job->kind == JOB_SERVICE ? READY_STARTSECS : READY_STARTED;
	job->start_timeout = 90 * 1000;
	job->hook_timeout = 30 * 1000;
	b->numprocs = 1;
	b->maxbytes[0] = b->maxbytes[1] = DEFAULT_MAXBYTES;
	b->backups[0] = b->backups[1] = DEFAULT_BACKUPS;
	job->tail_buffer = DEFAULT_TAIL_BUFFER;
	b->stopasgroup = b->killasgroup = -1;
}

/*
 * Each job's group, for %(group_name)s and job->group: the first group
 * that lists it.  Members are strings of conf->groups[i]->jobs, which
 * validation may remove: the table lives while jobs are built only.
 */
static struct names *
groups_of(struct loader *ld)
{
	struct names	*t = names_new(false);
	char	       **m;
	int		 i;

	for (i = 0; i < ld->conf->ngroups; i++) {
		for (m = ld->conf->groups[i]->jobs; *m != NULL; m++)
			names_add(t, *m, i);
	}
	return t;
}

/* killmode from stopasgroup/killasgroup, unless killmode was given. */
static void
check_killmode(struct jobbuild *b)
{
	if (b->stopasgroup == 1 && b->killasgroup == 0)
		key_error(b->ld, b->killasgroup_k, "cannot be false when "
		    "stopasgroup is true (as in supervisord)");
	if (b->killmode_set)
		return;
	if (b->stopasgroup == 1)
		b->job->killmode = KM_GROUP;
	else if (b->killasgroup == 1)
		b->job->killmode = KM_MIXED;
}

/* One key per stream, and nothing for stderr when it is redirected. */
static void
check_output(struct jobbuild *b)
{
	const struct rkey	*k;
	int			 s;

	for (s = 0; s < 2; s++) {
		if (b->inst[I_STDOUT + s] != NULL &&
		    (k = b->inst[I_STDOUT_LOGFILE + s]) != NULL)
			key_error(b->ld, k, "conflicts with %s (line %d); "
			    "give one of them", b->inst[I_STDOUT + s]->key,
			    b->inst[I_STDOUT + s]->line);
	}
	if (!b->redirect)
		return;
	if ((k = b->inst[I_STDERR]) != NULL)
		key_error(b->ld, k, "conflicts with redirect_stderr = true");
	if ((k = b->inst[I_STDERR_LOGFILE]) == NULL)
		return;
	if (!b->job->compat)
		key_error(b->ld, k, "conflicts with redirect_stderr = true");
	else if (strcasecmp(k->value, "auto") != 0 &&
	    strcasecmp(k->value, "none") != 0)
		key_warn(b->ld, k, "redirect_stderr is true, so this file "
		    "is ignored (as in supervisord)");
	b->inst[I_STDERR_LOGFILE] = NULL;
}

/* What a job's keys mean together, once they are all read. */
static void
job_check(struct jobbuild *b)
{
	struct job_config	*job = b->job;
	const struct rsect	*s = b->sect;
	const struct rkey	*k;

	if (b->inst[I_COMMAND] == NULL)
		diag_error(b->ld->diag, s->file->path, s->line,
		    "[%s] has no command", s->header);
	check_killmode(b);
	check_output(b);
	if (job->backoff > job->backoff_max) {
		if (b->backoff_max_k != NULL)
			key_error(b->ld, b->backoff_max_k, "is less than "
			    "backoff");
		else
			job->backoff_max = job->backoff;
	}
	if (job->kind == JOB_CLEANUP && job->timeout == 0)
		diag_error(b->ld->diag, s->file->path, s->line, "[%s] has no "
		    "timeout (a cleanup job is shielded from cancellation, "
		    "only its timeout bounds it)", s->header);
	if (job->shield && job->timeout == 0)
		key_error(b->ld, b->shield_k, "shield = true requires a "
		    "timeout");
	if (b->schedule_k != NULL && b->interval_k != NULL)
		key_error(b->ld, b->schedule_k, "schedule and interval (line "
		    "%d) may not both be set", b->interval_k->line);
	if (b->schedule_k == NULL && b->timezone_k != NULL)
		key_error(b->ld, b->timezone_k, "is only valid with schedule");
	if (b->numprocs > 1) {
		k = b->inst[I_PROCESS_NAME];
		if (k != NULL && strstr(k->value, "%(process_num)") == NULL)
			key_error(b->ld, k, "must contain %%(process_num) when "
			    "numprocs > 1");
		else if (k == NULL && job->compat)
			key_error(b->ld, b->numprocs_k, "is more than 1, so "
			    "process_name must contain %%(process_num) (as in "
			    "supervisord)");
	}
}

static int
expand(struct jobbuild *b, const struct rkey *k, int num, char **out)
{
	return config_interpolate(b->ld, k, b->job->name, b->job->group !=
	    NULL ? b->job->group : b->job->name, num, b->numprocs, out);
}

/* A file sink's path: relative to the file, never rotated if it is a
 * device (/dev/stdout, /proc/1/fd/1), and in a directory that exists. */
static void
sink_file(struct jobbuild *b, const struct rkey *k, const char *path,
    struct sink *sk)
{
	sk->kind = SINK_FILE;
	sk->path = config_path(k->file, path);
	if (strncmp(sk->path, "/dev/", 5) == 0 ||
	    strncmp(sk->path, "/proc/", 6) == 0)
		sk->maxbytes = 0;
	validate_dir(b->ld, k, sk->path, &b->seen_dirs);
}

/* stdout = log | journal | null | inherit | file:PATH (drover), or
 * stdout_logfile = AUTO | NONE | syslog | PATH (supervisord). */
static int
sink_build(struct jobbuild *b, int s, int num, struct sink *sk)
{
	const struct rkey	*kd = b->inst[I_STDOUT + s];
	const struct rkey	*k = kd != NULL ? kd : b->inst[I_STDOUT_LOGFILE + s];
	char			*v;
	int			 ret = 0;

	sk->kind = SINK_LOG;
	sk->maxbytes = b->maxbytes[s];
	sk->backups = b->backups[s];
	if (k == NULL)
		return 0;
	if (expand(b, k, num, &v) != 0)
		return -1;
	if (kd != NULL && strncmp(v, "file:", 5) == 0 && v[5] != '\0')
		sink_file(b, k, v + 5, sk);
	else if (kd != NULL && strcmp(v, "log") == 0)
		sk->kind = SINK_LOG;
	else if (kd != NULL && strcmp(v, "journal") == 0)
		sk->kind = SINK_JOURNAL;
	else if (kd != NULL && strcmp(v, "null") == 0)
		sk->kind = SINK_NULL;
	else if (kd != NULL && strcmp(v, "inherit") == 0)
		sk->kind = SINK_INHERIT;
	else if (kd != NULL)
		ret = bad(b, k, v, "log, journal, null, inherit or file:PATH");
	else if (strcasecmp(v, "auto") == 0)
		sk->kind = SINK_LOG;
	else if (strcasecmp(v, "none") == 0)
		sk->kind = SINK_NULL;
	else if (strcasecmp(v, "syslog") == 0)
		sk->kind = SINK_JOURNAL;
	else if (*v == '\0')
		ret = bad(b, k, v, "a file name, AUTO, NONE or syslog");
	else
		sink_file(b, k, v, sk);
	free(v);
	return ret;
}

/* process_name, or its default, expanded for this instance. */
static int
proc_name(struct jobbuild *b, struct proc_config *p)
{
	struct rkey		 def;
	const struct rkey	*k = b->inst[I_PROCESS_NAME];
	char			 key[] = "process_name", *why;
	char			 one[] = "%(program_name)s";
	char			 many[] = "%(program_name)s_%(process_num)d";

	if (k == NULL) {
		def.key = key;
		def.value = b->numprocs > 1 && !b->job->compat ? many : one;
		def.file = b->sect->file;
		def.line = b->sect->line;
		k = &def;
	}
	if (expand(b, k, p->num, &p->name) != 0)
		return -1;
	if (validate_name(p->name, &why) != 0) {
		key_error(b->ld, k, "invalid name '%s': %s", p->name, why);
		free(why);
		return -1;
	}
	return 0;
}

/* The command is split now, so that drover -t reports bad quoting. */
static int
proc_command(struct jobbuild *b, struct proc_config *p)
{
	const struct rkey	*k = b->inst[I_COMMAND];
	char			*v, *err = NULL;
	int			 ret;

	if (k == NULL)
		return 0;
	if (expand(b, k, p->num, &v) != 0)
		return -1;
	if ((ret = value_argv(v, &p->argv, &err)) != 0)
		key_error(b->ld, k, "%s", err);
	free(err);
	free(v);
	return ret;
}

/* directory (relative to the file) and environment of one instance. */
static int
proc_env_dir(struct jobbuild *b, struct proc_config *p)
{
	const struct rkey	*k;
	char			*v, *err = NULL;
	int			 ret = 0;

	if ((k = b->inst[I_DIRECTORY]) != NULL) {
		if (expand(b, k, p->num, &v) != 0)
			return -1;
		if (*v == '\0')
			ret = bad(b, k, v, "a directory");
		else
			p->directory = config_path(k->file, v);
		free(v);
	}
	if (ret == 0 && (k = b->inst[I_ENVIRONMENT]) != NULL) {
		if (expand(b, k, p->num, &v) != 0)
			return -1;
		if ((ret = value_env(v, &p->env, &err)) != 0)
			key_error(b->ld, k, "%s", err);
		free(err);
		free(v);
	}
	return ret;
}

static void
sink_free(struct sink *sk)
{
	free(sk->path);
	sk->path = NULL;
}

static void
proc_free(struct proc_config *p)
{
	free(p->name);
	strv_free(p->argv);
	strv_free(p->env);
	free(p->directory);
	sink_free(&p->out);
	sink_free(&p->err);
	memset(p, 0, sizeof(*p));
}

static int
proc_build(struct jobbuild *b, struct proc_config *p)
{
	if (proc_name(b, p) != 0 || proc_command(b, p) != 0 ||
	    proc_env_dir(b, p) != 0 || sink_build(b, 0, p->num, &p->out) != 0)
		return -1;
	p->redirect_stderr = b->redirect;
	if (!b->redirect)
		return sink_build(b, 1, p->num, &p->err);
	p->err = p->out;
	if (p->out.path != NULL)
		p->err.path = xstrdup(p->out.path);
	return 0;
}

/* numprocs instances; after a failure, the errors would all be alike. */
static void
job_instances(struct jobbuild *b)
{
	struct job_config	*job = b->job;
	int			 i;

	job->procs = xcalloc((size_t)b->numprocs, sizeof(*job->procs));
	for (i = 0; i < b->numprocs; i++) {
		job->procs[i].num = b->numprocs_start + i;
		if (proc_build(b, &job->procs[i]) != 0) {
			proc_free(&job->procs[i]);
			break;
		}
	}
	job->nprocs = i;
}

/* The tasks of its hooks, their commands split for each instance. */
static void
job_hooks(struct jobbuild *b, struct jobmeta *meta)
{
	const struct rkey	*k;
	char		      ***argvs, *v, *err;
	int			 h, i, n;

	for (h = 0; h < HOOK__MAX; h++) {
		if ((k = b->hook_k[h]) == NULL)
			continue;
		n = b->job->nprocs;
		argvs = xcalloc((size_t)n + 1, sizeof(*argvs));
		for (i = 0; i < n; i++) {
			if (expand(b, k, b->job->procs[i].num, &v) != 0)
				break;
			err = NULL;
			if (value_argv(v, &argvs[i], &err) != 0)
				key_error(b->ld, k, "%s", err);
			else if (argvs[i][0] == NULL) {
				key_error(b->ld, k, "is empty (a command to "
				    "run)");
				strv_free(argvs[i]);
				argvs[i] = NULL;
			}
			free(err);
			free(v);
			if (argvs[i] == NULL)
				break;
		}
		if (i == n && n > 0) {
			meta->hooks[h] = hook_job_new(b->job, h, k, argvs);
			b->job->hooks[h] = xstrdup(meta->hooks[h]->name);
		} else
			while (i-- > 0)
				strv_free(argvs[i]);
		free(argvs);
	}
}

/* One job from its section: the keys, what they mean together, and the
 * instances. */
static struct job_config *
job_build(struct loader *ld, const struct rsect *s, struct jobmeta *meta,
    const struct names *groups)
{
	struct jobbuild		 b;
	const struct jobkey	*jk;
	const struct rkey	*k;
	char			*v;
	int			 i;

	memset(&b, 0, sizeof(b));
	b.ld = ld;
	b.sect = s;
	b.job = xcalloc(1, sizeof(*b.job));
	job_defaults(&b, s->type);
	b.job->name = xstrdup(s->name);
	b.job->file = xstrdup(s->file->path);
	b.job->line = s->line;
	if ((i = names_find(groups, s->name)) != -1)
		b.job->group = xstrdup(ld->conf->groups[i]->name);
	for (i = 0; i < s->nkeys; i++) {
		k = &s->keys[i];
		if ((jk = jobkey_find(k->key)) == NULL || jk->set == NULL)
			continue;
		if (jk->set == set_inst)
			b.inst[jk->arg] = k;
		else if (jk->set == set_hook)
			b.hook_k[jk->arg] = k;	/* expanded per instance */
		else if (expand(&b, k, -1, &v) == 0) {
			jk->set(&b, k, v, jk->arg);
			free(v);
		}
	}
	job_check(&b);
	job_instances(&b);
	job_hooks(&b, meta);
	strv_free(b.seen_dirs);
	meta->job = b.job;
	meta->sect = s;
	meta->after = sect_key(s, "after");
	meta->before = sect_key(s, "before");
	return b.job;
}

/*
 * The hook tasks after every job of the file, so that a job's index in
 * conf->jobs stays its section's order; a name taken by a job of the
 * file is an error.
 */
static void
jobs_add_hooks(struct loader *ld)
{
	struct config		*conf = ld->conf;
	struct job_config	*hook;
	int			 i, h, n = conf->njobs;

	for (i = 0; i < n; i++) {
		for (h = 0; h < HOOK__MAX; h++) {
			if ((hook = ld->meta[i].hooks[h]) == NULL)
				continue;
			ld->meta[i].hooks[h] = NULL;
			if (names_find(ld->jobnames, hook->name) != -1) {
				diag_error(ld->diag, hook->file, hook->line,
				    "%s: its task '%s' has the name of a job",
				    hook_key_names[h], hook->name);
				job_config_free(hook);
				continue;
			}
			conf->jobs = xreallocarray(conf->jobs,
			    (size_t)conf->njobs + 1, sizeof(*conf->jobs));
			ld->meta = xreallocarray(ld->meta,
			    (size_t)conf->njobs + 2, sizeof(*ld->meta));
			memset(&ld->meta[conf->njobs], 0, 2 * sizeof(*ld->meta));
			ld->meta[conf->njobs].job = hook;
			ld->meta[conf->njobs].sect = ld->meta[i].sect;
			conf->jobs[conf->njobs] = hook;
			names_add(ld->jobnames, hook->name, conf->njobs);
			conf->njobs++;
		}
	}
}

/* Jobs in file order; ld->meta[i] describes conf->jobs[i]. */
void
job_build_all(struct loader *ld)
{
	struct config	*conf = ld->conf;
	struct names	*groups = groups_of(ld);
	enum sect_type	 st;
	int		 i;

	ld->meta = xcalloc((size_t)ld->nsects + 1, sizeof(*ld->meta));
	for (i = 0; i < ld->nsects; i++) {
		st = ld->sects[i]->type;
		if (st != ST_SERVICE && st != ST_TASK && st != ST_CLEANUP &&
		    st != ST_PROGRAM && st != ST_LISTENER)
			continue;
		conf->jobs = xreallocarray(conf->jobs, (size_t)conf->njobs + 1,
		    sizeof(*conf->jobs));
		conf->jobs[conf->njobs] = job_build(ld, ld->sects[i],
		    &ld->meta[conf->njobs], groups);
		names_add(ld->jobnames, conf->jobs[conf->njobs]->name,
		    conf->njobs);
		conf->njobs++;
	}
	names_free(groups);
	jobs_add_hooks(ld);
}

/* Frees a job and everything in it; NULL is fine. */
void
job_config_free(struct job_config *job)
{
	int	i;

	if (job == NULL)
		return;
	for (i = 0; i < job->nprocs; i++)
		proc_free(&job->procs[i]);
	free(job->procs);
	free(job->name);
	free(job->file);
	free(job->group);
	free(job->user);
	strv_free(job->after);
	strv_free(job->before);
	free(job->schedule);
	free(job->timezone);
	strv_free(job->events);
	for (i = 0; i < HOOK__MAX; i++)
		free(job->hooks[i]);
	free(job->hook_of);
	free(job);
}

/*
 * config_jobkey.c: the keys of [service:x], [task:x], [cleanup:x],
 * [program:x] and [eventlistener:x].
 *
 * One table says where each key is allowed and how its value is parsed
 * into the job config_job.c builds (struct jobbuild, config_int.h).  The
 * keys that differ from one instance to the next are only noted here
 * (set_inst, set_hook): config_job.c expands them once per instance.
 */
#include <sys/types.h>

#include <limits.h>
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

#define MAX_TAIL_BUFFER		(64 * 1024 * 1024)

#define FIELD(b, off, type)	((type *)(void *)((char *)(b)->job + (off)))

int
bad(struct jobbuild *b, const struct rkey *k, const char *v,
    const char *expected)
{
	key_bad_value(b->ld, k, v, expected);
	return -1;
}

int
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
int
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

const struct jobkey *
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

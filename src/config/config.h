/*
 * config.h: the parsed, validated configuration (SPEC 1-2).
 *
 * config_load() turns a file and its includes into a struct config that
 * nothing else re-checks, or into a list of every error as "FILE:LINE:
 * message".  It never spawns, signals or touches the event loop, so a reload
 * builds a new config beside the running one.
 */
#ifndef DROVER_CONFIG_H
#define DROVER_CONFIG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calendar.h"

enum job_kind { JOB_SERVICE, JOB_TASK, JOB_CLEANUP };
enum autorestart { AR_FALSE, AR_TRUE, AR_UNEXPECTED };
enum killmode { KM_MIXED, KM_GROUP, KM_PROCESS };
enum ready_mode { READY_STARTED, READY_STARTSECS, READY_NOTIFY };
/* schedule =: a run that comes due while one runs */
enum overlap { OVERLAP_SKIP, OVERLAP_QUEUE, OVERLAP_CANCEL };
enum sink_kind { SINK_LOG, SINK_JOURNAL, SINK_FILE, SINK_NULL, SINK_INHERIT };
/* drover's own hooks on a job's changes (drover.ini(5), HOOKS) */
enum hook_kind { HOOK_FATAL, HOOK_EXIT, HOOK__MAX };
extern const char *const hook_key_names[HOOK__MAX];	/* "on_fatal" ... */

#define LIMIT_UNSET	((uint64_t)0)	/* in struct job_limit.set == false */
#define LIMIT_INFINITY	UINT64_MAX

struct sink {
	enum sink_kind	 kind;
	char		*path;		/* SINK_FILE */
	uint64_t	 maxbytes;	/* rotate a regular file past this; 0 = never */
	int		 backups;	/* rotated files kept */
};

struct job_limit {
	bool		 set;
	uint64_t	 value;		/* soft = hard; LIMIT_INFINITY */
};

/* One instance of a job (numprocs), with every %(process_num) resolved. */
struct proc_config {
	char		*name;		/* process_name, e.g. "worker_3" */
	int		 num;		/* process_num */
	char	       **argv;		/* command, split; argv[0] not resolved */
	char	       **env;		/* "KEY=value" added (after [drover] env) */
	char		*directory;	/* NULL = drover's */
	struct sink	 out, err;	/* err.kind == out when redirect_stderr */
	bool		 redirect_stderr;
};

struct job_config {
	char		*name;		/* program name: [service:NAME] */
	enum job_kind	 kind;
	bool		 compat;	/* from [program:x] (supervisord) */
	char		*file;		/* where the section starts */
	int		 line;
	char		*group;		/* [group:x] it belongs to, or NULL */

	struct proc_config *procs;	/* numprocs of them */
	int		 nprocs;

	char		*user;		/* as written, or NULL */
	uid_t		 uid;		/* resolved when user != NULL */
	gid_t		 gid;
	int		 umask;		/* -1 = inherit */
	bool		 clean_environment;
	bool		 autostart;
	enum autorestart autorestart;
	uint8_t		 exitcodes[32];	/* bitmap of expected exit codes */
	int64_t		 startsecs;	/* ms */
	int		 startretries;	/* -1 = infinite */
	int		 retries;	/* tasks */
	int64_t		 backoff;	/* ms */
	int64_t		 backoff_max;	/* ms */
	int		 stopsignal;
	int64_t		 stopwaitsecs;	/* ms */
	enum killmode	 killmode;
	int		 priority;
	char	       **after;		/* job names (program names) */
	char	       **before;
	enum ready_mode	 ready;
	int64_t		 start_timeout;	/* ms; bounds STARTING for ready=notify */
	int64_t		 timeout;	/* ms; 0 = none (tasks, cleanup) */
	int64_t		 interval;	/* ms; 0 = none (tasks) */
	char		*schedule;	/* calendar expression, NULL = none */
	struct calendar	 cal;		/* schedule, parsed */
	char		*timezone;	/* NULL = local time */
	enum overlap	 overlap;
	int64_t		 random_delay;	/* ms; 0 = none */
	bool		 catch_up;
	bool		 shield;
	bool		 critical;
	int		 history;	/* runs kept (history.c) */
	/* on_fatal =, on_exit = (core/hook.c): the task run for each */
	char		*hooks[HOOK__MAX];	/* its name, or NULL */
	int64_t		 hook_timeout;	/* ms, the timeout of those tasks */
	char		*hook_of;	/* a hook task: its job, else NULL */
	enum hook_kind	 hook_kind;	/* which of its hooks */
	struct job_limit limit_nofile, limit_core, limit_nproc, limit_as;
	bool		 stdin_pipe;	/* stdin = pipe */
	bool		 stdout_events;	/* PROCESS_LOG_STDOUT */
	bool		 stderr_events;
	uint64_t	 capture_max[2];	/* stdout_, stderr_capture_maxbytes */
	bool		 listener;	/* [eventlistener:x] */
	char	       **events;	/* its event type names */
	int		 buffer_size;	/* events queued per pool */
	bool		 result_any;	/* a Python result_handler: no FAIL */
	uint64_t	 tail_buffer;	/* bytes of each stream kept for tail */
};

struct group_config {
	char		*name;
	char	       **jobs;		/* program names */
	int		 max_concurrent;	/* 0 = no bound */
	char		*file;
	int		 line;
};

/* [unix_http_server] or [inet_http_server]: where and how to serve. */
struct http_config {
	bool		 on;		/* the section exists */
	char		*path;		/* unix: file= */
	int		 mode;		/* unix: chmod= */
	bool		 chown;		/* unix: chown= given */
	uid_t		 uid;
	gid_t		 gid;
	char		*host;		/* inet: "" = all addresses */
	int		 port;
	char		*username;	/* NULL = no auth */
	char		*password;
	char		*file;		/* where the section is */
	int		 line;
};

struct config {
	char		*path;		/* the main file, as given */
	int64_t		 shutdown_timeout;	/* ms */
	int		 max_concurrent;	/* tasks, 0 = no bound */
	char		*socket;	/* NULL = none */
	int		 socket_mode;
	char		*socket_group;	/* NULL = none */
	gid_t		 socket_gid;
	int		 log_level;	/* -1 = not set in the file */
	char		*pidfile;
	char		*state_file;	/* NULL = the default */
	bool		 state_file_none;	/* state_file = none */
	char	       **environment;	/* "KEY=value" for every job */
	struct http_config http_unix;
	struct http_config http_inet;

	struct job_config **jobs;	/* in file order */
	int		 njobs;
	struct group_config **groups;
	int		 ngroups;
};

/* Errors and warnings, each a full "FILE:LINE: message" line; only
 * diag_error() and diag_warn() add to them (strv_append()). */
struct diag {
	char	       **errors;
	int		 nerrors;
	char	       **warnings;
	int		 nwarnings;
};

void	 diag_init(struct diag *);
void	 diag_free(struct diag *);
void	 diag_error(struct diag *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 diag_warn(struct diag *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 diag_print(const struct diag *, FILE *);	/* "error: ..." lines */

/*
 * Defaults that depend on how drover was started (the default socket path
 * differs for root).  Built from SYSCONFDIR/RUNSTATEDIR at compile time.
 */
struct config_env {
	bool		 is_root;	/* euid == 0: `user` is allowed */
	const char	*default_socket;
};
void	 config_env_default(struct config_env *);

/* NULL on any error (diag->nerrors > 0); warnings are added either way. */
struct config *config_load(const char *path, const struct config_env *,
	    struct diag *);
void	 config_free(struct config *);
/* `drover -t`: one line per job (name, kind, instances, command). */
void	 config_summary(const struct config *, FILE *);

const char *job_kind_name(enum job_kind);
struct job_config *config_find_job(const struct config *, const char *name);
struct group_config *config_find_group(const struct config *, const char *);
/* True if the two differ in anything that affects the running process
 * (command, env, user, directory, sinks, limits, numprocs ...): reload
 * restarts the job.  Fields that apply in place (backoff, retries, group
 * bounds, priority, timeouts) do not count. */
bool	 job_config_needs_restart(const struct job_config *,
	    const struct job_config *);
bool	 job_exitcode_expected(const struct job_config *, int code);

/* The maximum length of one configuration line. */
#define CONFIG_MAX_LINE	(64 * 1024)

#endif

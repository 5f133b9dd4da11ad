/*
 * config_int.h: shared by the configuration loader's files only.
 *
 * Loading has three phases.  Reading (config_read.c) turns each file into
 * raw sections of raw keys, every key with the file and line it came from,
 * merging repeated supervisord sections and following includes.  Building
 * (config_keys.c for [drover] and groups, config_job.c for jobs, with
 * config_jobkey.c's table of their keys) interpolates and parses the
 * values.  Validation (validate.c) checks what
 * spans jobs: names, dependencies, groups.  Every phase records every error
 * and goes on, so one run reports them all.
 */
#ifndef DROVER_CONFIG_INT_H
#define DROVER_CONFIG_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "names.h"

#define CONFIG_MAX_ERRORS_PER_FILE	100	/* then the file is abandoned */
#define CONFIG_MAX_NUMPROCS		10000
#define CONFIG_MAX_INCLUDE_DEPTH	32
#define CONFIG_MAX_FILES		1000	/* read in one load */

/* What a value error says was expected. */
#define EXPECT_BOOL	"true or false"
#define EXPECT_COUNT	"a whole number, 0 or more"
#define EXPECT_DURATION	"a duration like 30s, 1m30s or 250ms"

/* A file that was read; keys point at it for FILE:LINE and %(here)s. */
struct cfile {
	char		*path;		/* as shown in messages */
	char		*dir;		/* %(here)s; base of relative paths */
	dev_t		 dev;		/* identity, for include cycles */
	ino_t		 ino;
	struct rsect	*incl;		/* its [include] section, or NULL */
};

struct rkey {
	char		*key;		/* lowercased */
	char		*value;		/* continuation lines joined */
	struct cfile	*file;
	int		 line;
	int		 occ;		/* which [header] line of its section */
};

enum sect_type {
	ST_DROVER,		/* [drover] */
	ST_SUPERVISORD,		/* [supervisord] */
	ST_SERVICE,
	ST_TASK,
	ST_CLEANUP,
	ST_PROGRAM,		/* supervisord's [program:x] */
	ST_LISTENER,		/* supervisord's [eventlistener:x] */
	ST_GROUP,
	ST_INCLUDE,		/* supervisord's [include] */
	ST_NOTRUN,		/* [fcgi-program:x] */
	ST_UNIX_HTTP,		/* [unix_http_server] */
	ST_INET_HTTP,		/* [inet_http_server] */
	ST_IGNORED,		/* [unix_http_server], [supervisorctl] ... */
};

struct rsect {
	enum sect_type	 type;
	char		*header;	/* "service:web", as written */
	char		*name;		/* "web"; NULL for [drover] */
	struct cfile	*file;		/* where it first starts */
	int		 line;
	struct rkey	*keys;
	int		 nkeys;
	int		 occ;		/* [header] lines seen so far */
};

/* Where a job's after/before came from, for the cycle report. */
struct jobmeta {
	struct job_config	*job;
	const struct rsect	*sect;
	const struct rkey	*after;
	const struct rkey	*before;
	struct job_config	*hooks[HOOK__MAX];	/* job_build()'s */
};

struct loader {
	const struct config_env	*env;
	struct diag		*diag;
	struct config		*conf;
	struct cfile	       **files;
	int			 nfiles;
	struct rsect	       **sects;
	int			 nsects;
	struct cfile	       **chain;		/* files being read: cycles */
	int			 depth;
	char			*nodename;	/* %(host_node_name)s */
	struct jobmeta		*meta;		/* one per conf->jobs[i] */
	struct names		*notrun;	/* [fcgi-program:x] names */
	/* lookups by name, each to the first of its name (names.h) */
	struct names		*sectnames;	/* header -> sects[], but
						 * [include] (cfile->incl) */
	struct names		*jobnames;	/* name -> conf->jobs[] */
	const struct rsect     **groupsects;	/* one per conf->groups[i] */
	/* [drover], [supervisord] and [include] sections, in order: each
	 * file read looks for its includes there, not in all sections */
	struct rsect	       **inclsects;
	int			 ninclsects;
};

/* config_hook.c */
struct job_config *hook_job_new(const struct job_config *owner,
		    enum hook_kind, const struct rkey *, char ***argvs);

/* config_sect.c */
bool		 sect_is_own(enum sect_type);
struct rsect	*sect_open(struct loader *, struct cfile *, int line,
		    const char *header);
struct rkey	*sect_add_key(struct loader *, struct rsect *, struct cfile *,
		    int line, const char *key, const char *value);

/* config_util.c (the bottom: calls nothing above) */
int		 sect_key_index(const struct rsect *, const char *);	/* or -1 */
const struct rkey *sect_key(const struct rsect *, const char *);
char		*config_path(const struct cfile *, const char *);
void		 key_error(struct loader *, const struct rkey *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 key_warn(struct loader *, const struct rkey *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 key_bad_value(struct loader *, const struct rkey *,
		    const char *value, const char *expected);
int		 config_interpolate(struct loader *, const struct rkey *,
		    const char *program, const char *group, int num,
		    int numprocs, char **out);

/* config_read.c */
void		 read_main(struct loader *, const char *path);

/* config_keys.c */
enum key_verdict { KV_OK, KV_UNKNOWN, KV_WARN, KV_ERROR };
enum key_verdict keys_check(enum sect_type, const char *key,
		    const char **why);
const char	*keys_suggest(enum sect_type, const char *key);
void		 keys_build_drover(struct loader *);
void		 keys_build_groups(struct loader *);

/* config_http.c */
enum key_verdict http_key_check(enum sect_type, const char *key);
const char	*http_key_suggest(enum sect_type, const char *key);
void		 http_build(struct loader *);

/* config_jobkey.c: a job's keys, where each is allowed and how its value
 * is parsed into the job being built (by config_job.c) */
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

enum key_verdict job_key_check(enum sect_type, const char *key,
		    const char **why);
const char	*job_key_suggest(enum sect_type, const char *key);
const struct jobkey *jobkey_find(const char *);
int		 bad(struct jobbuild *, const struct rkey *, const char *,
		    const char *expected);
int		 set_inst(struct jobbuild *, const struct rkey *, const char *,
		    size_t);
int		 set_hook(struct jobbuild *, const struct rkey *, const char *,
		    size_t);

/* config_job.c */
void		 job_build_all(struct loader *);
void		 job_config_free(struct job_config *);

/* validate.c */
void		 validate_all(struct loader *);
void		 validate_dir(struct loader *, const struct rkey *,
		    const char *path, char ***seen);
int		 validate_name(const char *, char **why);
int		 validate_user(struct loader *, const struct rkey *,
		    const char *spec, uid_t *, gid_t *);

#endif

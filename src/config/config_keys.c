/*
 * config_keys.c: which keys each section takes; [drover] and [group:x].
 *
 * [supervisord] is read as [drover] with supervisord's extra keys: those
 * drover maps (loglevel, pidfile, environment) are used, the others are
 * warned about and ignored.  Job sections have their own table in
 * config_jobkey.c.
 */
#include <sys/types.h>

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

#define IN_DROVER	0x1
#define IN_SUPERVISORD	0x2
#define IN_BOTH		(IN_DROVER | IN_SUPERVISORD)

typedef void (*drkey_fn)(struct loader *, const struct rkey *, const char *);

struct drkey {
	const char	*name;
	unsigned	 in;
	drkey_fn	 set;		/* NULL: warned about, ignored */
	const char	*why;
};

static void	set_shutdown_timeout(struct loader *, const struct rkey *,
		    const char *);
static void	set_max_concurrent(struct loader *, const struct rkey *,
		    const char *);
static void	set_socket(struct loader *, const struct rkey *, const char *);
static void	set_socket_mode(struct loader *, const struct rkey *,
		    const char *);
static void	set_socket_group(struct loader *, const struct rkey *,
		    const char *);
static void	set_log_level(struct loader *, const struct rkey *,
		    const char *);
static void	set_pidfile(struct loader *, const struct rkey *, const char *);
static void	set_state_file(struct loader *, const struct rkey *,
		    const char *);
static void	set_include(struct loader *, const struct rkey *, const char *);
static void	set_environment(struct loader *, const struct rkey *,
		    const char *);
static void	set_nodaemon(struct loader *, const struct rkey *,
		    const char *);
static void	set_later(struct loader *, const struct rkey *, const char *);

#define NOLOG	"drover logs to stderr or to the journal"
#define NOSUP	"not supported by drover"

static const struct drkey drkeys[] = {
	{ "shutdown_timeout", IN_BOTH, set_shutdown_timeout, NULL },
	{ "max_concurrent", IN_BOTH, set_max_concurrent, NULL },
	{ "socket", IN_BOTH, set_socket, NULL },
	{ "socket_mode", IN_BOTH, set_socket_mode, NULL },
	{ "socket_group", IN_BOTH, set_socket_group, NULL },
	{ "log_level", IN_BOTH, set_log_level, NULL },
	{ "pidfile", IN_BOTH, set_pidfile, NULL },
	{ "state_file", IN_BOTH, set_state_file, NULL },
	{ "include", IN_BOTH, set_include, NULL },
	{ "environment", IN_BOTH, set_environment, NULL },
	/* config_http.c reads these, after [unix_http_server] ... */
	{ "http_socket", IN_DROVER, set_later, NULL },
	{ "http_socket_mode", IN_DROVER, set_later, NULL },
	{ "http_socket_owner", IN_DROVER, set_later, NULL },
	{ "http_listen", IN_DROVER, set_later, NULL },
	{ "http_username", IN_DROVER, set_later, NULL },
	{ "http_password", IN_DROVER, set_later, NULL },
	{ "loglevel", IN_SUPERVISORD, set_log_level, NULL },
	{ "nodaemon", IN_SUPERVISORD, set_nodaemon, NULL },
	{ "logfile", IN_SUPERVISORD, NULL, NOLOG },
	{ "logfile_maxbytes", IN_SUPERVISORD, NULL, NOLOG },
	{ "logfile_backups", IN_SUPERVISORD, NULL, NOLOG },
	{ "minfds", IN_SUPERVISORD, NULL, "set limit_nofile on the jobs" },
	{ "minprocs", IN_SUPERVISORD, NULL, "set limit_nproc on the jobs" },
	{ "user", IN_SUPERVISORD, NULL, "drover does not change its own user" },
	{ "umask", IN_SUPERVISORD, NULL, "set umask on the jobs" },
	{ "childlogdir", IN_SUPERVISORD, NULL,
	    "AUTO output goes to drover's log" },
	{ "directory", IN_SUPERVISORD, NULL,
	    "drover does not change its working directory" },
	{ "identifier", IN_SUPERVISORD, NULL, NOSUP },
	{ "nocleanup", IN_SUPERVISORD, NULL, NOSUP },
	{ "silent", IN_SUPERVISORD, NULL, NOSUP },
	{ "strip_ansi", IN_SUPERVISORD, NULL,
	    "drover escapes control characters in its log" },
};
#define NDRKEYS	(sizeof(drkeys) / sizeof(drkeys[0]))

static const char *const group_keys[] = {
	"programs", "jobs", "max_concurrent", "priority", NULL
};
static const char *const include_keys[] = { "files", NULL };

static const struct drkey *
drkey_find(enum sect_type st, const char *key)
{
	unsigned	in = st == ST_DROVER ? IN_DROVER : IN_SUPERVISORD;
	size_t		i;

	for (i = 0; i < NDRKEYS; i++) {
		if ((drkeys[i].in & in) && strcmp(drkeys[i].name, key) == 0)
			return &drkeys[i];
	}
	return NULL;
}

/* Whether key may appear in a section of type st (see enum key_verdict);
 * *why says why not, for KV_WARN and KV_ERROR. */
enum key_verdict
keys_check(enum sect_type st, const char *key, const char **why)
{
	const struct drkey	*d;
	size_t			 i;

	switch (st) {
	case ST_DROVER:
	case ST_SUPERVISORD:
		if ((d = drkey_find(st, key)) == NULL)
			return KV_UNKNOWN;
		if (d->set != NULL)
			return KV_OK;
		*why = d->why;
		return KV_WARN;
	case ST_GROUP:
		if (strcmp(key, "priority") == 0) {
			*why = "a group has no priority of its own (each "
			    "job's priority applies)";
			return KV_WARN;
		}
		for (i = 0; group_keys[i] != NULL; i++) {
			if (strcmp(group_keys[i], key) == 0)
				return KV_OK;
		}
		return KV_UNKNOWN;
	case ST_INCLUDE:
		return strcmp(key, "files") == 0 ? KV_OK : KV_UNKNOWN;
	case ST_SERVICE:
	case ST_TASK:
	case ST_CLEANUP:
	case ST_PROGRAM:
	case ST_LISTENER:
		return job_key_check(st, key, why);
	case ST_UNIX_HTTP:
	case ST_INET_HTTP:
		return http_key_check(st, key);
	case ST_NOTRUN:
	case ST_IGNORED:
		break;
	}
	return KV_OK;
}

/* The closest key of section type st to a misspelt key, or NULL. */
const char *
keys_suggest(enum sect_type st, const char *key)
{
	const char	*cand[NDRKEYS + 1];
	unsigned	 in = st == ST_DROVER ? IN_DROVER : IN_SUPERVISORD;
	size_t		 i, n = 0;

	switch (st) {
	case ST_DROVER:
	case ST_SUPERVISORD:
		for (i = 0; i < NDRKEYS; i++) {
			if (drkeys[i].in & in)
				cand[n++] = drkeys[i].name;
		}
		cand[n] = NULL;
		return value_suggest(key, cand);
	case ST_GROUP:
		return value_suggest(key, group_keys);
	case ST_INCLUDE:
		return value_suggest(key, include_keys);
	case ST_UNIX_HTTP:
	case ST_INET_HTTP:
		return http_key_suggest(st, key);
	default:
		return job_key_suggest(st, key);
	}
}

/* --- [drover] ------------------------------------------------------------ */

static void
set_shutdown_timeout(struct loader *ld, const struct rkey *k, const char *v)
{
	if (value_duration(v, &ld->conf->shutdown_timeout) != 0)
		key_bad_value(ld, k, v, EXPECT_DURATION);
}

static void
set_max_concurrent(struct loader *ld, const struct rkey *k, const char *v)
{
	long	n;

	if (value_int(v, 0, INT_MAX, &n) != 0)
		key_bad_value(ld, k, v, EXPECT_COUNT);
	else
		ld->conf->max_concurrent = (int)n;
}

/* A path (relative to the file), or none for no socket. */
static void
set_socket(struct loader *ld, const struct rkey *k, const char *v)
{
	char	*path;

	if (*v == '\0') {
		key_bad_value(ld, k, v, "a path or none");
		return;
	}
	free(ld->conf->socket);
	ld->conf->socket = NULL;
	if (strcasecmp(v, "none") == 0)
		return;
	path = config_path(k->file, v);
	if (strlen(path) > 107) {
		key_error(ld, k, "path too long for a unix socket (%zu bytes, "
		    "max 107)", strlen(path));
		free(path);
		return;
	}
	ld->conf->socket = path;
}

static void
set_socket_mode(struct loader *ld, const struct rkey *k, const char *v)
{
	int	mode;

	if (value_octal(v, &mode) != 0 || mode > 0777)
		key_bad_value(ld, k, v, "an octal mode like 0660");
	else
		ld->conf->socket_mode = mode;
}

/* A group name or number that must exist on this host. */
static void
set_socket_group(struct loader *ld, const struct rkey *k, const char *v)
{
	struct group	*gr;
	long		 n;

	free(ld->conf->socket_group);
	ld->conf->socket_group = NULL;
	if (*v == '\0' || strcasecmp(v, "none") == 0)
		return;
	if ((gr = getgrnam(v)) == NULL && value_int(v, 0, INT_MAX, &n) == 0)
		gr = getgrgid((gid_t)n);
	if (gr == NULL) {
		key_error(ld, k, "unknown group '%s'", v);
		return;
	}
	ld->conf->socket_group = xstrdup(v);
	ld->conf->socket_gid = gr->gr_gid;
}

static void
set_log_level(struct loader *ld, const struct rkey *k, const char *v)
{
	if (log_level_parse(v, &ld->conf->log_level) != 0)
		key_bad_value(ld, k, v, "debug, info, notice, warning or error");
}

static void
set_pidfile(struct loader *ld, const struct rkey *k, const char *v)
{
	if (*v == '\0') {
		key_bad_value(ld, k, v, "a path");
		return;
	}
	free(ld->conf->pidfile);
	ld->conf->pidfile = config_path(k->file, v);
	validate_dir(ld, k, ld->conf->pidfile, NULL);
}

static void
set_state_file(struct loader *ld, const struct rkey *k, const char *v)
{
	if (*v == '\0') {
		key_bad_value(ld, k, v, "a path, or none");
		return;
	}
	free(ld->conf->state_file);
	ld->conf->state_file = NULL;
	ld->conf->state_file_none = strcmp(v, "none") == 0;
	if (ld->conf->state_file_none)
		return;
	ld->conf->state_file = config_path(k->file, v);
	validate_dir(ld, k, ld->conf->state_file, NULL);
}

/* Read with the file that holds it (config_read.c). */
static void
set_include(struct loader *ld, const struct rkey *k, const char *v)
{
}

static void
set_environment(struct loader *ld, const struct rkey *k, const char *v)
{
	char	**kv, *err = NULL;

	if (value_env(v, &kv, &err) != 0) {
		key_error(ld, k, "%s", err);
		free(err);
		return;
	}
	strv_free(ld->conf->environment);
	ld->conf->environment = kv;
}

/* A key another pass reads (http_* in config_http.c). */
static void
set_later(struct loader *ld, const struct rkey *k, const char *v)
{
	(void)ld;
	(void)k;
	(void)v;
}

static void
set_nodaemon(struct loader *ld, const struct rkey *k, const char *v)
{
	bool	b;

	if (value_bool(v, &b) != 0)
		key_bad_value(ld, k, v, EXPECT_BOOL);
	else if (!b)
		key_warn(ld, k, "drover never daemonizes; ignored");
}

/* [supervisord] first, so that [drover] wins where both set a key. */
void
keys_build_drover(struct loader *ld)
{
	const struct drkey	*d;
	const struct rsect	*s;
	const struct rkey	*k;
	char			*v;
	int			 pass, i, j;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ld->nsects; i++) {
			s = ld->sects[i];
			if (s->type != (pass == 0 ? ST_SUPERVISORD : ST_DROVER))
				continue;
			for (j = 0; j < s->nkeys; j++) {
				k = &s->keys[j];
				if ((d = drkey_find(s->type, k->key)) == NULL ||
				    d->set == NULL || d->set == set_include)
					continue;
				if (config_interpolate(ld, k, NULL, NULL, -1, 0,
				    &v) != 0)
					continue;
				d->set(ld, k, v);
				free(v);
			}
		}
	}
}

/* --- [group:x] ----------------------------------------------------------- */

/* programs = (supervisord) or jobs = (drover), not both. */
static void
group_members(struct loader *ld, const struct rsect *s,
    struct group_config *g)
{
	const struct rkey	*kp = sect_key(s, "programs");
	const struct rkey	*kj = sect_key(s, "jobs"), *k;
	char			*v;

	if (kp != NULL && kj != NULL)
		key_error(ld, kj, "give either programs or jobs, not both");
	if ((k = kj != NULL ? kj : kp) == NULL) {
		diag_error(ld->diag, s->file->path, s->line, "[%s] lists no "
		    "jobs (programs = a, b)", s->header);
		return;
	}
	if (config_interpolate(ld, k, NULL, NULL, -1, 0, &v) != 0)
		return;
	strv_free(g->jobs);
	value_list(v, &g->jobs);
	if (g->jobs[0] == NULL)
		key_error(ld, k, "lists no jobs");
	free(v);
}

/* Groups are built before jobs: a job's %(group_name)s needs them. */
void
keys_build_groups(struct loader *ld)
{
	struct group_config	*g;
	const struct rsect	*s;
	const struct rkey	*k;
	char			*v;
	long			 n;
	int			 i;

	for (i = 0; i < ld->nsects; i++) {
		if ((s = ld->sects[i])->type != ST_GROUP)
			continue;
		g = xcalloc(1, sizeof(*g));
		g->name = xstrdup(s->name);
		g->file = xstrdup(s->file->path);
		g->line = s->line;
		g->jobs = strv_new();
		group_members(ld, s, g);
		if ((k = sect_key(s, "max_concurrent")) != NULL &&
		    config_interpolate(ld, k, NULL, NULL, -1, 0, &v) == 0) {
			if (value_int(v, 0, INT_MAX, &n) != 0)
				key_bad_value(ld, k, v, EXPECT_COUNT);
			else
				g->max_concurrent = (int)n;
			free(v);
		}
		ld->conf->groups = xreallocarray(ld->conf->groups,
		    (size_t)ld->conf->ngroups + 1, sizeof(*ld->conf->groups));
		ld->groupsects = xreallocarray(ld->groupsects,
		    (size_t)ld->conf->ngroups + 1, sizeof(*ld->groupsects));
		ld->groupsects[ld->conf->ngroups] = s;
		ld->conf->groups[ld->conf->ngroups++] = g;
	}
}

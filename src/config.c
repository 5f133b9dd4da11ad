/*
 * config.c: config_load() and the public configuration API.
 *
 * config_load() runs the phases described in config_int.h over a private
 * struct loader; this file also holds what the phases share: sections and
 * keys as read (merged the supervisord way, or refused the drover way),
 * %(name)s interpolation, and diagnostics.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

#ifndef DROVER_RUNSTATEDIR
#define DROVER_RUNSTATEDIR "/run"
#endif

#define EXCERPT_MAX	60	/* bytes of a bad value shown in an error */

static const struct secttype {
	const char	*type;
	enum sect_type	 st;
	bool		 named;
	const char	*why;		/* ST_IGNORED, ST_NOTRUN */
} secttypes[] = {
	{ "drover", ST_DROVER, false, NULL },
	{ "supervisord", ST_SUPERVISORD, false, NULL },
	{ "service", ST_SERVICE, true, NULL },
	{ "task", ST_TASK, true, NULL },
	{ "cleanup", ST_CLEANUP, true, NULL },
	{ "program", ST_PROGRAM, true, NULL },
	{ "group", ST_GROUP, true, NULL },
	{ "include", ST_INCLUDE, false, NULL },
	{ "eventlistener", ST_NOTRUN, true,
	    "event listeners are not supported" },
	{ "fcgi-program", ST_NOTRUN, true,
	    "FastCGI programs are not supported" },
	{ "unix_http_server", ST_IGNORED, false,
	    "drover's control socket is [drover] socket" },
	{ "inet_http_server", ST_IGNORED, false, "drover has no HTTP server" },
	{ "supervisorctl", ST_IGNORED, false, "use droverctl" },
	{ "rpcinterface", ST_IGNORED, true, "drover has no XML-RPC interface" },
	{ "ctlplugin", ST_IGNORED, true, "drover has no supervisorctl plugins" },
};
#define NSECTTYPES	(sizeof(secttypes) / sizeof(secttypes[0]))

/* --- diagnostics --------------------------------------------------------- */

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_free(struct diag *d)
{
	strv_free(d->errors);
	strv_free(d->warnings);
	memset(d, 0, sizeof(*d));
}

static char	*xvprintf(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));
static char	*diag_format(const char *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* vasprintf() without _GNU_SOURCE. */
static char *
xvprintf(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatalx("vsnprintf: bad format");
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

/* "FILE:LINE: msg", "FILE: msg" without a line, "msg" without a file. */
static char *
diag_format(const char *file, int line, const char *fmt, va_list ap)
{
	char	*msg = xvprintf(fmt, ap), *s;

	if (file == NULL)
		return msg;
	s = line > 0 ? xprintf("%s:%d: %s", file, line, msg) :
	    xprintf("%s: %s", file, msg);
	free(msg);
	return s;
}

void
diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	strv_append(&d->errors, (size_t)d->nerrors,
	    diag_format(file, line, fmt, ap));
	va_end(ap);
	d->nerrors++;
}

void
diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	strv_append(&d->warnings, (size_t)d->nwarnings,
	    diag_format(file, line, fmt, ap));
	va_end(ap);
	d->nwarnings++;
}

/* Warnings first, so the errors are what is left on the screen. */
void
diag_print(const struct diag *d, FILE *fp)
{
	int	i;

	for (i = 0; i < d->nwarnings; i++)
		fprintf(fp, "warning: %s\n", d->warnings[i]);
	for (i = 0; i < d->nerrors; i++)
		fprintf(fp, "error: %s\n", d->errors[i]);
}

void
key_error(struct loader *ld, const struct rkey *k, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	diag_error(ld->diag, k->file->path, k->line, "%s: %s", k->key, msg);
	free(msg);
}

void
key_warn(struct loader *ld, const struct rkey *k, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	diag_warn(ld->diag, k->file->path, k->line, "%s: %s", k->key, msg);
	free(msg);
}

/* "startsecs: invalid value '5x' (expected a duration like 30s)". */
void
key_bad_value(struct loader *ld, const struct rkey *k, const char *value,
    const char *expected)
{
	size_t	n = strlen(value);

	key_error(ld, k, "invalid value '%.*s%s' (expected %s)",
	    n > EXCERPT_MAX ? EXCERPT_MAX : (int)n, value,
	    n > EXCERPT_MAX ? "..." : "", expected);
}

/* --- sections and keys as read ------------------------------------------- */

/* "line 7" within the same file, "other.conf:7" across files. */
static char *
where(const struct cfile *here, const struct cfile *f, int line)
{
	if (here == f)
		return xprintf("line %d", line);
	return xprintf("%s:%d", f->path, line);
}

/* drover's own sections refuse what supervisord's would merge or ignore. */
bool
sect_is_own(enum sect_type st)
{
	return st == ST_DROVER || st == ST_SERVICE || st == ST_TASK ||
	    st == ST_CLEANUP || st == ST_GROUP;
}

/* "unknown section [servce:web]; did you mean [service:web]?" */
static void
sect_unknown(struct loader *ld, struct cfile *f, int line, const char *type,
    const char *name)
{
	const char	*cand[NSECTTYPES + 1], *s;
	size_t		 i, n = 0;

	for (i = 0; i < NSECTTYPES; i++) {
		if (secttypes[i].named == (name != NULL))
			cand[n++] = secttypes[i].type;
	}
	cand[n] = NULL;
	if ((s = value_suggest(type, cand)) == NULL)
		diag_error(ld->diag, f->path, line, "unknown section [%s%s%s]",
		    type, name != NULL ? ":" : "", name != NULL ? name : "");
	else
		diag_error(ld->diag, f->path, line, "unknown section [%s%s%s]; "
		    "did you mean [%s%s%s]?", type, name != NULL ? ":" : "",
		    name != NULL ? name : "", s, name != NULL ? ":" : "",
		    name != NULL ? name : "");
}

/* The section type of a header, or NULL after reporting why not. */
static const struct secttype *
sect_classify(struct loader *ld, struct cfile *f, int line, char *header,
    char **namep)
{
	char	*colon, *name = NULL, *why;
	size_t	 i;

	if ((colon = strchr(header, ':')) != NULL) {
		*colon = '\0';
		name = colon + 1;
		name += strspn(name, " \t");
	}
	*namep = name;
	for (i = 0; i < NSECTTYPES; i++) {
		if (strcmp(secttypes[i].type, header) == 0)
			break;
	}
	if (i == NSECTTYPES) {
		sect_unknown(ld, f, line, header, name);
		return NULL;
	}
	if (secttypes[i].named && (name == NULL || *name == '\0')) {
		diag_error(ld->diag, f->path, line, "section [%s] needs a "
		    "name: [%s:NAME]", header, header);
		return NULL;
	}
	if (!secttypes[i].named && name != NULL) {
		diag_error(ld->diag, f->path, line, "section [%s] takes no "
		    "name", header);
		return NULL;
	}
	if (secttypes[i].named && secttypes[i].st != ST_IGNORED &&
	    secttypes[i].st != ST_NOTRUN && validate_name(name, &why) != 0) {
		diag_error(ld->diag, f->path, line, "[%s:%s]: invalid name: %s",
		    header, name, why);
		free(why);
		return NULL;
	}
	return &secttypes[i];
}

/* The earlier section of this header; an [include] merges per file. */
static struct rsect *
sect_find(struct loader *ld, enum sect_type st, const char *header,
    const struct cfile *f)
{
	int	i;

	if (st == ST_INCLUDE)
		return f->incl;
	if ((i = names_find(ld->sectnames, header)) == -1)
		return NULL;
	return ld->sects[i];
}

/*
 * Opens the section a header names: a new one, or the earlier one of the
 * same name where supervisord merges them.  NULL when its keys are to be
 * dropped: a bad header, a repeated drover section, or a section drover
 * does not use (after a warning).
 */
struct rsect *
sect_open(struct loader *ld, struct cfile *f, int line, const char *text)
{
	const struct secttype	*t;
	struct rsect		*s;
	char			*copy = xstrdup(text), *name, *header, *at;

	if ((t = sect_classify(ld, f, line, copy, &name)) == NULL) {
		free(copy);
		return NULL;
	}
	header = name != NULL ? xprintf("%s:%s", t->type, name) :
	    xstrdup(t->type);
	if (t->st == ST_IGNORED || t->st == ST_NOTRUN) {
		diag_warn(ld->diag, f->path, line, "[%s] is not used by drover "
		    "(%s)%s", header, t->why, t->st == ST_NOTRUN ?
		    "; its jobs will not be started" : "");
		if (t->st == ST_NOTRUN)
			names_add(ld->notrun, name, 0);
		free(header);
		free(copy);
		return NULL;
	}
	if ((s = sect_find(ld, t->st, header, f)) != NULL) {
		at = where(f, s->file, s->line);
		if (sect_is_own(t->st)) {
			diag_error(ld->diag, f->path, line, "duplicate section "
			    "[%s] (first at %s)", header, at);
			s = NULL;
		} else {
			diag_warn(ld->diag, f->path, line, "[%s] repeated "
			    "(first at %s); merged, the last value of a key "
			    "wins", header, at);
			s->occ++;
		}
		free(at);
		free(header);
		free(copy);
		return s;
	}
	s = xcalloc(1, sizeof(*s));
	s->type = t->st;
	s->header = header;
	s->name = name != NULL ? xstrdup(name) : NULL;
	s->file = f;
	s->line = line;
	ld->sects = xreallocarray(ld->sects, (size_t)ld->nsects + 1,
	    sizeof(*ld->sects));
	ld->sects[ld->nsects++] = s;
	if (s->type == ST_INCLUDE)
		f->incl = s;
	else
		names_add(ld->sectnames, s->header, ld->nsects - 1);
	if (s->type == ST_INCLUDE || s->type == ST_DROVER ||
	    s->type == ST_SUPERVISORD) {
		ld->inclsects = xreallocarray(ld->inclsects,
		    (size_t)ld->ninclsects + 1, sizeof(*ld->inclsects));
		ld->inclsects[ld->ninclsects++] = s;
	}
	free(copy);
	return s;
}

static int
sect_key_index(const struct rsect *s, const char *key)
{
	int	i;

	for (i = 0; i < s->nkeys; i++) {
		if (strcmp(s->keys[i].key, key) == 0)
			return i;
	}
	return -1;
}

const struct rkey *
sect_key(const struct rsect *s, const char *key)
{
	int	i = sect_key_index(s, key);

	return i == -1 ? NULL : &s->keys[i];
}

/* An unknown key: an error in drover's sections, a warning in supervisord's
 * (which ignores it), with a suggestion either way. */
static void
key_unknown(struct loader *ld, struct rsect *s, struct cfile *f, int line,
    const char *key)
{
	const char	*sug = keys_suggest(s->type, key);
	char		*hint;

	hint = sug != NULL ? xprintf("; did you mean '%s'?", sug) : xstrdup("");
	if (sect_is_own(s->type))
		diag_error(ld->diag, f->path, line, "unknown key '%s' in "
		    "[%s]%s", key, s->header, hint);
	else
		diag_warn(ld->diag, f->path, line, "unknown key '%s' in "
		    "[%s] (ignored)%s", key, s->header, hint);
	free(hint);
}

/* Records key = value in s; NULL if the key is refused or ignored. */
struct rkey *
sect_add_key(struct loader *ld, struct rsect *s, struct cfile *f, int line,
    const char *key, const char *value)
{
	struct rkey	*k;
	const char	*why = NULL;
	char		*at;
	int		 i;

	switch (keys_check(s->type, key, &why)) {
	case KV_UNKNOWN:
		key_unknown(ld, s, f, line, key);
		return NULL;
	case KV_WARN:
		diag_warn(ld->diag, f->path, line, "%s: %s; ignored", key, why);
		return NULL;
	case KV_ERROR:
		diag_error(ld->diag, f->path, line, "%s: %s", key, why);
		return NULL;
	case KV_OK:
		break;
	}
	if ((i = sect_key_index(s, key)) != -1) {
		k = &s->keys[i];
		at = where(f, k->file, k->line);
		if (sect_is_own(s->type))
			diag_error(ld->diag, f->path, line, "duplicate key '%s' "
			    "(first at %s)", key, at);
		else if (k->occ == s->occ)
			diag_warn(ld->diag, f->path, line, "%s repeated (first "
			    "at %s); the last value wins", key, at);
		free(at);
		if (sect_is_own(s->type))
			return NULL;
		free(k->value);
		k->value = xstrdup(value);
		k->file = f;
		k->line = line;
		k->occ = s->occ;
		return k;
	}
	s->keys = xreallocarray(s->keys, (size_t)s->nkeys + 1,
	    sizeof(*s->keys));
	k = &s->keys[s->nkeys++];
	k->key = xstrdup(key);
	k->value = xstrdup(value);
	k->file = f;
	k->line = line;
	k->occ = s->occ;
	return k;
}

/* A path from the configuration: relative ones start at the file's
 * directory, not at drover's working directory. */
char *
config_path(const struct cfile *f, const char *path)
{
	if (*path == '/')
		return xstrdup(path);
	if (strcmp(f->dir, "/") == 0)
		return xprintf("/%s", path);
	return xprintf("%s/%s", f->dir, path);
}

/* --- interpolation ------------------------------------------------------- */

struct interp {
	struct loader		*ld;
	const struct rkey	*k;
	const char		*program;
	const char		*group;
	bool			 has_num;
	char			 num[24];
	char			 numprocs[24];
	char			*missing_env;	/* name is freed after lookup */
	bool			 wants_num;
};

/* value_interpolate()'s lookup: the names supervisord knows. */
static const char *
interp_lookup(const char *name, void *arg)
{
	struct interp	*ip = arg;
	const char	*v;

	if (strcmp(name, "here") == 0)
		return ip->k->file->dir;
	if (strcmp(name, "host_node_name") == 0)
		return ip->ld->nodename;
	if (strcmp(name, "program_name") == 0)
		return ip->program;
	if (strcmp(name, "group_name") == 0)
		return ip->group != NULL ? ip->group : ip->program;
	if (strcmp(name, "process_num") == 0 || strcmp(name, "numprocs") == 0) {
		ip->wants_num = !ip->has_num;
		if (!ip->has_num)
			return NULL;
		return strcmp(name, "numprocs") == 0 ? ip->numprocs : ip->num;
	}
	if (strncmp(name, "ENV_", 4) == 0) {
		if ((v = getenv(name + 4)) == NULL && ip->missing_env == NULL)
			ip->missing_env = xstrdup(name + 4);
		return v;
	}
	return NULL;
}

/*
 * Expands %(name)s in k's value.  program and group are NULL outside job
 * sections; num < 0 where there is no instance (anything but the keys
 * expanded per instance).  Reports an error and returns -1 on failure.
 */
int
config_interpolate(struct loader *ld, const struct rkey *k,
    const char *program, const char *group, int num, int numprocs,
    char **out)
{
	struct interp	 ip;
	char		*err = NULL;

	memset(&ip, 0, sizeof(ip));
	ip.ld = ld;
	ip.k = k;
	ip.program = program;
	ip.group = group;
	if ((ip.has_num = num >= 0)) {
		snprintf(ip.num, sizeof(ip.num), "%d", num);
		snprintf(ip.numprocs, sizeof(ip.numprocs), "%d", numprocs);
	}
	if (strchr(k->value, '%') == NULL) {
		*out = xstrdup(k->value);
		return 0;
	}
	if (value_interpolate(k->value, interp_lookup, &ip, out, &err) == 0) {
		free(ip.missing_env);
		return 0;
	}
	if (ip.missing_env != NULL)
		key_error(ld, k, "environment variable %s is not set "
		    "(%%(ENV_%s)s)", ip.missing_env, ip.missing_env);
	else if (ip.wants_num)
		key_error(ld, k, "%%(process_num) and %%(numprocs) are only "
		    "known in command, process_name, directory, environment "
		    "and the output keys");
	else
		key_error(ld, k, "%s", err != NULL ? err : "bad interpolation");
	free(ip.missing_env);
	free(err);
	return -1;
}

/* --- loading ------------------------------------------------------------- */

/* Everything but the config, which config_load() hands out or frees. */
static void
loader_free(struct loader *ld)
{
	struct rsect	*s;
	int		 i, j;

	for (i = 0; i < ld->nsects; i++) {
		s = ld->sects[i];
		for (j = 0; j < s->nkeys; j++) {
			free(s->keys[j].key);
			free(s->keys[j].value);
		}
		free(s->keys);
		free(s->header);
		free(s->name);
		free(s);
	}
	free(ld->sects);
	for (i = 0; i < ld->nfiles; i++) {
		free(ld->files[i]->path);
		free(ld->files[i]->dir);
		free(ld->files[i]);
	}
	free(ld->files);
	free(ld->chain);
	free(ld->nodename);
	free(ld->meta);
	free(ld->groupsects);
	free(ld->inclsects);
	names_free(ld->notrun);
	names_free(ld->sectnames);
	names_free(ld->jobnames);
}

static struct config *
config_new(const char *path, const struct config_env *env)
{
	struct config	*conf = xcalloc(1, sizeof(*conf));

	conf->path = xstrdup(path);
	conf->shutdown_timeout = 30 * 1000;
	conf->socket = env->default_socket != NULL ?
	    xstrdup(env->default_socket) : NULL;
	conf->socket_mode = 0600;
	conf->log_level = -1;
	return conf;
}

/* Reads, builds, validates; see config_int.h for the phases. */
struct config *
config_load(const char *path, const struct config_env *env,
    struct diag *diag)
{
	struct config_env	 defenv;
	struct loader		 ld;
	struct utsname		 u;
	struct config		*conf;
	int			 nerrors0 = diag->nerrors;

	if (env == NULL) {
		config_env_default(&defenv);
		env = &defenv;
	}
	memset(&ld, 0, sizeof(ld));
	ld.env = env;
	ld.diag = diag;
	ld.conf = conf = config_new(path, env);
	ld.nodename = xstrdup(uname(&u) == 0 ? u.nodename : "localhost");
	ld.notrun = names_new(true);
	ld.sectnames = names_new(false);
	ld.jobnames = names_new(false);

	read_main(&ld, path);
	keys_build_drover(&ld);
	keys_build_groups(&ld);
	job_build_all(&ld);
	validate_all(&ld);
	if (conf->njobs == 0 && diag->nerrors == nerrors0)
		diag_warn(diag, path, 0, "no jobs defined");
	loader_free(&ld);
	if (diag->nerrors > nerrors0) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

/* NULL is fine, as for free(). */
void
config_free(struct config *conf)
{
	int	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->njobs; i++)
		job_config_free(conf->jobs[i]);
	free(conf->jobs);
	for (i = 0; i < conf->ngroups; i++) {
		free(conf->groups[i]->name);
		strv_free(conf->groups[i]->jobs);
		free(conf->groups[i]->file);
		free(conf->groups[i]);
	}
	free(conf->groups);
	free(conf->path);
	free(conf->socket);
	free(conf->socket_group);
	free(conf->pidfile);
	strv_free(conf->environment);
	free(conf);
}

/*
 * The default socket depends on who runs drover.  The non-root path is
 * built at run time, so it lives in a static buffer: set once at start-up,
 * never changed after (the one piece of file-static state here).
 */
void
config_env_default(struct config_env *env)
{
	static char	 buf[108];
	const char	*xdg = getenv("XDG_RUNTIME_DIR");
	int		 n;

	memset(env, 0, sizeof(*env));
	env->is_root = geteuid() == 0;
	if (env->is_root) {
		env->default_socket = DROVER_RUNSTATEDIR "/drover.sock";
		return;
	}
	n = -1;
	if (xdg != NULL && *xdg == '/')
		n = snprintf(buf, sizeof(buf), "%s/drover.sock", xdg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		snprintf(buf, sizeof(buf), "/tmp/drover-%u.sock",
		    (unsigned)geteuid());
	env->default_socket = buf;
}

/* --- queries ------------------------------------------------------------- */

const char *
job_kind_name(enum job_kind kind)
{
	switch (kind) {
	case JOB_SERVICE:
		return "service";
	case JOB_TASK:
		return "task";
	case JOB_CLEANUP:
		return "cleanup";
	}
	return "?";
}

struct job_config *
config_find_job(const struct config *conf, const char *name)
{
	int	i;

	for (i = 0; i < conf->njobs; i++) {
		if (strcmp(conf->jobs[i]->name, name) == 0)
			return conf->jobs[i];
	}
	return NULL;
}

struct group_config *
config_find_group(const struct config *conf, const char *name)
{
	int	i;

	for (i = 0; i < conf->ngroups; i++) {
		if (strcmp(conf->groups[i]->name, name) == 0)
			return conf->groups[i];
	}
	return NULL;
}

bool
job_exitcode_expected(const struct job_config *job, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (job->exitcodes[code / 8] & (1u << (code % 8))) != 0;
}

/* Appends word to the summary line, quoted for sh if it needs it. */
static void
summary_word(FILE *fp, const char *w)
{
	const char	*p;

	if (*w != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789_@%+=:,./-") == strlen(w)) {
		fputs(w, fp);
		return;
	}
	fputc('\'', fp);
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", fp);
		else
			fputc(*p, fp);
	}
	fputc('\'', fp);
}

/* `drover -t`: "web  service  x1  /usr/sbin/nginx -g 'daemon off;'". */
void
config_summary(const struct config *conf, FILE *fp)
{
	const struct job_config	*job;
	char			 count[16];
	int			 i, j, wname = 4, wcount = 2, n;

	for (i = 0; i < conf->njobs; i++) {
		if ((n = (int)strlen(conf->jobs[i]->name)) > wname)
			wname = n;
		n = snprintf(count, sizeof(count), "x%d",
		    conf->jobs[i]->nprocs);
		if (n > wcount)
			wcount = n;
	}
	for (i = 0; i < conf->njobs; i++) {
		job = conf->jobs[i];
		snprintf(count, sizeof(count), "x%d", job->nprocs);
		fprintf(fp, "%-*s  %-7s  %-*s ", wname, job->name,
		    job_kind_name(job->kind), wcount, count);
		for (j = 0; job->nprocs > 0 && job->procs[0].argv != NULL &&
		    job->procs[0].argv[j] != NULL; j++) {
			fputc(' ', fp);
			summary_word(fp, job->procs[0].argv[j]);
		}
		fputc('\n', fp);
	}
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
sink_eq(const struct sink *a, const struct sink *b)
{
	return a->kind == b->kind && str_eq(a->path, b->path) &&
	    a->maxbytes == b->maxbytes && a->backups == b->backups;
}

static bool
limit_eq(const struct job_limit *a, const struct job_limit *b)
{
	return a->set == b->set && (!a->set || a->value == b->value);
}

static bool
proc_eq(const struct proc_config *a, const struct proc_config *b)
{
	return str_eq(a->name, b->name) && a->num == b->num &&
	    strv_eq(a->argv, b->argv) && strv_eq(a->env, b->env) &&
	    str_eq(a->directory, b->directory) && sink_eq(&a->out, &b->out) &&
	    sink_eq(&a->err, &b->err) &&
	    a->redirect_stderr == b->redirect_stderr;
}

/* What the process is started with; see config.h.  ready counts because
 * ready = notify changes the child's environment (NOTIFY_SOCKET), and a
 * supervisord program's group is in its SUPERVISOR_GROUP_NAME. */
bool
job_config_needs_restart(const struct job_config *a,
    const struct job_config *b)
{
	int	i;

	if (a->kind != b->kind || a->compat != b->compat ||
	    a->nprocs != b->nprocs || !str_eq(a->user, b->user) ||
	    a->uid != b->uid || a->gid != b->gid || a->umask != b->umask ||
	    a->clean_environment != b->clean_environment ||
	    a->ready != b->ready ||
	    !limit_eq(&a->limit_nofile, &b->limit_nofile) ||
	    !limit_eq(&a->limit_core, &b->limit_core) ||
	    !limit_eq(&a->limit_nproc, &b->limit_nproc) ||
	    !limit_eq(&a->limit_as, &b->limit_as))
		return true;
	if (a->compat && !str_eq(a->group, b->group))
		return true;
	for (i = 0; i < a->nprocs; i++) {
		if (!proc_eq(&a->procs[i], &b->procs[i]))
			return true;
	}
	return false;
}

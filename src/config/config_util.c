/*
 * config_util.c: what the configuration loader's phases share, at the
 * bottom of config/ (src/README): diagnostics with FILE:LINE, key errors,
 * key lookup in a section, paths relative to a file, and %(name)s
 * interpolation.  Calls nothing else of the loader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

#define EXCERPT_MAX	60	/* bytes of a bad value shown in an error */

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

int
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

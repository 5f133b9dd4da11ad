/*
 * config_sect.c: sections and keys as read, merged the supervisord way or
 * refused the drover way.  config_read.c opens sections and adds keys
 * here; which keys a section knows is asked of config_keys.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "value.h"
#include "xmalloc.h"


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
	{ "eventlistener", ST_LISTENER, true, NULL },
	{ "fcgi-program", ST_NOTRUN, true,
	    "FastCGI programs are not supported" },
	{ "unix_http_server", ST_UNIX_HTTP, false, NULL },
	{ "inet_http_server", ST_INET_HTTP, false, NULL },
	{ "supervisorctl", ST_IGNORED, false, "use droverctl" },
	{ "rpcinterface", ST_IGNORED, true,
	    "drover's XML-RPC interface is built in" },
	{ "ctlplugin", ST_IGNORED, true, "drover has no supervisorctl plugins" },
};
#define NSECTTYPES	(sizeof(secttypes) / sizeof(secttypes[0]))


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

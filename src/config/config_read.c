/*
 * config_read.c: the line reader in front of inih, and includes.
 *
 * The packaged inih reads a line into a 200-byte buffer and parses the rest
 * of a longer line as a line of its own; it has no line numbers, cuts
 * section and key names at 50 bytes and knows only ';' inline comments.
 * So drover reads each line itself (any length up to CONFIG_MAX_LINE),
 * checks it (NUL bytes, UTF-8), splits it the way supervisord's
 * configparser does (full-line and inline comments, [section], key = value,
 * indented continuation lines) and hands inih a short stand-in line of the
 * same shape: "[s]", "k=v" or ";".  inih calls the handler for each key and
 * the handler takes the real key and value from the reader, so inih never
 * sees a fragment of a line and a long line is read exactly as written.
 * Continuation lines are joined in the reader, which also makes them
 * independent of inih's INI_ALLOW_MULTILINE.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config_int.h"
#include "xmalloc.h"

#define CONFIG_MAX_FILE		(16 * 1024 * 1024)	/* bytes per file */
#define CONFIG_MAX_VALUE	(1024 * 1024)		/* joined value */

enum lex { LX_NONE, LX_SECTION, LX_KEY };

struct reader {
	struct loader	*ld;
	struct cfile	*file;
	FILE		*fp;
	int		 lineno;
	int		 nerrors0;	/* diag->nerrors when the file began */
	size_t		 nread;		/* bytes of the file so far */
	bool		 stop;
	char		*buf;		/* the current line, NUL-terminated */
	size_t		 cap;
	enum lex	 kind;		/* what the stand-in stands for */
	char		*key;		/* into buf, for the handler */
	char		*value;
	struct rsect	*sect;		/* keys go here; NULL: dropped */
	bool		 in_section;	/* a header was seen, even a bad one */
	int		 prev;		/* key that continuation lines extend */
	size_t		 vlen;		/* strlen() of its value */
	size_t		 vcap;		/* bytes allocated for it */
	bool		 skip_cont;	/* drop continuation lines */
	int		 quote;		/* quote left open by the last line */
};

static void	read_file(struct loader *, const char *, FILE *,
		    const struct stat *);

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *
rtrim(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static char *
trim(char *s)
{
	while (is_blank((unsigned char)*s))
		s++;
	return rtrim(s);
}

static void
read_error(struct reader *rd, const char *msg)
{
	diag_error(rd->ld->diag, rd->file->path, rd->lineno, "%s", msg);
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, need;
	uint32_t	cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2, cp = s[i] & 0x0f, min = 0x800;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3, cp = s[i] & 0x07, min = 0x10000;
		} else
			return false;
		if (n - i - 1 < need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/*
 * Reads one line into rd->buf without its newline; keeps at most
 * CONFIG_MAX_LINE + 1 bytes but counts them all into *total.  False at the
 * end of the file, on a read error or past CONFIG_MAX_FILE.
 */
static bool
read_raw(struct reader *rd, size_t *total, size_t *kept)
{
	size_t	n = 0;
	int	c;

	while ((c = getc_unlocked(rd->fp)) != EOF && c != '\n') {
		if (n <= CONFIG_MAX_LINE) {
			if (n + 2 > rd->cap) {
				rd->cap = rd->cap == 0 ? 256 : rd->cap * 2;
				rd->buf = xrealloc(rd->buf, rd->cap);
			}
			rd->buf[n] = (char)c;
		}
		n++;
		if (++rd->nread > CONFIG_MAX_FILE) {
			diag_error(rd->ld->diag, rd->file->path, 0,
			    "file too large (max %d bytes)", CONFIG_MAX_FILE);
			return false;
		}
	}
	if (ferror(rd->fp)) {
		diag_error(rd->ld->diag, rd->file->path, rd->lineno + 1,
		    "read error: %s", strerror(errno));
		return false;
	}
	if (c == EOF && n == 0)
		return false;
	rd->nread++;
	*total = n;
	*kept = n <= CONFIG_MAX_LINE ? n : CONFIG_MAX_LINE + 1;
	if (rd->cap == 0)
		rd->buf = xmalloc(rd->cap = 256);
	rd->buf[*kept] = '\0';
	return true;
}

/*
 * Where an inline comment starts: a ';' or '#' after a blank, as
 * supervisord's configparser has it.  With quotes (command, environment) a
 * comment character inside '...' or "..." does not count, so that
 * bash -c "a ; b" stays whole; *quote carries a quote left open at the end
 * of a line on to the next continuation line.
 */
static char *
comment_start(char *s, bool quotes, int *quote)
{
	char	*p;
	int	 q = quotes ? *quote : 0;

	for (p = s; *p != '\0'; p++) {
		if (q == '\'') {
			if (*p == '\'')
				q = 0;
		} else if (quotes && *p == '\\') {
			if (p[1] != '\0')
				p++;
		} else if (q == '"') {
			if (*p == '"')
				q = 0;
		} else if (quotes && (*p == '\'' || *p == '"'))
			q = *p;
		else if ((*p == ';' || *p == '#') && p > s &&
		    is_blank((unsigned char)p[-1]))
			break;
	}
	if (quotes)
		*quote = q;
	return p;
}

/* Values that are split on quotes later: there quotes hide comments. */
static bool
key_quotes(const char *key)
{
	return strcmp(key, "command") == 0 || strcmp(key, "environment") == 0;
}

/* "[type:name] ; comment": opens the section (or drops its keys). */
static void
lex_section(struct reader *rd, char *p)
{
	char	*close, *header;

	*comment_start(p, false, NULL) = '\0';
	rtrim(p);
	rd->kind = LX_SECTION;
	rd->in_section = true;
	rd->prev = -1;
	rd->skip_cont = false;
	rd->sect = NULL;
	if ((close = strchr(p, ']')) == NULL) {
		read_error(rd, "section header without ']'");
		return;
	}
	if (close[1] != '\0')
		diag_warn(rd->ld->diag, rd->file->path, rd->lineno,
		    "text after ']' ignored");
	*close = '\0';
	header = trim(p + 1);
	rd->sect = sect_open(rd->ld, rd->file, rd->lineno, header);
}

/* "key = value ; comment": the key lowercased, the value trimmed. */
static void
lex_key(struct reader *rd, char *p)
{
	char	*delim, *key, *v, *c;

	delim = p + strcspn(p, "=:");
	c = comment_start(p, false, NULL);
	rd->prev = -1;
	rd->skip_cont = true;
	if (*delim == '\0' || c < delim) {
		read_error(rd, "expected 'key = value', '[section]' or a "
		    "comment");
		return;
	}
	*delim = '\0';
	key = trim(p);
	if (*key == '\0') {
		read_error(rd, "missing key name before '=' or ':'");
		return;
	}
	for (c = key; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	rd->quote = 0;
	v = delim + 1;
	*comment_start(v, key_quotes(key), &rd->quote) = '\0';
	rd->kind = LX_KEY;
	rd->key = key;
	rd->value = trim(v);
}

/*
 * Appends a continuation line with one space.  A line that ends in an odd
 * number of backslashes is continued shell-style: that backslash goes, so
 * a multi-line command written for sh still means what it says.  The
 * value's length and room are kept in rd, and the room doubles: a list
 * written over many lines (a large group) is read in linear time.
 */
static void
lex_continue(struct reader *rd, char *p)
{
	struct rkey	*k = &rd->sect->keys[rd->prev];
	size_t		 n = rd->vlen, more, bs = 0;

	*comment_start(p, key_quotes(k->key), &rd->quote) = '\0';
	if (*(p = rtrim(p)) == '\0')
		return;
	while (bs < n && k->value[n - 1 - bs] == '\\')
		bs++;
	if (bs % 2 == 1) {
		k->value[--n] = '\0';
		rd->vlen = n;
	}
	more = strlen(p);
	if (n + 1 + more > CONFIG_MAX_VALUE) {
		read_error(rd, "value too long (max 1048576 bytes)");
		rd->prev = -1;
		rd->skip_cont = true;
		return;
	}
	if (n + 1 + more + 1 > rd->vcap) {
		rd->vcap = 2 * (n + 1 + more + 1);
		k->value = xrealloc(k->value, rd->vcap);
	}
	if (n > 0)
		k->value[n++] = ' ';
	memcpy(k->value + n, p, more + 1);
	rd->vlen = n + more;
}

/* Splits the line in rd->buf; sets rd->kind for the stand-in. */
static void
lex_line(struct reader *rd, size_t total, size_t kept)
{
	char	*p = rd->buf;
	bool	 indent;

	rd->kind = LX_NONE;
	if (total > CONFIG_MAX_LINE) {
		diag_error(rd->ld->diag, rd->file->path, rd->lineno,
		    "line too long (%zu bytes, max %d)", total, CONFIG_MAX_LINE);
		goto bad;
	}
	if (memchr(p, '\0', kept) != NULL) {
		read_error(rd, "NUL byte in line");
		goto bad;
	}
	if (!utf8_valid((unsigned char *)p, kept)) {
		read_error(rd, "invalid UTF-8");
		goto bad;
	}
	if (rd->lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	indent = *p == ' ' || *p == '\t';
	p = trim(p);
	if (*p == '\0' || *p == ';' || *p == '#')
		return;
	if (indent && rd->prev >= 0)
		lex_continue(rd, p);
	else if (indent && rd->skip_cont)
		return;
	else if (*p == '[')
		lex_section(rd, p);
	else
		lex_key(rd, p);
	return;
bad:
	rd->prev = -1;
	rd->skip_cont = true;
}

/* inih's reader: the next line's stand-in, or NULL at the end. */
static char *
reader_cb(char *str, int num, void *arg)
{
	struct reader	*rd = arg;
	size_t		 total, kept;
	static const char *const standin[] = { ";\n", "[s]\n", "k=v\n" };

	if (rd->stop || num < 8)
		return NULL;
	if (rd->ld->diag->nerrors - rd->nerrors0 >= CONFIG_MAX_ERRORS_PER_FILE) {
		diag_error(rd->ld->diag, rd->file->path, rd->lineno,
		    "too many errors; the rest of the file is skipped");
		rd->stop = true;
		return NULL;
	}
	if (!read_raw(rd, &total, &kept)) {
		rd->stop = true;
		return NULL;
	}
	rd->lineno++;
	lex_line(rd, total, kept);
	snprintf(str, (size_t)num, "%s", standin[rd->kind]);
	return str;
}

/* inih's handler, called for each "k=v" stand-in: the real key is in rd. */
static int
handler_cb(void *arg, const char *section, const char *name,
    const char *value)
{
	struct reader	*rd = arg;
	struct rkey	*k;

	if (rd->kind != LX_KEY)
		return 1;
	if (rd->sect == NULL) {
		if (!rd->in_section)
			read_error(rd, "key outside of any [section]");
		rd->in_section = true;
		return 1;
	}
	k = sect_add_key(rd->ld, rd->sect, rd->file, rd->lineno, rd->key,
	    rd->value);
	if (k != NULL) {
		rd->prev = (int)(k - rd->sect->keys);
		rd->vlen = strlen(k->value);
		rd->vcap = rd->vlen + 1;
		rd->skip_cont = false;
	}
	return 1;
}

/* Runs inih over one open file, through reader_cb and handler_cb. */
static void
read_stream(struct loader *ld, struct cfile *f, FILE *fp)
{
	struct reader	rd;
	int		ret;

	memset(&rd, 0, sizeof(rd));
	rd.ld = ld;
	rd.file = f;
	rd.fp = fp;
	rd.prev = -1;
	rd.nerrors0 = ld->diag->nerrors;
	ret = ini_parse_stream(reader_cb, &rd, handler_cb, &rd);
	if (ret != 0 && ld->diag->nerrors == rd.nerrors0)
		diag_error(ld->diag, f->path, ret,
		    "internal error: inih rejected a stand-in line");
	free(rd.buf);
}

/* The absolute directory of path: what %(here)s expands to. */
static char *
path_dir(const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		 cwd[PATH_MAX], *dir;

	if (slash == path)
		return xstrdup("/");
	dir = slash == NULL ? xstrdup(".") :
	    xstrndup(path, (size_t)(slash - path));
	if (*dir == '/')
		return dir;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		return dir;
	}
	free(dir);
	if (slash == NULL)
		return xstrdup(cwd);
	dir = xprintf("%s/%.*s", strcmp(cwd, "/") == 0 ? "" : cwd,
	    (int)(slash - path), path);
	return dir;
}

static struct cfile *
cfile_add(struct loader *ld, const char *path, const struct stat *st)
{
	struct cfile	*f = xcalloc(1, sizeof(*f));

	f->path = xstrdup(path);
	f->dir = path_dir(path);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	ld->files = xreallocarray(ld->files, (size_t)ld->nfiles + 1,
	    sizeof(*ld->files));
	ld->files[ld->nfiles++] = f;
	return f;
}

/* The include values a file gave, copied: reading them changes ld. */
struct incl {
	char	*value;
	char	*key;
	int	 line;
};

/* This file's include = ([drover], [supervisord]) and [include] files =. */
static void
incl_collect(struct loader *ld, struct cfile *f, struct incl **v, int *n)
{
	const struct rsect	*s;
	const struct rkey	*k;
	int			 i;

	for (i = 0; i < ld->ninclsects; i++) {
		s = ld->inclsects[i];
		k = NULL;
		if (s->type == ST_DROVER || s->type == ST_SUPERVISORD)
			k = sect_key(s, "include");
		else if (s->type == ST_INCLUDE && s->file == f) {
			if ((k = sect_key(s, "files")) == NULL)
				diag_error(ld->diag, f->path, s->line,
				    "[include] has no 'files' key");
		}
		if (k == NULL || k->file != f)
			continue;
		*v = xreallocarray(*v, (size_t)*n + 1, sizeof(**v));
		(*v)[*n].value = xstrdup(k->value);
		(*v)[*n].key = xstrdup(k->key);
		(*v)[(*n)++].line = k->line;
	}
}

/* "a.conf -> b.conf -> a.conf", for the cycle error. */
static char *
chain_text(struct loader *ld, const char *last)
{
	char	*s = xstrdup(""), *t;
	int	 i;

	for (i = 0; i < ld->depth; i++) {
		t = xprintf("%s%s -> ", s, ld->chain[i]->path);
		free(s);
		s = t;
	}
	t = xprintf("%s%s", s, last);
	free(s);
	return t;
}

/* True if the file is being read (a cycle, an error) or was read before
 * (a warning); either way it is not read again. */
static bool
incl_known(struct loader *ld, struct cfile *from, const struct incl *in,
    const char *path, const struct stat *st)
{
	char	*cyc;
	int	 i;

	for (i = 0; i < ld->depth; i++) {
		if (ld->chain[i]->dev == st->st_dev &&
		    ld->chain[i]->ino == st->st_ino) {
			cyc = chain_text(ld, path);
			diag_error(ld->diag, from->path, in->line,
			    "%s: include cycle: %s", in->key, cyc);
			free(cyc);
			return true;
		}
	}
	for (i = 0; i < ld->nfiles; i++) {
		if (ld->files[i]->dev == st->st_dev &&
		    ld->files[i]->ino == st->st_ino) {
			diag_warn(ld->diag, from->path, in->line,
			    "%s: %s was already read; skipped", in->key, path);
			return true;
		}
	}
	return false;
}

/* Opens one included file: regular files only, never twice, no cycles. */
static void
incl_open(struct loader *ld, struct cfile *from, const struct incl *in,
    const char *path, bool globbed)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		diag_error(ld->diag, from->path, in->line,
		    "%s: cannot open %s: %s", in->key, path, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		if (globbed && S_ISDIR(st.st_mode))
			diag_warn(ld->diag, from->path, in->line,
			    "%s: %s is a directory; skipped", in->key, path);
		else
			diag_error(ld->diag, from->path, in->line,
			    "%s: %s is not a regular file", in->key, path);
		close(fd);
		return;
	}
	if (incl_known(ld, from, in, path, &st)) {
		close(fd);
		return;
	}
	if (ld->depth >= CONFIG_MAX_INCLUDE_DEPTH ||
	    ld->nfiles >= CONFIG_MAX_FILES) {
		diag_error(ld->diag, from->path, in->line, ld->nfiles >=
		    CONFIG_MAX_FILES ? "%s: more than %d files to read" :
		    "%s: includes nested more than %d deep", in->key,
		    ld->nfiles >= CONFIG_MAX_FILES ? CONFIG_MAX_FILES :
		    CONFIG_MAX_INCLUDE_DEPTH);
		close(fd);
		return;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		diag_error(ld->diag, from->path, in->line, "%s: %s: %s",
		    in->key, path, strerror(errno));
		close(fd);
		return;
	}
	read_file(ld, path, fp, &st);
	fclose(fp);
}

/* A relative include is relative to the directory of the including file,
 * as written (so messages keep the user's relative paths). */
static char *
incl_path(const struct cfile *from, const char *pattern)
{
	const char	*slash = strrchr(from->path, '/');

	if (*pattern == '/' || slash == NULL)
		return xstrdup(pattern);
	return xprintf("%.*s/%s", (int)(slash - from->path), from->path,
	    pattern);
}

/* One pattern: a glob with no match is only a warning (as supervisord),
 * a literal path that cannot be read is an error. */
static void
incl_pattern(struct loader *ld, struct cfile *from, const struct incl *in,
    const char *pattern)
{
	glob_t	 g;
	char	*path = incl_path(from, pattern);
	size_t	 i;
	int	 ret;

	if (strpbrk(pattern, "*?[") == NULL) {
		incl_open(ld, from, in, path, false);
		free(path);
		return;
	}
	memset(&g, 0, sizeof(g));
	if ((ret = glob(path, 0, NULL, &g)) == GLOB_NOMATCH)
		diag_warn(ld->diag, from->path, in->line,
		    "%s: no file matches %s", in->key, path);
	else if (ret != 0)
		diag_error(ld->diag, from->path, in->line,
		    "%s: cannot expand %s", in->key, path);
	for (i = 0; ret == 0 && i < g.gl_pathc; i++)
		incl_open(ld, from, in, g.gl_pathv[i], true);
	globfree(&g);
	free(path);
}

/* Reads every file the just-read file f includes, in order. */
static void
read_includes(struct loader *ld, struct cfile *f)
{
	struct incl	*v = NULL;
	struct rkey	 k;
	char		*expanded, *p, *save;
	int		 i, n = 0;

	incl_collect(ld, f, &v, &n);
	for (i = 0; i < n; i++) {
		k.key = v[i].key;
		k.value = v[i].value;
		k.file = f;
		k.line = v[i].line;
		if (config_interpolate(ld, &k, NULL, NULL, -1, 0,
		    &expanded) == 0) {
			for (p = strtok_r(expanded, " \t", &save); p != NULL;
			    p = strtok_r(NULL, " \t", &save))
				incl_pattern(ld, f, &v[i], p);
			free(expanded);
		}
		free(v[i].value);
		free(v[i].key);
	}
	free(v);
}

/* Reads a file and, once it is all read, the files it includes. */
static void
read_file(struct loader *ld, const char *path, FILE *fp,
    const struct stat *st)
{
	struct cfile	*f = cfile_add(ld, path, st);

	ld->chain = xreallocarray(ld->chain, (size_t)ld->depth + 1,
	    sizeof(*ld->chain));
	ld->chain[ld->depth++] = f;
	read_stream(ld, f, fp);
	read_includes(ld, f);
	ld->depth--;
}

/* The main file may be anything but a directory (even a pipe). */
void
read_main(struct loader *ld, const char *path)
{
	struct stat	 st;
	FILE		*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		diag_error(ld->diag, NULL, 0, "cannot open %s: %s", path,
		    strerror(errno));
		return;
	}
	if (fstat(fileno(fp), &st) == -1) {
		diag_error(ld->diag, NULL, 0, "cannot read %s: %s", path,
		    strerror(errno));
		fclose(fp);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_error(ld->diag, NULL, 0, "cannot read %s: is a directory",
		    path);
		fclose(fp);
		return;
	}
	read_file(ld, path, fp, &st);
	fclose(fp);
}

/*
 * value.c: pure parsers for configuration values (SPEC 2.1).
 *
 * Every function here is a function of its arguments only: no I/O, no
 * state, no event loop, so the unit tests and the fuzzer call them directly.
 * Scalars (bool, duration, size, int, octal, signal, rlimit) ignore blanks
 * around the value, as inih strips them anyway.  On failure nothing is
 * written to the outputs; where there is an err argument it receives a
 * malloc'd message saying what was expected (err may be NULL).
 * String vectors are in strv.c, %(name)s interpolation in value_interp.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "value.h"
#include "value_int.h"
#include "xmalloc.h"

#define BLANKS		" \t\n\r\f\v"
#define DURATION_MAX	(INT64_MAX / 2)		/* ms; ~146 million years */
#define SIGNAL_MAX	64			/* Linux: _NSIG - 1 */

/* Appends n bytes, doubling the buffer so long lines stay linear. */
void
vbuf_add(struct vbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 32 : b->cap * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
vbuf_addc(struct vbuf *b, char c)
{
	vbuf_add(b, &c, 1);
}

void
vbuf_pad(struct vbuf *b, char c, size_t n)
{
	while (n-- > 0)
		vbuf_addc(b, c);
}

/* Hands the string over and resets the buffer; an empty word is "". */
char *
vbuf_take(struct vbuf *b)
{
	char	*s;

	s = b->p != NULL ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return s;
}

void
vbuf_free(struct vbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Stores an error message if the caller wants one; always returns -1. */
int
value_set_err(char **err, char *msg)
{
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	return -1;
}

static int
is_blank(char c)
{
	return c != '\0' && strchr(BLANKS, c) != NULL;
}

static const char *
skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* A copy of s without the blanks around it, so scalar parsers see a C
 * string that ends where the value ends. */
static char *
trim_dup(const char *s)
{
	size_t	len;

	s = skip_blanks(s);
	len = strlen(s);
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* --- scalars ------------------------------------------------------------- */

/* supervisord's boolean words (datatypes.boolean), any case. */
int
value_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char	*t = trim_dup(s);
	size_t	 i;
	int	 ret = -1;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(t, yes[i]) == 0) {
			*out = true;
			ret = 0;
		} else if (strcasecmp(t, no[i]) == 0) {
			*out = false;
			ret = 0;
		}
	}
	free(t);
	return ret;
}

static const struct duration_unit {
	const char	*name;
	int64_t		 ms;
} duration_units[] = {			/* largest first: 1h5m, not 5m1h */
	{ "d", 86400000 },
	{ "h", 3600000 },
	{ "m", 60000 },
	{ "s", 1000 },
	{ "ms", 1 },
};
#define NDURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))
#define DURATION_SECONDS 3			/* index of "s" */

/* Reads "digits[.digits]" into whole and fraction parts (fraction scaled by
 * *scale); at most 9 fraction digits, so fraction * unit fits an int64. */
static int
duration_number(const char **pp, uint64_t *whole, uint64_t *frac,
    uint64_t *scale)
{
	const char	*p = *pp;
	int		 n;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (*whole = 0; isdigit((unsigned char)*p); p++) {
		if (*whole > (UINT64_MAX - 9) / 10)
			return -1;
		*whole = *whole * 10 + (uint64_t)(*p - '0');
	}
	*frac = 0;
	*scale = 1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (n = 0; isdigit((unsigned char)*p); p++, n++) {
			if (n == 9)
				return -1;
			*frac = *frac * 10 + (uint64_t)(*p - '0');
			*scale *= 10;
		}
	}
	*pp = p;
	return 0;
}

/* Index of the unit at *pp (lowercase only: "M" could mean months or
 * megabytes to a reader), or -1. */
static int
duration_unit(const char **pp)
{
	const char	*p = *pp;
	size_t		 i, n = 0;

	while (p[n] >= 'a' && p[n] <= 'z')
		n++;
	for (i = 0; i < NDURATION_UNITS; i++) {
		if (strlen(duration_units[i].name) == n &&
		    strncmp(p, duration_units[i].name, n) == 0) {
			*pp = p + n;
			return (int)i;
		}
	}
	return -1;
}

/* Sums "1h5m10s250ms" component by component; units must come largest
 * first, each at most once, and each part must be a whole number of ms.
 * A lone number without a unit is seconds, as supervisord's startsecs. */
static int
duration_parse(const char *p, int64_t *out)
{
	uint64_t	 whole, frac, scale, unit, total = 0;
	int		 u, last = -1;

	if (*p == '\0')
		return -1;
	while (*p != '\0') {
		if (duration_number(&p, &whole, &frac, &scale) != 0)
			return -1;
		if (*p == '\0' && last == -1)
			u = DURATION_SECONDS;	/* bare number */
		else if ((u = duration_unit(&p)) == -1 || u <= last)
			return -1;
		last = u;
		unit = (uint64_t)duration_units[u].ms;
		if (whole > (uint64_t)DURATION_MAX / unit ||
		    (frac * unit) % scale != 0)
			return -1;
		total += whole * unit + frac * unit / scale;
		if (total > (uint64_t)DURATION_MAX)
			return -1;
	}
	*out = (int64_t)total;
	return 0;
}

int
value_duration(const char *s, int64_t *ms)
{
	char	*t = trim_dup(s);
	int	 ret;

	ret = duration_parse(t, ms);
	free(t);
	return ret;
}

/* Largest units first, so the result reads back through value_duration(). */
void
value_duration_fmt(int64_t ms, char *buf, size_t bufsz)
{
	char		 tmp[64];
	size_t		 i, off = 0;
	uint64_t	 u, q;

	if (bufsz == 0)
		return;
	if (ms == 0) {
		snprintf(buf, bufsz, "0s");
		return;
	}
	u = (uint64_t)ms;
	if (ms < 0) {
		tmp[off++] = '-';
		u = 0 - u;
	}
	for (i = 0; i < NDURATION_UNITS; i++) {
		q = u / (uint64_t)duration_units[i].ms;
		if (q == 0)
			continue;
		u -= q * (uint64_t)duration_units[i].ms;
		off += (size_t)snprintf(tmp + off, sizeof(tmp) - off, "%llu%s",
		    (unsigned long long)q, duration_units[i].name);
	}
	snprintf(buf, bufsz, "%s", tmp);
}

static const struct size_unit {
	const char	*name;
	unsigned int	 shift;
} size_units[] = {
	{ "", 0 }, { "b", 0 },
	{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
	{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
	{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
	{ "t", 40 }, { "tb", 40 }, { "tib", 40 },
};

/* supervisorctl's uptime: "0:10:02", or "2 days, 3:04:05". */
void
value_uptime_fmt(int64_t ms, char *buf, size_t bufsz)
{
	long long	s = ms < 0 ? 0 : ms / 1000;

	if (s >= 86400)
		snprintf(buf, bufsz, "%lld days, %lld:%02lld:%02lld", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(buf, bufsz, "%lld:%02lld:%02lld", s / 3600,
		    s % 3600 / 60, s % 60);
}

/* supervisord's byte sizes: 1KB = 1024, case-insensitive, blanks allowed
 * between the number and the unit (Python's int() strips them). */
static int
size_parse(const char *p, uint64_t *out)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > UINT64_MAX / 10 ||
		    n * 10 > UINT64_MAX - (uint64_t)(*p - '0'))
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	p = skip_blanks(p);
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcasecmp(p, size_units[i].name) != 0)
			continue;
		if (n > (UINT64_MAX >> size_units[i].shift))
			return -1;
		*out = n << size_units[i].shift;
		return 0;
	}
	return -1;
}

int
value_size(const char *s, uint64_t *out)
{
	char	*t = trim_dup(s);
	int	 ret;

	ret = size_parse(t, out);
	free(t);
	return ret;
}

/* Decimal only ("010" is ten), an optional '-' so min < 0 works, then the
 * range check; strtol alone would take "+1", " 1" and "1x". */
int
value_int(const char *s, long min, long max, long *out)
{
	char	*t = trim_dup(s), *p = t;
	long	 n;
	int	 ret = -1;

	if (*p == '-')
		p++;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		goto out;
	errno = 0;
	n = strtol(t, NULL, 10);
	if (errno == ERANGE || n < min || n > max)
		goto out;
	*out = n;
	ret = 0;
out:
	free(t);
	return ret;
}

/* umask 022, socket_mode 0600; Python's int(x, 8) also takes "0o22". */
int
value_octal(const char *s, int *out)
{
	char	*t = trim_dup(s), *p = t;
	long	 n;
	int	 ret = -1;

	if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		p += 2;
	if (*p == '\0' || strspn(p, "01234567") != strlen(p))
		goto out;
	p += strspn(p, "0");
	if (strlen(p) > 4 || (n = strtol(p, NULL, 8)) > 07777)
		goto out;
	*out = (int)n;
	ret = 0;
out:
	free(t);
	return ret;
}

/* Linux signal names by number (1..31); glibc's macros place them, so an
 * architecture with another numbering still gets the right names. */
static const char *const signal_names[SIGNAL_MAX + 1] = {
	[SIGHUP] = "HUP",	[SIGINT] = "INT",	[SIGQUIT] = "QUIT",
	[SIGILL] = "ILL",	[SIGTRAP] = "TRAP",	[SIGABRT] = "ABRT",
	[SIGBUS] = "BUS",	[SIGFPE] = "FPE",	[SIGKILL] = "KILL",
	[SIGUSR1] = "USR1",	[SIGSEGV] = "SEGV",	[SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE",	[SIGALRM] = "ALRM",	[SIGTERM] = "TERM",
	[SIGSTKFLT] = "STKFLT",	[SIGCHLD] = "CHLD",	[SIGCONT] = "CONT",
	[SIGSTOP] = "STOP",	[SIGTSTP] = "TSTP",	[SIGTTIN] = "TTIN",
	[SIGTTOU] = "TTOU",	[SIGURG] = "URG",	[SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ",	[SIGVTALRM] = "VTALRM",	[SIGPROF] = "PROF",
	[SIGWINCH] = "WINCH",	[SIGIO] = "IO",		[SIGPWR] = "PWR",
	[SIGSYS] = "SYS",
};

/* What value_signal_name() returns for a number without a name: string
 * constants, so the caller needs no buffer and we keep no state. */
static const char *const signal_numbers[SIGNAL_MAX + 1] = {
	"SIG0", "SIG1", "SIG2", "SIG3", "SIG4", "SIG5", "SIG6", "SIG7",
	"SIG8", "SIG9", "SIG10", "SIG11", "SIG12", "SIG13", "SIG14", "SIG15",
	"SIG16", "SIG17", "SIG18", "SIG19", "SIG20", "SIG21", "SIG22", "SIG23",
	"SIG24", "SIG25", "SIG26", "SIG27", "SIG28", "SIG29", "SIG30", "SIG31",
	"SIG32", "SIG33", "SIG34", "SIG35", "SIG36", "SIG37", "SIG38", "SIG39",
	"SIG40", "SIG41", "SIG42", "SIG43", "SIG44", "SIG45", "SIG46", "SIG47",
	"SIG48", "SIG49", "SIG50", "SIG51", "SIG52", "SIG53", "SIG54", "SIG55",
	"SIG56", "SIG57", "SIG58", "SIG59", "SIG60", "SIG61", "SIG62", "SIG63",
	"SIG64",
};

static const struct signal_alias {
	const char	*name;
	int		 sig;
} signal_aliases[] = {
	{ "IOT", SIGABRT }, { "POLL", SIGIO }, { "CLD", SIGCHLD },
};

/* For log lines: a constant string, never NULL, even for a bad number. */
const char *
value_signal_name(int sig)
{
	if (sig < 1 || sig > SIGNAL_MAX)
		return "SIG?";
	if (signal_names[sig] != NULL)
		return signal_names[sig];
	return signal_numbers[sig];
}

/* A name without its "SIG" prefix, or a number 1..64 ("37", "SIG37": what
 * value_signal_name() prints reads back). */
static int
signal_parse(const char *p, int *out)
{
	size_t	i;
	int	n = 0;

	if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) {
		for (; *p != '\0' && n <= SIGNAL_MAX; p++)
			n = n * 10 + (*p - '0');
		if (n < 1 || n > SIGNAL_MAX)
			return -1;
		*out = n;
		return 0;
	}
	for (i = 1; i <= SIGNAL_MAX; i++) {
		if (signal_names[i] != NULL &&
		    strcasecmp(p, signal_names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	for (i = 0; i < sizeof(signal_aliases) / sizeof(signal_aliases[0]);
	    i++) {
		if (strcasecmp(p, signal_aliases[i].name) == 0) {
			*out = signal_aliases[i].sig;
			return 0;
		}
	}
	return -1;
}

int
value_signal(const char *s, int *out)
{
	char	*t = trim_dup(s), *p = t;
	int	 ret;

	if (strncasecmp(p, "SIG", 3) == 0)
		p += 3;
	ret = signal_parse(p, out);
	free(t);
	return ret;
}

/* Never fails: a list that is all separators is an empty list. */
int
value_list(const char *s, char ***out)
{
	char	**v = strv_new();
	size_t	  n, count = 0;

	for (;;) {
		s += strspn(s, "," BLANKS);
		if (*s == '\0')
			break;
		n = strcspn(s, "," BLANKS);
		strv_append(&v, count++, xstrndup(s, n));
		s += n;
	}
	*out = v;
	return 0;
}

/* systemd's "infinity" and ulimit's "unlimited" both mean RLIM_INFINITY. */
int
value_rlimit(const char *s, uint64_t *out)
{
	char	*t = trim_dup(s);
	int	 ret = 0;

	if (strcasecmp(t, "infinity") == 0 ||
	    strcasecmp(t, "unlimited") == 0 ||
	    strcasecmp(t, "infinite") == 0)
		*out = UINT64_MAX;
	else
		ret = size_parse(t, out);
	free(t);
	return ret;
}

/* --- command lines ------------------------------------------------------- */

/* '...' is literal to the next quote; *pp is on the opening quote. */
static int
argv_single(const char **pp, struct vbuf *w)
{
	const char	*p = *pp + 1, *end;

	if ((end = strchr(p, '\'')) == NULL)
		return -1;
	vbuf_add(w, p, (size_t)(end - p));
	*pp = end;
	return 0;
}

/* "..." as POSIX sh: a backslash escapes only \ " $ ` and newline (which it
 * removes); before anything else it stays.  *pp is on the opening quote. */
static int
argv_double(const char **pp, struct vbuf *w)
{
	const char	*p;

	for (p = *pp + 1; *p != '"'; p++) {
		if (*p == '\0')
			return -1;
		if (*p == '\\' && p[1] != '\0' && strchr("\\\"$`\n", p[1])) {
			p++;
			if (*p != '\n')
				vbuf_addc(w, *p);
		} else
			vbuf_addc(w, *p);
	}
	*pp = p;
	return 0;
}

/* One pass over the line, a word ends at an unquoted blank.  A word exists
 * once anything but a blank or a backslash-newline was seen, so "" and ''
 * are empty words. */
int
value_argv(const char *s, char ***argvp, char **err)
{
	struct vbuf	  w = { NULL, 0, 0 };
	char		**v = strv_new();
	const char	 *p, *why = NULL;
	bool		  inword = false;

	for (p = s; *p != '\0' && why == NULL; p++) {
		if (is_blank(*p)) {
			if (inword)
				strv_push_take(&v, vbuf_take(&w));
			inword = false;
		} else if (*p == '\\') {
			if (p[1] == '\0')
				why = "trailing backslash";
			else if (*++p != '\n') {
				vbuf_addc(&w, *p);
				inword = true;
			}
		} else if (*p == '\'') {
			if (argv_single(&p, &w) != 0)
				why = "unterminated single quote";
			inword = true;
		} else if (*p == '"') {
			if (argv_double(&p, &w) != 0)
				why = "unterminated double quote";
			inword = true;
		} else {
			vbuf_addc(&w, *p);
			inword = true;
		}
	}
	if (why == NULL && inword)
		strv_push_take(&v, vbuf_take(&w));
	if (why == NULL && v[0] == NULL)
		why = "empty command";
	if (why != NULL) {
		vbuf_free(&w);
		strv_free(v);
		return value_set_err(err, xstrdup(why));
	}
	*argvp = v;
	return 0;
}

/* --- environment --------------------------------------------------------- */

/* [A-Za-z_][A-Za-z0-9_]*: what a shell can reference as $NAME. */
static bool
env_name_valid(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

/* Blanks after '=' are skipped ("A = 1" works in supervisord), unless a
 * KEY= follows them: "A= B=2" is a missing comma, not A="B=2". */
static const char *
env_value_start(const char *p)
{
	const char	*q = skip_blanks(p);
	size_t		 n = strcspn(q, "=," BLANKS);

	if (q != p && q[n] == '=' && env_name_valid(q, n))
		return p;
	return q;
}

/* The value after "KEY=": all of '...' or "..." (no escapes, as
 * supervisord's non-POSIX shlex), or a run up to a blank or comma. */
static int
env_value(const char **pp, const char *key, char **value, char **err)
{
	const char	*p = *pp, *end;
	char		 q = *p;

	if (q == '"' || q == '\'') {
		if ((end = strchr(p + 1, q)) == NULL)
			return value_set_err(err, xprintf("unterminated %s quote in "
			    "value of %s", q == '"' ? "double" : "single", key));
		*value = xstrndup(p + 1, (size_t)(end - p - 1));
		*pp = end + 1;
	} else {
		end = p + strcspn(p, "," BLANKS);
		*value = xstrndup(p, (size_t)(end - p));
		*pp = end;
	}
	return 0;
}

/* One "KEY = value" item; leaves *pp on the comma or the end. */
static int
env_item(const char **pp, char **item, char **err)
{
	const char	*p = *pp, *q;
	char		*key, *value;
	size_t		 n;

	n = strcspn(p, "=," BLANKS);
	q = skip_blanks(p + n);
	if (*q != '=' || n == 0) {
		n = strcspn(p, "," BLANKS);
		return value_set_err(err, xprintf("expected KEY=value, not '%.*s'",
		    (int)n, p));
	}
	if (!env_name_valid(p, n))
		return value_set_err(err, xprintf("invalid environment variable "
		    "name '%.*s'", (int)n, p));
	key = xstrndup(p, n);
	q = env_value_start(q + 1);
	if (env_value(&q, key, &value, err) != 0) {
		free(key);
		return -1;
	}
	q = skip_blanks(q);
	if (*q != ',' && *q != '\0') {
		value_set_err(err, xprintf("expected ',' after the value of %s",
		    key));
		free(key);
		free(value);
		return -1;
	}
	*item = xprintf("%s=%s", key, value);
	free(key);
	free(value);
	*pp = q;
	return 0;
}

/* A repeated key replaces the earlier one in place: the last wins, as in
 * supervisord's dict, and the environment holds each key once. */
static void
env_set(char ***vp, char *item)
{
	size_t	i, n = strcspn(item, "=") + 1;

	for (i = 0; (*vp)[i] != NULL; i++) {
		if (strncmp((*vp)[i], item, n) == 0) {
			free((*vp)[i]);
			(*vp)[i] = item;
			return;
		}
	}
	strv_push_take(vp, item);
}

int
value_env(const char *s, char ***kvp, char **err)
{
	char		**v = strv_new(), *item;
	const char	 *p = s;

	for (;;) {
		p = skip_blanks(p);
		if (*p == ',') {		/* empty item, trailing comma */
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		if (env_item(&p, &item, err) != 0) {
			strv_free(v);
			return -1;
		}
		env_set(&v, item);
	}
	*kvp = v;
	return 0;
}

/* --- suggestions --------------------------------------------------------- */

/* Case-insensitive edit distance with two rows; stops early (returns
 * limit + 1) once every path is already over the limit. */
static size_t
levenshtein(const char *a, const char *b, size_t limit)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, best, d, sub;
	size_t	*prev, *cur, *tmp;

	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	prev = xcalloc(lb + 1, sizeof(size_t));
	cur = xcalloc(lb + 1, sizeof(size_t));
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = best = i;
		for (j = 1; j <= lb; j++) {
			sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			d = prev[j] + 1 < cur[j - 1] + 1 ? prev[j] + 1 :
			    cur[j - 1] + 1;
			cur[j] = sub < d ? sub : d;
			if (cur[j] < best)
				best = cur[j];
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
		if (best > limit)
			break;
	}
	d = i > la ? prev[lb] : limit + 1;
	free(prev);
	free(cur);
	return d;
}

/* For "did you mean": the first closest candidate, if close enough. */
const char *
value_suggest(const char *word, const char *const *candidates)
{
	const char	*best = NULL;
	size_t		 limit, d, best_d = SIZE_MAX;

	if (word == NULL || *word == '\0' || candidates == NULL)
		return NULL;
	limit = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;
	for (; *candidates != NULL; candidates++) {
		d = levenshtein(word, *candidates, limit);
		if (d <= limit && d < best_d) {
			best = *candidates;
			best_d = d;
		}
	}
	return best;
}

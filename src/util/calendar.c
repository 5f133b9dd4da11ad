/*
 * calendar.c: cron expressions (calendar.h).
 *
 * The next run is found by walking civil (wall-clock) time in the task's
 * zone: days by arithmetic, then the hours, minutes and seconds of a
 * matching day, and only a candidate is turned into a time_t.  Walking
 * civil time is what makes DST come out right: a candidate that the zone
 * skips maps to the first second after the gap (so it runs once), and a
 * candidate the zone repeats maps to its first occurrence after `after`,
 * while the walk itself starts after the civil time of `after`, so a
 * repeated hour is never walked twice.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"

struct field {
	const char	*name;
	int		 lo, hi;
	const char	*const *names;	/* names[i] is value lo + i */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const wday_names[] = { "sun", "mon", "tue", "wed",
	"thu", "fri", "sat", NULL };

static const struct field fields[] = {
	{ "second", 0, 59, NULL },
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, wday_names },	/* 7 is Sunday too */
};

static const struct {
	const char	*name, *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A number or (if the field has names) a three-letter name; -1 if none. */
static int
parse_value(const struct field *f, const char **sp)
{
	const char	*s = *sp;
	long		 v = 0;
	int		 i;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > 1000)
				return -1;
		}
		*sp = s;
		return (int)v;
	}
	if (f->names == NULL)
		return -1;
	for (i = 0; f->names[i] != NULL; i++) {
		if (strncasecmp(s, f->names[i], 3) == 0 &&
		    !isalpha((unsigned char)s[3])) {
			*sp = s + 3;
			return f->lo + i;
		}
	}
	return -1;
}

static int
item_error(const struct field *f, int idx, char *err, size_t errlen,
    const char *what, const char *item, size_t len)
{
	snprintf(err, errlen, "field %d (%s): %s in \"%.*s\"", idx, f->name,
	    what, (int)len, item);
	return -1;
}

/* One comma-separated item into *bits. */
static int
parse_item(const struct field *f, int idx, const char *s, size_t len,
    uint64_t *bits, char *err, size_t errlen)
{
	const char	*p = s, *end = s + len;
	int		 a, b, step = 1, v;
	char		 what[64];

	if (*p == '*') {
		a = f->lo;
		b = f->hi == 7 ? 6 : f->hi;
		p++;
	} else {
		if ((a = parse_value(f, &p)) < 0)
			return item_error(f, idx, err, errlen,
			    "expected a number or *", s, len);
		b = a;
		if (p < end && *p == '-') {
			p++;
			if ((b = parse_value(f, &p)) < 0)
				return item_error(f, idx, err, errlen,
				    "expected a number after -", s, len);
		}
	}
	if (p < end && *p == '/') {
		p++;
		if (!isdigit((unsigned char)*p) || (step = parse_value(f, &p)) <= 0)
			return item_error(f, idx, err, errlen,
			    "expected a step of 1 or more after /", s, len);
		if (b == a && s[0] != '*')
			b = f->hi;	/* N/n: from N to the end, as cron does */
	}
	if (p != end)
		return item_error(f, idx, err, errlen, "unexpected text", s, len);
	if (a < f->lo || a > f->hi || b < f->lo || b > f->hi) {
		snprintf(what, sizeof what, "out of range %d-%d", f->lo, f->hi);
		return item_error(f, idx, err, errlen, what, s, len);
	}
	if (a > b)
		return item_error(f, idx, err, errlen,
		    "a range must go upwards", s, len);
	for (v = a; v <= b; v += step)
		*bits |= (uint64_t)1 << (f->hi == 7 && v == 7 ? 0 : v);
	return 0;
}

static int
parse_field(const struct field *f, int idx, const char *s, size_t len,
    uint64_t *bits, char *err, size_t errlen)
{
	const char	*end = s + len, *comma;

	*bits = 0;
	while (s <= end) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (comma == NULL)
			comma = end;
		if (comma == s) {
			snprintf(err, errlen, "field %d (%s): empty item",
			    idx, f->name);
			return -1;
		}
		if (parse_item(f, idx, s, (size_t)(comma - s), bits, err,
		    errlen) == -1)
			return -1;
		s = comma + 1;
	}
	return 0;
}

/* Split on blanks into at most 7 words; the count. */
static int
split(const char *s, const char *w[7], size_t wl[7])
{
	int	n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return n;
		if (n == 7)
			return 8;
		w[n] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		wl[n] = (size_t)(s - w[n]);
		n++;
	}
}

static int
parse_macro(struct calendar *c, const char *expr, char *err, size_t errlen)
{
	size_t	i, len = strcspn(expr, " \t");

	if (expr[len + strspn(expr + len, " \t")] != '\0')
		goto bad;
	if (len == 7 && strncasecmp(expr, "@reboot", 7) == 0) {
		memset(c, 0, sizeof *c);
		c->c_reboot = true;
		return 0;
	}
	for (i = 0; i < sizeof macros / sizeof macros[0]; i++) {
		if (strlen(macros[i].name) == len &&
		    strncasecmp(expr, macros[i].name, len) == 0)
			return calendar_parse(c, macros[i].expr, err, errlen);
	}
bad:
	snprintf(err, errlen, "unknown calendar macro \"%.*s\" (expected "
	    "@yearly, @monthly, @weekly, @daily, @hourly or @reboot)",
	    (int)(len > 40 ? 40 : len), expr);
	return -1;
}

int
calendar_parse(struct calendar *c, const char *expr, char *err,
    size_t errlen)
{
	struct calendar	 out;
	const char	*w[7];
	size_t		 wl[7];
	uint64_t	 bits[6];
	int		 n, i, first;

	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@')
		return parse_macro(c, expr, err, errlen);
	n = split(expr, w, wl);
	if (n != 5 && n != 6) {
		snprintf(err, errlen, "expected 5 cron fields (minute hour "
		    "day-of-month month day-of-week) or 6 with seconds first, "
		    "got %d (systemd OnCalendar= forms are not accepted; "
		    "@daily, @hourly ... are)", n > 7 ? 8 : n);
		return -1;
	}
	first = 6 - n;		/* 5 fields: no seconds */
	bits[0] = 1;
	for (i = first; i < 6; i++) {
		if (parse_field(&fields[i], i - first + 1, w[i - first],
		    wl[i - first], &bits[i], err, errlen) == -1)
			return -1;
	}
	memset(&out, 0, sizeof out);
	out.c_sec = bits[0];
	out.c_min = bits[1];
	out.c_hour = (uint32_t)bits[2];
	out.c_mday = (uint32_t)bits[3];
	out.c_month = (uint16_t)bits[4];
	out.c_wday = (uint8_t)bits[5];
	out.c_mday_star = w[3 - first][0] == '*';
	out.c_wday_star = w[5 - first][0] == '*';
	*c = out;
	return 0;
}

bool
calendar_zone_valid(const char *zone)
{
	const char	*dir;
	char		 path[PATH_MAX];

	if (zone == NULL || *zone == '\0')
		return true;
	if (zone[0] == '/' || strstr(zone, "..") != NULL ||
	    strlen(zone) > 200)
		return false;
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, zone) >=
	    sizeof path)
		return false;
	return access(path, R_OK) == 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int64_t y, int m)
{
	static const int	 len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	bool			 leap = (y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

/* Civil seconds: a key that orders wall-clock times. */
static int64_t
civil_key(const struct tm *tm)
{
	return days_from_civil(tm->tm_year + 1900LL, tm->tm_mon + 1,
	    tm->tm_mday) * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 +
	    tm->tm_sec;
}

static int64_t
key_of(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return INT64_MIN;
	return civil_key(&tm);
}

/*
 * The first time_t after `after` whose wall clock reads tm (a candidate):
 * its earliest occurrence if the zone repeats it, the end of the gap if
 * the zone skips it.
 */
static time_t
resolve(const struct tm *want, time_t after)
{
	struct tm	 tm;
	int64_t		 key = civil_key(want);
	time_t		 t, best = -1, lo, hi, mid;
	int		 dst, n;

	for (dst = 0; dst <= 1; dst++) {
		tm = *want;
		tm.tm_isdst = dst;
		t = mktime(&tm);
		if (t == (time_t)-1 || key_of(t) != key || t <= after)
			continue;
		if (best == -1 || t < best)
			best = t;
	}
	if (best != -1)
		return best;
	/* a gap (or a time already past): the first second at or after it */
	tm = *want;
	tm.tm_isdst = -1;
	if ((hi = mktime(&tm)) == (time_t)-1)
		return -1;
	for (n = 0; key_of(hi) < key; n++) {
		if (n == 48)
			return -1;
		hi += 3600;
	}
	lo = hi - 2 * 86400;
	while (hi - lo > 1) {		/* key_of(lo) < key <= key_of(hi) */
		mid = lo + (hi - lo) / 2;
		if (key_of(mid) >= key)
			hi = mid;
		else
			lo = mid;
	}
	return hi > after ? hi : -1;
}

static bool
day_matches(const struct calendar *c, int64_t y, int m, int d)
{
	int64_t	 days;
	int	 wday;
	bool	 dom, dow;

	if (m < 1 || m > 12 || d < 1 || d > 31 || !(c->c_month & (1u << m)))
		return false;
	days = days_from_civil(y, m, d);
	wday = (int)(((days % 7) + 11) % 7);	/* 1970-01-01: Thu */
	dom = c->c_mday & (UINT32_C(1) << d);
	dow = c->c_wday & (1u << wday);
	if (c->c_mday_star || c->c_wday_star)
		return dom && dow;
	return dom || dow;
}

/* The first candidate of one day at or after h:mi:s; -1 if none. */
static time_t
scan_day(const struct calendar *c, struct tm *tm, int h, int mi, int s,
    time_t after)
{
	time_t	t;

	for (; h < 24; h++, mi = 0, s = 0) {
		if (!(c->c_hour & (UINT32_C(1) << h)))
			continue;
		for (; mi < 60; mi++, s = 0) {
			if (!(c->c_min & (UINT64_C(1) << mi)))
				continue;
			for (; s < 60; s++) {
				if (!(c->c_sec & (UINT64_C(1) << s)))
					continue;
				tm->tm_hour = h;
				tm->tm_min = mi;
				tm->tm_sec = s;
				if ((t = resolve(tm, after)) != -1)
					return t;
			}
		}
	}
	return -1;
}

/* calendar_next() under the zone already set. */
static time_t
next_in_zone(const struct calendar *c, time_t after)
{
	struct tm	 now, tm;
	int64_t		 y;
	int		 m, d, h, mi, s, n;
	time_t		 t;

	if (localtime_r(&after, &now) == NULL)
		return -1;
	y = now.tm_year + 1900LL;
	m = now.tm_mon + 1;
	d = now.tm_mday;
	h = now.tm_hour;
	mi = now.tm_min;
	s = now.tm_sec + 1;	/* strictly after; 60 runs off the minute */
	/* 8 years: every day of month and weekday comes round, leap days too */
	for (n = 0; n < 8 * 366; n++) {
		if (day_matches(c, y, m, d)) {
			memset(&tm, 0, sizeof tm);
			tm.tm_year = (int)(y - 1900);
			tm.tm_mon = m - 1;
			tm.tm_mday = d;
			if ((t = scan_day(c, &tm, h, mi, s, after)) != -1)
				return t;
		}
		h = mi = s = 0;
		if (++d > days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	return -1;
}

/*
 * The zone is the C library's: TZ is set for one computation and put back
 * after it, here and nowhere else.  setenv()/tzset() change
 * process-global state, which is safe because drover is single-threaded
 * (one libevent loop, no threads): nothing else runs, or reads TZ, between
 * zone_enter() and zone_leave().  Returns what zone_leave() needs.
 */
static char *
zone_enter(const char *zone, bool *changed)
{
	const char	*old;
	char		*saved = NULL;

	*changed = zone != NULL && *zone != '\0';
	if (*changed) {
		if ((old = getenv("TZ")) != NULL)
			saved = strdup(old);
		setenv("TZ", zone, 1);
	}
	tzset();
	return saved;
}

static void
zone_leave(char *saved, bool changed)
{
	if (!changed)
		return;
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	free(saved);
	tzset();
}

time_t
calendar_next(const struct calendar *c, const char *zone, time_t after)
{
	char	*saved;
	bool	 changed;
	time_t	 t;

	if (c->c_reboot)
		return -1;
	saved = zone_enter(zone, &changed);
	t = next_in_zone(c, after);
	zone_leave(saved, changed);
	return t;
}

void
calendar_fmt(time_t t, const char *zone, char *buf, size_t bufsz)
{
	struct tm	 tm;
	char		*saved;
	bool		 changed;

	saved = zone_enter(zone, &changed);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, bufsz, "%lld", (long long)t);
	zone_leave(saved, changed);
}

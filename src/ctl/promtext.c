/*
 * promtext.c: Prometheus text exposition format 0.0.4 (promtext.h).
 *
 * No C client library is packaged in Debian, and the format is small:
 * lines of `name{label="value",...} number`, each family headed by its
 * HELP and TYPE lines.  What matters is the escaping and that a value
 * is always one the parsers accept; promtool check metrics is the judge
 * (tests/integration/test_metrics.py).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "promtext.h"

/* Length of the UTF-8 sequence at s, or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t		n, i;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* the NUL stops it here too */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* s escaped: backslash and newline always, double quote if quote.
 * Plain ASCII goes out in runs: a scrape of 10,000 instances writes
 * hundreds of thousands of labels. */
static void
escape(struct evbuffer *b, const char *s, int quote)
{
	const unsigned char	*p = (const unsigned char *)s, *run;
	size_t			 n;

	while (*p != '\0') {
		for (run = p; *p >= 0x20 && *p < 0x80 && *p != '\\' &&
		    (*p != '"' || !quote); p++)
			;
		if (p > run)
			evbuffer_add(b, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else if (*p == '"' && quote)
			evbuffer_add(b, "\\\"", 2);
		else if ((n = utf8_len(p)) == 0)
			evbuffer_add(b, "?", 1);
		else {
			evbuffer_add(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
}

void
promtext_label_value(struct evbuffer *b, const char *s)
{
	escape(b, s, 1);
}

void
promtext_help_text(struct evbuffer *b, const char *s)
{
	escape(b, s, 0);
}

void
promtext_number(struct evbuffer *b, double v)
{
	if (isnan(v))
		evbuffer_add(b, "NaN", 3);
	else if (isinf(v))
		evbuffer_add_printf(b, "%cInf", v > 0 ? '+' : '-');
	else if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v)
		evbuffer_add_printf(b, "%lld", (long long)v);
	else
		evbuffer_add_printf(b, "%.17g", v);
}

void
promtext_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s ", name);
	promtext_help_text(b, help);
	evbuffer_add_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* name{a="x",b="y"} and the space before the value */
static void
series(struct evbuffer *b, const char *name, const char *suffix,
    const char *const *labels, const char *le)
{
	const char *const	*l;
	int			 n = 0;

	evbuffer_add(b, name, strlen(name));
	evbuffer_add(b, suffix, strlen(suffix));
	for (l = labels; l != NULL && l[0] != NULL; l += 2) {
		evbuffer_add(b, n++ == 0 ? "{" : ",", 1);
		evbuffer_add(b, l[0], strlen(l[0]));
		evbuffer_add(b, "=\"", 2);
		promtext_label_value(b, l[1] != NULL ? l[1] : "");
		evbuffer_add(b, "\"", 1);
	}
	if (le != NULL) {
		evbuffer_add(b, n++ == 0 ? "{le=\"" : ",le=\"", 5);
		evbuffer_add(b, le, strlen(le));
		evbuffer_add(b, "\"", 1);
	}
	evbuffer_add(b, n > 0 ? "} " : " ", n > 0 ? 2 : 1);
}

void
promtext_sample(struct evbuffer *b, const char *name,
    const char *const *labels, double v)
{
	series(b, name, "", labels, NULL);
	promtext_number(b, v);
	evbuffer_add(b, "\n", 1);
}

void
promtext_sample_u64(struct evbuffer *b, const char *name,
    const char *const *labels, uint64_t v)
{
	series(b, name, "", labels, NULL);
	evbuffer_add_printf(b, "%llu\n", (unsigned long long)v);
}

static void
add_ms(struct evbuffer *b, int64_t ms)
{
	uint64_t	u = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;

	evbuffer_add_printf(b, "%s%llu.%03llu\n", ms < 0 ? "-" : "",
	    (unsigned long long)(u / 1000), (unsigned long long)(u % 1000));
}

void
promtext_sample_ms(struct evbuffer *b, const char *name,
    const char *const *labels, int64_t ms)
{
	series(b, name, "", labels, NULL);
	add_ms(b, ms);
}

void
promtext_histogram(struct evbuffer *b, const char *name,
    const char *const *labels, const double *bounds,
    const uint64_t *cumulative, size_t nbounds, uint64_t count, int64_t sum_ms)
{
	char	le[32];
	size_t	i;

	for (i = 0; i < nbounds; i++) {
		snprintf(le, sizeof(le), "%g", bounds[i]);
		series(b, name, "_bucket", labels, le);
		evbuffer_add_printf(b, "%llu\n",
		    (unsigned long long)cumulative[i]);
	}
	series(b, name, "_bucket", labels, "+Inf");
	evbuffer_add_printf(b, "%llu\n", (unsigned long long)count);
	series(b, name, "_sum", labels, NULL);
	add_ms(b, sum_ms);
	series(b, name, "_count", labels, NULL);
	evbuffer_add_printf(b, "%llu\n", (unsigned long long)count);
}

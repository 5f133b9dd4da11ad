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

/*
 * A sample is put together here and goes into the evbuffer in one call:
 * a scrape of 10,000 instances writes some 400,000 series, and a call
 * (or a printf) for each piece of each was most of its time.
 */
struct out {
	struct evbuffer	*b;
	size_t		 len;
	char		 buf[512];
};

static void
out_flush(struct out *o)
{
	if (o->len > 0)
		evbuffer_add(o->b, o->buf, o->len);
	o->len = 0;
}

static void
put(struct out *o, const void *p, size_t n)
{
	if (n > sizeof(o->buf) - o->len) {
		out_flush(o);
		if (n > sizeof(o->buf)) {
			evbuffer_add(o->b, p, n);
			return;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_u64(struct out *o, uint64_t v)
{
	char	d[24], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, p, (size_t)(d + sizeof(d) - p));
}

/* ms as seconds, exactly, and the newline */
static void
put_ms(struct out *o, int64_t ms)
{
	uint64_t	u = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	char		frac[5];

	if (ms < 0)
		put(o, "-", 1);
	put_u64(o, u / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + u % 1000 / 100);
	frac[2] = (char)('0' + u % 100 / 10);
	frac[3] = (char)('0' + u % 10);
	frac[4] = '\n';
	put(o, frac, 5);
}

/* s escaped: backslash and newline always, double quote if quote;
 * plain ASCII in runs. */
static void
escape(struct out *o, const char *s, int quote)
{
	const unsigned char	*p = (const unsigned char *)s, *run;
	size_t			 n;

	while (*p != '\0') {
		for (run = p; *p >= 0x20 && *p < 0x80 && *p != '\\' &&
		    (*p != '"' || !quote); p++)
			;
		if (p > run)
			put(o, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '\\')
			put(o, "\\\\", 2);
		else if (*p == '\n')
			put(o, "\\n", 2);
		else if (*p == '"' && quote)
			put(o, "\\\"", 2);
		else if ((n = utf8_len(p)) == 0)
			put(o, "?", 1);
		else {
			put(o, p, n);
			p += n;
			continue;
		}
		p++;
	}
}

void
promtext_label_value(struct evbuffer *b, const char *s)
{
	struct out	o = { .b = b };

	escape(&o, s, 1);
	out_flush(&o);
}

void
promtext_help_text(struct evbuffer *b, const char *s)
{
	struct out	o = { .b = b };

	escape(&o, s, 0);
	out_flush(&o);
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
	struct out	o = { .b = b };

	puts_(&o, "# HELP ");
	puts_(&o, name);
	put(&o, " ", 1);
	escape(&o, help, 0);
	puts_(&o, "\n# TYPE ");
	puts_(&o, name);
	put(&o, " ", 1);
	puts_(&o, type);
	put(&o, "\n", 1);
	out_flush(&o);
}

/* name{a="x",b="y"} and the space before the value */
static void
series(struct out *o, const char *name, const char *suffix,
    const char *const *labels, const char *le)
{
	const char *const	*l;
	int			 n = 0;

	puts_(o, name);
	puts_(o, suffix);
	for (l = labels; l != NULL && l[0] != NULL; l += 2) {
		put(o, n++ == 0 ? "{" : ",", 1);
		puts_(o, l[0]);
		put(o, "=\"", 2);
		escape(o, l[1] != NULL ? l[1] : "", 1);
		put(o, "\"", 1);
	}
	if (le != NULL) {
		put(o, n++ == 0 ? "{le=\"" : ",le=\"", 5);
		puts_(o, le);
		put(o, "\"", 1);
	}
	put(o, n > 0 ? "} " : " ", n > 0 ? 2 : 1);
}

void
promtext_sample(struct evbuffer *b, const char *name,
    const char *const *labels, double v)
{
	struct out	o = { .b = b };

	series(&o, name, "", labels, NULL);
	out_flush(&o);
	promtext_number(b, v);
	evbuffer_add(b, "\n", 1);
}

void
promtext_sample_u64(struct evbuffer *b, const char *name,
    const char *const *labels, uint64_t v)
{
	struct out	o = { .b = b };

	series(&o, name, "", labels, NULL);
	put_u64(&o, v);
	put(&o, "\n", 1);
	out_flush(&o);
}

void
promtext_sample_ms(struct evbuffer *b, const char *name,
    const char *const *labels, int64_t ms)
{
	struct out	o = { .b = b };

	series(&o, name, "", labels, NULL);
	put_ms(&o, ms);
	out_flush(&o);
}

void
promtext_histogram(struct evbuffer *b, const char *name,
    const char *const *labels, const char *const *le,
    const uint64_t *cumulative, size_t nbounds, uint64_t count, int64_t sum_ms)
{
	struct out	o = { .b = b };
	size_t		i;

	for (i = 0; i < nbounds; i++) {
		series(&o, name, "_bucket", labels, le[i]);
		put_u64(&o, cumulative[i]);
		put(&o, "\n", 1);
	}
	series(&o, name, "_bucket", labels, "+Inf");
	put_u64(&o, count);
	put(&o, "\n", 1);
	series(&o, name, "_sum", labels, NULL);
	put_ms(&o, sum_ms);
	series(&o, name, "_count", labels, NULL);
	put_u64(&o, count);
	put(&o, "\n", 1);
	out_flush(&o);
}

/* A histogram's le strings from its bounds: "0.1", "1", "30" */
void
promtext_le(const double *bounds, size_t n, char (*le)[PROMTEXT_LE_MAX])
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(le[i], PROMTEXT_LE_MAX, "%g", bounds[i]);
}

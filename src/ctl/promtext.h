/*
 * promtext.h: Prometheus text exposition format 0.0.4, the writing side
 * (no daemon state: unit-tested in check_promtext).  metrics.c says what
 * to write; this says how: HELP and TYPE lines, label values escaped
 * (backslash, double quote, newline; bytes that are not UTF-8 become
 * '?'), numbers as the format spells them (NaN, +Inf, -Inf).
 *
 * Labels are a NULL-terminated list of name, value pairs:
 *	const char *l[] = { "job", "web", "instance", "web", NULL };
 */
#ifndef DROVER_PROMTEXT_H
#define DROVER_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* "# HELP name help" and "# TYPE name type"; type: counter, gauge, ... */
void	 promtext_family(struct evbuffer *, const char *name,
	    const char *type, const char *help);
void	 promtext_sample(struct evbuffer *, const char *name,
	    const char *const *labels, double v);
void	 promtext_sample_u64(struct evbuffer *, const char *name,
	    const char *const *labels, uint64_t v);
/* ms as seconds, exactly: 1234 -> 1.234 */
void	 promtext_sample_ms(struct evbuffer *, const char *name,
	    const char *const *labels, int64_t ms);
/*
 * A histogram's samples: name_bucket{..., le="b"} for each bound (counts
 * cumulative, as the format wants), le="+Inf" = count, name_sum (ms, as
 * seconds) and name_count.  The bounds as le strings, made once for all
 * the series by promtext_le().
 */
void	 promtext_histogram(struct evbuffer *, const char *name,
	    const char *const *labels, const char *const *le,
	    const uint64_t *cumulative, size_t nbounds, uint64_t count,
	    int64_t sum_ms);
#define PROMTEXT_LE_MAX	32
void	 promtext_le(const double *bounds, size_t n,
	    char (*le)[PROMTEXT_LE_MAX]);

/* The pieces, for the unit tests */
void	 promtext_label_value(struct evbuffer *, const char *);
void	 promtext_help_text(struct evbuffer *, const char *);
void	 promtext_number(struct evbuffer *, double);

#endif

/*
 * value_interp.c: supervisord's %(name)s interpolation (value.h), with
 * its printf-style width, precision and flags; pure like value.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "value_int.h"
#include "xmalloc.h"

#define FMT_MAX_WIDTH	64			/* %(x)64s: no huge padding */

struct interp_spec {
	char	*name;
	bool	 left;		/* '-' */
	bool	 zero;		/* '0' */
	char	 sign;		/* '+', ' ' or 0 */
	int	 width;
	int	 prec;		/* -1: none */
	char	 conv;		/* 's' or 'd' */
};

/* A width or precision, bounded so "%(x)999999999s" cannot allocate. */
static int
interp_number(const char **pp, int *out)
{
	const char	*p = *pp;
	int		 n = 0;

	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > FMT_MAX_WIDTH)
			return -1;
	}
	*out = n;
	*pp = p;
	return 0;
}

/* Parses "%(name)<flags><width>[.prec]<conv>" as Python's % operator does;
 * *pp is on the '%' and ends past the conversion. */
static int
interp_parse(const char **pp, struct interp_spec *sp, char **err)
{
	const char	*p = *pp + 2, *end;
	bool		 bad;

	memset(sp, 0, sizeof(*sp));
	sp->prec = -1;
	if ((end = strchr(p, ')')) == NULL)
		return value_set_err(err, xstrdup("missing ')' after '%('"));
	if (end == p)
		return value_set_err(err, xstrdup("empty interpolation name '%()'"));
	sp->name = xstrndup(p, (size_t)(end - p));
	for (p = end + 1; *p != '\0' && strchr("-0+ #", *p) != NULL; p++) {
		if (*p == '-')
			sp->left = true;
		else if (*p == '0')
			sp->zero = true;
		else if (*p == '+' || (*p == ' ' && sp->sign == 0))
			sp->sign = *p;
	}
	bad = interp_number(&p, &sp->width) != 0;
	if (!bad && *p == '.') {
		p++;
		bad = interp_number(&p, &sp->prec) != 0;
	}
	if (bad) {
		value_set_err(err, xprintf("interpolation width of '%s' too large "
		    "(max %d)", sp->name, FMT_MAX_WIDTH));
		goto fail;
	}
	if (*p == 'h' || *p == 'l' || *p == 'L')
		p++;				/* Python ignores these */
	if (*p == 'i' || *p == 'u')
		sp->conv = 'd';
	else if (*p == 's' || *p == 'd')
		sp->conv = *p;
	else {
		value_set_err(err, xprintf("expected s or d after '%%(%s)'",
		    sp->name));
		goto fail;
	}
	*pp = p + 1;
	return 0;
fail:
	free(sp->name);
	sp->name = NULL;
	return -1;
}

/* %s: precision truncates, width pads with blanks ('0' is ignored, as in
 * Python). */
static void
interp_str(struct vbuf *b, const struct interp_spec *sp, const char *val)
{
	size_t	n = strlen(val), pad;

	if (sp->prec >= 0 && n > (size_t)sp->prec)
		n = (size_t)sp->prec;
	pad = (size_t)sp->width > n ? (size_t)sp->width - n : 0;
	if (!sp->left)
		vbuf_pad(b, ' ', pad);
	vbuf_add(b, val, n);
	if (sp->left)
		vbuf_pad(b, ' ', pad);
}

/* %d by hand rather than through a built format string; Python's rules:
 * '0' pads after the sign even with a precision, '-' wins over '0'. */
static int
interp_int(struct vbuf *b, const struct interp_spec *sp, const char *val,
    char **err)
{
	char		 digits[32], sign = sp->sign;
	const char	*p = val;
	long long	 n;
	size_t		 nd, zeros, len, pad;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
		goto bad;
	errno = 0;
	n = strtoll(val, NULL, 10);
	if (errno == ERANGE)
		goto bad;
	if (n < 0)
		sign = '-';
	nd = (size_t)snprintf(digits, sizeof(digits), "%llu",
	    n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n);
	zeros = sp->prec >= 0 && (size_t)sp->prec > nd ?
	    (size_t)sp->prec - nd : 0;
	len = (sign != 0) + zeros + nd;
	pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;
	if (!sp->left && !sp->zero)
		vbuf_pad(b, ' ', pad);
	if (sign != 0)
		vbuf_addc(b, sign);
	if (!sp->left && sp->zero)
		zeros += pad;
	vbuf_pad(b, '0', zeros);
	vbuf_add(b, digits, nd);
	if (sp->left)
		vbuf_pad(b, ' ', pad);
	return 0;
bad:
	return value_set_err(err, xprintf("value of '%s' is not an integer: '%s'",
	    sp->name, val));
}

/* One %(name)X at *pp, appended to b. */
static int
interp_one(const char **pp, value_lookup_fn lookup, void *arg,
    struct vbuf *b, char **err)
{
	struct interp_spec	 sp;
	const char		*val;
	int			 ret = 0;

	if (interp_parse(pp, &sp, err) != 0)
		return -1;
	val = lookup != NULL ? lookup(sp.name, arg) : NULL;
	if (val == NULL)
		ret = value_set_err(err, xprintf("unknown interpolation name '%s'",
		    sp.name));
	else if (sp.conv == 's')
		interp_str(b, &sp, val);
	else
		ret = interp_int(b, &sp, val, err);
	free(sp.name);
	return ret;
}

/*
 * Expands %(name)s and %(name)d and turns %% into %.  A '%' followed by
 * anything else is kept as it is: supervisord would refuse the whole value,
 * but a stray '%' in a command ("date +%s") is far more often meant
 * literally than a typo, and an unknown %(name) is still an error.
 */
int
value_interpolate(const char *s, value_lookup_fn lookup, void *arg,
    char **out, char **err)
{
	struct vbuf	 b = { NULL, 0, 0 };
	const char	*p = s;
	size_t		 n;

	while (*p != '\0') {
		n = strcspn(p, "%");
		vbuf_add(&b, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (p[1] == '(') {
			if (interp_one(&p, lookup, arg, &b, err) != 0) {
				vbuf_free(&b);
				return -1;
			}
		} else {
			vbuf_addc(&b, '%');
			p += p[1] == '%' ? 2 : 1;
		}
	}
	*out = vbuf_take(&b);
	return 0;
}

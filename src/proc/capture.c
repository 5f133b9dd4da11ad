/*
 * capture.c: supervisord's capture mode, the splitter (capture.h).
 *
 * A token is matched byte by byte, so it may be split over reads: the
 * bytes of a partial match are held back (they are a prefix of the token,
 * so only their count is kept) until the match completes or fails.  The
 * first byte of either token, '<', occurs nowhere else in it, so a failed
 * match never hides the start of another: the held bytes are data, and
 * the byte that failed is tried again as a first byte.
 *
 * Inside a capture at most maxbytes are kept: past the bound the oldest
 * bytes are dropped and counted (supervisord's BoundIO also keeps the
 * tail), so a job that never writes END costs maxbytes, not more.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "xmalloc.h"

struct capture {
	size_t			 max;
	const struct capture_ops *ops;
	void			*arg;
	bool			 capturing;
	size_t			 m;		/* token bytes matched, held */
	char			*buf;		/* the capture so far */
	size_t			 len, cap;
	uint64_t		 dropped;	/* bytes of it dropped */
};

static const char *
token(const struct capture *c, size_t *len)
{
	*len = c->capturing ? sizeof(CAPTURE_END) - 1 :
	    sizeof(CAPTURE_BEGIN) - 1;
	return c->capturing ? CAPTURE_END : CAPTURE_BEGIN;
}

struct capture *
capture_new(size_t maxbytes, const struct capture_ops *ops, void *arg)
{
	struct capture	*c = xcalloc(1, sizeof(*c));

	c->max = maxbytes > 0 ? maxbytes : 1;
	c->ops = ops;
	c->arg = arg;
	return c;
}

void
capture_free(struct capture *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	free(c);
}

/* Keep the last max bytes of the capture; count what falls off. */
static void
keep(struct capture *c, const char *data, size_t n)
{
	size_t	drop;

	if (n >= c->max) {
		c->dropped += c->len + (n - c->max);
		data += n - c->max;
		n = c->max;
		c->len = 0;
	} else if (c->len + n > c->max) {
		drop = c->len + n - c->max;
		memmove(c->buf, c->buf + drop, c->len - drop);
		c->len -= drop;
		c->dropped += drop;
	}
	if (c->len + n > c->cap) {
		c->cap = c->cap * 2 > c->len + n ? c->cap * 2 : c->len + n;
		if (c->cap > c->max)
			c->cap = c->max;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
}

/* Bytes of the current mode: logged, or kept for the event. */
static void
sink(struct capture *c, const char *data, size_t n)
{
	if (n == 0)
		return;
	if (c->capturing)
		keep(c, data, n);
	else
		c->ops->out(c->arg, data, n);
}

static void
toggle(struct capture *c)
{
	if (c->capturing)
		c->ops->comm(c->arg, c->buf != NULL ? c->buf : "", c->len,
		    c->dropped, true);
	c->capturing = !c->capturing;
	c->len = 0;
	c->dropped = 0;
}

void
capture_feed(struct capture *c, const char *buf, size_t len)
{
	const char	*tok, *p;
	size_t		 toklen, carry = c->m, seg = 0, i = 0;

	while (i < len) {
		tok = token(c, &toklen);
		if (c->m == 0) {
			if ((p = memchr(buf + i, tok[0], len - i)) == NULL)
				break;
			i = (size_t)(p - buf);
		}
		if (buf[i] != tok[c->m]) {
			/* what matched was data; buf[i] is tried again */
			sink(c, tok, carry);
			carry = 0;
			c->m = 0;
			continue;
		}
		i++;
		if (++c->m < toklen)
			continue;
		/* a whole token: what came before it is the old mode's */
		sink(c, buf + seg, i - (toklen - carry) - seg);
		toggle(c);
		c->m = carry = 0;
		seg = i;
	}
	/* a partial match at the end stays held: only its count is kept */
	sink(c, buf + seg, len - (c->m - carry) - seg);
}

void
capture_end(struct capture *c)
{
	const char	*tok;
	size_t		 toklen, m = c->m;

	tok = token(c, &toklen);
	c->m = 0;
	sink(c, tok, m);
	if (c->capturing) {
		c->ops->comm(c->arg, c->buf != NULL ? c->buf : "", c->len,
		    c->dropped, false);
		c->capturing = false;
		c->len = 0;
		c->dropped = 0;
	}
}

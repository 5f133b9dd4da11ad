/*
 * outring.c: a bounded byte ring with virtual offsets (outring.h).
 *
 * Bytes are held in buf[head .. head+len) modulo size.  The buffer starts
 * at OUTRING_FIRST bytes (or what the first write needs) and doubles up
 * to cap; only a full ring wraps, overwriting its oldest bytes.  end only
 * grows (clear resets it), so start = end - len.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "outring.h"

#define OUTRING_FIRST	4096

void
outring_init(struct outring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
}

static char
ring_at(const struct outring *r, size_t i)
{
	return r->buf[(r->head + i) % r->size];
}

/* Copy the newest min(len, newsize) bytes into a new buffer of newsize
 * bytes (0: none), head 0.  False when out of memory (nothing changed). */
static bool
ring_relocate(struct outring *r, size_t newsize)
{
	size_t	 keep = r->len < newsize ? r->len : newsize, skip, first;
	char	*nb = NULL;

	if (newsize > 0 && (nb = malloc(newsize)) == NULL)
		return false;
	if (keep > 0) {
		skip = (r->head + (r->len - keep)) % r->size;
		first = r->size - skip < keep ? r->size - skip : keep;
		memcpy(nb, r->buf + skip, first);
		memcpy(nb + first, r->buf, keep - first);
	}
	free(r->buf);
	r->buf = nb;
	r->size = newsize;
	r->head = 0;
	r->len = keep;
	return true;
}

void
outring_set_cap(struct outring *r, size_t cap)
{
	if (cap == r->cap)
		return;
	r->cap = cap;
	if (r->size > cap && !ring_relocate(r, cap)) {
		free(r->buf);		/* cannot shrink in place: drop it */
		r->buf = NULL;
		r->size = r->head = r->len = 0;
	}
}

/* Room for len + n bytes, growing by doubling up to cap. */
static bool
ring_reserve(struct outring *r, size_t n)
{
	size_t	need = r->len + n, newsize;

	if (need <= r->size || r->size == r->cap)
		return true;
	newsize = r->size < OUTRING_FIRST / 2 ? OUTRING_FIRST : r->size * 2;
	if (newsize < need)
		newsize = need;
	if (newsize > r->cap)
		newsize = r->cap;
	return ring_relocate(r, newsize);
}

void
outring_append(struct outring *r, const void *data, size_t n)
{
	const char	*p = data;
	size_t		 tail, first;

	if (r->cap == 0 || n == 0)
		return;
	r->end += n;
	if (n > r->cap) {		/* only its last cap bytes stay */
		p += n - r->cap;
		n = r->cap;
	}
	if (!ring_reserve(r, n)) {
		r->head = r->len = 0;	/* lost, but the offsets stay true */
		return;
	}
	tail = (r->head + r->len) % r->size;
	first = r->size - tail < n ? r->size - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
	if (r->len > r->size) {		/* full: the oldest were overwritten */
		r->head = (r->head + (r->len - r->size)) % r->size;
		r->len = r->size;
	}
}

uint64_t
outring_start(const struct outring *r)
{
	return r->end - r->len;
}

uint64_t
outring_end(const struct outring *r)
{
	return r->end;
}

size_t
outring_read(const struct outring *r, uint64_t from, size_t max,
    struct evbuffer *dst)
{
	uint64_t	start = outring_start(r);
	size_t		n, idx, first;

	if (from < start)
		from = start;
	if (from >= r->end || max == 0)
		return 0;
	n = r->end - from < max ? (size_t)(r->end - from) : max;
	idx = (r->head + (size_t)(from - start)) % r->size;
	first = r->size - idx < n ? r->size - idx : n;
	if (evbuffer_add(dst, r->buf + idx, first) == -1 ||
	    evbuffer_add(dst, r->buf, n - first) == -1)
		return 0;
	return n;
}

uint64_t
outring_tail_lines(const struct outring *r, size_t n)
{
	size_t	i, pos = r->len, count = 0;

	if (n == 0)
		return r->end;
	if (pos > 0 && ring_at(r, pos - 1) == '\n')
		pos--;			/* the last line's own newline */
	for (i = pos; i > 0; i--)
		if (ring_at(r, i - 1) == '\n' && ++count == n)
			return outring_start(r) + i;
	return outring_start(r);
}

void
outring_clear(struct outring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = r->head = r->len = 0;
	r->end = 0;
}

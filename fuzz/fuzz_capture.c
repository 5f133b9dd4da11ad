/*
 * fuzz_capture.c: libFuzzer target for the capture-mode splitter
 * (src/proc/capture.c), which reads a job's output.
 *
 * The first byte picks maxbytes, the second the size of the reads; the
 * rest is the output.  Besides ASan/UBSan findings it checks the result
 * against a plain search of the whole input (memmem): the same bytes
 * logged, the same captures (their last maxbytes, the count dropped),
 * whatever the reads.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct rec {
	char	*out, *comm;		/* comms: len, dropped, complete, data */
	size_t	 outlen, commlen;
};

static void
put(char **b, size_t *blen, const void *p, size_t n)
{
	*b = realloc(*b, *blen + n + 1);
	CHECK(*b != NULL);
	memcpy(*b + *blen, p, n);
	*blen += n;
}

static void
rec_out(void *arg, const char *buf, size_t len)
{
	struct rec	*r = arg;

	CHECK(len > 0);
	put(&r->out, &r->outlen, buf, len);
}

static void
rec_comm(void *arg, const char *data, size_t len, uint64_t dropped,
    bool complete)
{
	struct rec	*r = arg;

	put(&r->comm, &r->commlen, &len, sizeof(len));
	put(&r->comm, &r->commlen, &dropped, sizeof(dropped));
	put(&r->comm, &r->commlen, &complete, sizeof(complete));
	put(&r->comm, &r->commlen, data, len);
}

/* The reference: the whole input at once, unbounded, then bounded. */
static void
reference(struct rec *r, const char *p, size_t len, size_t max)
{
	bool		 capturing = false;
	const char	*tok, *hit;
	size_t		 toklen, n;

	for (;;) {
		tok = capturing ? CAPTURE_END : CAPTURE_BEGIN;
		toklen = strlen(tok);
		hit = memmem(p, len, tok, toklen);
		n = hit != NULL ? (size_t)(hit - p) : len;
		if (!capturing && n > 0)
			rec_out(r, p, n);
		else if (capturing)	/* incomplete without END */
			rec_comm(r, n > max ? p + n - max : p,
			    n > max ? max : n, n > max ? n - max : 0,
			    hit != NULL);
		if (hit == NULL)
			return;
		p += n + toklen;
		len -= n + toklen;
		capturing = !capturing;
	}
}

static const struct capture_ops ops = { rec_out, rec_comm };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rec	 got = { 0 }, want = { 0 };
	struct capture	*c;
	size_t		 max, step, i, n;
	const char	*p;

	if (len < 2)
		return 0;
	max = (size_t)data[0] + 1;
	step = (size_t)data[1] + 1;
	p = (const char *)data + 2;
	len -= 2;
	c = capture_new(max, &ops, &got);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		capture_feed(c, p + i, n);
	}
	capture_end(c);
	capture_free(c);
	reference(&want, p, len, max);
	CHECK(got.outlen == want.outlen);
	CHECK(got.outlen == 0 || memcmp(got.out, want.out, got.outlen) == 0);
	CHECK(got.commlen == want.commlen);
	CHECK(got.commlen == 0 ||
	    memcmp(got.comm, want.comm, got.commlen) == 0);
	free(got.out);
	free(got.comm);
	free(want.out);
	free(want.comm);
	return 0;
}

/*
 * fuzz_page.c: libFuzzer target for the status page's cleaning of job
 * output into UTF-8 (page_utf8_clean(), src/ctl/page.c), which every
 * byte a job writes goes through on its way to /api/tail/.
 *
 * Checks, besides ASan/UBSan: the result is valid UTF-8 without NUL
 * (jansson takes it), cleaning it again changes nothing, and input that
 * was valid already comes out unchanged.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "page.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer	*a = evbuffer_new(), *b = evbuffer_new();
	const unsigned char *pa, *pb;
	size_t		 na, nb;
	json_t		*j;

	CHECK(a != NULL && b != NULL);
	page_utf8_clean(data, size, a);
	na = evbuffer_get_length(a);
	pa = evbuffer_pullup(a, -1);
	CHECK(na == 0 || memchr(pa, '\0', na) == NULL);
	CHECK((j = json_stringn((const char *)(na ? pa : (const unsigned
	    char *)""), na)) != NULL);
	json_decref(j);
	page_utf8_clean(pa, na, b);
	nb = evbuffer_get_length(b);
	pb = evbuffer_pullup(b, -1);
	CHECK(na == nb && (na == 0 || memcmp(pa, pb, na) == 0));
	if (size > 0 && memchr(data, '\0', size) == NULL &&
	    (j = json_stringn((const char *)data, size)) != NULL) {
		json_decref(j);
		CHECK(na == size && memcmp(pa, data, size) == 0);
	}
	evbuffer_free(a);
	evbuffer_free(b);
	return 0;
}

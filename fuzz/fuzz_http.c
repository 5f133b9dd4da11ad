/*
 * fuzz_http.c: libFuzzer target for the Host rule of a TCP server
 * without a username (http_host_local(), src/ctl/http.c), which every
 * such request's Host header goes through.
 *
 * Checks, besides ASan/UBSan: what passes is an [IPv6] literal, a host
 * of digits and dots, or localhost / NAME.localhost (a trailing dot
 * allowed), then nothing or ":" and at most five digits.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
port_shape(const char *p)
{
	size_t	n;

	if (*p == '\0')
		return 1;
	if (*p++ != ':')
		return 0;
	n = strspn(p, "0123456789");
	return n <= 5 && p[n] == '\0';
}

static int
host_shape(const char *h)
{
	const char	*end;
	size_t		 n;

	if (*h == '[')
		return (end = strchr(h, ']')) != NULL && end > h + 2 &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") ==
		    (size_t)(end - h - 1) && port_shape(end + 1);
	n = strcspn(h, ":");
	if (n == 0 || !port_shape(h + n))
		return 0;
	if (strspn(h, "0123456789.") == n)
		return 1;
	if (h[n - 1] == '.')
		n--;
	return n >= 9 && strncasecmp(h + n - 9, "localhost", 9) == 0 &&
	    (n == 9 || h[n - 10] == '.');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s = malloc(size + 1);

	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';			/* a header value is a C string */
	if (http_host_local(s))
		CHECK(host_shape(s));
	free(s);
	return 0;
}

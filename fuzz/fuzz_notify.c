/*
 * fuzz_notify.c: libFuzzer target for notify_parse(), which reads the
 * sd_notify datagrams that ready = notify jobs send to drover
 * (src/notify_proto.c).
 *
 * The input is one datagram: any bytes, NULs included, not terminated.
 * Besides ASan/UBSan findings it checks the contract against a naive
 * reading of the same bytes (a NUL-terminated copy split with strsep):
 * refused exactly when a NUL comes before the last byte or it is too
 * long, the flags set exactly when their line is there, and a status
 * that is terminated, bounded and holds no control character.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify_proto.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the parser should have found, read the simple way. */
struct expect {
	bool	ready, stopping, watchdog, status;
	int	lines;		/* non-empty */
};

static void
naive(const char *data, size_t len, struct expect *e)
{
	char	*copy, *p, *line;

	memset(e, 0, sizeof(*e));
	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, data, len);
	copy[len] = '\0';
	p = copy;
	while ((line = strsep(&p, "\n")) != NULL) {
		if (*line != '\0')
			e->lines++;
		e->ready |= strcmp(line, "READY=1") == 0;
		e->stopping |= strcmp(line, "STOPPING=1") == 0;
		e->watchdog |= strcmp(line, "WATCHDOG=1") == 0;
		e->status |= strncmp(line, "STATUS=", 7) == 0;
	}
	free(copy);
}

/* Escaped as log_escape() does: printable, tab, or a backslash escape. */
static void
check_status(const struct notify_msg *m)
{
	const char	*s = m->nm_status;
	unsigned char	 c;
	size_t		 i, n;

	CHECK(memchr(s, '\0', sizeof(m->nm_status)) != NULL);
	n = strlen(s);
	if (!m->nm_has_status)
		CHECK(n == 0);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
		if (c != '\\')
			continue;
		CHECK(i + 1 < n && strchr("rn\\x", s[i + 1]) != NULL);
		i += s[i + 1] == 'x' ? 3 : 1;
		CHECK(i < n);
	}
}

static void
check_reset(const struct notify_msg *m)
{
	CHECK(!m->nm_ready && !m->nm_stopping && !m->nm_watchdog);
	CHECK(!m->nm_has_status && m->nm_status[0] == '\0');
	CHECK(m->nm_mainpid == 0 && m->nm_extend_usec == -1);
	CHECK(m->nm_ignored == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*buf = (const char *)data;
	struct notify_msg	 m;
	struct expect		 e;
	size_t			 len = size;
	bool			 refuse;

	if (len > 0 && buf[len - 1] == '\0')
		len--;
	refuse = size > NOTIFY_MSG_MAX ||
	    (len > 0 && memchr(buf, '\0', len) != NULL);
	memset(&m, 0xa5, sizeof(m));
	if (notify_parse(buf, size, &m) == -1) {
		CHECK(refuse);
		check_reset(&m);
		return 0;
	}
	CHECK(!refuse);
	naive(buf, len, &e);
	CHECK(m.nm_ready == e.ready && m.nm_stopping == e.stopping);
	CHECK(m.nm_watchdog == e.watchdog && m.nm_has_status == e.status);
	CHECK(m.nm_ignored >= 0 && m.nm_ignored <= e.lines);
	CHECK(m.nm_mainpid >= 0 && m.nm_extend_usec >= -1);
	check_status(&m);
	return 0;
}

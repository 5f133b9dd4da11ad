/*
 * notify_proto.c: parsing a job's sd_notify(3) datagram.
 *
 * A datagram is newline-separated VARIABLE=VALUE lines, not NUL-terminated.
 * As systemd does, one NUL byte at the end is allowed and any other NUL
 * refuses the whole datagram: a C-string reader would see only its
 * beginning.  Unknown or malformed lines are counted and otherwise
 * ignored, so that a job saying more than drover understands still works.
 */
#include <sys/types.h>

#include <limits.h>
#include <string.h>

#include "log.h"
#include "notify_proto.h"
#include "value.h"

/* Is the line [s, s + n) exactly word? */
static bool
line_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* If the line starts with key, the length of what follows; else -1. */
static ssize_t
line_value(const char *s, size_t n, const char *key)
{
	size_t	klen = strlen(key);

	if (n < klen || memcmp(s, key, klen) != 0)
		return -1;
	return (ssize_t)(n - klen);
}

/* A decimal value in [min, max] (value_int() wants a C string). */
static int
number(const char *s, size_t n, long min, long max, long *out)
{
	char	buf[32];

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return value_int(buf, min, max, out);
}

/* One line, without its '\n'. */
static void
notify_line(const char *s, size_t n, struct notify_msg *m)
{
	ssize_t	vl;
	long	v;

	if (n == 0)
		return;
	if (line_is(s, n, "READY=1"))
		m->nm_ready = true;
	else if (line_is(s, n, "STOPPING=1"))
		m->nm_stopping = true;
	else if (line_is(s, n, "WATCHDOG=1"))
		m->nm_watchdog = true;
	else if ((vl = line_value(s, n, "STATUS=")) >= 0) {
		m->nm_has_status = true;
		log_escape(m->nm_status, sizeof(m->nm_status), s + 7,
		    (size_t)vl);
	} else if ((vl = line_value(s, n, "MAINPID=")) >= 0 &&
	    number(s + 8, (size_t)vl, 1, INT_MAX, &v) == 0)
		m->nm_mainpid = (pid_t)v;
	else if ((vl = line_value(s, n, "EXTEND_TIMEOUT_USEC=")) >= 0 &&
	    number(s + 20, (size_t)vl, 0, LONG_MAX, &v) == 0)
		m->nm_extend_usec = v;
	else
		m->nm_ignored++;
}

/*
 * Parse buf[0, len) into m: 0, or -1 if the datagram is refused (a NUL
 * byte before the last, longer than NOTIFY_MSG_MAX).  m is reset either way.
 */
int
notify_parse(const char *buf, size_t len, struct notify_msg *m)
{
	const char	*p = buf, *end, *nl;

	memset(m, 0, sizeof(*m));
	m->nm_extend_usec = -1;
	if (len > NOTIFY_MSG_MAX)
		return -1;
	if (len > 0 && buf[len - 1] == '\0')
		len--;
	if (len == 0)
		return 0;
	if (memchr(buf, '\0', len) != NULL)
		return -1;
	end = buf + len;
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		notify_line(p, (size_t)((nl != NULL ? nl : end) - p), m);
		if (nl == NULL)
			return 0;
		p = nl + 1;
	}
}

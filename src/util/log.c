/*
 * log.c: drover's own log on stderr.
 *
 * "LEVEL: message" on a terminal or a file; "<N>message" when stderr is the
 * journal ($JOURNAL_STREAM names stderr's device and inode), so journald
 * records the priority.  Job output in `log` mode goes through
 * log_job_line(), which escapes control characters so a job cannot forge
 * drover's lines, or goes to journald as structured fields.
 *
 * drover's own lines are also kept, with a timestamp, in a ring of
 * LOG_RING_SIZE bytes (outring.h) that `droverctl maintail` and
 * supervisord's readLog read; job output is not (each instance keeps its
 * own).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "outring.h"

#define LOG_RING_SIZE	(64 * 1024)

static struct outring	ring = { .cap = LOG_RING_SIZE };
static int	log_level = LOG_INFO;
static bool	log_debugging;
static bool	log_journal;

/* How fd 2 can be written without blocking (see log_flush). */
enum { OUT_FILE, OUT_PIPE, OUT_SOCKET };
static int	out_kind = OUT_FILE;
static struct {
	char	*buf;
	size_t	 off, len, cap;
	uint64_t dropped;
} q;
#define QUEUE_HARD_MAX	(16u * 1024 * 1024)	/* only our own lines pass
						 * the soft bound; this one
						 * drops, with a count */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static bool
stderr_is_journal(void)
{
	const char		*e;
	struct stat		 st;
	unsigned long long	 dev, ino;

	if ((e = getenv("JOURNAL_STREAM")) == NULL)
		return false;
	if (sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void
log_init(int level, bool debug)
{
	struct stat	st;

	log_level = level;
	log_debugging = debug;
	log_journal = stderr_is_journal();
	if (fstat(STDERR_FILENO, &st) == 0) {
		if (S_ISSOCK(st.st_mode))
			out_kind = OUT_SOCKET;
		else if (S_ISFIFO(st.st_mode) || isatty(STDERR_FILENO))
			out_kind = OUT_PIPE;	/* pipe, FIFO, tty: may block */
	}
}

/* Room for n more bytes at the end of the queue, or NULL past the cap. */
static char *
queue_reserve(size_t n)
{
	size_t	need;

	if (q.len + n > QUEUE_HARD_MAX)
		return NULL;
	if (q.off > 0 && q.off + q.len + n > q.cap) {
		memmove(q.buf, q.buf + q.off, q.len);
		q.off = 0;
	}
	need = q.off + q.len + n;
	if (need > q.cap) {
		/* small at first: an idle daemon should not keep 64 KiB */
		q.cap = need < 4096 ? 4096 : need * 2;
		if ((q.buf = realloc(q.buf, q.cap)) == NULL)
			abort();	/* cannot even log it */
	}
	return q.buf + q.off + q.len;
}

static void
queue_add(const char *s, size_t n)
{
	char	*p;

	if ((p = queue_reserve(n)) == NULL) {
		q.dropped += n;
		return;
	}
	memcpy(p, s, n);
	q.len += n;
}

static bool
needs_escape(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f || c == '\\';
}

/*
 * How many bytes from the start of s need no escape.  Eight at a time: a
 * word with no byte below 0x20, no 0x7f and no backslash is plain (the
 * "has a byte less than" and "has a zero byte" tests of the bit-twiddling
 * folklore, exact as yes/no answers); a word that fails is looked at byte
 * by byte, so a tab costs only its word.
 */
static size_t
plain_prefix(const char *s, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w, del, bs;
	size_t		 i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, sizeof(w));
		del = w ^ (0x7f * ones);
		bs = w ^ ((uint64_t)'\\' * ones);
		if ((((w - 0x20 * ones) & ~w) | ((del - ones) & ~del) |
		    ((bs - ones) & ~bs)) & high)
			break;
	}
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}

/* One job line into the queue: prefix, bytes escaped as log_escape()
 * does, newline; one reservation for the worst case. */
static void
queue_add_line(const char *head, size_t hlen, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*p, *start;
	unsigned char		 c;
	size_t			 i, k;

	if ((p = start = queue_reserve(hlen + 4 * n + 1)) == NULL) {
		q.dropped += hlen + n + 1;
		return;
	}
	memcpy(p, head, hlen);
	p += hlen;
	for (i = 0; i < n; i++) {
		k = plain_prefix(s + i, n - i);
		memcpy(p, s + i, k);
		p += k;
		if ((i += k) == n)
			break;
		c = (unsigned char)s[i];
		*p++ = '\\';
		if (c == '\r')
			*p++ = 'r';
		else if (c == '\n')
			*p++ = 'n';
		else if (c == '\\')
			*p++ = '\\';
		else {
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 0xf];
		}
	}
	*p++ = '\n';
	q.len += (size_t)(p - start);
}

/* One write that does not block: -1 with EAGAIN when fd 2 is full. */
static ssize_t
write_nb(const char *s, size_t n)
{
	struct pollfd	pfd = { STDERR_FILENO, POLLOUT, 0 };

	switch (out_kind) {
	case OUT_SOCKET:
		return send(STDERR_FILENO, s, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	case OUT_PIPE:
		/* POLLOUT promises room for PIPE_BUF bytes, no more */
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
			errno = EAGAIN;
			return -1;
		}
		return write(STDERR_FILENO, s, n > 4096 ? 4096 : n);
	default:
		return write(STDERR_FILENO, s, n);
	}
}

static void	(*pending_cb)(void *);
static void	*pending_arg;

/*
 * While the daemon's loop runs, a message is written with the others of
 * the same turn of the loop (one write for a shutdown's thousand result
 * lines, not a thousand): the first one queued asks for a flush at the
 * end of the turn; a full batch goes at once.
 */
#define BATCH_MAX	(64 * 1024)
static void	(*batch_cb)(void *);
static void	*batch_arg;
static bool	 batch_armed;

void
log_on_batch(void (*cb)(void *), void *arg)
{
	batch_cb = cb;
	batch_arg = arg;
	batch_armed = false;
}

void
log_batch_flush(void)
{
	batch_armed = false;
	(void)log_flush();
}

/* A message was queued: write it now, or with the rest of the turn. */
static void
queue_done(void)
{
	if (batch_cb == NULL || q.len >= BATCH_MAX) {
		(void)log_flush();
		return;
	}
	if (!batch_armed) {
		batch_armed = true;
		batch_cb(batch_arg);
	}
}

void
log_on_pending(void (*cb)(void *), void *arg)
{
	pending_cb = cb;
	pending_arg = arg;
}

size_t
log_flush(void)
{
	ssize_t	n;
	int	saved = errno;

	while (q.len > 0) {
		n = write_nb(q.buf + q.off, q.len);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
				q.off = q.len = 0;	/* stderr is gone */
			break;
		}
		q.off += (size_t)n;
		q.len -= (size_t)n;
	}
	if (q.len == 0)
		q.off = 0;
	if (q.dropped > 0 && q.len == 0) {
		char	msg[96];
		int	m = snprintf(msg, sizeof(msg), "%s%llu bytes of log "
		    "output dropped: stderr was blocked\n", log_journal ?
		    "<4>" : "warning: ", (unsigned long long)q.dropped);
		q.dropped = 0;
		queue_add(msg, (size_t)m);
	}
	if (q.len > 0 && pending_cb != NULL)
		pending_cb(pending_arg);	/* EAGAIN: finish when writable */
	errno = saved;
	return q.len;
}

void
log_flush_blocking(void)
{
	struct pollfd	pfd = { STDERR_FILENO, POLLOUT, 0 };
	int		tries = 0;

	while (log_flush() > 0 && tries++ < 1000)
		(void)poll(&pfd, 1, 10);
}

void
log_setlevel(int level)
{
	log_level = level;
}

bool
log_debug_enabled(void)
{
	return log_debugging || log_level >= LOG_DEBUG;
}

#define SLOW_CALLBACK_MS	50

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
log_cb_begin(void)
{
	return log_debugging ? mono_ms() : 0;
}

void
log_cb_end(int64_t t0, const char *what, const char *who)
{
	int64_t	ms;

	if (!log_debugging)
		return;
	if ((ms = mono_ms() - t0) > SLOW_CALLBACK_MS)
		log_warnx("slow callback: %s%s%s took %lldms", what,
		    who != NULL ? " " : "", who != NULL ? who : "",
		    (long long)ms);
}

int
log_level_parse(const char *s, int *level)
{
	static const struct { const char *name; int level; } names[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "notice", LOG_NOTICE }, { "warning", LOG_WARNING },
		{ "warn", LOG_WARNING }, { "error", LOG_ERR },
		/* supervisord's names */
		{ "critical", LOG_CRIT }, { "trace", LOG_DEBUG },
		{ "blather", LOG_DEBUG },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

/* "2026-12-04 01:20:00,123 info: message\n" into the ring. */
static void
ring_add(int pri, const char *msg)
{
	struct timespec	ts;
	struct tm	tm;
	char		line[4200], when[32];
	int		n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)ts.tv_sec);
	n = snprintf(line, sizeof(line), "%s,%03ld %s: %s\n", when,
	    ts.tv_nsec / 1000000, log_level_name(pri), msg);
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (n > 0)
		outring_append(&ring, line, (size_t)n);
}

const struct outring *
log_ring(void)
{
	return &ring;
}

uint64_t
log_ring_end(void)
{
	return outring_end(&ring);
}

uint64_t
log_ring_start(void)
{
	return outring_start(&ring);
}

size_t
log_ring_read(uint64_t from, size_t max, struct evbuffer *dst)
{
	return outring_read(&ring, from, max, dst);
}

void
log_ring_clear(void)
{
	outring_clear(&ring);
}

void
log_vmsg(int pri, const char *fmt, va_list ap)
{
	int	saved = errno, n;
	char	buf[4096], line[4200];

	if (pri > log_level)
		goto out;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	ring_add(pri, buf);
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s\n", pri, buf);
	else
		n = snprintf(line, sizeof(line), "%s: %s\n", log_level_name(pri),
		    buf);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	queue_add(line, (size_t)n);
	queue_done();
out:
	errno = saved;
}

void
log_msg(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(pri, fmt, ap);
	va_end(ap);
}

static void
log_vwarn(int pri, const char *fmt, va_list ap)
{
	int	 saved = errno;
	char	 buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(pri, "%s: %s", buf, strerror(saved));
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwarn(LOG_WARNING, fmt, ap);
	va_end(ap);
}

#define LOG_FUNC(fn, pri)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list	ap;					\
							\
	va_start(ap, fmt);				\
	log_vmsg(pri, fmt, ap);				\
	va_end(ap);					\
}
LOG_FUNC(log_warnx, LOG_WARNING)
LOG_FUNC(log_error, LOG_ERR)
LOG_FUNC(log_notice, LOG_NOTICE)
LOG_FUNC(log_info, LOG_INFO)
LOG_FUNC(log_debug, LOG_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwarn(LOG_CRIT, fmt, ap);
	va_end(ap);
	log_flush_blocking();
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	log_flush_blocking();
	exit(1);
}

size_t
log_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;
	unsigned char		 c;

	for (i = 0; i < len && o + 5 < dstsz; i++) {
		c = (unsigned char)src[i];
		if (c == '\t' || (c >= 0x20 && c != 0x7f && c != '\\')) {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		switch (c) {
		case '\r': dst[o++] = 'r'; break;
		case '\n': dst[o++] = 'n'; break;
		case '\\': dst[o++] = '\\'; break;
		default:
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return o;
}

void
log_job_line(const char *job, const char *instance, int num, pid_t pid,
    bool is_stderr, const char *line, size_t len)
{
	static char		 buf[4 * 16384 + 16];	/* every byte \xNN */
	static char		 head[300];
	static size_t		 head_len;
	static const char	*head_inst;
	static pid_t		 head_pid;

	if (log_journal) {
		log_escape(buf, sizeof(buf), line, len);
		sd_journal_send("MESSAGE=%s", buf,
		    "SYSLOG_IDENTIFIER=%s", instance, "DROVER_JOB=%s", job,
		    "DROVER_INSTANCE=%d", num, "DROVER_PID=%ld", (long)pid,
		    "PRIORITY=%d", is_stderr ? LOG_ERR : LOG_INFO, NULL);
		return;
	}
	/* lines come in batches from one instance: keep its prefix */
	if (instance != head_inst || pid != head_pid) {
		head_inst = instance;
		head_pid = pid;
		head_len = (size_t)snprintf(head, sizeof(head), "%s[%ld]: ",
		    instance, (long)pid);
		if (head_len >= sizeof(head))
			head_len = sizeof(head) - 1;
	}
	queue_add_line(head, head_len, line, len);
}

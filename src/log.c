/*
 * log.c: drover's own log on stderr.
 *
 * "LEVEL: message" on a terminal or a file; "<N>message" when stderr is the
 * journal ($JOURNAL_STREAM names stderr's device and inode), so journald
 * records the priority.  Job output in `log` mode goes through
 * log_job_line(), which escapes control characters so a job cannot forge
 * drover's lines, or goes to journald as structured fields.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

static int	log_level = LOG_INFO;
static bool	log_debugging;
static bool	log_journal;

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
	log_level = level;
	log_debugging = debug;
	log_journal = stderr_is_journal();
	setvbuf(stderr, NULL, _IOLBF, 0);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

bool
log_debug_enabled(void)
{
	return log_debugging || log_level >= LOG_DEBUG;
}

bool
log_to_journal(void)
{
	return log_journal;
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

void
log_vmsg(int pri, const char *fmt, va_list ap)
{
	int	saved = errno;
	char	buf[4096];

	if (pri > log_level)
		goto out;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", pri, buf);
	else
		fprintf(stderr, "%s: %s\n", log_level_name(pri), buf);
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
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
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
log_job_line(const char *job, const char *instance, pid_t pid,
    bool is_stderr, const char *line, size_t len)
{
	static char	buf[4 * 16384 + 16];	/* worst case: every byte \xNN */

	log_escape(buf, sizeof(buf), line, len);
	if (log_journal) {
		sd_journal_send("MESSAGE=%s", buf,
		    "SYSLOG_IDENTIFIER=%s", instance, "DROVER_JOB=%s", job,
		    "DROVER_INSTANCE=%s", instance, "DROVER_PID=%ld", (long)pid,
		    "PRIORITY=%d", is_stderr ? LOG_ERR : LOG_INFO, NULL);
		return;
	}
	fprintf(stderr, "%s[%ld]: %s\n", instance, (long)pid, buf);
}

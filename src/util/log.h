/* log.h: drover's own messages, smtpd style (log_warn adds strerror). */
#ifndef DROVER_LOG_H
#define DROVER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <syslog.h>

void	 log_init(int level, bool debug);
void	 log_setlevel(int level);
bool	 log_debug_enabled(void);	/* --debug: transitions, slow callbacks */
/* --debug: warn when one loop callback runs longer than 50 ms. */
int64_t	 log_cb_begin(void);
void	 log_cb_end(int64_t t0, const char *what, const char *who);
int	 log_level_parse(const char *, int *);
const char *log_level_name(int);

void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_msg(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	 log_vmsg(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
__attribute__((noreturn)) void fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/* One line of a job's output, in `log` mode (escaped, or to journald). */
void	 log_job_line(const char *job, const char *instance, int num,
	    pid_t pid, bool is_stderr, const char *line, size_t len);
/*
 * stderr is written without blocking through one queue: job lines are
 * queued and written when the reader of a pipe flushes; drover's own
 * messages are queued and flushed at once.  log_flush() returns how much
 * waits, so output.c stops reading job pipes while stderr is slow.
 */
/* Called whenever a flush leaves bytes queued: the loop must watch fd 2. */
void	 log_on_pending(void (*)(void *), void *);
/* while a loop runs: CB(ARG) asks for log_batch_flush() at the end of
 * its turn (NULL: every message is written at once) */
void	 log_on_batch(void (*)(void *), void *);
void	 log_batch_flush(void);
size_t	 log_flush(void);		/* returns what is still pending */
void	 log_flush_blocking(void);	/* at exit: everything, waiting */
/* log_ring_*(): drover's own recent lines, declared in outring.h */
/* Escape control characters (not tab) of a job line; returns bytes written. */
size_t	 log_escape(char *dst, size_t dstsz, const char *src, size_t len);

#endif

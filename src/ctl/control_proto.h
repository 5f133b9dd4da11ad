/*
 * control_proto.h: one control request line (droverctl(1) PROTOCOL)
 * decoded into a struct ctl_request, with no daemon state: control_cmd.c
 * acts on the result, and the fuzzer and unit tests call the same code.
 */
#ifndef DROVER_CONTROL_PROTO_H
#define DROVER_CONTROL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum ctl_cmd {
	CTL_STATUS, CTL_START, CTL_STOP, CTL_RESTART, CTL_RUN, CTL_SIGNAL,
	CTL_RELOAD, CTL_SHUTDOWN, CTL_VERSION, CTL_HISTORY,
	CTL_METRICS, CTL_TAIL, CTL_MAINTAIL, CTL_CLEAR, CTL__MAX
};

enum ctl_decode {
	CTL_DEC_OK,		/* a request: cr_which and what follows */
	CTL_DEC_BLANK,		/* nothing but white space: no reply */
	CTL_DEC_ERROR		/* cr_error and cr_message */
};

#define CTL_MESSAGE_MAX	512
#define CTL_TAIL_CHUNK	65536		/* bytes of output per tail reply */
#define CTL_TAIL_LINES	1000000		/* at most, for "lines" */

/*
 * cr_cmd and cr_id are set as far as the line could be read, errors
 * included, so that the reply can echo them.  They and cr_args point into
 * cr_json: ctl_request_free() releases it all.
 */
struct ctl_request {
	json_t		 *cr_json;	/* the parsed line, or NULL */
	const char	 *cr_cmd;	/* "cmd" as sent, or NULL */
	json_t		 *cr_id;	/* "id", any JSON value, or NULL */
	enum ctl_cmd	  cr_which;
	const char	**cr_args;	/* cr_nargs non-empty strings, NULL */
	size_t		  cr_nargs;
	bool		  cr_wait;	/* "wait", default true */
	int		  cr_signal;	/* CTL_SIGNAL: its second argument */
	/* CTL_TAIL, CTL_MAINTAIL: where to begin, at most one of the two
	 * (-1: not given), and the bytes to send (1..CTL_TAIL_CHUNK) */
	int64_t		  cr_lines;	/* the last N lines */
	int64_t		  cr_from;	/* a virtual offset from a reply */
	size_t		  cr_max;
	bool		  cr_stderr;	/* CTL_TAIL: "stderr" */
	const char	 *cr_error;	/* CTL_E_* (control.h) */
	char		  cr_message[CTL_MESSAGE_MAX];
};

enum ctl_decode	 ctl_request_decode(const char *, size_t,
		    struct ctl_request *);
void		 ctl_request_free(struct ctl_request *);

/* Replies: {"ok": ..., "cmd": ..., "id": ...}, errors with "error" (a
 * CTL_E_* code) and "message". */
json_t		*ctl_json_str(const char *);	/* not UTF-8: '?' */
/* n bytes (NULs too) as a JSON string; bytes that are not UTF-8: '?' */
json_t		*ctl_json_bytes(const char *, size_t);
/* n, or less so that a chunk does not end inside a UTF-8 sequence (the
 * next chunk begins with it); never 0 for n > 0 */
size_t		 ctl_utf8_cut(const char *, size_t);
json_t		*ctl_reply_new(const struct ctl_request *, bool ok);
json_t		*ctl_reply_verror(const struct ctl_request *, const char *code,
		    const char *fmt, va_list) __attribute__((format(printf, 3, 0)));
json_t		*ctl_reply_error(const char *code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif

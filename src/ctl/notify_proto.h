/*
 * notify_proto.h: one sd_notify(3) datagram from a job, parsed without
 * touching any instance; notify.c acts on the result.
 */
#ifndef DROVER_NOTIFY_PROTO_H
#define DROVER_NOTIFY_PROTO_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTIFY_MSG_MAX		4096	/* bytes; longer datagrams are refused */
#define NOTIFY_STATUS_MAX	512	/* STATUS= as kept, escaped, with NUL */

/* What one datagram says; of a repeated field, the last valid line wins. */
struct notify_msg {
	bool	 nm_ready;		/* READY=1 */
	bool	 nm_stopping;		/* STOPPING=1 */
	bool	 nm_watchdog;		/* WATCHDOG=1 */
	bool	 nm_has_status;		/* STATUS= (may be empty) */
	char	 nm_status[NOTIFY_STATUS_MAX];	/* escaped as log_escape() */
	pid_t	 nm_mainpid;		/* MAINPID=, 0 if none */
	int64_t	 nm_extend_usec;	/* EXTEND_TIMEOUT_USEC=, -1 if none */
	int	 nm_ignored;		/* lines not understood, bad values */
};

int	notify_parse(const char *, size_t, struct notify_msg *);

#endif

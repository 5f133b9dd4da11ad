/*
 * evlisten_proto.h: supervisord's event listener protocol (version 3.0),
 * the pure half: event type names, the envelope, the listener's replies.
 * No daemon state: unit-tested (tests/unit/check_evlisten_proto.c) and
 * fuzzed (fuzz/fuzz_evlisten.c).
 */
#ifndef DROVER_EVLISTEN_PROTO_H
#define DROVER_EVLISTEN_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The event types drover sends, supervisord's names; a subscription to a
 * type includes its subtypes (EVENT: all). */
int		 evl_type_lookup(const char *name);	/* index, or -1 */
const char	*evl_type_name(int type);
bool		 evl_type_matches(int subscribed, int type);
int		 evl_ntypes(void);

/* The header line, "ver:3.0 server:supervisor serial:N pool:NAME
 * poolserial:N eventname:X len:N\n"; returns its length (as snprintf). */
int		 evl_header(char *buf, size_t bufsz, uint64_t serial,
		    const char *pool, uint64_t poolserial, const char *name,
		    size_t len);

enum evl_reply {
	EVL_NEED_MORE,	/* nothing complete yet */
	EVL_READY,	/* "READY\n" */
	EVL_OK,		/* "RESULT 2\nOK" */
	EVL_FAIL,	/* a RESULT with any other body: rebuffer */
	EVL_BAD,	/* not the protocol: the listener is in UNKNOWN */
};

/*
 * One reply from a listener's stdout buffer.  busy: an event is out (a
 * RESULT is expected, else READY).  *used: bytes consumed (0 with
 * EVL_NEED_MORE).  A RESULT body is at most EVL_MAX_RESULT bytes.
 */
#define EVL_MAX_RESULT	65536
enum evl_reply	 evl_parse(const char *buf, size_t len, bool busy,
		    size_t *used);

#endif

/*
 * evlisten_proto.c: the bytes of supervisord's event listener protocol.
 * A listener writes "READY\n"; it is sent one envelope (the header line
 * of evl_header(), then exactly len bytes of payload) and answers
 * "RESULT <n>\n" followed by n bytes: "OK" is done, anything else is
 * supervisord's default_handler rejecting it (resent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlisten_proto.h"

struct evtype {
	const char	*name;
	int		 parent;	/* -1: EVENT itself */
};

enum { T_EVENT, T_PSTATE, T_PLOG, T_PCOMM, T_SUPSTATE, T_TICK, T_PGROUP };

static const struct evtype types[] = {
	{ "EVENT", -1 },
	{ "PROCESS_STATE", T_EVENT },
	{ "PROCESS_LOG", T_EVENT },
	{ "PROCESS_COMMUNICATION", T_EVENT },
	{ "SUPERVISOR_STATE_CHANGE", T_EVENT },
	{ "TICK", T_EVENT },
	{ "PROCESS_GROUP", T_EVENT },
	{ "PROCESS_STATE_STOPPED", T_PSTATE },
	{ "PROCESS_STATE_STARTING", T_PSTATE },
	{ "PROCESS_STATE_RUNNING", T_PSTATE },
	{ "PROCESS_STATE_BACKOFF", T_PSTATE },
	{ "PROCESS_STATE_STOPPING", T_PSTATE },
	{ "PROCESS_STATE_EXITED", T_PSTATE },
	{ "PROCESS_STATE_FATAL", T_PSTATE },
	{ "PROCESS_STATE_UNKNOWN", T_PSTATE },
	{ "PROCESS_LOG_STDOUT", T_PLOG },
	{ "PROCESS_LOG_STDERR", T_PLOG },
	{ "PROCESS_COMMUNICATION_STDOUT", T_PCOMM },
	{ "PROCESS_COMMUNICATION_STDERR", T_PCOMM },
	{ "SUPERVISOR_STATE_CHANGE_RUNNING", T_SUPSTATE },
	{ "SUPERVISOR_STATE_CHANGE_STOPPING", T_SUPSTATE },
	{ "TICK_5", T_TICK },
	{ "TICK_60", T_TICK },
	{ "TICK_3600", T_TICK },
	{ "PROCESS_GROUP_ADDED", T_PGROUP },
	{ "PROCESS_GROUP_REMOVED", T_PGROUP },
	{ "REMOTE_COMMUNICATION", T_EVENT },
};
#define NTYPES	((int)(sizeof(types) / sizeof(types[0])))

int
evl_ntypes(void)
{
	return NTYPES;
}

int
evl_type_lookup(const char *name)
{
	int	i;

	for (i = 0; i < NTYPES; i++) {
		if (strcmp(types[i].name, name) == 0)
			return i;
	}
	return -1;
}

const char *
evl_type_name(int type)
{
	return type >= 0 && type < NTYPES ? types[type].name : NULL;
}

bool
evl_type_matches(int subscribed, int type)
{
	while (type >= 0 && type < NTYPES) {
		if (type == subscribed)
			return true;
		type = types[type].parent;
	}
	return false;
}

int
evl_header(char *buf, size_t bufsz, uint64_t serial, const char *pool,
    uint64_t poolserial, const char *name, size_t len)
{
	return snprintf(buf, bufsz, "ver:3.0 server:supervisor serial:%llu "
	    "pool:%s poolserial:%llu eventname:%s len:%zu\n",
	    (unsigned long long)serial, pool, (unsigned long long)poolserial,
	    name, len);
}

/* "RESULT <digits>\n<body>" at buf. */
static enum evl_reply
parse_result(const char *buf, size_t len, size_t *used)
{
	static const char	 tok[] = "RESULT ";
	const char		*nl, *p;
	size_t			 n = 0, tl = sizeof(tok) - 1;

	if (memcmp(buf, tok, len < tl ? len : tl) != 0)
		return EVL_BAD;
	if ((nl = memchr(buf, '\n', len)) == NULL)
		return len > tl + 16 ? EVL_BAD : EVL_NEED_MORE;
	if (nl - buf <= (ptrdiff_t)tl)
		return EVL_BAD;
	for (p = buf + tl; p < nl; p++) {
		if (*p < '0' || *p > '9' || n > EVL_MAX_RESULT)
			return EVL_BAD;
		n = n * 10 + (size_t)(*p - '0');
	}
	if (n > EVL_MAX_RESULT)
		return EVL_BAD;
	p = nl + 1;
	if ((size_t)(buf + len - p) < n)
		return EVL_NEED_MORE;
	*used = (size_t)(p - buf) + n;
	return n == 2 && memcmp(p, "OK", 2) == 0 ? EVL_OK : EVL_FAIL;
}

enum evl_reply
evl_parse(const char *buf, size_t len, bool busy, size_t *used)
{
	static const char	 ready[] = "READY\n";
	size_t			 rl = sizeof(ready) - 1;

	*used = 0;
	if (len == 0)
		return EVL_NEED_MORE;
	if (busy)
		return parse_result(buf, len, used);
	if (memcmp(buf, ready, len < rl ? len : rl) != 0)
		return EVL_BAD;
	if (len < rl)
		return EVL_NEED_MORE;
	*used = rl;
	return EVL_READY;
}

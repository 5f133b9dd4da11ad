/*
 * rpc_util.c: what every XML-RPC method module uses: supervisord's faults,
 * argument checks, XML-safe strings, supervisord's log-reading arithmetic
 * and result structs (rpc_int.h).
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "log.h"
#include "rpc_int.h"
#include "xmalloc.h"

static const char *const fault_names[] = {
	[F_UNKNOWN_METHOD] = "UNKNOWN_METHOD",
	[F_INCORRECT_PARAMETERS] = "INCORRECT_PARAMETERS",
	[F_BAD_ARGUMENTS] = "BAD_ARGUMENTS",
	[F_SIGNATURE_UNSUPPORTED] = "SIGNATURE_UNSUPPORTED",
	[F_SHUTDOWN_STATE] = "SHUTDOWN_STATE",
	[F_BAD_NAME] = "BAD_NAME",
	[F_BAD_SIGNAL] = "BAD_SIGNAL",
	[F_NO_FILE] = "NO_FILE",
	[F_NOT_EXECUTABLE] = "NOT_EXECUTABLE",
	[F_FAILED] = "FAILED",
	[F_ABNORMAL_TERMINATION] = "ABNORMAL_TERMINATION",
	[F_SPAWN_ERROR] = "SPAWN_ERROR",
	[F_ALREADY_STARTED] = "ALREADY_STARTED",
	[F_NOT_RUNNING] = "NOT_RUNNING",
	[F_SUCCESS] = "SUCCESS",
	[F_ALREADY_ADDED] = "ALREADY_ADDED",
	[F_STILL_RUNNING] = "STILL_RUNNING",
	[F_CANT_REREAD] = "CANT_REREAD",
};

/* --- helpers for the methods ---------------------------------------------- */

/* A fault as supervisord words it: "BAD_NAME: web" ("BAD_NAME" alone). */
void
rpc_fault(xmlrpc_env *env, int code, const char *fmt, ...)
{
	const char	*name = "FAILED";
	char		 extra[512] = "";
	va_list		 ap;

	if (code > 0 && (size_t)code < sizeof(fault_names) /
	    sizeof(fault_names[0]) && fault_names[code] != NULL)
		name = fault_names[code];
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(extra, sizeof(extra), fmt, ap);
		va_end(ap);
	}
	if (extra[0] != '\0')
		xmlrpc_env_set_fault_formatted(env, code, "%s: %s", name,
		    extra);
	else
		xmlrpc_env_set_fault(env, code, name);
}

/*
 * A string for XML: valid UTF-8, and none of the control characters XML
 * 1.0 cannot carry (a job may print anything).  Each bad byte becomes
 * U+FFFD, as Python's errors="replace" would show it.
 */
xmlrpc_value *
rpc_string(xmlrpc_env *env, const char *s, size_t len)
{
	static const char repl[] = "\xef\xbf\xbd";
	struct evbuffer	*b;
	const unsigned char *p, *end;
	xmlrpc_value	*v;
	size_t		 n, k;

	if (len == 0)
		return xmlrpc_string_new(env, "");
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	p = (const unsigned char *)s;
	end = p + len;
	while (p < end) {
		if (*p < 0x80) {
			if ((*p < 0x20 && *p != '\t' && *p != '\n' &&
			    *p != '\r') || *p == 0x7f)
				evbuffer_add(b, repl, 3);
			else
				evbuffer_add(b, p, 1);
			p++;
			continue;
		}
		n = *p >= 0xf0 && *p < 0xf5 ? 4 : *p >= 0xe0 ? 3 :
		    *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
		for (k = 1; n != 0 && k < n; k++)
			if (p + k >= end || (p[k] & 0xc0) != 0x80)
				n = 0;
		/* no overlong 3-byte forms, no surrogates */
		if (n == 3 && ((*p == 0xe0 && p[1] < 0xa0) ||
		    (*p == 0xed && p[1] >= 0xa0)))
			n = 0;
		if (n == 4 && ((*p == 0xf0 && p[1] < 0x90) ||
		    (*p == 0xf4 && p[1] >= 0x90)))
			n = 0;
		if (n == 0) {
			evbuffer_add(b, repl, 3);
			p++;
		} else {
			evbuffer_add(b, p, n);
			p += n;
		}
	}
	n = evbuffer_get_length(b);
	v = xmlrpc_string_new_lp(env, n, (const char *)evbuffer_pullup(b,
	    -1));
	evbuffer_free(b);
	return v;
}

bool
rpc_nargs(xmlrpc_env *env, xmlrpc_value *params, int min, int max)
{
	int	n = xmlrpc_array_size(env, params);

	if (env->fault_occurred)
		return false;
	if (n < min || n > max) {
		rpc_fault(env, F_SIGNATURE_UNSUPPORTED, NULL);
		return false;
	}
	return true;
}

bool
rpc_arg_string(xmlrpc_env *env, xmlrpc_value *params, int i, char **out)
{
	xmlrpc_value	*v;
	const char	*s;

	*out = NULL;
	xmlrpc_array_read_item(env, params, i, &v);
	if (env->fault_occurred)
		return false;
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_STRING) {
		xmlrpc_DECREF(v);
		rpc_fault(env, F_INCORRECT_PARAMETERS, NULL);
		return false;
	}
	xmlrpc_read_string(env, v, &s);
	xmlrpc_DECREF(v);
	if (env->fault_occurred)
		return false;
	/* xmlrpc-c hands out a malloc'd const char *: take it as ours */
	memcpy(out, &s, sizeof(*out));
	return true;
}

bool
rpc_arg_int(xmlrpc_env *env, xmlrpc_value *params, int i, int *out)
{
	xmlrpc_value	*v;

	xmlrpc_array_read_item(env, params, i, &v);
	if (env->fault_occurred)
		return false;
	if (xmlrpc_value_type(v) != XMLRPC_TYPE_INT) {
		xmlrpc_DECREF(v);
		rpc_fault(env, F_INCORRECT_PARAMETERS, NULL);
		return false;
	}
	xmlrpc_read_int(env, v, out);
	xmlrpc_DECREF(v);
	return !env->fault_occurred;
}

/* An optional boolean (wait=); Python's xmlrpc may send it as an int. */
bool
rpc_arg_bool(xmlrpc_env *env, xmlrpc_value *params, int i, bool def,
    bool *out)
{
	xmlrpc_value	*v;
	xmlrpc_bool	 b;
	int		 n;

	*out = def;
	if (xmlrpc_array_size(env, params) <= i)
		return !env->fault_occurred;
	xmlrpc_array_read_item(env, params, i, &v);
	if (env->fault_occurred)
		return false;
	if (xmlrpc_value_type(v) == XMLRPC_TYPE_BOOL) {
		xmlrpc_read_bool(env, v, &b);
		*out = b != 0;
	} else if (xmlrpc_value_type(v) == XMLRPC_TYPE_INT) {
		xmlrpc_read_int(env, v, &n);
		*out = n != 0;
	} else
		rpc_fault(env, F_INCORRECT_PARAMETERS, NULL);
	xmlrpc_DECREF(v);
	return !env->fault_occurred;
}

/*
 * supervisord's readFile() over a stream of which [start, end) is kept:
 * a negative offset is that many bytes from the end (length must be 0),
 * length 0 is "to the end".  What is asked before start is not there any
 * more: the read begins at start.
 */
void
rpc_read_range(xmlrpc_env *env, uint64_t start, uint64_t end, int offset,
    int length, uint64_t *from, size_t *len)
{
	uint64_t	f, t;

	if (offset < 0) {
		if (length != 0) {
			rpc_fault(env, F_BAD_ARGUMENTS, NULL);
			return;
		}
		f = (uint64_t)-(int64_t)offset > end ? 0 :
		    end - (uint64_t)-(int64_t)offset;
		t = end;
	} else {
		if (length < 0) {
			rpc_fault(env, F_BAD_ARGUMENTS, NULL);
			return;
		}
		f = (uint64_t)offset;
		t = length == 0 ? end : f + (uint64_t)length;
	}
	if (f < start)
		f = start;
	if (t > end)
		t = end;
	*from = f;
	*len = t > f ? (size_t)(t - f) : 0;
}

/*
 * supervisord's tailFile(): [bytes, offset, overflow].  Asked for length
 * bytes at offset; if more than that has been written since, the answer
 * jumps to the last length bytes and says it overflowed.  The offset
 * returned is the end, for the next call.
 */
void
rpc_tail(uint64_t start, uint64_t end, int offset, int length,
    uint64_t *from, size_t *len, bool *overflow)
{
	int64_t	sz = (int64_t)end, off = offset, l = length;

	*overflow = false;
	if (sz > off + l) {
		*overflow = true;
		off = sz - 1;
	}
	if (off + l > sz) {
		if (off > sz - 1)
			l = 0;
		off = sz - l;
	}
	if (off < 0)
		off = 0;
	if (l < 0)
		l = 0;
	if ((uint64_t)off < start) {
		l -= (int64_t)start - off;
		off = (int64_t)start;
		if (l < 0)
			l = 0;
	}
	*from = (uint64_t)off;
	*len = (size_t)l;
}

/* One result struct of a group or all call, as supervisord's. */
void
rpc_result_add(xmlrpc_env *env, xmlrpc_value *a, const char *group,
    const char *name, const xmlrpc_env *fault)
{
	xmlrpc_value	*st;

	st = xmlrpc_build_value(env, "{s:s,s:s,s:i,s:s}", "name", name,
	    "group", group, "status", fault->fault_occurred ?
	    fault->fault_code : F_SUCCESS, "description",
	    fault->fault_occurred ? fault->fault_string : "OK");
	if (st != NULL) {
		xmlrpc_array_append_item(env, a, st);
		xmlrpc_DECREF(st);
	}
}


/* Add a table of methods to the registry, each with rpc as its
 * serverInfo (a fault in env stops it). */
void
rpc_register(xmlrpc_env *env, struct rpc *rpc,
    const struct xmlrpc_method_info3 *methods, size_t n)
{
	struct xmlrpc_method_info3	mi;
	size_t				i;

	for (i = 0; i < n && !env->fault_occurred; i++) {
		mi = methods[i];
		mi.serverInfo = rpc;
		xmlrpc_registry_add_method3(env, rpc->r_reg, &mi);
	}
}

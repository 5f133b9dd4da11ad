/*
 * rpc.c: the /RPC2 transport, answers that wait, and the methods about
 * drover itself (see rpc.h).  The process methods are in rpc_proc.c.
 *
 * A request body goes to xmlrpc-c's registry with a struct rpc_call as
 * its callInfo.  A method that must wait (startProcess with wait=true ...)
 * leaves what it waits for in the call and returns a placeholder; the
 * answer the registry wrote is then dropped, the request stays open, and
 * rpc_check_cb answers it from the bus once everything it waits for has
 * settled, or at its bound.  Inside system.multicall nothing waits: the
 * registry calls the methods one after the other and wants each answer
 * at once (supervisorctl never sends a waiting call in a multicall).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "outring.h"
#include "rpc.h"
#include "rpc_int.h"
#include "value.h"
#include "xmalloc.h"

#define API_VERSION	"3.0"	/* supervisord 4.2's rpcinterface */
#define RPC_MAX_WAITING	64	/* waiting calls at once */

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
	struct evbuffer	*b = evbuffer_new();
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	xmlrpc_value	*v;
	size_t		 n, k;

	if (b == NULL)
		fatalx("out of memory");
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

/* --- answers --------------------------------------------------------------- */

static void
send_xml(struct evhttp_request *req, const char *xml, size_t len)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(b, xml, len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/xml");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* Answer a call with a value, or with the fault in *fault. */
static void
send_answer(struct evhttp_request *req, xmlrpc_value *v, xmlrpc_env *fault)
{
	xmlrpc_env		 env;
	xmlrpc_mem_block	*mb;

	xmlrpc_env_init(&env);
	mb = XMLRPC_MEMBLOCK_NEW(char, &env, 0);
	if (!env.fault_occurred) {
		if (fault != NULL && fault->fault_occurred)
			xmlrpc_serialize_fault(&env, mb, fault);
		else
			xmlrpc_serialize_response(&env, mb, v);
	}
	if (env.fault_occurred)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	else
		send_xml(req, XMLRPC_MEMBLOCK_CONTENTS(char, mb),
		    XMLRPC_MEMBLOCK_SIZE(char, mb));
	if (mb != NULL)
		XMLRPC_MEMBLOCK_FREE(char, mb);
	xmlrpc_env_clean(&env);
}

static void
call_free(struct rpc_call *c)
{
	size_t	i;

	for (i = 0; i < c->rc_nitems; i++) {
		free(c->rc_items[i].name);
		free(c->rc_items[i].group);
		free(c->rc_items[i].pname);
	}
	free(c->rc_items);
	if (c->rc_results != NULL)
		xmlrpc_DECREF(c->rc_results);
	if (c->rc_timer != NULL)
		event_free(c->rc_timer);
	free(c);
}

static void
call_finish(struct rpc *rpc, struct rpc_call *c, xmlrpc_env *fault)
{
	xmlrpc_value	*v;
	xmlrpc_env	 env;

	if (c->rc_timer != NULL) {
		TAILQ_REMOVE(&rpc->r_waiting, c, rc_entry);
		rpc->r_nwaiting--;
	}
	xmlrpc_env_init(&env);
	if (fault != NULL && fault->fault_occurred)
		send_answer(c->rc_req, NULL, fault);
	else if (c->rc_array)
		send_answer(c->rc_req, c->rc_results, NULL);
	else {
		v = xmlrpc_bool_new(&env, 1);
		send_answer(c->rc_req, v, NULL);
		xmlrpc_DECREF(v);
	}
	xmlrpc_env_clean(&env);
	call_free(c);
}

/*
 * Look at what a call waits for; answer it once all has settled.  A
 * single process's failure is the call's fault; in a group or all call
 * each process gets its own result struct, as supervisord gives them.
 */
static bool
call_check(struct rpc *rpc, struct rpc_call *c)
{
	xmlrpc_env	 res;
	size_t		 i, left = 0;

	for (i = 0; i < c->rc_nitems; i++) {
		if (c->rc_items[i].done)
			continue;
		xmlrpc_env_init(&res);
		if (!rpc_item_check(rpc, c, &c->rc_items[i], &res)) {
			left++;
			xmlrpc_env_clean(&res);
			continue;
		}
		c->rc_items[i].done = true;
		if (c->rc_array) {
			xmlrpc_env	env;

			xmlrpc_env_init(&env);
			rpc_result_add(&env, c->rc_results,
			    c->rc_items[i].group, c->rc_items[i].pname, &res);
			xmlrpc_env_clean(&env);
		} else if (res.fault_occurred) {
			call_finish(rpc, c, &res);
			xmlrpc_env_clean(&res);
			return true;
		}
		xmlrpc_env_clean(&res);
	}
	if (left > 0)
		return false;
	call_finish(rpc, c, NULL);
	return true;
}

static void
call_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rpc_call	*c = arg;
	struct rpc	*rpc = c->rc_rpc;
	xmlrpc_env	 env;
	char		 names[400] = "";
	size_t		 i, len;

	(void)fd;
	(void)ev;
	if (call_check(rpc, c))
		return;
	for (i = 0; i < c->rc_nitems; i++) {
		if (c->rc_items[i].done)
			continue;
		len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s",
		    len > 0 ? ", " : "", c->rc_items[i].name);
	}
	xmlrpc_env_init(&env);
	rpc_fault(&env, F_FAILED, "timed out after %lldms waiting for %s",
	    (long long)c->rc_bound, names);
	log_warnx("rpc: %s", env.fault_string);
	call_finish(rpc, c, &env);
	xmlrpc_env_clean(&env);
}

static void
rpc_check_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct rpc	*rpc = arg;
	struct rpc_call	*c, *next;

	(void)fd;
	(void)ev;
	for (c = TAILQ_FIRST(&rpc->r_waiting); c != NULL; c = next) {
		next = TAILQ_NEXT(c, rc_entry);
		call_check(rpc, c);
	}
}

/* The bus: a state changed, or a reload freed jobs.  Look later. */
static void
rpc_bus_cb(const struct bus_event *e, void *arg)
{
	struct rpc	*rpc = arg;

	(void)e;
	if (rpc->r_nwaiting > 0)
		event_active(rpc->r_check, 0, 0);
}

/* A method left something to wait for: answer now, or hold the request. */
static void
call_wait(struct rpc *rpc, struct rpc_call *c)
{
	struct timeval	tv;
	xmlrpc_env	env;

	if (call_check(rpc, c))
		return;
	if (rpc->r_nwaiting >= RPC_MAX_WAITING) {
		xmlrpc_env_init(&env);
		rpc_fault(&env, F_FAILED, "too many calls waiting (%d)",
		    RPC_MAX_WAITING);
		call_finish(rpc, c, &env);
		xmlrpc_env_clean(&env);
		return;
	}
	c->rc_timer = evtimer_new(rpc->r_d->d_base, call_timeout_cb, c);
	if (c->rc_timer == NULL)
		fatalx("out of memory");
	tv.tv_sec = c->rc_bound / 1000;
	tv.tv_usec = (c->rc_bound % 1000) * 1000;
	evtimer_add(c->rc_timer, &tv);
	TAILQ_INSERT_TAIL(&rpc->r_waiting, c, rc_entry);
	rpc->r_nwaiting++;
}

void
rpc_serve(struct evhttp_request *req, void *arg)
{
	struct rpc		*rpc = arg;
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct rpc_call		*c;
	xmlrpc_env		 env;
	xmlrpc_mem_block	*out = NULL;
	size_t			 len = evbuffer_get_length(body);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		evhttp_send_error(req, 405, "XML-RPC takes POST");
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->rc_rpc = rpc;
	c->rc_req = req;
	xmlrpc_env_init(&env);
	rpc->r_in_multicall = false;
	xmlrpc_registry_process_call2(&env, rpc->r_reg,
	    (const char *)evbuffer_pullup(body, -1), len, c, &out);
	if (env.fault_occurred) {
		/* not even a fault answer could be made */
		evhttp_send_error(req, HTTP_BADREQUEST, NULL);
		call_free(c);
	} else if (c->rc_wait != RW_NONE && !c->rc_multicall)
		call_wait(rpc, c);
	else {
		send_xml(req, XMLRPC_MEMBLOCK_CONTENTS(char, out),
		    XMLRPC_MEMBLOCK_SIZE(char, out));
		call_free(c);
	}
	if (out != NULL)
		XMLRPC_MEMBLOCK_FREE(char, out);
	xmlrpc_env_clean(&env);
}

/*
 * Before every method: system.multicall marks its call (nothing in it
 * waits), and while drover shuts down the supervisor namespace answers
 * SHUTDOWN_STATE, as supervisord's does.
 */
static void
preinvoke(xmlrpc_env *env, const char *method, xmlrpc_value *params,
    void *arg)
{
	struct rpc	*rpc = arg;

	(void)params;
	if (strcmp(method, "system.multicall") == 0)
		rpc->r_in_multicall = true;
	if (strncmp(method, "supervisor.", 11) == 0 &&
	    rpc->r_d->d_sd_phase != SD_NONE)
		rpc_fault(env, F_SHUTDOWN_STATE, NULL);
}

/* --- supervisor.*: drover itself ------------------------------------------ */

static xmlrpc_value *
m_api_version(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	return xmlrpc_string_new(env, API_VERSION);
}

static xmlrpc_value *
m_version(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	return xmlrpc_string_new(env, PACKAGE_VERSION);
}

static xmlrpc_value *
m_identification(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	return xmlrpc_string_new(env, "drover");
}

/* supervisord's states: RUNNING 1, RESTARTING 0, SHUTDOWN -1 */
static xmlrpc_value *
m_state(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	return xmlrpc_build_value(env, "{s:i,s:s}", "statecode", 1,
	    "statename", "RUNNING");
}

static xmlrpc_value *
m_pid(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	return xmlrpc_int_new(env, (int)getpid());
}

static xmlrpc_value *
m_read_log(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct evbuffer	*b;
	xmlrpc_value	*v;
	uint64_t	 from;
	size_t		 len = 0;
	int		 off, n;

	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 2, 2) || !rpc_arg_int(env, p, 0, &off) ||
	    !rpc_arg_int(env, p, 1, &n))
		return NULL;
	rpc_read_range(env, log_ring_start(), log_ring_end(), off, n, &from,
	    &len);
	if (env->fault_occurred)
		return NULL;
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	log_ring_read(from, len, b);
	v = rpc_string(env, (const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return v;
}

static xmlrpc_value *
m_clear_log(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	log_ring_clear();
	log_info("rpc: main log cleared");
	return xmlrpc_bool_new(env, 1);
}

/* After the answer has gone out (or a second later, if it cannot). */
struct after_answer {
	struct rpc	*rpc;
	struct event	*ev;
	void		(*fn)(struct rpc *);
	bool		 done;
};

static void
after_answer_run(struct after_answer *a)
{
	if (!a->done) {
		a->done = true;
		a->fn(a->rpc);
	}
}

static void
after_answer_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct after_answer *a = arg;

	(void)fd;
	(void)ev;
	after_answer_run(a);
	event_free(a->ev);
	free(a);
}

static void
after_answer_complete_cb(struct evhttp_request *req, void *arg)
{
	struct after_answer *a = arg;
	struct timeval	 tv = { 0, 0 };

	(void)req;
	/* run it from the loop, not from inside evhttp's write callback */
	event_del(a->ev);
	evtimer_add(a->ev, &tv);
}

static void
after_answer(struct rpc *rpc, struct rpc_call *c, void (*fn)(struct rpc *))
{
	struct after_answer *a = xcalloc(1, sizeof(*a));
	struct timeval	 tv = { 1, 0 };

	a->rpc = rpc;
	a->fn = fn;
	if ((a->ev = evtimer_new(rpc->r_d->d_base, after_answer_timer_cb,
	    a)) == NULL)
		fatalx("out of memory");
	evtimer_add(a->ev, &tv);
	evhttp_request_set_on_complete_cb(c->rc_req, after_answer_complete_cb,
	    a);
}

static void
do_shutdown(struct rpc *rpc)
{
	if (rpc->r_d->d_sd_phase == SD_NONE)
		shutdown_begin(rpc->r_d, "XML-RPC shutdown");
}

static xmlrpc_value *
m_shutdown(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	log_notice("rpc: shutdown requested");
	after_answer(((struct rpc_call *)ci)->rc_rpc, ci, do_shutdown);
	return xmlrpc_bool_new(env, 1);
}

/*
 * supervisord's restart re-executes supervisord: every process stops,
 * the configuration is read again, and what autostarts starts.  drover
 * keeps its pid: it reloads the configuration, then restarts every
 * service and listener that is up (tasks are left to their schedule).
 */
static void
do_restart(struct rpc *rpc)
{
	struct drover	*d = rpc->r_d;
	char		 err[512] = "";
	int		 i, k;

	if (d->d_sd_phase != SD_NONE)
		return;
	if (reload_request(d, err, sizeof(err)) == -1)
		log_warnx("rpc: restart: reload failed (%s); restarting the "
		    "services of the running configuration", err);
	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->removed ||
		    d->d_jobs[i]->cfg->kind != JOB_SERVICE)
			continue;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			if (d->d_jobs[i]->inst[k]->want == WANT_UP)
				instance_event(d->d_jobs[i]->inst[k],
				    IE_RESTART, 0);
	}
}

static xmlrpc_value *
m_restart(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	(void)srv;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	log_notice("rpc: restart requested");
	after_answer(((struct rpc_call *)ci)->rc_rpc, ci, do_restart);
	return xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *
m_remote_comm(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	char	*type, *data = NULL;

	(void)srv;
	(void)ci;
	if (!rpc_nargs(env, p, 2, 2) || !rpc_arg_string(env, p, 0, &type))
		return NULL;
	if (!rpc_arg_string(env, p, 1, &data)) {
		free(type);
		return NULL;
	}
	evlisten_remote_comm(type, data);
	free(type);
	free(data);
	return xmlrpc_bool_new(env, 1);
}

/* --- reloadConfig, addProcessGroup, removeProcessGroup -------------------- */

/*
 * supervisord re-reads its file at reloadConfig and changes nothing until
 * addProcessGroup/removeProcessGroup.  drover applies a configuration
 * whole (its reload, SIGHUP), so the re-read is kept here and the first
 * add or remove of a group it changes applies all of it; the calls after
 * that, for the groups it changed, find them as they asked.
 */
static void
reread_clear(struct rpc_reread *r)
{
	if (r->conf != NULL)
		config_free(r->conf);
	strv_free(r->added);
	strv_free(r->changed);
	strv_free(r->removed);
	memset(r, 0, sizeof(*r));
}

static bool
strv_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static void
strv_add_once(char ***v, const char *s)
{
	if (!strv_has(*v, s))
		strv_push(v, s);
}

static const struct job_config *
conf_find(const struct config *c, const char *name)
{
	int	i;

	for (i = 0; i < c->njobs; i++)
		if (strcmp(c->jobs[i]->name, name) == 0)
			return c->jobs[i];
	return NULL;
}

/* The supervisord groups that differ between the running jobs and nc. */
static void
reread_diff(struct drover *d, const struct config *nc, struct rpc_reread *r)
{
	const struct job_config	*o, *n;
	bool			 allenv = !strv_eq(d->d_conf->environment,
				    nc->environment);
	int			 i;

	for (i = 0; i < nc->njobs; i++) {
		n = nc->jobs[i];
		if ((o = conf_find(d->d_conf, n->name)) == NULL)
			strv_add_once(&r->added, rpc_group_of(n));
		else if (allenv || strcmp(rpc_group_of(o), rpc_group_of(n)) !=
		    0 || job_config_needs_restart(o, n))
			strv_add_once(&r->changed, rpc_group_of(n));
	}
	for (i = 0; i < d->d_conf->njobs; i++) {
		o = d->d_conf->jobs[i];
		if (conf_find(nc, o->name) == NULL)
			strv_add_once(&r->removed, rpc_group_of(o));
	}
	/* a group some of whose jobs come and go has changed */
	for (i = 0; r->added != NULL && r->added[i] != NULL; i++)
		if (strv_has(r->removed, r->added[i]))
			strv_add_once(&r->changed, r->added[i]);
}

static xmlrpc_value *
names_array(xmlrpc_env *env, char **v, char **minus1, char **minus2)
{
	xmlrpc_value	*a = xmlrpc_array_new(env), *s;

	for (; v != NULL && *v != NULL && !env->fault_occurred; v++) {
		if (strv_has(minus1, *v) || strv_has(minus2, *v))
			continue;
		s = xmlrpc_string_new(env, *v);
		xmlrpc_array_append_item(env, a, s);
		xmlrpc_DECREF(s);
	}
	return a;
}

static xmlrpc_value *
m_reload_config(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct drover		*d = rpc->r_d;
	struct config_env	 cenv;
	struct diag		 dg;
	struct config		*nc;
	xmlrpc_value		*a, *c, *r, *inner, *outer;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	config_env_default(&cenv);
	diag_init(&dg);
	nc = config_load(d->d_confpath, &cenv, &dg);
	if (nc == NULL) {
		rpc_fault(env, F_CANT_REREAD, "%s", dg.nerrors > 0 ?
		    dg.errors[0] : "cannot read the configuration");
		diag_free(&dg);
		return NULL;
	}
	diag_free(&dg);
	reread_clear(&rpc->r_reread);
	rpc->r_reread.conf = nc;
	reread_diff(d, nc, &rpc->r_reread);
	a = names_array(env, rpc->r_reread.added, rpc->r_reread.changed, NULL);
	c = names_array(env, rpc->r_reread.changed, NULL, NULL);
	r = names_array(env, rpc->r_reread.removed, rpc->r_reread.changed,
	    NULL);
	inner = xmlrpc_build_value(env, "(VVV)", a, c, r);
	outer = xmlrpc_build_value(env, "(V)", inner);
	xmlrpc_DECREF(a);
	xmlrpc_DECREF(c);
	xmlrpc_DECREF(r);
	xmlrpc_DECREF(inner);
	return outer;
}

static bool
group_active(struct drover *d, const char *g)
{
	int	i;

	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed &&
		    strcmp(rpc_group_of(d->d_jobs[i]->cfg), g) == 0)
			return true;
	return false;
}

static bool
group_running(struct drover *d, const char *g)
{
	int	i, k;

	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->removed ||
		    strcmp(rpc_group_of(d->d_jobs[i]->cfg), g) != 0)
			continue;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			if (instance_active(d->d_jobs[i]->inst[k]))
				return true;
	}
	return false;
}

/* Apply the re-read configuration once; false (and a fault) if it fails. */
static bool
reread_apply(xmlrpc_env *env, struct rpc *rpc)
{
	char	err[512] = "";

	if (rpc->r_reread.applied)
		return true;
	log_notice("rpc: applying the re-read configuration");
	if (reload_request(rpc->r_d, err, sizeof(err)) == -1) {
		rpc_fault(env, F_FAILED, "reload: %s", err);
		return false;
	}
	rpc->r_reread.applied = true;
	return true;
}

static xmlrpc_value *
m_add_group(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct rpc_reread	*r = &rpc->r_reread;
	char			*name;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) || !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (r->conf != NULL && (strv_has(r->added, name) ||
	    strv_has(r->changed, name))) {
		if (r->applied && !strv_has(r->changed, name) &&
		    !group_active(rpc->r_d, name))
			rpc_fault(env, F_BAD_NAME, "%s", name);
		else
			reread_apply(env, rpc);
	} else if (group_active(rpc->r_d, name))
		rpc_fault(env, F_ALREADY_ADDED, "%s", name);
	else
		rpc_fault(env, F_BAD_NAME, "%s", name);
	free(name);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *
m_remove_group(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct rpc_reread	*r = &rpc->r_reread;
	char			*name;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) || !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (r->applied && (strv_has(r->removed, name) ||
	    strv_has(r->changed, name)))
		;	/* the reload took it away (or replaced it) */
	else if (!group_active(rpc->r_d, name))
		rpc_fault(env, F_BAD_NAME, "%s", name);
	else if (group_running(rpc->r_d, name))
		rpc_fault(env, F_STILL_RUNNING, "%s", name);
	else if (r->conf == NULL || (!strv_has(r->removed, name) &&
	    !strv_has(r->changed, name)))
		rpc_fault(env, F_FAILED, "%s is still in the configuration: "
		    "drover removes a group when its file no longer has it "
		    "(reread first)", name);
	else
		reread_apply(env, rpc);
	free(name);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}

/* --- getAllConfigInfo ------------------------------------------------------ */

static void
set_member(xmlrpc_env *env, xmlrpc_value *st, const char *key,
    xmlrpc_value *v)
{
	if (v == NULL)
		return;
	xmlrpc_struct_set_value(env, st, key, v);
	xmlrpc_DECREF(v);
}

static xmlrpc_value *
sink_path(xmlrpc_env *env, const struct sink *s)
{
	switch (s->kind) {
	case SINK_FILE:
		return xmlrpc_string_new(env, s->path);
	case SINK_NULL:
		return xmlrpc_string_new(env, "none");
	default:
		/* supervisord's AUTO: a log drover keeps (its own or the
		 * journal's) */
		return xmlrpc_string_new(env, "auto");
	}
}

static xmlrpc_value *
exitcodes_array(xmlrpc_env *env, const struct job_config *c)
{
	xmlrpc_value	*a = xmlrpc_array_new(env), *n;
	int		 i;

	for (i = 0; i < 256 && !env->fault_occurred; i++) {
		if (!(c->exitcodes[i / 8] & (1u << (i % 8))))
			continue;
		n = xmlrpc_int_new(env, i);
		xmlrpc_array_append_item(env, a, n);
		xmlrpc_DECREF(n);
	}
	return a;
}

static xmlrpc_value *
config_info(xmlrpc_env *env, struct drover *d, const struct job_config *c,
    const struct proc_config *pc)
{
	xmlrpc_value	*st = xmlrpc_struct_new(env);
	char		*cmd = strv_join(pc->argv, " ");
	bool		 grp = c->killmode != KM_PROCESS;

	set_member(env, st, "autostart", xmlrpc_bool_new(env, c->autostart));
	set_member(env, st, "directory", xmlrpc_string_new(env,
	    pc->directory != NULL ? pc->directory : "none"));
	set_member(env, st, "uid", c->user != NULL ? xmlrpc_int_new(env,
	    (int)c->uid) : xmlrpc_string_new(env, "none"));
	set_member(env, st, "command", xmlrpc_string_new(env, cmd));
	set_member(env, st, "exitcodes", exitcodes_array(env, c));
	set_member(env, st, "group", xmlrpc_string_new(env, rpc_group_of(c)));
	set_member(env, st, "group_prio", xmlrpc_int_new(env, c->priority));
	set_member(env, st, "inuse", xmlrpc_bool_new(env,
	    group_active(d, rpc_group_of(c))));
	set_member(env, st, "killasgroup", xmlrpc_bool_new(env, grp));
	set_member(env, st, "stopasgroup", xmlrpc_bool_new(env,
	    c->killmode == KM_GROUP));
	set_member(env, st, "name", xmlrpc_string_new(env, pc->name));
	set_member(env, st, "process_prio", xmlrpc_int_new(env, c->priority));
	set_member(env, st, "redirect_stderr", xmlrpc_bool_new(env,
	    pc->redirect_stderr));
	set_member(env, st, "startretries", xmlrpc_int_new(env,
	    c->startretries));
	set_member(env, st, "startsecs", xmlrpc_int_new(env,
	    (int)(c->startsecs / 1000)));
	set_member(env, st, "stdout_capture_maxbytes", xmlrpc_int_new(env, 0));
	set_member(env, st, "stdout_events_enabled", xmlrpc_bool_new(env,
	    c->stdout_events));
	set_member(env, st, "stdout_logfile", sink_path(env, &pc->out));
	set_member(env, st, "stdout_logfile_backups", xmlrpc_int_new(env,
	    pc->out.backups));
	set_member(env, st, "stdout_logfile_maxbytes", xmlrpc_int_new(env,
	    pc->out.maxbytes > INT32_MAX ? INT32_MAX : (int)pc->out.maxbytes));
	set_member(env, st, "stdout_syslog", xmlrpc_bool_new(env,
	    pc->out.kind == SINK_JOURNAL));
	set_member(env, st, "stopsignal", xmlrpc_int_new(env, c->stopsignal));
	set_member(env, st, "stopwaitsecs", xmlrpc_int_new(env,
	    (int)(c->stopwaitsecs / 1000)));
	set_member(env, st, "stderr_capture_maxbytes", xmlrpc_int_new(env, 0));
	set_member(env, st, "stderr_events_enabled", xmlrpc_bool_new(env,
	    c->stderr_events));
	set_member(env, st, "stderr_logfile", sink_path(env, &pc->err));
	set_member(env, st, "stderr_logfile_backups", xmlrpc_int_new(env,
	    pc->err.backups));
	set_member(env, st, "stderr_logfile_maxbytes", xmlrpc_int_new(env,
	    pc->err.maxbytes > INT32_MAX ? INT32_MAX : (int)pc->err.maxbytes));
	set_member(env, st, "stderr_syslog", xmlrpc_bool_new(env,
	    pc->err.kind == SINK_JOURNAL));
	set_member(env, st, "serverurl", xmlrpc_string_new(env, "AUTO"));
	free(cmd);
	return st;
}

struct named_value {
	const char	*name;
	xmlrpc_value	*v;
};

static int
named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named_value *)a)->name,
	    ((const struct named_value *)b)->name);
}

/* Every process of the configuration re-read last (else the running one),
 * sorted by name as supervisord sorts them; inuse says which run. */
static xmlrpc_value *
m_config_info(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	const struct config	*conf = rpc->r_reread.conf != NULL &&
				    !rpc->r_reread.applied ?
				    rpc->r_reread.conf : rpc->r_d->d_conf;
	struct named_value	*nv = NULL;
	xmlrpc_value		*a;
	size_t			 n = 0, i;
	int			 j, k;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	for (j = 0; j < conf->njobs; j++) {
		nv = xreallocarray(nv, n + (size_t)conf->jobs[j]->nprocs + 1,
		    sizeof(*nv));
		for (k = 0; k < conf->jobs[j]->nprocs; k++) {
			nv[n].name = conf->jobs[j]->procs[k].name;
			nv[n++].v = config_info(env, rpc->r_d, conf->jobs[j],
			    &conf->jobs[j]->procs[k]);
		}
	}
	if (n > 0)
		qsort(nv, n, sizeof(*nv), named_cmp);
	a = xmlrpc_array_new(env);
	for (i = 0; i < n; i++) {
		xmlrpc_array_append_item(env, a, nv[i].v);
		xmlrpc_DECREF(nv[i].v);
	}
	free(nv);
	return a;
}

/* supervisord's answer to a method it does not have */
static xmlrpc_value *
unknown_method(xmlrpc_env *env, const char *host, const char *method,
    xmlrpc_value *p, void *arg)
{
	(void)host;
	(void)p;
	(void)arg;
	rpc_fault(env, F_UNKNOWN_METHOD, NULL);
	log_info("rpc: unknown method %.80s", method);
	return NULL;
}

/* --- the registry ----------------------------------------------------------- */

static const struct xmlrpc_method_info3 methods[] = {
	{ "supervisor.getAPIVersion", m_api_version, NULL, 0, "s:",
	    "The version of the RPC API (supervisord's 3.0)." },
	{ "supervisor.getVersion", m_api_version, NULL, 0, "s:",
	    "Deprecated alias of getAPIVersion." },
	{ "supervisor.getSupervisorVersion", m_version, NULL, 0, "s:",
	    "The version of drover." },
	{ "supervisor.getIdentification", m_identification, NULL, 0, "s:",
	    "The identifying string: drover." },
	{ "supervisor.getState", m_state, NULL, 0, "S:",
	    "drover's state: statecode and statename." },
	{ "supervisor.getPID", m_pid, NULL, 0, "i:", "drover's pid." },
	{ "supervisor.readLog", m_read_log, NULL, 0, "s:ii",
	    "Read length bytes of drover's log from offset." },
	{ "supervisor.readMainLog", m_read_log, NULL, 0, "s:ii",
	    "Alias of readLog." },
	{ "supervisor.clearLog", m_clear_log, NULL, 0, "b:",
	    "Clear drover's log buffer." },
	{ "supervisor.shutdown", m_shutdown, NULL, 0, "b:",
	    "Shut drover down, as SIGTERM does." },
	{ "supervisor.restart", m_restart, NULL, 0, "b:",
	    "Reload the configuration and restart every service." },
	{ "supervisor.reloadConfig", m_reload_config, NULL, 0, "A:",
	    "Re-read the configuration: [[added, changed, removed]]." },
	{ "supervisor.addProcessGroup", m_add_group, NULL, 0, "b:s",
	    "Apply the re-read configuration for a group it adds." },
	{ "supervisor.removeProcessGroup", m_remove_group, NULL, 0, "b:s",
	    "Apply the re-read configuration for a stopped group it drops." },
	{ "supervisor.getAllConfigInfo", m_config_info, NULL, 0, "A:",
	    "The configuration of every process." },
	{ "supervisor.sendRemoteCommEvent", m_remote_comm, NULL, 0, "b:ss",
	    "Send a REMOTE_COMMUNICATION event to the event listeners." },
};

struct rpc *
rpc_new(struct drover *d)
{
	struct rpc		*rpc = xcalloc(1, sizeof(*rpc));
	struct xmlrpc_method_info3 mi;
	xmlrpc_env		 env;
	size_t			 i;

	rpc->r_d = d;
	TAILQ_INIT(&rpc->r_waiting);
	xmlrpc_env_init(&env);
	rpc->r_reg = xmlrpc_registry_new(&env);
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]) &&
	    !env.fault_occurred; i++) {
		mi = methods[i];
		mi.serverInfo = rpc;
		xmlrpc_registry_add_method3(&env, rpc->r_reg, &mi);
	}
	if (!env.fault_occurred)
		rpc_proc_register(&env, rpc);
	if (!env.fault_occurred)
		xmlrpc_registry_set_preinvoke_method(&env, rpc->r_reg,
		    preinvoke, rpc);
	if (!env.fault_occurred)
		xmlrpc_registry_set_default_method(&env, rpc->r_reg,
		    unknown_method, rpc);
	if (env.fault_occurred)
		fatalx("xmlrpc: %s", env.fault_string);
	xmlrpc_env_clean(&env);
	if ((rpc->r_check = event_new(d->d_base, -1, 0, rpc_check_cb,
	    rpc)) == NULL)
		fatalx("out of memory");
	bus_subscribe(d->d_bus, BUS_PRIO_CONTROL, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_JOB) | BUS_MASK(BUS_RESULT), rpc_bus_cb, rpc);
	return rpc;
}

/* At exit: what still waits is answered with SHUTDOWN_STATE. */
void
rpc_free(struct rpc *rpc)
{
	struct rpc_call	*c;
	xmlrpc_env	 env;

	if (rpc == NULL)
		return;
	bus_unsubscribe(rpc->r_d->d_bus, rpc_bus_cb, rpc);
	while ((c = TAILQ_FIRST(&rpc->r_waiting)) != NULL) {
		xmlrpc_env_init(&env);
		rpc_fault(&env, F_SHUTDOWN_STATE, NULL);
		call_finish(rpc, c, &env);
		xmlrpc_env_clean(&env);
	}
	event_free(rpc->r_check);
	reread_clear(&rpc->r_reread);
	xmlrpc_registry_free(rpc->r_reg);
	free(rpc);
}

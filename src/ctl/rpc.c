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

	if (c->rc_queued) {
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
	c->rc_queued = true;
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
	rpc->r_in_multicall = false;	/* preinvoke sets it */
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

/* The fuzz target's way in: one body, its answer in out, nothing waits. */
void
rpc_process(struct rpc *rpc, const char *body, size_t len,
    struct evbuffer *out)
{
	struct rpc_call		*c = xcalloc(1, sizeof(*c));
	xmlrpc_env		 env;
	xmlrpc_mem_block	*mb = NULL;

	c->rc_rpc = rpc;
	xmlrpc_env_init(&env);
	rpc->r_in_multicall = true;	/* answer at once */
	xmlrpc_registry_process_call2(&env, rpc->r_reg, body, len, c, &mb);
	if (!env.fault_occurred && mb != NULL)
		evbuffer_add(out, XMLRPC_MEMBLOCK_CONTENTS(char, mb),
		    XMLRPC_MEMBLOCK_SIZE(char, mb));
	if (mb != NULL)
		XMLRPC_MEMBLOCK_FREE(char, mb);
	xmlrpc_env_clean(&env);
	call_free(c);
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
	struct after_answer *a;
	struct timeval	 tv = { 1, 0 };

	if (c->rc_req == NULL)
		return;		/* rpc_process(): no request to answer */
	a = xcalloc(1, sizeof(*a));
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
	{ "supervisor.sendRemoteCommEvent", m_remote_comm, NULL, 0, "b:ss",
	    "Send a REMOTE_COMMUNICATION event to the event listeners." },
};

struct rpc *
rpc_new(struct drover *d)
{
	struct rpc		*rpc = xcalloc(1, sizeof(*rpc));
	xmlrpc_env		 env;

	rpc->r_d = d;
	TAILQ_INIT(&rpc->r_waiting);
	xmlrpc_env_init(&env);
	rpc->r_reg = xmlrpc_registry_new(&env);
	if (!env.fault_occurred)
		rpc_register(&env, rpc, methods, sizeof(methods) /
		    sizeof(methods[0]));
	if (!env.fault_occurred)
		rpc_proc_register(&env, rpc);
	if (!env.fault_occurred)
		rpc_conf_register(&env, rpc);
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
	rpc_reread_clear(&rpc->r_reread);
	xmlrpc_registry_free(rpc->r_reg);
	free(rpc);
}

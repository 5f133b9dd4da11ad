/*
 * web.c: what drover serves over HTTP, where [unix_http_server] and
 * [inet_http_server] say (http.c is the server).  Each section is its
 * own server with its own credentials, as supervisord's are; both carry
 * the same routes:
 *
 *	/RPC2			supervisord's XML-RPC API (rpc.c)
 *	/logtail/NAME[/stdout|/stderr]	a process's output, followed
 *	/mainlogtail		drover's own log, followed
 *	/metrics		Prometheus metrics (metrics.c), GET and HEAD
 *	/, /api/		the status page and its JSON (page.c)
 *
 * A follower (supervisorctl tail -f) gets the last 1 KiB, then what comes,
 * as one chunked response.  Followers are polled on one timer that runs
 * only while there is one; a follower that cannot keep up skips ahead
 * instead of making drover buffer without bound.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "drover.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "outring.h"
#include "page.h"
#include "rpc.h"
#include "web.h"
#include "xmalloc.h"

#define TAIL_HEAD	1024		/* bytes a follower gets first */
#define TAIL_POLL_MS	200
#define TAIL_MAX_QUEUED	(256 * 1024)	/* unsent bytes before skipping */
#define TAIL_MAX	32		/* followers at once */
#define TAIL_IDLE_S	(7 * 24 * 3600)	/* no idle bound, in effect */

struct follower {
	struct web		*f_web;
	struct evhttp_request	*f_req;
	char			*f_name;	/* NULL: drover's own log */
	bool			 f_is_err;
	uint64_t		 f_off;
	TAILQ_ENTRY(follower)	 f_entry;
};

struct web {
	struct drover		*w_d;
	struct rpc		*w_rpc;
	struct page		*w_page;	/* the status page, its token */
	struct http_server	*w_srv[2];	/* unix, inet */
	struct event		*w_poll;
	TAILQ_HEAD(, follower)	 w_followers;
	int			 w_nfollowers;
};

/* --- followers --------------------------------------------------------------- */

static bool
follower_stream(struct web *w, struct follower *f, uint64_t *start,
    uint64_t *end, struct instance **in)
{
	*in = NULL;
	if (f->f_name == NULL) {
		*start = log_ring_start();
		*end = log_ring_end();
		return true;
	}
	if ((*in = engine_find_instance(w->w_d, f->f_name)) == NULL ||
	    (*in)->job->removed)
		return false;
	*start = instance_output_start(*in, f->f_is_err);
	*end = instance_output_end(*in, f->f_is_err);
	return true;
}

static void
follower_end(struct follower *f)
{
	struct web	*w = f->f_web;

	TAILQ_REMOVE(&w->w_followers, f, f_entry);
	w->w_nfollowers--;
	evhttp_send_reply_end(f->f_req);	/* frees it */
	free(f->f_name);
	free(f);
	if (w->w_nfollowers == 0)
		event_del(w->w_poll);
}

/* Send what came since the last look; false once the follower is gone. */
static bool
follower_push(struct follower *f)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(
	    f->f_req);
	struct bufferevent	*bev;
	struct evbuffer		*b;
	struct instance		*in;
	uint64_t		 start, end;

	if (evcon == NULL || (bev = evhttp_connection_get_bufferevent(
	    evcon)) == NULL)
		return false;		/* the client went away */
	if (!follower_stream(f->f_web, f, &start, &end, &in))
		return false;		/* a reload took the job away */
	if (end < f->f_off)		/* cleared */
		f->f_off = start;
	if (f->f_off < start)
		f->f_off = start;
	if (end == f->f_off)
		return true;
	if (evbuffer_get_length(bufferevent_get_output(bev)) >
	    TAIL_MAX_QUEUED) {
		f->f_off = end;		/* skip what it could not take */
		return true;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	if (in != NULL)
		instance_output_read(in, f->f_is_err, f->f_off,
		    (size_t)(end - f->f_off), b);
	else
		log_ring_read(f->f_off, (size_t)(end - f->f_off), b);
	f->f_off = end;
	evhttp_send_reply_chunk(f->f_req, b);
	evbuffer_free(b);
	return true;
}

static void
poll_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct web	*w = arg;
	struct follower	*f, *next;

	(void)fd;
	(void)ev;
	for (f = TAILQ_FIRST(&w->w_followers); f != NULL; f = next) {
		next = TAILQ_NEXT(f, f_entry);
		if (!follower_push(f))
			follower_end(f);
	}
}

static void
follow(struct web *w, struct evhttp_request *req, const char *name,
    bool is_err)
{
	struct follower	*f;
	struct instance	*in;
	uint64_t	 start, end;
	struct timeval	 tv = { 0, TAIL_POLL_MS * 1000 };

	if (w->w_nfollowers >= TAIL_MAX) {
		evhttp_send_error(req, 503, "too many followers");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->f_web = w;
	f->f_req = req;
	f->f_name = name != NULL ? xstrdup(name) : NULL;
	f->f_is_err = is_err;
	if (!follower_stream(w, f, &start, &end, &in)) {
		free(f->f_name);
		free(f);
		evhttp_send_error(req, HTTP_NOTFOUND, "No Such Process");
		return;
	}
	f->f_off = end > TAIL_HEAD ? end - TAIL_HEAD : 0;
	/*
	 * A follower is quiet while its job is: no idle bound (evhttp's
	 * would close it after 30s).  One that stops reading skips ahead
	 * (TAIL_MAX_QUEUED); one that goes away is seen at the next push.
	 */
	if (evhttp_request_get_connection(req) != NULL)
		evhttp_connection_set_timeout(evhttp_request_get_connection(req),
		    TAIL_IDLE_S);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain;charset=utf-8");
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	TAILQ_INSERT_TAIL(&w->w_followers, f, f_entry);
	if (w->w_nfollowers++ == 0)
		event_add(w->w_poll, &tv);
	if (!follower_push(f))
		follower_end(f);
}

/* /logtail/NAME, /logtail/NAME/stdout, /logtail/NAME/stderr */
static void
logtail_cb(struct evhttp_request *req, void *arg)
{
	struct web		*w = arg;
	const char		*path = evhttp_uri_get_path(
				    evhttp_request_get_evhttp_uri(req));
	char			*dec, *slash;
	struct instance		*in;
	bool			 is_err = false;

	if ((dec = evhttp_uridecode(path + strlen("/logtail/"), 0, NULL)) ==
	    NULL) {
		evhttp_send_error(req, HTTP_BADREQUEST, NULL);
		return;
	}
	if ((slash = strrchr(dec, '/')) != NULL) {
		if (strcmp(slash + 1, "stderr") == 0)
			is_err = true;
		else if (strcmp(slash + 1, "stdout") != 0) {
			free(dec);
			evhttp_send_error(req, HTTP_NOTFOUND, NULL);
			return;
		}
		*slash = '\0';
	}
	/* "group:name" or "name", as supervisorctl sends it */
	if ((slash = strchr(dec, ':')) != NULL)
		memmove(dec, slash + 1, strlen(slash + 1) + 1);
	if ((in = engine_find_instance(w->w_d, dec)) != NULL)
		follow(w, req, in->name, is_err && !in->pc->redirect_stderr);
	else
		evhttp_send_error(req, HTTP_NOTFOUND, "No Such Process");
	free(dec);
}

static void
mainlogtail_cb(struct evhttp_request *req, void *arg)
{
	follow(arg, req, NULL, false);
}

/* --- metrics ------------------------------------------------------------------ */

/* GET /metrics (and HEAD, which evhttp answers without the body) */
static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct web		*w = arg;
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);
	const char		*path = evhttp_uri_get_path(
				    evhttp_request_get_evhttp_uri(req));
	struct evbuffer		*b;

	if (strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		/* not evhttp_send_error(): it drops the headers */
		if ((b = evbuffer_new()) == NULL)
			fatalx("out of memory");
		evbuffer_add_printf(b, "405 Method Not Allowed\n");
		evhttp_add_header(oh, "Allow", "GET, HEAD");
		evhttp_add_header(oh, "Content-Type", "text/plain");
		evhttp_send_reply(req, HTTP_BADMETHOD, "Method Not Allowed", b);
		evbuffer_free(b);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	metrics_render(w->w_d, b);
	evhttp_add_header(oh, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* --- servers ------------------------------------------------------------------ */

static void
conf_of(const struct http_config *h, struct http_conf *c, bool is_unix)
{
	memset(c, 0, sizeof(*c));
	if (is_unix) {
		c->unix_path = h->path;
		c->unix_mode = h->mode;
		c->unix_chown = h->chown;
		c->unix_uid = h->uid;
		c->unix_gid = h->gid;
	} else {
		c->inet_host = h->host;
		c->inet_port = h->port;
	}
	c->username = h->username;
	c->password = h->password;
}

static void
add_routes(struct web *w, struct http_server *srv)
{
	http_route(srv, "/RPC2", 0, rpc_serve, w->w_rpc);
	http_route(srv, "/logtail/", 0, logtail_cb, w);
	http_route(srv, "/mainlogtail", 0, mainlogtail_cb, w);
	http_route(srv, "/metrics", 0, metrics_cb, w);
	page_routes(w->w_page, srv);		/* /, /api/ */
}

/* Serve the configured sections; -1 (logged) if one cannot listen. */
int
web_init(struct drover *d)
{
	const struct http_config *hc[2] = { &d->d_conf->http_unix,
				    &d->d_conf->http_inet };
	struct http_conf	 c;
	struct web		*w;
	char			*err = NULL;
	int			 i;

	if (!hc[0]->on && !hc[1]->on)
		return 0;
	w = xcalloc(1, sizeof(*w));
	w->w_d = d;
	TAILQ_INIT(&w->w_followers);
	w->w_rpc = rpc_new(d);
	w->w_page = page_new(d);
	if ((w->w_poll = event_new(d->d_base, -1, EV_PERSIST, poll_cb, w)) ==
	    NULL)
		fatalx("out of memory");
	d->d_web = w;
	for (i = 0; i < 2; i++) {
		if (!hc[i]->on)
			continue;
		conf_of(hc[i], &c, i == 0);
		if ((w->w_srv[i] = http_start(d->d_base, &c, &err)) == NULL) {
			log_error("%s:%d: %s", hc[i]->file, hc[i]->line, err);
			free(err);
			web_fini(d);
			return -1;
		}
		add_routes(w, w->w_srv[i]);
		if (i == 0)
			log_info("http: serving on %s", hc[i]->path);
		else
			log_info("http: serving on %s:%d", *hc[i]->host !=
			    '\0' ? hc[i]->host : "*",
			    http_inet_port(w->w_srv[i]));
	}
	/* supervisord's default serverurl: the unix socket, else TCP */
	if (hc[0]->on)
		d->d_server_url = xprintf("unix://%s", hc[0]->path);
	else
		d->d_server_url = xprintf("http://%s:%d", *hc[1]->host !=
		    '\0' && strcmp(hc[1]->host, "0.0.0.0") != 0 ?
		    hc[1]->host : "127.0.0.1", http_inet_port(w->w_srv[1]));
	return 0;
}

/* The TCP port the inet server bound (port = 0 picks one), or 0. */
int
web_inet_port(const struct drover *d)
{
	const struct web	*w = d->d_web;

	return w != NULL && w->w_srv[1] != NULL ?
	    http_inet_port(w->w_srv[1]) : 0;
}

void
web_fini(struct drover *d)
{
	struct web	*w = d->d_web;
	struct follower	*f;
	int		 i;

	if (w == NULL)
		return;
	while ((f = TAILQ_FIRST(&w->w_followers)) != NULL)
		follower_end(f);
	rpc_free(w->w_rpc);
	page_free(w->w_page);
	for (i = 0; i < 2; i++)
		http_free(w->w_srv[i]);
	event_free(w->w_poll);
	free(w);
	d->d_web = NULL;
	free(d->d_server_url);
	d->d_server_url = NULL;
}

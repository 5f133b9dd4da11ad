/*
 * page.c: the status page (page.h).
 *
 * GET / is one page, built once at start-up from page.html, page.css and
 * page.js (embedded at build time, page_assets.h): no external assets,
 * and a Content-Security-Policy that lets only that style and that
 * script run (their SHA-256), fetch only from here, and never be framed.
 * The script polls GET /api/status and GET /api/tail/NAME, and acts with
 * POST /api/start|stop|restart/NAME.
 *
 * CSRF: a browser sends the operator's Basic credentials with any
 * request to this origin, a forged cross-site one too.  So an action is
 * a POST (never a GET), and it must carry the token made at start-up,
 * which only a page of this origin can read (it is in GET /'s body), in
 * a header a cross-site form cannot set; and a POST whose Origin is not
 * this host, or whose Sec-Fetch-Site says cross-site or same-site, is
 * refused before anything else.  Job names and output reach the page as
 * JSON and are put in the DOM as text, never as HTML.  (Without Basic
 * auth, http.c refuses a Host that is a DNS name: DNS rebinding.)
 */
#include <sys/types.h>
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <nettle/base64.h>
#include <nettle/sha2.h>

#include "drover.h"
#include "history_json.h"
#include "http.h"
#include "log.h"
#include "outring.h"
#include "page.h"
#include "page_assets.h"
#include "xmalloc.h"

#define TOKEN_BYTES	16

struct page {
	struct drover	*pg_d;
	char		 pg_token[2 * TOKEN_BYTES + 1];
	char		*pg_html;	/* the page, token and all */
	size_t		 pg_html_len;
	char		*pg_csp;
};

/* --- replies ------------------------------------------------------------ */

static void
common_headers(struct evhttp_request *req)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);

	evhttp_add_header(oh, "Cache-Control", "no-store");
	evhttp_add_header(oh, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(oh, "Referrer-Policy", "no-referrer");
	evhttp_add_header(oh, "X-Frame-Options", "DENY");
}

static void
reply_json(struct evhttp_request *req, int code, const char *reason,
    json_t *o)
{
	struct evbuffer	*b;
	char		*s;

	if ((b = evbuffer_new()) == NULL ||
	    (s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	json_decref(o);
	evbuffer_add(b, s, strlen(s));
	free(s);
	common_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* An error as JSON ({"error": why}); allow: the Allow header of a 405. */
static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *why, const char *allow)
{
	json_t	*o = json_object();

	json_object_set_new(o, "error", json_string(why));
	if (allow != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", allow);
	reply_json(req, code, reason, o);
}

static bool
method_is(struct evhttp_request *req, bool post)
{
	enum evhttp_cmd_type	c = evhttp_request_get_command(req);

	if (post ? c == EVHTTP_REQ_POST : c == EVHTTP_REQ_GET ||
	    c == EVHTTP_REQ_HEAD)
		return true;
	reply_error(req, HTTP_BADMETHOD, "Method Not Allowed", post ?
	    "use POST" : "use GET", post ? "POST" : "GET, HEAD");
	return false;
}

/* --- UTF-8 ---------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned	cp;

	if (s[0] < 0x80)
		return s[0] != 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
page_utf8_clean(const unsigned char *src, size_t n, struct evbuffer *dst)
{
	size_t	i = 0, run = 0, len;

	if (n == 0)
		return;		/* src may be NULL (an empty evbuffer's) */
	while (i + run < n) {
		if ((len = utf8_seq(src + i + run, n - i - run)) > 0) {
			run += len;
			continue;
		}
		evbuffer_add(dst, src + i, run);
		evbuffer_add(dst, "\xef\xbf\xbd", 3);
		i += run + 1;
		run = 0;
	}
	evbuffer_add(dst, src + i, run);
}

/* --- GET / ---------------------------------------------------------------- */

static void
root_cb(struct evhttp_request *req, void *arg)
{
	struct page	*pg = arg;
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	const char	*path = evhttp_uri_get_path(
			    evhttp_request_get_evhttp_uri(req));
	struct evbuffer	*b;

	if (path != NULL && *path != '\0' && strcmp(path, "/") != 0) {
		reply_error(req, HTTP_NOTFOUND, "Not Found", "no such page",
		    NULL);
		return;
	}
	if (!method_is(req, false))
		return;
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	evbuffer_add(b, pg->pg_html, pg->pg_html_len);
	common_headers(req);
	evhttp_add_header(oh, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(oh, "Content-Security-Policy", pg->pg_csp);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* --- GET /api/status, /api/tail/NAME ------------------------------------------ */

static void
jset(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

/* A string that is not UTF-8 made so (a name, a note). */
static json_t *
jstr(const char *s)
{
	struct evbuffer	*b;
	json_t		*j;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	if ((b = evbuffer_new()) == NULL)
		fatalx("out of memory");
	page_utf8_clean((const unsigned char *)s, strlen(s), b);
	j = json_stringn((const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b));
	evbuffer_free(b);
	return j;
}

static json_t *
last_json(const struct instance *in)
{
	const struct result_rec	*r = &in->last;
	json_t			*o;

	if (r->result == RES_NONE)
		return NULL;
	o = json_object();
	jset(o, "result", jstr(result_names[r->result]));
	jset(o, "code", r->code >= 0 ? json_integer(r->code) : NULL);
	jset(o, "signal", r->signal > 0 ? json_integer(r->signal) : NULL);
	jset(o, "end_ms", json_integer(r->end));
	jset(o, "duration_ms", json_integer(r->duration));
	jset(o, "note", r->note[0] != '\0' ? jstr(r->note) : NULL);
	return o;
}

static json_t *
instance_json(struct instance *in, int64_t now)
{
	const struct job_config	*c = in->job->cfg;
	bool			 active = instance_active(in);
	json_t			*o = json_object();

	jset(o, "name", jstr(in->name));
	jset(o, "job", jstr(c->name));
	jset(o, "kind", jstr(job_kind_name(c->kind)));
	jset(o, "group", in->job->group->implicit ? NULL :
	    jstr(in->job->group->name));
	jset(o, "state", jstr(jstate_names[in->state]));
	jset(o, "state_for_ms", json_integer(now - in->state_since));
	jset(o, "want", jstr(in->want == WANT_UP ? "up" : "down"));
	jset(o, "pid", active && !(in->rflags & RUN_REAPED) ?
	    json_integer(in->pid) : NULL);
	jset(o, "uptime_ms", active ? json_integer(now - in->run_start) :
	    NULL);
	jset(o, "restarts", json_integer(in->restarts));
	jset(o, "last", last_json(in));
	jset(o, "stats", history_json_stats(in));
	jset(o, "runs", history_json_runs(in));
	jset(o, "stderr", json_boolean(!in->pc->redirect_stderr));
	return o;
}

static void
status(struct page *pg, struct evhttp_request *req)
{
	struct drover	*d = pg->pg_d;
	int64_t		 now = d->d_ops->now();
	json_t		*o = json_object(), *dr = json_object();
	json_t		*a = json_array();
	int		 i, k;

	jset(dr, "version", jstr(PACKAGE_VERSION));
	jset(dr, "pid", json_integer(getpid()));
	jset(dr, "now_ms", json_integer(d->d_ops->wallclock()));
	jset(dr, "shutting_down", json_boolean(d->d_sd_phase != SD_NONE));
	jset(o, "drover", dr);
	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->removed)
			continue;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			json_array_append_new(a, instance_json(
			    d->d_jobs[i]->inst[k], now));
	}
	jset(o, "jobs", a);
	reply_json(req, HTTP_OK, "OK", o);
}

static struct instance *
find(struct page *pg, const char *name)
{
	struct instance	*in = engine_find_instance(pg->pg_d, name);

	return in != NULL && !in->job->removed ? in : NULL;
}

/* The last PAGE_TAIL_BYTES of a stream, from the start of a line. */
static json_t *
tail_json(struct instance *in, bool is_err)
{
	struct evbuffer	*raw, *clean;
	uint64_t	 start = instance_output_start(in, is_err);
	uint64_t	 end = instance_output_end(in, is_err);
	uint64_t	 from = end - start > PAGE_TAIL_BYTES ?
			    end - PAGE_TAIL_BYTES : start;
	struct evbuffer_ptr p;
	json_t		*o = json_object();

	if ((raw = evbuffer_new()) == NULL || (clean = evbuffer_new()) ==
	    NULL)
		fatalx("out of memory");
	instance_output_read(in, is_err, from, (size_t)(end - from), raw);
	if (from > start) {		/* cut into a line: drop its end */
		p = evbuffer_search(raw, "\n", 1, NULL);
		if (p.pos >= 0)
			evbuffer_drain(raw, (size_t)p.pos + 1);
	}
	page_utf8_clean(evbuffer_pullup(raw, -1), evbuffer_get_length(raw),
	    clean);
	jset(o, "name", jstr(in->name));
	jset(o, "stream", json_string(is_err ? "stderr" : "stdout"));
	jset(o, "end", json_integer((json_int_t)end));
	jset(o, "truncated", json_boolean(from > start));
	jset(o, "text", evbuffer_get_length(clean) == 0 ? json_string("") :
	    json_stringn((const char *)evbuffer_pullup(clean, -1),
	    evbuffer_get_length(clean)));
	evbuffer_free(raw);
	evbuffer_free(clean);
	return o;
}

static void
tail(struct page *pg, struct evhttp_request *req, const char *name)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = evhttp_uri_get_query(uri), *s;
	struct evkeyvalq	 args;
	struct instance		*in;
	bool			 is_err = false;

	TAILQ_INIT(&args);
	if (q != NULL && evhttp_parse_query_str(q, &args) == 0 &&
	    (s = evhttp_find_header(&args, "stream")) != NULL) {
		if (strcmp(s, "stderr") == 0)
			is_err = true;
		else if (strcmp(s, "stdout") != 0) {
			evhttp_clear_headers(&args);
			reply_error(req, HTTP_BADREQUEST, "Bad Request",
			    "stream is stdout or stderr", NULL);
			return;
		}
	}
	evhttp_clear_headers(&args);
	if ((in = find(pg, name)) == NULL) {
		reply_error(req, HTTP_NOTFOUND, "Not Found", "no such job",
		    NULL);
		return;
	}
	reply_json(req, HTTP_OK, "OK", tail_json(in, is_err &&
	    !in->pc->redirect_stderr));
}

/* --- POST /api/start|stop|restart/NAME -------------------------------------- */

static bool
const_eq(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Origin, if sent, must be this host (the Host header) over http(s). */
static bool
origin_ok(const char *origin, const char *host)
{
	size_t	n;

	if (origin == NULL)
		return true;
	if (host == NULL)
		return false;
	if (strncmp(origin, "http://", 7) == 0)
		n = 7;
	else if (strncmp(origin, "https://", 8) == 0)
		n = 8;
	else
		return false;	/* "null", a file:, anything else */
	return strcasecmp(origin + n, host) == 0;
}

/* The CSRF checks (see the top); NULL if the request may act. */
static const char *
post_refusal(struct page *pg, struct evhttp_request *req)
{
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	const char	*site = evhttp_find_header(ih, "Sec-Fetch-Site");
	const char	*token = evhttp_find_header(ih, PAGE_TOKEN_HEADER);

	if (site != NULL && strcmp(site, "same-origin") != 0 &&
	    strcmp(site, "none") != 0)
		return "a cross-site request";
	if (!origin_ok(evhttp_find_header(ih, "Origin"),
	    evhttp_find_header(ih, "Host")))
		return "a cross-origin request";
	if (token == NULL || !const_eq(token, pg->pg_token))
		return "no or a wrong " PAGE_TOKEN_HEADER " (reload the page)";
	return NULL;
}

static void
action(struct page *pg, struct evhttp_request *req, enum ievent ev,
    const char *name)
{
	struct instance	*in;
	const char	*why;
	json_t		*o;

	if (!method_is(req, true))
		return;
	if ((why = post_refusal(pg, req)) != NULL) {
		reply_error(req, 403, "Forbidden", why, NULL);
		return;
	}
	if ((in = find(pg, name)) == NULL) {
		reply_error(req, HTTP_NOTFOUND, "Not Found", "no such job",
		    NULL);
		return;
	}
	if (pg->pg_d->d_sd_phase != SD_NONE) {
		reply_error(req, 409, "Conflict", "drover is shutting down",
		    NULL);
		return;
	}
	log_info("%s: %s from the status page", in->name, ev == IE_START ?
	    "start" : ev == IE_STOP ? "stop" : "restart");
	instance_event(in, ev, 0);
	o = json_object();
	jset(o, "ok", json_true());
	jset(o, "name", jstr(in->name));
	jset(o, "state", jstr(jstate_names[in->state]));
	reply_json(req, 202, "Accepted", o);
}

static void
api_cb(struct evhttp_request *req, void *arg)
{
	static const struct {
		const char	*prefix;
		enum ievent	 ev;
	} acts[] = {
		{ "/api/start/", IE_START },
		{ "/api/stop/", IE_STOP },
		{ "/api/restart/", IE_RESTART },
	};
	struct page	*pg = arg;
	const char	*path = evhttp_uri_get_path(
			    evhttp_request_get_evhttp_uri(req));
	char		*name = NULL;
	size_t		 i, n;

	if (strcmp(path, "/api/status") == 0) {
		if (method_is(req, false))
			status(pg, req);
		return;
	}
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		n = strlen(acts[i].prefix);
		if (strncmp(path, acts[i].prefix, n) == 0 &&
		    (name = evhttp_uridecode(path + n, 0, NULL)) != NULL) {
			action(pg, req, acts[i].ev, name);
			free(name);
			return;
		}
	}
	n = strlen("/api/tail/");
	if (strncmp(path, "/api/tail/", n) == 0 &&
	    (name = evhttp_uridecode(path + n, 0, NULL)) != NULL) {
		if (method_is(req, false))
			tail(pg, req, name);
		free(name);
		return;
	}
	reply_error(req, HTTP_NOTFOUND, "Not Found", "no such endpoint", NULL);
}

/* --- the page, built once --------------------------------------------------- */

/* 'sha256-BASE64' of s, for the Content-Security-Policy. */
static char *
csp_hash(const char *s)
{
	struct sha256_ctx ctx;
	uint8_t		 dig[SHA256_DIGEST_SIZE];
	char		 b64[BASE64_ENCODE_RAW_LENGTH(SHA256_DIGEST_SIZE) + 1];

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(s), (const uint8_t *)s);
	sha256_digest(&ctx, sizeof(dig), dig);
	base64_encode_raw(b64, sizeof(dig), dig);
	b64[sizeof(b64) - 1] = '\0';
	return xprintf("'sha256-%s'", b64);
}

/* page.html with @CSS@, @JS@ and @TOKEN@ filled in. */
static void
build(struct page *pg)
{
	static const char *const keys[] = { "@CSS@", "@JS@", "@TOKEN@" };
	const char	*vals[] = { page_css, page_js, pg->pg_token };
	struct evbuffer	*b = evbuffer_new();
	const char	*p = page_html, *at;
	char		*sc, *ss;
	size_t		 i, len;

	if (b == NULL)
		fatalx("out of memory");
	while ((at = strchr(p, '@')) != NULL) {
		evbuffer_add(b, p, (size_t)(at - p));
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(at, keys[i], strlen(keys[i])) == 0)
				break;
		if (i < sizeof(keys) / sizeof(keys[0])) {
			evbuffer_add(b, vals[i], strlen(vals[i]));
			p = at + strlen(keys[i]);
		} else {
			evbuffer_add(b, "@", 1);
			p = at + 1;
		}
	}
	evbuffer_add(b, p, strlen(p));
	len = evbuffer_get_length(b);
	pg->pg_html = xmalloc(len);
	evbuffer_remove(b, pg->pg_html, len);
	pg->pg_html_len = len;
	evbuffer_free(b);
	sc = csp_hash(page_js);
	ss = csp_hash(page_css);
	pg->pg_csp = xprintf("default-src 'none'; script-src %s; "
	    "style-src %s; connect-src 'self'; img-src 'self' data:; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	    sc, ss);
	free(sc);
	free(ss);
}

struct page *
page_new(struct drover *d)
{
	struct page	*pg = xcalloc(1, sizeof(*pg));
	unsigned char	 raw[TOKEN_BYTES];
	size_t		 got = 0;
	ssize_t		 n;
	int		 i;

	pg->pg_d = d;
	while (got < sizeof(raw)) {
		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		got += (size_t)n;
	}
	for (i = 0; i < TOKEN_BYTES; i++)
		snprintf(pg->pg_token + 2 * i, 3, "%02x", raw[i]);
	build(pg);
	return pg;
}

void
page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	free(pg->pg_html);
	free(pg->pg_csp);
	free(pg);
}

void
page_routes(struct page *pg, struct http_server *srv)
{
	http_route(srv, "/", 0, root_cb, pg);
	http_route(srv, "/api/", 0, api_cb, pg);
}

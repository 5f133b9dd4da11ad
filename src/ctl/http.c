/*
 * http.c: the HTTP server beside the JSON control socket (see http.h).
 *
 * One evhttp serves both listeners.  Which one a request came through is
 * read from its socket: on AF_UNIX the peer must be root or drover's own
 * uid (as the control socket), or the socket's chown= owner; then Basic
 * auth, if a username is configured, for every route not HTTP_PUBLIC.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "http.h"
#include "log.h"
#include "xmalloc.h"

struct route {
	char		*prefix;
	int		 flags;
	http_handler	 fn;
	void		*arg;
};

struct http_server {
	struct evhttp	*http;
	char		*unix_path;
	bool		 unix_chown;
	uid_t		 unix_uid;
	char		*username;
	char		*password;
	int		 port;
	struct route	*routes;
	size_t		 nroutes;
};

static bool
const_eq(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* supervisord's {SHA}: the hex SHA-1 of the plain password. */
static bool
password_ok(const char *given, const char *want)
{
	struct sha1_ctx	ctx;
	uint8_t		dig[SHA1_DIGEST_SIZE];
	char		hex[2 * SHA1_DIGEST_SIZE + 1];
	size_t		i;

	if (strncmp(want, "{SHA}", 5) != 0)
		return const_eq(given, want);
	sha1_init(&ctx);
	sha1_update(&ctx, strlen(given), (const uint8_t *)given);
	sha1_digest(&ctx, sizeof(dig), dig);
	for (i = 0; i < sizeof(dig); i++)
		snprintf(hex + 2 * i, 3, "%02x", dig[i]);
	return strcasecmp(hex, want + 5) == 0;
}

bool
http_auth_ok(const char *header, const char *user, const char *password)
{
	struct base64_decode_ctx ctx;
	size_t		 n, len;
	uint8_t		*buf;
	char		*colon;
	bool		 ok = false;

	if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
		return false;
	header += 6;
	while (*header == ' ')
		header++;
	len = strlen(header);
	if (len > 4096)
		return false;
	buf = xmalloc(BASE64_DECODE_LENGTH(len) + 1);
	base64_decode_init(&ctx);
	n = BASE64_DECODE_LENGTH(len);
	if (base64_decode_update(&ctx, &n, buf, len, header) &&
	    base64_decode_final(&ctx)) {
		buf[n] = '\0';
		if (strlen((char *)buf) == n &&
		    (colon = strchr((char *)buf, ':')) != NULL) {
			*colon = '\0';
			ok = const_eq((char *)buf, user) &
			    password_ok(colon + 1, password);
		}
	}
	free(buf);
	return ok;
}

/* On the unix socket: root, our uid, or the chown= owner. */
static bool
peer_ok(struct http_server *srv, struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct ucred		 cr;
	socklen_t		 cl = sizeof(cr);
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	if (conn == NULL || (bev = evhttp_connection_get_bufferevent(conn)) ==
	    NULL || (fd = bufferevent_getfd(bev)) == -1)
		return false;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return false;
	if (ss.ss_family != AF_UNIX)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == -1)
		return false;
	return cr.uid == 0 || cr.uid == geteuid() ||
	    (srv->unix_chown && cr.uid == srv->unix_uid);
}

static const struct route *
route_find(const struct http_server *srv, const char *path)
{
	const struct route	*best = NULL;
	size_t			 i, n, bn = 0;

	for (i = 0; i < srv->nroutes; i++) {
		n = strlen(srv->routes[i].prefix);
		if (strncmp(path, srv->routes[i].prefix, n) == 0 &&
		    (best == NULL || n > bn)) {
			best = &srv->routes[i];
			bn = n;
		}
	}
	return best;
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_printf(b, "%d %s\n", code, reason);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	struct http_server	*srv = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;
	const struct route	*r;
	const char		*auth;

	if (!peer_ok(srv, req)) {
		reply_text(req, 403, "Forbidden");
		return;
	}
	if (path == NULL || *path == '\0')
		path = "/";
	if ((r = route_find(srv, path)) == NULL) {
		reply_text(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (srv->username != NULL && !(r->flags & HTTP_PUBLIC)) {
		auth = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Authorization");
		if (!http_auth_ok(auth, srv->username, srv->password)) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "WWW-Authenticate",
			    "Basic realm=\"default\"");
			reply_text(req, 401, "Unauthorized");
			return;
		}
	}
	r->fn(req, r->arg);
}

void
http_route(struct http_server *srv, const char *prefix, int flags,
    http_handler fn, void *arg)
{
	struct route	*r;

	srv->routes = xreallocarray(srv->routes, srv->nroutes + 1,
	    sizeof(*srv->routes));
	r = &srv->routes[srv->nroutes++];
	r->prefix = xstrdup(prefix);
	r->flags = flags;
	r->fn = fn;
	r->arg = arg;
}

static int
unix_listen(struct http_server *srv, const struct http_conf *c)
{
	struct sockaddr_un	sun;
	mode_t			um;
	int			fd, rc, err;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->unix_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, c->unix_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	unlink(c->unix_path);
	um = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(um);
	if (rc == -1 || chmod(c->unix_path, (mode_t)c->unix_mode) == -1 ||
	    (c->unix_chown && chown(c->unix_path, c->unix_uid,
	    c->unix_gid) == -1) || listen(fd, SOMAXCONN) == -1) {
		err = errno;
		if (rc == 0)
			unlink(c->unix_path);
		close(fd);
		errno = err;
		return -1;
	}
	srv->unix_path = xstrdup(c->unix_path);
	return fd;
}

static int
inet_listen(struct http_server *srv, const struct http_conf *c)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	const char		*host = *c->inet_host != '\0' ? c->inet_host :
				    "0.0.0.0";

	memset(&ss, 0, sizeof(ss));
	bs = evhttp_bind_socket_with_handle(srv->http, host,
	    (ev_uint16_t)c->inet_port);
	if (bs == NULL)
		return -1;
	if (getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			srv->port = ntohs(
			    ((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

struct http_server *
http_start(struct event_base *base, const struct http_conf *c, char **err)
{
	struct http_server	*srv = xcalloc(1, sizeof(*srv));
	int			 fd;

	*err = NULL;
	if ((srv->http = evhttp_new(base)) == NULL) {
		xasprintf(err, "http: evhttp_new failed");
		free(srv);
		return NULL;
	}
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)(c->max_body != 0 ?
	    c->max_body : HTTP_MAX_BODY));
	evhttp_set_max_headers_size(srv->http, 64 * 1024);
	evhttp_set_timeout(srv->http, c->timeout != 0 ? c->timeout :
	    HTTP_TIMEOUT);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(srv->http, dispatch, srv);
	srv->unix_chown = c->unix_chown;
	srv->unix_uid = c->unix_uid;
	if (c->username != NULL) {
		srv->username = xstrdup(c->username);
		srv->password = xstrdup(c->password != NULL ? c->password :
		    "");
	}
	if (c->unix_path != NULL) {
		if ((fd = unix_listen(srv, c)) == -1 ||
		    evhttp_accept_socket(srv->http, fd) == -1) {
			xasprintf(err, "http: %s: %s", c->unix_path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			http_free(srv);
			return NULL;
		}
	}
	if (c->inet_host != NULL && inet_listen(srv, c) == -1) {
		xasprintf(err, "http: cannot listen on %s:%d: %s",
		    c->inet_host, c->inet_port, strerror(errno));
		http_free(srv);
		return NULL;
	}
	return srv;
}

int
http_inet_port(const struct http_server *srv)
{
	return srv->port;
}

void
http_free(struct http_server *srv)
{
	size_t	i;

	if (srv == NULL)
		return;
	if (srv->http != NULL)
		evhttp_free(srv->http);
	if (srv->unix_path != NULL) {
		unlink(srv->unix_path);
		free(srv->unix_path);
	}
	for (i = 0; i < srv->nroutes; i++)
		free(srv->routes[i].prefix);
	free(srv->routes);
	free(srv->username);
	free(srv->password);
	free(srv);
}

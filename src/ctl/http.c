/*
 * http.c: the HTTP server beside the JSON control socket (see http.h).
 *
 * One evhttp serves both listeners.  Which one a request came through is
 * read from its socket: on AF_UNIX the peer must be root or drover's own
 * uid (as the control socket), or the socket's chown= owner; over TCP
 * without a username, the Host must not be a DNS name (http_host_local);
 * then Basic auth, if a username is configured, for every route not
 * HTTP_PUBLIC.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

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

#define HOST_LOG_MAX	64		/* bytes of a refused Host logged */

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

/* "CODE REASON\n", or "CODE REASON: WHY\n". */
static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *why)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add_printf(b, "%d %s%s%s\n", code, reason, why != NULL ?
	    ": " : "", why != NULL ? why : "");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* The request's socket and its family (AF_UNIX, AF_INET*), or -1. */
static int
req_socket(struct evhttp_request *req, sa_family_t *family)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	if (conn == NULL || (bev = evhttp_connection_get_bufferevent(conn)) ==
	    NULL || (fd = bufferevent_getfd(bev)) == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	*family = ss.ss_family;
	return fd;
}

/* On the unix socket: root, our uid, or the chown= owner. */
static bool
peer_ok(struct http_server *srv, int fd)
{
	struct ucred	cr;
	socklen_t	cl = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == -1)
		return false;
	return cr.uid == 0 || cr.uid == geteuid() ||
	    (srv->unix_chown && cr.uid == srv->unix_uid);
}

/* --- DNS rebinding ------------------------------------------------------- */

/* "" or ":" and at most 5 digits (an empty port is the default one). */
static bool
port_ok(const char *p)
{
	size_t	n;

	if (*p == '\0')
		return true;
	if (*p++ != ':')
		return false;
	n = strspn(p, "0123456789");
	return n <= 5 && p[n] == '\0';
}

/* localhost or NAME.localhost (RFC 6761: never asked of DNS), maybe
 * with the root's dot. */
static bool
name_is_localhost(const char *h, size_t n)
{
	if (n > 0 && h[n - 1] == '.')
		n--;
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
	    (n > 10 && strncasecmp(h + n - 10, ".localhost", 10) == 0);
}

/*
 * A web page can make a browser send requests to a name its own DNS
 * points at 127.0.0.1 (DNS rebinding): to the browser that is the page's
 * own origin, so it may read the answers, and a server without Basic
 * auth would be driven by any site its user visits.  A Host that is an
 * address or localhost is not such a name.  IPv4 is digits and dots:
 * a browser takes a host whose last part is a number for an address,
 * never a name.
 */
bool
http_host_local(const char *h)
{
	char		 buf[INET6_ADDRSTRLEN];
	struct in6_addr	 a6;
	const char	*end;
	size_t		 n;

	if (*h == '[') {
		if ((end = strchr(h, ']')) == NULL ||
		    (n = (size_t)(end - h - 1)) >= sizeof(buf))
			return false;
		memcpy(buf, h + 1, n);
		buf[n] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1 && port_ok(end + 1);
	}
	n = strcspn(h, ":");
	if (n == 0 || !port_ok(h + n))
		return false;
	if (name_is_localhost(h, n))
		return true;
	return h[0] >= '0' && h[0] <= '9' && strspn(h, "0123456789.") == n;
}

/* Over TCP without a username: refuse (403, logged) a Host that is a name. */
static bool
host_ok(struct http_server *srv, struct evhttp_request *req)
{
	const char	*h = evhttp_find_header(
			    evhttp_request_get_input_headers(req), "Host");
	char		 esc[4 * HOST_LOG_MAX + 6];
	size_t		 n;

	if (srv->username != NULL || h == NULL || http_host_local(h))
		return true;	/* no Host: HTTP/1.0, not a browser */
	n = strlen(h);
	log_escape(esc, sizeof(esc), h, n > HOST_LOG_MAX ? HOST_LOG_MAX : n);
	log_info("http: refused Host \"%s%s\": not an IP address or "
	    "localhost, and no username is set (DNS rebinding)", esc,
	    n > HOST_LOG_MAX ? "..." : "");
	reply_text(req, 403, "Forbidden", "the Host is a DNS name and this "
	    "server has no username (DNS rebinding): use its IP address or "
	    "localhost, or set username and password");
	return false;
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
dispatch(struct evhttp_request *req, void *arg)
{
	struct http_server	*srv = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;
	const struct route	*r;
	const char		*auth;
	sa_family_t		 family = AF_UNSPEC;
	int			 fd;

	if ((fd = req_socket(req, &family)) == -1 ||
	    (family == AF_UNIX && !peer_ok(srv, fd))) {
		reply_text(req, 403, "Forbidden", NULL);
		return;
	}
	if (family != AF_UNIX && !host_ok(srv, req))
		return;
	if (path == NULL || *path == '\0')
		path = "/";
	if ((r = route_find(srv, path)) == NULL) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", NULL);
		return;
	}
	if (srv->username != NULL && !(r->flags & HTTP_PUBLIC)) {
		auth = evhttp_find_header(evhttp_request_get_input_headers(req),
		    "Authorization");
		if (!http_auth_ok(auth, srv->username, srv->password)) {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "WWW-Authenticate",
			    "Basic realm=\"default\"");
			reply_text(req, 401, "Unauthorized", NULL);
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

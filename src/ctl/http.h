/*
 * http.h: drover's HTTP server (libevent evhttp), the transport of
 * supervisord's control plane.  It listens where [unix_http_server] and
 * [inet_http_server] say, checks HTTP Basic auth and, on the unix socket,
 * the peer's credentials (SO_PEERCRED), bounds bodies and slow clients,
 * and hands each request to the route whose prefix is the longest match.
 *
 *	srv = http_start(base, &conf, &err);
 *	http_route(srv, "/RPC2", 0, rpc_cb, rpc);
 *	http_route(srv, "/metrics", HTTP_PUBLIC, metrics_cb, NULL);
 *	...
 *	http_free(srv);
 *
 * A handler is called only after the Host check (on a TCP server without
 * a username) and the auth check (unless the route is HTTP_PUBLIC)
 * passed; it must answer with evhttp_send_reply*() now or later.
 */
#ifndef DROVER_HTTP_H
#define DROVER_HTTP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evhttp_request;
struct http_server;

struct http_conf {
	const char	*unix_path;	/* NULL = no unix socket */
	int		 unix_mode;	/* chmod= */
	bool		 unix_chown;	/* chown= given */
	uid_t		 unix_uid;
	gid_t		 unix_gid;
	const char	*inet_host;	/* NULL = no TCP; "" = all addresses */
	int		 inet_port;	/* 0 = any free port */
	const char	*username;	/* NULL = no auth */
	const char	*password;	/* plain, or "{SHA}" and 40 hex digits */
	size_t		 max_body;	/* 0 = HTTP_MAX_BODY */
	int		 timeout;	/* seconds, 0 = HTTP_TIMEOUT */
};

#define HTTP_MAX_BODY	(1024 * 1024)
#define HTTP_TIMEOUT	30

#define HTTP_PUBLIC	0x1		/* no Basic auth on this route */

typedef void (*http_handler)(struct evhttp_request *, void *arg);

/* NULL on failure, with *err a message to free. */
struct http_server *http_start(struct event_base *, const struct http_conf *,
		    char **err);
void		 http_free(struct http_server *);
void		 http_route(struct http_server *, const char *prefix,
		    int flags, http_handler, void *arg);
int		 http_inet_port(const struct http_server *);	/* bound port */

/* Does a Basic "Authorization" header value match user and password?
 * (password plain, or "{SHA}" and the hex SHA-1 of the plain one.) */
bool		 http_auth_ok(const char *header, const char *user,
		    const char *password);

/* Is a Host header value an IP address (IPv4 digits and dots, or [IPv6]),
 * localhost or NAME.localhost, with a port or not?  Over TCP without a
 * username any other Host is refused (403): DNS rebinding. */
bool		 http_host_local(const char *host);

#endif

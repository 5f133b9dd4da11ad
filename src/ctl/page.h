/*
 * page.h: the status page on drover's HTTP servers (page.c): GET / (one
 * self-contained HTML page), its JSON (GET /api/status, GET
 * /api/tail/NAME) and its actions (POST /api/start|stop|restart/NAME,
 * which carry the page's CSRF token).
 *
 *	pg = page_new(d);		at start-up: the token
 *	page_routes(pg, srv);		on each HTTP server
 *	page_free(pg);
 */
#ifndef DROVER_PAGE_H
#define DROVER_PAGE_H

#include <stdbool.h>
#include <stddef.h>

struct drover;
struct evbuffer;
struct http_server;
struct page;

#define PAGE_TOKEN_HEADER	"X-Drover-Token"
#define PAGE_TAIL_BYTES		(16 * 1024)	/* what /api/tail/ sends */

struct page	*page_new(struct drover *);
void		 page_free(struct page *);
/* (http.c refuses a Host that is a DNS name where there is no Basic
 * auth: DNS rebinding.) */
void		 page_routes(struct page *, struct http_server *);

/* Append src to dst as valid UTF-8: a bad byte or a NUL becomes U+FFFD.
 * (Job output is bytes; JSON strings are UTF-8.) */
void		 page_utf8_clean(const unsigned char *src, size_t n,
		    struct evbuffer *dst);

#endif

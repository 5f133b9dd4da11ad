/*
 * web.h: drover's HTTP endpoints ([unix_http_server], [inet_http_server]):
 * supervisord's XML-RPC API and its log tails (web.c).
 */
#ifndef DROVER_WEB_H
#define DROVER_WEB_H

struct drover;

int	 web_init(struct drover *);	/* -1: a section cannot listen */
void	 web_fini(struct drover *);
int	 web_inet_port(const struct drover *);

#endif

/*
 * rpc.h: supervisord's XML-RPC API (the `supervisor` and `system`
 * namespaces of supervisord 4.2) at /RPC2, so that supervisorctl and the
 * tools written for supervisord drive drover unchanged.
 *
 * xmlrpc-c's transport-free registry decodes calls and encodes answers;
 * this module maps them onto drover's jobs.  A call that waits (start,
 * stop with wait=true) holds only its own HTTP request: it is answered
 * from the bus once the instances have settled, or at its bound.
 */
#ifndef DROVER_RPC_H
#define DROVER_RPC_H

struct drover;
struct evhttp_request;
struct rpc;

struct rpc	*rpc_new(struct drover *);
void		 rpc_free(struct rpc *);
void		 rpc_serve(struct evhttp_request *, void *rpc);	/* /RPC2 */
struct evbuffer;
void		 rpc_process(struct rpc *, const char *, size_t,
		    struct evbuffer *);		/* fuzz/fuzz_rpc.c */

#endif

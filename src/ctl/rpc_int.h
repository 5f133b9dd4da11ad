/*
 * rpc_int.h: between rpc.c (the transport, deferred answers, drover-level
 * methods), rpc_proc.c (the process methods) and rpc_conf.c (the
 * configuration methods).  Not for other modules.
 */
#ifndef DROVER_RPC_INT_H
#define DROVER_RPC_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/server.h>

struct config;
struct drover;
struct event;
struct evhttp_request;
struct instance;
struct job;
struct job_config;

/* supervisord's fault codes (supervisor/xmlrpc.py) */
enum rpc_fault {
	F_UNKNOWN_METHOD = 1, F_INCORRECT_PARAMETERS = 2, F_BAD_ARGUMENTS = 3,
	F_SIGNATURE_UNSUPPORTED = 4, F_SHUTDOWN_STATE = 6, F_BAD_NAME = 10,
	F_BAD_SIGNAL = 11, F_NO_FILE = 20, F_NOT_EXECUTABLE = 21,
	F_FAILED = 30, F_ABNORMAL_TERMINATION = 40, F_SPAWN_ERROR = 50,
	F_ALREADY_STARTED = 60, F_NOT_RUNNING = 70, F_SUCCESS = 80,
	F_ALREADY_ADDED = 90, F_STILL_RUNNING = 91, F_CANT_REREAD = 92
};

/* supervisord's process states (supervisor/states.py) */
enum sv_state {
	SV_STOPPED = 0, SV_STARTING = 10, SV_RUNNING = 20, SV_BACKOFF = 30,
	SV_STOPPING = 40, SV_EXITED = 100, SV_FATAL = 200, SV_UNKNOWN = 1000
};

/* One instance a waiting call waits for, by name (a reload may free it). */
struct rpc_item {
	char		*name;		/* instance name */
	char		*group;		/* its supervisord group */
	char		*pname;		/* the process name for results */
	bool		 done;
};

enum rpc_wait { RW_NONE, RW_UP, RW_DOWN };

/* One HTTP request in flight: the callInfo of the registry's methods. */
struct rpc_call {
	struct rpc		*rc_rpc;
	struct evhttp_request	*rc_req;
	bool			 rc_multicall;	/* waits are not kept in one */
	/* what a method left to wait for */
	enum rpc_wait		 rc_wait;
	bool			 rc_array;	/* answer: results, not true */
	struct rpc_item		*rc_items;
	size_t			 rc_nitems;
	xmlrpc_value		*rc_results;	/* array, filled as they settle */
	int64_t			 rc_bound;	/* ms */
	struct event		*rc_timer;
	bool			 rc_queued;	/* in r_waiting */
	TAILQ_ENTRY(rpc_call)	 rc_entry;
};

/* reloadConfig's re-read, kept for addProcessGroup/removeProcessGroup */
struct rpc_reread {
	struct config	*conf;		/* NULL: none pending */
	char		**added, **changed, **removed;	/* group names */
	bool		 applied;	/* a reload has applied it */
};

struct rpc {
	struct drover	*r_d;
	xmlrpc_registry	*r_reg;
	struct event	*r_check;	/* deferred look at waiting calls */
	TAILQ_HEAD(, rpc_call) r_waiting;
	int		 r_nwaiting;
	bool		 r_in_multicall;	/* set by preinvoke */
	struct rpc_reread r_reread;
};

/* rpc_util.c */
void		 rpc_fault(xmlrpc_env *, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
xmlrpc_value	*rpc_string(xmlrpc_env *, const char *, size_t);
bool		 rpc_arg_string(xmlrpc_env *, xmlrpc_value *, int i,
		    char **out);
bool		 rpc_arg_int(xmlrpc_env *, xmlrpc_value *, int i, int *out);
bool		 rpc_arg_bool(xmlrpc_env *, xmlrpc_value *, int i, bool def,
		    bool *out);
bool		 rpc_nargs(xmlrpc_env *, xmlrpc_value *, int min, int max);
void		 rpc_read_range(xmlrpc_env *, uint64_t start, uint64_t end,
		    int offset, int length, uint64_t *from, size_t *len);
void		 rpc_tail(uint64_t start, uint64_t end, int offset,
		    int length, uint64_t *from, size_t *len, bool *overflow);
void		 rpc_register(xmlrpc_env *, struct rpc *,
		    const struct xmlrpc_method_info3 *, size_t);
void		 rpc_result_add(xmlrpc_env *, xmlrpc_value *array,
		    const char *group, const char *name, const xmlrpc_env *);

/* rpc_conf.c */
void		 rpc_conf_register(xmlrpc_env *, struct rpc *);
void		 rpc_reread_clear(struct rpc_reread *);

/* rpc_proc.c */
void		 rpc_proc_register(xmlrpc_env *, struct rpc *);
const char	*rpc_group_of(const struct job_config *);
enum sv_state	 rpc_sv_state(const struct instance *);
const char	*rpc_sv_state_name(enum sv_state);
bool		 rpc_item_check(struct rpc *, struct rpc_call *,
		    struct rpc_item *, xmlrpc_env *result);

#endif

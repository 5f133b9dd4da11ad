/*
 * control_int.h: between control.c (the socket, connections, limits) and
 * control_cmd.c (requests, names, replies, waits), which sits above it and
 * meets it at struct ctl_commands.  Not for other modules.
 */
#ifndef DROVER_CONTROL_INT_H
#define DROVER_CONTROL_INT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct bufferevent;
struct drover;
struct event;

/* A command that replies once instances have settled (stop, start ...). */
struct ctl_wait {
	struct ctl_conn	*w_conn;
	enum { WAIT_DOWN, WAIT_UP } w_kind;
	char		**w_names;	/* instance names, resolved at each check */
	json_t		*w_reply;	/* ok, cmd, id: filled in at the end */
	struct event	*w_timer;	/* the bound */
	int64_t		 w_bound;	/* ms */
};

/* Why a wait is looked at. */
enum wait_why { WAIT_CHANGED, WAIT_TIMEOUT, WAIT_EXIT };

struct ctl_conn {
	struct control	*cc_ctl;
	struct bufferevent *cc_bev;
	uid_t		 cc_uid;
	pid_t		 cc_pid;
	struct ctl_wait	*cc_wait;	/* at most one request in progress */
	bool		 cc_eof;	/* no more requests: reply, then close */
	bool		 cc_closing;	/* flush the output, then close */
	TAILQ_ENTRY(ctl_conn) cc_entry;
};

struct control {
	struct drover	*c_d;
	const struct ctl_commands *c_cmds;
	int		 c_fd;
	struct event	*c_ev;		/* listener */
	struct event	*c_pause;	/* accept paused (EMFILE) */
	struct event	*c_recheck;	/* deferred check of waits */
	int		 c_reserve;	/* spare fd, freed on EMFILE */
	char		*c_path;
	dev_t		 c_dev;		/* the socket file we made */
	ino_t		 c_ino;
	bool		 c_has_group;
	gid_t		 c_gid;
	TAILQ_HEAD(, ctl_conn) c_conns;
	int		 c_nconns;
	int		 c_nwaits;
	bool		 c_warned_busy;		/* "too many connections" logged */
	bool		 c_warned_nofile;	/* EMFILE logged */
};

/*
 * The one interface between the two: control_cmd.c hands these to
 * ctl_listen(), control.c calls them and nothing else of control_cmd.c.
 */
struct ctl_commands {
	/* one request line: reply with ctl_conn_reply(), or begin a wait */
	void	(*line)(struct ctl_conn *, const char *, size_t);
	/* look at a wait; true once it has replied (ctl_conn_wait_end()) */
	bool	(*wait_check)(struct ctl_wait *, enum wait_why);
	void	(*wait_free)(struct ctl_wait *);
};

/* control.c: what control_cmd.c may call */
int	 ctl_listen(struct drover *, const char *path,
	    const struct ctl_commands *);
void	 ctl_conn_reply(struct ctl_conn *, json_t *);	/* steals */
void	 ctl_conn_wait_begin(struct ctl_conn *, struct ctl_wait *,
	    int64_t bound_ms);
void	 ctl_conn_wait_end(struct ctl_conn *);

#endif

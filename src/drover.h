/*
 * drover.h: the daemon context and the job/instance objects shared by the
 * engine modules (job.c, spawn.c, output.c, sched.c, shutdown.c, ...).
 *
 * One struct drover holds all mutable state.  A struct job is one
 * configured job; a struct instance is one of its numprocs processes, and
 * owns its timer, its pipes and its current run.  Only job.c writes
 * instance->state and its deadlines (instance_event()); other modules post
 * events, and learn what happened from the bus (bus.h).  src/README draws
 * the layers: a module calls only modules below it.
 *
 *	main  >  conductor, control_cmd  >  reload  >  shutdown  >
 *	notify, reap, spawn  >  engine  >  sched, output, cgroup  >  job  >
 *	config, control, the protocols  >  bus  >  util
 */
#ifndef DROVER_DROVER_H
#define DROVER_DROVER_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "outring.h"

struct bus;
struct capture;
struct control;
struct web;
struct hist;
struct history;
struct metrics;
struct event;
struct event_base;
struct evbuffer;

enum jstate {
	JS_STOPPED, JS_QUEUED, JS_STARTING, JS_RUNNING, JS_BACKOFF,
	JS_STOPPING, JS_EXITED, JS_FATAL, JS__MAX
};

/* How a run ended (SPEC 4.4). */
enum result {
	RES_NONE, RES_OK, RES_FAILED, RES_KILLED, RES_TIMEOUT, RES_CANCELLED,
	RES_SPAWN_ERROR, RES__MAX
};

enum ievent {
	IE_START,	/* want it up: autostart, start, run, interval due */
	IE_STOP,	/* want it down: stop, shutdown (result cancelled) */
	IE_DISPATCH,	/* the scheduler grants a slot: spawn now */
	IE_READY,	/* READY=1 from the job */
	IE_TIMER,	/* the instance timer fired (clock passed a deadline) */
	IE_MAIN_EXIT,	/* main process reaped (arg: wait status) */
	IE_RUN_DONE,	/* reaped + pipes at EOF + tree empty */
	IE_DEP_FAILED,	/* a job it waits for failed for good */
	IE_RESTART,	/* stop if running, then start again */
	IE_EXTEND,	/* EXTEND_TIMEOUT_USEC= (arg: ms) while STARTING */
	IE_KILL,	/* shutdown's last resort: SIGKILL, one grace */
	IE_SHUTDOWN,	/* shutdown: want down, nothing pending, stop if idle */
	IE__MAX
};

enum want { WANT_DOWN, WANT_UP };

/* Run flags: a run is over when RUN_DONE are all set (STYLE.md, tmux). */
#define RUN_REAPED	0x01
#define RUN_OUT_EOF	0x02
#define RUN_ERR_EOF	0x04
#define RUN_TREE_GONE	0x08
#define RUN_DONE	(RUN_REAPED | RUN_OUT_EOF | RUN_ERR_EOF | RUN_TREE_GONE)
#define RUN_ACTIVE	0x10	/* a process exists (or existed) for this run */
#define RUN_KILLED	0x20	/* drover sent SIGKILL */
#define RUN_FORCED	0x40	/* gave up waiting; pipes closed by force */
#define RUN_FINISHING	0x80	/* IE_RUN_DONE posted */
#define RUN_TREE_ASKED	0x100	/* is the tree gone? the answer is on its way */

/* Where a stop escalation stands. */
enum stop_phase { STOP_NONE, STOP_SIGNALLED, STOP_KILLED };

/* Grace after SIGKILL before drover stops waiting for a tree (D state). */
#define KILL_GRACE_MS	5000

struct result_rec {
	enum result	 result;
	pid_t		 pid;
	int64_t		 start;		/* wall clock, ms since the epoch */
	int64_t		 end;
	int64_t		 duration;	/* ms, monotonic */
	int		 code;		/* exit code, or -1 */
	int		 signal;	/* terminating signal, or 0 */
	char		 note[96];	/* why, when it is not obvious */
};

/* One output pipe of a run. */
struct outstream {
	struct instance	*in;
	int		 fd;		/* read end, or -1 */
	bool		 is_err;
	struct event	*ev;
	char		*part;		/* incomplete line carried over */
	size_t		 partlen;
	struct capture	*cap;		/* *_capture_maxbytes, or NULL */
	struct filesink	*sink;		/* SINK_FILE */
	int		 jfd;		/* journal stream we forward to, or -1 */
	struct evbuffer	*jpend;		/* bytes journald did not take yet */
	struct event	*jev;		/* EV_WRITE on jfd while jpend holds */
};

struct filesink {
	char		*path;
	int		 fd;
	uint64_t	 size;
	uint64_t	 maxbytes;
	int		 backups;
	int		 refs;
	uint64_t	 errors;
	LIST_ENTRY(filesink) entry;
};

/* A config replaced by a reload, alive while retired jobs still use it. */
struct retired_conf {
	struct config	*conf;
	int		 refs;
};

struct jgroup {
	char		*name;
	int		 max;		/* 0 = no bound */
	int		 running;	/* slots held */
	/* runnable, waiting for a slot: tasks under the global bound, and
	 * the rest (services, cleanups), so one never holds back the other */
	TAILQ_HEAD(, instance) q_bounded;
	TAILQ_HEAD(, instance) q_free;
	TAILQ_ENTRY(jgroup) rr;		/* in d_ready_groups while queue non-empty */
	bool		 in_rr;
	bool		 implicit;	/* per-job group holding no bound */
};

struct job {
	struct drover	*d;
	struct job_config *cfg;		/* owned by d_conf */
	struct jgroup	*group;
	struct instance	**inst;
	int		 ninst;
	struct job	**deps;		/* must be ready/done before we start */
	int		 ndeps;
	struct job	**rdeps;	/* jobs that have us in deps */
	int		 nrdeps;
	struct job	**cleanups_before;	/* cleanups that run before we stop */
	int		 ncleanups_before;
	struct job	**waitstop;	/* cleanup: runs once these have stopped */
	int		 nwaitstop;
	bool		 removed;	/* dropped by a reload, stopping */
	unsigned	 serial;	/* 0 at start-up, then per reload-made job */
	struct job	*replaces;	/* reload: starts once that one is gone */
	bool		 start_when_free;
	struct retired_conf *retired_conf;	/* config of a removed job */
	int64_t		 sd_tier;	/* shutdown.c: stop tier, see tier_of() */
	int		 sd_tier_mark;	/* 0 unknown, 1 being computed, 2 known */
	/* cron.c: schedule = */
	struct event	*cron_ev;	/* armed for the next run only */
	int64_t		 cron_next;	/* wall ms of the next run, 0 = none */
	int64_t		 cron_fire;	/* cron_next + random_delay */
	char		*cron_key;	/* schedule and zone it was armed for */
	uint64_t	 cron_skipped;	/* runs skipped by overlap = skip */
	/* state.c: what the state file keeps */
	bool		 st_down;	/* the operator stopped it: no autostart */
	int64_t		 st_last_run;	/* wall ms of the last scheduled run */
};

/* A failed exec, left by a child that nobody waited for (spawn.c). */
struct spawn_late {
	int	stage;		/* -1: none */
	int	err;
};

struct instance {
	struct drover	*d;
	struct job	*job;
	const struct proc_config *pc;
	const char	*name;
	int		 idx;

	enum jstate	 state;
	enum want	 want;
	bool		 pending;	/* a task run requested while one runs */
	bool		 ever_started;
	bool		 shutdown_seen;	/* ran during the shutdown: report it */
	bool		 sd_started;	/* cleanup: started by this shutdown */
	int		 start_fails;	/* consecutive failed starts */
	int		 backoff_n;	/* consecutive quick failures (backoff) */
	int		 task_fails;	/* consecutive failed task runs */
	int		 restarts;
	enum result	 stop_result;	/* what to record when the stop ends */
	enum stop_phase	 stop_phase;
	bool		 start_timed_out;
	int64_t		 t_state;	/* monotonic deadline of the state, 0 = none */
	int64_t		 t_run;		/* task timeout / leftover drain, 0 = none */
	int64_t		 ready_at;	/* when it became RUNNING */
	int64_t		 state_since;
	char		*dep_note;	/* why it was not started, or NULL */

	/* the current run */
	pid_t		 pid;
	int		 rflags;
	int		 wstatus;
	int64_t		 run_start;	/* monotonic */
	int64_t		 run_start_wall;
	int64_t		 main_exit;	/* monotonic, 0 = still running */
	struct outstream out, err;
	/* the recent bytes of stdout and stderr, kept across runs (tail) */
	struct outring	 oring[2];
	int		 lst_fd;	/* listener: write end of its stdin, or -1 */
	int		 stdin_fd;	/* stdin = pipe: its write end, or -1 */
	char	       **run_env;	/* hook.c: the event, for the next run */

	struct result_rec last;

	struct event	*ev_timer;
	char		*cg_dir;	/* cgroup leaf, NULL without cgroups */
	bool		 cg_killed;	/* cgroup.kill written to the leaf */
	/* shutting down: the remover is taking the leaf; until it says
	 * whether it could, signals for the tree wait in cg_owed */
	bool		 cg_removing;
	bool		 cg_busy;	/* it could not: leftovers live there */
	uint64_t	 cg_owed;	/* 1 << signal */

	enum { Q_NONE, Q_WAITING, Q_GROUP } qwhere;
	TAILQ_ENTRY(instance) qentry;
	bool		 holds_slot;
	bool		 holds_global;
	struct instance	*pid_next;	/* pid hash chain */
	struct hist	*hist;		/* history.c's record, NULL = not yet */
	volatile struct spawn_late spawn_late;
	char		*late_note;	/* its story, for the run's result */
};

/*
 * The seam between the state machine and the system: the daemon installs
 * the real functions, the unit tests fakes with a fake clock.
 */
struct engine_ops {
	int	(*spawn)(struct instance *, char *err, size_t errsz);
	void	(*kill)(struct instance *, int sig, bool tree);
	/* 1: the run's tree is gone, 0: not yet, -1: the answer comes
	 * later, through instance_tree_known() */
	int	(*tree_empty)(struct instance *);
	void	(*release)(struct instance *);	/* the run is over */
	void	(*arm)(struct instance *);	/* (re)arm at min(t_state, t_run) */
	int64_t	(*now)(void);			/* monotonic ms */
	int64_t	(*wallclock)(void);		/* ms since the epoch */
	uint32_t (*random)(void);
};

enum shutdown_phase { SD_NONE, SD_DRAIN, SD_CANCEL, SD_KILL, SD_DONE };

/* What the scheduler may dispatch: the shutdown closes it in two steps. */
enum sched_gate { GATE_OPEN, GATE_CLEANUPS, GATE_CLOSED };

struct drover {
	struct event_base *d_base;
	const struct engine_ops *d_ops;
	struct bus	*d_bus;			/* bus.h */
	/* Event listeners (ctl/evlisten.c registers these; proc/output.c
	 * calls them): a listener's stdin write end, its stdout bytes. */
	void		(*d_evl_spawned)(struct instance *, int fd);
	void		(*d_evl_data)(struct instance *, const char *, size_t);
	/* and a job's PROCESS_COMMUNICATION (capture mode) */
	void		(*d_evl_comm)(struct instance *, bool is_err,
			    const char *, size_t);
	struct config	*d_conf;
	const char	*d_confpath;
	char		*d_socket_path;		/* control.c's, NULL = none */
	struct control	*d_control;		/* control socket, NULL = none */
	struct web	*d_web;			/* web.c's HTTP, NULL = none */
	char		*d_server_url;		/* web.c: SUPERVISOR_SERVER_URL */

	struct job	**d_jobs;
	int		 d_njobs;
	unsigned	 d_job_serial;
	struct jgroup	**d_groups;
	int		 d_ngroups;
	int		 d_max_tasks;		/* [drover] max_concurrent */
	int		 d_running_tasks;	/* global slots held */
	enum sched_gate	 d_sched_gate;
	TAILQ_HEAD(, instance) d_waiting;	/* QUEUED on dependencies */
	TAILQ_HEAD(, jgroup) d_ready_groups;	/* round robin of non-empty queues */
	struct instance	**d_pidmap;
	size_t		 d_pidmap_size;
	int		 d_nactive;		/* runs in progress */

	bool		 d_level_from_cli;	/* -l given: the file's log_level
						 * does not apply */
	bool		 d_once;
	bool		 d_fail_fast;
	bool		 d_ready_sent;
	bool		 d_started;		/* autostart done */
	bool		 d_pumping;
	bool		 d_repump;
	bool		 d_stepping;
	bool		 d_restep;

	enum shutdown_phase d_sd_phase;
	int		 d_sd_signals;		/* TERM/INT received */
	int64_t		 d_sd_start;
	int64_t		 d_sd_deadline;		/* drain deadline (monotonic) */
	int64_t		 d_sd_hardcap;		/* worst case: kill everything */
	struct event	*d_sd_timer;
	struct event	*d_sd_hardtimer;
	bool		 d_sd_killed_any;
	int64_t		 d_sd_tier;		/* highest stop tier still up */
	bool		 d_sd_tiered;		/* services in more than one tier */
	int		 d_exitcode;
	bool		 d_critical_failed;

	struct event	*d_reload_ev;		/* frees retired jobs */
	struct event	*d_settle_ev;		/* whole-table checks, deferred */
	bool		 d_settle_pending;
	bool		 d_trees_pending;	/* a run reaped, its tree not gone */
	int		 d_once_job;		/* --once: where the last walk */
	int		 d_once_inst;		/* stopped (job, instance) */
	struct event	*d_sigev[8];
	int		 d_nsigev;

	char		*d_state_path;		/* state.c, NULL = none */
	struct event	*d_state_ev;		/* coalesces writes */
	struct event	*d_status_ev;		/* STATUS= rate limit */
	bool		 d_status_dirty;
	struct event	*d_watchdog_ev;
	int		 d_notify_fd;		/* NOTIFY_SOCKET for jobs */
	struct event	*d_notify_ev;
	char		 d_notify_addr[64];	/* "@drover-notify/..." */

	/* cgroup v2 */
	char		*d_cg_base;		/* our subtree, NULL = none */
	char		*d_cg_parent;		/* the cgroup we started in */
	LIST_HEAD(, filesink) d_filesinks;
	struct event	*d_stderr_ev;		/* EV_WRITE on fd 2 while paused */
	struct event	*d_logflush_ev;		/* log lines of this turn: write */
	bool		 d_out_paused;		/* log-sink pipes not read */
	int		 d_devnull;
	struct rlimit_saved { bool set; uint64_t cur, max; } d_nofile;

	struct history	*d_history;		/* history.c */
	struct metrics	*d_metrics;		/* metrics.c */
	uint64_t	 d_reloads;		/* SIGHUP/reload requests */
	uint64_t	 d_reload_failures;	/* of them, refused */
	uint64_t	 d_events_dropped;	/* event listeners' queue overflow */
};

/* job.c: the state machine */
extern const char *const jstate_names[JS__MAX];
extern const char *const result_names[RES__MAX];
void	 instance_event(struct instance *, enum ievent, int arg);
bool	 instance_active(const struct instance *);	/* a run in progress */
bool	 instance_settled(const struct instance *);	/* nothing in flight */
bool	 instance_quiet(const struct instance *);	/* not running/queued */
bool	 instance_is_ready(const struct instance *);	/* satisfies `after` */
bool	 instance_failed_for_good(const struct instance *);
int64_t	 backoff_delay(const struct job_config *, int n, uint32_t rnd);
void	 instance_run_flag(struct instance *, int flag);
void	 instance_tree_known(struct instance *, bool gone);
void	 instance_timer_fired(struct instance *);
bool	 instance_reaped(struct instance *, int status);	/* tree left */

/* sched.c: queue, semaphores, dependencies */
void	 sched_enqueue(struct instance *);
void	 sched_dequeue(struct instance *);
void	 sched_release(struct instance *);
void	 sched_pump(struct drover *);
void	 sched_recheck_waiting(struct drover *);
bool	 sched_deps_ok(struct instance *, const char **why, bool *failed);
void	 sched_gate(struct drover *, enum sched_gate);
void	 sched_init(struct drover *);		/* subscribes */

/* engine.c: the job table, building it from a config */
void	 engine_init(struct drover *, const struct engine_ops *);
int	 engine_load(struct drover *, struct config *);
void	 engine_autostart(struct drover *);
void	 engine_free_jobs(struct drover *);
struct instance *engine_find_instance(struct drover *, const char *);
struct job *engine_find_job(struct drover *, const char *);
struct jgroup *engine_group_new(struct drover *, const char *, int, bool);
struct job *engine_job_new(struct drover *, struct job_config *,
	    struct jgroup *);
void	 engine_job_free(struct job *);
void	 engine_relink(struct drover *);
bool	 job_quiet(const struct job *);
bool	 job_cleanup_finished(const struct job *);
bool	 job_stopped_for_cleanup(const struct job *);
void	 engine_start_job(struct job *);
void	 pidmap_add(struct drover *, struct instance *);
void	 pidmap_del(struct drover *, struct instance *);
struct instance *pidmap_find(struct drover *, pid_t);

/* conductor.c: the top of the core */
void	 conductor_init(struct drover *);	/* after engine_init() */
void	 conductor_fini(struct drover *);
void	 conductor_dump_status(struct drover *);

/* reload.c */
int	 reload_request(struct drover *, char *err, size_t errsz);
void	 reload_changed(struct drover *);

/* control.c */
int	 control_init(struct drover *, const char *path);

/* hook.c: on_fatal =, on_exit =, a bus subscriber */
void	 hook_init(struct drover *);
void	 hook_fini(struct drover *);

/* evlisten.c: [eventlistener:x] pools, a bus subscriber */
void	 evlisten_init(struct drover *);
void	 evlisten_fini(struct drover *);
bool	 evlisten_pool_stats(const char *pool, int *queued, uint64_t *dropped);
/* XML-RPC supervisor.sendRemoteCommEvent(type, data) */
void	 evlisten_remote_comm(const char *type, const char *data);
void	 control_fini(struct drover *);

/* shutdown.c */
void	 shutdown_begin(struct drover *, const char *why);
void	 shutdown_signal(struct drover *, int sig);
void	 shutdown_step(struct drover *);
int64_t	 shutdown_worst_case(struct drover *);
bool	 shutdown_tier_wait(struct instance *, int64_t *tier);

/* spawn.c */
int	 spawn_instance(struct instance *, char *err, size_t errsz);
void	 spawn_kill(struct instance *, int sig, bool tree);
int	 spawn_tree_empty(struct instance *);
void	 spawn_reserve_slots(void);
void	 spawn_init(struct drover *);
void	 spawn_fini(void);
void	 spawn_settle(void);
void	 spawn_reaped(struct instance *);
void	 spawn_release_slots(void);
void	 spawn_close_run(struct instance *);

/* cgroup.c */
int	 cgroup_init(struct drover *);
int	 cgroup_prepare(struct instance *, int *dir_fd, int *procs_fd);
int	 cgroup_procs_fd(int dir_fd);
bool	 cgroup_empty(struct instance *);
int	 cgroup_kill(struct instance *, int sig);
bool	 cgroup_kill_deferred(struct instance *, int sig);
bool	 cgroup_release(struct instance *);
int	 cgroup_release_async(struct instance *);
void	 cgroup_remove(struct instance *);
void	 cgroup_fini(struct drover *);

/* output.c */
int	 output_open(struct instance *, int fds[3], int closefds[4]);
void	 output_start(struct instance *);
void	 output_force_close(struct instance *);
int	 instance_stdin_write(struct instance *, const char *, size_t);
void	 output_init(struct drover *);
void	 output_reopen(struct drover *);
void	 output_fini(struct drover *);
void	 output_instance_free(struct instance *);	/* its rings */
/* instance_output_*(): outring.h */

/* reap.c */
void	 reap_all(struct drover *);
void	 reap_check_trees(struct drover *);

/* notify.c: sd_notify to our own manager */
void	 notify_init(struct drover *);		/* subscribes */
void	 notify_ready(struct drover *);
void	 notify_status(struct drover *);
void	 notify_stopping(struct drover *, int64_t worst_ms);
void	 notify_ready_again(struct drover *);
int	 notify_server_init(struct drover *);
void	 notify_watchdog_init(struct drover *);
void	 notify_fini(struct drover *);
void	 notify_server_fini(struct drover *);

#endif

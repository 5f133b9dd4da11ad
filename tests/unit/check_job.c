/*
 * check_job.c: the state machine, the scheduler and the shutdown planner,
 * driven through the engine_ops seam with a fake clock and no processes.
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "drover.h"
#include "value.h"
#include "xmalloc.h"

/* --- the fake system ----------------------------------------------------- */

struct killrec {
	struct instance	*in;
	int		 sig;
	bool		 tree;
};

static struct {
	int64_t		 now;
	pid_t		 nextpid;
	int		 spawns;
	bool		 spawn_fail;
	struct killrec	 kills[256];
	int		 nkills;
	int		 active, peak;
	int		 tree_answer;	/* of tree_empty(); 0 means 1 */
} fk;

static int
fake_spawn(struct instance *in, char *err, size_t errsz)
{
	if (fk.spawn_fail) {
		snprintf(err, errsz, "exec /nope: No such file or directory");
		return -1;
	}
	fk.spawns++;
	in->pid = fk.nextpid++;
	in->rflags = RUN_ACTIVE;
	in->run_start = fk.now;
	in->d->d_nactive++;
	if (++fk.active > fk.peak)
		fk.peak = fk.active;
	return 0;
}

static void
fake_kill(struct instance *in, int sig, bool tree)
{
	if (fk.nkills < 256)
		fk.kills[fk.nkills++] = (struct killrec){ in, sig, tree };
}

static int
fake_tree_empty(struct instance *in)
{
	return fk.tree_answer != 0 ? fk.tree_answer : 1;
}

static void
fake_release(struct instance *in)
{
	fk.active--;
	in->d->d_nactive--;
}

static void
fake_arm(struct instance *in)
{
}

static int64_t
fake_now(void)
{
	return fk.now;
}

static uint32_t
fake_random(void)
{
	return 0x7fffffff;
}

static const struct engine_ops fake_ops = {
	.spawn = fake_spawn, .kill = fake_kill, .tree_empty = fake_tree_empty,
	.release = fake_release, .arm = fake_arm,
	.now = fake_now, .wallclock = fake_now, .random = fake_random,
};

/* --- building a config by hand ------------------------------------------ */

static struct config	*conf;
static struct drover	 d;

static struct job_config *
add_job(const char *name, enum job_kind kind, int nprocs)
{
	struct job_config	*c = xcalloc(1, sizeof(*c));
	int			 i;

	c->name = xstrdup(name);
	c->kind = kind;
	c->file = xstrdup("test.ini");
	c->nprocs = nprocs;
	c->procs = xcalloc((size_t)nprocs, sizeof(*c->procs));
	for (i = 0; i < nprocs; i++) {
		c->procs[i].name = nprocs == 1 ? xstrdup(name) :
		    xprintf("%s_%d", name, i);
		c->procs[i].num = i;
		c->procs[i].argv = strv_new();
		strv_push(&c->procs[i].argv, "/bin/true");
	}
	c->umask = -1;
	c->autostart = true;
	c->autorestart = kind == JOB_SERVICE ? AR_UNEXPECTED : AR_FALSE;
	c->exitcodes[0] = 1;		/* exit code 0 expected */
	c->startsecs = 1000;
	c->startretries = 3;
	c->backoff = 1000;
	c->backoff_max = 60000;
	c->stopsignal = SIGTERM;
	c->stopwaitsecs = 10000;
	c->killmode = KM_MIXED;
	c->priority = 999;
	c->ready = kind == JOB_SERVICE ? READY_STARTSECS : READY_STARTED;
	c->start_timeout = 90000;
	conf->jobs = xreallocarray(conf->jobs, (size_t)conf->njobs + 1,
	    sizeof(*conf->jobs));
	conf->jobs[conf->njobs++] = c;
	return c;
}

static struct group_config *
add_group(const char *name, int max)
{
	struct group_config	*g = xcalloc(1, sizeof(*g));

	g->name = xstrdup(name);
	g->max_concurrent = max;
	g->jobs = strv_new();
	conf->groups = xreallocarray(conf->groups, (size_t)conf->ngroups + 1,
	    sizeof(*conf->groups));
	conf->groups[conf->ngroups++] = g;
	return g;
}

static void
setup(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.now = 1000000;
	fk.nextpid = 100;
	memset(&d, 0, sizeof(d));
	conf = xcalloc(1, sizeof(*conf));
	conf->shutdown_timeout = 30000;
	conf->log_level = -1;
	engine_init(&d, &fake_ops);
	conductor_init(&d);	/* the scheduler and the conductor subscribe */
}

static void
teardown(void)
{
	engine_free_jobs(&d);
	config_free(conf);
}

static void
load(void)
{
	engine_load(&d, conf);
}

static struct instance *
inst(const char *name)
{
	struct instance	*in = engine_find_instance(&d, name);

	ck_assert_msg(in != NULL, "no instance %s", name);
	return in;
}

static void
advance(int64_t ms)
{
	int	i, j;

	fk.now += ms;
	for (i = 0; i < d.d_njobs; i++)
		for (j = 0; j < d.d_jobs[i]->ninst; j++) {
			struct instance *in = d.d_jobs[i]->inst[j];
			if ((in->t_state && in->t_state <= fk.now) ||
			    (in->t_run && in->t_run <= fk.now))
				instance_timer_fired(in);
		}
}

/* The process exits with a wait status; pipes reach EOF. */
static void
proc_exit(struct instance *in, int status)
{
	in->rflags |= RUN_REAPED | RUN_TREE_GONE;
	instance_event(in, IE_MAIN_EXIT, status);
	instance_run_flag(in, RUN_OUT_EOF | RUN_ERR_EOF);
}

#define EXIT(code)	((code) << 8)
#define SIGNALLED(s)	(s)

static int
count_kills(int sig)
{
	int	i, n = 0;

	for (i = 0; i < fk.nkills; i++)
		n += fk.kills[i].sig == sig;
	return n;
}

/* --- services ------------------------------------------------------------ */

START_TEST(service_starts_and_becomes_running_after_startsecs)
{
	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	ck_assert_int_eq(inst("web")->state, JS_STARTING);
	ck_assert_int_eq(fk.spawns, 1);
	advance(999);
	ck_assert_int_eq(inst("web")->state, JS_STARTING);
	advance(1);
	ck_assert_int_eq(inst("web")->state, JS_RUNNING);
}
END_TEST

START_TEST(service_crash_while_starting_backs_off_then_fatal)
{
	struct instance	*in;
	int		 i;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	for (i = 0; i < 3; i++) {
		proc_exit(in, EXIT(1));
		ck_assert_int_eq(in->state, JS_BACKOFF);
		ck_assert_int_eq(in->last.result, RES_FAILED);
		ck_assert_int_eq(in->last.code, 1);
		advance(in->t_state - fk.now);
		ck_assert_int_eq(in->state, JS_STARTING);
	}
	proc_exit(in, EXIT(1));
	/* startretries = 3: four attempts in all, then FATAL */
	ck_assert_int_eq(in->state, JS_FATAL);
	ck_assert_int_eq(fk.spawns, 4);
}
END_TEST

START_TEST(service_backoff_delays_double)
{
	struct instance	*in;
	int64_t		 d1, d2, d3;

	add_job("web", JOB_SERVICE, 1)->startretries = 10;
	load();
	engine_autostart(&d);
	in = inst("web");
	proc_exit(in, EXIT(1));
	d1 = in->t_state - fk.now;
	advance(d1);
	proc_exit(in, EXIT(1));
	d2 = in->t_state - fk.now;
	advance(d2);
	proc_exit(in, EXIT(1));
	d3 = in->t_state - fk.now;
	ck_assert(d1 >= 900 && d1 <= 1100);
	ck_assert(d2 >= 1800 && d2 <= 2200);
	ck_assert(d3 >= 3600 && d3 <= 4400);
}
END_TEST

START_TEST(backoff_delay_is_capped_and_jittered)
{
	struct job_config c = { .backoff = 1000, .backoff_max = 5000 };

	ck_assert_int_eq(backoff_delay(&c, 0, 0), 0);
	ck_assert_int_eq(backoff_delay(&c, 1, 100), 1000);	/* 100 % 201 - 100 */
	ck_assert_int_eq(backoff_delay(&c, 1, 0), 900);
	ck_assert_int_eq(backoff_delay(&c, 1, 200), 1100);
	ck_assert_int_eq(backoff_delay(&c, 3, 400), 4000);
	ck_assert_int_eq(backoff_delay(&c, 10, 500), 5000);
	ck_assert_int_eq(backoff_delay(&c, 100, 500), 5000);
}
END_TEST

START_TEST(autorestart_unexpected_restarts_only_unexpected_exits)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	ck_assert_int_eq(in->state, JS_RUNNING);
	proc_exit(in, EXIT(3));
	/* first crash after RUNNING: restarted at once */
	ck_assert_int_eq(in->state, JS_STARTING);
	ck_assert_int_eq(in->restarts, 1);
	advance(1000);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_OK);
	ck_assert_int_eq(fk.spawns, 2);
}
END_TEST

START_TEST(crash_loop_after_running_backs_off)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1)->autorestart = AR_TRUE;
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_STARTING);
	advance(1000);
	proc_exit(in, EXIT(0));
	/* second quick failure: no tight loop */
	ck_assert_int_eq(in->state, JS_BACKOFF);
	ck_assert(in->t_state - fk.now >= 900);
}
END_TEST

START_TEST(stop_escalates_to_sigkill_after_stopwaitsecs)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	instance_event(in, IE_STOP, 0);
	ck_assert_int_eq(in->state, JS_STOPPING);
	ck_assert_int_eq(count_kills(SIGTERM), 1);
	ck_assert_int_eq(count_kills(SIGCONT), 1);
	ck_assert_int_eq(count_kills(SIGKILL), 0);
	advance(9999);
	ck_assert_int_eq(count_kills(SIGKILL), 0);
	advance(1);
	ck_assert_int_eq(count_kills(SIGKILL), 1);
	ck_assert(fk.kills[fk.nkills - 1].tree);
	proc_exit(in, SIGNALLED(SIGKILL));
	ck_assert_int_eq(in->state, JS_STOPPED);
	ck_assert_int_eq(in->last.result, RES_CANCELLED);
	ck_assert_int_eq(in->last.signal, SIGKILL);
}
END_TEST

START_TEST(stop_while_queued_never_starts)
{
	struct instance	*in;

	add_job("a", JOB_TASK, 1);
	add_job("b", JOB_TASK, 1);
	add_group("g", 1);
	conf->jobs[0]->group = xstrdup("g");
	conf->jobs[1]->group = xstrdup("g");
	load();
	engine_autostart(&d);
	in = inst("b");
	ck_assert_int_eq(in->state, JS_QUEUED);
	instance_event(in, IE_STOP, 0);
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_CANCELLED);
	proc_exit(inst("a"), EXIT(0));
	ck_assert_int_eq(fk.spawns, 1);
}
END_TEST

START_TEST(spawn_error_counts_as_failed_start)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1)->startretries = 1;
	fk.spawn_fail = true;
	load();
	engine_autostart(&d);
	in = inst("web");
	ck_assert_int_eq(in->state, JS_BACKOFF);
	ck_assert_int_eq(in->last.result, RES_SPAWN_ERROR);
	ck_assert_str_eq(in->last.note, "exec /nope: No such file or directory");
	advance(in->t_state - fk.now);
	ck_assert_int_eq(in->state, JS_FATAL);
}
END_TEST

START_TEST(mixed_killmode_kills_leftovers_when_main_exits)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	in->rflags |= RUN_REAPED;	/* tree not empty */
	instance_event(in, IE_MAIN_EXIT, EXIT(0));
	ck_assert_int_eq(count_kills(SIGKILL), 1);
	ck_assert(fk.kills[0].tree);
	instance_run_flag(in, RUN_TREE_GONE | RUN_OUT_EOF | RUN_ERR_EOF);
	ck_assert_int_eq(in->state, JS_EXITED);
}
END_TEST

/* The shutdown's leaf remover answers "is the tree gone" after the reap. */
START_TEST(tree_answered_later_gone_needs_no_kill)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	instance_event(in, IE_STOP, 0);
	fk.tree_answer = -1;
	ck_assert(instance_reaped(in, SIGNALLED(SIGTERM)));
	instance_run_flag(in, RUN_OUT_EOF | RUN_ERR_EOF);
	/* not known yet: no SIGKILL for a tree that may be empty */
	ck_assert_int_eq(count_kills(SIGKILL), 0);
	ck_assert_int_eq(in->state, JS_STOPPING);
	instance_tree_known(in, true);
	ck_assert_int_eq(in->state, JS_STOPPED);
	ck_assert_int_eq(count_kills(SIGKILL), 0);
	ck_assert_int_eq(in->last.result, RES_CANCELLED);
	ck_assert_int_eq(in->last.signal, SIGTERM);
	ck_assert(!d.d_sd_killed_any);
}
END_TEST

START_TEST(tree_answered_later_busy_kills_leftovers)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	instance_event(in, IE_STOP, 0);
	fk.tree_answer = -1;
	ck_assert(instance_reaped(in, SIGNALLED(SIGTERM)));
	instance_run_flag(in, RUN_OUT_EOF | RUN_ERR_EOF);
	ck_assert_int_eq(count_kills(SIGKILL), 0);
	instance_tree_known(in, false);
	/* leftovers: killmode = mixed kills them now, as at the exit */
	ck_assert_int_eq(count_kills(SIGKILL), 1);
	ck_assert(fk.kills[fk.nkills - 1].tree);
	ck_assert_int_eq(in->state, JS_STOPPING);
	instance_run_flag(in, RUN_TREE_GONE);
	ck_assert_int_eq(in->state, JS_STOPPED);
	/* a second answer for the same run changes nothing */
	instance_tree_known(in, false);
	ck_assert_int_eq(count_kills(SIGKILL), 1);
}
END_TEST

START_TEST(output_held_by_leftover_is_closed_after_stopwait)
{
	struct instance	*in;

	add_job("web", JOB_SERVICE, 1)->killmode = KM_PROCESS;
	load();
	engine_autostart(&d);
	in = inst("web");
	advance(1000);
	in->rflags |= RUN_REAPED;
	instance_event(in, IE_MAIN_EXIT, EXIT(0));
	ck_assert_int_eq(in->state, JS_RUNNING);
	advance(10000);
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_OK);
}
END_TEST

/* --- tasks --------------------------------------------------------------- */

START_TEST(task_runs_once_and_records_ok)
{
	struct instance	*in;

	add_job("t", JOB_TASK, 1);
	load();
	engine_autostart(&d);
	in = inst("t");
	ck_assert_int_eq(in->state, JS_RUNNING);
	advance(250);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_OK);
	ck_assert_int_eq(in->last.duration, 250);
	ck_assert_int_eq(in->last.pid, 100);
}
END_TEST

START_TEST(task_timeout_cancels_and_reports_timeout)
{
	struct instance	*in;

	add_job("t", JOB_TASK, 1)->timeout = 5000;
	load();
	engine_autostart(&d);
	in = inst("t");
	advance(4999);
	ck_assert_int_eq(in->state, JS_RUNNING);
	advance(1);
	ck_assert_int_eq(in->state, JS_STOPPING);
	ck_assert_int_eq(count_kills(SIGTERM), 1);
	proc_exit(in, SIGNALLED(SIGTERM));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_TIMEOUT);
}
END_TEST

START_TEST(task_retries_until_success)
{
	struct instance	*in;

	add_job("t", JOB_TASK, 1)->retries = 2;
	load();
	engine_autostart(&d);
	in = inst("t");
	proc_exit(in, EXIT(1));
	ck_assert_int_eq(in->state, JS_BACKOFF);
	advance(in->t_state - fk.now);
	proc_exit(in, EXIT(1));
	ck_assert_int_eq(in->state, JS_BACKOFF);
	advance(in->t_state - fk.now);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_OK);
	ck_assert_int_eq(fk.spawns, 3);
}
END_TEST

START_TEST(task_retries_exhausted_fails_for_good)
{
	struct instance	*in;

	add_job("t", JOB_TASK, 1)->retries = 1;
	load();
	engine_autostart(&d);
	in = inst("t");
	proc_exit(in, EXIT(1));
	advance(in->t_state - fk.now);
	proc_exit(in, EXIT(2));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->last.result, RES_FAILED);
	ck_assert(instance_failed_for_good(in));
}
END_TEST

START_TEST(interval_task_runs_again_after_interval_never_overlapping)
{
	struct instance	*in;

	add_job("t", JOB_TASK, 1)->interval = 60000;
	load();
	engine_autostart(&d);
	in = inst("t");
	advance(10);
	/* a request while it runs waits: one pending at most */
	instance_event(in, IE_START, 0);
	instance_event(in, IE_START, 0);
	ck_assert_int_eq(fk.spawns, 1);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_RUNNING);	/* the pending run */
	ck_assert_int_eq(fk.spawns, 2);
	proc_exit(in, EXIT(0));
	ck_assert_int_eq(in->state, JS_EXITED);
	ck_assert_int_eq(in->t_state, fk.now + 60000);
	advance(60000);
	ck_assert_int_eq(in->state, JS_RUNNING);
	ck_assert_int_eq(fk.spawns, 3);
}
END_TEST

START_TEST(group_semaphore_bounds_and_is_reached)
{
	char	name[16];
	int	i, finished = 0;

	add_group("g", 3);
	add_job("t", JOB_TASK, 10)->group = xstrdup("g");
	load();
	engine_autostart(&d);
	ck_assert_int_eq(fk.active, 3);
	while (finished < 10) {
		for (i = 0; i < 10; i++) {
			snprintf(name, sizeof(name), "t_%d", i);
			if (inst(name)->state == JS_RUNNING) {
				proc_exit(inst(name), EXIT(0));
				finished++;
				ck_assert_int_le(fk.active, 3);
				if (10 - finished >= 3)
					ck_assert_int_eq(fk.active, 3);
			}
		}
	}
	ck_assert_int_eq(fk.peak, 3);
	ck_assert_int_eq(fk.spawns, 10);
}
END_TEST

START_TEST(global_bound_counts_tasks_not_services)
{
	add_job("svc", JOB_SERVICE, 3);
	add_job("t", JOB_TASK, 5);
	load();
	conf->max_concurrent = 2;
	d.d_max_tasks = 2;
	engine_autostart(&d);
	/* three services and two tasks */
	ck_assert_int_eq(fk.active, 5);
	ck_assert_int_eq(d.d_running_tasks, 2);
}
END_TEST

START_TEST(groups_take_turns)
{
	add_group("a", 1);
	add_group("b", 1);
	add_job("x", JOB_TASK, 3)->group = xstrdup("a");
	add_job("y", JOB_TASK, 3)->group = xstrdup("b");
	load();
	engine_autostart(&d);
	ck_assert_int_eq(inst("x_0")->state, JS_RUNNING);
	ck_assert_int_eq(inst("y_0")->state, JS_RUNNING);
	ck_assert_int_eq(fk.active, 2);
}
END_TEST

START_TEST(after_waits_for_task_success)
{
	struct job_config	*b;

	add_job("a", JOB_TASK, 1);
	b = add_job("b", JOB_TASK, 1);
	b->after = strv_new();
	strv_push(&b->after, "a");
	load();
	engine_autostart(&d);
	ck_assert_int_eq(inst("a")->state, JS_RUNNING);
	ck_assert_int_eq(inst("b")->state, JS_QUEUED);
	proc_exit(inst("a"), EXIT(0));
	ck_assert_int_eq(inst("b")->state, JS_RUNNING);
}
END_TEST

START_TEST(after_failed_dependency_cancels_dependant)
{
	struct job_config	*b;

	add_job("a", JOB_TASK, 1);
	b = add_job("b", JOB_TASK, 1);
	b->after = strv_new();
	strv_push(&b->after, "a");
	load();
	engine_autostart(&d);
	proc_exit(inst("a"), EXIT(1));
	ck_assert_int_eq(inst("b")->state, JS_EXITED);
	ck_assert_int_eq(inst("b")->last.result, RES_CANCELLED);
	ck_assert_str_eq(inst("b")->last.note, "dependency a failed");
	ck_assert_int_eq(fk.spawns, 1);
}
END_TEST

START_TEST(after_waits_for_service_ready)
{
	struct job_config	*web;

	add_job("db", JOB_SERVICE, 1);
	web = add_job("web", JOB_SERVICE, 1);
	web->after = strv_new();
	strv_push(&web->after, "db");
	load();
	engine_autostart(&d);
	ck_assert_int_eq(inst("web")->state, JS_QUEUED);
	advance(1000);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	ck_assert_int_eq(inst("web")->state, JS_STARTING);
}
END_TEST

/* --- shutdown ------------------------------------------------------------ */

START_TEST(shutdown_stops_dependants_first)
{
	struct job_config	*web;

	add_job("db", JOB_SERVICE, 1);
	web = add_job("web", JOB_SERVICE, 1);
	web->after = strv_new();
	strv_push(&web->after, "db");
	load();
	engine_autostart(&d);
	advance(1000);
	advance(1000);
	ck_assert_int_eq(inst("web")->state, JS_RUNNING);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
	proc_exit(inst("db"), EXIT(0));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
	ck_assert_int_eq(d.d_exitcode, 0);
}
END_TEST

START_TEST(shutdown_drains_tasks_until_deadline_then_cancels)
{
	struct job_config	*s;

	add_job("short", JOB_TASK, 1);
	add_job("long", JOB_TASK, 1);
	s = add_job("shielded", JOB_TASK, 1);
	s->shield = true;
	s->timeout = 60000;
	load();
	engine_autostart(&d);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(inst("long")->state, JS_RUNNING);
	proc_exit(inst("short"), EXIT(0));
	ck_assert_int_eq(inst("short")->last.result, RES_OK);
	/* the deadline: unshielded runs are cancelled, shielded ones not */
	d.d_sd_phase = SD_CANCEL;
	shutdown_step(&d);
	ck_assert_int_eq(inst("long")->state, JS_STOPPING);
	ck_assert_int_eq(inst("shielded")->state, JS_RUNNING);
	proc_exit(inst("long"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("long")->last.result, RES_CANCELLED);
	ck_assert_int_ne(d.d_sd_phase, SD_DONE);
	proc_exit(inst("shielded"), EXIT(0));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(shutdown_drops_queued_runs)
{
	add_group("g", 1);
	add_job("t", JOB_TASK, 3)->group = xstrdup("g");
	load();
	engine_autostart(&d);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(inst("t_1")->state, JS_EXITED);
	ck_assert_int_eq(inst("t_1")->last.result, RES_CANCELLED);
	ck_assert_int_eq(inst("t_2")->last.result, RES_CANCELLED);
	proc_exit(inst("t_0"), EXIT(0));
	ck_assert_int_eq(fk.spawns, 1);
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(cleanup_runs_after_its_after_job_stopped)
{
	struct job_config	*c;

	add_job("web", JOB_SERVICE, 1);
	c = add_job("flush", JOB_CLEANUP, 1);
	c->timeout = 5000;
	c->after = strv_new();
	strv_push(&c->after, "web");
	load();
	engine_autostart(&d);
	advance(1000);
	ck_assert_int_eq(fk.spawns, 1);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(inst("flush")->state, JS_STOPPED);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("flush")->state, JS_RUNNING);
	proc_exit(inst("flush"), EXIT(0));
	ck_assert_int_eq(inst("flush")->last.result, RES_OK);
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(cleanup_before_service_runs_before_its_stop)
{
	struct job_config	*c;

	add_job("web", JOB_SERVICE, 1);
	c = add_job("deregister", JOB_CLEANUP, 1);
	c->timeout = 5000;
	c->before = strv_new();
	strv_push(&c->before, "web");
	load();
	engine_autostart(&d);
	advance(1000);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(inst("deregister")->state, JS_RUNNING);
	ck_assert_int_eq(inst("web")->state, JS_RUNNING);
	proc_exit(inst("deregister"), EXIT(0));
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
}
END_TEST

START_TEST(critical_failure_shuts_down_with_exit_1)
{
	struct job_config	*c;

	c = add_job("t", JOB_TASK, 1);
	c->critical = true;
	add_job("web", JOB_SERVICE, 1);
	load();
	engine_autostart(&d);
	proc_exit(inst("t"), EXIT(1));
	ck_assert_int_ne(d.d_sd_phase, SD_NONE);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
	ck_assert_int_eq(d.d_exitcode, 1);
}
END_TEST

START_TEST(once_shuts_down_when_tasks_are_done)
{
	add_job("a", JOB_TASK, 1);
	add_job("b", JOB_TASK, 1);
	load();
	d.d_once = true;
	engine_autostart(&d);
	proc_exit(inst("a"), EXIT(0));
	ck_assert_int_eq(d.d_sd_phase, SD_NONE);
	proc_exit(inst("b"), EXIT(4));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
	ck_assert_int_eq(d.d_exitcode, 1);
}
END_TEST

START_TEST(once_waits_for_every_instance_whatever_the_order)
{
	static const char *const order[] = { "b", "a_2", "a_0", "a_3" };
	size_t	i;

	add_job("a", JOB_TASK, 4);
	add_job("web", JOB_SERVICE, 1);
	add_job("b", JOB_TASK, 1);
	load();
	d.d_once = true;
	engine_autostart(&d);
	/* the walk resumes where it last stopped and must still go round */
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		proc_exit(inst(order[i]), EXIT(0));
		ck_assert_msg(d.d_sd_phase == SD_NONE, "shut down after %s",
		    order[i]);
	}
	proc_exit(inst("a_1"), EXIT(0));
	ck_assert_int_ne(d.d_sd_phase, SD_NONE);
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
}
END_TEST

static struct job_config *
add_service_at(const char *name, int priority)
{
	struct job_config	*c = add_job(name, JOB_SERVICE, 1);

	c->priority = priority;
	return c;
}

static void
add_after(struct job_config *c, const char *name)
{
	if (c->after == NULL)
		c->after = strv_new();
	strv_push(&c->after, name);
}

static void
add_before(struct job_config *c, const char *name)
{
	if (c->before == NULL)
		c->before = strv_new();
	strv_push(&c->before, name);
}

/* Up and RUNNING (startsecs = 1s, one `after` deep), then the shutdown. */
static void
run_then_shut_down(void)
{
	load();
	engine_autostart(&d);
	advance(1000);
	advance(1000);
	shutdown_begin(&d, "test");
}

START_TEST(shutdown_stops_in_tiers_of_reverse_priority)
{
	add_service_at("db", 10);
	add_service_at("app", 100);
	add_service_at("web", 300);
	add_service_at("api", 100);
	run_then_shut_down();
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
	ck_assert_int_eq(inst("app")->state, JS_RUNNING);
	ck_assert_int_eq(inst("api")->state, JS_RUNNING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	/* one tier, in parallel */
	ck_assert_int_eq(inst("app")->state, JS_STOPPING);
	ck_assert_int_eq(inst("api")->state, JS_STOPPING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("api"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("app"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
	proc_exit(inst("db"), EXIT(0));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(shutdown_tier_waits_for_the_escalation)
{
	add_service_at("db", 10);
	add_service_at("web", 20)->stopwaitsecs = 2000;
	run_then_shut_down();
	ck_assert_int_eq(count_kills(SIGTERM), 1);
	advance(2000);
	/* SIGKILL to web's tree; db still waits for it to be gone */
	ck_assert_int_eq(count_kills(SIGKILL), 1);
	ck_assert_ptr_eq(fk.kills[fk.nkills - 1].in, inst("web"));
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("web"), SIGNALLED(SIGKILL));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
}
END_TEST

START_TEST(shutdown_deadline_ends_the_tiers)
{
	conf->shutdown_timeout = 3000;
	add_service_at("db", 10);
	add_service_at("web", 20)->stopwaitsecs = 60000;
	run_then_shut_down();
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	d.d_sd_phase = SD_CANCEL;	/* what deadline_cb does */
	shutdown_step(&d);
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
}
END_TEST

START_TEST(shutdown_after_wins_over_priority)
{
	struct job_config	*web;

	/* web needs db but has the lower priority: it still stops first,
	 * and db joins web's tier, after the unrelated cache */
	add_service_at("db", 100);
	web = add_service_at("web", 10);
	add_after(web, "db");
	add_service_at("cache", 50);
	run_then_shut_down();
	ck_assert_int_eq(inst("cache")->state, JS_STOPPING);
	ck_assert_int_eq(inst("web")->state, JS_RUNNING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("cache"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
	proc_exit(inst("db"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(shutdown_before_wins_over_priority)
{
	struct job_config	*broker;

	/* the consumer starts after the broker, so it stops first, although
	 * the broker's priority is the higher */
	add_service_at("consumer", 5);
	broker = add_service_at("broker", 500);
	add_before(broker, "consumer");
	run_then_shut_down();
	ck_assert_int_eq(inst("consumer")->state, JS_STOPPING);
	ck_assert_int_eq(inst("broker")->state, JS_RUNNING);
	proc_exit(inst("consumer"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("broker")->state, JS_STOPPING);
}
END_TEST

START_TEST(shutdown_tiers_through_a_cleanup_cannot_deadlock)
{
	struct job_config	*c;

	/* db (100) waits for flush, which waits for web (10): db moves down
	 * to web's tier instead of holding web back */
	add_service_at("web", 10);
	add_service_at("db", 100);
	add_service_at("cache", 50);
	c = add_job("flush", JOB_CLEANUP, 1);
	c->timeout = 5000;
	add_after(c, "web");
	add_before(c, "db");
	run_then_shut_down();
	ck_assert_int_eq(inst("cache")->state, JS_STOPPING);
	ck_assert_int_eq(inst("web")->state, JS_RUNNING);
	proc_exit(inst("cache"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
	ck_assert_int_eq(inst("flush")->state, JS_STOPPED);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("flush")->state, JS_RUNNING);
	ck_assert_int_eq(inst("db")->state, JS_RUNNING);
	proc_exit(inst("flush"), EXIT(0));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
	proc_exit(inst("db"), EXIT(0));
	ck_assert_int_eq(d.d_sd_phase, SD_DONE);
}
END_TEST

START_TEST(shutdown_tasks_hold_back_no_tier)
{
	add_job("report", JOB_TASK, 1)->priority = 900;
	add_service_at("web", 20);
	add_service_at("db", 10);
	run_then_shut_down();
	ck_assert_int_eq(inst("report")->state, JS_RUNNING);
	ck_assert_int_eq(inst("web")->state, JS_STOPPING);
	proc_exit(inst("web"), SIGNALLED(SIGTERM));
	ck_assert_int_eq(inst("db")->state, JS_STOPPING);
	ck_assert_int_eq(inst("report")->state, JS_RUNNING);
}
END_TEST

START_TEST(worst_case_bounds_the_plan)
{
	add_job("web", JOB_SERVICE, 1);
	load();
	/* 30s drain + 10s stop + 5s grace, a chain of one, the last grace */
	ck_assert_int_eq(shutdown_worst_case(&d), 30000 + 15000 + 15000 +
	    KILL_GRACE_MS);
}
END_TEST

static Suite *
job_suite(void)
{
	Suite	*s = suite_create("job");
	TCase	*tc;

	tc = tcase_create("service");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, service_starts_and_becomes_running_after_startsecs);
	tcase_add_test(tc, service_crash_while_starting_backs_off_then_fatal);
	tcase_add_test(tc, service_backoff_delays_double);
	tcase_add_test(tc, backoff_delay_is_capped_and_jittered);
	tcase_add_test(tc, autorestart_unexpected_restarts_only_unexpected_exits);
	tcase_add_test(tc, crash_loop_after_running_backs_off);
	tcase_add_test(tc, stop_escalates_to_sigkill_after_stopwaitsecs);
	tcase_add_test(tc, stop_while_queued_never_starts);
	tcase_add_test(tc, spawn_error_counts_as_failed_start);
	tcase_add_test(tc, mixed_killmode_kills_leftovers_when_main_exits);
	tcase_add_test(tc, tree_answered_later_gone_needs_no_kill);
	tcase_add_test(tc, tree_answered_later_busy_kills_leftovers);
	tcase_add_test(tc, output_held_by_leftover_is_closed_after_stopwait);
	suite_add_tcase(s, tc);

	tc = tcase_create("task");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, task_runs_once_and_records_ok);
	tcase_add_test(tc, task_timeout_cancels_and_reports_timeout);
	tcase_add_test(tc, task_retries_until_success);
	tcase_add_test(tc, task_retries_exhausted_fails_for_good);
	tcase_add_test(tc, interval_task_runs_again_after_interval_never_overlapping);
	tcase_add_test(tc, group_semaphore_bounds_and_is_reached);
	tcase_add_test(tc, global_bound_counts_tasks_not_services);
	tcase_add_test(tc, groups_take_turns);
	tcase_add_test(tc, after_waits_for_task_success);
	tcase_add_test(tc, after_failed_dependency_cancels_dependant);
	tcase_add_test(tc, after_waits_for_service_ready);
	suite_add_tcase(s, tc);

	tc = tcase_create("shutdown");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, shutdown_stops_dependants_first);
	tcase_add_test(tc, shutdown_drains_tasks_until_deadline_then_cancels);
	tcase_add_test(tc, shutdown_drops_queued_runs);
	tcase_add_test(tc, cleanup_runs_after_its_after_job_stopped);
	tcase_add_test(tc, cleanup_before_service_runs_before_its_stop);
	tcase_add_test(tc, critical_failure_shuts_down_with_exit_1);
	tcase_add_test(tc, once_shuts_down_when_tasks_are_done);
	tcase_add_test(tc, once_waits_for_every_instance_whatever_the_order);
	tcase_add_test(tc, worst_case_bounds_the_plan);
	tcase_add_test(tc, shutdown_stops_in_tiers_of_reverse_priority);
	tcase_add_test(tc, shutdown_tier_waits_for_the_escalation);
	tcase_add_test(tc, shutdown_deadline_ends_the_tiers);
	tcase_add_test(tc, shutdown_after_wins_over_priority);
	tcase_add_test(tc, shutdown_before_wins_over_priority);
	tcase_add_test(tc, shutdown_tiers_through_a_cleanup_cannot_deadlock);
	tcase_add_test(tc, shutdown_tasks_hold_back_no_tier);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(job_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_bus.c: the event bus (bus.h) on its own, then every transition of
 * a fake instance reaching subscribers in order, through the real job.c,
 * scheduler and conductor, with a fake clock and no processes.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "drover.h"
#include "value.h"
#include "xmalloc.h"

/* --- a recorder ------------------------------------------------------------ */

#define MAXREC	64

struct rec {
	char		 who;
	enum bus_type	 type;
	int		 a, b;		/* from/to, or the result */
	int		 holds;		/* bus_holds() at delivery */
	int		 qwhere;	/* the instance's queue at delivery */
	int		 state;		/* and its state */
	char		 name[32];	/* BUS_JOB: the job */
};

static struct {
	struct rec	 r[MAXREC];
	int		 n;
	int		 depth;		/* re-entry guard */
	int		 maxdepth;
	struct bus	*bus;
	struct bus_event then;		/* published by 'x' once */
	bool		 then_armed;
} rc;

static void
record(char who, const struct bus_event *ev)
{
	struct rec	*r;

	ck_assert_int_lt(rc.n, MAXREC);
	r = &rc.r[rc.n++];
	r->who = who;
	r->type = ev->type;
	r->holds = rc.bus != NULL ? bus_holds(rc.bus) : 0;
	r->qwhere = ev->in != NULL ? (int)ev->in->qwhere : -1;
	r->state = ev->in != NULL ? (int)ev->in->state : -1;
	switch (ev->type) {
	case BUS_STATE:
		r->a = ev->st.from;
		r->b = ev->st.to;
		break;
	case BUS_RESULT:
		r->a = ev->res.result;
		break;
	case BUS_DROVER:
		r->a = ev->dp.from;
		r->b = ev->dp.to;
		break;
	case BUS_JOB:
		r->a = ev->jb;
		if (ev->job->cfg != NULL)
			snprintf(r->name, sizeof(r->name), "%s",
			    ev->job->cfg->name);
		break;
	default:
		break;
	}
}

static void
sub_cb(const struct bus_event *ev, void *arg)
{
	char	who = (char)(intptr_t)arg;

	if (++rc.depth > rc.maxdepth)
		rc.maxdepth = rc.depth;
	record(who, ev);
	if (who == 'x' && rc.then_armed) {
		rc.then_armed = false;
		bus_publish(rc.bus, &rc.then);	/* from inside a delivery */
	}
	rc.depth--;
}

static void
sub(struct bus *b, int prio, unsigned mask, char who)
{
	bus_subscribe(b, prio, mask, sub_cb, (void *)(intptr_t)who);
}

static struct bus_event
phase_ev(enum dphase from, enum dphase to)
{
	struct bus_event	ev = { .type = BUS_DROVER };

	ev.dp.from = from;
	ev.dp.to = to;
	return ev;
}

static void
rec_setup(void)
{
	memset(&rc, 0, sizeof(rc));
}

/* --- the bus alone -------------------------------------------------------- */

START_TEST(bus_delivers_by_priority_then_subscription_order)
{
	struct bus		*b = bus_new();
	struct bus_event	 ev = phase_ev(DP_STARTING, DP_STARTED);

	sub(b, 50, BUS_ALL, 'c');
	sub(b, 10, BUS_ALL, 'a');
	sub(b, 10, BUS_ALL, 'b');
	sub(b, 99, BUS_ALL, 'd');
	bus_publish(b, &ev);
	ck_assert_int_eq(rc.n, 4);
	ck_assert_int_eq(rc.r[0].who, 'a');
	ck_assert_int_eq(rc.r[1].who, 'b');
	ck_assert_int_eq(rc.r[2].who, 'c');
	ck_assert_int_eq(rc.r[3].who, 'd');
	ck_assert_uint_eq(bus_delivered(b), 1);
	bus_free(b);
}
END_TEST

START_TEST(bus_event_published_in_delivery_waits_for_the_current_one)
{
	struct bus		*b = bus_new();
	struct bus_event	 first = phase_ev(DP_STARTING, DP_STARTED);

	rc.bus = b;
	rc.then = phase_ev(DP_STARTED, DP_READY);
	rc.then_armed = true;
	sub(b, 10, BUS_ALL, 'x');	/* publishes the second event */
	sub(b, 20, BUS_ALL, 'y');
	bus_publish(b, &first);
	ck_assert_int_eq(rc.n, 4);
	/* x and y see the first event, then x and y the second */
	ck_assert_int_eq(rc.r[0].who, 'x');
	ck_assert_int_eq(rc.r[0].b, DP_STARTED);
	ck_assert_int_eq(rc.r[1].who, 'y');
	ck_assert_int_eq(rc.r[1].b, DP_STARTED);
	ck_assert_int_eq(rc.r[2].who, 'x');
	ck_assert_int_eq(rc.r[2].b, DP_READY);
	ck_assert_int_eq(rc.r[3].who, 'y');
	ck_assert_int_eq(rc.r[3].b, DP_READY);
	ck_assert_int_eq(rc.maxdepth, 1);	/* never re-entered */
	bus_free(b);
}
END_TEST

START_TEST(bus_hold_defers_until_the_last_release)
{
	struct bus		*b = bus_new();
	struct bus_event	 e1 = phase_ev(DP_STARTING, DP_STARTED);
	struct bus_event	 e2 = phase_ev(DP_STARTED, DP_READY);

	sub(b, 10, BUS_ALL, 'a');
	bus_hold(b);
	bus_hold(b);
	bus_publish(b, &e1);
	bus_publish(b, &e2);
	bus_release(b);
	ck_assert_int_eq(rc.n, 0);
	bus_release(b);
	ck_assert_int_eq(rc.n, 2);
	ck_assert_int_eq(rc.r[0].b, DP_STARTED);
	ck_assert_int_eq(rc.r[1].b, DP_READY);
	bus_free(b);
}
END_TEST

START_TEST(bus_masks_and_wants)
{
	struct bus		*b = bus_new();
	struct bus_event	 ev = phase_ev(DP_STARTING, DP_STARTED);

	ck_assert(!bus_wants(b, BUS_OUTPUT));
	bus_publish(b, &ev);			/* nobody: dropped */
	ck_assert_uint_eq(bus_delivered(b), 0);
	sub(b, 10, BUS_MASK(BUS_STATE), 's');
	sub(b, 20, BUS_MASK(BUS_DROVER), 'd');
	ck_assert(bus_wants(b, BUS_STATE));
	ck_assert(!bus_wants(b, BUS_OUTPUT));
	bus_publish(b, &ev);
	ck_assert_int_eq(rc.n, 1);
	ck_assert_int_eq(rc.r[0].who, 'd');
	bus_unsubscribe(b, sub_cb, (void *)(intptr_t)'d');
	ck_assert(!bus_wants(b, BUS_DROVER));
	bus_publish(b, &ev);
	ck_assert_int_eq(rc.n, 1);
	bus_free(b);
}
END_TEST

static char	 seen_line[64];

static void
line_cb(const struct bus_event *ev, void *arg)
{
	snprintf(seen_line, sizeof(seen_line), "%.*s", (int)ev->out.len,
	    ev->out.line);
}

START_TEST(bus_output_line_is_copied_while_queued)
{
	struct bus		*b = bus_new();
	struct bus_event	 ev = { .type = BUS_OUTPUT };
	char			 buf[16] = "hello";

	bus_subscribe(b, 10, BUS_MASK(BUS_OUTPUT), line_cb, NULL);
	ck_assert(bus_wants(b, BUS_OUTPUT));
	ev.out.line = buf;
	ev.out.len = 5;
	bus_hold(b);
	bus_publish(b, &ev);
	memcpy(buf, "XXXXX", 5);	/* the reader reuses its buffer */
	bus_release(b);
	ck_assert_str_eq(seen_line, "hello");
	/* and one left queued at the end is freed (ASan/valgrind) */
	bus_hold(b);
	bus_publish(b, &ev);
	bus_free(b);
}
END_TEST

START_TEST(bus_forget_drops_what_is_queued_about_an_object)
{
	struct bus		*b = bus_new();
	struct job		 j1 = { 0 }, j2 = { 0 };
	struct bus_event	 e1 = { .type = BUS_JOB, .job = &j1 };
	struct bus_event	 e2 = { .type = BUS_JOB, .job = &j2 };

	sub(b, 10, BUS_ALL, 'a');
	bus_hold(b);
	bus_publish(b, &e1);
	bus_publish(b, &e2);
	bus_forget(b, &j1);
	bus_release(b);
	ck_assert_int_eq(rc.n, 1);
	ck_assert_uint_eq(bus_delivered(b), 1);
	bus_free(b);
}
END_TEST

START_TEST(bus_phase_is_published_once_per_change)
{
	struct bus	*b = bus_new();

	sub(b, 10, BUS_MASK(BUS_DROVER), 'a');
	ck_assert_int_eq(bus_phase(b), DP_STARTING);
	bus_set_phase(b, DP_STARTED);
	bus_set_phase(b, DP_STARTED);
	bus_set_phase(b, DP_STOPPING);
	ck_assert_int_eq(rc.n, 2);
	ck_assert_int_eq(rc.r[0].a, DP_STARTING);
	ck_assert_int_eq(rc.r[0].b, DP_STARTED);
	ck_assert_int_eq(rc.r[1].a, DP_STARTED);
	ck_assert_int_eq(rc.r[1].b, DP_STOPPING);
	ck_assert_str_eq(dphase_names[DP_STOPPING], "stopping");
	bus_free(b);
}
END_TEST

/* --- a fake instance through job.c ---------------------------------------- */

static struct {
	int64_t	 now;
	pid_t	 nextpid;
} fk;

static int
fake_spawn(struct instance *in, char *err, size_t errsz)
{
	in->pid = fk.nextpid++;
	in->rflags = RUN_ACTIVE;
	in->run_start = fk.now;
	in->d->d_nactive++;
	return 0;
}

static void
fake_kill(struct instance *in, int sig, bool tree)
{
}

static int
fake_tree_empty(struct instance *in)
{
	return 1;
}

static void
fake_release(struct instance *in)
{
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
	return 0;
}

static const struct engine_ops fake_ops = {
	.spawn = fake_spawn, .kill = fake_kill, .tree_empty = fake_tree_empty,
	.release = fake_release, .arm = fake_arm, .now = fake_now,
	.wallclock = fake_now, .random = fake_random,
};

static struct config	*conf;
static struct drover	 d;

static void
add_service(const char *name)
{
	struct job_config	*c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	c->kind = JOB_SERVICE;
	c->file = xstrdup("test.ini");
	c->nprocs = 1;
	c->procs = xcalloc(1, sizeof(*c->procs));
	c->procs[0].name = xstrdup(name);
	c->procs[0].argv = strv_new();
	strv_push(&c->procs[0].argv, "/bin/true");
	c->umask = -1;
	c->autostart = true;
	c->autorestart = AR_UNEXPECTED;
	c->exitcodes[0] = 1;		/* exit code 0 expected */
	c->startsecs = 1000;
	c->startretries = 3;
	c->backoff = 1000;
	c->backoff_max = 60000;
	c->stopsignal = SIGTERM;
	c->stopwaitsecs = 10000;
	c->killmode = KM_MIXED;
	c->priority = 999;
	c->ready = READY_STARTSECS;
	c->start_timeout = 90000;
	conf->jobs = xreallocarray(conf->jobs, (size_t)conf->njobs + 1,
	    sizeof(*conf->jobs));
	conf->jobs[conf->njobs++] = c;
}

static void
fake_setup(void)
{
	rec_setup();
	memset(&fk, 0, sizeof(fk));
	fk.now = 1000000;
	fk.nextpid = 100;
	memset(&d, 0, sizeof(d));
	conf = xcalloc(1, sizeof(*conf));
	conf->shutdown_timeout = 30000;
	conf->log_level = -1;
	engine_init(&d, &fake_ops);
	conductor_init(&d);
	rc.bus = d.d_bus;
	add_service("web");
	engine_load(&d, conf);
	/* where the control socket listens: after the scheduler */
	sub(d.d_bus, BUS_PRIO_CONTROL, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_RESULT), 'c');
}

static void
fake_teardown(void)
{
	engine_free_jobs(&d);
	config_free(conf);
}

static void
advance(struct instance *in, int64_t ms)
{
	fk.now += ms;
	if ((in->t_state && in->t_state <= fk.now) ||
	    (in->t_run && in->t_run <= fk.now))
		instance_timer_fired(in);
}

/* The main process exits with this code; its pipes are at EOF. */
static void
proc_exit(struct instance *in, int code)
{
	ck_assert(!instance_reaped(in, code << 8));
	instance_run_flag(in, RUN_OUT_EOF | RUN_ERR_EOF);
}

static void
expect_state(int i, enum jstate from, enum jstate to)
{
	ck_assert_int_lt(i, rc.n);
	ck_assert_int_eq(rc.r[i].type, BUS_STATE);
	ck_assert_msg(rc.r[i].a == (int)from && rc.r[i].b == (int)to,
	    "event %d: %s -> %s, expected %s -> %s", i,
	    jstate_names[rc.r[i].a], jstate_names[rc.r[i].b],
	    jstate_names[from], jstate_names[to]);
}

static void
expect_result(int i, enum result res)
{
	ck_assert_int_lt(i, rc.n);
	ck_assert_int_eq(rc.r[i].type, BUS_RESULT);
	ck_assert_str_eq(result_names[rc.r[i].a], result_names[res]);
}

START_TEST(every_transition_reaches_subscribers_in_order)
{
	struct instance	*in = engine_find_instance(&d, "web");
	int		 i;

	engine_autostart(&d);
	ck_assert_int_eq(in->state, JS_STARTING);
	advance(in, 1000);			/* startsecs */
	ck_assert_int_eq(in->state, JS_RUNNING);
	proc_exit(in, 3);			/* unexpected: restarted */
	ck_assert_int_eq(in->state, JS_STARTING);
	instance_event(in, IE_STOP, 0);
	ck_assert_int_eq(in->state, JS_STOPPING);
	proc_exit(in, 0);
	ck_assert_int_eq(in->state, JS_STOPPED);

	expect_state(0, JS_STOPPED, JS_QUEUED);
	expect_state(1, JS_QUEUED, JS_STARTING);
	expect_state(2, JS_STARTING, JS_RUNNING);
	expect_result(3, RES_FAILED);
	expect_state(4, JS_RUNNING, JS_QUEUED);
	expect_state(5, JS_QUEUED, JS_STARTING);
	expect_state(6, JS_STARTING, JS_STOPPING);
	expect_result(7, RES_CANCELLED);
	expect_state(8, JS_STOPPING, JS_STOPPED);
	ck_assert_int_eq(rc.n, 9);
	for (i = 0; i < rc.n; i++) {
		/* never inside a transition: no hold is taken */
		ck_assert_int_eq(rc.r[i].holds, 0);
		/*
		 * The scheduler saw it first: an instance that became QUEUED
		 * is in a queue or was dispatched by the time the control
		 * socket hears of it.
		 */
		if (rc.r[i].type == BUS_STATE && rc.r[i].b == JS_QUEUED)
			ck_assert(rc.r[i].qwhere != Q_NONE ||
			    rc.r[i].state != JS_QUEUED);
	}
	ck_assert_int_eq(rc.maxdepth, 1);
}
END_TEST

/* A subscriber that acts on an event: its transition comes after. */
static void
stopper_cb(const struct bus_event *ev, void *arg)
{
	if (ev->type == BUS_STATE && ev->st.to == JS_RUNNING) {
		ck_assert_int_eq(bus_holds(d.d_bus), 0);
		instance_event(ev->in, IE_STOP, 0);
		/* the stop happened; its events wait for this delivery */
		ck_assert_int_eq(ev->in->state, JS_STOPPING);
	}
}

START_TEST(a_subscriber_may_post_events_delivered_after_the_current)
{
	struct instance	*in = engine_find_instance(&d, "web");

	/* before the recorder: the recorder still sees RUNNING first */
	bus_subscribe(d.d_bus, BUS_PRIO_LISTENER - 1, BUS_MASK(BUS_STATE),
	    stopper_cb, NULL);
	engine_autostart(&d);
	advance(in, 1000);
	ck_assert_int_eq(in->state, JS_STOPPING);
	expect_state(0, JS_STOPPED, JS_QUEUED);
	expect_state(1, JS_QUEUED, JS_STARTING);
	expect_state(2, JS_STARTING, JS_RUNNING);
	expect_state(3, JS_RUNNING, JS_STOPPING);
	ck_assert_int_eq(rc.n, 4);
	ck_assert_int_eq(rc.maxdepth, 1);
	proc_exit(in, 0);
	expect_result(4, RES_CANCELLED);
	expect_state(5, JS_STOPPING, JS_STOPPED);
}
END_TEST

START_TEST(life_cycle_reaches_subscribers)
{
	struct instance	*in = engine_find_instance(&d, "web");

	sub(d.d_bus, BUS_PRIO_LISTENER, BUS_MASK(BUS_DROVER), 'p');
	engine_autostart(&d);
	ck_assert_int_eq(bus_phase(d.d_bus), DP_STARTED);
	advance(in, 1000);
	/* every autostart service is up: the conductor says ready */
	ck_assert_int_eq(bus_phase(d.d_bus), DP_READY);
	shutdown_begin(&d, "test");
	ck_assert_int_eq(bus_phase(d.d_bus), DP_STOPPING);
	proc_exit(in, 0);
	ck_assert_int_eq(bus_phase(d.d_bus), DP_STOPPED);
	ck_assert_int_eq(d.d_sched_gate, GATE_CLOSED);
}
END_TEST

/* --- a reload's jobs ------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static const struct rec *
find_job_rec(const char *name)
{
	int	i;

	for (i = 0; i < rc.n; i++)
		if (rc.r[i].type == BUS_JOB && strcmp(rc.r[i].name, name) == 0)
			return &rc.r[i];
	return NULL;
}

START_TEST(reload_publishes_added_removed_changed)
{
	char			 dir[] = "/tmp/check_bus.XXXXXX", path[64];
	struct config_env	 env;
	struct diag		 dg;
	struct config		*c1;
	char			 err[256];
	int			 i, reloading = -1, back = -1;

	unsetenv("NOTIFY_SOCKET");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drover.ini", dir);
	write_file(path, "[service:keep]\ncommand = /bin/true\n"
	    "[service:change]\ncommand = /bin/true\n"
	    "[service:gone]\ncommand = /bin/true\n");
	config_env_default(&env);
	diag_init(&dg);
	c1 = config_load(path, &env, &dg);
	diag_free(&dg);
	ck_assert_ptr_nonnull(c1);
	memset(&fk, 0, sizeof(fk));
	fk.now = 1000000;
	fk.nextpid = 100;
	memset(&d, 0, sizeof(d));
	engine_init(&d, &fake_ops);
	conductor_init(&d);
	rc.bus = d.d_bus;
	d.d_confpath = path;
	engine_load(&d, c1);
	engine_autostart(&d);
	sub(d.d_bus, BUS_PRIO_LISTENER, BUS_MASK(BUS_JOB) |
	    BUS_MASK(BUS_DROVER), 'r');
	write_file(path, "[service:keep]\ncommand = /bin/true\n"
	    "[service:change]\ncommand = /bin/false\n"
	    "[service:new]\ncommand = /bin/true\n");
	ck_assert_int_eq(reload_request(&d, err, sizeof(err)), 0);

	ck_assert_ptr_null(find_job_rec("keep"));
	ck_assert_ptr_nonnull(find_job_rec("change"));
	ck_assert_int_eq(find_job_rec("change")->a, BJ_CHANGED);
	ck_assert_ptr_nonnull(find_job_rec("new"));
	ck_assert_int_eq(find_job_rec("new")->a, BJ_ADDED);
	ck_assert_ptr_nonnull(find_job_rec("gone"));
	ck_assert_int_eq(find_job_rec("gone")->a, BJ_REMOVED);
	for (i = 0; i < rc.n; i++) {
		if (rc.r[i].type != BUS_DROVER)
			continue;
		if (rc.r[i].b == DP_RELOADING)
			reloading = i;
		else if (rc.r[i].a == DP_RELOADING)
			back = i;
	}
	/* the life cycle frames what the reload published */
	ck_assert_int_eq(reloading, 0);
	ck_assert_int_eq(back, rc.n - 1);
	ck_assert_int_eq(bus_phase(d.d_bus), DP_STARTED);
	ck_assert_int_eq(engine_find_instance(&d, "new")->state, JS_STARTING);

	engine_free_jobs(&d);
	config_free(d.d_conf);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
bus_suite(void)
{
	Suite	*s = suite_create("bus");
	TCase	*tc = tcase_create("bus");
	TCase	*tj = tcase_create("job");
	TCase	*tr = tcase_create("reload");

	tcase_add_checked_fixture(tc, rec_setup, NULL);
	tcase_add_test(tc, bus_delivers_by_priority_then_subscription_order);
	tcase_add_test(tc,
	    bus_event_published_in_delivery_waits_for_the_current_one);
	tcase_add_test(tc, bus_hold_defers_until_the_last_release);
	tcase_add_test(tc, bus_masks_and_wants);
	tcase_add_test(tc, bus_output_line_is_copied_while_queued);
	tcase_add_test(tc, bus_forget_drops_what_is_queued_about_an_object);
	tcase_add_test(tc, bus_phase_is_published_once_per_change);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tj, fake_setup, fake_teardown);
	tcase_add_test(tj, every_transition_reaches_subscribers_in_order);
	tcase_add_test(tj,
	    a_subscriber_may_post_events_delivered_after_the_current);
	tcase_add_test(tj, life_cycle_reaches_subscribers);
	suite_add_tcase(s, tj);
	tcase_add_checked_fixture(tr, rec_setup, NULL);
	tcase_add_test(tr, reload_publishes_added_removed_changed);
	suite_add_tcase(s, tr);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(bus_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* check_history.c: the run history ring and its median (history.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

static struct hist_run
run(int64_t ms, pid_t pid)
{
	struct hist_run	r = { .tries = 0 };

	r.r.result = RES_OK;
	r.r.pid = pid;
	r.r.duration = ms;
	return r;
}

START_TEST(ring_wraps_keeping_newest)
{
	struct hist_ring	r = { NULL, 0, 0, 0 };
	struct hist_run		x;
	int			i;

	hist_ring_resize(&r, 3);
	for (i = 1; i <= 5; i++) {
		x = run(i, 100 + i);
		hist_ring_push(&r, &x);
	}
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(hist_ring_get(&r, 0)->r.duration, 3);
	ck_assert_int_eq(hist_ring_get(&r, 2)->r.duration, 5);
	ck_assert_ptr_null(hist_ring_get(&r, 3));
	hist_ring_resize(&r, 2);	/* shrink: the two newest stay */
	ck_assert_int_eq(r.n, 2);
	ck_assert_int_eq(hist_ring_get(&r, 0)->r.duration, 4);
	hist_ring_resize(&r, 5);	/* grow: order kept, room for more */
	x = run(6, 106);
	hist_ring_push(&r, &x);
	ck_assert_int_eq(r.n, 3);
	ck_assert_int_eq(hist_ring_get(&r, 2)->r.duration, 6);
	hist_ring_free(&r);
}
END_TEST

START_TEST(median_odd_even_and_no_process)
{
	struct hist_ring	r = { NULL, 0, 0, 0 };
	struct hist_run		x;

	hist_ring_resize(&r, 10);
	ck_assert_int_eq(hist_ring_median(&r), -1);
	x = run(0, 0);			/* spawn error: not a duration */
	hist_ring_push(&r, &x);
	ck_assert_int_eq(hist_ring_median(&r), -1);
	x = run(30, 1); hist_ring_push(&r, &x);
	x = run(10, 2); hist_ring_push(&r, &x);
	x = run(20, 3); hist_ring_push(&r, &x);
	ck_assert_int_eq(hist_ring_median(&r), 20);
	x = run(100, 4); hist_ring_push(&r, &x);
	ck_assert_int_eq(hist_ring_median(&r), 25);
	hist_ring_free(&r);
}
END_TEST

/* Rates over the runs not cancelled; last and median of the ring. */
START_TEST(stats_rate_last_median)
{
	struct hist		e;
	struct hist_stats	s;
	struct hist_run		x;

	memset(&e, 0, sizeof(e));
	hist_ring_resize(&e.ring, 3);
	history_stats(&e, &s);
	ck_assert(s.success < 0);
	ck_assert_int_eq(s.last_ms, -1);
	ck_assert_int_eq(s.median_ms, -1);
	x = run(10, 1); hist_ring_push(&e.ring, &x);
	x = run(30, 2); hist_ring_push(&e.ring, &x);
	x = run(0, 0); hist_ring_push(&e.ring, &x);	/* spawn error */
	e.runs = 5;
	e.by_result[RES_OK] = 3;
	e.by_result[RES_CANCELLED] = 1;
	e.by_result[RES_SPAWN_ERROR] = 1;
	history_stats(&e, &s);
	ck_assert_int_eq(s.runs, 5);
	ck_assert_int_eq(s.ok, 3);
	ck_assert_int_eq(s.judged, 4);
	ck_assert(s.success > 0.749 && s.success < 0.751);
	ck_assert_int_eq(s.last_ms, 30);	/* the newest with a process */
	ck_assert_int_eq(s.median_ms, 20);
	e.runs = e.by_result[RES_CANCELLED] = 1;
	e.by_result[RES_OK] = e.by_result[RES_SPAWN_ERROR] = 0;
	history_stats(&e, &s);
	ck_assert(s.success < 0);		/* nothing to judge */
	hist_ring_free(&e.ring);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("history");
	TCase	*tc = tcase_create("ring");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, ring_wraps_keeping_newest);
	tcase_add_test(tc, median_odd_even_and_no_process);
	tcase_add_test(tc, stats_rate_last_median);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

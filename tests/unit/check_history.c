/* check_history.c: the run history ring and its median (history.h). */
#include <check.h>
#include <stdlib.h>

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

int
main(void)
{
	Suite	*s = suite_create("history");
	TCase	*tc = tcase_create("ring");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, ring_wraps_keeping_newest);
	tcase_add_test(tc, median_odd_even_and_no_process);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

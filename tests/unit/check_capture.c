/*
 * check_capture.c: unit tests for the capture-mode splitter
 * (src/proc/capture.c): tokens whole, split at every byte, false starts,
 * the maxbytes bound and the end of a stream inside a capture.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "capture.h"

#define B	CAPTURE_BEGIN
#define E	CAPTURE_END

struct rec {
	char		out[4096];
	size_t		outlen;
	char		comm[8][256];
	uint64_t	dropped[8];
	bool		complete[8];
	int		ncomm;
};

static void
rec_out(void *arg, const char *buf, size_t len)
{
	struct rec	*r = arg;

	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(r->outlen + len, sizeof(r->out));
	memcpy(r->out + r->outlen, buf, len);
	r->outlen += len;
	r->out[r->outlen] = '\0';
}

static void
rec_comm(void *arg, const char *data, size_t len, uint64_t dropped,
    bool complete)
{
	struct rec	*r = arg;

	ck_assert_int_lt(r->ncomm, 8);
	ck_assert_uint_lt(len, 256);
	memcpy(r->comm[r->ncomm], data, len);
	r->comm[r->ncomm][len] = '\0';
	r->dropped[r->ncomm] = dropped;
	r->complete[r->ncomm] = complete;
	r->ncomm++;
}

static const struct capture_ops ops = { rec_out, rec_comm };

/* Feed s in pieces of step bytes (0: whole), then end the stream. */
static void
run(struct rec *r, size_t max, const char *s, size_t step)
{
	struct capture	*c;
	size_t		 len = strlen(s), i, n;

	memset(r, 0, sizeof(*r));
	c = capture_new(max, &ops, r);
	for (i = 0; i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		capture_feed(c, s + i, n);
	}
	capture_end(c);
	capture_free(c);
}

START_TEST(test_plain)
{
	struct rec	r;

	run(&r, 100, "hello\nworld <b>bold</b> <!-- comment -->\n", 0);
	ck_assert_str_eq(r.out, "hello\nworld <b>bold</b> <!-- comment -->\n");
	ck_assert_int_eq(r.ncomm, 0);
}
END_TEST

START_TEST(test_one)
{
	struct rec	r;
	size_t		step;

	/* the same whatever the reads: every split of the tokens */
	for (step = 0; step <= 30; step++) {
		run(&r, 100, "before " B "data\nmore" E " after\n", step);
		ck_assert_str_eq(r.out, "before  after\n");
		ck_assert_int_eq(r.ncomm, 1);
		ck_assert_str_eq(r.comm[0], "data\nmore");
		ck_assert_uint_eq(r.dropped[0], 0);
		ck_assert(r.complete[0]);
	}
}
END_TEST

START_TEST(test_two_and_empty)
{
	struct rec	r;

	run(&r, 100, B "one" E B E "x" B "three" E, 0);
	ck_assert_str_eq(r.out, "x");
	ck_assert_int_eq(r.ncomm, 3);
	ck_assert_str_eq(r.comm[0], "one");
	ck_assert_str_eq(r.comm[1], "");
	ck_assert_str_eq(r.comm[2], "three");
}
END_TEST

START_TEST(test_false_starts)
{
	struct rec	r;
	size_t		step;

	for (step = 0; step <= 5; step++) {
		/* a prefix that fails, a '<' inside a prefix, a doubled '<' */
		run(&r, 100, "<!--XSUPx <!--XS<!--XSUPERVISOR:BEGIN-->"
		    "in<!--XSUPERVISOR:EN<" E "<" , step);
		ck_assert_str_eq(r.out, "<!--XSUPx <!--XS<");
		ck_assert_int_eq(r.ncomm, 1);
		ck_assert_str_eq(r.comm[0], "in<!--XSUPERVISOR:EN<");
	}
	/* the END token outside a capture is plain output */
	run(&r, 100, E "\n", 0);
	ck_assert_str_eq(r.out, E "\n");
	ck_assert_int_eq(r.ncomm, 0);
}
END_TEST

START_TEST(test_bound)
{
	struct rec	r;
	size_t		step;

	for (step = 0; step <= 4; step++) {
		run(&r, 4, B "abcdefghij" E "z", step);
		ck_assert_str_eq(r.out, "z");
		ck_assert_int_eq(r.ncomm, 1);
		ck_assert_str_eq(r.comm[0], "ghij");
		ck_assert_uint_eq(r.dropped[0], 6);
	}
	/* the bound is per capture: the next one starts empty */
	run(&r, 4, B "abcdefgh" E B "xy" E, 0);
	ck_assert_int_eq(r.ncomm, 2);
	ck_assert_str_eq(r.comm[1], "xy");
	ck_assert_uint_eq(r.dropped[1], 0);
}
END_TEST

START_TEST(test_end_of_stream)
{
	struct rec	r;

	/* a held partial token is output after all */
	run(&r, 100, "tail <!--XSUPERV", 0);
	ck_assert_str_eq(r.out, "tail <!--XSUPERV");
	ck_assert_int_eq(r.ncomm, 0);
	/* a capture with no END: handed over as incomplete */
	run(&r, 100, "x" B "never ended <!--XSUP", 3);
	ck_assert_str_eq(r.out, "x");
	ck_assert_int_eq(r.ncomm, 1);
	ck_assert_str_eq(r.comm[0], "never ended <!--XSUP");
	ck_assert(!r.complete[0]);
}
END_TEST

static Suite *
capture_suite(void)
{
	Suite	*s = suite_create("capture");
	TCase	*tc = tcase_create("split");

	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_one);
	tcase_add_test(tc, test_two_and_empty);
	tcase_add_test(tc, test_false_starts);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_end_of_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(capture_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

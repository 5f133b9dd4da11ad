/*
 * check_evlisten_proto.c: unit tests for supervisord's event listener
 * protocol (src/ctl/evlisten_proto.c): the envelope byte for byte, the
 * listener's replies whole, split and wrong, and the type tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "evlisten_proto.h"

START_TEST(test_header)
{
	char	buf[256];
	int	n;

	n = evl_header(buf, sizeof(buf), 7, "killer", 3,
	    "PROCESS_STATE_FATAL", 59);
	ck_assert_str_eq(buf, "ver:3.0 server:supervisor serial:7 "
	    "pool:killer poolserial:3 eventname:PROCESS_STATE_FATAL len:59\n");
	ck_assert_int_eq(n, (int)strlen(buf));
}
END_TEST

START_TEST(test_ready)
{
	size_t	used;

	ck_assert_int_eq(evl_parse("READY\n", 6, false, &used), EVL_READY);
	ck_assert_uint_eq(used, 6);
	ck_assert_int_eq(evl_parse("REA", 3, false, &used), EVL_NEED_MORE);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(evl_parse("READY\nRE", 8, false, &used), EVL_READY);
	ck_assert_uint_eq(used, 6);
	ck_assert_int_eq(evl_parse("hello\n", 6, false, &used), EVL_BAD);
	ck_assert_int_eq(evl_parse("READY\r\n", 7, false, &used), EVL_BAD);
	/* a READY while an event is out is not a RESULT */
	ck_assert_int_eq(evl_parse("READY\n", 6, true, &used), EVL_BAD);
	ck_assert_int_eq(evl_parse("", 0, true, &used), EVL_NEED_MORE);
}
END_TEST

START_TEST(test_result)
{
	size_t	used;

	ck_assert_int_eq(evl_parse("RESULT 2\nOK", 11, true, &used), EVL_OK);
	ck_assert_uint_eq(used, 11);
	ck_assert_int_eq(evl_parse("RESULT 4\nFAIL", 13, true, &used),
	    EVL_FAIL);
	ck_assert_uint_eq(used, 13);
	/* any other body is rejected, as by supervisord's default_handler */
	ck_assert_int_eq(evl_parse("RESULT 2\nok", 11, true, &used), EVL_FAIL);
	ck_assert_int_eq(evl_parse("RESULT 0\n", 9, true, &used), EVL_FAIL);
	ck_assert_int_eq(evl_parse("RESULT 2\nO", 10, true, &used),
	    EVL_NEED_MORE);
	ck_assert_int_eq(evl_parse("RESULT 2", 8, true, &used), EVL_NEED_MORE);
	ck_assert_int_eq(evl_parse("RES", 3, true, &used), EVL_NEED_MORE);
	ck_assert_int_eq(evl_parse("RESULT x\nOK", 11, true, &used), EVL_BAD);
	ck_assert_int_eq(evl_parse("RESULT \nOK", 10, true, &used), EVL_BAD);
	ck_assert_int_eq(evl_parse("RESULT 99999999\n", 16, true, &used),
	    EVL_BAD);
	ck_assert_int_eq(evl_parse("RESULT 2\nOKREADY\n", 17, true, &used),
	    EVL_OK);
	ck_assert_uint_eq(used, 11);
}
END_TEST

START_TEST(test_types)
{
	int	ev = evl_type_lookup("EVENT");
	int	ps = evl_type_lookup("PROCESS_STATE");
	int	fatal = evl_type_lookup("PROCESS_STATE_FATAL");
	int	tick = evl_type_lookup("TICK_60");

	ck_assert_int_ge(fatal, 0);
	ck_assert_int_eq(evl_type_lookup("PROCESS_STATE_NOPE"), -1);
	ck_assert_str_eq(evl_type_name(fatal), "PROCESS_STATE_FATAL");
	ck_assert(evl_type_matches(ev, fatal));
	ck_assert(evl_type_matches(ps, fatal));
	ck_assert(evl_type_matches(fatal, fatal));
	ck_assert(!evl_type_matches(fatal, ps));
	ck_assert(!evl_type_matches(ps, tick));
	ck_assert(evl_type_matches(ev, evl_type_lookup("REMOTE_COMMUNICATION")));
	ck_assert_ptr_null(evl_type_name(evl_ntypes()));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("evlisten_proto");
	TCase	*tc = tcase_create("proto");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_ready);
	tcase_add_test(tc, test_result);
	tcase_add_test(tc, test_types);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

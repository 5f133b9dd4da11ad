/*
 * check_names.c: unit tests for the name -> index table (src/names.c).
 *
 * Collisions are made, not hoped for: two names with the same full hash,
 * and names that share a first slot.  Run under ASan/LSan, so leaks of
 * copied names fail too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "names.h"

START_TEST(test_add_find)
{
	struct names	*t = names_new(false);

	ck_assert_int_eq(names_count(t), 0);
	ck_assert_int_eq(names_find(t, "web"), -1);
	ck_assert_int_eq(names_add(t, "web", 0), -1);
	ck_assert_int_eq(names_add(t, "db", 1), -1);
	ck_assert_int_eq(names_add(t, "", 2), -1);
	ck_assert_int_eq(names_find(t, "web"), 0);
	ck_assert_int_eq(names_find(t, "db"), 1);
	ck_assert_int_eq(names_find(t, ""), 2);
	ck_assert_int_eq(names_find(t, "we"), -1);
	ck_assert_int_eq(names_find(t, "web "), -1);
	ck_assert_int_eq(names_find(t, "WEB"), -1);
	ck_assert_int_eq(names_count(t), 3);
	names_free(t);
	names_free(NULL);
}
END_TEST

/* The first index stays: that is how the loader finds duplicates. */
START_TEST(test_duplicate)
{
	struct names	*t = names_new(false);
	char		 again[] = "web";

	ck_assert_int_eq(names_add(t, "web", 7), -1);
	ck_assert_int_eq(names_add(t, again, 9), 7);
	ck_assert_int_eq(names_add(t, "web", 0), 7);
	ck_assert_int_eq(names_find(t, "web"), 7);
	ck_assert_int_eq(names_count(t), 1);
	names_free(t);
}
END_TEST

START_TEST(test_hash_vectors)
{
	/* FNV-1a 32-bit reference values */
	ck_assert_uint_eq(names_hash(""), 0x811c9dc5u);
	ck_assert_uint_eq(names_hash("a"), 0xe40c292cu);
	ck_assert_uint_eq(names_hash("foobar"), 0xbf9cf968u);
	/* bytes are unsigned: UTF-8 names hash the same everywhere */
	ck_assert_uint_ne(names_hash("\xc3\xa9"), names_hash("\xc3\xa8"));
}
END_TEST

START_TEST(test_full_collision)
{
	struct names	*t = names_new(false);
	const char	*a = "j75988x", *b = "j285402x";

	/* found by a birthday search over "j%dx" (sequential decimal names
	 * alone collide far less than chance under FNV-1a) */
	ck_assert_uint_eq(names_hash(a), names_hash(b));
	ck_assert_int_eq(names_find(t, a), -1);
	ck_assert_int_eq(names_add(t, a, 1), -1);
	ck_assert_int_eq(names_find(t, b), -1);
	ck_assert_int_eq(names_add(t, b, 2), -1);
	ck_assert_int_eq(names_find(t, a), 1);
	ck_assert_int_eq(names_find(t, b), 2);
	ck_assert_int_eq(names_add(t, b, 3), 2);
	ck_assert_int_eq(names_count(t), 2);
	names_free(t);
}
END_TEST

/*
 * Names whose hashes agree in the low 4 bits all start at the same slot
 * of the first table (16 slots, half of them used before it grows): each
 * probes past the others, and they are still found once the ninth has
 * grown the table and they have moved.
 */
START_TEST(test_same_slot)
{
	struct names	*t = names_new(false);
	char		 names[9][16];
	uint32_t	 slot = names_hash("x0") & 15;
	int		 i, n = 0;

	for (i = 0; n < 9; i++) {
		snprintf(names[n], sizeof(names[n]), "x%d", i);
		if ((names_hash(names[n]) & 15) == slot)
			n++;
	}
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(names_add(t, names[i], i), -1);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(names_find(t, names[i]), i);
	ck_assert_int_eq(names_find(t, names[8]), -1);
	ck_assert_int_eq(names_add(t, names[8], 8), -1);	/* grows */
	ck_assert_int_eq(names_add(t, names[3], 99), 3);
	for (i = 0; i < 9; i++)
		ck_assert_int_eq(names_find(t, names[i]), i);
	ck_assert_int_eq(names_count(t), 9);
	names_free(t);
}
END_TEST

/* From 16 slots through many doublings; every name keeps its index. */
START_TEST(test_growth)
{
	struct names	*t = names_new(true);
	char		 buf[32];
	int		 i, n = 100000;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "s%06d", i);
		ck_assert_int_eq(names_add(t, buf, i), -1);
		if ((i & (i - 1)) == 0)
			ck_assert_int_eq(names_find(t, "s000000"), 0);
	}
	ck_assert_int_eq(names_count(t), n);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "s%06d", i);
		ck_assert_int_eq(names_find(t, buf), i);
		ck_assert_int_eq(names_add(t, buf, -5), i);
	}
	ck_assert_int_eq(names_find(t, "s100000"), -1);
	ck_assert_int_eq(names_count(t), n);
	names_free(t);
}
END_TEST

/* A copying table does not care what happens to the caller's string;
 * a borrowing one looks at it (documented: it must not change). */
START_TEST(test_copy_and_borrow)
{
	struct names	*c = names_new(true), *b = names_new(false);
	char		*s = strdup("web");

	ck_assert_ptr_nonnull(s);
	names_add(c, s, 1);
	names_add(b, s, 1);
	s[0] = 'd';		/* "deb" */
	ck_assert_int_eq(names_find(c, "web"), 1);
	ck_assert_int_eq(names_find(c, "deb"), -1);
	ck_assert_int_eq(names_find(b, "web"), -1);
	free(s);
	names_free(c);
	names_free(b);
}
END_TEST

static Suite *
names_suite(void)
{
	Suite	*s = suite_create("names");
	TCase	*tc = tcase_create("names");

	tcase_add_test(tc, test_add_find);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_hash_vectors);
	tcase_add_test(tc, test_full_collision);
	tcase_add_test(tc, test_same_slot);
	tcase_add_test(tc, test_growth);
	tcase_add_test(tc, test_copy_and_borrow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(names_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

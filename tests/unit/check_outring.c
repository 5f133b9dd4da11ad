/*
 * check_outring.c: the byte ring that keeps output for tail (outring.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <event2/buffer.h>

#include "outring.h"

/* What read(from, max) gives, as a NUL-terminated string (static). */
static const char *
rd(const struct outring *r, uint64_t from, size_t max, size_t *n)
{
	static char	 out[8192];
	struct evbuffer	*b = evbuffer_new();
	size_t		 got;

	got = outring_read(r, from, max, b);
	ck_assert_uint_eq(got, evbuffer_get_length(b));
	ck_assert_uint_lt(got, sizeof(out));
	evbuffer_remove(b, out, got);
	out[got] = '\0';
	evbuffer_free(b);
	if (n != NULL)
		*n = got;
	return out;
}

START_TEST(test_lazy)
{
	struct outring	r;

	outring_init(&r, 65536);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(outring_start(&r), 0);
	ck_assert_uint_eq(outring_end(&r), 0);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "");
	outring_append(&r, "", 0);
	ck_assert_ptr_null(r.buf);
	outring_append(&r, "hello\n", 6);
	ck_assert_ptr_nonnull(r.buf);
	ck_assert_uint_le(r.size, 4096);	/* grows, not the bound at once */
	ck_assert_uint_eq(outring_end(&r), 6);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "hello\n");
	outring_free(&r);
	ck_assert_ptr_null(r.buf);
}
END_TEST

START_TEST(test_wrap)
{
	struct outring	r;
	char		buf[16];
	int		i;

	outring_init(&r, 10);
	for (i = 0; i < 7; i++) {
		snprintf(buf, sizeof(buf), "%d%d%d", i, i, i);
		outring_append(&r, buf, 3);
	}
	/* 21 bytes written, the last 10 held */
	ck_assert_uint_eq(outring_end(&r), 21);
	ck_assert_uint_eq(outring_start(&r), 11);
	ck_assert_uint_eq(r.size, 10);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "3444555666");
	ck_assert_str_eq(rd(&r, 11, 100, NULL), "3444555666");
	ck_assert_str_eq(rd(&r, 15, 100, NULL), "555666");
	ck_assert_str_eq(rd(&r, 12, 4, NULL), "4445");
	outring_free(&r);
}
END_TEST

START_TEST(test_clamp)
{
	struct outring	r;
	size_t		n;

	outring_init(&r, 8);
	outring_append(&r, "abcdefghijkl", 12);	/* bigger than the ring */
	ck_assert_uint_eq(outring_end(&r), 12);
	ck_assert_uint_eq(outring_start(&r), 4);
	ck_assert_str_eq(rd(&r, 0, 100, &n), "efghijkl");	/* from < start */
	ck_assert_str_eq(rd(&r, 12, 100, &n), "");		/* at end */
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(rd(&r, 1000, 100, &n), "");		/* past end */
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(rd(&r, 10, 0, &n), "");		/* max 0 */
	ck_assert_str_eq(rd(&r, 10, 100, &n), "kl");
	outring_free(&r);
}
END_TEST

START_TEST(test_exact_fill)
{
	struct outring	r;

	outring_init(&r, 6);
	outring_append(&r, "ab", 2);
	outring_append(&r, "cdefgh", 6);	/* exactly the bound */
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "cdefgh");
	outring_append(&r, "i", 1);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "defghi");
	ck_assert_uint_eq(outring_start(&r), 3);
	outring_free(&r);
}
END_TEST

START_TEST(test_grow_keeps_order)
{
	struct outring	r;
	char		big[6000], *got;
	size_t		i, n;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	outring_init(&r, 5000);
	outring_append(&r, big, 3000);
	outring_append(&r, big + 3000, 3000);
	ck_assert_uint_eq(r.size, 5000);
	got = strdup(rd(&r, 0, 8000, &n));
	ck_assert_uint_eq(n, 5000);
	ck_assert(memcmp(got, big + 1000, 5000) == 0);
	free(got);
	outring_free(&r);
}
END_TEST

START_TEST(test_zero)
{
	struct outring	r;

	outring_init(&r, 0);
	outring_append(&r, "nothing\n", 8);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(outring_end(&r), 0);
	ck_assert_uint_eq(outring_start(&r), 0);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "");
	ck_assert_uint_eq(outring_tail_lines(&r, 3), 0);
}
END_TEST

START_TEST(test_clear)
{
	struct outring	r;

	outring_init(&r, 100);
	outring_append(&r, "one\ntwo\n", 8);
	outring_clear(&r);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(outring_end(&r), 0);
	ck_assert_uint_eq(outring_start(&r), 0);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "");
	outring_append(&r, "three\n", 6);	/* usable again */
	ck_assert_uint_eq(outring_end(&r), 6);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "three\n");
	outring_free(&r);
}
END_TEST

START_TEST(test_tail_lines)
{
	struct outring	r;

	outring_init(&r, 100);
	outring_append(&r, "a\nbb\nccc\n", 9);
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 1), 100, NULL),
	    "ccc\n");
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 2), 100, NULL),
	    "bb\nccc\n");
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 3), 100, NULL),
	    "a\nbb\nccc\n");
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 10), 100, NULL),
	    "a\nbb\nccc\n");
	ck_assert_uint_eq(outring_tail_lines(&r, 0), outring_end(&r));
	outring_append(&r, "dd", 2);	/* a last line without newline */
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 2), 100, NULL),
	    "ccc\ndd");
	outring_free(&r);

	outring_init(&r, 6);		/* lines across the wrap */
	outring_append(&r, "xx\nyy\nzz\n", 9);
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 1), 100, NULL),
	    "zz\n");
	ck_assert_str_eq(rd(&r, outring_tail_lines(&r, 5), 100, NULL),
	    "yy\nzz\n");
	outring_free(&r);
}
END_TEST

START_TEST(test_set_cap)
{
	struct outring	r;

	outring_init(&r, 10);
	outring_append(&r, "0123456789abc", 13);
	outring_set_cap(&r, 4);		/* the newest 4 stay */
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "9abc");
	ck_assert_uint_eq(outring_end(&r), 13);
	outring_set_cap(&r, 0);		/* nothing kept, offsets stay */
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(outring_start(&r), 13);
	outring_append(&r, "x", 1);
	ck_assert_uint_eq(outring_end(&r), 13);
	outring_set_cap(&r, 8);
	outring_append(&r, "yz", 2);
	ck_assert_str_eq(rd(&r, 0, 100, NULL), "yz");
	ck_assert_uint_eq(outring_end(&r), 15);
	outring_free(&r);
}
END_TEST

static Suite *
outring_suite(void)
{
	Suite	*s = suite_create("outring");
	TCase	*tc = tcase_create("outring");

	tcase_add_test(tc, test_lazy);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_clamp);
	tcase_add_test(tc, test_exact_fill);
	tcase_add_test(tc, test_grow_keeps_order);
	tcase_add_test(tc, test_zero);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_tail_lines);
	tcase_add_test(tc, test_set_cap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(outring_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_promtext.c: the Prometheus text format writer (promtext.h). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "promtext.h"

static struct evbuffer	*b;

static void
setup(void)
{
	b = evbuffer_new();
}

static void
teardown(void)
{
	evbuffer_free(b);
}

/* What has been written, as a string (and the buffer emptied). */
static char *
text(void)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

#define ck_text(want) do {			\
	char	*got_ = text();			\
	ck_assert_str_eq(got_, (want));		\
	free(got_);				\
} while (0)

START_TEST(label_value_escapes)
{
	promtext_label_value(b, "plain");
	ck_text("plain");
	promtext_label_value(b, "a\"b\\c\nd");
	ck_text("a\\\"b\\\\c\\nd");
	promtext_label_value(b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	ck_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");	/* UTF-8 kept */
	/* not UTF-8: a lone continuation, a cut sequence, overlong, a
	 * surrogate, beyond U+10FFFF */
	promtext_label_value(b, "\x80x\xc3y\xc0\xafz\xed\xa0\x80w\xf4\x90\x80\x80");
	ck_text("?x?y??z???w????");
	promtext_label_value(b, "");
	ck_text("");
}
END_TEST

START_TEST(help_escapes_but_keeps_quotes)
{
	promtext_help_text(b, "say \"hi\"\\\n");
	ck_text("say \"hi\"\\\\\\n");
	promtext_family(b, "x_total", "counter", "line one\nline two");
	ck_text("# HELP x_total line one\\nline two\n# TYPE x_total counter\n");
}
END_TEST

START_TEST(numbers)
{
	promtext_number(b, 0);
	ck_text("0");
	promtext_number(b, -12);
	ck_text("-12");
	promtext_number(b, 0.25);
	ck_text("0.25");
	promtext_number(b, NAN);
	ck_text("NaN");
	promtext_number(b, INFINITY);
	ck_text("+Inf");
	promtext_number(b, -INFINITY);
	ck_text("-Inf");
	promtext_number(b, 1e300);
	ck_text("1.0000000000000001e+300");
}
END_TEST

START_TEST(samples_and_labels)
{
	const char	*l[] = { "job", "we\"b", "instance", "w\\1", NULL };
	const char	*none[] = { NULL };

	promtext_sample(b, "m", NULL, 1.5);
	ck_text("m 1.5\n");
	promtext_sample_u64(b, "m", none, 18446744073709551615ull);
	ck_text("m 18446744073709551615\n");
	promtext_sample_u64(b, "m", l, 3);
	ck_text("m{job=\"we\\\"b\",instance=\"w\\\\1\"} 3\n");
	promtext_sample_ms(b, "s", l, 1234);
	ck_text("s{job=\"we\\\"b\",instance=\"w\\\\1\"} 1.234\n");
	promtext_sample_ms(b, "s", NULL, 5);
	ck_text("s 0.005\n");
	promtext_sample_ms(b, "s", NULL, -1500);
	ck_text("s -1.500\n");
	promtext_sample_u64(b, "m", NULL, 0);
	ck_text("m 0\n");

}
END_TEST

/* Longer than the staging buffer: a flush in the middle loses nothing. */
START_TEST(long_label)
{
	char		 big[2000], want[2100];
	const char	*lb[] = { "x", big, NULL };

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[700] = '"';
	promtext_sample_ms(b, "s", lb, 1);
	snprintf(want, sizeof(want), "s{x=\"%.700s\\\"%s\"} 0.001\n", big,
	    big + 701);
	ck_text(want);
}
END_TEST

START_TEST(histogram)
{
	const double	bounds[] = { 0.1, 1, 30 };
	char		les[3][PROMTEXT_LE_MAX];
	const char	*le[] = { les[0], les[1], les[2] };
	const uint64_t	cum[] = { 1, 2, 2 };
	const char	*l[] = { "job", "t", NULL };

	promtext_le(bounds, 3, les);
	ck_assert_str_eq(les[0], "0.1");
	ck_assert_str_eq(les[2], "30");

	promtext_histogram(b, "d_seconds", l, le, cum, 3, 3, 45678);
	ck_text("d_seconds_bucket{job=\"t\",le=\"0.1\"} 1\n"
	    "d_seconds_bucket{job=\"t\",le=\"1\"} 2\n"
	    "d_seconds_bucket{job=\"t\",le=\"30\"} 2\n"
	    "d_seconds_bucket{job=\"t\",le=\"+Inf\"} 3\n"
	    "d_seconds_sum{job=\"t\"} 45.678\n"
	    "d_seconds_count{job=\"t\"} 3\n");
	promtext_histogram(b, "e", NULL, le, cum, 1, 0, 0);
	ck_text("e_bucket{le=\"0.1\"} 1\ne_bucket{le=\"+Inf\"} 0\n"
	    "e_sum 0.000\ne_count 0\n");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("promtext");
	TCase	*tc = tcase_create("format");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, label_value_escapes);
	tcase_add_test(tc, help_escapes_but_keeps_quotes);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, samples_and_labels);
	tcase_add_test(tc, long_label);
	tcase_add_test(tc, histogram);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_calendar.c: unit tests for cron expressions (src/util/calendar.c).
 *
 * Bad input first, then a reference table of expressions with their known
 * next times (UTC), then the hard cases: DST gaps and overlaps in
 * Europe/Berlin and America/New_York, leap days, month ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "calendar.h"

/* "2026-03-29 01:00:00" as UTC. */
static time_t
utc(const char *s)
{
	struct tm	tm;

	memset(&tm, 0, sizeof tm);
	ck_assert_ptr_nonnull(strptime(s, "%Y-%m-%d %H:%M:%S", &tm));
	return timegm(&tm);
}

static time_t
next(const char *expr, const char *zone, const char *after)
{
	struct calendar	c;
	char		err[256];

	if (calendar_parse(&c, expr, err, sizeof err) == -1)
		ck_abort_msg("%s: %s", expr, err);
	return calendar_next(&c, zone, utc(after));
}

static void
expect(const char *expr, const char *zone, const char *after,
    const char *want)
{
	time_t		got = next(expr, zone, after);
	struct tm	tm;
	char		buf[64] = "none";

	if (got != -1) {
		gmtime_r(&got, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	}
	ck_assert_msg(strcmp(buf, want) == 0, "\"%s\" in %s after %s: %s, "
	    "expected %s", expr, zone ? zone : "local", after, buf, want);
}

START_TEST(test_bad)
{
	static const struct {
		const char	*expr, *msg;
	} bad[] = {
		{ "", "expected 5 cron fields" },
		{ "* * * *", "got 4" },
		{ "* * * * * * *", "got 7" },
		{ "daily", "OnCalendar= forms are not accepted" },
		{ "Mon *-*-* 00:00:00", "OnCalendar=" },
		{ "60 * * * *", "field 1 (minute): out of range 0-59" },
		{ "* 24 * * *", "field 2 (hour): out of range 0-23" },
		{ "* * 0 * *", "field 3 (day of month): out of range 1-31" },
		{ "* * 32 * *", "out of range 1-31" },
		{ "* * * 13 *", "field 4 (month): out of range 1-12" },
		{ "* * * * 8", "field 5 (day of week): out of range 0-7" },
		{ "*/0 * * * *", "a step of 1 or more" },
		{ "*/ * * * *", "a step of 1 or more" },
		{ "5-1 * * * *", "upwards" },
		{ "1,,2 * * * *", "empty item" },
		{ "1, * * * *", "empty item" },
		{ "a * * * *", "expected a number or *" },
		{ "1- * * * *", "expected a number after -" },
		{ "1x * * * *", "unexpected text" },
		{ "*-5 * * * *", "unexpected text" },
		{ "* * * janx *", "expected a number or *" },
		{ "* * * * monday", "expected a number or *" },
		{ "* * * mon *", "expected a number or *" },
		{ "99999999999 * * * *", "expected a number" },
		{ "@often", "unknown calendar macro" },
		{ "@daily extra", "unknown calendar macro" },
		{ "60 * * * * *", "field 1 (second)" },
	};
	struct calendar	c;
	char		err[256];
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(calendar_parse(&c, bad[i].expr, err,
		    sizeof err) == -1, "accepted \"%s\"", bad[i].expr);
		ck_assert_msg(strstr(err, bad[i].msg) != NULL,
		    "\"%s\": \"%s\" lacks \"%s\"", bad[i].expr, err,
		    bad[i].msg);
	}
}
END_TEST

/* Known next times, all in UTC; 2026-01-01 is a Thursday. */
START_TEST(test_reference)
{
	static const struct {
		const char	*expr, *after, *want;
	} ref[] = {
		{ "* * * * *", "2026-01-01 00:00:00", "2026-01-01 00:01:00" },
		{ "* * * * *", "2026-01-01 00:00:59", "2026-01-01 00:01:00" },
		{ "0 * * * *", "2026-01-01 00:00:00", "2026-01-01 01:00:00" },
		{ "*/7 * * * *", "2026-01-01 00:00:00", "2026-01-01 00:07:00" },
		{ "*/7 * * * *", "2026-01-01 00:56:00", "2026-01-01 01:00:00" },
		{ "*/7 * * * *", "2026-01-01 00:49:30", "2026-01-01 00:56:00" },
		{ "15 14 1 * *", "2026-01-01 00:00:00", "2026-01-01 14:15:00" },
		{ "30 2 * * *", "2026-01-01 02:30:00", "2026-01-02 02:30:00" },
		{ "0 9 * * mon-fri", "2026-01-01 00:00:00",
		    "2026-01-01 09:00:00" },
		{ "0 9 * * MON-FRI", "2026-01-02 10:00:00",
		    "2026-01-05 09:00:00" },
		{ "0 0 * * 7", "2026-01-01 00:00:00", "2026-01-04 00:00:00" },
		{ "0 0 * * 0", "2026-01-01 00:00:00", "2026-01-04 00:00:00" },
		{ "0 0 * * sun", "2026-01-01 00:00:00", "2026-01-04 00:00:00" },
		{ "0 0 * * 5-7", "2026-01-01 00:00:00", "2026-01-02 00:00:00" },
		/* cron's OR rule: the 13th or any Friday */
		{ "0 0 13 * fri", "2026-01-01 00:00:00",
		    "2026-01-02 00:00:00" },
		{ "0 0 13 * *", "2026-01-01 00:00:00", "2026-01-13 00:00:00" },
		/* a field starting with * is unrestricted for the rule: AND */
		{ "0 0 */10 * fri", "2026-01-01 00:00:00",
		    "2026-05-01 00:00:00" },
		{ "0 0 */10 * *", "2026-01-01 00:00:00", "2026-01-11 00:00:00" },
		{ "0 0 1 jan *", "2026-01-01 00:00:00", "2027-01-01 00:00:00" },
		{ "0 12 * feb,aug *", "2026-01-01 00:00:00",
		    "2026-02-01 12:00:00" },
		{ "0 12 * Aug *", "2026-03-01 00:00:00", "2026-08-01 12:00:00" },
		{ "5,10-20/5 3 * * *", "2026-01-01 03:05:00",
		    "2026-01-01 03:10:00" },
		{ "5,10-20/5 3 * * *", "2026-01-01 03:20:00",
		    "2026-01-02 03:05:00" },
		{ "50/5 * * * *", "2026-01-01 00:51:00", "2026-01-01 00:55:00" },
		{ "59 23 31 12 *", "2026-01-01 00:00:00",
		    "2026-12-31 23:59:00" },
		{ "@hourly", "2026-01-01 00:00:00", "2026-01-01 01:00:00" },
		{ "@daily", "2026-01-01 00:00:00", "2026-01-02 00:00:00" },
		{ "@midnight", "2026-01-01 12:00:00", "2026-01-02 00:00:00" },
		{ "@weekly", "2026-01-01 00:00:00", "2026-01-04 00:00:00" },
		{ "@monthly", "2026-01-01 00:00:00", "2026-02-01 00:00:00" },
		{ "@yearly", "2026-01-01 00:00:00", "2027-01-01 00:00:00" },
		{ "@annually", "2026-06-01 00:00:00", "2027-01-01 00:00:00" },
		{ "  @DAILY  ", "2026-01-01 00:00:00", "2026-01-02 00:00:00" },
		/* seconds first: the 6-field extension */
		{ "*/5 * * * * *", "2026-01-01 00:00:00",
		    "2026-01-01 00:00:05" },
		{ "*/5 * * * * *", "2026-01-01 00:00:57",
		    "2026-01-01 00:01:00" },
		{ "30 0 0 * * *", "2026-01-01 00:00:00",
		    "2026-01-01 00:00:30" },
		/* leap days, month ends, dates that never come */
		{ "0 0 29 2 *", "2026-01-01 00:00:00", "2028-02-29 00:00:00" },
		{ "0 0 29 2 *", "2028-02-29 00:00:00", "2032-02-29 00:00:00" },
		{ "0 0 31 * *", "2026-02-01 00:00:00", "2026-03-31 00:00:00" },
		{ "0 0 31 * *", "2026-03-31 00:00:00", "2026-05-31 00:00:00" },
		{ "0 0 30 * *", "2026-01-30 00:00:00", "2026-03-30 00:00:00" },
		{ "0 0 28-31 2 *", "2026-02-28 00:00:00",
		    "2027-02-28 00:00:00" },
		{ "0 0 28-31 2 *", "2027-02-28 00:00:00",
		    "2028-02-28 00:00:00" },
		{ "0 0 28-31 2 *", "2028-02-28 00:00:00",
		    "2028-02-29 00:00:00" },
		{ "0 0 30 2 *", "2026-01-01 00:00:00", "none" },
		{ "0 0 31 4,6,9,11 *", "2026-01-01 00:00:00", "none" },
		{ "59 23 31 12 *", "2026-12-31 23:59:00",
		    "2027-12-31 23:59:00" },
	};
	size_t	i;

	for (i = 0; i < sizeof ref / sizeof ref[0]; i++)
		expect(ref[i].expr, "UTC", ref[i].after, ref[i].want);
}
END_TEST

START_TEST(test_reboot)
{
	struct calendar	c;
	char		err[64];

	ck_assert_int_eq(calendar_parse(&c, "@reboot", err, sizeof err), 0);
	ck_assert(c.c_reboot);
	ck_assert_int_eq(calendar_next(&c, "UTC", 0), -1);
}
END_TEST

/* Europe/Berlin 2026-03-29: 02:00 CET is 03:00 CEST (01:00 UTC). */
START_TEST(test_dst_gap_berlin)
{
	const char	*z = "Europe/Berlin";

	/* 02:30 does not exist: it runs once, when the gap ends */
	expect("30 2 * * *", z, "2026-03-28 12:00:00", "2026-03-29 01:00:00");
	expect("30 2 * * *", z, "2026-03-29 01:00:00", "2026-03-30 00:30:00");
	/* every minute of hour 2: once, at 03:00 CEST, then tomorrow */
	expect("* 2 * * *", z, "2026-03-29 00:00:00", "2026-03-29 01:00:00");
	expect("* 2 * * *", z, "2026-03-29 01:00:00", "2026-03-30 00:00:00");
	/* times around the gap are unaffected */
	expect("59 1 * * *", z, "2026-03-28 12:00:00", "2026-03-29 00:59:00");
	expect("0 3 * * *", z, "2026-03-28 12:00:00", "2026-03-29 01:00:00");
	expect("1 3 * * *", z, "2026-03-28 12:00:00", "2026-03-29 01:01:00");
	/* every minute goes from 01:59 CET to 03:00 CEST */
	expect("* * * * *", z, "2026-03-29 00:59:00", "2026-03-29 01:00:00");
	expect("* * * * *", z, "2026-03-29 01:00:00", "2026-03-29 01:01:00");
}
END_TEST

/* Europe/Berlin 2026-10-25: 03:00 CEST is 02:00 CET (01:00 UTC). */
START_TEST(test_dst_overlap_berlin)
{
	const char	*z = "Europe/Berlin";

	/* 02:30 happens twice (00:30 and 01:30 UTC): it runs the first time */
	expect("30 2 * * *", z, "2026-10-24 12:00:00", "2026-10-25 00:30:00");
	expect("30 2 * * *", z, "2026-10-25 00:30:00", "2026-10-26 01:30:00");
	/* started during the second 02:xx: the second 02:30 is the next */
	expect("30 2 * * *", z, "2026-10-25 01:10:00", "2026-10-25 01:30:00");
	/* a wall clock that goes back does not walk the hour again */
	expect("0 * * * *", z, "2026-10-25 00:00:00", "2026-10-25 02:00:00");
	expect("0 3 * * *", z, "2026-10-24 12:00:00", "2026-10-25 02:00:00");
}
END_TEST

/* America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC);
 * 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC). */
START_TEST(test_dst_new_york)
{
	const char	*z = "America/New_York";

	expect("30 2 * * *", z, "2026-03-07 12:00:00", "2026-03-08 07:00:00");
	expect("30 2 * * *", z, "2026-03-08 07:00:00", "2026-03-09 06:30:00");
	expect("30 1 * * *", z, "2026-10-31 12:00:00", "2026-11-01 05:30:00");
	expect("30 1 * * *", z, "2026-11-01 05:30:00", "2026-11-02 06:30:00");
	expect("0 9 * * *", z, "2026-01-01 00:00:00", "2026-01-01 14:00:00");
	expect("0 9 * * *", z, "2026-07-01 00:00:00", "2026-07-01 13:00:00");
}
END_TEST

/* A zone leaves TZ as it was. */
START_TEST(test_zone_restores_tz)
{
	setenv("TZ", "Asia/Tokyo", 1);
	expect("0 9 * * *", "UTC", "2026-01-01 00:00:00",
	    "2026-01-01 09:00:00");
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	expect("0 9 * * *", NULL, "2026-01-01 00:00:00",
	    "2026-01-02 00:00:00");
	unsetenv("TZ");
	expect("0 9 * * *", "Asia/Tokyo", "2026-01-01 00:00:00",
	    "2026-01-02 00:00:00");
	ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

START_TEST(test_fmt)
{
	char	buf[64];

	calendar_fmt(utc("2026-03-29 01:00:00"), "Europe/Berlin", buf,
	    sizeof buf);
	ck_assert_str_eq(buf, "2026-03-29 03:00:00 CEST");
	calendar_fmt(utc("2026-03-29 00:59:59"), "Europe/Berlin", buf,
	    sizeof buf);
	ck_assert_str_eq(buf, "2026-03-29 01:59:59 CET");
	calendar_fmt(utc("2026-11-01 06:30:00"), "America/New_York", buf,
	    sizeof buf);
	ck_assert_str_eq(buf, "2026-11-01 01:30:00 EST");
}
END_TEST

START_TEST(test_zone_valid)
{
	ck_assert(calendar_zone_valid(NULL));
	ck_assert(calendar_zone_valid(""));
	ck_assert(calendar_zone_valid("Europe/Berlin"));
	ck_assert(calendar_zone_valid("UTC"));
	ck_assert(!calendar_zone_valid("Nowhere/Land"));
	ck_assert(!calendar_zone_valid("../../etc/passwd"));
	ck_assert(!calendar_zone_valid("/etc/localtime"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("calendar");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_reference);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_dst_gap_berlin);
	tcase_add_test(tc, test_dst_overlap_berlin);
	tcase_add_test(tc, test_dst_new_york);
	tcase_add_test(tc, test_zone_restores_tz);
	tcase_add_test(tc, test_zone_valid);
	tcase_add_test(tc, test_fmt);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_value.c: unit tests for the value parsers (src/value.c).
 *
 * Each bad input asserts -1, the error text where there is one, and that
 * the output was left alone.  Run under ASan/LSan, so leaks fail too.
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "value.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define SENTINEL	((char **)(uintptr_t)0x5a5a)

/* Asserts that v holds exactly the strings of want (NULL-terminated). */
static void
assert_strv(char **v, const char *const *want, const char *input)
{
	size_t	i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(v[i] != NULL, "input '%s': word %zu missing "
		    "(want '%s')", input, i, want[i]);
		ck_assert_msg(strcmp(v[i], want[i]) == 0, "input '%s': word "
		    "%zu is '%s', want '%s'", input, i, v[i], want[i]);
	}
	ck_assert_msg(v[i] == NULL, "input '%s': extra word '%s'", input,
	    v[i]);
}

/* --- strv ---------------------------------------------------------------- */

START_TEST(test_strv_new_push)
{
	char	**v = strv_new();

	ck_assert_uint_eq(strv_len(v), 0);
	ck_assert_ptr_null(v[0]);
	strv_push(&v, "a");
	strv_push_take(&v, strdup("b"));
	strv_push(&v, "");
	ck_assert_uint_eq(strv_len(v), 3);
	assert_strv(v, (const char *[]){ "a", "b", "", NULL }, "push");
	strv_free(v);
}
END_TEST

START_TEST(test_strv_push_null)
{
	char	**v = NULL;

	ck_assert_uint_eq(strv_len(NULL), 0);
	strv_push(&v, "x");
	assert_strv(v, (const char *[]){ "x", NULL }, "push onto NULL");
	strv_free(v);
	strv_free(NULL);
}
END_TEST

START_TEST(test_strv_dup)
{
	char	**v = NULL, **d;

	ck_assert_ptr_null(strv_dup(NULL));
	strv_push(&v, "one");
	strv_push(&v, "two");
	d = strv_dup(v);
	ck_assert_ptr_ne(d, v);
	ck_assert_ptr_ne(d[0], v[0]);
	assert_strv(d, (const char *[]){ "one", "two", NULL }, "dup");
	strv_free(v);
	strv_free(d);
	v = strv_new();
	d = strv_dup(v);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(strv_len(d), 0);
	strv_free(v);
	strv_free(d);
}
END_TEST

START_TEST(test_strv_eq)
{
	char	**a = strv_new(), **b = NULL;

	ck_assert(strv_eq(NULL, NULL));
	ck_assert(strv_eq(a, NULL));
	ck_assert(strv_eq(NULL, a));
	strv_push(&a, "x");
	ck_assert(!strv_eq(a, NULL));
	strv_push(&b, "x");
	ck_assert(strv_eq(a, b));
	strv_push(&b, "y");
	ck_assert(!strv_eq(a, b));
	strv_push(&a, "z");
	ck_assert(!strv_eq(a, b));
	strv_free(a);
	strv_free(b);
}
END_TEST

START_TEST(test_strv_contains)
{
	char	**v = NULL;

	ck_assert(!strv_contains(NULL, "a"));
	strv_push(&v, "alpha");
	strv_push(&v, "beta");
	ck_assert(strv_contains(v, "beta"));
	ck_assert(!strv_contains(v, "bet"));
	ck_assert(!strv_contains(v, "BETA"));
	strv_free(v);
}
END_TEST

START_TEST(test_strv_join)
{
	char	**v = NULL, *s;

	s = strv_join(NULL, ",");
	ck_assert_str_eq(s, "");
	free(s);
	strv_push(&v, "a");
	s = strv_join(v, ", ");
	ck_assert_str_eq(s, "a");
	free(s);
	strv_push(&v, "b");
	strv_push(&v, "c");
	s = strv_join(v, ", ");
	ck_assert_str_eq(s, "a, b, c");
	free(s);
	s = strv_join(v, NULL);
	ck_assert_str_eq(s, "abc");
	free(s);
	strv_free(v);
}
END_TEST

START_TEST(test_strv_many)
{
	char	**v = NULL, **d, buf[16];
	int	  i;

	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		strv_push(&v, buf);
	}
	ck_assert_uint_eq(strv_len(v), 1000);
	ck_assert_str_eq(v[999], "999");
	ck_assert(strv_contains(v, "500"));
	d = strv_dup(v);
	ck_assert(strv_eq(v, d));
	free(d[500]);
	d[500] = strdup("x");
	ck_assert(!strv_eq(v, d));
	strv_free(v);
	strv_free(d);
}
END_TEST

/* strv_append() from NULL and from strv_new(): every length across the
 * doublings is a proper vector (ASan catches a write past the array). */
START_TEST(test_strv_append)
{
	char	**v = NULL, **w = strv_new(), buf[16];
	size_t	  i, j;

	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%zu", i);
		strv_append(&v, i, strdup(buf));
		strv_append(&w, i, strdup(buf));
		ck_assert_uint_eq(strv_len(v), i + 1);
		ck_assert_ptr_null(w[i + 1]);
	}
	for (j = 0; j < 1000; j++) {
		snprintf(buf, sizeof(buf), "%zu", j);
		ck_assert_str_eq(v[j], buf);
	}
	ck_assert(strv_eq(v, w));
	strv_free(v);
	strv_free(w);
}
END_TEST

/* --- bool ---------------------------------------------------------------- */

START_TEST(test_bool_good)
{
	static const struct { const char *in; bool want; } t[] = {
		{ "true", true }, { "TRUE", true }, { "yes", true },
		{ "Yes", true }, { "on", true }, { "ON", true }, { "1", true },
		{ "false", false }, { "False", false }, { "no", false },
		{ "NO", false }, { "off", false }, { "Off", false },
		{ "0", false }, { "  yes\t", true }, { " 0 ", false },
	};
	size_t	i;
	bool	b;

	for (i = 0; i < NITEMS(t); i++) {
		b = !t[i].want;
		ck_assert_msg(value_bool(t[i].in, &b) == 0, "'%s'", t[i].in);
		ck_assert_msg(b == t[i].want, "'%s'", t[i].in);
	}
}
END_TEST

START_TEST(test_bool_bad)
{
	static const char *const t[] = {
		"", " ", "maybe", "2", "tru", "y", "n", "yes please", "00",
		"truefalse", "-1", "o",
	};
	size_t	i;
	bool	b;

	for (i = 0; i < NITEMS(t); i++) {
		b = true;
		ck_assert_msg(value_bool(t[i], &b) == -1, "'%s'", t[i]);
		ck_assert(b == true);
	}
}
END_TEST

/* --- duration ------------------------------------------------------------ */

static const struct { const char *in; int64_t ms; } duration_good[] = {
	{ "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 },
	{ "2h", 7200000 }, { "1d", 86400000 }, { "0s", 0 }, { "0ms", 0 },
	{ "1m30s", 90000 }, { "1h5m10s250ms", 3910250 },
	{ "1d2h", 93600000 }, { "1h1ms", 3600001 }, { "2m0s", 120000 },
	{ "10", 10000 }, { "0", 0 }, { "007", 7000 }, { "1.5", 1500 },
	{ "0.25", 250 }, { "0.001", 1 }, { "0.5s", 500 }, { "1.5m", 90000 },
	{ "0.5d", 43200000 }, { "1.000000000", 1000 }, { " 30s ", 30000 },
	{ "\t2h\n", 7200000 },
	{ "4611686018427387903ms", INT64_MAX / 2 },
	{ "4611686018427387s903ms", INT64_MAX / 2 },
	{ "53375995583d", 53375995583LL * 86400000 },
};

START_TEST(test_uptime_fmt)
{
	char	buf[64];

	value_uptime_fmt(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0:00:00");
	value_uptime_fmt(602999, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0:10:02");
	value_uptime_fmt(86399999, buf, sizeof(buf));
	ck_assert_str_eq(buf, "23:59:59");
	value_uptime_fmt((2 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000LL, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "2 days, 3:04:05");
	value_uptime_fmt(-5, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0:00:00");
}
END_TEST

START_TEST(test_duration_good)
{
	size_t	i;
	int64_t	ms;

	for (i = 0; i < NITEMS(duration_good); i++) {
		ms = -1;
		ck_assert_msg(value_duration(duration_good[i].in, &ms) == 0,
		    "'%s'", duration_good[i].in);
		ck_assert_msg(ms == duration_good[i].ms, "'%s' = %lld",
		    duration_good[i].in, (long long)ms);
	}
}
END_TEST

static void
duration_bad(const char *const *t, size_t n)
{
	size_t	i;
	int64_t	ms;

	for (i = 0; i < n; i++) {
		ms = 42;
		ck_assert_msg(value_duration(t[i], &ms) == -1, "'%s' = %lld",
		    t[i], (long long)ms);
		ck_assert_int_eq(ms, 42);
	}
}

START_TEST(test_duration_bad_syntax)
{
	static const char *const t[] = {
		"", " ", "-1", "-5s", "+5s", "abc", "s", "ms", "5 s", "1m 30s",
		"1m30", "1.", ".5", ".5s", "1.2.3", "1..5s", "1,5s", "1e3",
		"0x10", "1s-", "1s\x01", "1_000s",
	};

	duration_bad(t, NITEMS(t));
}
END_TEST

START_TEST(test_duration_bad_units)
{
	static const char *const t[] = {
		"5x", "30s1m", "1s1s", "1h1h", "1ms1s", "5S", "5MS", "1M",
		"1H", "5sec", "5min", "5us", "5ns", "1w", "1y", "5mss",
	};

	duration_bad(t, NITEMS(t));
}
END_TEST

/* Below a millisecond cannot be represented, and it is not rounded. */
START_TEST(test_duration_bad_precision)
{
	static const char *const t[] = {
		"1.5ms", "0.0001", "0.0005s", "1.0000000001", "0.1ms",
	};

	duration_bad(t, NITEMS(t));
}
END_TEST

/* Capped at INT64_MAX / 2 ms so that adding two never overflows. */
START_TEST(test_duration_overflow)
{
	static const char *const t[] = {
		"99999999999999999999", "99999999999999999999ms",
		"184467440737095516160ms", "4611686018427387904ms",
		"106751991167d", "53375995584d", "1d4611686018427387903ms",
		"4611686018427387s904ms", "9223372036854775807",
		"9223372036854775807ms",
	};

	duration_bad(t, NITEMS(t));
}
END_TEST

START_TEST(test_duration_fmt)
{
	static const struct { int64_t ms; const char *want; } t[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 250, "250ms" }, { 1000, "1s" },
		{ 1001, "1s1ms" }, { 1500, "1s500ms" }, { 90000, "1m30s" },
		{ 3600000, "1h" }, { 86400000, "1d" },
		{ 3910250, "1h5m10s250ms" }, { 90061001, "1d1h1m1s1ms" },
		{ -1500, "-1s500ms" },
		{ INT64_MAX, "106751991167d7h12m55s807ms" },
		{ INT64_MIN, "-106751991167d7h12m55s808ms" },
	};
	char	buf[64];
	size_t	i;

	for (i = 0; i < NITEMS(t); i++) {
		value_duration_fmt(t[i].ms, buf, sizeof(buf));
		ck_assert_str_eq(buf, t[i].want);
	}
}
END_TEST

START_TEST(test_duration_fmt_small_buffer)
{
	char	buf[8];

	memset(buf, 'x', sizeof(buf));
	value_duration_fmt(3910250, buf, 4);
	ck_assert_str_eq(buf, "1h5");
	ck_assert_int_eq(buf[4], 'x');
	memset(buf, 'x', sizeof(buf));
	value_duration_fmt(1000, buf, 0);
	ck_assert_int_eq(buf[0], 'x');
	value_duration_fmt(1000, buf, 1);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* What value_duration_fmt() prints reads back to the same value. */
START_TEST(test_duration_roundtrip)
{
	char	buf[64];
	int64_t	ms, back;
	size_t	i;

	for (i = 0; i < NITEMS(duration_good); i++) {
		ms = duration_good[i].ms;
		value_duration_fmt(ms, buf, sizeof(buf));
		ck_assert_msg(value_duration(buf, &back) == 0, "'%s'", buf);
		ck_assert_msg(back == ms, "'%s'", buf);
	}
	for (ms = 1; ms < INT64_MAX / 8; ms = ms * 7 + 3) {
		value_duration_fmt(ms, buf, sizeof(buf));
		ck_assert_msg(value_duration(buf, &back) == 0, "'%s'", buf);
		ck_assert_msg(back == ms, "'%s'", buf);
	}
}
END_TEST

/* --- size ---------------------------------------------------------------- */

START_TEST(test_size_good)
{
	static const struct { const char *in; uint64_t want; } t[] = {
		{ "512", 512 }, { "0", 0 }, { "10KB", 10240 },
		{ "50MB", 50ULL << 20 }, { "1GB", 1ULL << 30 },
		{ "1K", 1024 }, { "1k", 1024 }, { "1kb", 1024 },
		{ "1KiB", 1024 }, { "1kib", 1024 }, { "2MiB", 2ULL << 20 },
		{ "2m", 2ULL << 20 }, { "3G", 3ULL << 30 },
		{ "1gib", 1ULL << 30 }, { "1TB", 1ULL << 40 },
		{ "1T", 1ULL << 40 }, { "1TiB", 1ULL << 40 }, { "512B", 512 },
		{ "512b", 512 }, { "10 MB", 10ULL << 20 }, { " 7 ", 7 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183GB", 17179869183ULL << 30 },
	};
	size_t		i;
	uint64_t	n;

	for (i = 0; i < NITEMS(t); i++) {
		n = 42;
		ck_assert_msg(value_size(t[i].in, &n) == 0, "'%s'", t[i].in);
		ck_assert_msg(n == t[i].want, "'%s' = %llu", t[i].in,
		    (unsigned long long)n);
	}
}
END_TEST

static void
size_bad(const char *const *t, size_t n)
{
	size_t		i;
	uint64_t	v;

	for (i = 0; i < n; i++) {
		v = 42;
		ck_assert_msg(value_size(t[i], &v) == -1, "'%s'", t[i]);
		ck_assert_uint_eq(v, 42);
	}
}

START_TEST(test_size_bad)
{
	static const char *const t[] = {
		"", " ", "KB", "-1", "+1", "1.5GB", "1,5MB", "10XB", "10 M B",
		"10KBB", "10PB", "10 kb x", "abc", "0x10", "1 024", "10bk",
	};

	size_bad(t, NITEMS(t));
}
END_TEST

START_TEST(test_size_overflow)
{
	static const char *const t[] = {
		"18446744073709551616", "99999999999999999999999",
		"17179869184GB", "16777216TB", "18014398509481984K",
		"184467440737095516150",
	};

	size_bad(t, NITEMS(t));
}
END_TEST

/* --- int, octal ---------------------------------------------------------- */

START_TEST(test_int_good)
{
	long	n;

	ck_assert_int_eq(value_int("0", 0, 10, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(value_int("42", 0, 100, &n), 0);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(value_int("007", 0, 100, &n), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_int_eq(value_int("010", 0, 100, &n), 0);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(value_int(" 3 ", 0, 100, &n), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(value_int("100", 0, 100, &n), 0);	/* inclusive */
	ck_assert_int_eq(n, 100);
	ck_assert_int_eq(value_int("5", 5, 5, &n), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(value_int("-5", -10, 10, &n), 0);
	ck_assert_int_eq(n, -5);
	ck_assert_int_eq(value_int("9223372036854775807", 0, LONG_MAX, &n),
	    0);
	ck_assert_int_eq(n, LONG_MAX);
}
END_TEST

START_TEST(test_int_bad)
{
	static const struct { const char *in; long min, max; } t[] = {
		{ "", 0, 10 }, { " ", 0, 10 }, { "abc", 0, 10 },
		{ "1x", 0, 10 }, { "+1", 0, 10 }, { "1.0", 0, 10 },
		{ "0x1", 0, 10 }, { "1e2", 0, 1000 }, { "- 1", -5, 10 },
		{ "-", -5, 10 }, { "11", 0, 10 }, { "4", 5, 10 },
		{ "-1", 0, 10 }, { "1 2", 0, 100 },
		{ "9223372036854775808", 0, LONG_MAX },
		{ "99999999999999999999999", 0, LONG_MAX },
		{ "-99999999999999999999999", LONG_MIN, 0 },
	};
	size_t	i;
	long	n;

	for (i = 0; i < NITEMS(t); i++) {
		n = 42;
		ck_assert_msg(value_int(t[i].in, t[i].min, t[i].max, &n) == -1,
		    "'%s'", t[i].in);
		ck_assert_int_eq(n, 42);
	}
}
END_TEST

START_TEST(test_octal_good)
{
	static const struct { const char *in; int want; } t[] = {
		{ "022", 022 }, { "0600", 0600 }, { "0", 0 }, { "000", 0 },
		{ "7777", 07777 }, { "07777", 07777 }, { "22", 022 },
		{ "0o22", 022 }, { "0O755", 0755 }, { "00000000022", 022 },
		{ " 0644 ", 0644 },
	};
	size_t	i;
	int	n;

	for (i = 0; i < NITEMS(t); i++) {
		n = -1;
		ck_assert_msg(value_octal(t[i].in, &n) == 0, "'%s'", t[i].in);
		ck_assert_msg(n == t[i].want, "'%s' = %o", t[i].in, n);
	}
}
END_TEST

START_TEST(test_octal_bad)
{
	static const char *const t[] = {
		"", " ", "8", "0o", "0o8", "10000", "017777", "0x1F", "-1",
		"+1", "22a", "0 22", "o22", "099", "77777777777777777777777",
	};
	size_t	i;
	int	n;

	for (i = 0; i < NITEMS(t); i++) {
		n = 42;
		ck_assert_msg(value_octal(t[i], &n) == -1, "'%s'", t[i]);
		ck_assert_int_eq(n, 42);
	}
}
END_TEST

/* --- signal -------------------------------------------------------------- */

START_TEST(test_signal_good)
{
	static const struct { const char *in; int want; } t[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM },
		{ "term", SIGTERM }, { "sigterm", SIGTERM },
		{ "SigTerm", SIGTERM }, { "15", SIGTERM }, { "HUP", SIGHUP },
		{ "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		{ "9", SIGKILL }, { "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
		{ "WINCH", SIGWINCH }, { "STKFLT", SIGSTKFLT },
		{ "PWR", SIGPWR }, { "sys", SIGSYS }, { "IOT", SIGABRT },
		{ "SIGPOLL", SIGIO }, { "CLD", SIGCHLD }, { "1", 1 },
		{ "64", 64 }, { "37", 37 }, { "SIG37", 37 }, { "015", 15 }, { "0015", 15 },
		{ " TERM ", SIGTERM },
	};
	size_t	i;
	int	sig;

	for (i = 0; i < NITEMS(t); i++) {
		sig = -1;
		ck_assert_msg(value_signal(t[i].in, &sig) == 0, "'%s'",
		    t[i].in);
		ck_assert_msg(sig == t[i].want, "'%s' = %d", t[i].in, sig);
	}
}
END_TEST

START_TEST(test_signal_bad)
{
	static const char *const t[] = {
		"", " ", "SIG", "0", "65", "-1", "-15", "+15", "FOO", "SIGFOO",
		"TERM1", "1000", "SIG 15", "99999999999999999999", "SIGSIGTERM", "TER", "15s",
		"RTMIN", "SIG0",
	};
	size_t	i;
	int	sig;

	for (i = 0; i < NITEMS(t); i++) {
		sig = 42;
		ck_assert_msg(value_signal(t[i], &sig) == -1, "'%s'", t[i]);
		ck_assert_int_eq(sig, 42);
	}
}
END_TEST

START_TEST(test_signal_name)
{
	ck_assert_str_eq(value_signal_name(SIGTERM), "TERM");
	ck_assert_str_eq(value_signal_name(SIGKILL), "KILL");
	ck_assert_str_eq(value_signal_name(SIGHUP), "HUP");
	ck_assert_str_eq(value_signal_name(SIGCHLD), "CHLD");
	ck_assert_str_eq(value_signal_name(SIGSYS), "SYS");
	ck_assert_str_eq(value_signal_name(37), "SIG37");
	ck_assert_str_eq(value_signal_name(64), "SIG64");
	ck_assert_str_eq(value_signal_name(0), "SIG?");
	ck_assert_str_eq(value_signal_name(-1), "SIG?");
	ck_assert_str_eq(value_signal_name(65), "SIG?");
}
END_TEST

/* Every number 1..64 has a name that reads back to it. */
START_TEST(test_signal_roundtrip)
{
	char	buf[16];
	int	i, sig;

	for (i = 1; i <= 64; i++) {
		ck_assert_int_eq(value_signal(value_signal_name(i), &sig), 0);
		ck_assert_int_eq(sig, i);
		snprintf(buf, sizeof(buf), "SIG%s", value_signal_name(i));
		if (i < 32) {
			ck_assert_int_eq(value_signal(buf, &sig), 0);
			ck_assert_int_eq(sig, i);
		}
		snprintf(buf, sizeof(buf), "%d", i);
		ck_assert_int_eq(value_signal(buf, &sig), 0);
		ck_assert_int_eq(sig, i);
	}
}
END_TEST

/* Every standard name, with and without SIG, in both cases. */
START_TEST(test_signal_all_names)
{
	static const struct { const char *name; int sig; } t[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
		{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
		{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
		{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
		{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
		{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
		{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
		{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR },
		{ "SYS", SIGSYS },
	};
	char	buf[32];
	size_t	i, j;
	int	sig;

	for (i = 0; i < NITEMS(t); i++) {
		ck_assert_str_eq(value_signal_name(t[i].sig), t[i].name);
		snprintf(buf, sizeof(buf), "sig%s", t[i].name);
		for (j = 0; buf[j] != '\0'; j++)
			buf[j] = (char)(j % 2 ? buf[j] : buf[j] | 0x20);
		sig = -1;
		ck_assert_msg(value_signal(buf, &sig) == 0, "'%s'", buf);
		ck_assert_int_eq(sig, t[i].sig);
	}
}
END_TEST

/* --- list, rlimit -------------------------------------------------------- */

START_TEST(test_list)
{
	static const struct { const char *in; const char *want[5]; } t[] = {
		{ "a", { "a", NULL } },
		{ "a, b c,,d", { "a", "b", "c", "d", NULL } },
		{ "a,b", { "a", "b", NULL } },
		{ " web ,\tdb\n", { "web", "db", NULL } },
		{ "a\n  b", { "a", "b", NULL } },
		{ ",x,", { "x", NULL } },
		{ "", { NULL } },
		{ " , ,\t\n", { NULL } },
	};
	size_t	  i;
	char	**v;

	for (i = 0; i < NITEMS(t); i++) {
		v = NULL;
		ck_assert_int_eq(value_list(t[i].in, &v), 0);
		assert_strv(v, t[i].want, t[i].in);
		strv_free(v);
	}
}
END_TEST

START_TEST(test_rlimit)
{
	uint64_t	n;

	ck_assert_int_eq(value_rlimit("infinity", &n), 0);
	ck_assert_uint_eq(n, UINT64_MAX);
	ck_assert_int_eq(value_rlimit("UNLIMITED", &n), 0);
	ck_assert_uint_eq(n, UINT64_MAX);
	ck_assert_int_eq(value_rlimit(" Infinite ", &n), 0);
	ck_assert_uint_eq(n, UINT64_MAX);
	ck_assert_int_eq(value_rlimit("1024", &n), 0);
	ck_assert_uint_eq(n, 1024);
	ck_assert_int_eq(value_rlimit("0", &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(value_rlimit("4G", &n), 0);
	ck_assert_uint_eq(n, 4ULL << 30);
	ck_assert_int_eq(value_rlimit("1KB", &n), 0);
	ck_assert_uint_eq(n, 1024);
}
END_TEST

START_TEST(test_rlimit_bad)
{
	static const char *const t[] = {
		"", "infinit", "inf", "-1", "none", "1.5G", "unlimited2",
		"18446744073709551616",
	};
	size_t		i;
	uint64_t	n;

	for (i = 0; i < NITEMS(t); i++) {
		n = 42;
		ck_assert_msg(value_rlimit(t[i], &n) == -1, "'%s'", t[i]);
		ck_assert_uint_eq(n, 42);
	}
}
END_TEST

/* --- argv ---------------------------------------------------------------- */

static void
argv_ok(const char *in, const char *const *want)
{
	char	**v = NULL, *err = NULL;

	ck_assert_msg(value_argv(in, &v, &err) == 0, "'%s': %s", in,
	    err != NULL ? err : "?");
	ck_assert_ptr_null(err);
	assert_strv(v, want, in);
	strv_free(v);
}

static void
argv_bad(const char *in, const char *why)
{
	char	**v = SENTINEL, *err = NULL;

	ck_assert_msg(value_argv(in, &v, &err) == -1, "'%s' accepted", in);
	ck_assert_ptr_eq(v, SENTINEL);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, why);
	free(err);
	v = SENTINEL;
	ck_assert_int_eq(value_argv(in, &v, NULL), -1);
	ck_assert_ptr_eq(v, SENTINEL);
}

#define ARGV_OK(in, ...) argv_ok(in, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_argv_simple)
{
	ARGV_OK("a", "a");
	ARGV_OK("a b c", "a", "b", "c");
	ARGV_OK("  a   b  ", "a", "b");
	ARGV_OK("/usr/bin/python3 -m http.server 8000",
	    "/usr/bin/python3", "-m", "http.server", "8000");
}
END_TEST

START_TEST(test_argv_blanks)
{
	ARGV_OK("a\tb\nc", "a", "b", "c");
	ARGV_OK("a\r\nb", "a", "b");
	ARGV_OK("\t\na\v\fb\t", "a", "b");
}
END_TEST

START_TEST(test_argv_sh_c)
{
	ARGV_OK("/bin/sh -c 'echo \"hi there\"; exit 3'",
	    "/bin/sh", "-c", "echo \"hi there\"; exit 3");
	ARGV_OK("sh -c \"echo 'a b' && exit 1\"",
	    "sh", "-c", "echo 'a b' && exit 1");
}
END_TEST

START_TEST(test_argv_backslash)
{
	ARGV_OK("a\\ b", "a b");
	ARGV_OK("a\\\\b", "a\\b");
	ARGV_OK("\\'x\\'", "'x'");
	ARGV_OK("\\\"", "\"");
	ARGV_OK("\\a\\b", "ab");
	ARGV_OK("a\\\nb", "ab");		/* line continuation */
	ARGV_OK("a \\\n b", "a", "b");
	ARGV_OK("\\\n a", "a");
	ARGV_OK("\\ ", " ");
	ARGV_OK("a\\\tb", "a\tb");
}
END_TEST

START_TEST(test_argv_single_quotes)
{
	ARGV_OK("'a b'", "a b");
	ARGV_OK("'a\\b'", "a\\b");		/* literal backslash */
	ARGV_OK("'a\"b'", "a\"b");
	ARGV_OK("'$HOME'", "$HOME");
	ARGV_OK("'a\nb'", "a\nb");
	ARGV_OK("x'y z'w", "xy zw");
}
END_TEST

START_TEST(test_argv_double_quotes)
{
	ARGV_OK("\"a b\"", "a b");
	ARGV_OK("\"a\\\"b\"", "a\"b");
	ARGV_OK("\"\\\\\"", "\\");
	ARGV_OK("\"\\$HOME\"", "$HOME");
	ARGV_OK("\"\\`x\\`\"", "`x`");
	ARGV_OK("\"a\\nb\"", "a\\nb");	/* \n is not an escape */
	ARGV_OK("\"a\\'b\"", "a\\'b");
	ARGV_OK("\"a\\\nb\"", "ab");		/* continuation inside "" */
	ARGV_OK("\"a\nb\"", "a\nb");
	ARGV_OK("\"it's\"", "it's");
	ARGV_OK("--opt=\"a b\"", "--opt=a b");
}
END_TEST

START_TEST(test_argv_concat)
{
	ARGV_OK("\"a\"'b'c", "abc");
	ARGV_OK("a\"b\"'c'\\ d", "abc d");
	ARGV_OK("'a'\"\"'b'", "ab");
}
END_TEST

START_TEST(test_argv_empty_words)
{
	ARGV_OK("\"\"", "");
	ARGV_OK("''", "");
	ARGV_OK("a \"\" b", "a", "", "b");
	ARGV_OK("a '' ''", "a", "", "");
	ARGV_OK("\"\"''", "");
}
END_TEST

/* Nothing a shell would do happens: no expansion, globbing or operators. */
START_TEST(test_argv_no_shell)
{
	ARGV_OK("echo $HOME ~ *.c | wc > out; x && y &",
	    "echo", "$HOME", "~", "*.c", "|", "wc", ">", "out;", "x", "&&",
	    "y", "&");
	ARGV_OK("a #comment", "a", "#comment");
	ARGV_OK("%(program_name)s", "%(program_name)s");
}
END_TEST

START_TEST(test_argv_unterminated)
{
	argv_bad("'abc", "unterminated single quote");
	argv_bad("a 'b c", "unterminated single quote");
	argv_bad("\"abc", "unterminated double quote");
	argv_bad("\"abc\\\"", "unterminated double quote");
	argv_bad("\"abc\\", "unterminated double quote");
	argv_bad("a \"b'c'", "unterminated double quote");
	argv_bad("'a'\"b", "unterminated double quote");
}
END_TEST

START_TEST(test_argv_trailing_backslash)
{
	argv_bad("abc\\", "trailing backslash");
	argv_bad("\\", "trailing backslash");
	argv_bad("a b \\", "trailing backslash");
}
END_TEST

START_TEST(test_argv_empty_command)
{
	argv_bad("", "empty command");
	argv_bad("   ", "empty command");
	argv_bad(" \t\n\r ", "empty command");
	argv_bad("\\\n", "empty command");
}
END_TEST

/* Long words and many words: the buffers grow. */
START_TEST(test_argv_long)
{
	char	*line, **v = NULL;
	size_t	 i, n = 5000;

	line = malloc(n * 2 + 1);
	memset(line, 'q', n * 2);
	line[0] = '\'';
	line[n * 2] = '\0';
	ck_assert_int_eq(value_argv(line, &v, NULL), -1);
	ck_assert_ptr_null(v);
	memset(line, 'a', n * 2);
	line[n] = ' ';
	line[n * 2] = '\0';
	ck_assert_int_eq(value_argv(line, &v, NULL), 0);
	ck_assert_uint_eq(strv_len(v), 2);
	ck_assert_uint_eq(strlen(v[0]), n);
	ck_assert_uint_eq(strlen(v[1]), n - 1);
	strv_free(v);
	for (i = 0; i < n * 2; i++)
		line[i] = i % 2 ? ' ' : 'w';
	ck_assert_int_eq(value_argv(line, &v, NULL), 0);
	ck_assert_uint_eq(strv_len(v), n);
	strv_free(v);
	free(line);
}
END_TEST

/* --- environment --------------------------------------------------------- */

static void
env_ok(const char *in, const char *const *want)
{
	char	**v = NULL, *err = NULL;

	ck_assert_msg(value_env(in, &v, &err) == 0, "'%s': %s", in,
	    err != NULL ? err : "?");
	ck_assert_ptr_null(err);
	assert_strv(v, want, in);
	strv_free(v);
}

static void
env_bad(const char *in, const char *why)
{
	char	**v = SENTINEL, *err = NULL;

	ck_assert_msg(value_env(in, &v, &err) == -1, "'%s' accepted", in);
	ck_assert_ptr_eq(v, SENTINEL);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, why);
	free(err);
	ck_assert_int_eq(value_env(in, &v, NULL), -1);
	ck_assert_ptr_eq(v, SENTINEL);
}

#define ENV_OK(in, ...) env_ok(in, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_env_supervisord)
{
	ENV_OK("A=\"1\",B=two, C='x y',D=\"has, comma\"",
	    "A=1", "B=two", "C=x y", "D=has, comma");
	ENV_OK("HOME=\"/var/lib/fetchmail\",USER=\"fetchmail\"",
	    "HOME=/var/lib/fetchmail", "USER=fetchmail");
	ENV_OK("M=\"mongodb://localhost:27017/?replicaSet=rs0\",N=\"api\"",
	    "M=mongodb://localhost:27017/?replicaSet=rs0", "N=api");
	ENV_OK("NODE_ENV=production-linux,DIR=/etc/x,COLORS=1",
	    "NODE_ENV=production-linux", "DIR=/etc/x", "COLORS=1");
}
END_TEST

START_TEST(test_env_empty)
{
	char	**v = NULL;

	ck_assert_int_eq(value_env("", &v, NULL), 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(strv_len(v), 0);
	strv_free(v);
	v = NULL;
	ck_assert_int_eq(value_env(" , ,\n", &v, NULL), 0);
	ck_assert_uint_eq(strv_len(v), 0);
	strv_free(v);
}
END_TEST

START_TEST(test_env_forms)
{
	ENV_OK("A=", "A=");
	ENV_OK("A=,B=2", "A=", "B=2");
	ENV_OK("A= , B=2", "A=", "B=2");
	ENV_OK("A=\"\"", "A=");
	ENV_OK("A=1,", "A=1");
	ENV_OK("A=1,\n B=2", "A=1", "B=2");
	ENV_OK("A=1, B=2", "A=1", "B=2");
	ENV_OK("  A=1  ,  B=2  ", "A=1", "B=2");
	ENV_OK("A = 1", "A=1");
	ENV_OK("A= 1", "A=1");
	ENV_OK("A= =1", "A==1");
	ENV_OK("A= 1=2", "A=1=2");
	ENV_OK("A=b=c", "A=b=c");
	ENV_OK("A=1,,B=2", "A=1", "B=2");
	ENV_OK("_X1=y,lower_case=z", "_X1=y", "lower_case=z");
	ENV_OK("A='say \"hi\"'", "A=say \"hi\"");
	ENV_OK("A=\"it's\"", "A=it's");
	ENV_OK("A=\"a\\b\"", "A=a\\b");		/* no escapes */
	ENV_OK("A=x\"y", "A=x\"y");
	ENV_OK("P=%(here)s/bin", "P=%(here)s/bin");
}
END_TEST

START_TEST(test_env_duplicate)
{
	ENV_OK("A=1,B=2,A=3", "A=3", "B=2");
	ENV_OK("A=1,AB=2", "A=1", "AB=2");
}
END_TEST

START_TEST(test_env_not_key_value)
{
	env_bad("A", "expected KEY=value, not 'A'");
	env_bad("A=1,B", "expected KEY=value, not 'B'");
	env_bad("A=1,B C=2", "expected KEY=value, not 'B'");
	env_bad("=x", "expected KEY=value, not '=x'");
	env_bad("A=1, =x", "expected KEY=value, not '=x'");
}
END_TEST

START_TEST(test_env_bad_name)
{
	env_bad("1A=x", "invalid environment variable name '1A'");
	env_bad("A-B=x", "invalid environment variable name 'A-B'");
	env_bad("A.B=x", "invalid environment variable name 'A.B'");
	env_bad("\"A\"=x", "invalid environment variable name '\"A\"'");
	env_bad("A=1,\xc3\xa9=2", "invalid environment variable name "
	    "'\xc3\xa9'");
}
END_TEST

START_TEST(test_env_bad_value)
{
	env_bad("A=\"x", "unterminated double quote in value of A");
	env_bad("A=1,B='x", "unterminated single quote in value of B");
	env_bad("A=1 B=2", "expected ',' after the value of A");
	env_bad("A= B=2", "expected ',' after the value of A");
	env_bad("A=\n B=2", "expected ',' after the value of A");
	env_bad("A=\"x\"y", "expected ',' after the value of A");
	env_bad("A='x' 'y'", "expected ',' after the value of A");
	env_bad("OPTS=-Xmx1g -Xms1g", "expected ',' after the value of OPTS");
}
END_TEST

START_TEST(test_env_many)
{
	char	**v = NULL, *line;
	size_t	  off = 0, sz = 300 * 32;
	int	  i;

	line = malloc(sz);
	for (i = 0; i < 300; i++)
		off += (size_t)snprintf(line + off, sz - off,
		    "V%d=\"%d, %d\",", i, i, i);
	ck_assert_int_eq(value_env(line, &v, NULL), 0);
	ck_assert_uint_eq(strv_len(v), 300);
	ck_assert_str_eq(v[0], "V0=0, 0");
	ck_assert_str_eq(v[299], "V299=299, 299");
	strv_free(v);
	free(line);
}
END_TEST

/* --- interpolation ------------------------------------------------------- */

static const char *
test_lookup(const char *name, void *arg)
{
	static const char *const t[][2] = {
		{ "program_name", "web" }, { "process_num", "7" },
		{ "group_name", "grp" }, { "neg", "-7" }, { "zero", "0" },
		{ "padded", "00042" }, { "plus", "+5" }, { "empty", "" },
		{ "huge", "99999999999999999999" }, { "pct", "%(x)s" },
		{ "ENV_HOME", "/root" },
	};
	size_t	i;

	ck_assert_ptr_eq(arg, (void *)test_lookup);
	for (i = 0; i < NITEMS(t); i++) {
		if (strcmp(name, t[i][0]) == 0)
			return t[i][1];
	}
	return NULL;
}

static void
interp_ok(const char *in, const char *want)
{
	char	*out = NULL, *err = NULL;

	ck_assert_msg(value_interpolate(in, test_lookup, (void *)test_lookup,
	    &out, &err) == 0, "'%s': %s", in, err != NULL ? err : "?");
	ck_assert_ptr_null(err);
	ck_assert_msg(strcmp(out, want) == 0, "'%s' gave '%s', want '%s'",
	    in, out, want);
	free(out);
}

static void
interp_bad(const char *in, const char *why)
{
	char	*out = (char *)SENTINEL, *err = NULL;

	ck_assert_msg(value_interpolate(in, test_lookup, (void *)test_lookup,
	    &out, &err) == -1, "'%s' accepted", in);
	ck_assert_ptr_eq(out, (char *)SENTINEL);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, why);
	free(err);
	ck_assert_int_eq(value_interpolate(in, test_lookup,
	    (void *)test_lookup, &out, NULL), -1);
	ck_assert_ptr_eq(out, (char *)SENTINEL);
}

START_TEST(test_interp_plain)
{
	interp_ok("", "");
	interp_ok("no percent here", "no percent here");
	interp_ok("%(program_name)s", "web");
	interp_ok("%(program_name)s_%(process_num)d", "web_7");
	interp_ok("/var/log/%(program_name)s-%(process_num)d.log",
	    "/var/log/web-7.log");
	interp_ok("%(ENV_HOME)s/.cache", "/root/.cache");
	interp_ok("[%(empty)s]", "[]");
	interp_ok("%(pct)s", "%(x)s");		/* values are not re-expanded */
}
END_TEST

START_TEST(test_interp_percent)
{
	interp_ok("%%", "%");
	interp_ok("100%%", "100%");
	interp_ok("%%(program_name)s", "%(program_name)s");
	interp_ok("%%%(process_num)d", "%7");
}
END_TEST

/* A '%' not followed by '(' or '%' stays as it is (lenient, see value.c). */
START_TEST(test_interp_stray_percent)
{
	interp_ok("100%", "100%");
	interp_ok("%", "%");
	interp_ok("date +%s", "date +%s");
	interp_ok("%d%s %x", "%d%s %x");
	interp_ok("a % b", "a % b");
}
END_TEST

START_TEST(test_interp_int_formats)
{
	interp_ok("%(process_num)d", "7");
	interp_ok("%(process_num)i", "7");
	interp_ok("%(process_num)u", "7");
	interp_ok("%(process_num)02d", "07");
	interp_ok("%(process_num)03d", "007");
	interp_ok("%(process_num)3d", "  7");
	interp_ok("%(process_num)-3d|", "7  |");
	interp_ok("%(process_num)-03d|", "7  |");
	interp_ok("%(process_num)+d", "+7");
	interp_ok("%(process_num) d", " 7");
	interp_ok("%(process_num)+ d", "+7");
	interp_ok("%(process_num)#d", "7");
	interp_ok("%(process_num)ld", "7");		/* Python ignores l */
	interp_ok("%(process_num)03hd", "007");
	interp_ok("%(process_num)1d", "7");
	interp_ok("%(process_num).3d", "007");
	interp_ok("%(process_num)05.3d", "00007");	/* as Python */
	interp_ok("%(neg)05d", "-0007");
	interp_ok("%(neg)d", "-7");
	interp_ok("%(neg)-4d|", "-7  |");
	interp_ok("%(zero)03d", "000");
	interp_ok("%(padded)d", "42");
	interp_ok("%(plus)d", "5");
	interp_ok("%(plus)+04d", "+005");
}
END_TEST

START_TEST(test_interp_str_formats)
{
	interp_ok("%(program_name)5s", "  web");
	interp_ok("%(program_name)-5s|", "web  |");
	interp_ok("%(program_name)05s", "  web");	/* '0' ignored */
	interp_ok("%(program_name).2s", "we");
	interp_ok("%(program_name)5.2s", "   we");
	interp_ok("%(program_name).s", "");
	interp_ok("%(program_name)2s", "web");
	interp_ok("%(program_name) s", "web");		/* ' ' is a flag */
	interp_ok("%(process_num)s", "7");
	interp_ok("%(neg)s", "-7");
}
END_TEST

START_TEST(test_interp_width_limit)
{
	char	*out = NULL, want[65];

	ck_assert_int_eq(value_interpolate("%(process_num)064d", test_lookup,
	    (void *)test_lookup, &out, NULL), 0);
	memset(want, '0', 63);
	want[63] = '7';
	want[64] = '\0';
	ck_assert_str_eq(out, want);
	free(out);
	interp_bad("%(process_num)65d",
	    "interpolation width of 'process_num' too large (max 64)");
	interp_bad("%(process_num)99999999999999999999d",
	    "interpolation width of 'process_num' too large (max 64)");
	interp_bad("%(program_name).65s",
	    "interpolation width of 'program_name' too large (max 64)");
}
END_TEST

START_TEST(test_interp_errors)
{
	interp_bad("%(foo)s", "unknown interpolation name 'foo'");
	interp_bad("x %(ENV_NOPE)s", "unknown interpolation name 'ENV_NOPE'");
	interp_bad("%(program_name)s %(bar)d",
	    "unknown interpolation name 'bar'");
}
END_TEST

START_TEST(test_interp_not_integer)
{
	interp_bad("%(program_name)d",
	    "value of 'program_name' is not an integer: 'web'");
	interp_bad("%(empty)d", "value of 'empty' is not an integer: ''");
	interp_bad("%(huge)d",
	    "value of 'huge' is not an integer: '99999999999999999999'");
	interp_bad("%(neg)03d%(program_name)i",
	    "value of 'program_name' is not an integer: 'web'");
}
END_TEST

START_TEST(test_interp_bad_syntax)
{
	interp_bad("%(program_name", "missing ')' after '%('");
	interp_bad("%(", "missing ')' after '%('");
	interp_bad("%()s", "empty interpolation name '%()'");
	interp_bad("%(program_name)x",
	    "expected s or d after '%(program_name)'");
	interp_bad("%(program_name)", "expected s or d after '%(program_name)'");
	interp_bad("%(program_name)hh",
	    "expected s or d after '%(program_name)'");
	interp_bad("%(program_name)r",
	    "expected s or d after '%(program_name)'");
}
END_TEST

START_TEST(test_interp_long)
{
	char	*in, *out = NULL;
	size_t	 i, n = 1000;

	in = malloc(n * 16 + 1);
	in[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(in, "%(process_num)d");
	ck_assert_int_eq(value_interpolate(in, test_lookup,
	    (void *)test_lookup, &out, NULL), 0);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert_uint_eq(strspn(out, "7"), n);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_interp_null_lookup)
{
	char	*out = NULL, *err = NULL;

	ck_assert_int_eq(value_interpolate("%(x)s", NULL, NULL, &out, &err),
	    -1);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err, "unknown interpolation name 'x'");
	free(err);
	ck_assert_int_eq(value_interpolate("plain 100%", NULL, NULL, &out,
	    NULL), 0);
	ck_assert_str_eq(out, "plain 100%");
	free(out);
}
END_TEST

/* --- suggest ------------------------------------------------------------- */

static const char *const keys[] = {
	"command", "autostart", "autorestart", "startsecs", "startretries",
	"stopsignal", "stopwaitsecs", "user", "directory", "environment",
	NULL,
};

START_TEST(test_suggest_close)
{
	ck_assert_str_eq(value_suggest("comand", keys), "command");
	ck_assert_str_eq(value_suggest("commmand", keys), "command");
	ck_assert_str_eq(value_suggest("stopsignl", keys), "stopsignal");
	ck_assert_str_eq(value_suggest("usr", keys), "user");
	ck_assert_str_eq(value_suggest("AUTOSTART", keys), "autostart");
	ck_assert_str_eq(value_suggest("enviroment", keys), "environment");
	ck_assert_str_eq(value_suggest("startsec", keys), "startsecs");
	ck_assert_str_eq(value_suggest("command", keys), "command");
}
END_TEST

START_TEST(test_suggest_best)
{
	static const char *const c[] = { "abcd", "abce", "abc", NULL };
	static const char *const tie[] = { "xbcd", "axcd", NULL };

	ck_assert_str_eq(value_suggest("abc", c), "abc");	/* exact */
	ck_assert_str_eq(value_suggest("abce", c), "abce");
	ck_assert_str_eq(value_suggest("abcf", c), "abcd");	/* tie: first */
	ck_assert_str_eq(value_suggest("abcd", tie), "xbcd");
	ck_assert_str_eq(value_suggest("autorestar", keys), "autorestart");
}
END_TEST

START_TEST(test_suggest_threshold)
{
	static const char *const c[] = { "abcdefghWXYZ", NULL };
	static const char *const c5[] = { "abcdefgVWXYZ", NULL };
	static const char *const shortc[] = { "xyz", NULL };

	/* 12 letters: up to 4 edits */
	ck_assert_str_eq(value_suggest("abcdefghijkl", c), "abcdefghWXYZ");
	ck_assert_ptr_null(value_suggest("abcdefghijkl", c5));
	/* short words: up to 2 edits */
	ck_assert_str_eq(value_suggest("xab", shortc), "xyz");
	ck_assert_ptr_null(value_suggest("abc", shortc));
	ck_assert_str_eq(value_suggest("x", shortc), "xyz");
	ck_assert_ptr_null(value_suggest("frobnicate", keys));
	ck_assert_ptr_null(value_suggest("qq", keys));
}
END_TEST

START_TEST(test_suggest_degenerate)
{
	static const char *const none[] = { NULL };

	ck_assert_ptr_null(value_suggest("", keys));
	ck_assert_ptr_null(value_suggest(NULL, keys));
	ck_assert_ptr_null(value_suggest("command", NULL));
	ck_assert_ptr_null(value_suggest("command", none));
}
END_TEST

/* --- suite --------------------------------------------------------------- */

static Suite *
value_suite(void)
{
	Suite	*s = suite_create("value");
	TCase	*tc;

	tc = tcase_create("strv");
	tcase_add_test(tc, test_strv_new_push);
	tcase_add_test(tc, test_strv_push_null);
	tcase_add_test(tc, test_strv_dup);
	tcase_add_test(tc, test_strv_eq);
	tcase_add_test(tc, test_strv_contains);
	tcase_add_test(tc, test_strv_join);
	tcase_add_test(tc, test_strv_many);
	tcase_add_test(tc, test_strv_append);
	suite_add_tcase(s, tc);

	tc = tcase_create("scalar");
	tcase_add_test(tc, test_bool_good);
	tcase_add_test(tc, test_bool_bad);
	tcase_add_test(tc, test_size_good);
	tcase_add_test(tc, test_size_bad);
	tcase_add_test(tc, test_size_overflow);
	tcase_add_test(tc, test_int_good);
	tcase_add_test(tc, test_int_bad);
	tcase_add_test(tc, test_octal_good);
	tcase_add_test(tc, test_octal_bad);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_rlimit);
	tcase_add_test(tc, test_rlimit_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_test(tc, test_duration_good);
	tcase_add_test(tc, test_uptime_fmt);
	tcase_add_test(tc, test_duration_bad_syntax);
	tcase_add_test(tc, test_duration_bad_units);
	tcase_add_test(tc, test_duration_bad_precision);
	tcase_add_test(tc, test_duration_overflow);
	tcase_add_test(tc, test_duration_fmt);
	tcase_add_test(tc, test_duration_fmt_small_buffer);
	tcase_add_test(tc, test_duration_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("signal");
	tcase_add_test(tc, test_signal_good);
	tcase_add_test(tc, test_signal_bad);
	tcase_add_test(tc, test_signal_name);
	tcase_add_test(tc, test_signal_roundtrip);
	tcase_add_test(tc, test_signal_all_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("argv");
	tcase_add_test(tc, test_argv_simple);
	tcase_add_test(tc, test_argv_blanks);
	tcase_add_test(tc, test_argv_sh_c);
	tcase_add_test(tc, test_argv_backslash);
	tcase_add_test(tc, test_argv_single_quotes);
	tcase_add_test(tc, test_argv_double_quotes);
	tcase_add_test(tc, test_argv_concat);
	tcase_add_test(tc, test_argv_empty_words);
	tcase_add_test(tc, test_argv_no_shell);
	tcase_add_test(tc, test_argv_unterminated);
	tcase_add_test(tc, test_argv_trailing_backslash);
	tcase_add_test(tc, test_argv_empty_command);
	tcase_add_test(tc, test_argv_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, test_env_supervisord);
	tcase_add_test(tc, test_env_empty);
	tcase_add_test(tc, test_env_forms);
	tcase_add_test(tc, test_env_duplicate);
	tcase_add_test(tc, test_env_not_key_value);
	tcase_add_test(tc, test_env_bad_name);
	tcase_add_test(tc, test_env_bad_value);
	tcase_add_test(tc, test_env_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("interpolate");
	tcase_add_test(tc, test_interp_plain);
	tcase_add_test(tc, test_interp_percent);
	tcase_add_test(tc, test_interp_stray_percent);
	tcase_add_test(tc, test_interp_int_formats);
	tcase_add_test(tc, test_interp_str_formats);
	tcase_add_test(tc, test_interp_width_limit);
	tcase_add_test(tc, test_interp_errors);
	tcase_add_test(tc, test_interp_not_integer);
	tcase_add_test(tc, test_interp_bad_syntax);
	tcase_add_test(tc, test_interp_long);
	tcase_add_test(tc, test_interp_null_lookup);
	suite_add_tcase(s, tc);

	tc = tcase_create("suggest");
	tcase_add_test(tc, test_suggest_close);
	tcase_add_test(tc, test_suggest_best);
	tcase_add_test(tc, test_suggest_threshold);
	tcase_add_test(tc, test_suggest_degenerate);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(value_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

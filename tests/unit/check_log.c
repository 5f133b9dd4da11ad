/*
 * check_log.c: a job line in `log` mode (log.h): the prefix, the escapes of
 * log_escape() and one newline, whatever bytes the line holds and wherever
 * they fall in the eight-byte words the fast path scans.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "log.h"

static int	out_fd = -1;

/* fd 2 becomes a fresh temporary file: what the daemon's log would hold */
static void
capture_stderr(void)
{
	char	path[] = "/tmp/check_log.XXXXXX";

	out_fd = mkstemp(path);
	ck_assert_int_ge(out_fd, 0);
	unlink(path);
	ck_assert_int_eq(dup2(out_fd, STDERR_FILENO), STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	log_init(LOG_INFO, false);
}

/* The test is over: only fd 2 keeps the file. */
static void
release_stderr(void)
{
	log_flush_blocking();
	ck_assert_int_eq(close(out_fd), 0);
	out_fd = -1;
}

/* Everything written to fd 2 since the last call, NUL-terminated. */
static char *
take_output(size_t *len)
{
	static char	 buf[1 << 20];
	off_t		 end;
	ssize_t		 n;

	log_flush_blocking();
	end = lseek(out_fd, 0, SEEK_CUR);
	ck_assert_int_lt(end, (off_t)sizeof(buf));
	n = pread(out_fd, buf, (size_t)end, 0);
	ck_assert_int_eq(n, end);
	buf[n] = '\0';
	ck_assert_int_eq(ftruncate(out_fd, 0), 0);
	ck_assert_int_eq(lseek(out_fd, 0, SEEK_SET), 0);
	*len = (size_t)n;
	return buf;
}

/* The line as log_job_line() must write it: by the slow, obvious path. */
static size_t
expected(char *dst, size_t dstsz, const char *line, size_t len)
{
	size_t	h = (size_t)snprintf(dst, dstsz, "web_0[42]: ");

	h += log_escape(dst + h, dstsz - h, line, len);
	dst[h++] = '\n';
	dst[h] = '\0';
	return h;
}

static void
check_line(const char *line, size_t len)
{
	static char	 want[8192];
	size_t		 wn, gn;
	const char	*got;

	wn = expected(want, sizeof(want), line, len);
	log_job_line("web", "web_0", 0, 42, false, line, len);
	got = take_output(&gn);
	ck_assert_uint_eq(gn, wn);
	ck_assert_msg(memcmp(got, want, wn) == 0, "got \"%s\", want \"%s\"",
	    got, want);
}

START_TEST(test_plain_and_escapes)
{
	capture_stderr();
	check_line("", 0);
	check_line("hello", 5);
	check_line("exactly8", 8);
	check_line("a line of sixteen", 17);
	check_line("tab\there and there\t", 19);
	check_line("back\\slash", 10);
	check_line("bell\a and del\x7f", 14);
	check_line("cr\r", 3);
	check_line("nul\0inside", 10);
	check_line("utf-8 \xc3\xa9t\xc3\xa9 \xff\x80", 14);
	/* one escape in each position of a word, and at the very end */
	check_line("0123456\x01" "89abcdef", 16);
	check_line("\x1f" "123456789abcdef", 16);
	check_line("0123456789abcde\\", 16);
	release_stderr();
}
END_TEST

/* Random lines, biased to the bytes that matter, against log_escape(). */
START_TEST(test_random_lines)
{
	static const unsigned char special[] = {
		0x00, 0x01, '\t', '\n', '\r', 0x1f, 0x20, '\\', 0x7e, 0x7f,
		0x80, 0xff, 'a', '0',
	};
	char		 line[200];
	size_t		 len, i;
	int		 k;

	capture_stderr();
	srandom(20261204);
	for (k = 0; k < 20000; k++) {
		len = (size_t)(random() % (long)sizeof(line));
		for (i = 0; i < len; i++) {
			if (random() % 4 == 0)
				line[i] = (char)special[random() %
				    (long)sizeof(special)];
			else
				line[i] = (char)(0x20 + random() % 0x5f);
		}
		check_line(line, len);
	}
	release_stderr();
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("job_line");

	tcase_add_test(tc, test_plain_and_escapes);
	tcase_add_test(tc, test_random_lines);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

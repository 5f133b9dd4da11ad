/*
 * check_proto.c: the two wire decoders that take bytes from other
 * processes: control request lines (src/control_proto.c) and the
 * sd_notify datagrams of jobs (src/notify_proto.c).
 *
 * Inputs are copied into buffers of exactly their length, without a NUL,
 * so that an ASan build catches a decoder reading past the end.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "control.h"
#include "control_proto.h"
#include "notify_proto.h"

/* An unterminated copy of s[0, len); the caller frees it. */
static char *
exact(const char *s, size_t len)
{
	char	*b = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(b);
	memcpy(b, s, len);
	return b;
}

static enum ctl_decode
decode_n(const char *s, size_t len, struct ctl_request *r)
{
	char		*b = exact(s, len);
	enum ctl_decode	 rc;

	rc = ctl_request_decode(b, len, r);
	free(b);
	return rc;
}

static enum ctl_decode
decode(const char *s, struct ctl_request *r)
{
	return decode_n(s, strlen(s), r);
}

/* line must decode to a bad-request whose message contains want. */
static void
assert_bad_n(const char *line, size_t len, const char *want)
{
	struct ctl_request	r;

	ck_assert_msg(decode_n(line, len, &r) == CTL_DEC_ERROR,
	    "'%s' decoded", line);
	ck_assert_str_eq(r.cr_error, CTL_E_BAD_REQUEST);
	ck_assert_msg(strstr(r.cr_message, want) != NULL, "'%s': message "
	    "'%s', want '%s'", line, r.cr_message, want);
	ctl_request_free(&r);
}

static void
assert_bad(const char *line, const char *want)
{
	assert_bad_n(line, strlen(line), want);
}

/* --- control requests ----------------------------------------------------- */

START_TEST(test_ctl_stop_full)
{
	struct ctl_request	r;

	ck_assert_int_eq(decode("{\"cmd\": \"stop\", \"args\": [\"web\", "
	    "\"batch:*\"], \"wait\": false, \"id\": 7}", &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_which, CTL_STOP);
	ck_assert_str_eq(r.cr_cmd, "stop");
	ck_assert_uint_eq(r.cr_nargs, 2);
	ck_assert_str_eq(r.cr_args[0], "web");
	ck_assert_str_eq(r.cr_args[1], "batch:*");
	ck_assert_ptr_null(r.cr_args[2]);
	ck_assert(!r.cr_wait);
	ck_assert(json_is_integer(r.cr_id));
	ck_assert_int_eq(json_integer_value(r.cr_id), 7);
	ck_assert_ptr_null(r.cr_error);
	ctl_request_free(&r);
	ck_assert_ptr_null(r.cr_json);
	ck_assert_ptr_null(r.cr_args);
}
END_TEST

/* Every command with the fewest arguments it takes. */
START_TEST(test_ctl_every_command)
{
	static const struct {
		const char	*line;
		enum ctl_cmd	 which;
		size_t		 nargs;
	} t[] = {
		{ "{\"cmd\":\"status\"}", CTL_STATUS, 0 },
		{ "{\"cmd\":\"status\",\"args\":[\"a\",\"b\",\"c\"]}",
		    CTL_STATUS, 3 },
		{ "{\"cmd\":\"start\",\"args\":[\"web\"]}", CTL_START, 1 },
		{ "{\"cmd\":\"stop\",\"args\":[\"all\"]}", CTL_STOP, 1 },
		{ "{\"cmd\":\"restart\",\"args\":[\"w:1\"]}", CTL_RESTART, 1 },
		{ "{\"cmd\":\"run\",\"args\":[\"backup\"]}", CTL_RUN, 1 },
		{ "{\"cmd\":\"signal\",\"args\":[\"web\",\"HUP\"]}",
		    CTL_SIGNAL, 2 },
		{ "{\"cmd\":\"reload\",\"args\":[]}", CTL_RELOAD, 0 },
		{ "{\"cmd\":\"shutdown\"}", CTL_SHUTDOWN, 0 },
		{ "{\"cmd\":\"version\",\"other\":{\"x\":1}}", CTL_VERSION, 0 },
	};
	struct ctl_request	r;
	size_t			i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(decode(t[i].line, &r) == CTL_DEC_OK, "'%s': %s",
		    t[i].line, r.cr_message);
		ck_assert_int_eq(r.cr_which, t[i].which);
		ck_assert_uint_eq(r.cr_nargs, t[i].nargs);
		ck_assert(r.cr_wait);
		ck_assert_ptr_null(r.cr_id);
		ctl_request_free(&r);
	}
}
END_TEST

START_TEST(test_ctl_signal_parsed)
{
	struct ctl_request	r;

	ck_assert_int_eq(decode("{\"cmd\":\"signal\",\"args\":[\"web\","
	    "\"SIGUSR1\"]}", &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_signal, SIGUSR1);
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"cmd\":\"signal\",\"args\":[\"web\","
	    "\"9\"]}", &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_signal, SIGKILL);
	ctl_request_free(&r);
}
END_TEST

/* Any JSON value is an id; it is kept on errors read after it. */
START_TEST(test_ctl_id_any_value)
{
	struct ctl_request	r;

	ck_assert_int_eq(decode("{\"id\":{\"a\":[1]},\"cmd\":\"version\"}",
	    &r), CTL_DEC_OK);
	ck_assert(json_is_object(r.cr_id));
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"id\":\"x\",\"cmd\":\"frob\"}", &r),
	    CTL_DEC_ERROR);
	ck_assert_str_eq(json_string_value(r.cr_id), "x");
	ck_assert_str_eq(r.cr_cmd, "frob");
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"id\":null,\"cmd\":3}", &r),
	    CTL_DEC_ERROR);
	ck_assert(json_is_null(r.cr_id));
	ck_assert_ptr_null(r.cr_cmd);
	ctl_request_free(&r);
}
END_TEST

/* Trailing white space goes; only white space is a blank line. */
START_TEST(test_ctl_blank_and_crlf)
{
	struct ctl_request	r;

	ck_assert_int_eq(decode("", &r), CTL_DEC_BLANK);
	ctl_request_free(&r);
	ck_assert_int_eq(decode(" \t\r", &r), CTL_DEC_BLANK);
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"cmd\":\"version\"} \t\r", &r),
	    CTL_DEC_OK);
	ctl_request_free(&r);
	/* the length is what counts, not a NUL */
	ck_assert_int_eq(decode_n("{\"cmd\":\"version\"}garbage", 17, &r),
	    CTL_DEC_OK);
	ctl_request_free(&r);
}
END_TEST

START_TEST(test_ctl_bad_bytes_and_json)
{
	assert_bad_n("{\"cmd\":\"sta\0tus\"}", 17, "NUL byte");
	assert_bad("{\"cmd\": \"status\", ", "malformed JSON");
	assert_bad("nonsense", "malformed JSON");
	assert_bad("{\"cmd\":\"status\",\"cmd\":\"stop\"}", "malformed JSON");
	assert_bad("[\"status\"]", "a request is a JSON object");
	assert_bad("{\"cmd\":\"status\"} {}", "malformed JSON");
}
END_TEST

START_TEST(test_ctl_bad_members)
{
	assert_bad("{}", "\"cmd\" must be a string");
	assert_bad("{\"cmd\":[\"status\"]}", "\"cmd\" must be a string");
	assert_bad("{\"cmd\":\"stop\",\"args\":\"web\"}",
	    "\"args\" must be an array of strings");
	assert_bad("{\"cmd\":\"stop\",\"args\":[\"web\",1]}",
	    "non-empty strings");
	assert_bad("{\"cmd\":\"stop\",\"args\":[\"\"]}", "non-empty strings");
	assert_bad("{\"cmd\":\"stop\",\"args\":[\"w\"],\"wait\":1}",
	    "\"wait\" must be true or false");
}
END_TEST

START_TEST(test_ctl_bad_commands)
{
	assert_bad("{\"cmd\":\"frobnicate\"}", "unknown command 'frobnicate'");
	assert_bad("{\"cmd\":\"STATUS\"}", "unknown command");
	assert_bad("{\"cmd\":\"stop\"}", "usage: stop NAME...");
	assert_bad("{\"cmd\":\"run\",\"args\":[]}", "usage: run TASK...");
	assert_bad("{\"cmd\":\"signal\",\"args\":[\"web\"]}",
	    "usage: signal NAME SIGNAL");
	assert_bad("{\"cmd\":\"signal\",\"args\":[\"a\",\"HUP\",\"b\"]}",
	    "usage: signal");
	assert_bad("{\"cmd\":\"reload\",\"args\":[\"web\"]}", "usage: reload");
	assert_bad("{\"cmd\":\"signal\",\"args\":[\"web\",\"SIGFOO\"]}",
	    "unknown signal 'SIGFOO'");
	assert_bad("{\"cmd\":\"signal\",\"args\":[\"web\",\"0\"]}",
	    "unknown signal");
}
END_TEST

START_TEST(test_ctl_tail)
{
	struct ctl_request	 r;
	json_t			*j;

	ck_assert_int_eq(decode("{\"cmd\":\"tail\",\"args\":[\"web\"]}",
	    &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_which, CTL_TAIL);
	ck_assert(!r.cr_stderr);
	ck_assert_int_eq(r.cr_lines, -1);
	ck_assert_int_eq(r.cr_from, -1);
	ck_assert_uint_eq(r.cr_max, CTL_TAIL_CHUNK);
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"cmd\":\"tail\",\"args\":[\"web\","
	    "\"stderr\"],\"from\":12345678901,\"max\":10}", &r),
	    CTL_DEC_OK);
	ck_assert(r.cr_stderr);
	ck_assert_int_eq(r.cr_from, 12345678901LL);
	ck_assert_uint_eq(r.cr_max, 10);
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"cmd\":\"maintail\",\"lines\":0}",
	    &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_which, CTL_MAINTAIL);
	ck_assert_int_eq(r.cr_lines, 0);
	ctl_request_free(&r);
	ck_assert_int_eq(decode("{\"cmd\":\"clear\",\"args\":[\"a\","
	    "\"b\"]}", &r), CTL_DEC_OK);
	ck_assert_int_eq(r.cr_which, CTL_CLEAR);
	ctl_request_free(&r);

	assert_bad("{\"cmd\":\"tail\"}", "usage: tail NAME");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\",\"b\",\"c\"]}",
	    "usage: tail");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\",\"stdin\"]}",
	    "'stdin' is not stdout or stderr");
	assert_bad("{\"cmd\":\"maintail\",\"args\":[\"a\"]}",
	    "usage: maintail");
	assert_bad("{\"cmd\":\"clear\"}", "usage: clear NAME...");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"lines\":-1}",
	    "\"lines\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"lines\":1.5}",
	    "\"lines\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],"
	    "\"lines\":1000001}", "\"lines\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"from\":\"0\"}",
	    "\"from\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"max\":65537}",
	    "\"max\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"max\":0}",
	    "\"max\" must be");
	assert_bad("{\"cmd\":\"tail\",\"args\":[\"a\"],\"from\":1,"
	    "\"lines\":1}", "not both");

	/* output bytes as JSON: NULs kept, bad UTF-8 bytes become '?' */
	j = ctl_json_bytes("a\0b", 3);
	ck_assert_uint_eq(json_string_length(j), 3);
	ck_assert(memcmp(json_string_value(j), "a\0b", 3) == 0);
	json_decref(j);
	j = ctl_json_bytes("\xc3\xa9-\xff-\xed\xa0\x80-\xc0\xaf", 11);
	ck_assert_str_eq(json_string_value(j), "\xc3\xa9-?-??" "?-??");
	json_decref(j);
	j = ctl_json_bytes("", 0);
	ck_assert_str_eq(json_string_value(j), "");
	json_decref(j);
	/* a chunk does not end inside a character */
	ck_assert_uint_eq(ctl_utf8_cut("ab\xe2\x82", 4), 2);
	ck_assert_uint_eq(ctl_utf8_cut("ab\xe2\x82\xac", 5), 5);
	ck_assert_uint_eq(ctl_utf8_cut("ab\xc3", 3), 2);
	ck_assert_uint_eq(ctl_utf8_cut("abc", 3), 3);
	ck_assert_uint_eq(ctl_utf8_cut("\xf0\x9f", 2), 2);	/* never 0 */
	ck_assert_uint_eq(ctl_utf8_cut("\xc3", 1), 1);
}
END_TEST

/* --- notify datagrams ----------------------------------------------------- */

static int
parse_n(const char *s, size_t len, struct notify_msg *m)
{
	char	*b = exact(s, len);
	int	 rc;

	rc = notify_parse(b, len, m);
	free(b);
	return rc;
}

static int
parse(const char *s, struct notify_msg *m)
{
	return parse_n(s, strlen(s), m);
}

START_TEST(test_notify_ready_status)
{
	struct notify_msg	m;

	ck_assert_int_eq(parse("READY=1\nSTATUS=serving", &m), 0);
	ck_assert(m.nm_ready);
	ck_assert(m.nm_has_status);
	ck_assert_str_eq(m.nm_status, "serving");
	ck_assert(!m.nm_stopping && !m.nm_watchdog);
	ck_assert_int_eq(m.nm_mainpid, 0);
	ck_assert_int_eq(m.nm_extend_usec, -1);
	ck_assert_int_eq(m.nm_ignored, 0);
}
END_TEST

START_TEST(test_notify_all_fields)
{
	struct notify_msg	m;

	ck_assert_int_eq(parse("\nSTOPPING=1\n\nWATCHDOG=1\nMAINPID=4321\n"
	    "EXTEND_TIMEOUT_USEC=5000000\nSTATUS=\nFDSTORE=1\n", &m), 0);
	ck_assert(!m.nm_ready);
	ck_assert(m.nm_stopping && m.nm_watchdog);
	ck_assert_int_eq(m.nm_mainpid, 4321);
	ck_assert_int_eq(m.nm_extend_usec, 5000000);
	ck_assert(m.nm_has_status);
	ck_assert_str_eq(m.nm_status, "");
	ck_assert_int_eq(m.nm_ignored, 1);	/* FDSTORE=1 */
}
END_TEST

/* Whole lines only: no prefix, case or spacing variants. */
START_TEST(test_notify_exact_lines)
{
	struct notify_msg	m;

	ck_assert_int_eq(parse("READY=10\nready=1\n READY=1\nREADY=1\r\n"
	    "READY", &m), 0);
	ck_assert(!m.nm_ready);
	ck_assert_int_eq(m.nm_ignored, 5);
	/* the length ends the last line, not a NUL */
	ck_assert_int_eq(parse_n("READY=1X", 7, &m), 0);
	ck_assert(m.nm_ready);
	ck_assert_int_eq(parse_n("READY=1", 6, &m), 0);
	ck_assert(!m.nm_ready);
}
END_TEST

START_TEST(test_notify_bad_numbers)
{
	struct notify_msg	m;

	ck_assert_int_eq(parse("MAINPID=0\nMAINPID=abc\nMAINPID=-5\n"
	    "EXTEND_TIMEOUT_USEC=-1\nEXTEND_TIMEOUT_USEC=1e6\n"
	    "EXTEND_TIMEOUT_USEC=99999999999999999999\n"
	    "EXTEND_TIMEOUT_USEC=000000000000000000000000000000001", &m), 0);
	ck_assert_int_eq(m.nm_mainpid, 0);
	ck_assert_int_eq(m.nm_extend_usec, -1);
	ck_assert_int_eq(m.nm_ignored, 7);
	/* a bad value leaves an earlier good one */
	ck_assert_int_eq(parse("MAINPID=7\nMAINPID=x", &m), 0);
	ck_assert_int_eq(m.nm_mainpid, 7);
}
END_TEST

/* The status is escaped, bounded, and the last one counts. */
START_TEST(test_notify_status_sanitised)
{
	struct notify_msg	 m;
	char			*big;
	size_t			 n = NOTIFY_MSG_MAX - 7;

	ck_assert_int_eq(parse("STATUS=first\nSTATUS=a\x1b[31m\r\\b\tc\xff",
	    &m), 0);
	ck_assert_str_eq(m.nm_status, "a\\x1b[31m\\r\\\\b\tc\xff");
	big = malloc(NOTIFY_MSG_MAX);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "STATUS=", 7);
	memset(big + 7, '\x01', n);
	ck_assert_int_eq(notify_parse(big, NOTIFY_MSG_MAX, &m), 0);
	ck_assert_uint_lt(strlen(m.nm_status), NOTIFY_STATUS_MAX);
	ck_assert_uint_gt(strlen(m.nm_status), NOTIFY_STATUS_MAX - 8);
	ck_assert(strncmp(m.nm_status, "\\x01\\x01", 8) == 0);
	free(big);
}
END_TEST

/* A trailing NUL is allowed, another refuses it all; so does the size. */
START_TEST(test_notify_refused)
{
	struct notify_msg	 m;
	char			*big;

	ck_assert_int_eq(parse_n("READY=1\0", 8, &m), 0);
	ck_assert(m.nm_ready);
	ck_assert_int_eq(parse_n("READY=1\0STATUS=x", 16, &m), -1);
	ck_assert(!m.nm_ready && !m.nm_has_status);
	ck_assert_int_eq(m.nm_extend_usec, -1);
	ck_assert_int_eq(parse_n("\0", 1, &m), 0);
	ck_assert_int_eq(parse_n("\0\0", 2, &m), -1);
	ck_assert_int_eq(notify_parse(NULL, 0, &m), 0);
	ck_assert_int_eq(m.nm_ignored, 0);
	big = malloc(NOTIFY_MSG_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', NOTIFY_MSG_MAX + 1);
	memcpy(big, "READY=1", 7);
	ck_assert_int_eq(notify_parse(big, NOTIFY_MSG_MAX, &m), 0);
	ck_assert(m.nm_ready);
	ck_assert_int_eq(notify_parse(big, NOTIFY_MSG_MAX + 1, &m), -1);
	ck_assert(!m.nm_ready);
	free(big);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite	*s = suite_create("proto");
	TCase	*tc;

	tc = tcase_create("control");
	tcase_add_test(tc, test_ctl_stop_full);
	tcase_add_test(tc, test_ctl_every_command);
	tcase_add_test(tc, test_ctl_signal_parsed);
	tcase_add_test(tc, test_ctl_id_any_value);
	tcase_add_test(tc, test_ctl_blank_and_crlf);
	tcase_add_test(tc, test_ctl_bad_bytes_and_json);
	tcase_add_test(tc, test_ctl_bad_members);
	tcase_add_test(tc, test_ctl_bad_commands);
	tcase_add_test(tc, test_ctl_tail);
	suite_add_tcase(s, tc);

	tc = tcase_create("notify");
	tcase_add_test(tc, test_notify_ready_status);
	tcase_add_test(tc, test_notify_all_fields);
	tcase_add_test(tc, test_notify_exact_lines);
	tcase_add_test(tc, test_notify_bad_numbers);
	tcase_add_test(tc, test_notify_status_sanitised);
	tcase_add_test(tc, test_notify_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(proto_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

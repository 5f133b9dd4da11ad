/*
 * fuzz_control.c: libFuzzer target for ctl_request_decode(), which turns
 * one control socket line into a request (src/control_proto.c); drover's
 * ctl_cmd_line() calls it on every line a client sends.
 *
 * The input is one line without its '\n', not NUL-terminated.  Besides
 * ASan/UBSan findings it checks the contract: a blank line is nothing but
 * white space and holds nothing; an error has a code and a message; a
 * request names a known command with a valid number of non-empty
 * arguments, and, encoded again with jansson, decodes to the same request.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "control_proto.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static bool
all_blank(const uint8_t *data, size_t size)
{
	size_t	i;

	for (i = 0; i < size; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
			return false;
	return true;
}

static void
check_error(const struct ctl_request *r)
{
	CHECK(r->cr_error != NULL);
	CHECK(strcmp(r->cr_error, CTL_E_BAD_REQUEST) == 0);
	CHECK(memchr(r->cr_message, '\0', sizeof(r->cr_message)) != NULL);
	CHECK(r->cr_message[0] != '\0');
	if (r->cr_cmd != NULL || r->cr_id != NULL)
		CHECK(r->cr_json != NULL);
}

static void
check_request(const struct ctl_request *r)
{
	size_t	i;

	CHECK(r->cr_error == NULL && r->cr_message[0] == '\0');
	CHECK(r->cr_json != NULL && r->cr_cmd != NULL);
	CHECK((int)r->cr_which >= 0 && r->cr_which < CTL__MAX);
	CHECK(r->cr_args != NULL && r->cr_args[r->cr_nargs] == NULL);
	for (i = 0; i < r->cr_nargs; i++)
		CHECK(r->cr_args[i] != NULL && r->cr_args[i][0] != '\0');
	if (r->cr_which == CTL_SIGNAL)
		CHECK(r->cr_nargs == 2 && r->cr_signal >= 1 &&
		    r->cr_signal <= 64);
	else
		CHECK(r->cr_signal == 0);
	CHECK(r->cr_lines < 0 || r->cr_from < 0);
	CHECK(r->cr_max >= 1 && r->cr_max <= CTL_TAIL_CHUNK);
	if (r->cr_stderr)
		CHECK(r->cr_which == CTL_TAIL && r->cr_nargs == 2);
}

/* r as a client would send it: the same request must come back. */
static void
check_roundtrip(const struct ctl_request *r)
{
	struct ctl_request	 r2;
	json_t			*o, *args;
	char			*line;
	size_t			 i;

	args = json_array();
	for (i = 0; i < r->cr_nargs; i++)
		CHECK(json_array_append_new(args,
		    json_string(r->cr_args[i])) == 0);
	o = json_pack("{s:s, s:o, s:b}", "cmd", r->cr_cmd, "args", args,
	    "wait", r->cr_wait);
	CHECK(o != NULL);
	if (r->cr_id != NULL)
		CHECK(json_object_set(o, "id", r->cr_id) == 0);
	if (r->cr_lines >= 0)
		CHECK(json_object_set_new(o, "lines",
		    json_integer(r->cr_lines)) == 0);
	if (r->cr_from >= 0)
		CHECK(json_object_set_new(o, "from",
		    json_integer(r->cr_from)) == 0);
	CHECK(json_object_set_new(o, "max", json_integer((json_int_t)
	    r->cr_max)) == 0);
	CHECK((line = json_dumps(o, JSON_COMPACT)) != NULL);
	CHECK(ctl_request_decode(line, strlen(line), &r2) == CTL_DEC_OK);
	CHECK(r2.cr_which == r->cr_which && r2.cr_nargs == r->cr_nargs);
	CHECK(strcmp(r2.cr_cmd, r->cr_cmd) == 0);
	for (i = 0; i < r->cr_nargs; i++)
		CHECK(strcmp(r2.cr_args[i], r->cr_args[i]) == 0);
	CHECK(r2.cr_wait == r->cr_wait && r2.cr_signal == r->cr_signal);
	CHECK(r2.cr_lines == r->cr_lines && r2.cr_from == r->cr_from &&
	    r2.cr_max == r->cr_max && r2.cr_stderr == r->cr_stderr);
	CHECK((r->cr_id == NULL) == (r2.cr_id == NULL));
	if (r->cr_id != NULL)
		CHECK(json_equal(r->cr_id, r2.cr_id));
	ctl_request_free(&r2);
	free(line);
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request	r;
	json_t			*j;
	size_t			 cut;

	/* tail's data: any bytes make a string of the same length */
	CHECK((j = ctl_json_bytes((const char *)data, size)) != NULL);
	CHECK(json_string_length(j) == size);
	json_decref(j);
	cut = ctl_utf8_cut((const char *)data, size);
	CHECK(cut <= size && (size == 0 || cut > 0) && size - cut <= 3);

	switch (ctl_request_decode((const char *)data, size, &r)) {
	case CTL_DEC_BLANK:
		CHECK(all_blank(data, size));
		CHECK(r.cr_json == NULL && r.cr_args == NULL);
		CHECK(r.cr_cmd == NULL && r.cr_error == NULL);
		break;
	case CTL_DEC_ERROR:
		CHECK(!all_blank(data, size));
		check_error(&r);
		break;
	case CTL_DEC_OK:
		CHECK(!all_blank(data, size));
		check_request(&r);
		check_roundtrip(&r);
		break;
	default:
		abort();
	}
	ctl_request_free(&r);
	CHECK(r.cr_json == NULL && r.cr_args == NULL && r.cr_cmd == NULL);
	return 0;
}

/*
 * control_proto.c: decoding a control request line (droverctl(1)).
 *
 * Everything that can be said about a request without looking at the
 * jobs is checked here: the bytes, the JSON, the members' types, the
 * command, its number of arguments and the signal of "signal".  What
 * remains for control_cmd.c (names, shutdown refusals) needs the daemon.
 * The envelope of every reply is built here too, for control.c and
 * control_cmd.c alike.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"
#include "control_proto.h"
#include "value.h"
#include "xmalloc.h"

static const struct {
	const char	*name;
	int		 min, max;	/* arguments; max -1: any number */
	const char	*usage;
} syntax[CTL__MAX] = {
	[CTL_STATUS] = { "status", 0, -1, "status [NAME...]" },
	[CTL_START] = { "start", 1, -1, "start NAME..." },
	[CTL_STOP] = { "stop", 1, -1, "stop NAME..." },
	[CTL_RESTART] = { "restart", 1, -1, "restart NAME..." },
	[CTL_RUN] = { "run", 1, -1, "run TASK..." },
	[CTL_SIGNAL] = { "signal", 2, 2, "signal NAME SIGNAL" },
	[CTL_RELOAD] = { "reload", 0, 0, "reload" },
	[CTL_SHUTDOWN] = { "shutdown", 0, 0, "shutdown" },
	[CTL_VERSION] = { "version", 0, 0, "version" },
	[CTL_TAIL] = { "tail", 1, 2, "tail NAME [stdout|stderr]" },
	[CTL_MAINTAIL] = { "maintail", 0, 0, "maintail" },
	[CTL_CLEAR] = { "clear", 1, -1, "clear NAME..." },
	[CTL_HISTORY] = { "history", 1, -1, "history NAME..." },
	[CTL_METRICS] = { "metrics", 0, 0, "metrics" },
};

static enum ctl_decode __attribute__((format(printf, 2, 3)))
decode_error(struct ctl_request *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(r->cr_message, sizeof(r->cr_message), fmt, ap);
	va_end(ap);
	r->cr_error = CTL_E_BAD_REQUEST;
	return CTL_DEC_ERROR;
}

/* A member that is an integer in [min, max], or absent (*out = -1). */
static bool
member_int(json_t *req, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	json_t	*v = json_object_get(req, key);

	*out = -1;
	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* tail's members: lines, from, max. */
static const char *
tail_members(struct ctl_request *r)
{
	json_t	*req = r->cr_json;
	int64_t	 max;

	if (!member_int(req, "lines", 0, CTL_TAIL_LINES, &r->cr_lines))
		return "\"lines\" must be a number of lines from 0 to 1000000";
	if (!member_int(req, "from", 0, INT64_MAX, &r->cr_from))
		return "\"from\" must be an offset, 0 or more";
	if (!member_int(req, "max", 1, CTL_TAIL_CHUNK, &max))
		return "\"max\" must be a number of bytes from 1 to 65536";
	if (r->cr_lines >= 0 && r->cr_from >= 0)
		return "give \"lines\" or \"from\", not both";
	r->cr_max = max > 0 ? (size_t)max : CTL_TAIL_CHUNK;
	return NULL;
}

/* The members' types; the error text, or NULL. */
static const char *
request_members(struct ctl_request *r)
{
	json_t	*req = r->cr_json, *cmd, *args, *wait, *a;
	size_t	 i;

	if (!json_is_object(req))
		return "a request is a JSON object";
	r->cr_id = json_object_get(req, "id");
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd))
		return "\"cmd\" must be a string";
	r->cr_cmd = json_string_value(cmd);
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_array(args))
		return "\"args\" must be an array of strings";
	r->cr_nargs = json_array_size(args);
	r->cr_args = xcalloc(r->cr_nargs + 1, sizeof(*r->cr_args));
	json_array_foreach(args, i, a) {
		if (!json_is_string(a) || json_string_length(a) == 0)
			return "\"args\" must be an array of non-empty strings";
		r->cr_args[i] = json_string_value(a);
	}
	wait = json_object_get(req, "wait");
	if (wait != NULL && !json_is_boolean(wait))
		return "\"wait\" must be true or false";
	r->cr_wait = wait == NULL || json_is_true(wait);
	return tail_members(r);
}

/* The command and its arguments. */
static enum ctl_decode
request_command(struct ctl_request *r)
{
	size_t	i;

	for (i = 0; i < CTL__MAX; i++)
		if (strcmp(syntax[i].name, r->cr_cmd) == 0)
			break;
	if (i == CTL__MAX)
		return decode_error(r, "unknown command '%s'", r->cr_cmd);
	r->cr_which = (enum ctl_cmd)i;
	if (r->cr_nargs < (size_t)syntax[i].min || (syntax[i].max >= 0 &&
	    r->cr_nargs > (size_t)syntax[i].max))
		return decode_error(r, "usage: %s", syntax[i].usage);
	if (r->cr_which == CTL_SIGNAL &&
	    value_signal(r->cr_args[1], &r->cr_signal) == -1)
		return decode_error(r, "unknown signal '%s'", r->cr_args[1]);
	if (r->cr_which == CTL_TAIL && r->cr_nargs == 2) {
		if (strcmp(r->cr_args[1], "stderr") != 0 &&
		    strcmp(r->cr_args[1], "stdout") != 0)
			return decode_error(r, "tail: '%s' is not stdout or "
			    "stderr", r->cr_args[1]);
		r->cr_stderr = strcmp(r->cr_args[1], "stderr") == 0;
	}
	return CTL_DEC_OK;
}

/*
 * One line, without its '\n' and not NUL-terminated.  Trailing white
 * space (a "\r\n" client) is dropped first.  Call ctl_request_free()
 * whatever the result.
 */
enum ctl_decode
ctl_request_decode(const char *line, size_t len, struct ctl_request *r)
{
	json_error_t	 jerr;
	const char	*err;

	memset(r, 0, sizeof(*r));
	r->cr_wait = true;
	r->cr_lines = r->cr_from = -1;
	r->cr_max = CTL_TAIL_CHUNK;
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
	    line[len - 1] == '\t'))
		len--;
	if (len == 0)
		return CTL_DEC_BLANK;
	if (memchr(line, '\0', len) != NULL)
		return decode_error(r, "NUL byte in request");
	r->cr_json = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->cr_json == NULL)
		return decode_error(r, "malformed JSON: %s (column %d)",
		    jerr.text, jerr.column);
	if ((err = request_members(r)) != NULL)
		return decode_error(r, "%s", err);
	return request_command(r);
}

void
ctl_request_free(struct ctl_request *r)
{
	free(r->cr_args);
	if (r->cr_json != NULL)
		json_decref(r->cr_json);
	r->cr_args = NULL;
	r->cr_json = NULL;
	r->cr_cmd = NULL;
	r->cr_id = NULL;
}

/* --- replies ------------------------------------------------------------ */

static void
jset(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

/* A JSON string; bytes that are not UTF-8 become '?'. */
json_t *
ctl_json_str(const char *s)
{
	json_t	*j;
	char	*c, *p;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	c = xstrdup(s);
	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

/* The length of the valid UTF-8 sequence at s (as jansson checks it:
 * no overlong forms, no surrogates, at most U+10FFFF), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *
ctl_json_bytes(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	json_t			*j;
	char			*c;
	size_t			 i, len;

	if (n == 0)
		return json_string("");
	if ((j = json_stringn(s, n)) != NULL)
		return j;
	c = xmalloc(n);
	for (i = 0; i < n; i += len) {
		if ((len = utf8_len(u + i, n - i)) == 0) {
			c[i] = '?';
			len = 1;
		} else
			memcpy(c + i, s + i, len);
	}
	j = json_stringn(c, n);
	free(c);
	return j;
}

size_t
ctl_utf8_cut(const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k, need;

	for (k = 1; k <= 3 && k < n; k++) {
		if ((u[n - k] & 0xc0) == 0x80)
			continue;		/* a continuation byte */
		if (u[n - k] < 0xc0)
			return n;
		need = u[n - k] >= 0xf0 ? 4 : u[n - k] >= 0xe0 ? 3 : 2;
		return need > k ? n - k : n;
	}
	return n;
}

/* The envelope of a reply: ok, and the request's cmd and id if known. */
json_t *
ctl_reply_new(const struct ctl_request *r, bool ok)
{
	json_t	*o = json_object();

	jset(o, "ok", json_boolean(ok));
	if (r != NULL && r->cr_cmd != NULL)
		jset(o, "cmd", ctl_json_str(r->cr_cmd));
	if (r != NULL && r->cr_id != NULL)
		json_object_set(o, "id", r->cr_id);
	return o;
}

json_t *
ctl_reply_verror(const struct ctl_request *r, const char *code, const char *fmt,
    va_list ap)
{
	json_t	*o = ctl_reply_new(r, false);
	char	 msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	jset(o, "error", ctl_json_str(code));
	jset(o, "message", ctl_json_str(msg));
	return o;
}

json_t *
ctl_reply_error(const char *code, const char *fmt, ...)
{
	va_list	 ap;
	json_t	*o;

	va_start(ap, fmt);
	o = ctl_reply_verror(NULL, code, fmt, ap);
	va_end(ap);
	return o;
}

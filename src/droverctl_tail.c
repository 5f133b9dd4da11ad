/*
 * droverctl_tail.c: droverctl tail and maintail.  They send several
 * requests on one connection: the chunks of what is kept, then, with -f,
 * a request for what came since every TAIL_POLL_MS (the follower polls,
 * so the daemon keeps no state for it).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "droverctl_int.h"
#include "value.h"
#include "xmalloc.h"

#define TAIL_POLL_MS		200

struct tailopts {
	bool		 follow;
	long		 lines;
	const char	*name;		/* tail: NAME */
	const char	*stream;	/* tail: stdout, stderr or NULL */
};

/* The command's own options: [-f] [-n N], then its arguments. */
static int
tail_parse(int argc, char **argv, struct tailopts *t)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	bool	main_log = strcmp(argv[0], "maintail") == 0;
	int	ch;

	memset(t, 0, sizeof(*t));
	t->lines = 10;
	optind = 0;		/* glibc: start again, on these arguments */
	while ((ch = getopt_long(argc, argv, "fn:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			t->follow = true;
			break;
		case 'n':
			if (value_int(optarg, 0, 1000000, &t->lines) == 0)
				break;
			fprintf(stderr, "droverctl: %s: invalid number of "
			    "lines '%s' (expected 0 to 1000000)\n", argv[0],
			    optarg);
			return -1;
		default:
			return -1;
		}
	}
	argc -= optind;
	argv += optind;
	if (main_log ? argc != 0 : argc < 1 || argc > 2) {
		fprintf(stderr, "droverctl: usage: %s\n", main_log ?
		    "maintail [-f] [-n N]" :
		    "tail [-f] [-n N] NAME [stdout|stderr]");
		return -1;
	}
	if (main_log)
		return 0;
	t->name = argv[0];
	t->stream = argc == 2 ? argv[1] : NULL;
	if (t->stream != NULL && strcmp(t->stream, "stdout") != 0 &&
	    strcmp(t->stream, "stderr") != 0) {
		fprintf(stderr, "droverctl: tail: '%s' is not stdout or "
		    "stderr\n", t->stream);
		return -1;
	}
	return 0;
}

/* One request line: the last lines (from < 0), or from an offset. */
static char *
tail_request(const char *cmd, const struct tailopts *t, long long from)
{
	json_t	*req = json_object(), *a = json_array();
	char	*s, *line;

	json_object_set_new(req, "cmd", json_string(cmd));
	if (t->name != NULL && json_array_append_new(a,
	    json_string(t->name)) == -1) {
		fprintf(stderr, "droverctl: the name is not valid UTF-8\n");
		exit(EX_USAGE);
	}
	if (t->stream != NULL)
		json_array_append_new(a, json_string(t->stream));
	json_object_set_new(req, "args", a);
	if (from < 0)
		json_object_set_new(req, "lines", json_integer(t->lines));
	else
		json_object_set_new(req, "from", json_integer(from));
	if ((s = json_dumps(req, JSON_COMPACT)) == NULL)
		exit(EX_FAILED);
	json_decref(req);
	xasprintf(&line, "%s\n", s);
	free(s);
	return line;
}

/* Wait ms between two polls; true if drover closed the connection. */
static bool
tail_pause(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		rc;

	fflush(stdout);
	rc = poll(&pfd, 1, ms);
	return rc > 0;		/* nothing is sent unasked: EOF or error */
}

/* One reply: print it; -1 to go on, or the exit status. */
static int
tail_print(json_t *reply, const char *line, bool json, long long asked,
    long long *from, long long *next, long long *end)
{
	json_t	*data = json_object_get(reply, "data");

	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "droverctl: %s\n", sget(reply, "message"));
		return exit_code(reply);
	}
	if (!json_is_string(data) || !iget(reply, "from", from) ||
	    !iget(reply, "next", next) || !iget(reply, "end", end)) {
		fprintf(stderr, "droverctl: bad reply from drover\n");
		return EX_FAILED;
	}
	if (json)
		printf("%s\n", line);
	else
		fwrite(json_string_value(data), 1, json_string_length(data),
		    stdout);
	if (asked >= 0 && *from > asked)
		fprintf(stderr, "droverctl: %lld bytes were overwritten before "
		    "they could be read\n", *from - asked);
	return -1;
}

/*
 * What is kept, in chunks, up to the end the first reply gave; with -f,
 * then whatever comes, polling.  An end below our offset means a clear:
 * drover clamps, and we go on from its end.
 */
static int
tail_loop(int fd, const char *cmd, const struct tailopts *t, bool json)
{
	json_error_t	 jerr;
	json_t		*reply;
	char		*req, *line;
	long long	 asked = -1, from = 0, next = 0, end = 0, stop = -1;
	int		 rc;

	if (t->follow)
		watch_signals();	/* SIGINT ends it: close, exit 0 */
	while (!watch_stop) {
		req = tail_request(cmd, t, asked);
		line = send_all(fd, req) ? read_line(fd, REPLY_TIMEOUT_MS) :
		    NULL;
		free(req);
		if (line == NULL) {
			fprintf(stderr, "droverctl: no reply from drover\n");
			return EX_FAILED;
		}
		if ((reply = json_loads(line, 0, &jerr)) == NULL) {
			fprintf(stderr, "droverctl: bad reply from drover: "
			    "%s\n", jerr.text);
			free(line);
			return EX_FAILED;
		}
		rc = tail_print(reply, line, json, asked, &from, &next, &end);
		json_decref(reply);
		free(line);
		if (rc >= 0)
			return rc;
		if (stop < 0)
			stop = end;
		asked = next;
		if (next > from && next < (t->follow ? end : stop))
			continue;		/* more is there now */
		if (!t->follow)
			return 0;
		if (tail_pause(fd, TAIL_POLL_MS)) {
			fprintf(stderr, "droverctl: drover closed the "
			    "connection\n");
			return EX_FAILED;
		}
	}
	return 0;
}

int
tail_main(const struct options *o, int argc, char **argv)
{
	struct tailopts	 t;
	char		*path;
	int		 fd, rc;

	if (tail_parse(argc, argv, &t) == -1)
		return EX_USAGE;
	path = socket_path(o);
	if ((fd = ctl_connect(path)) == -1) {
		fprintf(stderr, "droverctl: cannot connect to %s: %s\n", path,
		    strerror(errno));
		free(path);
		return EX_CONNECT;
	}
	free(path);
	rc = tail_loop(fd, argv[0], &t, o->json);
	close(fd);
	fflush(stdout);
	return rc;
}

/*
 * droverctl.c: the control client (droverctl(1)).
 *
 * Sends one request line to drover's control socket, reads one reply
 * line, prints it (a table for status, the raw line with --json) and turns
 * it into an exit status: 0 success, 1 failure or refusal, 2 usage or bad
 * request, 3 unknown job, 4 cannot connect.  A client may block: nothing
 * else runs here.  This file: the options, the commands, main();
 * tail and maintail are in droverctl_tail.c, status --watch in
 * droverctl_watch.c (droverctl_int.h draws the rest).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "droverctl_int.h"

struct command {
	const char	*name;
	int		 min, max;	/* arguments; -1: any number */
	bool		 waits;		/* drover replies when it is done */
};

static const struct command commands[] = {
	{ "status", 0, -1, false },
	{ "start", 1, -1, true },
	{ "stop", 1, -1, true },
	{ "restart", 1, -1, true },
	{ "run", 1, -1, true },
	{ "signal", 2, 2, false },
	{ "reload", 0, 0, false },
	{ "shutdown", 0, 0, false },
	{ "version", 0, 0, false },
	{ "tail", 1, 4, false },	/* options counted: checked again */
	{ "maintail", 0, 3, false },
	{ "clear", 1, -1, false },
	{ "history", 1, -1, false },
	{ "metrics", 0, 0, false },
	{ "names", 0, 0, false },	/* hidden: for shell completion */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: droverctl [-s SOCKET | -c CONFIG] [--json] "
	    "[--no-wait] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status [--watch [SECS]] [NAME...]\n"
	    "                       one line per instance\n"
	    "  start NAME...        start, wait until running\n"
	    "  stop NAME...         stop, wait until stopped\n"
	    "  restart NAME...      stop and start again\n"
	    "  run TASK...          run a task now\n"
	    "  signal NAME SIGNAL   send a signal to the main process\n"
	    "  reload               reload the configuration\n"
	    "  shutdown             shut drover down gracefully\n"
	    "  version              drover's version\n"
	    "  tail [-f] [-n N] NAME [stdout|stderr]\n"
	    "                       the last N lines (10) an instance wrote\n"
	    "  maintail [-f] [-n N] the last N lines of drover's own log\n"
	    "  clear NAME...        forget what tail would show\n"
	    "  history NAME...      the last runs kept (the history key)\n"
	    "  metrics              Prometheus metrics (text format)\n"
	    "NAME: an instance, a job (all its instances), JOB:N, JOB:*, "
	    "GROUP:*, all\n"
	    "options:\n"
	    "  -s, --socket PATH    control socket\n"
	    "  -c, --config FILE    read the socket path from a configuration\n"
	    "  -j, --json           print drover's reply as JSON\n"
	    "  -n, --no-wait        reply at once, do not wait for the jobs\n"
	    "  -w, --watch[=SECS]   status: redraw every SECS (2), q quits\n"
	    "  -V, --version        droverctl's version\n"
	    "  -h, --help           this help\n");
}

static const struct command *
command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	/* "+": stop at the command, so "signal web -HUP" is not an option */
	while ((ch = getopt_long(argc, argv, "+s:c:jnw::Vh", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 's': o->socket = optarg; break;
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case 'n': o->no_wait = true; break;
		case 'w':
			if (watch_seconds(optarg, &o->watch) == -1)
				exit(EX_USAGE);
			break;
		case 'V':
			printf("droverctl %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EX_USAGE);
		}
	}
	return optind;
}

/* --- main --------------------------------------------------------------- */

static char *
build_request(const char *cmd, char **args, int nargs, bool no_wait)
{
	json_t	*req = json_object(), *a = json_array();
	char	*s;
	int	 i;

	/* names is status, printed differently */
	json_object_set_new(req, "cmd", json_string(strcmp(cmd, "names") ==
	    0 ? "status" : cmd));
	for (i = 0; i < nargs; i++) {
		if (json_array_append_new(a, json_string(args[i])) == -1) {
			fprintf(stderr, "droverctl: argument %d is not "
			    "valid UTF-8\n", i + 1);
			exit(EX_USAGE);
		}
	}
	json_object_set_new(req, "args", a);
	if (no_wait)
		json_object_set_new(req, "wait", json_false());
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (s == NULL)
		exit(EX_FAILED);
	return s;
}

int
main(int argc, char **argv)
{
	struct options		 o;
	const struct command	*c;
	json_t			*reply;
	char			*path, *req, *line, err[512];
	int			 first, nargs, rc;

	first = parse_options(argc, argv, &o);
	if (first >= argc || (c = command_find(argv[first])) == NULL) {
		if (first < argc)
			fprintf(stderr, "droverctl: unknown command '%s'\n",
			    argv[first]);
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(c->name, "tail") == 0 || strcmp(c->name, "maintail") == 0)
		return tail_main(&o, argc - first, argv + first);
	nargs = argc - first - 1;
	if (strcmp(c->name, "status") == 0)
		nargs = watch_args(argv + first + 1, nargs, &o);
	if (nargs < c->min || (c->max >= 0 && nargs > c->max)) {
		fprintf(stderr, "droverctl: wrong number of arguments for "
		    "%s\n", c->name);
		usage(stderr);
		return EX_USAGE;
	}
	if (o.watch > 0 && strcmp(c->name, "status") != 0) {
		fprintf(stderr, "droverctl: --watch is for status\n");
		return EX_USAGE;
	}
	req = build_request(c->name, argv + first + 1, nargs, o.no_wait);
	path = socket_path(&o);
	if (o.watch > 0) {
		rc = watch_status(path, req, &o);
		free(path);
		free(req);
		return rc;
	}
	reply = exchange(path, req, c->waits && !o.no_wait ? -1 :
	    REPLY_TIMEOUT_MS, &line, err, sizeof(err), &rc);
	free(path);
	free(req);
	if (reply == NULL) {
		fprintf(stderr, "droverctl: %s\n", err);
		return rc;
	}
	if (o.json)
		printf("%s\n", line);
	else if (json_is_true(json_object_get(reply, "ok")))
		print_reply(c->name, reply);
	else {
		fprintf(stderr, "droverctl: %s\n", sget(reply, "message"));
		print_instances(stdout, reply);
	}
	rc = exit_code(reply);
	json_decref(reply);
	free(line);
	return rc;
}

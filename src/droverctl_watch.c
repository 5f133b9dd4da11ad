/*
 * droverctl_watch.c: droverctl status --watch: the status redrawn in
 * place every few seconds, as watch(1) would, until q or a signal; with
 * --json, a reply per line.
 */
#include <sys/ioctl.h>

#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "droverctl_int.h"

#define WATCH_DEFAULT		2.0		/* seconds, as watch(1) */
#define WATCH_MIN		0.1
#define WATCH_TIMEOUT_MS	5000		/* a frame's reply */

int
watch_seconds(const char *s, double *secs)
{
	char	*end;
	double	 v;

	if (s == NULL) {
		*secs = WATCH_DEFAULT;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || v < WATCH_MIN ||
	    v > 86400) {
		fprintf(stderr, "droverctl: --watch %s: seconds from %.1f to "
		    "86400\n", s, WATCH_MIN);
		return -1;
	}
	*secs = v;
	return 0;
}

/*
 * status's own arguments: --watch [SECS], -w [SECS], --watch=SECS among
 * the names (a name is never a number).  Returns the names left, moved
 * to the front.
 */
int
watch_args(char **args, int n, struct options *o)
{
	char	*end;
	int	 i, k = 0;

	for (i = 0; i < n; i++) {
		if (strncmp(args[i], "--watch=", 8) == 0) {
			if (watch_seconds(args[i] + 8, &o->watch) == -1)
				exit(EX_USAGE);
		} else if (strcmp(args[i], "--watch") == 0 ||
		    strcmp(args[i], "-w") == 0) {
			o->watch = WATCH_DEFAULT;
			if (i + 1 < n && (strtod(args[i + 1], &end), *end ==
			    '\0') && watch_seconds(args[++i], &o->watch) == -1)
				exit(EX_USAGE);
		} else
			args[k++] = args[i];
	}
	return k;
}

/* One frame into f: a title line, then the status (or what went wrong). */
static void
watch_frame(FILE *f, const char *path, const char *req, const struct
    options *o)
{
	json_t	*reply;
	char	*line, err[512], now[32];
	int	 rc;

	fmt_wall((long long)time(NULL) * 1000, now, sizeof(now));
	fprintf(f, "droverctl status, every %gs (q quits)    %s\n\n",
	    o->watch, now);
	if ((reply = exchange(path, req, WATCH_TIMEOUT_MS, &line, err,
	    sizeof(err), &rc)) == NULL) {
		fprintf(f, "droverctl: %s\n", err);
		return;
	}
	if (!json_is_true(json_object_get(reply, "ok")))
		fprintf(f, "droverctl: %s\n", sget(reply, "message"));
	print_shutdown(f, reply);
	print_instances(f, reply);
	json_decref(reply);
	free(line);
}

/*
 * Draw a frame over the last one: cursor home, each line cut to the
 * width and followed by clear-to-end-of-line, then clear-to-end-of-
 * screen.  Nothing is erased before it is overwritten, and the whole
 * frame goes out in one write: no flicker.
 */
static void
watch_draw(const char *text, size_t len)
{
	struct winsize	 ws;
	FILE		*f;
	char		*out = NULL;
	const char	*p = text, *end = text + len, *nl;
	size_t		 outlen = 0, w;
	int		 cols = 0, rows = 0, row = 0;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	if ((f = open_memstream(&out, &outlen)) == NULL)
		return;
	fputs("\033[H", f);
	for (; p < end && (rows == 0 || row < rows - 1); p = nl + 1, row++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		w = (size_t)(nl - p);
		/* cols - 1: in the last column, \033[K may erase that one */
		if (cols > 1 && w > (size_t)cols - 1)
			w = (size_t)cols - 1;
		fwrite(p, 1, w, f);
		fputs("\033[K\n", f);
	}
	fputs("\033[J", f);
	fclose(f);
	fwrite(out, 1, outlen, stdout);
	fflush(stdout);
	free(out);
}

/* Wait for the next frame: false once q, SIGINT or SIGTERM says stop. */
static bool
watch_wait(bool keys, int64_t ms)
{
	struct pollfd	pfd = { STDIN_FILENO, POLLIN, 0 };
	char		ch;

	if (watch_stop)
		return false;
	if (poll(&pfd, keys ? 1 : 0, (int)ms) == 1) {
		if (read(STDIN_FILENO, &ch, 1) != 1 || ch == 'q' || ch == 'Q')
			watch_stop = 1;	/* q, or the terminal went away */
	}
	return !watch_stop;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* droverctl status --watch: a frame every o->watch seconds until q. */
int
watch_status(const char *path, const char *req, const struct options *o)
{
	struct termios	 saved, raw;
	bool		 tty = isatty(STDOUT_FILENO), keys;
	char		*text = NULL, *line, err[512];
	size_t		 len = 0;
	int64_t		 next, left;
	json_t		*reply;
	FILE		*f;
	int		 rc;

	watch_signals();
	keys = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (keys) {		/* q without Enter, and not echoed */
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (tty)
		fputs("\033[?25l\033[H\033[2J", stdout);	/* once */
	do {
		next = mono_ms() + (int64_t)(o->watch * 1000);
		if (o->json) {	/* a reply per line, for a program */
			if ((reply = exchange(path, req, WATCH_TIMEOUT_MS,
			    &line, err, sizeof(err), &rc)) == NULL)
				fprintf(stderr, "droverctl: %s\n", err);
			else {
				printf("%s\n", line);
				json_decref(reply);
				free(line);
			}
			fflush(stdout);
		} else if ((f = open_memstream(&text, &len)) != NULL) {
			watch_frame(f, path, req, o);
			fclose(f);
			if (watch_stop) {	/* cut short: not a frame */
				free(text);
				break;
			}
			if (tty)
				watch_draw(text, len);
			else {
				fwrite(text, 1, len, stdout);
				fputs("\n", stdout);
				fflush(stdout);
			}
			free(text);
			text = NULL;
		}
		while ((left = next - mono_ms()) > 0 && !watch_redraw &&
		    watch_wait(keys, left))
			;
		watch_redraw = 0;
	} while (!watch_stop);
	if (tty) {
		fputs("\033[?25h", stdout);	/* the cursor back */
		fflush(stdout);
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return 0;
}

/*
 * droverctl_conn.c: droverctl's side of the control socket: which socket,
 * connecting, sending a request, reading a reply line, one exchange; and
 * the signals that end a wait (status --watch, tail -f).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "droverctl_int.h"
#include "xmalloc.h"

#define REPLY_MAX		(64 * 1024 * 1024)

/* -s, else the socket of -c's configuration, else $DROVER_SOCKET, else
 * the default (drover's default for this user). */
char *
socket_path(const struct options *o)
{
	struct config_env	 env;
	struct diag		 dg;
	struct config		*conf;
	const char		*s;
	char			*path;
	int			 i;

	if (o->socket != NULL)
		return xstrdup(o->socket);
	config_env_default(&env);
	if (o->config == NULL) {
		s = getenv("DROVER_SOCKET");
		return xstrdup(s != NULL && *s != '\0' ? s :
		    env.default_socket);
	}
	diag_init(&dg);
	conf = config_load(o->config, &env, &dg);
	for (i = 0; i < dg.nerrors; i++)
		fprintf(stderr, "droverctl: %s\n", dg.errors[i]);
	diag_free(&dg);
	if (conf == NULL)
		exit(EX_USAGE);
	if (conf->socket == NULL) {
		fprintf(stderr, "droverctl: %s: the control socket is "
		    "disabled\n", o->config);
		exit(EX_CONNECT);
	}
	path = xstrdup(conf->socket);
	config_free(conf);
	return path;
}

int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send all of s; false if the peer is gone. */
bool
send_all(int fd, const char *s)
{
	size_t	len = strlen(s), off = 0;
	ssize_t	n;

	while (off < len) {
		n = send(fd, s + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

/* Send the request; a peer that closed early may have replied anyway. */
static void
send_line(int fd, const char *s)
{
	if (send_all(fd, s))
		shutdown(fd, SHUT_WR);
}

/* status --watch: set by SIGINT, SIGTERM, SIGHUP (and q); SIGWINCH asks
 * for a redraw at once. */
volatile sig_atomic_t	watch_stop, watch_redraw;

/* One reply line, or NULL (closed, timed out, too long). */
char *
read_line(int fd, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		*buf = NULL, *nl;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == -1 && errno == EINTR && !watch_stop)
			continue;
		if (rc <= 0)
			break;		/* timed out */
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL) {
			*nl = '\0';
			return buf;
		}
		if (len > REPLY_MAX)
			break;
	}
	free(buf);
	return NULL;
}

/*
 * One request, one reply: the reply (and its line in *linep), or NULL
 * with the error in err and the exit status in *rc.
 */
json_t *
exchange(const char *path, const char *req, int timeout_ms, char **linep,
    char *err, size_t errsz, int *rc)
{
	json_error_t	 jerr;
	json_t		*reply;
	char		*line;
	int		 fd;

	if ((fd = ctl_connect(path)) == -1) {
		snprintf(err, errsz, "cannot connect to %s: %s", path,
		    strerror(errno));
		*rc = EX_CONNECT;
		return NULL;
	}
	xasprintf(&line, "%s\n", req);
	send_line(fd, line);
	free(line);
	line = read_line(fd, timeout_ms);
	close(fd);
	*rc = EX_FAILED;
	if (line == NULL) {
		snprintf(err, errsz, "no reply from drover on %s", path);
		return NULL;
	}
	if ((reply = json_loads(line, 0, &jerr)) == NULL ||
	    !json_is_object(reply)) {
		snprintf(err, errsz, "bad reply from drover: %s",
		    reply == NULL ? jerr.text : "not an object");
		json_decref(reply);
		free(line);
		return NULL;
	}
	*linep = line;
	return reply;
}

static void
watch_sig(int sig)
{
	if (sig == SIGWINCH)
		watch_redraw = 1;
	else
		watch_stop = 1;
}

/* No SA_RESTART: the signal ends the poll() the loop waits in. */
void
watch_signals(void)
{
	struct sigaction	sa;
	static const int	sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_sig;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

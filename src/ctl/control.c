/*
 * control.c: the control socket (SPEC 10) and its connections.
 *
 * A unix stream socket, created under a temporary name with its final
 * mode and group and renamed into place, so it never exists half set up
 * and a stale one is replaced atomically.  A socket that still answers
 * belongs to a live drover: then we refuse to start.
 *
 * Each connection is a bufferevent (a slow reader never blocks the loop)
 * and is checked with SO_PEERCRED when it is accepted.  Requests are lines
 * of JSON handled one at a time (control_cmd.c); a request that waits
 * (stop) holds the next ones until it has replied.  Limits: a request line
 * of CONTROL_MAX_REQUEST bytes, CONTROL_MAX_CONNS connections (one more is
 * told so and closed), CONTROL_IDLE_MS without a request or without write
 * progress, and a spare fd so that EMFILE means "accept and close" rather
 * than a listener that stays readable forever (smtpd CONTROL_FD_RESERVE).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "bus.h"
#include "control.h"
#include "control_int.h"
#include "control_proto.h"
#include "drover.h"
#include "log.h"
#include "xmalloc.h"

#define CONTROL_BATCH		16		/* requests per callback */
#define CONTROL_OUT_HIGH	(256 * 1024)	/* unsent bytes: stop reading */
#define CONTROL_PAUSE_MS	1000		/* accept paused after EMFILE */

enum probe { PROBE_FREE, PROBE_STALE, PROBE_LIVE, PROBE_NOTSOCK, PROBE_ERROR };

static void	conn_process(struct ctl_conn *);
static void	conn_free(struct ctl_conn *);

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static int
sun_fill(struct sockaddr_un *sun, const char *path)
{
	size_t	len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* What is at path: nothing, a dead socket, or one something listens on. */
static enum probe
socket_probe(const char *path)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd, rc, err;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? PROBE_FREE : PROBE_ERROR;
	if (!S_ISSOCK(st.st_mode))
		return PROBE_NOTSOCK;
	if (sun_fill(&sun, path) == -1)
		return PROBE_ERROR;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return PROBE_ERROR;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	close(fd);
	/* EAGAIN: its backlog is full, so it is alive */
	if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
		return PROBE_LIVE;
	if (err == ECONNREFUSED)
		return PROBE_STALE;
	if (err == ENOENT)
		return PROBE_FREE;
	errno = err;
	return PROBE_ERROR;
}

/* A temporary name in the socket's directory, or NULL if too long. */
static char *
socket_temp_name(const char *path)
{
	const char	*slash = strrchr(path, '/');
	int		 dirlen = slash == NULL ? 0 : (int)(slash - path + 1);
	char		*tmp;
	struct sockaddr_un sun;

	xasprintf(&tmp, "%.*s.drover-%ld.sock", dirlen, path, (long)getpid());
	if (strlen(tmp) >= sizeof(sun.sun_path)) {
		free(tmp);
		return NULL;
	}
	return tmp;
}

/*
 * Bind under a temporary name, set group and mode, listen, and rename over
 * path: the socket appears complete, and replaces a stale one atomically.
 * (A path too long for a temporary name is bound in place.)
 */
static int
socket_create(struct control *ctl, const char *path, int mode)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			*tmp = socket_temp_name(path);
	const char		*name = tmp != NULL ? tmp : path;
	mode_t			 um;
	int			 fd, rc, err;

	if (sun_fill(&sun, name) == -1 || (fd = socket(AF_UNIX,
	    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		free(tmp);
		return -1;
	}
	unlink(name);
	um = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(um);
	if (rc == 0 && ctl->c_has_group && chown(name, (uid_t)-1,
	    ctl->c_gid) == -1)
		log_warn("control socket %s: chown to gid %u", path,
		    (unsigned)ctl->c_gid);
	if (rc == -1 || chmod(name, (mode_t)mode) == -1 ||
	    listen(fd, SOMAXCONN) == -1 ||
	    (tmp != NULL && rename(tmp, path) == -1) ||
	    lstat(path, &st) == -1) {
		err = errno;
		close(fd);
		if (rc == 0)
			unlink(name);
		free(tmp);
		errno = err;
		return -1;
	}
	ctl->c_dev = st.st_dev;
	ctl->c_ino = st.st_ino;
	free(tmp);
	return fd;
}

/* Is gid among the groups of pid, whose euid must still be uid (the pid
 * may have been reused)?  Reading /proc does not block. */
static bool
proc_in_group(pid_t pid, uid_t uid, gid_t gid)
{
	char		 path[64], *line = NULL, *p, *end;
	size_t		 sz = 0;
	unsigned long	 r, e, g;
	bool		 uid_ok = false, found = false;
	FILE		*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (pid <= 0 || (f = fopen(path, "re")) == NULL)
		return false;
	while (getline(&line, &sz, f) != -1) {
		if (strncmp(line, "Uid:", 4) == 0)
			uid_ok = sscanf(line + 4, "%lu %lu", &r, &e) == 2 &&
			    e == (unsigned long)uid;
		else if (strncmp(line, "Gid:", 4) == 0 &&
		    sscanf(line + 4, "%lu %lu", &r, &e) == 2 &&
		    e == (unsigned long)gid)
			found = true;
		else if (strncmp(line, "Groups:", 7) == 0) {
			for (p = line + 7;; p = end) {
				g = strtoul(p, &end, 10);
				if (end == p)
					break;
				if (g == (unsigned long)gid)
					found = true;
			}
		}
	}
	free(line);
	fclose(f);
	return uid_ok && found;
}

/* Root, drover's own uid, or a member of socket_group. */
static bool
peer_allowed(struct control *ctl, const struct ucred *cr)
{
	if (cr->uid == 0 || cr->uid == geteuid())
		return true;
	if (!ctl->c_has_group)
		return false;
	if (cr->gid == ctl->c_gid)
		return true;
	return proc_in_group(cr->pid, cr->uid, ctl->c_gid);
}

/* One error line on a fresh socket (its buffer is empty), then close. */
static void
conn_reject(int fd, const char *code, const char *msg)
{
	json_t	*r = ctl_reply_error(code, "%s", msg);
	char	*s = json_dumps(r, JSON_COMPACT), *line;

	json_decref(r);
	if (s != NULL) {
		xasprintf(&line, "%s\n", s);
		if (write(fd, line, strlen(line)) == -1)
			log_debug("control: reject: %s", strerror(errno));
		free(line);
		free(s);
	}
	close(fd);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

/* The output has drained: close, or take the next requests. */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn	*cc = arg;

	if (cc->cc_closing)
		conn_free(cc);
	else
		conn_process(cc);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn	*cc = arg;

	if (what & BEV_EVENT_EOF) {
		/* no more requests: finish the ones we have, then close */
		cc->cc_eof = true;
		conn_process(cc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_info("control: uid %u pid %ld: idle for %ds, closing",
		    (unsigned)cc->cc_uid, (long)cc->cc_pid,
		    CONTROL_IDLE_MS / 1000);
	else
		log_debug("control: uid %u pid %ld: connection error",
		    (unsigned)cc->cc_uid, (long)cc->cc_pid);
	conn_free(cc);
}

/* An accepted socket: check the peer, then wrap it in a bufferevent. */
static void
conn_new(struct control *ctl, int fd)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	struct ctl_conn	*cc;
	struct timeval	 idle = ms_tv(CONTROL_IDLE_MS);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (!peer_allowed(ctl, &cr)) {
		log_info("control: uid %u pid %ld: refused: not permitted",
		    (unsigned)cr.uid, (long)cr.pid);
		conn_reject(fd, CTL_E_NOT_PERMITTED, "not permitted: only "
		    "root, drover's own user and socket_group may connect");
		return;
	}
	if (ctl->c_nconns >= CONTROL_MAX_CONNS) {
		if (!ctl->c_warned_busy)
			log_warnx("control: %d connections, refusing more "
			    "(uid %u pid %ld)", ctl->c_nconns,
			    (unsigned)cr.uid, (long)cr.pid);
		ctl->c_warned_busy = true;
		conn_reject(fd, CTL_E_FAILED, "too many connections");
		return;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->cc_ctl = ctl;
	cc->cc_uid = cr.uid;
	cc->cc_pid = cr.pid;
	cc->cc_bev = bufferevent_socket_new(ctl->c_d->d_base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (cc->cc_bev == NULL) {
		log_warnx("control: bufferevent_socket_new failed");
		close(fd);
		free(cc);
		return;
	}
	bufferevent_setcb(cc->cc_bev, conn_read_cb, conn_write_cb,
	    conn_event_cb, cc);
	/* a request never needs more; past it the line is refused */
	bufferevent_setwatermark(cc->cc_bev, EV_READ, 0,
	    CONTROL_MAX_REQUEST + 2);
	bufferevent_set_timeouts(cc->cc_bev, &idle, &idle);
	bufferevent_enable(cc->cc_bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&ctl->c_conns, cc, cc_entry);
	ctl->c_nconns++;
	log_debug("control: uid %u pid %ld connected", (unsigned)cr.uid,
	    (long)cr.pid);
}

static void
conn_free(struct ctl_conn *cc)
{
	struct control	*ctl = cc->cc_ctl;

	if (cc->cc_wait != NULL) {
		cc->cc_ctl->c_cmds->wait_free(cc->cc_wait);
		ctl->c_nwaits--;
	}
	TAILQ_REMOVE(&ctl->c_conns, cc, cc_entry);
	if (--ctl->c_nconns < CONTROL_MAX_CONNS)
		ctl->c_warned_busy = false;
	bufferevent_free(cc->cc_bev);
	free(cc);
}

/* Stop reading; close once the replies are out. */
static void
conn_close(struct ctl_conn *cc)
{
	cc->cc_closing = true;
	bufferevent_disable(cc->cc_bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cc->cc_bev)) == 0)
		conn_free(cc);
}

static void
conn_too_long(struct ctl_conn *cc)
{
	log_info("control: uid %u pid %ld: request longer than %d bytes, "
	    "closing", (unsigned)cc->cc_uid, (long)cc->cc_pid,
	    CONTROL_MAX_REQUEST);
	ctl_conn_reply(cc, ctl_reply_error(CTL_E_BAD_REQUEST, "request "
	    "longer than %d bytes", CONTROL_MAX_REQUEST));
	conn_close(cc);
}

/*
 * Handle the complete request lines in the input, one at a time, at most
 * CONTROL_BATCH per callback and not while a reply is waiting or too much
 * output is unsent.  May free cc.
 */
static void
conn_process(struct ctl_conn *cc)
{
	struct evbuffer		*in = bufferevent_get_input(cc->cc_bev);
	struct evbuffer		*out = bufferevent_get_output(cc->cc_bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line;
	int			 n;

	for (n = 0; cc->cc_wait == NULL && !cc->cc_closing; n++) {
		if (evbuffer_get_length(out) > CONTROL_OUT_HIGH)
			return;		/* conn_write_cb comes back */
		if (n == CONTROL_BATCH) {
			bufferevent_trigger(cc->cc_bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS |
			    BEV_TRIG_DEFER_CALLBACKS);
			return;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			len = evbuffer_get_length(in);
			if (len > CONTROL_MAX_REQUEST) {
				conn_too_long(cc);
				return;
			}
			if (len == 0 || !cc->cc_eof)
				break;
			eol_len = 0;	/* a last line cut by EOF */
		} else
			len = (size_t)eol.pos;
		if (len > CONTROL_MAX_REQUEST) {
			conn_too_long(cc);
			return;
		}
		line = xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		evbuffer_drain(in, eol_len);
		line[len] = '\0';
		cc->cc_ctl->c_cmds->line(cc, line, len);
		free(line);
	}
	if (cc->cc_eof && cc->cc_wait == NULL && !cc->cc_closing)
		conn_close(cc);
}

/* Queue one reply line. */
void
ctl_conn_reply(struct ctl_conn *cc, json_t *reply)
{
	char	*s = json_dumps(reply, JSON_COMPACT);

	json_decref(reply);
	if (s == NULL) {
		log_warnx("control: cannot encode a reply");
		s = xstrdup("{\"ok\":false,\"error\":\"failed\"}");
	}
	bufferevent_write(cc->cc_bev, s, strlen(s));
	bufferevent_write(cc->cc_bev, "\n", 1);
	free(s);
}

static void
wait_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_conn	*cc = arg;

	cc->cc_ctl->c_cmds->wait_check(cc->cc_wait, WAIT_TIMEOUT);
	ctl_conn_wait_end(cc);
}

/* The request in progress replies later: bound it, and stop the idle
 * timeout meanwhile (the client is waiting, not idle). */
void
ctl_conn_wait_begin(struct ctl_conn *cc, struct ctl_wait *w,
    int64_t bound_ms)
{
	struct timeval	tv = ms_tv(bound_ms), idle = ms_tv(CONTROL_IDLE_MS);

	cc->cc_wait = w;
	w->w_conn = cc;
	w->w_bound = bound_ms;
	w->w_timer = evtimer_new(cc->cc_ctl->c_d->d_base, wait_timeout_cb, cc);
	evtimer_add(w->w_timer, &tv);
	cc->cc_ctl->c_nwaits++;
	bufferevent_set_timeouts(cc->cc_bev, NULL, &idle);
}

/* The waiting request has replied: go on with the next.  May free cc. */
void
ctl_conn_wait_end(struct ctl_conn *cc)
{
	struct timeval	idle = ms_tv(CONTROL_IDLE_MS);

	cc->cc_ctl->c_cmds->wait_free(cc->cc_wait);
	cc->cc_wait = NULL;
	cc->cc_ctl->c_nwaits--;
	bufferevent_set_timeouts(cc->cc_bev, &idle, &idle);
	conn_process(cc);
}

/* Deferred from control_changed(): the engine has finished its step. */
static void
recheck_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;
	struct ctl_conn	*cc, *next;

	for (cc = TAILQ_FIRST(&ctl->c_conns); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, cc_entry);
		if (cc->cc_wait != NULL && ctl->c_cmds->wait_check(cc->cc_wait,
		    WAIT_CHANGED))
			ctl_conn_wait_end(cc);
	}
}

/*
 * An instance changed state: look at the waits soon (cheap if none).  The
 * bus delivers this after the scheduler and the conductor have acted on
 * the change (bus.h), and the check itself runs from the loop.
 */
static void
control_bus_cb(const struct bus_event *ev, void *arg)
{
	struct control	*ctl = arg;

	if (ctl->c_nwaits > 0)
		event_active(ctl->c_recheck, EV_TIMEOUT, 1);
}

static void
accept_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct control	*ctl = arg;

	if (ctl->c_reserve == -1)
		ctl->c_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	event_add(ctl->c_ev, NULL);
}

/*
 * Out of fds: give up the spare one to accept and close a connection, so
 * that the listener does not stay readable and spin.  If even that fails,
 * pause accepting for a second.
 */
static void
accept_shed(struct control *ctl)
{
	struct timeval	tv = ms_tv(CONTROL_PAUSE_MS);
	int		fd = -1;

	if (!ctl->c_warned_nofile)
		log_warnx("control: out of file descriptors, refusing "
		    "connections");
	ctl->c_warned_nofile = true;
	if (ctl->c_reserve != -1) {
		close(ctl->c_reserve);
		fd = accept4(ctl->c_fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd != -1)
			conn_reject(fd, CTL_E_FAILED, "drover is out of file "
			    "descriptors");
		ctl->c_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (fd != -1 && ctl->c_reserve != -1)
		return;
	event_del(ctl->c_ev);
	evtimer_add(ctl->c_pause, &tv);
}

static void
accept_cb(evutil_socket_t lfd, short ev, void *arg)
{
	struct control	*ctl = arg;
	int		 fd, n;

	for (n = 0; n < CONTROL_MAX_CONNS; n++) {
		fd = accept4(ctl->c_fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd != -1) {
			ctl->c_warned_nofile = false;
			conn_new(ctl, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EMFILE || errno == ENFILE) {
			accept_shed(ctl);
			return;
		}
		log_warn("control: accept");
		break;
	}
}

static void
control_listen(struct drover *d, struct control *ctl)
{
	ctl->c_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ctl->c_ev = event_new(d->d_base, ctl->c_fd, EV_READ | EV_PERSIST,
	    accept_cb, ctl);
	ctl->c_pause = evtimer_new(d->d_base, accept_resume_cb, ctl);
	ctl->c_recheck = event_new(d->d_base, -1, 0, recheck_cb, ctl);
	if (ctl->c_ev == NULL || ctl->c_pause == NULL ||
	    ctl->c_recheck == NULL || event_add(ctl->c_ev, NULL) == -1)
		fatalx("control: cannot set up events");
}

/*
 * Create the control socket (path: -s, else [drover] socket; NULL: none).
 * -1 when a live drover holds it: we must not start.  Any other failure
 * leaves drover running without a socket, which it logs.
 */
int
ctl_listen(struct drover *d, const char *path, const struct ctl_commands *cmds)
{
	const struct config	*conf = d->d_conf;
	struct control		*ctl;
	enum probe		 pr;

	if (path == NULL && (path = conf->socket) == NULL) {
		log_info("control socket disabled");
		return 0;
	}
	pr = socket_probe(path);
	if (pr == PROBE_LIVE) {
		log_error("control socket %s is in use: is another drover "
		    "running? Not starting", path);
		return -1;
	}
	if (pr == PROBE_NOTSOCK || pr == PROBE_ERROR) {
		log_error("control socket %s: %s; running without a control "
		    "socket", path, pr == PROBE_NOTSOCK ?
		    "exists and is not a socket" : strerror(errno));
		return 0;
	}
	if (pr == PROBE_STALE)
		log_info("control socket %s: replacing a stale socket", path);
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->c_d = d;
	ctl->c_cmds = cmds;
	ctl->c_reserve = -1;
	ctl->c_has_group = conf->socket_group != NULL;
	ctl->c_gid = conf->socket_gid;
	TAILQ_INIT(&ctl->c_conns);
	if ((ctl->c_fd = socket_create(ctl, path, conf->socket_mode)) == -1) {
		log_error("control socket %s: %s; running without a control "
		    "socket", path, strerror(errno));
		free(ctl);
		return 0;
	}
	ctl->c_path = xstrdup(path);
	control_listen(d, ctl);
	bus_subscribe(d->d_bus, BUS_PRIO_CONTROL, BUS_MASK(BUS_STATE),
	    control_bus_cb, ctl);
	d->d_control = ctl;
	d->d_socket_path = ctl->c_path;
	log_info("control socket %s (mode %04o%s%s)", path,
	    conf->socket_mode, ctl->c_has_group ? ", group " : "",
	    ctl->c_has_group ? conf->socket_group : "");
	return 0;
}

/* Write what can be written now, never blocking. */
static void
conn_flush(struct ctl_conn *cc)
{
	struct evbuffer	*out = bufferevent_get_output(cc->cc_bev);
	evutil_socket_t	 fd = bufferevent_getfd(cc->cc_bev);

	/* a bufferevent keeps its output frozen but while it writes */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		;
}

/* At exit: the last replies (best effort), then remove the socket if it
 * is still the one we made. */
void
control_fini(struct drover *d)
{
	struct control	*ctl = d->d_control;
	struct ctl_conn	*cc;
	struct stat	 st;

	if (ctl == NULL)
		return;
	while ((cc = TAILQ_FIRST(&ctl->c_conns)) != NULL) {
		if (cc->cc_wait != NULL)
			ctl->c_cmds->wait_check(cc->cc_wait, WAIT_EXIT);
		conn_flush(cc);
		conn_free(cc);
	}
	bus_unsubscribe(d->d_bus, control_bus_cb, ctl);
	event_free(ctl->c_ev);
	event_free(ctl->c_pause);
	event_free(ctl->c_recheck);
	close(ctl->c_fd);
	if (ctl->c_reserve != -1)
		close(ctl->c_reserve);
	if (lstat(ctl->c_path, &st) == 0 && st.st_dev == ctl->c_dev &&
	    st.st_ino == ctl->c_ino && unlink(ctl->c_path) == -1)
		log_warn("control socket %s: unlink", ctl->c_path);
	free(ctl->c_path);
	free(ctl);
	d->d_control = NULL;
	d->d_socket_path = NULL;
}

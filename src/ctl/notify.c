/*
 * notify.c: drover as a systemd Type=notify service (SPEC 8).
 *
 * READY=1 once every autostart service is RUNNING (or FATAL), STATUS= with
 * counts, STOPPING=1 and EXTEND_TIMEOUT_USEC= at shutdown.  Without
 * $NOTIFY_SOCKET, sd_notify() does nothing, so neither does this module.
 * It learns of changes from the bus (notify_init()): STATUS= after a state
 * change, READY=1 when the life cycle reaches DP_READY.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "notify_proto.h"

static bool
notify_enabled(void)
{
	return getenv("NOTIFY_SOCKET") != NULL;
}

static void
counts(struct drover *d, char *buf, size_t sz)
{
	int	n[JS__MAX] = { 0 }, i, j;

	for (i = 0; i < d->d_njobs; i++)
		for (j = 0; j < d->d_jobs[i]->ninst; j++)
			n[d->d_jobs[i]->inst[j]->state]++;
	snprintf(buf, sz, "%d running, %d starting, %d backoff, %d fatal, "
	    "%d queued, %d stopping", n[JS_RUNNING], n[JS_STARTING],
	    n[JS_BACKOFF], n[JS_FATAL], n[JS_QUEUED], n[JS_STOPPING]);
}

void
notify_ready(struct drover *d)
{
	char	buf[256];

	log_info("all autostart services are up");
	if (!notify_enabled())
		return;
	counts(d, buf, sizeof(buf));
	sd_notifyf(0, "READY=1\nSTATUS=%s", buf);
}

/* READY=1 again after a reload, if it had been sent before. */
void
notify_ready_again(struct drover *d)
{
	char	buf[256];

	if (!notify_enabled() || !d->d_ready_sent)
		return;
	counts(d, buf, sizeof(buf));
	sd_notifyf(0, "READY=1\nSTATUS=%s", buf);
}

static const struct timeval status_interval = { 1, 0 };

static void
status_send(struct drover *d)
{
	char	buf[256];

	counts(d, buf, sizeof(buf));
	if (d->d_sd_phase != SD_NONE && d->d_sd_phase != SD_DONE)
		sd_notifyf(0, "STATUS=shutting down: %s, %d runs left", buf,
		    d->d_nactive);
	else
		sd_notifyf(0, "STATUS=%s", buf);
}

static void
status_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover	*d = arg;

	if (d->d_status_dirty) {
		d->d_status_dirty = false;
		status_send(d);
		evtimer_add(d->d_status_ev, &status_interval);
	}
}

/*
 * STATUS= after a state change, at most once a second: the first change
 * goes out at once, later ones fold into one message when the second is
 * over, and then no timer stays armed.
 */
void
notify_status(struct drover *d)
{
	if (!notify_enabled() || d->d_base == NULL)
		return;
	if (d->d_status_ev == NULL)
		d->d_status_ev = evtimer_new(d->d_base, status_timer_cb, d);
	if (evtimer_pending(d->d_status_ev, NULL)) {
		d->d_status_dirty = true;
		return;
	}
	status_send(d);
	evtimer_add(d->d_status_ev, &status_interval);
}

static void
watchdog_cb(evutil_socket_t fd, short ev, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

/* WATCHDOG=1 at half of $WATCHDOG_USEC, from the loop: a hung loop is
 * caught by systemd. */
void
notify_watchdog_init(struct drover *d)
{
	uint64_t	usec;
	struct timeval	tv;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	d->d_watchdog_ev = event_new(d->d_base, -1, EV_PERSIST, watchdog_cb,
	    d);
	event_add(d->d_watchdog_ev, &tv);
	sd_notify(0, "WATCHDOG=1");
	log_info("watchdog: pinging systemd every %llums",
	    (unsigned long long)usec / 1000);
}

void
notify_fini(struct drover *d)
{
	if (d->d_status_ev != NULL)
		event_free(d->d_status_ev);
	if (d->d_watchdog_ev != NULL)
		event_free(d->d_watchdog_ev);
	d->d_status_ev = d->d_watchdog_ev = NULL;
	notify_server_fini(d);
}

void
notify_stopping(struct drover *d, int64_t worst_ms)
{
	if (!notify_enabled())
		return;
	sd_notifyf(0, "STOPPING=1\nSTATUS=shutting down\n"
	    "EXTEND_TIMEOUT_USEC=%llu", (unsigned long long)worst_ms * 1000);
}

/*
 * The NOTIFY_SOCKET drover serves to its own jobs (ready = notify): a
 * datagram socket in the abstract namespace with SO_PASSCRED.  A message
 * counts only if its sender belongs to a job (the main process, or a
 * process in the job's cgroup or process group).  Understood (parsed by
 * notify_proto.c): READY=1, STATUS=, STOPPING=1, EXTEND_TIMEOUT_USEC=,
 * WATCHDOG=1; MAINPID= is parsed but not followed.  Passed fds are
 * closed: drover keeps no fd store.
 */

/* The instance that pid belongs to, or NULL. */
static struct instance *
notify_sender(struct drover *d, pid_t pid)
{
	struct instance	*in;
	char		 path[64], line[512], *rel;
	FILE		*f;
	size_t		 rl, cl;
	pid_t		 pg;
	int		 i, j;

	if ((in = pidmap_find(d, pid)) != NULL)
		return in;
	if (d->d_cg_base != NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
		if ((f = fopen(path, "re")) == NULL)
			return NULL;
		rel = NULL;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "0::", 3) == 0) {
				rel = line + 3;
				rel[strcspn(rel, "\n")] = '\0';
			}
		fclose(f);
		if (rel == NULL)
			return NULL;
		rl = strlen(rel);
		for (i = 0; i < d->d_njobs; i++)
			for (j = 0; j < d->d_jobs[i]->ninst; j++) {
				in = d->d_jobs[i]->inst[j];
				if (in->cg_dir == NULL || !instance_active(in))
					continue;
				cl = strlen(in->cg_dir);
				if (cl >= rl && strcmp(in->cg_dir + cl - rl,
				    rel) == 0)
					return in;
			}
		return NULL;
	}
	if ((pg = getpgid(pid)) == -1)
		return NULL;
	return pidmap_find(d, pg);
}

/*
 * Act on a parsed message, in this order whatever the order of its lines:
 * the status is logged before the READY=1 transition it may explain.
 */
static void
notify_message(struct instance *in, const struct notify_msg *m)
{
	int64_t	ms;

	if (m->nm_has_status)
		log_info("%s: status: %s", in->name, m->nm_status);
	if (m->nm_stopping)
		log_info("%s: says it is stopping", in->name);
	if (m->nm_mainpid > 0)
		log_debug("%s: MAINPID=%ld ignored: drover follows the process "
		    "it started", in->name, (long)m->nm_mainpid);
	if (m->nm_extend_usec >= 0 && in->state == JS_STARTING) {
		ms = m->nm_extend_usec / 1000;
		instance_event(in, IE_EXTEND, ms > INT_MAX ? INT_MAX : (int)ms);
	}
	if (m->nm_ready)
		instance_event(in, IE_READY, 0);
	/* WATCHDOG=1 and the rest: accepted, nothing to do */
}

static void
notify_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct drover	*d = arg;
	struct notify_msg m;
	char		 buf[NOTIFY_MSG_MAX];
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * 16)];
	} cm;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*c;
	struct ucred	*cred = NULL;
	struct instance	*in;
	ssize_t		 n;
	size_t		 k;
	int		*fds;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = NOTIFY_MSG_MAX;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = &cm;
		mh.msg_controllen = sizeof(cm);
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("notify socket");
			return;
		}
		cred = NULL;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS)
				cred = (struct ucred *)(void *)CMSG_DATA(c);
			else if (c->cmsg_type == SCM_RIGHTS) {
				fds = (int *)(void *)CMSG_DATA(c);
				for (k = 0; k < (c->cmsg_len - CMSG_LEN(0)) /
				    sizeof(int); k++)
					close(fds[k]);
			}
		}
		if (cred == NULL || (mh.msg_flags & MSG_TRUNC))
			continue;
		if (notify_parse(buf, (size_t)n, &m) == -1) {
			log_debug("notify: message from pid %ld has a NUL "
			    "byte, ignored", (long)cred->pid);
			continue;
		}
		if ((in = notify_sender(d, cred->pid)) == NULL) {
			log_debug("notify: message from pid %ld, no job of ours",
			    (long)cred->pid);
			continue;
		}
		notify_message(in, &m);
	}
}

/* Serve NOTIFY_SOCKET for jobs; the address goes into their environment. */
int
notify_server_init(struct drover *d)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd, one = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(d->d_notify_addr, sizeof(d->d_notify_addr),
	    "@drover-notify/%ld/%ld", (long)getpid(), (long)random());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(d->d_notify_addr));
	memcpy(sun.sun_path, d->d_notify_addr, strlen(d->d_notify_addr));
	sun.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sun, len) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		close(fd);
		d->d_notify_addr[0] = '\0';
		return -1;
	}
	d->d_notify_fd = fd;
	d->d_notify_ev = event_new(d->d_base, fd, EV_READ | EV_PERSIST,
	    notify_read_cb, d);
	event_add(d->d_notify_ev, NULL);
	return 0;
}

void
notify_server_fini(struct drover *d)
{
	if (d->d_notify_ev != NULL)
		event_free(d->d_notify_ev);
	d->d_notify_ev = NULL;
	if (d->d_notify_fd > 0)
		close(d->d_notify_fd);
	d->d_notify_fd = -1;
}

static void
notify_bus_cb(const struct bus_event *ev, void *arg)
{
	struct drover	*d = arg;

	if (ev->type == BUS_STATE)
		notify_status(d);
	else if (ev->dp.to == DP_READY)
		notify_ready(d);
}

/* Follow the changes: before the control socket, after the conductor. */
void
notify_init(struct drover *d)
{
	bus_subscribe(d->d_bus, BUS_PRIO_NOTIFY, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_DROVER), notify_bus_cb, d);
}

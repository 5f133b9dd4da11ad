/*
 * output.c: a run's stdout and stderr (SPEC 5).
 *
 * Each stream sent to `log` or `file:` is a pipe whose read end is
 * non-blocking and watched by the loop.  Reads go into one scratch buffer;
 * only an incomplete line is kept per stream, so an idle job costs no
 * buffer.  Lines longer than OUTPUT_MAX_LINE are split, never dropped.
 * Sinks are written synchronously: a slow sink slows the reading and the
 * job blocks on its own write, instead of drover buffering without bound.
 * `file:` keeps bytes as written and rotates regular files by size.
 *
 * Whatever the sink, the bytes read also go into the instance's ring of
 * tail_buffer bytes per stream (outring.h), kept across runs, for tail.
 * So that `journal` output is seen too, a journal stream gets a pipe when
 * the ring is on and drover forwards the bytes to journald: a stream fd
 * of journald's that is non-blocking, with its own back-pressure (the
 * pipe is not read while journald has not taken the last chunk).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <systemd/sd-journal.h>

#include "bus.h"
#include "capture.h"
#include "drover.h"
#include "log.h"
#include "xmalloc.h"

#define OUTPUT_MAX_LINE	16384
#define OUTPUT_READ_MAX	(4 * 65536)	/* per wake-up, for fairness */
#define STDERR_HIGH	(1024 * 1024)	/* stop reading log-sink pipes */
#define STDERR_LOW	(64 * 1024)	/* and read them again */

static char	scratch[65536];

static void	stream_read_cb(evutil_socket_t, short, void *);
static void	stderr_writable_cb(evutil_socket_t, short, void *);

/* A stream whose reading stderr's back-pressure does not pause. */
static bool
stream_own_sink(const struct outstream *os)
{
	return os->sink != NULL || os->jfd != -1;
}

/* Every log-sink stream of a running instance, watched or not. */
static void
log_streams_set(struct drover *d, bool watch)
{
	struct outstream	*os;
	int			 i, j, k;

	for (i = 0; i < d->d_njobs; i++)
		for (j = 0; j < d->d_jobs[i]->ninst; j++)
			for (k = 0; k < 2; k++) {
				os = k == 0 ? &d->d_jobs[i]->inst[j]->out :
				    &d->d_jobs[i]->inst[j]->err;
				if (os->ev == NULL || stream_own_sink(os) ||
				    os->jpend != NULL)
					continue;
				if (watch)
					event_add(os->ev, NULL);
				else
					event_del(os->ev);
			}
}

/* Bytes stay queued for fd 2: write them as soon as it takes more. */
static void
stderr_arm(void *arg)
{
	struct drover	*d = arg;

	if (d->d_base == NULL)
		return;
	if (d->d_stderr_ev == NULL &&
	    (d->d_stderr_ev = event_new(d->d_base, STDERR_FILENO,
	    EV_WRITE | EV_PERSIST, stderr_writable_cb, d)) == NULL)
		return;
	if (!event_pending(d->d_stderr_ev, EV_WRITE, NULL))
		(void)event_add(d->d_stderr_ev, NULL);
}

static void
logflush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_batch_flush();
}

/* Ask for the log's flush once the callbacks of this turn have run. */
static void
logflush_arm(void *arg)
{
	struct drover	*d = arg;

	event_active(d->d_logflush_ev, EV_TIMEOUT, 1);
}

/*
 * Watch fd 2 whenever the log queue holds bytes it could not write, and
 * write the lines of one turn of the loop together.
 */
void
output_init(struct drover *d)
{
	log_on_pending(stderr_arm, d);
	if ((d->d_logflush_ev = event_new(d->d_base, -1, 0, logflush_cb,
	    d)) != NULL)
		log_on_batch(logflush_arm, d);
}

/*
 * stderr is slow: past the high-water mark, stop reading the pipes that
 * feed it, so the jobs block on their own writes; the write event (armed
 * by the flush that left bytes behind) resumes them.
 */
static void
output_backpressure(struct drover *d)
{
	if (d->d_out_paused || log_flush() < STDERR_HIGH || d->d_base == NULL)
		return;
	if (d->d_stderr_ev == NULL || !event_pending(d->d_stderr_ev, EV_WRITE,
	    NULL))
		return;		/* fd 2 cannot be watched: keep going */
	d->d_out_paused = true;
	log_streams_set(d, false);
}

static void
stderr_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	struct drover	*d = arg;
	size_t		 left = log_flush();

	if (d->d_out_paused && left <= STDERR_LOW) {
		d->d_out_paused = false;
		log_streams_set(d, true);
	}
	if (left == 0)
		event_del(d->d_stderr_ev);
}

static struct filesink *
filesink_get(struct drover *d, const struct sink *s)
{
	struct filesink	*fs;

	LIST_FOREACH(fs, &d->d_filesinks, entry) {
		if (strcmp(fs->path, s->path) == 0) {
			fs->refs++;
			return fs;
		}
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->path = xstrdup(s->path);
	fs->fd = -1;
	fs->maxbytes = s->maxbytes;
	fs->backups = s->backups;
	fs->refs = 1;
	LIST_INSERT_HEAD(&d->d_filesinks, fs, entry);
	return fs;
}

static int
filesink_open(struct filesink *fs)
{
	struct stat	st;

	if (fs->fd != -1)
		return 0;
	fs->fd = open(fs->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0644);
	if (fs->fd == -1) {
		log_warn("open %s", fs->path);
		return -1;
	}
	/* O_NONBLOCK only so that opening a FIFO never blocks the loop */
	(void)fcntl(fs->fd, F_SETFL, O_APPEND);
	if (fstat(fs->fd, &st) == 0 && S_ISREG(st.st_mode))
		fs->size = (uint64_t)st.st_size;
	else
		fs->maxbytes = 0;	/* never rotate a FIFO, tty or device */
	return 0;
}

static void
filesink_put(struct drover *d, struct filesink *fs)
{
	if (fs == NULL || --fs->refs > 0)
		return;
	LIST_REMOVE(fs, entry);
	if (fs->fd != -1)
		close(fs->fd);
	free(fs->path);
	free(fs);
}

/* path -> path.1 -> path.2 ...; the oldest beyond `backups` is dropped. */
static void
filesink_rotate(struct filesink *fs)
{
	char	*from, *to;
	int	 i;

	for (i = fs->backups; i >= 1; i--) {
		from = i == 1 ? xstrdup(fs->path) : xprintf("%s.%d", fs->path,
		    i - 1);
		to = xprintf("%s.%d", fs->path, i);
		if (rename(from, to) == -1 && errno != ENOENT)
			log_warn("rotate %s", from);
		free(from);
		free(to);
	}
	if (fs->backups == 0 && truncate(fs->path, 0) == -1)
		log_warn("truncate %s", fs->path);
	close(fs->fd);
	fs->fd = -1;
	fs->size = 0;
	filesink_open(fs);
}

static void
filesink_write(struct filesink *fs, const char *buf, size_t len)
{
	ssize_t	n;

	if (fs->fd == -1 && filesink_open(fs) == -1) {
		fs->errors++;
		return;
	}
	if (fs->maxbytes > 0 && fs->size + len > fs->maxbytes && fs->size > 0)
		filesink_rotate(fs);
	while (len > 0 && fs->fd != -1) {
		n = write(fs->fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* counted and logged; the job's pipe stays attached */
			if (fs->errors++ == 0 || (fs->errors & 1023) == 0)
				log_warn("write %s (%llu errors)", fs->path,
				    (unsigned long long)fs->errors);
			return;
		}
		fs->size += (uint64_t)n;
		buf += n;
		len -= (size_t)n;
	}
}

/* Reopen every file sink (SIGUSR2, after logrotate renamed them). */
void
output_reopen(struct drover *d)
{
	struct filesink	*fs;

	LIST_FOREACH(fs, &d->d_filesinks, entry) {
		if (fs->fd != -1)
			close(fs->fd);
		fs->fd = -1;
		fs->size = 0;
		filesink_open(fs);
	}
	log_info("reopened %s", LIST_EMPTY(&d->d_filesinks) ? "no log files" :
	    "log files");
}

void
output_fini(struct drover *d)
{
	struct filesink	*fs;

	while ((fs = LIST_FIRST(&d->d_filesinks)) != NULL) {
		fs->refs = 1;
		filesink_put(d, fs);
	}
	log_on_pending(NULL, NULL);
	log_on_batch(NULL, NULL);
	if (d->d_logflush_ev != NULL)
		event_free(d->d_logflush_ev);
	d->d_logflush_ev = NULL;
	if (d->d_stderr_ev != NULL)
		event_free(d->d_stderr_ev);
	d->d_stderr_ev = NULL;
	log_flush_blocking();
}

/* A line for whoever subscribes to BUS_OUTPUT (nobody: no cost). */
static void
publish_line(struct outstream *os, const char *line, size_t len)
{
	struct instance		*in = os->in;
	struct bus_event	 ev;

	/* asked first: the event is some hundred bytes to clear per line */
	if (!bus_wants(in->d->d_bus, BUS_OUTPUT))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = BUS_OUTPUT;
	ev.in = in;
	ev.job = in->job;
	ev.out.line = line;
	ev.out.len = len;
	ev.out.is_err = os->is_err;
	bus_publish(in->d->d_bus, &ev);
}

static void
emit_line(struct outstream *os, const char *line, size_t len)
{
	struct instance	*in = os->in;

	publish_line(os, line, len);

	while (len > OUTPUT_MAX_LINE) {
		log_job_line(in->job->cfg->name, in->name, in->pc->num,
		    in->pid, os->is_err, line, OUTPUT_MAX_LINE);
		line += OUTPUT_MAX_LINE;
		len -= OUTPUT_MAX_LINE;
	}
	log_job_line(in->job->cfg->name, in->name, in->pc->num, in->pid,
	    os->is_err, line, len);
}

static void	deliver_log(struct outstream *, const char *, size_t);

/* Bytes outside a capture: the stream's sink, as if no capture were on. */
static void
capture_out_cb(void *arg, const char *buf, size_t len)
{
	struct outstream	*os = arg;

	if (os->sink != NULL)
		filesink_write(os->sink, buf, len);
	else
		deliver_log(os, buf, len);
}

/* A capture is over: PROCESS_COMMUNICATION, or logged if it never ended. */
static void
capture_comm_cb(void *arg, const char *data, size_t len, uint64_t dropped,
    bool complete)
{
	struct outstream	*os = arg;
	struct instance		*in = os->in;
	const char		*ch = os->is_err ? "stderr" : "stdout";

	if (dropped > 0)
		log_warnx("%s: %s capture over %s_capture_maxbytes: its first "
		    "%llu bytes dropped", in->name, ch, ch,
		    (unsigned long long)dropped);
	if (!complete) {
		log_warnx("%s: %s ended inside a capture (no END token): its "
		    "%zu bytes are logged", in->name, ch, len);
		capture_out_cb(os, data, len);
		return;
	}
	log_debug("%s: %s emitted a communication event (%zu bytes)",
	    in->name, ch, len);
	if (in->d->d_evl_comm != NULL)
		in->d->d_evl_comm(in, os->is_err, data, len);
}

static const struct capture_ops capture_ops = {
	capture_out_cb, capture_comm_cb
};

/* Add to the carried partial line; a line reaching 16 KiB is split when
 * more of it comes, never before. */
static void
part_append(struct outstream *os, const char *s, size_t n)
{
	size_t	take;

	while (n > 0) {
		if (os->partlen == OUTPUT_MAX_LINE) {
			emit_line(os, os->part, os->partlen);
			os->partlen = 0;
		}
		take = OUTPUT_MAX_LINE - os->partlen;
		if (take > n)
			take = n;
		os->part = xrealloc(os->part, os->partlen + take);
		memcpy(os->part + os->partlen, s, take);
		os->partlen += take;
		s += take;
		n -= take;
	}
}

/* Split a chunk into lines for the log sink, carrying the partial tail. */
static void
deliver_log(struct outstream *os, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 seg;

	while (len > 0) {
		if ((nl = memchr(buf, '\n', len)) == NULL) {
			part_append(os, buf, len);
			break;
		}
		seg = (size_t)(nl - buf);
		if (os->partlen == 0 && seg <= OUTPUT_MAX_LINE)
			emit_line(os, buf, seg);	/* the common case */
		else {
			part_append(os, buf, seg);
			emit_line(os, os->part, os->partlen);
			os->partlen = 0;
		}
		buf = nl + 1;
		len -= seg + 1;
	}
	if (os->partlen == 0 && os->part != NULL) {
		free(os->part);
		os->part = NULL;
	}
}

/* journald took the pending bytes: read the pipe again. */
static void
journal_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outstream	*os = arg;

	while (evbuffer_get_length(os->jpend) > 0)
		if (evbuffer_write(os->jpend, fd) <= 0)
			break;
	if (evbuffer_get_length(os->jpend) > 0 && (errno == EAGAIN ||
	    errno == EWOULDBLOCK || errno == EINTR))
		return;
	evbuffer_free(os->jpend);	/* sent, or journald is gone */
	os->jpend = NULL;
	event_del(os->jev);
	if (os->ev != NULL)
		(void)event_add(os->ev, NULL);
}

/* journald is gone: the rest of this run goes to drover's log. */
static void
journal_lost(struct outstream *os)
{
	log_warn("%s: journal stream for %s", os->in->name, os->is_err ?
	    "stderr" : "stdout");
	if (os->jev != NULL)
		event_free(os->jev);
	os->jev = NULL;
	close(os->jfd);
	os->jfd = -1;
}

/* Forward a chunk to journald; what it cannot take now waits in jpend,
 * and the pipe is not read until it has (the job blocks, as it would on
 * a journal stream of its own). */
static void
journal_write(struct outstream *os, const char *buf, size_t len)
{
	struct instance	*in = os->in;
	ssize_t		 n;

	while (len > 0) {
		n = send(os->jfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		else {
			journal_lost(os);
			deliver_log(os, buf, len);
			return;
		}
	}
	if (len == 0)
		return;
	if (os->jev == NULL && (os->jev = event_new(in->d->d_base, os->jfd,
	    EV_WRITE | EV_PERSIST, journal_writable_cb, os)) == NULL)
		fatalx("%s: cannot watch the journal stream", in->name);
	if (os->jpend == NULL)
		os->jpend = evbuffer_new();
	if (os->jpend == NULL || evbuffer_add(os->jpend, buf, len) == -1)
		fatalx("%s: out of memory", in->name);
	(void)event_add(os->jev, NULL);
	if (os->ev != NULL)
		event_del(os->ev);
}

/* Close the journal side: what journald has not taken is dropped. */
static void
journal_close(struct outstream *os)
{
	if (os->jpend != NULL) {
		(void)evbuffer_write(os->jpend, os->jfd);
		if (evbuffer_get_length(os->jpend) > 0)
			log_warnx("%s: %zu bytes of %s not taken by the "
			    "journal", os->in->name,
			    evbuffer_get_length(os->jpend), os->is_err ?
			    "stderr" : "stdout");
		evbuffer_free(os->jpend);
		os->jpend = NULL;
	}
	if (os->jev != NULL)
		event_free(os->jev);
	os->jev = NULL;
	if (os->jfd != -1)
		close(os->jfd);
	os->jfd = -1;
}

/* Keep the bytes for tail (a listener's stdout is its protocol). */
static void
output_keep(struct outstream *os, const char *buf, size_t len)
{
	struct instance	*in = os->in;
	struct outring	*r = &in->oring[os->is_err ? 1 : 0];

	if (!os->is_err && in->job->cfg->listener)
		return;
	outring_set_cap(r, (size_t)in->job->cfg->tail_buffer);
	outring_append(r, buf, len);
}

static void
stream_close(struct outstream *os)
{
	struct instance	*in = os->in;

	if (os->fd == -1)
		return;
	if (os->cap != NULL) {
		capture_end(os->cap);
		capture_free(os->cap);
		os->cap = NULL;
	}
	if (os->partlen > 0) {
		emit_line(os, os->part, os->partlen);
		os->partlen = 0;
	}
	/* a listener's protocol ends with its stdout (after every byte) */
	if (!os->is_err && in->job->cfg->listener && in->d->d_evl_data != NULL)
		in->d->d_evl_data(in, NULL, 0);
	free(os->part);
	os->part = NULL;
	if (os->ev != NULL) {
		event_free(os->ev);
		os->ev = NULL;
	}
	close(os->fd);
	os->fd = -1;
	journal_close(os);
	filesink_put(in->d, os->sink);
	os->sink = NULL;
}

static void
stream_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct outstream	*os = arg;
	struct instance		*in = os->in;
	size_t			 total = 0;
	ssize_t			 n;
	int64_t			 t0 = log_cb_begin();

	while (total < OUTPUT_READ_MAX) {
		n = read(fd, scratch, sizeof(scratch));
		if (n > 0) {
			total += (size_t)n;
			output_keep(os, scratch, (size_t)n);
			if (!os->is_err && in->job->cfg->listener &&
			    in->d->d_evl_data != NULL)
				in->d->d_evl_data(in, scratch, (size_t)n);
			else if (os->cap != NULL)
				capture_feed(os->cap, scratch, (size_t)n);
			else if (os->sink != NULL)
				filesink_write(os->sink, scratch, (size_t)n);
			else if (os->jfd != -1)
				journal_write(os, scratch, (size_t)n);
			else
				deliver_log(os, scratch, (size_t)n);
			if (os->jpend != NULL)
				break;		/* journald is slow: wait */
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1)
			log_warn("%s: read %s", in->name, os->is_err ?
			    "stderr" : "stdout");
		stream_close(os);
		output_backpressure(in->d);
		instance_run_flag(in, os->is_err ? RUN_ERR_EOF : RUN_OUT_EOF);
		return;
	}
	if (!stream_own_sink(os))
		output_backpressure(in->d);
	log_cb_end(t0, "output of", in->name);
}

/* One stream: fill the child's fd and, for a pipe, our read end. */
static int
stream_open(struct instance *in, struct outstream *os, const struct sink *s,
    int stdfd, int *childfd, int *closefd)
{
	struct drover	*d = in->d;
	int		 p[2], fd;

	os->in = in;
	os->fd = -1;
	os->jfd = -1;
	os->is_err = stdfd == 2;
	/* a listener's stdout is the protocol: a pipe whatever it names */
	switch (stdfd == 1 && in->job->cfg->listener ? SINK_LOG : s->kind) {
	case SINK_NULL:
		*childfd = d->d_devnull;
		return 0;
	case SINK_INHERIT:
		*childfd = stdfd;
		return 0;
	case SINK_JOURNAL:
		fd = sd_journal_stream_fd(in->name, stdfd == 2 ? LOG_ERR :
		    LOG_INFO, 0);
		if (fd >= 0) {
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			if (in->job->cfg->tail_buffer == 0 ||
			    (stdfd == 1 && in->job->cfg->listener)) {
				*childfd = *closefd = fd;
				return 0;
			}
			(void)fcntl(fd, F_SETFL, O_NONBLOCK);
			os->jfd = fd;	/* through a pipe, for the ring */
			break;
		}
		/* no journald here: fall back to drover's log */
		break;
	case SINK_FILE:
	case SINK_LOG:
		break;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		if (os->jfd != -1)
			close(os->jfd);
		os->jfd = -1;
		return -1;
	}
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	os->fd = p[0];
	*childfd = *closefd = p[1];
	if (s->kind == SINK_FILE)
		os->sink = filesink_get(d, s);
	if (in->job->cfg->capture_max[stdfd - 1] > 0 &&
	    !(stdfd == 1 && in->job->cfg->listener))
		os->cap = capture_new(in->job->cfg->capture_max[stdfd - 1],
		    &capture_ops, os);
	return 0;
}

static void
stdin_close(struct instance *in)
{
	if (in->stdin_fd != -1) {
		close(in->stdin_fd);
		in->stdin_fd = -1;
	}
}

/*
 * Write to a running instance's stdin pipe (stdin = pipe), without
 * blocking: -1 with errno EPIPE (it closed it), EAGAIN (the pipe is full)
 * or EBADF (no pipe).
 */
int
instance_stdin_write(struct instance *in, const char *buf, size_t len)
{
	ssize_t	n;

	if (in->stdin_fd == -1) {
		errno = EBADF;
		return -1;
	}
	while (len > 0) {
		if ((n = write(in->stdin_fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Prepare fds 0-2 for the child.  closefds receives what the parent closes
 * after fork.  Streams without a pipe count as already at EOF.
 */
int
output_open(struct instance *in, int fds[3], int closefds[4])
{
	const struct proc_config *pc = in->pc;
	int			 p[2];

	fds[0] = pc->out.kind == SINK_INHERIT ? 0 : in->d->d_devnull;
	in->lst_fd = -1;
	if (in->job->cfg->listener) {
		/* its stdin is the protocol channel; so is its stdout */
		if (pipe2(p, O_CLOEXEC) == -1)
			return -1;
		(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
		fds[0] = closefds[2] = p[0];
		in->lst_fd = p[1];
	} else if (in->job->cfg->stdin_pipe) {
		/* stdin = pipe: sendProcessStdin (supervisorctl fg) writes */
		if (pipe2(p, O_CLOEXEC) == -1)
			return -1;
		(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
		fds[0] = closefds[2] = p[0];
		in->stdin_fd = p[1];
	}
	if (stream_open(in, &in->out, &pc->out, 1, &fds[1], &closefds[0])
	    == -1) {
		if (in->lst_fd != -1)
			close(in->lst_fd);
		in->lst_fd = -1;
		stdin_close(in);
		return -1;
	}
	if (pc->redirect_stderr) {
		in->err.in = in;
		in->err.fd = -1;
		in->err.jfd = -1;
		in->err.is_err = true;
		fds[2] = fds[1];
		return 0;
	}
	if (stream_open(in, &in->err, &pc->err, 2, &fds[2], &closefds[1])
	    == -1) {
		output_force_close(in);
		if (closefds[0] != -1) {
			close(closefds[0]);
			closefds[0] = -1;
		}
		return -1;
	}
	return 0;
}

/* After a successful spawn: watch the pipes. */
void
output_start(struct instance *in)
{
	struct outstream	*s[2] = { &in->out, &in->err };
	int			 i;

	if (in->lst_fd != -1) {
		if (in->d->d_evl_spawned != NULL)
			in->d->d_evl_spawned(in, in->lst_fd);
		else
			close(in->lst_fd);
		in->lst_fd = -1;
	}
	for (i = 0; i < 2; i++) {
		if (s[i]->fd == -1) {
			in->rflags |= i == 0 ? RUN_OUT_EOF : RUN_ERR_EOF;
			continue;
		}
		s[i]->ev = event_new(in->d->d_base, s[i]->fd,
		    EV_READ | EV_PERSIST, stream_read_cb, s[i]);
		if (s[i]->ev == NULL)
			fatalx("%s: cannot watch output", in->name);
		/* while stderr is paused, a log-sink pipe waits its turn */
		if ((!in->d->d_out_paused || stream_own_sink(s[i])) &&
		    event_add(s[i]->ev, NULL) == -1)
			fatalx("%s: cannot watch output", in->name);
	}
}

/* Close both streams now (spawn failure, or leftovers holding them). */
void
output_force_close(struct instance *in)
{
	struct outstream	*s[2] = { &in->out, &in->err };
	int			 i;

	if (in->lst_fd != -1) {
		close(in->lst_fd);
		in->lst_fd = -1;
	}
	stdin_close(in);
	for (i = 0; i < 2; i++) {
		/* take what is already in the pipe: no line is lost */
		if (s[i]->fd != -1 && s[i]->ev != NULL)
			stream_read_cb(s[i]->fd, EV_READ, s[i]);
		stream_close(s[i]);
	}
}

/* --- what tail reads (drover.h) ------------------------------------------ */

const struct outring *
instance_output_ring(const struct instance *in, bool is_err)
{
	return &in->oring[is_err ? 1 : 0];
}

uint64_t
instance_output_end(const struct instance *in, bool is_err)
{
	return outring_end(instance_output_ring(in, is_err));
}

uint64_t
instance_output_start(const struct instance *in, bool is_err)
{
	return outring_start(instance_output_ring(in, is_err));
}

size_t
instance_output_read(const struct instance *in, bool is_err, uint64_t from,
    size_t max, struct evbuffer *dst)
{
	return outring_read(instance_output_ring(in, is_err), from, max, dst);
}

void
instance_output_clear(struct instance *in)
{
	outring_clear(&in->oring[0]);
	outring_clear(&in->oring[1]);
}

/* The instance goes away (engine.c): so does what it kept. */
void
output_instance_free(struct instance *in)
{
	instance_output_clear(in);
}

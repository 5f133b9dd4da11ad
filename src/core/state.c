/*
 * state.c: the state file (state.h).
 *
 * A kill -9 at any moment leaves either the old file or the new one: the
 * new one is written to PATH.tmp, fsynced, renamed over PATH (atomic), and
 * the directory is fsynced so the rename itself survives a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bus.h"
#include "drover.h"
#include "log.h"
#include "state.h"
#include "xmalloc.h"

#define STATE_FORMAT	"drover-state"
#define STATE_VERSION	1
#define STATE_COALESCE_MS	200

static json_t *
state_json(struct drover *d)
{
	json_t		*root = json_object(), *jobs = json_object(), *o;
	struct job	*j;
	int		 i;

	json_object_set_new(root, "format", json_string(STATE_FORMAT));
	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	for (i = 0; i < d->d_njobs; i++) {
		j = d->d_jobs[i];
		if (j->removed || (!j->st_down && j->st_last_run == 0))
			continue;
		o = json_object();
		if (j->st_down)
			json_object_set_new(o, "stopped", json_true());
		if (j->st_last_run > 0)
			json_object_set_new(o, "last_run_ms",
			    json_integer(j->st_last_run));
		json_object_set_new(jobs, j->cfg->name, o);
	}
	json_object_set_new(root, "jobs", jobs);
	return root;
}

static void
fsync_dir(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static int
state_write(struct drover *d)
{
	json_t	*root = state_json(d);
	char	*text = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
	char	*tmp = xprintf("%s.tmp", d->d_state_path);
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;
	int	 fd, rc = -1;

	json_decref(root);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1) {
		log_warn("state file %s", tmp);
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	if (off < len || write(fd, "\n", 1) != 1 || fsync(fd) == -1) {
		log_warn("state file %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, d->d_state_path) == -1) {
		log_warn("state file %s", d->d_state_path);
		unlink(tmp);
		goto out;
	}
	fsync_dir(d->d_state_path);
	rc = 0;
out:
	free(tmp);
	free(text);
	return rc;
}

static void
state_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	state_write(arg);
}

static void
state_dirty(struct drover *d)
{
	struct timeval	tv = { 0, STATE_COALESCE_MS * 1000 };

	if (d->d_state_ev != NULL && !evtimer_pending(d->d_state_ev, NULL))
		evtimer_add(d->d_state_ev, &tv);
}

/* An autostart job the operator stopped: every instance wants down. */
static bool
job_stopped_by_hand(const struct job *j)
{
	int	i;

	if (!j->cfg->autostart || j->cfg->kind == JOB_CLEANUP)
		return false;
	for (i = 0; i < j->ninst; i++)
		if (j->inst[i]->want != WANT_DOWN)
			return false;
	return true;
}

static void
state_bus_cb(const struct bus_event *ev, void *arg)
{
	struct drover	*d = arg;
	struct job	*j = ev->job;
	bool		 down;

	/* a shutdown wants everything down: that is not the operator's */
	if (d->d_sd_phase != SD_NONE || !d->d_started)
		return;
	if (ev->type == BUS_JOB || (ev->type == BUS_DROVER &&
	    ev->dp.from == DP_RELOADING)) {
		state_dirty(d);
		return;
	}
	if (ev->type != BUS_STATE || j == NULL || j->removed)
		return;
	down = job_stopped_by_hand(j);
	if (ev->st.to == JS_QUEUED && j->cfg->schedule != NULL)
		state_dirty(d);		/* cron.c set st_last_run */
	if (down != j->st_down) {
		j->st_down = down;
		state_dirty(d);
	}
}

/* false if the job is gone from the config: its state is dropped. */
static bool
load_job(struct drover *d, const char *name, json_t *o)
{
	struct job	*j = engine_find_job(d, name);
	json_t		*v;

	if (j == NULL || !json_is_object(o))
		return false;
	if (json_is_true(json_object_get(o, "stopped")) &&
	    j->cfg->autostart) {
		j->st_down = true;
		log_info("%s: stopped before the restart: not started (state "
		    "file)", name);
	}
	v = json_object_get(o, "last_run_ms");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		j->st_last_run = json_integer_value(v);
	return true;
}

static void
state_load(struct drover *d)
{
	json_error_t	 err;
	json_t		*root, *jobs, *o;
	const char	*name;
	bool		 dropped = false;

	if (access(d->d_state_path, F_OK) == -1)
		return;		/* the first start */
	if ((root = json_load_file(d->d_state_path, 0, &err)) == NULL) {
		log_warnx("state file %s:%d: %s (ignored)", d->d_state_path,
		    err.line, err.text);
		return;
	}
	jobs = json_object_get(root, "jobs");
	if (!json_is_object(root) || !json_is_string(json_object_get(root,
	    "format")) || strcmp(json_string_value(json_object_get(root,
	    "format")), STATE_FORMAT) != 0 ||
	    json_integer_value(json_object_get(root, "version")) !=
	    STATE_VERSION || !json_is_object(jobs)) {
		log_warnx("state file %s: not a drover state file of version "
		    "%d (ignored)", d->d_state_path, STATE_VERSION);
		json_decref(root);
		return;
	}
	json_object_foreach(jobs, name, o) {
		if (!load_job(d, name, o))
			dropped = true;
	}
	json_decref(root);
	if (dropped)
		state_dirty(d);		/* write it without them */
}

void
state_init(struct drover *d, const char *path)
{
	if (path == NULL)
		return;
	d->d_state_path = xstrdup(path);
	d->d_state_ev = evtimer_new(d->d_base, state_timer_cb, d);
	state_load(d);
	bus_subscribe(d->d_bus, BUS_PRIO_LISTENER, BUS_MASK(BUS_STATE) |
	    BUS_MASK(BUS_JOB) | BUS_MASK(BUS_DROVER), state_bus_cb, d);
}

void
state_fini(struct drover *d)
{
	if (d->d_state_ev == NULL)
		return;
	if (evtimer_pending(d->d_state_ev, NULL))
		state_write(d);
	event_free(d->d_state_ev);
	d->d_state_ev = NULL;
	bus_unsubscribe(d->d_bus, state_bus_cb, d);
	free(d->d_state_path);
	d->d_state_path = NULL;
}

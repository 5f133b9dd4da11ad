/*
 * droverctl_print.c: drover's replies as text: the status table (the
 * detail column of each instance), history, names, the other commands'
 * messages; and a reply's exit status.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "control.h"
#include "droverctl_int.h"
#include "value.h"

const char *
sget(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

bool
iget(json_t *o, const char *key, long long *v)
{
	json_t	*j = json_object_get(o, key);

	if (!json_is_integer(j))
		return false;
	*v = json_integer_value(j);
	return true;
}

static void
cat(char *buf, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cat(char *buf, size_t sz, const char *fmt, ...)
{
	size_t	len = strlen(buf);
	va_list	ap;

	if (len >= sz - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, sz - len, fmt, ap);
	va_end(ap);
}

/* A time to come, rounded up to seconds: "3s", "4m58s". */
static void
fmt_in(long long ms, char *buf, size_t sz)
{
	value_duration_fmt((ms + 999) / 1000 * 1000, buf, sz);
}

static void
cat_names(char *buf, size_t sz, const char *what, json_t *a)
{
	size_t	i;
	json_t	*v;

	if (json_array_size(a) == 0)
		return;
	cat(buf, sz, ", %s ", what);
	json_array_foreach(a, i, v)
		cat(buf, sz, "%s%s", i > 0 ? ", " : "", json_string_value(v));
}

/* A run's duration: "0.120s" under a minute, "4m58s" above. */
static void
cat_duration(char *buf, size_t sz, long long ms)
{
	char	t[32];

	if (ms < 60000)
		cat(buf, sz, "%lld.%03llds", ms / 1000, ms % 1000);
	else {
		value_duration_fmt(ms / 1000 * 1000, t, sizeof(t));
		cat(buf, sz, "%s", t);
	}
}

/* A task's record: ", 3/5 ok (60%), last 0.120s, median 0.100s" (no
 * last duration where the last result is shown already). */
static void
cat_stats(char *buf, size_t sz, json_t *in, bool with_last)
{
	json_t		*st = json_object_get(in, "stats"), *rate;
	long long	 runs = 0, ok = 0, ms;

	if (strcmp(sget(in, "kind"), "service") == 0 || !json_is_object(st) ||
	    !iget(st, "runs", &runs) || runs == 0)
		return;
	iget(st, "ok", &ok);
	cat(buf, sz, ", %lld/%lld ok", ok, runs);
	rate = json_object_get(st, "success_rate");
	if (json_is_number(rate))
		cat(buf, sz, " (%.0f%%)", json_number_value(rate) * 100);
	if (with_last && iget(st, "last_duration_ms", &ms)) {
		cat(buf, sz, ", last ");
		cat_duration(buf, sz, ms);
	}
	if (iget(st, "median_duration_ms", &ms)) {
		cat(buf, sz, ", median ");
		cat_duration(buf, sz, ms);
	}
}

/* "last failed (exit 3, 0.120s): exited before it was ready" */
static void
cat_last(char *buf, size_t sz, json_t *last)
{
	long long	v, ms = 0;

	if (!json_is_object(last)) {
		cat(buf, sz, "not started");
		return;
	}
	cat(buf, sz, "last %s (", sget(last, "result"));
	if (iget(last, "signal", &v))
		cat(buf, sz, "signal %s, ", sget(last, "signal_name"));
	else if (iget(last, "code", &v))
		cat(buf, sz, "exit %lld, ", v);
	iget(last, "duration_ms", &ms);
	cat_duration(buf, sz, ms);
	cat(buf, sz, ")");
	if (*sget(last, "note") != '\0')
		cat(buf, sz, ": %s", sget(last, "note"));
}

static void
cat_shutdown(char *buf, size_t sz, json_t *sd)
{
	char		t[32];
	long long	v;

	if (!json_is_object(sd))
		return;
	cat_names(buf, sz, "starts after", json_object_get(sd,
	    "starts_after"));
	cat_names(buf, sz, "stops after", json_object_get(sd, "stops_after"));
	if (iget(sd, "stops_after_tier", &v))
		cat(buf, sz, ", stops after priority tier %lld", v);
	if (iget(sd, "cancel_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", cancelled in %s", t);
	}
	if (iget(sd, "timeout_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", timeout in %s", t);
	}
}

/* The detail column of one instance. */
static void
detail(json_t *in, char *buf, size_t sz)
{
	const char	*state = sget(in, "state");
	json_t		*st = json_object_get(in, "stopping"), *sch;
	char		 t[64], t2[32];
	long long	 v = 0, w = 0;
	bool		 shown_last = false;

	buf[0] = '\0';
	if (iget(in, "pid", &v) && iget(in, "uptime_ms", &w)) {
		value_uptime_fmt(w, t, sizeof(t));
		cat(buf, sz, "pid %lld, uptime %s", v, t);
	} else if (strcmp(state, "QUEUED") == 0) {
		cat(buf, sz, json_is_string(json_object_get(in,
		    "waiting_for")) ? "waiting for %s" : "queued%s",
		    sget(in, "waiting_for"));
	} else if (strcmp(state, "STOPPING") == 0)
		cat(buf, sz, "main process gone");
	else {
		cat_last(buf, sz, json_object_get(in, "last"));
		shown_last = true;
	}
	if (json_is_object(st)) {
		iget(st, "for_ms", &v);
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", stopping for %s", t);
		if (iget(st, "escalation_in_ms", &w)) {
			fmt_in(w, t2, sizeof(t2));
			cat(buf, sz, ", %s in %s", sget(st, "escalation"), t2);
		}
	}
	if (iget(in, "next_run_in_ms", &v)) {
		fmt_in(v, t, sizeof(t));
		cat(buf, sz, ", %s in %s", strcmp(state, "BACKOFF") == 0 ?
		    "retry" : "next run", t);
	}
	if (iget(in, "restarts", &v) && v > 0)
		cat(buf, sz, ", restarts %lld", v);
	sch = json_object_get(in, "schedule");
	if (json_is_object(sch) && json_is_string(json_object_get(sch,
	    "next_run")))
		cat(buf, sz, ", next %s", sget(sch, "next_run"));
	if (json_is_true(json_object_get(in, "removed")))
		cat(buf, sz, ", removed by a reload");
	if (json_is_object(json_object_get(in, "events"))) {
		iget(json_object_get(in, "events"), "queued", &v);
		iget(json_object_get(in, "events"), "dropped", &w);
		cat(buf, sz, ", events queued %lld dropped %lld", v, w);
	}
	cat_stats(buf, sz, in, !shown_last);
	cat_shutdown(buf, sz, json_object_get(in, "shutdown"));
}

void
print_instances(FILE *f, json_t *reply)
{
	json_t	*in;
	size_t	 i;
	char	 buf[1024];

	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		detail(in, buf, sizeof(buf));
		fprintf(f, "%-20s %-9s %s\n", sget(in, "name"), sget(in, "state"),
		    buf);
	}
}

void
print_shutdown(FILE *f, json_t *reply)
{
	json_t		*sd;
	long long	 dl = 0, wc = 0;
	char		 t1[32], t2[32];

	sd = json_object_get(json_object_get(reply, "drover"), "shutdown");
	if (!json_is_object(sd))
		return;
	iget(sd, "deadline_in_ms", &dl);
	iget(sd, "worst_case_in_ms", &wc);
	fmt_in(dl, t1, sizeof(t1));
	fmt_in(wc, t2, sizeof(t2));
	fprintf(f, "drover is shutting down (%s): deadline in %s, worst case in "
	    "%s\n", sget(sd, "phase"), t1, t2);
}

/* "2026-12-04 01:02:03" in local time, from ms since the epoch. */
void
fmt_wall(long long ms, char *buf, size_t sz)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (localtime_r(&t, &tm) == NULL || strftime(buf, sz,
	    "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sz, "%lld", ms / 1000);
}

/* One line of droverctl history. */
static void
print_run(json_t *run)
{
	char		start[32], dur[32] = "-", pid[16] = "-", ex[32] = "-";
	long long	v = 0;

	fmt_wall(iget(run, "start_ms", &v) ? v : 0, start, sizeof(start));
	if (iget(run, "duration_ms", &v)) {
		dur[0] = '\0';
		cat_duration(dur, sizeof(dur), v);
	}
	if (iget(run, "pid", &v))
		snprintf(pid, sizeof(pid), "%lld", v);
	if (iget(run, "signal", &v))
		snprintf(ex, sizeof(ex), "signal %s", sget(run, "signal_name"));
	else if (iget(run, "code", &v))
		snprintf(ex, sizeof(ex), "exit %lld", v);
	if (!iget(run, "tries", &v))
		v = 0;
	printf("%-19s %10s %8s %-12s %-12s %5lld%s%s\n", start, dur, pid, ex,
	    sget(run, "result"), v, *sget(run, "note") != '\0' ? "  " : "",
	    sget(run, "note"));
}

/* droverctl history: the runs kept of each instance, oldest first. */
static void
print_history(json_t *reply)
{
	json_t	*a = json_object_get(reply, "instances"), *in, *run;
	size_t	 i, k;
	char	 buf[256];

	json_array_foreach(a, i, in) {
		if (json_array_size(a) > 1)
			printf("%s%s:\n", i > 0 ? "\n" : "", sget(in, "name"));
		printf("%-19s %10s %8s %-12s %-12s %5s\n", "START", "DURATION",
		    "PID", "EXIT", "RESULT", "TRIES");
		json_array_foreach(json_object_get(in, "runs"), k, run)
			print_run(run);
		buf[0] = '\0';
		cat_stats(buf, sizeof(buf), in, true);
		if (buf[0] != '\0')
			printf("%s: %s\n", sget(in, "name"), buf + 2);
	}
}

/* The hidden `names` command: every name completion may offer. */
static void
print_names(json_t *reply)
{
	json_t		*in, *seen = json_object();
	const char	*k[4];
	char		 g[256], j[256];
	size_t		 i, n;

	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		k[0] = sget(in, "job");
		k[1] = sget(in, "name");
		k[2] = k[3] = NULL;
		if (strcmp(k[0], k[1]) != 0) {
			snprintf(j, sizeof(j), "%s:*", k[0]);
			k[2] = j;
		}
		if (json_is_string(json_object_get(in, "group"))) {
			snprintf(g, sizeof(g), "%s:*", sget(in, "group"));
			k[3] = g;
		}
		for (n = 0; n < 4; n++)
			if (k[n] != NULL && json_object_get(seen, k[n]) ==
			    NULL) {
				json_object_set_new(seen, k[n], json_true());
				printf("%s\n", k[n]);
			}
	}
	json_decref(seen);
}

void
print_reply(const char *cmd, json_t *reply)
{
	long long	pid = 0;

	if (strcmp(cmd, "names") == 0)
		print_names(reply);
	else if (strcmp(cmd, "status") == 0) {
		print_shutdown(stdout, reply);
		print_instances(stdout, reply);
	} else if (strcmp(cmd, "history") == 0) {
		print_history(reply);
	} else if (strcmp(cmd, "metrics") == 0) {
		fputs(sget(reply, "text"), stdout);
	} else if (strcmp(cmd, "version") == 0) {
		iget(reply, "pid", &pid);
		printf("drover %s (pid %lld)\n", sget(reply, "version"), pid);
	} else if (strcmp(cmd, "signal") == 0)
		printf("signal sent to %s\n", sget(reply, "message"));
	else if (json_is_string(json_object_get(reply, "message")))
		printf("%s\n", sget(reply, "message"));
	else
		print_instances(stdout, reply);
}

int
exit_code(json_t *reply)
{
	const char	*e;

	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	e = sget(reply, "error");
	if (strcmp(e, CTL_E_BAD_REQUEST) == 0)
		return EX_USAGE;
	if (strcmp(e, CTL_E_UNKNOWN_JOB) == 0)
		return EX_UNKNOWN;
	return EX_FAILED;
}

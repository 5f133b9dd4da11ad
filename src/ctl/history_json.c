/*
 * history_json.c: history.c's records as JSON (history_json.h).
 */
#include <stdint.h>

#include <jansson.h>

#include "control_proto.h"
#include "drover.h"
#include "history.h"
#include "history_json.h"
#include "value.h"

static void
jset(json_t *o, const char *key, json_t *v)
{
	json_object_set_new(o, key, v != NULL ? v : json_null());
}

static json_t *
jms_or_null(int64_t ms)
{
	return ms >= 0 ? json_integer(ms) : json_null();
}

json_t *
history_json_stats(struct instance *in)
{
	struct hist		*e = history_of(in);
	struct hist_stats	 s;
	json_t			*o = json_object(), *by = json_object();
	int			 i;

	history_stats(e, &s);
	jset(o, "runs", json_integer((json_int_t)s.runs));
	jset(o, "ok", json_integer((json_int_t)s.ok));
	for (i = RES_OK; i < RES__MAX; i++)
		jset(by, result_names[i], json_integer((json_int_t)
		    e->by_result[i]));
	jset(o, "by_result", by);
	jset(o, "success_rate", s.success >= 0 ? json_real(s.success) : NULL);
	jset(o, "last_duration_ms", jms_or_null(s.last_ms));
	jset(o, "median_duration_ms", jms_or_null(s.median_ms));
	jset(o, "restarts", json_integer((json_int_t)e->restarts));
	jset(o, "kept", json_integer(e->ring.n));
	return o;
}

static json_t *
run_json(const struct hist_run *run)
{
	const struct result_rec	*r = &run->r;
	json_t			*o = json_object();

	jset(o, "start_ms", json_integer(r->start));
	jset(o, "end_ms", json_integer(r->end));
	jset(o, "duration_ms", r->pid > 0 ? json_integer(r->duration) : NULL);
	jset(o, "pid", r->pid > 0 ? json_integer(r->pid) : NULL);
	jset(o, "code", r->code >= 0 ? json_integer(r->code) : NULL);
	jset(o, "signal", r->signal > 0 ? json_integer(r->signal) : NULL);
	jset(o, "signal_name", r->signal > 0 ?
	    ctl_json_str(value_signal_name(r->signal)) : NULL);
	jset(o, "result", ctl_json_str(r->result < RES__MAX ?
	    result_names[r->result] : "none"));
	jset(o, "tries", json_integer(run->tries));
	jset(o, "note", r->note[0] != '\0' ? ctl_json_str(r->note) : NULL);
	return o;
}

json_t *
history_json_runs(struct instance *in)
{
	struct hist	*e = history_of(in);
	json_t		*a = json_array();
	int		 i;

	for (i = 0; i < e->ring.n; i++)
		json_array_append_new(a, run_json(hist_ring_get(&e->ring, i)));
	return a;
}

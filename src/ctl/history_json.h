/*
 * history_json.h: an instance's run history and its statistics as JSON
 * (droverctl history, droverctl status; the web page may reuse it).
 * Field names are documented in droverctl(1) and only ever added to.
 */
#ifndef DROVER_HISTORY_JSON_H
#define DROVER_HISTORY_JSON_H

#include <jansson.h>

struct instance;

/* {"runs": N, "ok": N, "by_result": {...}, "success_rate": 0.6 | null,
 *  "last_duration_ms", "median_duration_ms", "restarts", "kept": N} */
json_t	*history_json_stats(struct instance *);
/* [{start_ms, end_ms, duration_ms, pid, code, signal, signal_name,
 *   result, tries, note}, ...], oldest first */
json_t	*history_json_runs(struct instance *);

#endif

/*
 * metrics.h: drover's Prometheus metrics (drover-metrics(7) lists every
 * family and label).  Rendered on demand, by droverctl metrics and by the
 * HTTP server's GET /metrics; nothing is sampled in between, so an idle
 * drover does not wake up for them.
 */
#ifndef DROVER_METRICS_H
#define DROVER_METRICS_H

#include <stdint.h>

struct drover;
struct evbuffer;

void	 metrics_init(struct drover *);		/* at start-up: the clocks */
void	 metrics_fini(struct drover *);
/* An instance timer fired late_ms after its deadline (main.c). */
void	 metrics_loop_lag(struct drover *, int64_t late_ms);
/* Append the whole exposition (text format 0.0.4) to dst. */
void	 metrics_render(struct drover *, struct evbuffer *dst);

/* The Content-Type of what metrics_render() writes. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif

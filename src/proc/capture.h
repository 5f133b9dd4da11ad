/*
 * capture.h: supervisord's capture mode, the pure half (drover.ini(5),
 * stdout_capture_maxbytes).  Bytes of one output stream are split into
 * what is logged as usual and what a job writes between
 * <!--XSUPERVISOR:BEGIN--> and <!--XSUPERVISOR:END-->, which becomes a
 * PROCESS_COMMUNICATION event.  The tokens may come anywhere, split over
 * any number of reads.  No daemon state: unit-tested
 * (tests/unit/check_capture.c) and fuzzed (fuzz/fuzz_capture.c).
 */
#ifndef DROVER_CAPTURE_H
#define DROVER_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_BEGIN	"<!--XSUPERVISOR:BEGIN-->"
#define CAPTURE_END	"<!--XSUPERVISOR:END-->"

struct capture_ops {
	/* bytes outside a capture: log them as the stream's output */
	void	(*out)(void *arg, const char *buf, size_t len);
	/*
	 * A capture is over: its data (at most maxbytes: the last ones;
	 * dropped says how many came before them).  complete is false at
	 * the end of the stream with no END token seen.
	 */
	void	(*comm)(void *arg, const char *data, size_t len,
		    uint64_t dropped, bool complete);
};

struct capture;

struct capture	*capture_new(size_t maxbytes, const struct capture_ops *,
		    void *arg);
void		 capture_feed(struct capture *, const char *buf, size_t len);
void		 capture_end(struct capture *);	/* the stream is at EOF */
void		 capture_free(struct capture *);

#endif

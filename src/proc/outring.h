/*
 * outring.h: a bounded byte ring with a virtual offset, for `tail`.
 *
 * Each stream of an instance (and drover's own log) keeps its newest
 * bytes here.  Offsets are virtual: `end` counts every byte ever appended
 * (since the last clear), `start` is the offset of the oldest byte still
 * held, so a reader that remembers an offset can ask for "what came
 * since" and learn how much it missed.  The buffer is allocated on the
 * first byte and grows to the bound, so a stream that never writes costs
 * no memory.  Allocation failure drops bytes instead of failing: the ring
 * is a convenience, never a reason to stop.  Pure (libc and evbuffer
 * only): util/log.c uses it too.
 */
#ifndef DROVER_OUTRING_H
#define DROVER_OUTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct instance;

struct outring {
	char		*buf;		/* NULL until the first byte */
	size_t		 size;		/* allocated, <= cap */
	size_t		 cap;		/* the bound; 0 keeps nothing */
	size_t		 head;		/* index of the oldest byte */
	size_t		 len;		/* bytes held */
	uint64_t	 end;		/* virtual offset after the newest */
};

void	 outring_init(struct outring *, size_t cap);
/* A new bound: the newest bytes that fit are kept. */
void	 outring_set_cap(struct outring *, size_t cap);
void	 outring_append(struct outring *, const void *, size_t);
uint64_t outring_start(const struct outring *);
uint64_t outring_end(const struct outring *);
/* Up to max bytes from offset from (clamped to [start, end]) into dst;
 * returns the number appended. */
size_t	 outring_read(const struct outring *, uint64_t from, size_t max,
	    struct evbuffer *dst);
/* The offset where the last n lines held begin (tail -n): a last line
 * without its newline counts; start if fewer are held. */
uint64_t outring_tail_lines(const struct outring *, size_t n);
/* Forget everything and free the buffer: start = end = 0. */
void	 outring_clear(struct outring *);
#define outring_free	outring_clear

/*
 * What an instance kept of a stream (tail_buffer, proc/output.c), for tail
 * and the XML-RPC log calls.  Offsets are virtual: end counts the bytes
 * ever kept (until a clear), start is the oldest still held (== end when
 * none).
 */
uint64_t instance_output_end(const struct instance *, bool is_err);
uint64_t instance_output_start(const struct instance *, bool is_err);
/* up to max bytes from offset from (clamped to [start, end]) onto dst;
 * returns the number appended */
size_t	 instance_output_read(const struct instance *, bool is_err,
	    uint64_t from, size_t max, struct evbuffer *dst);
void	 instance_output_clear(struct instance *);	/* both: start = end = 0 */
const struct outring *instance_output_ring(const struct instance *,
	    bool is_err);

/*
 * drover's own recent lines ("DATE TIME,ms level: message", util/log.c),
 * 64 KiB, for maintail and readLog; the same offsets.
 */
uint64_t log_ring_end(void);
uint64_t log_ring_start(void);	/* == end when nothing is held */
size_t	 log_ring_read(uint64_t from, size_t max, struct evbuffer *dst);
void	 log_ring_clear(void);	/* start = end = 0 */
const struct outring *log_ring(void);

#endif

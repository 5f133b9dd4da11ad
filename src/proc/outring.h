/* TEMPORARY stub header until the ring branch lands (lead) */
#ifndef DROVER_OUTRING_H
#define DROVER_OUTRING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct evbuffer;
struct instance;
uint64_t instance_output_end(const struct instance *, bool is_err);
uint64_t instance_output_start(const struct instance *, bool is_err);
size_t	 instance_output_read(const struct instance *, bool is_err,
	    uint64_t from, size_t max, struct evbuffer *dst);
void	 instance_output_clear(struct instance *);
uint64_t log_ring_end(void);
uint64_t log_ring_start(void);
size_t	 log_ring_read(uint64_t from, size_t max, struct evbuffer *dst);
void	 log_ring_clear(void);
#endif

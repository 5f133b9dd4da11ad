/*
 * control_status.h: the JSON of a status reply (control_status.c), which
 * control_cmd.c builds its replies with.  Not for other modules.
 */
#ifndef DROVER_CONTROL_STATUS_H
#define DROVER_CONTROL_STATUS_H

#include <stddef.h>

#include <jansson.h>

struct drover;
struct instance;

struct ivec {
	struct instance	**v;
	size_t		  n;
};

json_t	*jstr(const char *);
void	 jset(json_t *, const char *, json_t *);
json_t	*instances_json(struct drover *, const struct ivec *);
json_t	*drover_json(struct drover *);

#endif

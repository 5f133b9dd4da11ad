/*
 * names.c: name -> index, open addressing with linear probing.
 *
 * The size is a power of two and the table grows (doubles) once it is half
 * full, so a probe is short and always ends at an empty slot.  Each slot
 * keeps the full hash: a probe compares strings only when the hashes agree,
 * and growing does not hash the names again.
 */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "xmalloc.h"

#define NAMES_MIN_SIZE	16

struct slot {
	const char	*name;		/* NULL: empty */
	uint32_t	 hash;
	int		 idx;
};

struct names {
	struct slot	*slots;
	size_t		 size;		/* a power of two */
	size_t		 count;
	bool		 copy;		/* names are ours to free */
};

uint32_t
names_hash(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct names *
names_new(bool copy)
{
	struct names	*t = xcalloc(1, sizeof(*t));

	t->size = NAMES_MIN_SIZE;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	t->copy = copy;
	return t;
}

void
names_free(struct names *t)
{
	size_t	i;

	if (t == NULL)
		return;
	/* a copied name is ours: drop the const (NetBSD's __UNCONST) */
	for (i = 0; t->copy && i < t->size; i++)
		free((void *)(uintptr_t)t->slots[i].name);
	free(t->slots);
	free(t);
}

/* The slot that holds name, or the empty slot where it would go. */
static struct slot *
lookup(const struct names *t, const char *name, uint32_t h)
{
	size_t		 mask = t->size - 1, i = h & mask;
	struct slot	*s;

	for (;; i = (i + 1) & mask) {
		s = &t->slots[i];
		if (s->name == NULL ||
		    (s->hash == h && strcmp(s->name, name) == 0))
			return s;
	}
}

static void
grow(struct names *t)
{
	struct slot	*old = t->slots, *s;
	size_t		 n = t->size, i;

	t->size *= 2;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	for (i = 0; i < n; i++) {
		if (old[i].name == NULL)
			continue;
		s = lookup(t, old[i].name, old[i].hash);
		*s = old[i];
	}
	free(old);
}

int
names_add(struct names *t, const char *name, int idx)
{
	uint32_t	 h = names_hash(name);
	struct slot	*s = lookup(t, name, h);

	if (s->name != NULL)
		return s->idx;
	if ((t->count + 1) * 2 > t->size) {	/* keep it half empty */
		grow(t);
		s = lookup(t, name, h);
	}
	s->name = t->copy ? xstrdup(name) : name;
	s->hash = h;
	s->idx = idx;
	t->count++;
	return -1;
}

int
names_find(const struct names *t, const char *name)
{
	const struct slot	*s = lookup(t, name, names_hash(name));

	return s->name != NULL ? s->idx : -1;
}

int
names_count(const struct names *t)
{
	return (int)t->count;
}

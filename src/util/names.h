/*
 * names.h: a hash table from names to array indexes.
 *
 * The configuration loader, the validator and reload look names up (a
 * section header, a job, a group member, an old job by its new name) once
 * per job or more; a scan of the array each time made loading quadratic.
 * A table maps each name to the index of its first occurrence in whatever
 * array the caller keeps: adding a name that is there already leaves it
 * alone and returns the index it has, which is how duplicates are found.
 * Names are never removed.
 *
 * A table made with names_new(false) borrows its names: each must stay
 * alive and unchanged while the table is used.  names_new(true) copies
 * them.
 */
#ifndef DROVER_NAMES_H
#define DROVER_NAMES_H

#include <stdbool.h>
#include <stdint.h>

struct names;

struct names	*names_new(bool copy);
void		 names_free(struct names *);		/* NULL is fine */
/* -1 if name was added with idx (>= 0); else the index it already has. */
int		 names_add(struct names *, const char *name, int idx);
/* The index of name, or -1. */
int		 names_find(const struct names *, const char *name);
int		 names_count(const struct names *);
/* 32-bit FNV-1a, as the table uses it (the tests make collisions). */
uint32_t	 names_hash(const char *);

#endif

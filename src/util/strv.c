/*
 * strv.c: NULL-terminated string vectors (value.h), the lists the
 * configuration is made of: argv, environments, after/before.
 */
#include <stdlib.h>
#include <string.h>

#include "value.h"
#include "xmalloc.h"

char **
strv_new(void)
{
	return xcalloc(1, sizeof(char *));
}

size_t
strv_len(char *const *v)
{
	size_t	n = 0;

	if (v != NULL) {
		while (v[n] != NULL)
			n++;
	}
	return n;
}

void
strv_push_take(char ***vp, char *s)
{
	size_t	n = strv_len(*vp);

	*vp = xreallocarray(*vp, n + 2, sizeof(char *));
	(*vp)[n] = s;
	(*vp)[n + 1] = NULL;
}

void
strv_push(char ***vp, const char *s)
{
	strv_push_take(vp, xstrdup(s));
}

/*
 * strv_push_take() onto a vector of n strings that only this function grew
 * (from NULL or strv_new()): the array doubles whenever n + 1 is a power
 * of two, so a long vector is built in linear time, not quadratic.
 */
void
strv_append(char ***vp, size_t n, char *s)
{
	if ((n & (n + 1)) == 0)
		*vp = xreallocarray(*vp, 2 * (n + 1), sizeof(char *));
	(*vp)[n] = s;
	(*vp)[n + 1] = NULL;
}

/* Deep copy; NULL stays NULL so "unset" survives a copy. */
char **
strv_dup(char *const *v)
{
	char	**copy;
	size_t	  i, n;

	if (v == NULL)
		return NULL;
	n = strv_len(v);
	copy = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(v[i]);
	return copy;
}

/* Compares element by element; reload uses it, and there an unset list and
 * an empty one mean the same thing. */
bool
strv_eq(char *const *a, char *const *b)
{
	size_t	i, n;

	if ((n = strv_len(a)) != strv_len(b))
		return false;
	for (i = 0; i < n; i++) {
		if (strcmp(a[i], b[i]) != 0)
			return false;
	}
	return true;
}

bool
strv_contains(char *const *v, const char *s)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (strcmp(v[i], s) == 0)
			return true;
	}
	return false;
}

void
strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Joins with sep (NULL = nothing); always returns a malloc'd string. */
char *
strv_join(char *const *v, const char *sep)
{
	size_t	i, n = 0, seplen = sep != NULL ? strlen(sep) : 0;
	char	*s, *p;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		n += strlen(v[i]) + (i > 0 ? seplen : 0);
	p = s = xmalloc(n + 1);
	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (i > 0 && seplen > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		n = strlen(v[i]);
		memcpy(p, v[i], n);
		p += n;
	}
	*p = '\0';
	return s;
}

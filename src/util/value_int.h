/*
 * value_int.h: shared by value.c and value_interp.c only.
 */
#ifndef DROVER_VALUE_INT_H
#define DROVER_VALUE_INT_H

#include <stddef.h>

/* A growing string for the splitters; p is NUL-terminated once non-NULL. */
struct vbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	 vbuf_add(struct vbuf *, const char *, size_t);
void	 vbuf_addc(struct vbuf *, char);
void	 vbuf_pad(struct vbuf *, char, size_t);
char	*vbuf_take(struct vbuf *);	/* "" if empty; b is reset */
void	 vbuf_free(struct vbuf *);
/* Stores msg in *err if err is not NULL (else frees it); returns -1. */
int	 value_set_err(char **err, char *msg);

#endif

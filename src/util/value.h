/*
 * value.h: pure parsers for configuration values (SPEC 2.1).
 *
 * No I/O, no global state, no libevent: unit-tested and fuzzed directly.
 * Functions return 0 on success and -1 on bad input; where an error text is
 * useful they set *err to a malloc'd message ("expected a duration like 30s,
 * 1m30s or 250ms") that the caller frees.  Outputs are only written on
 * success.
 */
#ifndef DROVER_VALUE_H
#define DROVER_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NULL-terminated string vectors. */
char	**strv_new(void);
size_t	  strv_len(char *const *);
void	  strv_push(char ***, const char *);		/* copies */
void	  strv_push_take(char ***, char *);		/* takes ownership */
/* strv_push_take() in amortized O(1) onto a vector of n that only
 * strv_append() grew (from NULL or strv_new()). */
void	  strv_append(char ***, size_t n, char *);
char	**strv_dup(char *const *);
bool	  strv_eq(char *const *, char *const *);	/* NULL == empty */
bool	  strv_contains(char *const *, const char *);
void	  strv_free(char **);
char	 *strv_join(char *const *, const char *sep);

/* true/false, yes/no, on/off, 1/0, case-insensitive. */
int	 value_bool(const char *, bool *);
/* 250ms, 30s, 5m, 2h, 1d, 1m30s, bare number = seconds ("1.5" = 1500ms). */
int	 value_duration(const char *, int64_t *ms);
/* Formats a duration as the shortest exact form ("1m30s", "250ms", "0s"). */
void	 value_duration_fmt(int64_t ms, char *buf, size_t bufsz);
/* supervisorctl's uptime: "0:10:02", or "2 days, 3:04:05". */
void	 value_uptime_fmt(int64_t ms, char *buf, size_t bufsz);
/* 512, 10KB, 50MB, 1GB (also K/M/G/KiB..., case-insensitive; 1KB = 1024). */
int	 value_size(const char *, uint64_t *);
/* Non-negative decimal integer within [min, max]. */
int	 value_int(const char *, long min, long max, long *);
/* Octal (umask 022, socket_mode 0600); max 07777. */
int	 value_octal(const char *, int *);
/* TERM, SIGTERM, term, 15, HUP, INT, QUIT, KILL, USR1, USR2, and the rest of
 * the standard signals by name. */
int	 value_signal(const char *, int *);
const char *value_signal_name(int);		/* "TERM"; "SIG37" if unnamed */
/* Comma- and/or whitespace-separated names; empty items dropped. */
int	 value_list(const char *, char ***);
/* rlimit: a number, a size with a unit, or "infinity"/"unlimited". */
int	 value_rlimit(const char *, uint64_t *);	/* UINT64_MAX = infinity */

/*
 * Split a command line into argv, POSIX-shell-like: single quotes (literal),
 * double quotes (backslash escapes only \\ \" \$ \` and newline), backslash
 * outside quotes escapes the next character.  No expansion, no globbing, no
 * shell operators.  Unterminated quotes and a trailing backslash are errors;
 * an empty command is an error.
 */
int	 value_argv(const char *, char ***argv, char **err);

/*
 * supervisord's environment syntax: KEY=value,KEY2="v, v",KEY3='x'.
 * Items are comma-separated; values may be quoted (quotes removed).  Keys
 * must be [A-Za-z_][A-Za-z0-9_]*.  Result: "KEY=value" strings.
 */
int	 value_env(const char *, char ***kv, char **err);

/*
 * %(name)s interpolation, supervisord-compatible.  Formats: %(name)s, and
 * %(name)d with optional printf flags/width ("%(process_num)02d"); %% is a
 * literal %.  lookup() returns the value of a name (for "d" formats it must
 * be a decimal integer) or NULL if unknown; ENV_X names are looked up
 * through lookup() too.  An unknown name is an error naming it.
 */
typedef const char *(*value_lookup_fn)(const char *name, void *arg);
int	 value_interpolate(const char *, value_lookup_fn, void *arg,
	    char **out, char **err);

/* Levenshtein-based suggestion: the closest candidate within distance 2 (or
 * a third of the word's length, whichever is larger), or NULL. */
const char *value_suggest(const char *word, const char *const *candidates);

#endif

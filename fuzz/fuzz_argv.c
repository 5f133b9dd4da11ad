/*
 * fuzz_argv.c: libFuzzer target for the value parsers (src/value.c).
 *
 * Every parser gets the same input, NUL-terminated.  Besides ASan/UBSan
 * findings it checks the contracts: an error sets a message and leaves the
 * output alone, success returns a well-formed vector, and what
 * value_duration_fmt() and value_signal_name() print reads back.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_argv.c \
 *	    src/value.c src/xmalloc.c src/log.c $(pkg-config --cflags --libs \
 *	    libsystemd) -o fuzz_argv && ./fuzz_argv fuzz/corpus/argv
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

#define SENTINEL	((char **)(uintptr_t)0x5a5a)
#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *
fuzz_lookup(const char *name, void *arg)
{
	if (strcmp(name, "program_name") == 0)
		return "web";
	if (strcmp(name, "process_num") == 0)
		return "7";
	return NULL;
}

/* A vector from a successful parse: non-NULL, n strings, then NULL. */
static void
check_strv(char **v, size_t min)
{
	CHECK(v != NULL && v != SENTINEL);
	CHECK(strv_len(v) >= min);
	strv_free(v);
}

/* Splitters with an err argument: exactly one of output and message. */
static void
fuzz_splitters(const char *s)
{
	char	**v, *err, *out;

	v = SENTINEL;
	err = NULL;
	if (value_argv(s, &v, &err) == 0) {
		CHECK(err == NULL);
		check_strv(v, 1);
	} else {
		CHECK(v == SENTINEL && err != NULL && *err != '\0');
		free(err);
	}

	v = SENTINEL;
	err = NULL;
	if (value_env(s, &v, &err) == 0) {
		CHECK(err == NULL);
		for (size_t i = 0; v[i] != NULL; i++)
			CHECK(strchr(v[i], '=') != NULL);
		check_strv(v, 0);
	} else {
		CHECK(v == SENTINEL && err != NULL && *err != '\0');
		free(err);
	}

	v = SENTINEL;
	CHECK(value_list(s, &v) == 0);
	for (size_t i = 0; v[i] != NULL; i++)
		CHECK(v[i][0] != '\0');
	check_strv(v, 0);

	out = (char *)SENTINEL;
	err = NULL;
	if (value_interpolate(s, fuzz_lookup, NULL, &out, &err) == 0) {
		CHECK(err == NULL && out != (char *)SENTINEL);
		free(out);
	} else {
		CHECK(out == (char *)SENTINEL && err != NULL);
		free(err);
	}
}

/* Scalars; a parsed duration or signal must survive its own formatting. */
static void
fuzz_scalars(const char *s)
{
	static const char *const keys[] = {
		"command", "autostart", "stopsignal", "environment", NULL,
	};
	char		 buf[64];
	int64_t		 ms, back;
	uint64_t	 n;
	long		 l;
	int		 sig, sig2, mode;
	bool		 b;

	if (value_duration(s, &ms) == 0) {
		CHECK(ms >= 0 && ms <= INT64_MAX / 2);
		value_duration_fmt(ms, buf, sizeof(buf));
		CHECK(value_duration(buf, &back) == 0 && back == ms);
	}
	if (value_signal(s, &sig) == 0) {
		CHECK(sig >= 1 && sig <= 64);
		CHECK(value_signal(value_signal_name(sig), &sig2) == 0);
		CHECK(sig2 == sig);
	}
	if (value_octal(s, &mode) == 0)
		CHECK(mode >= 0 && mode <= 07777);
	if (value_int(s, -1000, 1000, &l) == 0)
		CHECK(l >= -1000 && l <= 1000);
	(void)value_size(s, &n);
	(void)value_rlimit(s, &n);
	(void)value_bool(s, &b);
	(void)value_suggest(s, keys);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_splitters(s);
	fuzz_scalars(s);
	free(s);
	return 0;
}

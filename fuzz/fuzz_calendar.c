/*
 * fuzz_calendar.c: libFuzzer target for calendar_parse() and
 * calendar_next() (src/util/calendar.c), which read schedule = values.
 *
 * The input is an expression (any bytes, cut at the first NUL).  Besides
 * ASan/UBSan findings it checks the contract: an accepted expression has
 * at least one bit in every field, a refused one has an error text, and
 * a next run is strictly after the time it was asked for, and a next run
 * of that is later still.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct calendar	 c;
	char		*s, err[256];
	time_t		 t, u;

	if (len > 200)
		return 0;
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	err[0] = '\0';
	if (calendar_parse(&c, s, err, sizeof err) == -1) {
		CHECK(err[0] != '\0');
		free(s);
		return 0;
	}
	if (!c.c_reboot) {
		CHECK(c.c_sec != 0 && c.c_min != 0 && c.c_hour != 0);
		CHECK(c.c_mday != 0 && c.c_month != 0 && c.c_wday != 0);
		/* 2026-03-29 00:30 UTC: near a DST gap in Europe/Berlin */
		t = calendar_next(&c, len % 2 ? "Europe/Berlin" : "UTC",
		    1774744200);
		if (t != -1) {
			CHECK(t > 1774744200);
			u = calendar_next(&c, "Europe/Berlin", t);
			CHECK(u == -1 || u > t);
		}
	}
	free(s);
	return 0;
}

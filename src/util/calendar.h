/*
 * calendar.h: cron calendar expressions and their next run (schedule =).
 *
 * Debian packages no C library for cron expressions (libccronexpr and the
 * like are not in the archive), so this is a small parser with unit tests
 * (tests/unit/check_calendar.c) and a fuzz target (fuzz/fuzz_calendar.c).
 *
 * Accepted: the 5 cron fields "minute hour day-of-month month day-of-week"
 * with *, N, N-M, lists (a,b,c), steps (*\/n, N-M/n, N/n = N-max/n), month
 * names jan..dec and weekday names sun..sat (any case; 0 and 7 are Sunday);
 * a 6-field form with seconds first (a drover extension: "*\/5 * * * * *"
 * is every 5 seconds); and @yearly @annually @monthly @weekly @daily
 * @midnight @hourly @reboot.  systemd's OnCalendar= forms ("daily",
 * "Mon *-*-* 00:00:00") are not accepted: the error says so.
 *
 * Day of month and day of week follow cron's rule: if both are
 * restricted (neither field starts with *), a day matches if either does.
 *
 * Parsing is pure.  calendar_next() reads the time zone database through
 * the C library (see calendar.c for why that is safe in drover).
 */
#ifndef DROVER_CALENDAR_H
#define DROVER_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct calendar {
	uint64_t	c_sec;		/* bit n: second n (only bit 0 in 5-field form) */
	uint64_t	c_min;		/* bit n: minute n, 0..59 */
	uint32_t	c_hour;		/* 0..23 */
	uint32_t	c_mday;		/* 1..31 */
	uint16_t	c_month;	/* 1..12 */
	uint8_t		c_wday;		/* 0..6, Sunday = 0 */
	bool		c_mday_star;	/* the field started with '*' */
	bool		c_wday_star;
	bool		c_reboot;	/* @reboot: once at start, never again */
};

/*
 * Parse expr.  0 on success; -1 with a message in err ("field 3 (day of
 * month): 32 is out of range 1-31").
 */
int	calendar_parse(struct calendar *, const char *expr, char *err,
	    size_t errlen);

/*
 * true if zone names a zone of the time zone database (a file under
 * $TZDIR or /usr/share/zoneinfo; no absolute paths, no "..").  NULL or ""
 * is the system's local time and is valid.
 */
bool	calendar_zone_valid(const char *zone);

/*
 * The first run strictly after `after`, in zone (NULL or "": local time),
 * or -1 if there is none (@reboot, or a date that never comes like 30 2).
 * A time that a DST change skips runs once, at the first valid second
 * after it; a time that a DST change repeats runs at its first occurrence
 * only.
 */
time_t	calendar_next(const struct calendar *, const char *zone, time_t after);

/* t as "2026-12-04 02:30:00 CET" in zone (NULL or "": local time). */
void	calendar_fmt(time_t t, const char *zone, char *buf, size_t bufsz);

#endif

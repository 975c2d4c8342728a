/*
 * time_parse.h - reads the times clients put in query strings (report
 * ranges, list filters): RFC 3339 timestamps, plain dates, or epoch
 * milliseconds.
 *
 * Thread-safety: pure functions, any thread.
 */
#ifndef PARLEY_TIME_PARSE_H
#define PARLEY_TIME_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* "2026-11-24T05:49:19.123Z" (offsets +hh:mm/-hh:mm accepted, fraction
 * optional), "2026-11-24" (midnight UTC; with end_of_day the next
 * midnight, so a date used as an exclusive end includes its whole day),
 * or a decimal count of milliseconds since the epoch (a parley_time_ms). False for anything
 * else, out untouched. */
bool parley_time_parse(const char *text, bool end_of_day, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timezone database or timegm() is involved. */
int64_t parley_days_from_civil(int64_t y, int64_t m, int64_t d);

#endif

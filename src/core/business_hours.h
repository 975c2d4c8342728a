/*
 * business_hours.h - the desk's opening hours (setting bot.business_hours)
 * and the time-zone arithmetic they need.
 *
 * The value is {"timezone": "Europe/Madrid", "days": {"mon": [["09:00",
 * "18:00"]], ...}}: for each day (mon..sun) a list of [from, to) local
 * times, "HH:MM", to > from, "24:00" allowed as an end; a day not listed is
 * closed. {} (the default) means no hours are configured: always open.
 *
 * Time zones: "UTC", a fixed offset ("+02:00", "-05:30"), or an IANA name
 * read from the system tz database (/usr/share/zoneinfo, TZif v2+: the
 * transition table, and for instants after its last transition the POSIX
 * TZ rule in the file's footer, M-month.week.day rules). localtime_r() with
 * a per-call TZ would need setenv("TZ") + tzset(), which changes global
 * state under every other thread; this reader keeps no global state, so any
 * worker thread may call it at any time.
 *
 * Threads: any. Ownership: nothing retained.
 */
#ifndef PARLEY_BUSINESS_HOURS_H
#define PARLEY_BUSINESS_HOURS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define PARLEY_ZONEINFO_DIR "/usr/share/zoneinfo"

/* The setting's check: PARLEY_E_INVALID naming the faulty part. */
parley_status parley_business_hours_check(const json_t *value, parley_error *err);

/* The UTC offset (seconds east) of time zone tz at unix time t; false when
 * the zone is unknown or its file cannot be read. zoneinfo_dir NULL = the
 * system's. */
bool parley_tz_offset(const char *zoneinfo_dir, const char *tz, int64_t t, int32_t *offset);

/* The offset at t from a TZif file's bytes b[0..n): what parley_tz_offset
 * does once it has read the zone's file (v2+ only; the 64-bit table, then
 * the footer's POSIX rule after the last transition). False for a buffer
 * that is not such a file. Never reads outside b[0..n). Exposed for
 * fuzz/fuzz_tzif.c. */
bool parley_tzif_offset(const unsigned char *b, size_t n, int64_t t, int32_t *offset);

/* Is the desk open at unix time t? A value that fails the check, or whose
 * zone cannot be read, counts as always open (the bot then never claims
 * agents are away by mistake). */
bool parley_business_hours_open(const json_t *value, int64_t t, const char *zoneinfo_dir);

#endif

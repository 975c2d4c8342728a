/*
 * reports.h - the desk's reports over a date range: first response time,
 * resolution time, sessions per agent, and customer satisfaction (CSAT).
 *
 * Every report looks at the sessions created in [from, to) (optionally one
 * agent's), reading what the sessions store (first_response_at, closed_at)
 * and their ratings, never scanning messages. Figures are integers in
 * milliseconds: averages are rounded half up, the median and p90 are
 * nearest-rank percentiles (the value at rank ceil(p/100 * n) of the sorted
 * durations), so a client can recompute them exactly. The CSAT average is
 * rounded half up to two decimals. The volume report's days and the hours
 * report's hours of the week are UTC, by the sessions' creation; a day's
 * averages are those of its sessions that got a first response (were
 * closed), rounded half up.
 *
 * Threads: a worker thread with its repository handle (read-only).
 */
#ifndef PARLEY_REPORTS_H
#define PARLEY_REPORTS_H

#include <jansson.h>

#include "core/participant.h"
#include "core/repository.h"

typedef enum parley_report_kind {
    PARLEY_REPORT_KIND_FIRST_RESPONSE = 0,
    PARLEY_REPORT_KIND_RESOLUTION,
    PARLEY_REPORT_KIND_AGENTS,
    PARLEY_REPORT_KIND_CSAT,
    PARLEY_REPORT_KIND_VOLUME, /* per day (UTC): sessions, average first response and resolution */
    PARLEY_REPORT_KIND_HOURS   /* per hour of the week (UTC, Monday 0): sessions */
} parley_report_kind;

/* The volume report covers at most this many days (a longer range: 400). */
#define PARLEY_REPORT_VOLUME_DAYS_MAX 366

/* "first-response", "resolution", "agents", "csat", "volume", "hours" */
bool parley_report_kind_from_name(const char *name, parley_report_kind *out);
const char *parley_report_kind_name(parley_report_kind kind);

typedef struct parley_duration_stats {
    int64_t count;
    int64_t avg_ms; /* meaningful only when count > 0 */
    int64_t median_ms;
    int64_t p90_ms;
} parley_duration_stats;

/* sorted: ascending durations. */
void parley_duration_stats_compute(const int64_t *sorted, size_t n, parley_duration_stats *out);

/* sum / count rounded half up (count > 0, values non-negative). */
int64_t parley_round_div(int64_t sum, int64_t count);

/* Runs one report (admins only: PARLEY_ACTION_REPORT_READ) into a JSON
 * object the caller owns. */
parley_status parley_report_run(parley_repository *repo, const parley_participant *caller,
                                parley_report_kind kind, const parley_report_range *range,
                                json_t **out, parley_error *err);

/* The report as CSV (util/csv.h); malloc'd, NULL when out of memory. */
char *parley_report_csv(parley_report_kind kind, json_t *report);

#endif

/*
 * store/reports.h - the reports aggregate: aggregates over a range of
 * sessions (durations, per-agent lines, ratings).
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->reports at its parley_reports_ops; callers write
 * repo->reports->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/reports.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_REPORTS_H
#define PARLEY_STORE_REPORTS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* Reports look at the sessions created in [from, to), optionally one
 * agent's and one team's ("" = all). */
typedef struct parley_report_range {
    parley_time_ms from;
    parley_time_ms to;
    char agent_id[PARLEY_ID_SIZE];
    char team_id[PARLEY_ID_SIZE];
} parley_report_range;

typedef enum parley_report_duration {
    PARLEY_REPORT_FIRST_RESPONSE = 0, /* created_at -> first_response_at */
    PARLEY_REPORT_RESOLUTION          /* created_at -> closed_at */
} parley_report_duration;

/* One agent's line of the agents report: sums and counts, so the core
 * does the rounding in one place. */
typedef struct parley_agent_report_row {
    char agent_id[PARLEY_ID_SIZE];
    const char *name; /* borrowed for the callback's duration; may be NULL */
    int64_t handled;  /* sessions of the range assigned to the agent */
    int64_t closed;   /* of those, closed */
    int64_t first_response_sum_ms;
    int64_t first_response_count;
    int64_t rating_sum;
    int64_t rating_count;
} parley_agent_report_row;

/* One session of a range as the volume reports read it (times 0 = none). */
typedef struct parley_report_session {
    parley_time_ms created_at;
    parley_time_ms first_response_at;
    parley_time_ms closed_at;
} parley_report_session;

typedef struct parley_reports_ops {
    /* every duration of the range in ascending order, one call each */
    parley_status (*durations)(parley_repository *repo, parley_report_duration kind,
                               const parley_report_range *range,
                               void (*each)(void *ctx, int64_t duration_ms), void *ctx,
                               parley_error *err);
    /* one row per agent with sessions in the range, by agent id */
    parley_status (*agents)(parley_repository *repo, const parley_report_range *range,
                            void (*each)(void *ctx, const parley_agent_report_row *row), void *ctx,
                            parley_error *err);
    /* counts[r - 1] = ratings r of the range's sessions */
    parley_status (*ratings)(parley_repository *repo, const parley_report_range *range,
                             int64_t counts[5], parley_error *err);
    /* every session of the range, oldest first, one call each (the
     * volume and hours reports, core/reports.c) */
    parley_status (*sessions)(parley_repository *repo, const parley_report_range *range,
                              void (*each)(void *ctx, const parley_report_session *row), void *ctx,
                              parley_error *err);
} parley_reports_ops;

#endif

/*
 * sqlite/reports.c - the reports ops table (core/store/reports.h) on SQLite:
 * the support desk reports.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_reports_sql[ST_COUNT] = {
    [ST_REPORT_FIRST_RESPONSE] = "SELECT s.first_response_at - s.created_at FROM sessions s "
                                 "WHERE" REPORT_RANGE " AND s.first_response_at IS NOT NULL "
                                 "ORDER BY 1",
    [ST_REPORT_RESOLUTION] = "SELECT s.closed_at - s.created_at FROM sessions s WHERE" REPORT_RANGE
                             " AND s.closed_at IS NOT NULL ORDER BY 1",
    [ST_REPORT_AGENTS] = "SELECT s.agent_id, a.name, count(*), "
                         "coalesce(sum(s.status = 'closed'), 0), "
                         "coalesce(sum(s.first_response_at - s.created_at), 0), "
                         "count(s.first_response_at), coalesce(sum(f.rating), 0), count(f.rating) "
                         "FROM sessions s LEFT JOIN agents a ON a.id = s.agent_id "
                         "LEFT JOIN feedback f ON f.session_id = s.id WHERE" REPORT_RANGE
                         " AND s.agent_id IS NOT NULL GROUP BY s.agent_id ORDER BY s.agent_id",
    [ST_REPORT_RATINGS] = "SELECT f.rating, count(*) FROM feedback f JOIN sessions s ON "
                          "s.id = f.session_id WHERE" REPORT_RANGE " GROUP BY f.rating",
    [ST_REPORT_SESSIONS] =
        "SELECT s.created_at, coalesce(s.first_response_at, 0), "
        "coalesce(s.closed_at, 0) FROM sessions s WHERE" REPORT_RANGE " ORDER BY s.created_at",
};

/* ---- reports ------------------------------------------------------------- */

static void bind_report_range(binder *b, const parley_report_range *range) {
    b_i64(b, 1, range->from);
    b_i64(b, 2, range->to);
    b_filter(b, 3, range->agent_id, sizeof range->agent_id);
    b_filter(b, 4, range->team_id, sizeof range->team_id);
}

static bool duration_row(row_reader *rd, void *ctx) {
    const row_callback *d = ctx;
    ((void (*)(void *, int64_t))d->each)(d->ctx, r_i64(rd, 0));
    return true;
}

static parley_status sq_report_durations(parley_repository *repo, parley_report_duration kind,
                                         const parley_report_range *range,
                                         void (*each)(void *ctx, int64_t duration_ms), void *ctx,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, kind == PARLEY_REPORT_FIRST_RESPONSE ? ST_REPORT_FIRST_RESPONSE
                                                                  : ST_REPORT_RESOLUTION);
    bind_report_range(&b, range);
    return each_row(r, &b, "report_durations", duration_row, EACH_CALLBACK(each, ctx), err);
}

static bool agent_row(row_reader *rd, void *ctx) {
    const row_callback *a = ctx;
    sqlite3_stmt *st = rd->st;
    parley_agent_report_row row = {0};
    const char *id = (const char *)sqlite3_column_text(st, 0);
    snprintf(row.agent_id, sizeof row.agent_id, "%s", id != NULL ? id : "");
    row.name = (const char *)sqlite3_column_text(st, 1);
    row.handled = sqlite3_column_int64(st, 2);
    row.closed = sqlite3_column_int64(st, 3);
    row.first_response_sum_ms = sqlite3_column_int64(st, 4);
    row.first_response_count = sqlite3_column_int64(st, 5);
    row.rating_sum = sqlite3_column_int64(st, 6);
    row.rating_count = sqlite3_column_int64(st, 7);
    ((void (*)(void *, const parley_agent_report_row *))a->each)(a->ctx, &row);
    return true;
}

static parley_status sq_report_agents(parley_repository *repo, const parley_report_range *range,
                                      void (*each)(void *ctx, const parley_agent_report_row *row),
                                      void *ctx, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_REPORT_AGENTS);
    bind_report_range(&b, range);
    return each_row(r, &b, "report_agents", agent_row, EACH_CALLBACK(each, ctx), err);
}

static bool rating_row(row_reader *rd, void *ctx) {
    int64_t *counts = ctx;
    int rating = sqlite3_column_int(rd->st, 0);
    if (rating >= 1 && rating <= 5) {
        counts[rating - 1] = r_i64(rd, 1);
    }
    return true;
}

static parley_status sq_report_ratings(parley_repository *repo, const parley_report_range *range,
                                       int64_t counts[5], parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(counts, 0, 5 * sizeof counts[0]);
    binder b = bind_start(r, ST_REPORT_RATINGS);
    bind_report_range(&b, range);
    return each_row(r, &b, "report_ratings", rating_row, counts, err);
}

static bool session_row(row_reader *rd, void *ctx) {
    const row_callback *c = ctx;
    parley_report_session row = {r_i64(rd, 0), r_i64(rd, 1), r_i64(rd, 2)};
    ((void (*)(void *, const parley_report_session *))c->each)(c->ctx, &row);
    return true;
}

static parley_status sq_report_sessions(parley_repository *repo, const parley_report_range *range,
                                        void (*each)(void *ctx, const parley_report_session *row),
                                        void *ctx, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_REPORT_SESSIONS);
    bind_report_range(&b, range);
    return each_row(r, &b, "report_sessions", session_row, EACH_CALLBACK(each, ctx), err);
}

const parley_reports_ops parley_sqlite_reports_ops = {
    .durations = sq_report_durations,
    .agents = sq_report_agents,
    .ratings = sq_report_ratings,
    .sessions = sq_report_sessions,
};

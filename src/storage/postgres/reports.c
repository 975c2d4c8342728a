/*
 * postgres/reports.c - the reports ops table (core/store/reports.h) on
 * PostgreSQL: the support desk reports, the same aggregates as
 * sqlite/reports.c (sums cast back to bigint: PostgreSQL sums bigints as
 * numeric).
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#define PG_REPORT_RANGE                                                                            \
    " s.created_at >= $1 AND s.created_at < $2 AND ($3::text IS NULL OR s.agent_id = $3)"          \
    " AND ($4::text IS NULL OR s.team_id = $4)"

const char *const parley_pg_reports_sql[PG_STMT_COUNT] = {
    [PG_REPORT_FIRST_RESPONSE] = "SELECT s.first_response_at - s.created_at FROM sessions s "
                                 "WHERE" PG_REPORT_RANGE " AND s.first_response_at IS NOT NULL "
                                 "ORDER BY 1",
    [PG_REPORT_RESOLUTION] = "SELECT s.closed_at - s.created_at FROM sessions s "
                             "WHERE" PG_REPORT_RANGE " AND s.closed_at IS NOT NULL ORDER BY 1",
    [PG_REPORT_AGENTS] =
        "SELECT s.agent_id, a.name, count(*), count(*) FILTER (WHERE s.status = 'closed'), "
        "coalesce(sum(s.first_response_at - s.created_at), 0)::bigint, "
        "count(s.first_response_at), coalesce(sum(f.rating), 0)::bigint, count(f.rating) "
        "FROM sessions s LEFT JOIN agents a ON a.id = s.agent_id "
        "LEFT JOIN feedback f ON f.session_id = s.id WHERE" PG_REPORT_RANGE
        " AND s.agent_id IS NOT NULL GROUP BY s.agent_id, a.name ORDER BY s.agent_id COLLATE \"C\"",
    [PG_REPORT_RATINGS] = "SELECT f.rating, count(*) FROM feedback f JOIN sessions s ON "
                          "s.id = f.session_id WHERE" PG_REPORT_RANGE " GROUP BY f.rating",
    [PG_REPORT_SESSIONS] =
        "SELECT s.created_at, coalesce(s.first_response_at, 0), "
        "coalesce(s.closed_at, 0) FROM sessions s WHERE" PG_REPORT_RANGE " ORDER BY s.created_at",
};

static void bind_report_range(binder *b, const parley_report_range *range) {
    b_i64(b, 1, range->from);
    b_i64(b, 2, range->to);
    b_filter(b, 3, range->agent_id, sizeof range->agent_id);
    b_filter(b, 4, range->team_id, sizeof range->team_id);
}

static bool duration_row(row_reader *rd, void *ctx) {
    const row_callback *d = ctx;
    int64_t duration = r_i64(rd, 0);
    if (rd->status == PARLEY_OK) {
        ((void (*)(void *, int64_t))d->each)(d->ctx, duration);
    }
    return true;
}

static parley_status pq_report_durations(parley_repository *repo, parley_report_duration kind,
                                         const parley_report_range *range,
                                         void (*each)(void *ctx, int64_t duration_ms), void *ctx,
                                         parley_error *err) {
    binder b =
        bind_start(as_pg(repo), kind == PARLEY_REPORT_FIRST_RESPONSE ? PG_REPORT_FIRST_RESPONSE
                                                                     : PG_REPORT_RESOLUTION);
    bind_report_range(&b, range);
    return each_row(&b, "report_durations", duration_row, EACH_CALLBACK(each, ctx), err);
}

static bool agent_row(row_reader *rd, void *ctx) {
    const row_callback *a = ctx;
    parley_agent_report_row row = {0};
    r_fixed(rd, 0, row.agent_id, sizeof row.agent_id);
    row.name = r_null(rd, 1) ? NULL : r_raw(rd, 1);
    row.handled = r_i64(rd, 2);
    row.closed = r_i64(rd, 3);
    row.first_response_sum_ms = r_i64(rd, 4);
    row.first_response_count = r_i64(rd, 5);
    row.rating_sum = r_i64(rd, 6);
    row.rating_count = r_i64(rd, 7);
    if (rd->status == PARLEY_OK) {
        ((void (*)(void *, const parley_agent_report_row *))a->each)(a->ctx, &row);
    }
    return true;
}

static parley_status pq_report_agents(parley_repository *repo, const parley_report_range *range,
                                      void (*each)(void *ctx, const parley_agent_report_row *row),
                                      void *ctx, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_REPORT_AGENTS);
    bind_report_range(&b, range);
    return each_row(&b, "report_agents", agent_row, EACH_CALLBACK(each, ctx), err);
}

static bool rating_row(row_reader *rd, void *ctx) {
    int64_t *counts = ctx;
    int64_t rating = r_i64(rd, 0);
    if (rating >= 1 && rating <= 5) {
        counts[rating - 1] = r_i64(rd, 1);
    }
    return true;
}

static parley_status pq_report_ratings(parley_repository *repo, const parley_report_range *range,
                                       int64_t counts[5], parley_error *err) {
    memset(counts, 0, 5 * sizeof counts[0]);
    binder b = bind_start(as_pg(repo), PG_REPORT_RATINGS);
    bind_report_range(&b, range);
    return each_row(&b, "report_ratings", rating_row, counts, err);
}

static bool session_row(row_reader *rd, void *ctx) {
    const row_callback *c = ctx;
    parley_report_session row = {r_i64(rd, 0), r_i64(rd, 1), r_i64(rd, 2)};
    if (rd->status == PARLEY_OK) {
        ((void (*)(void *, const parley_report_session *))c->each)(c->ctx, &row);
    }
    return true;
}

static parley_status pq_report_sessions(parley_repository *repo, const parley_report_range *range,
                                        void (*each)(void *ctx, const parley_report_session *row),
                                        void *ctx, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_REPORT_SESSIONS);
    bind_report_range(&b, range);
    return each_row(&b, "report_sessions", session_row, EACH_CALLBACK(each, ctx), err);
}

const parley_reports_ops parley_pg_reports_ops = {
    .durations = pq_report_durations,
    .agents = pq_report_agents,
    .ratings = pq_report_ratings,
    .sessions = pq_report_sessions,
};

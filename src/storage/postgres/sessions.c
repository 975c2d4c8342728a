/*
 * postgres/sessions.c - the sessions ops table (core/store/sessions.h) on
 * PostgreSQL: sessions and their lifecycle times (messages.c advances
 * last_seq).
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_sessions_sql[PG_STMT_COUNT] = {
    [PG_SESSION_INSERT] = "INSERT INTO sessions (id, customer_id, agent_id, topic, "
                          "strategies_json, status, last_seq, created_at, updated_at, bot_id) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    [PG_SESSION_GET] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE id = $1",
    [PG_SESSION_UPDATE] = "UPDATE sessions SET status = $2, agent_id = $3, updated_at = $4, "
                          "bot_id = $5, closed_at = $6 WHERE id = $1",
    /* $3 status, $4 customer, $5 label: NULL is no filter. Unlike SQLite,
     * PostgreSQL plans each execution with the values bound (custom plans
     * of a prepared statement), so one statement serves every filter. */
    [PG_SESSION_LIST] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE position < $1"
                        " AND ($3::text IS NULL OR status = $3)"
                        " AND ($4::text IS NULL OR customer_id = $4)"
                        " AND ($5::text IS NULL OR id IN (SELECT l.session_id FROM "
                        "session_labels l WHERE l.label = $5))"
                        " ORDER BY position DESC LIMIT $2",
    [PG_SESSION_FIRST_RESPONSE] = "UPDATE sessions SET first_response_at = $2 "
                                  "WHERE id = $1 AND first_response_at IS NULL",
    /* the newest message is the one at last_seq (UNIQUE (session_id, seq)) */
    [PG_SESSION_LIST_IDLE] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE status IN "
                             "('waiting', 'active') AND coalesce((SELECT m.created_at FROM "
                             "messages m WHERE m.session_id = sessions.id AND m.seq = "
                             "sessions.last_seq), sessions.created_at) < $1 "
                             "ORDER BY position LIMIT $2",
    [PG_SESSION_SET_STRATEGIES] = "UPDATE sessions SET strategies_json = $2 WHERE id = $1",
    [PG_SESSION_LIST_BY_IDS] = "SELECT " PG_SESSION_COLS " FROM sessions WHERE id IN "
                               "(SELECT json_array_elements_text($1::json)) LIMIT 1000",
};

ROW_LIST_TYPE(session_rows, parley_session, "session", read_session, parley_session_free,
              parley_session_list, PG_SESSION_POSITION_COL);

static parley_status pq_session_insert(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    return write_params(as_pg(repo), PG_SESSION_INSERT, false, "session_insert", "session",
                        PARAMS(p_id(s->id), p_id(s->customer_id), p_opt_id(s->agent_id),
                               p_text(s->topic), p_text(s->strategies_json),
                               p_enum(session_status_store(s->status)), p_i64(s->last_seq),
                               p_i64(s->created_at), p_i64(s->updated_at), p_opt_id(s->bot_id)),
                        err);
}

GET_BY_KEY_OP(session_get, parley_session, PG_SESSION_GET, session_rows)

static parley_status pq_session_update(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    return write_params(as_pg(repo), PG_SESSION_UPDATE, true, "session_update", "session",
                        PARAMS(p_id(s->id), p_enum(session_status_store(s->status)),
                               p_opt_id(s->agent_id), p_i64(s->updated_at), p_opt_id(s->bot_id),
                               p_opt_i64(s->closed_at)),
                        err);
}

static parley_status pq_session_list(parley_repository *repo, const parley_session_filter *filter,
                                     parley_session_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *status_name = NULL;
    if (filter->status >= 0 &&
        (status_name = session_status_store((parley_session_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "session_list: unknown status");
    }
    pager p =
        page_open(as_pg(repo), PG_SESSION_LIST, "session_list", &session_rows, filter->limit,
                  filter->cursor, sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, status_name);
    b_opt_id(&p.b, 4, filter->customer_id);
    if (strnlen(filter->label, sizeof filter->label) > 0) {
        b_fixed(&p.b, 5, filter->label, sizeof filter->label);
    } else {
        b_text(&p.b, 5, NULL);
    }
    return page_fetch(&p, err);
}

static parley_status pq_session_set_first_response(parley_repository *repo, const char *session_id,
                                                   parley_time_ms at, parley_error *err) {
    return write_params(as_pg(repo), PG_SESSION_FIRST_RESPONSE, false, "session_set_first_response",
                        "session", PARAMS(p_id(session_id), p_i64(at)), err);
}

static parley_status pq_session_list_idle(parley_repository *repo, parley_time_ms idle_before,
                                          int limit, parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_SESSION_LIST_IDLE);
    b_params(&b, PARAMS(p_i64(idle_before), p_i64(clamp_limit(limit))));
    return list_rows(&b, "session_list_idle", &session_rows, out, err);
}

static parley_status pq_session_set_strategies(parley_repository *repo, const char *session_id,
                                               const char *strategies_json, parley_error *err) {
    return write_params(as_pg(repo), PG_SESSION_SET_STRATEGIES, true, "session_set_strategies",
                        "session", PARAMS(p_id(session_id), p_text(strategies_json)), err);
}

static parley_status pq_session_list_by_ids(parley_repository *repo, const char *ids_json,
                                            parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_SESSION_LIST_BY_IDS);
    b_params(&b, PARAMS(p_text(ids_json)));
    return list_rows(&b, "session_list_by_ids", &session_rows, out, err);
}

const parley_sessions_ops parley_pg_sessions_ops = {
    .insert = pq_session_insert,
    .get = pq_session_get,
    .update = pq_session_update,
    .list = pq_session_list,
    .set_first_response = pq_session_set_first_response,
    .list_idle = pq_session_list_idle,
    .set_strategies = pq_session_set_strategies,
    .list_by_ids = pq_session_list_by_ids,
};

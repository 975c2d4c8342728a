/*
 * sqlite/sessions.c - the sessions ops table (core/store/sessions.h) on SQLite:
 * sessions and their lifecycle times (messages.c advances last_seq).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_sessions_sql[ST_COUNT] = {
    [ST_SESSION_INSERT] = "INSERT INTO sessions (id, customer_id, agent_id, topic, "
                          "strategies_json, status, last_seq, created_at, updated_at, bot_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_SESSION_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1",
    [ST_SESSION_UPDATE] = "UPDATE sessions SET status = ?2, agent_id = ?3, updated_at = ?4, "
                          "bot_id = ?5, closed_at = ?6 WHERE id = ?1",
    [ST_SESSION_LIST] = SESSION_LIST(""),
    [ST_SESSION_LIST_STATUS] = SESSION_LIST(" AND status = ?3"),
    [ST_SESSION_LIST_CUSTOMER] = SESSION_LIST(" AND customer_id = ?4"),
    [ST_SESSION_LIST_STATUS_CUSTOMER] = SESSION_LIST(" AND status = ?3 AND customer_id = ?4"),
    [ST_SESSION_LIST_LABEL] = SESSION_LIST(SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_STATUS] = SESSION_LIST(" AND status = ?3" SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_CUSTOMER] = SESSION_LIST(" AND customer_id = ?4" SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_STATUS_CUSTOMER] =
        SESSION_LIST(" AND status = ?3 AND customer_id = ?4" SESSION_HAS_LABEL),
    [ST_SESSION_FIRST_RESPONSE] = "UPDATE sessions SET first_response_at = ?2 "
                                  "WHERE id = ?1 AND first_response_at IS NULL",
    [ST_SESSION_LIST_IDLE] = "SELECT " SESSION_COLS " FROM sessions WHERE status IN ('waiting', "
                             "'active') AND " SESSION_ACTIVITY " < ?1 ORDER BY position LIMIT ?2",
    [ST_SESSION_SET_STRATEGIES] = "UPDATE sessions SET strategies_json = ?2 WHERE id = ?1",
    [ST_SESSION_LIST_BY_IDS] = "SELECT " SESSION_COLS " FROM sessions WHERE id IN "
                               "(SELECT value FROM json_each(?1)) LIMIT 1000",
};

/* ---- sessions ---------------------------------------------------------- */

ROW_LIST_TYPE(session_rows, parley_session, "session", read_session, parley_session_free,
              parley_session_list, SESSION_POSITION_COL);

static parley_status sq_session_insert(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    return write_params(as_sqlite(repo), ST_SESSION_INSERT, false, "session_insert", "session",
                        PARAMS(p_id(s->id), p_id(s->customer_id), p_opt_id(s->agent_id),
                               p_text(s->topic), p_text(s->strategies_json),
                               p_enum(session_status_store(s->status)), p_i64(s->last_seq),
                               p_i64(s->created_at), p_i64(s->updated_at), p_opt_id(s->bot_id)),
                        err);
}

GET_BY_KEY_OP(session_get, parley_session, ST_SESSION_GET, session_rows)

static parley_status sq_session_update(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    return write_params(as_sqlite(repo), ST_SESSION_UPDATE, true, "session_update", "session",
                        PARAMS(p_id(s->id), p_enum(session_status_store(s->status)),
                               p_opt_id(s->agent_id), p_i64(s->updated_at), p_opt_id(s->bot_id),
                               p_opt_i64(s->closed_at)),
                        err);
}

/* The statement is one of ST_SESSION_LIST's variants (+1 a status, +2 a
 * customer), from ST_SESSION_LIST_LABEL's when a label filters too (?5). */
static parley_status sq_session_list(parley_repository *repo, const parley_session_filter *filter,
                                     parley_session_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *status_name = NULL;
    if (filter->status >= 0 &&
        (status_name = session_status_store((parley_session_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "session_list: unknown status");
    }
    size_t customer_len = strnlen(filter->customer_id, sizeof filter->customer_id);
    size_t label_len = strnlen(filter->label, sizeof filter->label);
    int variant = (status_name != NULL ? 1 : 0) + (customer_len > 0 ? 2 : 0);
    int base = label_len > 0 ? ST_SESSION_LIST_LABEL : ST_SESSION_LIST;
    pager p = page_open(as_sqlite(repo), (enum stmt_id)(base + variant), "session_list",
                        &session_rows, filter->limit, filter->cursor, sizeof filter->cursor, out,
                        next_cursor_out, next_cursor_size);
    if (status_name != NULL) {
        b_text(&p.b, 3, status_name);
    }
    if (customer_len > 0) {
        b_text_n(&p.b, 4, filter->customer_id, customer_len);
    }
    if (label_len > 0) {
        b_text_n(&p.b, 5, filter->label, label_len);
    }
    return page_fetch(as_sqlite(repo), &p, err);
}

/* ---- session lifecycle ----------------------------------------------------- */

static parley_status sq_session_set_first_response(parley_repository *repo, const char *session_id,
                                                   parley_time_ms at, parley_error *err) {
    return write_params(as_sqlite(repo), ST_SESSION_FIRST_RESPONSE, false,
                        "session_set_first_response", "session",
                        PARAMS(p_id(session_id), p_i64(at)), err);
}

static parley_status sq_session_list_idle(parley_repository *repo, parley_time_ms idle_before,
                                          int limit, parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_SESSION_LIST_IDLE);
    b_params(&b, PARAMS(p_i64(idle_before), p_i64(clamp_limit(limit))));
    return list_rows(as_sqlite(repo), &b, "session_list_idle", &session_rows, out, err);
}

static parley_status sq_session_set_strategies(parley_repository *repo, const char *session_id,
                                               const char *strategies_json, parley_error *err) {
    return write_params(as_sqlite(repo), ST_SESSION_SET_STRATEGIES, true, "session_set_strategies",
                        "session", PARAMS(p_id(session_id), p_text(strategies_json)), err);
}

static parley_status sq_session_list_by_ids(parley_repository *repo, const char *ids_json,
                                            parley_session_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_SESSION_LIST_BY_IDS);
    b_params(&b, PARAMS(p_text(ids_json)));
    return list_rows(as_sqlite(repo), &b, "session_list_by_ids", &session_rows, out, err);
}

const parley_sessions_ops parley_sqlite_sessions_ops = {
    .insert = sq_session_insert,
    .get = sq_session_get,
    .update = sq_session_update,
    .list = sq_session_list,
    .set_first_response = sq_session_set_first_response,
    .list_idle = sq_session_list_idle,
    .set_strategies = sq_session_set_strategies,
    .list_by_ids = sq_session_list_by_ids,
};

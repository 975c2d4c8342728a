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
};

/* An optional time (0 = none) is NULL. */
static void b_opt_time(binder *b, int idx, parley_time_ms t) {
    if (b->rc == SQLITE_OK) {
        b->rc = t != 0 ? sqlite3_bind_int64(b->st, idx, t) : sqlite3_bind_null(b->st, idx);
    }
}

/* ---- sessions ---------------------------------------------------------- */

static parley_status sq_session_insert(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_INSERT);
    b_id(&b, 1, s->id);
    b_id(&b, 2, s->customer_id);
    b_opt_id(&b, 3, s->agent_id);
    b_text(&b, 4, s->topic);
    b_text(&b, 5, s->strategies_json);
    b_enum(&b, 6, session_status_store(s->status));
    b_i64(&b, 7, s->last_seq);
    b_i64(&b, 8, s->created_at);
    b_i64(&b, 9, s->updated_at);
    b_opt_id(&b, 10, s->bot_id);
    return exec_write(r, &b, false, "session_insert", "session", err);
}

static parley_status sq_session_get(parley_repository *repo, const char *id, parley_session *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_SESSION_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "session_get", "session", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_session(&rd, out);
        status = reader_finish(&rd, "session_get", err);
        if (status != PARLEY_OK) {
            parley_session_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_session_update(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_UPDATE);
    b_id(&b, 1, s->id);
    b_enum(&b, 2, session_status_store(s->status));
    b_opt_id(&b, 3, s->agent_id);
    b_i64(&b, 4, s->updated_at);
    b_opt_id(&b, 5, s->bot_id);
    b_opt_time(&b, 6, s->closed_at);
    return exec_write(r, &b, true, "session_update", "session", err);
}

static void *push_session(void *list) {
    return parley_session_list_push(list);
}
static void read_session_item(row_reader *rd, void *item) {
    read_session(rd, item);
}
static void free_session_list(void *list) {
    parley_session_list_free(list);
}

static const page_kind session_page = {ST_SESSION_LIST, SESSION_POSITION_COL, push_session,
                                       read_session_item, free_session_list};

static parley_status sq_session_list(parley_repository *repo, const parley_session_filter *filter,
                                     parley_session_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    const char *op = "session_list";
    memset(out, 0, sizeof *out);
    const char *status_name = NULL;
    if (filter->status >= 0 &&
        (status_name = session_status_store((parley_session_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown status", op);
    }
    page_kind kind = session_page;
    struct sqlite_repo *r = as_sqlite(repo);
    size_t label_len = strnlen(filter->label, sizeof filter->label);
    sqlite3_stmt *labelled = NULL;
    if (label_len > 0) {
        /* the same variant page_bind picks, from the label base; ?5 is
         * bound here and cleared with the rest when page_list is done */
        int variant = (status_name != NULL ? 1 : 0) +
                      (strnlen(filter->customer_id, sizeof filter->customer_id) > 0 ? 2 : 0);
        kind.stmt = ST_SESSION_LIST_LABEL;
        labelled = r->stmt[ST_SESSION_LIST_LABEL + variant];
        int rc = sqlite3_bind_text(labelled, 5, filter->label, (int)label_len, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
            parley_status status = db_fail(r->db, rc, op, err);
            stmt_done(labelled);
            return status;
        }
    }
    parley_status status = page_list(
        r, &kind, op, status_name, filter->customer_id, sizeof filter->customer_id, filter->cursor,
        sizeof filter->cursor, filter->limit, out, next_cursor_out, next_cursor_size, err);
    if (labelled != NULL) {
        stmt_done(labelled); /* page_list may have failed before stepping it */
    }
    return status;
}

/* ---- session lifecycle ----------------------------------------------------- */

static parley_status sq_session_set_first_response(parley_repository *repo, const char *session_id,
                                                   parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_FIRST_RESPONSE);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, at);
    return exec_write(r, &b, false, "session_set_first_response", "session", err);
}

static parley_status sq_session_list_idle(parley_repository *repo, parley_time_ms idle_before,
                                          int limit, parley_session_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "session_list_idle";
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_SESSION_LIST_IDLE);
    b_i64(&b, 1, idle_before);
    b_int(&b, 2, clamp_limit(limit));
    parley_status status = bind_check(r, &b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_session *item = parley_session_list_push(out);
        if (item == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, item);
        status = reader_finish(&rd, op, err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    if (status != PARLEY_OK) {
        parley_session_list_free(out);
    }
    stmt_done(b.st);
    return status;
}

const parley_sessions_ops parley_sqlite_sessions_ops = {
    .insert = sq_session_insert,
    .get = sq_session_get,
    .update = sq_session_update,
    .list = sq_session_list,
    .set_first_response = sq_session_set_first_response,
    .list_idle = sq_session_list_idle,
};

/*
 * sqlite/kb.c - the kb ops table (core/store/kb.h) on SQLite:
 * the ChatBot's knowledge base and per-session failures.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_kb_sql[ST_COUNT] = {
    [ST_KB_INSERT] = "INSERT INTO kb_entries (id, question, answer, alternatives_json, tags_json, "
                     "created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_KB_GET] = "SELECT " KB_COLS " FROM kb_entries WHERE id = ?1",
    [ST_KB_UPDATE] = "UPDATE kb_entries SET question = ?2, answer = ?3, alternatives_json = ?4, "
                     "tags_json = ?5, updated_at = ?6 WHERE id = ?1",
    [ST_KB_DELETE] = "DELETE FROM kb_entries WHERE id = ?1",
    [ST_KB_LIST] = "SELECT " KB_COLS " FROM kb_entries WHERE position < ?1 "
                   "ORDER BY position DESC LIMIT ?2",
    [ST_KB_ALL] = "SELECT " KB_COLS " FROM kb_entries ORDER BY position",
    [ST_BOT_FAILURES_ADD] = "INSERT INTO bot_session_state (session_id, failed_attempts) "
                            "VALUES (?1, max(?2, 0)) ON CONFLICT (session_id) DO UPDATE SET "
                            "failed_attempts = max(failed_attempts + ?2, 0) "
                            "RETURNING failed_attempts",
};

/* ---- the ChatBot's knowledge base ------------------------------------------- */

static void read_kb_entry(row_reader *rd, parley_kb_entry *e) {
    e->position = r_i64(rd, 0);
    r_id(rd, 1, e->id);
    e->question = r_text(rd, 2);
    e->answer = r_text(rd, 3);
    e->alternatives_json = r_text(rd, 4);
    e->tags_json = r_text(rd, 5);
    r_id(rd, 6, e->created_by);
    e->created_at = r_i64(rd, 7);
    e->updated_at = r_i64(rd, 8);
}

static parley_status sq_kb_insert(parley_repository *repo, const parley_kb_entry *e,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_INSERT);
    b_id(&b, 1, e->id);
    b_text(&b, 2, e->question);
    b_text(&b, 3, e->answer);
    b_text(&b, 4, e->alternatives_json != NULL ? e->alternatives_json : "[]");
    b_text(&b, 5, e->tags_json != NULL ? e->tags_json : "[]");
    b_opt_id(&b, 6, e->created_by);
    b_i64(&b, 7, e->created_at);
    b_i64(&b, 8, e->updated_at);
    return exec_write(r, &b, false, "kb_insert", "kb entry", err);
}

static parley_status sq_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                               parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_KB_GET);
    b_id(&b, 1, id);
    parley_status status = fetch_one(r, &b, "kb_get", "kb entry", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_kb_entry(&rd, out);
        status = reader_finish(&rd, "kb_get", err);
        if (status != PARLEY_OK) {
            parley_kb_entry_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_kb_update(parley_repository *repo, const parley_kb_entry *e,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_UPDATE);
    b_id(&b, 1, e->id);
    b_text(&b, 2, e->question);
    b_text(&b, 3, e->answer);
    b_text(&b, 4, e->alternatives_json != NULL ? e->alternatives_json : "[]");
    b_text(&b, 5, e->tags_json != NULL ? e->tags_json : "[]");
    b_i64(&b, 6, e->updated_at);
    return exec_write(r, &b, true, "kb_update", "kb entry", err);
}

static parley_status sq_kb_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_DELETE);
    b_id(&b, 1, id);
    return exec_write(r, &b, true, "kb_delete", "kb entry", err);
}

static parley_status sq_kb_list(parley_repository *repo, int limit, const char *cursor,
                                parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *text = cursor != NULL ? cursor : "";
    int64_t before;
    if (!parley_sqlite_parse_cursor(text, strlen(text) + 1, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    binder b = bind_start(r, ST_KB_LIST);
    b_i64(&b, 1, before);
    b_int(&b, 2, limit + 1); /* one more tells whether another page exists */
    parley_status status = bind_check(r, &b, "kb_list", err);
    int rc = SQLITE_DONE;
    int64_t last = 0;
    bool more = false;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        if (out->count == (size_t)limit) {
            more = true;
            break;
        }
        parley_kb_entry *e = parley_kb_list_push(out);
        if (e == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_kb_entry(&rd, e);
        status = reader_finish(&rd, "kb_list", err);
        last = e->position;
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "kb_list", err);
    }
    stmt_done(b.st);
    if (status == PARLEY_OK) {
        status = page_cursor(more, last, next_cursor_out, next_cursor_size, "kb_list", err);
    }
    if (status != PARLEY_OK) {
        parley_kb_list_free(out);
    }
    return status;
}

static parley_status sq_kb_load(parley_repository *repo,
                                void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    sqlite3_stmt *st = r->stmt[ST_KB_ALL];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_kb_entry e = {0};
        row_reader rd = reader_start(st);
        read_kb_entry(&rd, &e);
        status = reader_finish(&rd, "kb_load", err);
        if (status == PARLEY_OK) {
            each(ctx, &e);
        }
        parley_kb_entry_free(&e);
        if (status != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "kb_load", err);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_bot_failures_add(parley_repository *repo, const char *session_id,
                                         int64_t delta, int64_t *count_out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *count_out = 0;
    binder b = bind_start(r, ST_BOT_FAILURES_ADD);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, delta);
    parley_status status = fetch_one(r, &b, "bot_failures_add", "bot session state", err);
    if (status == PARLEY_OK) {
        *count_out = sqlite3_column_int64(b.st, 0);
        /* step to the end so the upsert's statement completes */
        int rc = sqlite3_step(b.st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, "bot_failures_add", err);
        }
    }
    stmt_done(b.st);
    return status;
}

const parley_kb_ops parley_sqlite_kb_ops = {
    .insert = sq_kb_insert,
    .get = sq_kb_get,
    .update = sq_kb_update,
    .delete = sq_kb_delete,
    .list = sq_kb_list,
    .load = sq_kb_load,
    .bot_failures_add = sq_bot_failures_add,
};

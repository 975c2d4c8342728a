/*
 * sqlite/tools.c - the tools ops table (core/store/tools.h) on SQLite:
 * the agent tools (canned responses, notes, receipts, labels).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_tools_sql[ST_COUNT] = {
    /* The tools' pages select the position first (the cursor), then the
     * row; ?1 is the position bound and ?2 the row limit, as above. */
    [ST_CANNED_INSERT] = "INSERT INTO canned_responses (id, owner_id, shortcode, title, content, "
                         "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_CANNED_GET] = "SELECT " CANNED_COLS " FROM canned_responses WHERE id = ?1",
    [ST_CANNED_UPDATE] = "UPDATE canned_responses SET shortcode = ?2, title = ?3, content = ?4, "
                         "updated_at = ?5 WHERE id = ?1",
    [ST_CANNED_DELETE] = "DELETE FROM canned_responses WHERE id = ?1",
    [ST_CANNED_LIST] = "SELECT position, " CANNED_COLS " FROM canned_responses "
                       "WHERE position < ?1 AND (owner_id IS NULL OR owner_id = ?3) "
                       "AND substr(shortcode, 1, length(?4)) = ?4 "
                       "ORDER BY position DESC LIMIT ?2",
    [ST_NOTE_INSERT] = "INSERT INTO session_notes (id, session_id, author_kind, author_id, "
                       "content, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_NOTE_LIST] = "SELECT position, id, session_id, author_kind, author_id, content, "
                     "created_at FROM session_notes WHERE session_id = ?3 AND position < ?1 "
                     "ORDER BY position DESC LIMIT ?2",
    /* the WHERE of the upsert keeps last_read_seq from ever going down */
    [ST_READ_MARK] = "INSERT INTO read_receipts (session_id, participant_kind, participant_id, "
                     "last_read_seq, read_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT (session_id, participant_kind, participant_id) DO UPDATE SET "
                     "last_read_seq = excluded.last_read_seq, read_at = excluded.read_at "
                     "WHERE excluded.last_read_seq > read_receipts.last_read_seq",
    [ST_READ_LIST] = "SELECT participant_kind, participant_id, last_read_seq, read_at "
                     "FROM read_receipts WHERE session_id = ?1 "
                     "ORDER BY participant_kind, participant_id",
    [ST_LABEL_INSERT] = "INSERT INTO labels (name, color, created_at) VALUES (?1, ?2, ?3)",
    [ST_LABEL_GET] = "SELECT name, color, created_at FROM labels WHERE name = ?1",
    [ST_LABEL_DELETE] = "DELETE FROM labels WHERE name = ?1",
    [ST_LABEL_LIST] = "SELECT position, name, color, created_at FROM labels WHERE position < ?1 "
                      "ORDER BY position DESC LIMIT ?2",
    [ST_SESSION_LABEL_ADD] = "INSERT INTO session_labels (session_id, label, added_at) "
                             "VALUES (?1, ?2, ?3)",
    [ST_SESSION_LABEL_REMOVE] = "DELETE FROM session_labels WHERE session_id = ?1 AND label = ?2",
    [ST_UNREAD_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_id = ?1 "
                        "AND seq > ifnull((SELECT last_read_seq FROM read_receipts WHERE "
                        "session_id = ?1 AND participant_kind = ?2 AND participant_id = ?3), 0) "
                        "AND NOT (sender_kind = ?2 AND sender_id = ?3) LIMIT ?4)",
};

/* Runs a bound statement: one row (*out an object, NOT_FOUND when none)
 * or, with all, every row (*out an array). Always resets. */
static parley_status json_rows(struct sqlite_repo *r, binder *b, bool all, const char *op,
                               const char *what, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status status = bind_check(r, b, op, err);
    json_t *rows = all ? json_array() : NULL;
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b->st)) == SQLITE_ROW) {
        json_t *row = row_json(b->st, 0);
        if (row == NULL || (all && rows == NULL)) {
            json_decref(row);
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
        } else if (!all) {
            *out = row;
            break;
        } else {
            json_array_append_new(rows, row);
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = tools_fail(r, rc, op, err);
    }
    if (status == PARLEY_OK && all) {
        *out = rows;
        rows = NULL;
    } else if (status == PARLEY_OK && *out == NULL) {
        status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
    }
    json_decref(rows);
    stmt_done(b->st);
    return status;
}

static parley_status sq_canned_insert(parley_repository *repo, const parley_canned_row *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_INSERT);
    b_id(&b, 1, c->id);
    b_opt_id(&b, 2, c->owner_id);
    b_text(&b, 3, c->shortcode);
    b_text(&b, 4, c->title);
    b_text(&b, 5, c->content);
    b_i64(&b, 6, c->created_at);
    b_i64(&b, 7, c->updated_at);
    return exec_write(r, &b, false, "canned_insert", "canned response", err);
}

static parley_status sq_canned_get(parley_repository *repo, const char *id, json_t **out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_GET);
    b_text(&b, 1, id);
    return json_rows(r, &b, false, "canned_get", "canned response", out, err);
}

static parley_status sq_canned_update(parley_repository *repo, const parley_canned_row *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_UPDATE);
    b_id(&b, 1, c->id);
    b_text(&b, 2, c->shortcode);
    b_text(&b, 3, c->title);
    b_text(&b, 4, c->content);
    b_i64(&b, 5, c->updated_at);
    return exec_write(r, &b, true, "canned_update", "canned response", err);
}

static parley_status sq_canned_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_DELETE);
    b_text(&b, 1, id);
    return exec_write(r, &b, true, "canned_delete", "canned response", err);
}

static parley_status sq_canned_list(parley_repository *repo, const char *owner_id,
                                    const char *prefix, int limit, const char *cursor,
                                    json_t **items_out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_LIST);
    b_text(&b, 3, owner_id);
    b_text(&b, 4, prefix != NULL ? prefix : "");
    return json_page(r, &b, "canned_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_note_insert(parley_repository *repo, const parley_note_row *n,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTE_INSERT);
    b_id(&b, 1, n->id);
    b_id(&b, 2, n->session_id);
    b_enum(&b, 3, participant_kind_store(n->author_kind));
    b_id(&b, 4, n->author_id);
    b_text(&b, 5, n->content);
    b_i64(&b, 6, n->created_at);
    return exec_write(r, &b, false, "note_insert", "note", err);
}

static parley_status sq_note_list(parley_repository *repo, const char *session_id, int limit,
                                  const char *cursor, json_t **items_out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTE_LIST);
    b_text(&b, 3, session_id);
    return json_page(r, &b, "note_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_read_mark(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id,
                                  int64_t seq, parley_time_ms at, bool *changed,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *changed = false;
    binder b = bind_start(r, ST_READ_MARK);
    b_id(&b, 1, session_id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_id(&b, 3, participant_id);
    b_i64(&b, 4, seq);
    b_i64(&b, 5, at);
    parley_status status = exec_write(r, &b, false, "read_mark", "read receipt", err);
    if (status == PARLEY_OK) {
        *changed = sqlite3_changes(r->db) > 0;
    }
    return status;
}

static parley_status sq_unread_count(parley_repository *repo, const char *session_id,
                                     parley_participant_kind kind, const char *participant_id,
                                     int cap, int64_t *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_UNREAD_COUNT);
    b_id(&b, 1, session_id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_id(&b, 3, participant_id);
    b_int(&b, 4, cap);
    parley_status status = fetch_one(r, &b, "unread_count", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_read_list(parley_repository *repo, const char *session_id, json_t **out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_READ_LIST);
    b_text(&b, 1, session_id);
    return json_rows(r, &b, true, "read_list", "read receipts", out, err);
}

static parley_status sq_label_insert(parley_repository *repo, const char *name, const char *color,
                                     parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_INSERT);
    b_text(&b, 1, name);
    b_text(&b, 2, color);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "label_insert", "label", err);
}

static parley_status sq_label_get(parley_repository *repo, const char *name, json_t **out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_GET);
    b_text(&b, 1, name);
    return json_rows(r, &b, false, "label_get", "label", out, err);
}

static parley_status sq_label_delete(parley_repository *repo, const char *name, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_DELETE);
    b_text(&b, 1, name);
    return exec_write(r, &b, true, "label_delete", "label", err);
}

static parley_status sq_label_list(parley_repository *repo, int limit, const char *cursor,
                                   json_t **items_out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_LIST);
    return json_page(r, &b, "label_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_session_label_add(parley_repository *repo, const char *session_id,
                                          const char *label, parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_ADD);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "session_label_add", "label", err);
}

static parley_status sq_session_label_remove(parley_repository *repo, const char *session_id,
                                             const char *label, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_REMOVE);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    return exec_write(r, &b, true, "session_label_remove", "label", err);
}

const parley_tools_ops parley_sqlite_tools_ops = {
    .canned_insert = sq_canned_insert,
    .canned_get = sq_canned_get,
    .canned_update = sq_canned_update,
    .canned_delete = sq_canned_delete,
    .canned_list = sq_canned_list,
    .note_insert = sq_note_insert,
    .note_list = sq_note_list,
    .read_mark = sq_read_mark,
    .unread_count = sq_unread_count,
    .read_list = sq_read_list,
    .label_insert = sq_label_insert,
    .label_get = sq_label_get,
    .label_delete = sq_label_delete,
    .label_list = sq_label_list,
    .session_label_add = sq_session_label_add,
    .session_label_remove = sq_session_label_remove,
};

/*
 * sqlite/tools.c - the tools ops table (core/store/tools.h) on SQLite:
 * the agent tools (canned responses, notes, receipts, labels), read into
 * the header's structs with the row readers of sqlite_internal.h.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include <limits.h>

#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_tools_sql[ST_COUNT] = {
    /* The tools' rows select the position first (the pages' cursor; the
     * gets too, so one reader serves both), then the row; in pages ?1 is
     * the position bound and ?2 the row limit, as in the sessions'. */
    [ST_CANNED_INSERT] = "INSERT INTO canned_responses (id, owner_id, shortcode, title, content, "
                         "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_CANNED_GET] = "SELECT position, " CANNED_COLS " FROM canned_responses WHERE id = ?1",
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
    [ST_LABEL_GET] = "SELECT position, name, color, created_at FROM labels WHERE name = ?1",
    [ST_LABEL_DELETE] = "DELETE FROM labels WHERE name = ?1",
    [ST_LABEL_LIST] = "SELECT position, name, color, created_at FROM labels WHERE position < ?1 "
                      "ORDER BY position DESC LIMIT ?2",
    /* already there is a result (*added false), not an error */
    [ST_SESSION_LABEL_ADD] = "INSERT INTO session_labels (session_id, label, added_at) "
                             "VALUES (?1, ?2, ?3) ON CONFLICT (session_id, label) DO NOTHING",
    [ST_SESSION_LABEL_REMOVE] = "DELETE FROM session_labels WHERE session_id = ?1 AND label = ?2",
    [ST_UNREAD_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_id = ?1 "
                        "AND seq > ifnull((SELECT last_read_seq FROM read_receipts WHERE "
                        "session_id = ?1 AND participant_kind = ?2 AND participant_id = ?3), 0) "
                        "AND NOT (sender_kind = ?2 AND sender_id = ?3) LIMIT ?4)",
};

/* ---- rows -------------------------------------------------------------- */

/* Every tools row but a receipt has its position in column 0, so the
 * page readers serve the gets too. */
#define TOOLS_POSITION_COL 0

static void read_canned(row_reader *rd, void *item) {
    parley_canned *c = item;
    r_id(rd, 1, c->id);
    r_id(rd, 2, c->owner_id);
    c->shortcode = r_text(rd, 3);
    c->title = r_text(rd, 4);
    c->content = r_text(rd, 5);
    c->created_at = r_i64(rd, 6);
    c->updated_at = r_i64(rd, 7);
}

static void read_note(row_reader *rd, void *item) {
    parley_session_note *n = item;
    r_id(rd, 1, n->id);
    r_id(rd, 2, n->session_id);
    n->author_kind = participant_kind_load(rd, 3);
    r_id(rd, 4, n->author_id);
    n->content = r_text(rd, 5);
    n->created_at = r_i64(rd, 6);
}

static void read_label(row_reader *rd, void *item) {
    parley_label *l = item;
    r_fixed(rd, 1, l->name, sizeof l->name);
    r_fixed(rd, 2, l->color, sizeof l->color);
    l->created_at = r_i64(rd, 3);
}

static void read_receipt(row_reader *rd, void *item) {
    parley_read_receipt *rr = item;
    rr->participant_kind = participant_kind_load(rd, 0);
    r_id(rd, 1, rr->participant_id);
    rr->last_read_seq = r_i64(rd, 2);
    rr->read_at = r_i64(rd, 3);
}

static void *push_canned(void *list) {
    return parley_canned_list_push(list);
}
static void free_canned_list(void *list) {
    parley_canned_list_free(list);
}
static void *push_note(void *list) {
    return parley_session_note_list_push(list);
}
static void free_note_list(void *list) {
    parley_session_note_list_free(list);
}
static void *push_label(void *list) {
    return parley_label_list_push(list);
}
static void free_label_list(void *list) {
    parley_label_list_free(list);
}

static void *push_receipt(void *list) {
    return parley_read_receipt_list_push(list);
}
static void free_receipt_list(void *list) {
    parley_read_receipt_list_free(list);
}

static const page_kind canned_page = {ST_CANNED_LIST, TOOLS_POSITION_COL, push_canned, read_canned,
                                      free_canned_list};
static const page_kind note_page = {ST_NOTE_LIST, TOOLS_POSITION_COL, push_note, read_note,
                                    free_note_list};
static const page_kind label_page = {ST_LABEL_LIST, TOOLS_POSITION_COL, push_label, read_label,
                                     free_label_list};
/* not paged (read_list runs it whole); column 2 stands in for a position */
static const page_kind receipt_rows = {ST_READ_LIST, 2, push_receipt, read_receipt,
                                       free_receipt_list};

/* One row by key into out (already zeroed), NOT_FOUND when none; a row
 * that cannot be read is freed with free_item (NULL: no heap fields).
 * Always resets. */
static parley_status read_one(struct sqlite_repo *r, binder *b, void (*read)(row_reader *, void *),
                              void (*free_item)(void *), const char *op, const char *what,
                              void *out, parley_error *err) {
    parley_status status = fetch_one(r, b, op, what, err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b->st);
        read(&rd, out);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK && free_item != NULL) {
            free_item(out);
        }
    }
    stmt_done(b->st);
    return status;
}

/* A page of a kind's statement, newest first. The caller has bound its
 * own parameters from ?3 on into b; page_list binds the cursor and the
 * limit (?1, ?2) on the same statement (bind_start keeps what is bound)
 * and runs it. *out is zeroed by the caller. Always resets. */
static parley_status tools_page(struct sqlite_repo *r, binder *b, const page_kind *kind,
                                const char *op, int limit, const char *cursor, void *out,
                                char *next_cursor_out, size_t next_cursor_size, parley_error *err) {
    parley_status status = bind_check(r, b, op, err);
    if (status != PARLEY_OK) {
        if (next_cursor_out != NULL && next_cursor_size > 0) {
            next_cursor_out[0] = '\0';
        }
        stmt_done(b->st);
        return status;
    }
    const char *c = cursor != NULL ? cursor : "";
    return page_list(r, kind, op, NULL, "", 1, c, strlen(c) + 1, limit, out, next_cursor_out,
                     next_cursor_size, err);
}

/* A write whose outcome is a result (store/tools.h: expected conflicts
 * are results): *changed tells whether it touched a row. Always resets. */
static parley_status write_changed(struct sqlite_repo *r, binder *b, const char *op,
                                   const char *what, bool *changed, parley_error *err) {
    *changed = false;
    parley_status status = exec_write(r, b, false, op, what, err);
    if (status == PARLEY_OK) {
        *changed = sqlite3_changes(r->db) > 0;
    }
    return status;
}

/* ---- canned responses ---------------------------------------------------- */

static void bind_canned_text(binder *b, const parley_canned *c, int first) {
    b_text(b, first, c->shortcode);
    b_text(b, first + 1, c->title);
    b_text(b, first + 2, c->content);
}

static parley_status sq_canned_insert(parley_repository *repo, const parley_canned *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_INSERT);
    b_id(&b, 1, c->id);
    b_opt_id(&b, 2, c->owner_id);
    bind_canned_text(&b, c, 3);
    b_i64(&b, 6, c->created_at);
    b_i64(&b, 7, c->updated_at);
    return exec_write(r, &b, false, "canned_insert", "canned response", err);
}

static void free_canned(void *item) {
    parley_canned_free(item);
}

static parley_status sq_canned_get(parley_repository *repo, const char *id, parley_canned *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CANNED_GET);
    b_text(&b, 1, id);
    return read_one(r, &b, read_canned, free_canned, "canned_get", "canned response", out, err);
}

static parley_status sq_canned_update(parley_repository *repo, const parley_canned *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_UPDATE);
    b_id(&b, 1, c->id);
    bind_canned_text(&b, c, 2);
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
                                    parley_canned_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CANNED_LIST);
    b_text(&b, 3, owner_id);
    b_text(&b, 4, prefix != NULL ? prefix : "");
    return tools_page(r, &b, &canned_page, "canned_list", limit, cursor, out, next_cursor_out,
                      next_cursor_size, err);
}

/* ---- notes ------------------------------------------------------------------ */

static parley_status sq_note_insert(parley_repository *repo, const parley_session_note *n,
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
                                  const char *cursor, parley_session_note_list *out,
                                  char *next_cursor_out, size_t next_cursor_size,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_NOTE_LIST);
    b_text(&b, 3, session_id);
    return tools_page(r, &b, &note_page, "note_list", limit, cursor, out, next_cursor_out,
                      next_cursor_size, err);
}

/* ---- read receipts ------------------------------------------------------------ */

static parley_status sq_read_mark(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id,
                                  int64_t seq, parley_time_ms at, bool *changed,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_READ_MARK);
    b_id(&b, 1, session_id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_id(&b, 3, participant_id);
    b_i64(&b, 4, seq);
    b_i64(&b, 5, at);
    return write_changed(r, &b, "read_mark", "read receipt", changed, err);
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

static parley_status sq_read_list(parley_repository *repo, const char *session_id,
                                  parley_read_receipt_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_READ_LIST);
    b_text(&b, 1, session_id);
    parley_status status = bind_check(r, &b, "read_list", err);
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    /* every row: one per participant of the session, so never cut */
    return page_run(r, &receipt_rows, "read_list", &b, INT_MAX, out, NULL, 0, err);
}

/* ---- labels ---------------------------------------------------------------------- */

static parley_status sq_label_insert(parley_repository *repo, const char *name, const char *color,
                                     parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_INSERT);
    b_text(&b, 1, name);
    b_text(&b, 2, color);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "label_insert", "label", err);
}

static parley_status sq_label_get(parley_repository *repo, const char *name, parley_label *out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_LABEL_GET);
    b_text(&b, 1, name);
    parley_status status = read_one(r, &b, read_label, NULL, "label_get", "label", out, err);
    if (status != PARLEY_OK) {
        memset(out, 0, sizeof *out);
    }
    return status;
}

static parley_status sq_label_delete(parley_repository *repo, const char *name, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_DELETE);
    b_text(&b, 1, name);
    return exec_write(r, &b, true, "label_delete", "label", err);
}

static parley_status sq_label_list(parley_repository *repo, int limit, const char *cursor,
                                   parley_label_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_LABEL_LIST);
    return tools_page(r, &b, &label_page, "label_list", limit, cursor, out, next_cursor_out,
                      next_cursor_size, err);
}

static parley_status sq_session_label_add(parley_repository *repo, const char *session_id,
                                          const char *label, parley_time_ms at, bool *added,
                                          parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_ADD);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    b_i64(&b, 3, at);
    return write_changed(r, &b, "session_label_add", "label", added, err);
}

static parley_status sq_session_label_remove(parley_repository *repo, const char *session_id,
                                             const char *label, bool *removed, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_REMOVE);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    return write_changed(r, &b, "session_label_remove", "label", removed, err);
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

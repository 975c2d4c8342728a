/*
 * postgres/tools.c - the tools ops table (core/store/tools.h) on
 * PostgreSQL: canned responses, private notes, read receipts and labels.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#define PG_CANNED_COLS "id, owner_id, shortcode, title, content, created_at, updated_at"

const char *const parley_pg_tools_sql[PG_STMT_COUNT] = {
    /* rows select the position first (the pages' cursor; the gets too, so
     * one reader serves both); in pages $1 is the position bound and $2
     * the row limit */
    [PG_CANNED_INSERT] = "INSERT INTO canned_responses (" PG_CANNED_COLS ") VALUES ($1, $2, $3, "
                         "$4, $5, $6, $7)",
    [PG_CANNED_GET] = "SELECT position, " PG_CANNED_COLS " FROM canned_responses WHERE id = $1",
    [PG_CANNED_UPDATE] = "UPDATE canned_responses SET shortcode = $2, title = $3, content = $4, "
                         "updated_at = $5 WHERE id = $1",
    [PG_CANNED_DELETE] = "DELETE FROM canned_responses WHERE id = $1",
    [PG_CANNED_LIST] = "SELECT position, " PG_CANNED_COLS " FROM canned_responses "
                       "WHERE position < $1 AND (owner_id IS NULL OR owner_id = $3::text) "
                       "AND starts_with(shortcode, $4::text) ORDER BY position DESC LIMIT $2",
    [PG_NOTE_INSERT] = "INSERT INTO session_notes (id, session_id, author_kind, author_id, "
                       "content, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    [PG_NOTE_LIST] = "SELECT position, id, session_id, author_kind, author_id, content, "
                     "created_at FROM session_notes WHERE session_id = $3 AND position < $1 "
                     "ORDER BY position DESC LIMIT $2",
    /* the WHERE of the upsert keeps last_read_seq from ever going down */
    [PG_READ_MARK] = "INSERT INTO read_receipts AS r (session_id, participant_kind, "
                     "participant_id, last_read_seq, read_at) VALUES ($1, $2, $3, $4, $5) "
                     "ON CONFLICT (session_id, participant_kind, participant_id) DO UPDATE SET "
                     "last_read_seq = excluded.last_read_seq, read_at = excluded.read_at "
                     "WHERE excluded.last_read_seq > r.last_read_seq",
    [PG_READ_LIST] = "SELECT participant_kind, participant_id, last_read_seq, read_at "
                     "FROM read_receipts WHERE session_id = $1 "
                     "ORDER BY participant_kind COLLATE \"C\", participant_id COLLATE \"C\"",
    [PG_LABEL_INSERT] = "INSERT INTO labels (name, color, created_at) VALUES ($1, $2, $3)",
    [PG_LABEL_GET] = "SELECT position, name, color, created_at FROM labels WHERE name = $1",
    [PG_LABEL_DELETE] = "DELETE FROM labels WHERE name = $1",
    [PG_LABEL_SET_COLOR] = "UPDATE labels SET color = $2 WHERE name = $1",
    [PG_LABEL_LIST] = "SELECT position, name, color, created_at FROM labels WHERE position < $1 "
                      "ORDER BY position DESC LIMIT $2",
    /* already there is a result (*added false), not an error */
    [PG_SESSION_LABEL_ADD] = "INSERT INTO session_labels (session_id, label, added_at) "
                             "VALUES ($1, $2, $3) ON CONFLICT (session_id, label) DO NOTHING",
    [PG_SESSION_LABEL_REMOVE] = "DELETE FROM session_labels WHERE session_id = $1 AND label = $2",
    [PG_UNREAD_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_id = $1 "
                        "AND seq > coalesce((SELECT last_read_seq FROM read_receipts WHERE "
                        "session_id = $1 AND participant_kind = $2 AND participant_id = $3), 0) "
                        "AND NOT (sender_kind = $2 AND sender_id = $3) LIMIT $4) u",
};

/* ---- rows -------------------------------------------------------------- */

/* Each *_COLUMNS is its insert's columns in order (what it binds); a row
 * reads the position (column 0, the pages' cursor) and then the same. */
#define TOOLS_POSITION_COL 0
#define CANNED_COLUMNS(F)                                                                          \
    F(id, ID), F(owner_id, OPT_ID), F(shortcode, TEXT), F(title, TEXT), F(content, TEXT),          \
        F(created_at, I64), F(updated_at, I64)
#define CANNED_READ_COLUMNS(F) F(position, SKIP), CANNED_COLUMNS(F)
ROW_READER(read_canned, parley_canned, CANNED_READ_COLUMNS)
ROW_BINDER(bind_canned, parley_canned, CANNED_COLUMNS)
ROW_LIST_TYPE(canned_rows, parley_canned, "canned response", read_canned, parley_canned_free,
              parley_canned_list, TOOLS_POSITION_COL);

#define SESSION_NOTE_COLUMNS(F)                                                                    \
    F(id, ID), F(session_id, ID), F(author_kind, participant_kind), F(author_id, ID),              \
        F(content, TEXT), F(created_at, I64)
#define SESSION_NOTE_READ_COLUMNS(F) F(position, SKIP), SESSION_NOTE_COLUMNS(F)
ROW_READER(read_session_note, parley_session_note, SESSION_NOTE_READ_COLUMNS)
ROW_BINDER(bind_session_note, parley_session_note, SESSION_NOTE_COLUMNS)
ROW_LIST_TYPE(session_note_rows, parley_session_note, "note", read_session_note,
              parley_session_note_free, parley_session_note_list, TOOLS_POSITION_COL);

#define LABEL_READ_COLUMNS(F) F(position, SKIP), F(name, FIXED), F(color, FIXED), F(created_at, I64)
ROW_READER(read_label, parley_label, LABEL_READ_COLUMNS)
ROW_LIST_TYPE(label_rows, parley_label, "label", read_label, plain_item_free, parley_label_list,
              TOOLS_POSITION_COL);

#define RECEIPT_COLUMNS(F)                                                                         \
    F(participant_kind, participant_kind), F(participant_id, ID), F(last_read_seq, I64),           \
        F(read_at, I64)
ROW_READER(read_receipt, parley_read_receipt, RECEIPT_COLUMNS)
ROW_LIST_TYPE(receipt_rows, parley_read_receipt, "read receipt", read_receipt, plain_item_free,
              parley_read_receipt_list, 0);

/* ---- canned responses ---------------------------------------------------- */

WRITE_ROW_OP(canned_insert, parley_canned, PG_CANNED_INSERT, false, "canned response", bind_canned)
GET_BY_KEY_OP(canned_get, parley_canned, PG_CANNED_GET, canned_rows)

static parley_status pq_canned_update(parley_repository *repo, const parley_canned *c,
                                      parley_error *err) {
    return write_params(as_pg(repo), PG_CANNED_UPDATE, true, "canned_update", "canned response",
                        PARAMS(p_id(c->id), p_text(c->shortcode), p_text(c->title),
                               p_text(c->content), p_i64(c->updated_at)),
                        err);
}

static parley_status pq_canned_delete(parley_repository *repo, const char *id, parley_error *err) {
    return write_params(as_pg(repo), PG_CANNED_DELETE, true, "canned_delete", "canned response",
                        PARAMS(p_text(id)), err);
}

static parley_status pq_canned_list(parley_repository *repo, const char *owner_id,
                                    const char *prefix, int limit, const char *cursor,
                                    parley_canned_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    pager p = page_open(as_pg(repo), PG_CANNED_LIST, "canned_list", &canned_rows, limit, cursor, 0,
                        out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, owner_id);
    b_text(&p.b, 4, prefix != NULL ? prefix : "");
    return page_fetch(&p, err);
}

/* ---- notes ------------------------------------------------------------------ */

WRITE_ROW_OP(note_insert, parley_session_note, PG_NOTE_INSERT, false, "note", bind_session_note)

LIST_PAGE_BY_KEY_OP(note_list, parley_session_note_list, PG_NOTE_LIST, session_note_rows)

/* ---- read receipts ------------------------------------------------------------ */

static parley_status pq_read_mark(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id,
                                  int64_t seq, parley_time_ms at, bool *changed,
                                  parley_error *err) {
    return write_changed(as_pg(repo), PG_READ_MARK, "read_mark", "read receipt",
                         PARAMS(p_id(session_id), p_enum(participant_kind_store(kind)),
                                p_id(participant_id), p_i64(seq), p_i64(at)),
                         changed, err);
}

static parley_status pq_unread_count(parley_repository *repo, const char *session_id,
                                     parley_participant_kind kind, const char *participant_id,
                                     int cap, int64_t *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_UNREAD_COUNT);
    b_params(&b, PARAMS(p_id(session_id), p_enum(participant_kind_store(kind)),
                        p_id(participant_id), p_i64(cap)));
    return get_i64(&b, "unread_count", "count", out, err);
}

/* every row: one per participant of the session, so never cut */
static parley_status pq_read_list(parley_repository *repo, const char *session_id,
                                  parley_read_receipt_list *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_READ_LIST);
    b_text(&b, 1, session_id);
    return list_rows(&b, "read_list", &receipt_rows, out, err);
}

/* ---- labels ---------------------------------------------------------------------- */

static parley_status pq_label_insert(parley_repository *repo, const char *name, const char *color,
                                     parley_time_ms at, parley_error *err) {
    return write_params(as_pg(repo), PG_LABEL_INSERT, false, "label_insert", "label",
                        PARAMS(p_text(name), p_text(color), p_i64(at)), err);
}

GET_BY_KEY_OP(label_get, parley_label, PG_LABEL_GET, label_rows)

static parley_status pq_label_delete(parley_repository *repo, const char *name, parley_error *err) {
    return write_params(as_pg(repo), PG_LABEL_DELETE, true, "label_delete", "label",
                        PARAMS(p_text(name)), err);
}

static parley_status pq_label_set_color(parley_repository *repo, const char *name,
                                        const char *color, parley_error *err) {
    return write_params(as_pg(repo), PG_LABEL_SET_COLOR, true, "label_set_color", "label",
                        PARAMS(p_text(name), p_text(color)), err);
}

LIST_PAGE_OP(label_list, parley_label_list, PG_LABEL_LIST, label_rows)

static parley_status pq_session_label_add(parley_repository *repo, const char *session_id,
                                          const char *label, parley_time_ms at, bool *added,
                                          parley_error *err) {
    return write_changed(as_pg(repo), PG_SESSION_LABEL_ADD, "session_label_add", "label",
                         PARAMS(p_id(session_id), p_text(label), p_i64(at)), added, err);
}

static parley_status pq_session_label_remove(parley_repository *repo, const char *session_id,
                                             const char *label, bool *removed, parley_error *err) {
    return write_changed(as_pg(repo), PG_SESSION_LABEL_REMOVE, "session_label_remove", "label",
                         PARAMS(p_id(session_id), p_text(label)), removed, err);
}

const parley_tools_ops parley_pg_tools_ops = {
    .canned_insert = pq_canned_insert,
    .canned_get = pq_canned_get,
    .canned_update = pq_canned_update,
    .canned_delete = pq_canned_delete,
    .canned_list = pq_canned_list,
    .note_insert = pq_note_insert,
    .note_list = pq_note_list,
    .read_mark = pq_read_mark,
    .unread_count = pq_unread_count,
    .read_list = pq_read_list,
    .label_insert = pq_label_insert,
    .label_get = pq_label_get,
    .label_delete = pq_label_delete,
    .label_set_color = pq_label_set_color,
    .label_list = pq_label_list,
    .session_label_add = pq_session_label_add,
    .session_label_remove = pq_session_label_remove,
};

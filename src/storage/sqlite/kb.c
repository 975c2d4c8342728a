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

#include "storage/columns.h"

const char *const parley_sqlite_kb_sql[ST_COUNT] = {
    [ST_KB_INSERT] = "INSERT INTO kb_entries (id, question, answer, alternatives_json, tags_json, "
                     "created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_KB_GET] = "SELECT " KB_COLS " FROM kb_entries WHERE id = ?1",
    [ST_KB_UPDATE] = "UPDATE kb_entries SET question = ?2, answer = ?3, alternatives_json = ?4, "
                     "tags_json = ?5, updated_at = ?8 WHERE id = ?1",
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

/* KB_COLS: KB_READ_COLUMNS (storage/columns.h) */
ROW_READER(read_kb_entry, parley_kb_entry, KB_READ_COLUMNS)
ROW_BINDER(bind_kb_entry, parley_kb_entry, KB_COLUMNS)

ROW_LIST_TYPE(kb_rows, parley_kb_entry, "kb entry", read_kb_entry, parley_kb_entry_free,
              parley_kb_list, KB_POSITION_COL);

WRITE_ROW_OP(kb_insert, parley_kb_entry, ST_KB_INSERT, false, "kb entry", bind_kb_entry)

static parley_status sq_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                               parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_KB_GET);
    b_id(&b, 1, id); /* "" is refused, not looked up */
    return get_row(r, &b, "kb_get", &kb_rows, out, err);
}

WRITE_ROW_OP(kb_update, parley_kb_entry, ST_KB_UPDATE, true, "kb entry", bind_kb_entry)

static parley_status sq_kb_delete(parley_repository *repo, const char *id, parley_error *err) {
    return write_params(as_sqlite(repo), ST_KB_DELETE, true, "kb_delete", "kb entry",
                        PARAMS(p_id(id)), err);
}

/* A malformed cursor is said in the API's words (the cursor is the
 * client's own). */
static parley_status sq_kb_list(parley_repository *repo, int limit, const char *cursor,
                                parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                                parley_error *err) {
    pager p = page_open(as_sqlite(repo), ST_KB_LIST, "kb_list", &kb_rows, limit, cursor, 0, out,
                        next_cursor_out, next_cursor_size);
    if (p.b.invalid != NULL) {
        stmt_done(p.b.st);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    return page_fetch(as_sqlite(repo), &p, err);
}

static bool kb_load_row(row_reader *rd, void *ctx) {
    const row_callback *load = ctx;
    parley_kb_entry e = {0};
    read_kb_entry(rd, &e);
    if (rd->status == PARLEY_OK) {
        ((void (*)(void *, const parley_kb_entry *))load->each)(load->ctx, &e);
    }
    parley_kb_entry_free(&e);
    return true;
}

static parley_status sq_kb_load(parley_repository *repo,
                                void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                                parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_KB_ALL);
    return each_row(as_sqlite(repo), &b, "kb_load", kb_load_row, EACH_CALLBACK(each, ctx), err);
}

static parley_status sq_bot_failures_add(parley_repository *repo, const char *session_id,
                                         int64_t delta, int64_t *count_out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_BOT_FAILURES_ADD);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, delta);
    return get_i64(as_sqlite(repo), &b, "bot_failures_add", "bot session state", count_out, err);
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

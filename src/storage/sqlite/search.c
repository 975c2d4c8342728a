/*
 * sqlite/search.c - the search ops table (core/store/search.h) on SQLite:
 * the full-text search index and queries.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_search_sql[ST_COUNT] = {
    /* FTS5 walks its rowids newest first; the joins only add columns and
     * the optional session and customer scope */
    [ST_MESSAGE_SEARCH] =
        "SELECT f.rowid, m.id AS message_id, m.session_id, m.seq, m.sender_kind, m.sender_id, "
        "m.type, m.created_at, snippet(message_fts, 0, char(2), char(3), '…', 16) AS snippet "
        "FROM message_fts f JOIN messages m ON m.id = f.message_id "
        "JOIN sessions s ON s.id = m.session_id "
        "WHERE message_fts MATCH ?3 AND f.rowid < ?1 AND (?4 IS NULL OR f.session_id = ?4) "
        "AND (?5 IS NULL OR s.customer_id = ?5) ORDER BY f.rowid DESC LIMIT ?2",
    /* walks UNIQUE (session_id, seq) from the receipt on, at most ?4 rows */
    [ST_SEARCH_PROGRESS_GET] = "SELECT last_rowid FROM search_progress WHERE id = 1",
    [ST_SEARCH_BATCH_END] = "SELECT max(rowid) FROM (SELECT rowid FROM messages WHERE rowid > ?1 "
                            "ORDER BY rowid LIMIT ?2)",
    [ST_SEARCH_INDEX_RANGE] = "INSERT INTO message_fts (content, message_id, session_id) "
                              "SELECT content, id, session_id FROM messages WHERE rowid > ?1 "
                              "AND rowid <= ?2 ORDER BY rowid",
    [ST_SEARCH_PROGRESS_SET] = "UPDATE search_progress SET last_rowid = ?1 WHERE id = 1",
};

static parley_status sq_message_search(parley_repository *repo, const char *match,
                                       const char *session_id, const char *customer_id, int limit,
                                       const char *cursor, json_t **items_out,
                                       char *next_cursor_out, size_t next_cursor_size,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_SEARCH);
    b_text(&b, 3, match);
    b_text(&b, 4, session_id != NULL && session_id[0] != '\0' ? session_id : NULL);
    b_text(&b, 5, customer_id != NULL && customer_id[0] != '\0' ? customer_id : NULL);
    return json_page(r, &b, "message_search", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

/* ---- the search index's catch-up ------------------------------------------ */

static parley_status query_one_i64(struct sqlite_repo *r, binder *b, const char *op, int64_t *out,
                                   bool *is_null, parley_error *err) {
    parley_status status = fetch_one(r, b, op, "row", err);
    if (status == PARLEY_OK) {
        *is_null = sqlite3_column_type(b->st, 0) == SQLITE_NULL;
        *out = sqlite3_column_int64(b->st, 0);
    }
    stmt_done(b->st);
    return status;
}

static parley_status sq_search_index_catch_up(parley_repository *repo, int max_rows,
                                              int64_t *indexed, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *indexed = 0;
    int64_t last = 0;
    int64_t end = 0;
    bool none = false;
    binder b = bind_start(r, ST_SEARCH_PROGRESS_GET);
    parley_status status = query_one_i64(r, &b, "search_progress_get", &last, &none, err);
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_SEARCH_BATCH_END);
        b_i64(&b, 1, last);
        b_int(&b, 2, max_rows);
        status = query_one_i64(r, &b, "search_batch_end", &end, &none, err);
    }
    if (status != PARLEY_OK || none) {
        return status;
    }
    b = bind_start(r, ST_SEARCH_INDEX_RANGE);
    b_i64(&b, 1, last);
    b_i64(&b, 2, end);
    status = exec_write(r, &b, false, "search_index_range", "message", err);
    if (status == PARLEY_OK) {
        *indexed = sqlite3_changes(r->db);
        b = bind_start(r, ST_SEARCH_PROGRESS_SET);
        b_i64(&b, 1, end);
        status = exec_write(r, &b, true, "search_progress_set", "search progress", err);
    }
    return status;
}

const parley_search_ops parley_sqlite_search_ops = {
    .index_catch_up = sq_search_index_catch_up,
    .messages = sq_message_search,
};

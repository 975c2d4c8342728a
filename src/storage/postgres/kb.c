/*
 * postgres/kb.c - the kb ops table (core/store/kb.h) on PostgreSQL: the
 * ChatBot's knowledge base and per-session failures. The same statements
 * as sqlite/kb.c (the column lists are storage/columns.h's). The matcher
 * searches its own index in memory (core/knowledge_base.h, built from
 * load), so no text search runs here.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#include "storage/columns.h"

#define PG_KB_COLS                                                                                 \
    "id, question, answer, alternatives_json, tags_json, created_by, created_at, updated_at, "     \
    "position"

const char *const parley_pg_kb_sql[PG_STMT_COUNT] = {
    [PG_KB_INSERT] = "INSERT INTO kb_entries (id, question, answer, alternatives_json, tags_json, "
                     "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [PG_KB_GET] = "SELECT " PG_KB_COLS " FROM kb_entries WHERE id = $1",
    [PG_KB_UPDATE] = "UPDATE kb_entries SET question = $2, answer = $3, alternatives_json = $4, "
                     "tags_json = $5, updated_at = $6 WHERE id = $1",
    [PG_KB_DELETE] = "DELETE FROM kb_entries WHERE id = $1",
    [PG_KB_LIST] = "SELECT " PG_KB_COLS " FROM kb_entries WHERE position < $1 "
                   "ORDER BY position DESC LIMIT $2",
    [PG_KB_ALL] = "SELECT " PG_KB_COLS " FROM kb_entries ORDER BY position",
    [PG_BOT_FAILURES_ADD] = "INSERT INTO bot_session_state AS b (session_id, failed_attempts) "
                            "VALUES ($1, greatest($2::bigint, 0)) ON CONFLICT (session_id) DO "
                            "UPDATE SET failed_attempts = greatest(b.failed_attempts + $2::bigint, "
                            "0) RETURNING failed_attempts",
};

ROW_READER(read_kb_entry, parley_kb_entry, KB_READ_COLUMNS)
ROW_BINDER(bind_kb_entry, parley_kb_entry, KB_COLUMNS)
ROW_LIST_TYPE(kb_rows, parley_kb_entry, "kb entry", read_kb_entry, parley_kb_entry_free,
              parley_kb_list, KB_POSITION_COL);

WRITE_ROW_OP(kb_insert, parley_kb_entry, PG_KB_INSERT, false, "kb entry", bind_kb_entry)

static parley_status pq_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                               parley_error *err) {
    memset(out, 0, sizeof *out);
    binder b = bind_start(as_pg(repo), PG_KB_GET);
    b_id(&b, 1, id); /* "" is refused, not looked up */
    return get_row(&b, "kb_get", &kb_rows, out, err);
}

/* (a statement prepared from text has no parameter it does not use, so
 * the update binds its own six rather than the insert's eight) */
static parley_status pq_kb_update(parley_repository *repo, const parley_kb_entry *e,
                                  parley_error *err) {
    return write_params(as_pg(repo), PG_KB_UPDATE, true, "kb_update", "kb entry",
                        PARAMS(p_id(e->id), p_text(e->question), p_text(e->answer),
                               p_text(e->alternatives_json != NULL ? e->alternatives_json : "[]"),
                               p_text(e->tags_json != NULL ? e->tags_json : "[]"),
                               p_i64(e->updated_at)),
                        err);
}

static parley_status pq_kb_delete(parley_repository *repo, const char *id, parley_error *err) {
    return write_params(as_pg(repo), PG_KB_DELETE, true, "kb_delete", "kb entry", PARAMS(p_id(id)),
                        err);
}

/* A malformed cursor is said in the API's words (the cursor is the
 * client's own). */
static parley_status pq_kb_list(parley_repository *repo, int limit, const char *cursor,
                                parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                                parley_error *err) {
    pager p = page_open(as_pg(repo), PG_KB_LIST, "kb_list", &kb_rows, limit, cursor, 0, out,
                        next_cursor_out, next_cursor_size);
    if (p.b.invalid != NULL) {
        binder_free(&p.b);
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    return page_fetch(&p, err);
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

static parley_status pq_kb_load(parley_repository *repo,
                                void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                                parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_KB_ALL);
    return each_row(&b, "kb_load", kb_load_row, EACH_CALLBACK(each, ctx), err);
}

static parley_status pq_bot_failures_add(parley_repository *repo, const char *session_id,
                                         int64_t delta, int64_t *count_out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_BOT_FAILURES_ADD);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, delta);
    return get_i64(&b, "bot_failures_add", "bot session state", count_out, err);
}

const parley_kb_ops parley_pg_kb_ops = {
    .insert = pq_kb_insert,
    .get = pq_kb_get,
    .update = pq_kb_update,
    .delete = pq_kb_delete,
    .list = pq_kb_list,
    .load = pq_kb_load,
    .bot_failures_add = pq_bot_failures_add,
};

/*
 * sqlite/audit.c - the audit ops table (core/store/audit.h) on SQLite:
 * the audit log.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

const char *const parley_sqlite_audit_sql[ST_COUNT] = {
    [ST_AUDIT_INSERT] = "INSERT INTO audit_log (at, actor_kind, actor_id, action, target_id, ip, "
                        "detail_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM audit_log WHERE position < ?1 "
                      "ORDER BY position DESC LIMIT ?2",
};

/* ---- audit log ----------------------------------------------------------- */

static parley_status sq_audit_insert(parley_repository *repo, const parley_audit_entry *e,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AUDIT_INSERT);
    b_i64(&b, 1, e->at);
    if (e->has_actor) {
        b_enum(&b, 2, participant_kind_store(e->actor_kind));
    }
    b_opt_id(&b, 3, e->has_actor ? e->actor_id : "");
    b_text(&b, 4, e->action);
    b_opt_id(&b, 5, e->target_id);
    b_text(&b, 6, e->ip[0] != '\0' ? e->ip : NULL);
    b_text(&b, 7, e->detail_json);
    return exec_write(r, &b, false, "audit_insert", "audit entry", err);
}

static void read_audit(row_reader *rd, parley_audit_entry *e) {
    e->position = r_i64(rd, 0);
    e->at = r_i64(rd, 1);
    e->has_actor = sqlite3_column_type(rd->st, 2) != SQLITE_NULL;
    if (e->has_actor) {
        e->actor_kind = participant_kind_load(rd, 2);
    }
    r_id(rd, 3, e->actor_id);
    r_fixed(rd, 4, e->action, sizeof e->action);
    r_id(rd, 5, e->target_id);
    r_fixed(rd, 6, e->ip, sizeof e->ip);
    e->detail_json = r_text(rd, 7);
}

static void *push_audit(void *list) {
    return parley_audit_list_push(list);
}
static void read_audit_item(row_reader *rd, void *item) {
    read_audit(rd, item);
}
static void free_audit_list(void *list) {
    parley_audit_list_free(list);
}

static const page_kind audit_page = {ST_AUDIT_LIST, 0, push_audit, read_audit_item,
                                     free_audit_list};

static parley_status sq_audit_list(parley_repository *repo, int limit, const char *cursor,
                                   parley_audit_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *page_cursor_text = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &audit_page, "audit_list", NULL, "", 1, page_cursor_text,
                     strlen(page_cursor_text) + 1, limit, out, next_cursor_out, next_cursor_size,
                     err);
}

const parley_audit_ops parley_sqlite_audit_ops = {
    .insert = sq_audit_insert,
    .list = sq_audit_list,
};

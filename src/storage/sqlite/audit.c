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
                      "AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR actor_id = ?4) "
                      "ORDER BY position DESC LIMIT ?2",
};

/* ---- audit log ----------------------------------------------------------- */

/* No actor, no IP: NULL. */
static parley_status sq_audit_insert(parley_repository *repo, const parley_audit_entry *e,
                                     parley_error *err) {
    return write_params(
        as_sqlite(repo), ST_AUDIT_INSERT, false, "audit_insert", "audit entry",
        PARAMS(p_i64(e->at),
               e->has_actor ? p_enum(participant_kind_store(e->actor_kind)) : p_text(NULL),
               p_opt_id(e->has_actor ? e->actor_id : ""), p_text(e->action), p_opt_id(e->target_id),
               p_text(e->ip[0] != '\0' ? e->ip : NULL), p_text(e->detail_json)),
        err);
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

ROW_LIST_TYPE(audit_rows, parley_audit_entry, "audit entry", read_audit, parley_audit_entry_free,
              parley_audit_list, 0);

/* A page, newest first; ?3 the action and ?4 the actor, NULL = any. */
static parley_status sq_audit_list(parley_repository *repo, const char *action,
                                   const char *actor_id, int limit, const char *cursor,
                                   parley_audit_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    pager p = page_open(r, ST_AUDIT_LIST, "audit_list", &audit_rows, limit, cursor, 0, out,
                        next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, action);
    b_text(&p.b, 4, actor_id);
    return page_fetch(r, &p, err);
}

const parley_audit_ops parley_sqlite_audit_ops = {
    .insert = sq_audit_insert,
    .list = sq_audit_list,
};

/*
 * postgres/audit.c - the audit ops table (core/store/audit.h) on
 * PostgreSQL: the security audit log.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_audit_sql[PG_STMT_COUNT] = {
    [PG_AUDIT_INSERT] = "INSERT INTO audit_log (at, actor_kind, actor_id, action, target_id, ip, "
                        "detail_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [PG_AUDIT_LIST] = "SELECT " PG_AUDIT_COLS " FROM audit_log WHERE position < $1 "
                      "AND ($3::text IS NULL OR action = $3::text) "
                      "AND ($4::text IS NULL OR actor_id = $4::text) "
                      "ORDER BY position DESC LIMIT $2",
};

/* No actor, no IP: NULL. */
static parley_status pq_audit_insert(parley_repository *repo, const parley_audit_entry *e,
                                     parley_error *err) {
    return write_params(
        as_pg(repo), PG_AUDIT_INSERT, false, "audit_insert", "audit entry",
        PARAMS(p_i64(e->at),
               e->has_actor ? p_enum(participant_kind_store(e->actor_kind)) : p_text(NULL),
               p_opt_id(e->has_actor ? e->actor_id : ""), p_text(e->action), p_opt_id(e->target_id),
               p_text(e->ip[0] != '\0' ? e->ip : NULL), p_text(e->detail_json)),
        err);
}

static void read_audit(row_reader *rd, parley_audit_entry *e) {
    e->position = r_i64(rd, 0);
    e->at = r_i64(rd, 1);
    e->has_actor = !r_null(rd, 2);
    if (e->has_actor) {
        col_read_participant_kind(rd, 2, &e->actor_kind);
    }
    r_fixed(rd, 3, e->actor_id, sizeof e->actor_id);
    r_fixed(rd, 4, e->action, sizeof e->action);
    r_fixed(rd, 5, e->target_id, sizeof e->target_id);
    r_fixed(rd, 6, e->ip, sizeof e->ip);
    e->detail_json = r_text(rd, 7);
}

ROW_LIST_TYPE(audit_rows, parley_audit_entry, "audit entry", read_audit, parley_audit_entry_free,
              parley_audit_list, 0);

/* A page, newest first; $3 the action and $4 the actor, NULL = any. */
static parley_status pq_audit_list(parley_repository *repo, const char *action,
                                   const char *actor_id, int limit, const char *cursor,
                                   parley_audit_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    pager p = page_open(r, PG_AUDIT_LIST, "audit_list", &audit_rows, limit, cursor, 0, out,
                        next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, action);
    b_text(&p.b, 4, actor_id);
    return page_fetch(&p, err);
}

const parley_audit_ops parley_pg_audit_ops = {
    .insert = pq_audit_insert,
    .list = pq_audit_list,
};

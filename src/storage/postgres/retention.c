/*
 * postgres/retention.c - the retention ops table (core/store/retention.h)
 * on PostgreSQL: bounded purges of what expired.
 *
 * Each purge deletes at most $2 keys chosen through an index of what
 * qualifies (schema.c, the same indexes as SQLite's step 12), oldest first,
 * in one statement; SKIP LOCKED leaves rows another node's purge (or a
 * writer) holds to the next round instead of waiting on them.
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

/* The $2 oldest notifications created before $1 with no delivery matching
 * `blocking` (of d2). */
#define NOTIFICATIONS_DONE(blocking)                                                               \
    "SELECT n.id FROM notifications n WHERE n.created_at < $1 AND NOT EXISTS (SELECT 1 FROM "      \
    "notification_deliveries d2 WHERE d2.notification_id = n.id AND " blocking ") ORDER BY "       \
    "n.created_at, n.position LIMIT $2"

const char *const parley_pg_retention_sql[PG_STMT_COUNT] = {
    [PG_RETENTION_TOKENS_EXPIRED] = "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash "
                                    "FROM tokens WHERE expires_at <= $1 ORDER BY expires_at "
                                    "LIMIT $2 FOR UPDATE SKIP LOCKED)",
    [PG_RETENTION_TOKENS_IDLE] = "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash FROM "
                                 "tokens WHERE last_used_at <= $1 ORDER BY last_used_at LIMIT $2 "
                                 "FOR UPDATE SKIP LOCKED)",
    [PG_RETENTION_CUSTOMERS] =
        "DELETE FROM customers WHERE id IN (SELECT c.id FROM customers c WHERE c.identifier IS "
        "NULL AND NOT c.started_session AND c.created_at < $1 AND NOT EXISTS (SELECT 1 FROM "
        "sessions s WHERE s.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM tokens t WHERE "
        "t.owner_kind = 'customer' AND t.owner_id = c.id) ORDER BY c.created_at LIMIT $2 "
        "FOR UPDATE SKIP LOCKED)",
    [PG_RETENTION_AUDIT] = "DELETE FROM audit_log WHERE position IN (SELECT position FROM "
                           "audit_log WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    /* the content hashes of what went, for the file store */
    [PG_RETENTION_UPLOADS] = "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads WHERE "
                             "message_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2 "
                             "FOR UPDATE SKIP LOCKED) AND message_id IS NULL RETURNING sha256",
    /* notifications: the same $2 oldest done ones three times, in one
     * transaction (see SQLite's retention.c for why the third statement
     * picks the same rows) */
    [PG_RETENTION_NOTIFICATION_ATTEMPTS] =
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT d.id FROM "
        "notification_deliveries d WHERE d.notification_id IN (" NOTIFICATIONS_DONE(
            "d2.state IN ('pending', 'failed')") "))",
    [PG_RETENTION_NOTIFICATION_DELIVERIES] =
        "DELETE FROM notification_deliveries WHERE notification_id IN (" NOTIFICATIONS_DONE(
            "d2.state IN ('pending', 'failed')") ")",
    [PG_RETENTION_NOTIFICATIONS] =
        "DELETE FROM notifications WHERE id IN (" NOTIFICATIONS_DONE("true") ")",
    [PG_RETENTION_PASSWORD_RESETS] = "DELETE FROM password_resets WHERE id IN (SELECT id FROM "
                                     "password_resets WHERE expires_at <= $1 ORDER BY expires_at "
                                     "LIMIT $2 FOR UPDATE SKIP LOCKED)",
};

#define RETENTION_LIMIT_MAX 100000

static parley_status retention_limit(int limit, parley_error *err) {
    if (limit < 1 || limit > RETENTION_LIMIT_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "retention: limit %d not in 1..%d",
                                limit, RETENTION_LIMIT_MAX);
    }
    return PARLEY_OK;
}

/* One bounded DELETE: $1 the bound, $2 the limit; adds the rows it took. */
static parley_status retention_delete(struct pg_repo *r, enum pg_stmt_id id, int64_t bound,
                                      int limit, const char *op, int64_t *deleted,
                                      parley_error *err) {
    parley_status status = retention_limit(limit, err);
    if (status != PARLEY_OK) {
        return status;
    }
    binder b = bind_start(r, id);
    b_i64(&b, 1, bound);
    b_int(&b, 2, limit);
    return exec_count(&b, op, deleted, err);
}

static parley_status pq_retention_purge_tokens(parley_repository *repo, parley_time_ms now,
                                               parley_time_ms idle_before, int limit,
                                               int64_t *deleted, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    *deleted = 0;
    parley_status status = retention_delete(r, PG_RETENTION_TOKENS_EXPIRED, now, limit,
                                            "retention_purge_tokens", deleted, err);
    if (status == PARLEY_OK && *deleted < limit) {
        status = retention_delete(r, PG_RETENTION_TOKENS_IDLE, idle_before, limit - (int)*deleted,
                                  "retention_purge_tokens", deleted, err);
    }
    return status;
}

static int compare_text(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The deleted rows' hashes, each once, sorted: a file goes only when no
 * row names it any more (hash_in_use after the delete). */
static parley_status report_unreferenced(parley_repository *repo, const PGresult *res,
                                         void (*unreferenced)(void *ctx, const char *sha256),
                                         void *ctx, parley_error *err) {
    int rows = PQntuples(res);
    if (rows == 0) {
        return PARLEY_OK;
    }
    char **hashes = calloc((size_t)rows, sizeof *hashes);
    if (hashes == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        hashes[i] = PQgetvalue(res, i, 0);
    }
    qsort(hashes, (size_t)rows, sizeof *hashes, compare_text);
    parley_status status = PARLEY_OK;
    for (int i = 0; i < rows && status == PARLEY_OK; i++) {
        if (i > 0 && strcmp(hashes[i], hashes[i - 1]) == 0) {
            continue;
        }
        bool in_use = true;
        status = parley_pg_uploads_ops.hash_in_use(repo, hashes[i], &in_use, err);
        if (status == PARLEY_OK && !in_use && unreferenced != NULL) {
            unreferenced(ctx, hashes[i]);
        }
    }
    free(hashes);
    return status;
}

static parley_status pq_retention_purge_uploads(parley_repository *repo, parley_time_ms before,
                                                int limit, int64_t *deleted,
                                                void (*unreferenced)(void *ctx, const char *sha256),
                                                void *ctx, parley_error *err) {
    *deleted = 0;
    parley_status status = retention_limit(limit, err);
    if (status != PARLEY_OK) {
        return status;
    }
    binder b = bind_start(as_pg(repo), PG_RETENTION_UPLOADS);
    b_i64(&b, 1, before);
    b_int(&b, 2, limit);
    PGresult *res = parley_pg_run(&b, "retention_purge_uploads", &status, err);
    if (res == NULL) {
        return status;
    }
    status = report_unreferenced(repo, res, unreferenced, ctx, err);
    if (status == PARLEY_OK) {
        *deleted = PQntuples(res);
    }
    PQclear(res);
    return status;
}

static parley_status pq_retention_purge_customers(parley_repository *repo, parley_time_ms before,
                                                  int limit, int64_t *deleted, parley_error *err) {
    *deleted = 0;
    return retention_delete(as_pg(repo), PG_RETENTION_CUSTOMERS, before, limit,
                            "retention_purge_customers", deleted, err);
}

static parley_status pq_retention_purge_audit(parley_repository *repo, parley_time_ms before,
                                              int limit, int64_t *deleted, parley_error *err) {
    *deleted = 0;
    return retention_delete(as_pg(repo), PG_RETENTION_AUDIT, before, limit, "retention_purge_audit",
                            deleted, err);
}

static parley_status pq_retention_purge_notifications(parley_repository *repo,
                                                      parley_time_ms before, int limit,
                                                      int64_t *deleted, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    *deleted = 0;
    int64_t log_rows = 0;
    parley_status status = retention_delete(r, PG_RETENTION_NOTIFICATION_ATTEMPTS, before, limit,
                                            "retention_purge_notifications", &log_rows, err);
    if (status == PARLEY_OK) {
        status = retention_delete(r, PG_RETENTION_NOTIFICATION_DELIVERIES, before, limit,
                                  "retention_purge_notifications", &log_rows, err);
    }
    if (status == PARLEY_OK) {
        status = retention_delete(r, PG_RETENTION_NOTIFICATIONS, before, limit,
                                  "retention_purge_notifications", deleted, err);
    }
    if (status != PARLEY_OK) {
        *deleted = 0;
    }
    return status;
}

static parley_status pq_retention_purge_password_resets(parley_repository *repo, parley_time_ms now,
                                                        int limit, int64_t *deleted,
                                                        parley_error *err) {
    *deleted = 0;
    return retention_delete(as_pg(repo), PG_RETENTION_PASSWORD_RESETS, now, limit,
                            "retention_purge_password_resets", deleted, err);
}

const parley_retention_ops parley_pg_retention_ops = {
    .purge_tokens = pq_retention_purge_tokens,
    .purge_customers = pq_retention_purge_customers,
    .purge_audit = pq_retention_purge_audit,
    .purge_uploads = pq_retention_purge_uploads,
    .purge_notifications = pq_retention_purge_notifications,
    .purge_password_resets = pq_retention_purge_password_resets,
};

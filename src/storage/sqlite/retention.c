/*
 * sqlite/retention.c - the retention ops table (core/store/retention.h) on
 * SQLite: the bounded purges of core/retention.h.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * Each purge runs in the caller's unit (the writer's). The upload purge
 * asks uploads.c's hash_in_use (through its ops table) which content
 * hashes no row names any more.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

/* Each purge selects at most ?2 keys through an index of what qualifies
 * (schema step 12), oldest first, and deletes those: the cost is what
 * expires, never the table's size. tests/unit/test_retention.c checks the
 * query plans of the same text. */
/* The ?2 oldest notifications created before ?1 with no delivery matching
 * `blocking` (of d2). */
#define NOTIFICATIONS_DONE(blocking)                                                               \
    "SELECT n.id FROM notifications n WHERE n.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM "      \
    "notification_deliveries d2 WHERE d2.notification_id = n.id AND " blocking ") ORDER BY "       \
    "n.created_at, n.position LIMIT ?2"

const char *const parley_sqlite_retention_sql[ST_COUNT] = {
    [ST_RETENTION_TOKENS_EXPIRED] = "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash "
                                    "FROM tokens WHERE expires_at <= ?1 ORDER BY expires_at "
                                    "LIMIT ?2)",
    [ST_RETENTION_TOKENS_IDLE] = "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash FROM "
                                 "tokens WHERE last_used_at <= ?1 ORDER BY last_used_at LIMIT ?2)",
    /* the partial index customers_never_started holds exactly the
     * anonymous customers who never started a session; the two NOT EXISTS
     * are index probes (sessions_customer, tokens_owner) */
    [ST_RETENTION_CUSTOMERS] =
        "DELETE FROM customers WHERE id IN (SELECT c.id FROM customers c WHERE c.identifier IS "
        "NULL AND c.started_session = 0 AND c.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM "
        "sessions s WHERE s.customer_id = c.id) AND NOT EXISTS (SELECT 1 FROM tokens t WHERE "
        "t.owner_kind = 'customer' AND t.owner_id = c.id) ORDER BY c.created_at LIMIT ?2)",
    [ST_RETENTION_AUDIT] = "DELETE FROM audit_log WHERE position IN (SELECT position FROM "
                           "audit_log WHERE at < ?1 ORDER BY at LIMIT ?2)",
    /* INDEXED BY: without statistics the planner prefers the UNIQUE index
     * on message_id (every unattached upload, then a sort) */
    [ST_RETENTION_UPLOADS_LIST] = "SELECT id, sha256 FROM uploads INDEXED BY uploads_unattached "
                                  "WHERE message_id IS NULL AND created_at < ?1 ORDER BY "
                                  "created_at LIMIT ?2",
    [ST_RETENTION_UPLOAD_DELETE] = "DELETE FROM uploads WHERE id = ?1 AND message_id IS NULL",
    /* notifications: the same ?2 oldest done ones three times (the first
     * two statements change no row the selection reads; after them, the
     * oldest notifications without any delivery are exactly those);
     * notifications_created (schema step 18) makes each a bounded walk */
    [ST_RETENTION_NOTIFICATION_ATTEMPTS] =
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT d.id FROM "
        "notification_deliveries d WHERE d.notification_id IN (" NOTIFICATIONS_DONE(
            "d2.state IN ('pending', 'failed')") "))",
    [ST_RETENTION_NOTIFICATION_DELIVERIES] =
        "DELETE FROM notification_deliveries WHERE notification_id IN (" NOTIFICATIONS_DONE(
            "d2.state IN ('pending', 'failed')") ")",
    [ST_RETENTION_NOTIFICATIONS] =
        "DELETE FROM notifications WHERE id IN (" NOTIFICATIONS_DONE("1") ")",
    [ST_RETENTION_PASSWORD_RESETS] = "DELETE FROM password_resets WHERE id IN (SELECT id FROM "
                                     "password_resets WHERE expires_at <= ?1 ORDER BY expires_at "
                                     "LIMIT ?2)",
};

#define RETENTION_LIMIT_MAX 100000

static parley_status retention_limit(int limit, parley_error *err) {
    if (limit < 1 || limit > RETENTION_LIMIT_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "retention: limit %d not in 1..%d",
                                limit, RETENTION_LIMIT_MAX);
    }
    return PARLEY_OK;
}

/* One bounded DELETE: ?1 the bound, ?2 the limit; adds the rows it took. */
static parley_status retention_delete(struct sqlite_repo *r, enum stmt_id id, int64_t bound,
                                      int limit, const char *op, int64_t *deleted,
                                      parley_error *err) {
    parley_status status = retention_limit(limit, err);
    if (status != PARLEY_OK) {
        return status;
    }
    binder b = bind_start(r, id);
    b_i64(&b, 1, bound);
    b_int(&b, 2, limit);
    status = exec_write(r, &b, false, op, "", err);
    if (status == PARLEY_OK) {
        *deleted += sqlite3_changes(r->db);
    }
    return status;
}

static parley_status sq_retention_purge_tokens(parley_repository *repo, parley_time_ms now,
                                               parley_time_ms idle_before, int limit,
                                               int64_t *deleted, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *deleted = 0;
    parley_status status = retention_delete(r, ST_RETENTION_TOKENS_EXPIRED, now, limit,
                                            "retention_purge_tokens", deleted, err);
    if (status == PARLEY_OK && *deleted < limit) {
        status = retention_delete(r, ST_RETENTION_TOKENS_IDLE, idle_before, limit - (int)*deleted,
                                  "retention_purge_tokens", deleted, err);
    }
    return status;
}

typedef struct expired_upload {
    char id[PARLEY_ID_SIZE];
    char sha256[PARLEY_SHA256_HEX_SIZE];
} expired_upload;

static int compare_sha256(const void *a, const void *b) {
    return strcmp(((const expired_upload *)a)->sha256, ((const expired_upload *)b)->sha256);
}

/* each_row's context: the keys read so far, at most limit. */
typedef struct expired_uploads {
    expired_upload *rows;
    size_t count;
    size_t limit;
} expired_uploads;

static bool expired_upload_row(row_reader *rd, void *ctx) {
    expired_uploads *found = ctx;
    if (found->count == found->limit) {
        return false;
    }
    expired_upload *row = &found->rows[found->count++];
    r_id(rd, 0, row->id);
    r_fixed(rd, 1, row->sha256, sizeof row->sha256);
    return true;
}

static parley_status sq_retention_purge_uploads(parley_repository *repo, parley_time_ms before,
                                                int limit, int64_t *deleted,
                                                void (*unreferenced)(void *ctx, const char *sha256),
                                                void *ctx, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *deleted = 0;
    parley_status status = retention_limit(limit, err);
    if (status != PARLEY_OK) {
        return status;
    }
    /* first the keys (the statement must be done before the deletes) */
    expired_uploads found = {calloc((size_t)limit, sizeof *found.rows), 0, (size_t)limit};
    if (found.rows == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    expired_upload *rows = found.rows;
    binder b = bind_start(r, ST_RETENTION_UPLOADS_LIST);
    b_i64(&b, 1, before);
    b_int(&b, 2, limit);
    status = each_row(r, &b, "retention_purge_uploads", expired_upload_row, &found, err);
    size_t count = found.count;
    for (size_t i = 0; i < count && status == PARLEY_OK; i++) {
        b = bind_start(r, ST_RETENTION_UPLOAD_DELETE);
        b_text(&b, 1, rows[i].id);
        status = exec_write(r, &b, false, "retention_purge_uploads", "upload", err);
        if (status == PARLEY_OK) {
            *deleted += sqlite3_changes(r->db);
        }
    }
    /* each content hash once: a file goes only when no row names it */
    if (status == PARLEY_OK && count > 0) {
        qsort(rows, count, sizeof *rows, compare_sha256);
    }
    for (size_t i = 0; i < count && status == PARLEY_OK; i++) {
        if (i > 0 && strcmp(rows[i].sha256, rows[i - 1].sha256) == 0) {
            continue;
        }
        bool in_use = true;
        status = parley_sqlite_uploads_ops.hash_in_use(repo, rows[i].sha256, &in_use, err);
        if (status == PARLEY_OK && !in_use && unreferenced != NULL) {
            unreferenced(ctx, rows[i].sha256);
        }
    }
    free(rows);
    if (status != PARLEY_OK) {
        *deleted = 0;
    }
    return status;
}

static parley_status sq_retention_purge_customers(parley_repository *repo, parley_time_ms before,
                                                  int limit, int64_t *deleted, parley_error *err) {
    *deleted = 0;
    return retention_delete(as_sqlite(repo), ST_RETENTION_CUSTOMERS, before, limit,
                            "retention_purge_customers", deleted, err);
}

static parley_status sq_retention_purge_audit(parley_repository *repo, parley_time_ms before,
                                              int limit, int64_t *deleted, parley_error *err) {
    *deleted = 0;
    return retention_delete(as_sqlite(repo), ST_RETENTION_AUDIT, before, limit,
                            "retention_purge_audit", deleted, err);
}

static parley_status sq_retention_purge_notifications(parley_repository *repo,
                                                      parley_time_ms before, int limit,
                                                      int64_t *deleted, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *deleted = 0;
    int64_t log_rows = 0;
    parley_status status = retention_delete(r, ST_RETENTION_NOTIFICATION_ATTEMPTS, before, limit,
                                            "retention_purge_notifications", &log_rows, err);
    if (status == PARLEY_OK) {
        status = retention_delete(r, ST_RETENTION_NOTIFICATION_DELIVERIES, before, limit,
                                  "retention_purge_notifications", &log_rows, err);
    }
    if (status == PARLEY_OK) {
        status = retention_delete(r, ST_RETENTION_NOTIFICATIONS, before, limit,
                                  "retention_purge_notifications", deleted, err);
    }
    if (status != PARLEY_OK) {
        *deleted = 0;
    }
    return status;
}

static parley_status sq_retention_purge_password_resets(parley_repository *repo, parley_time_ms now,
                                                        int limit, int64_t *deleted,
                                                        parley_error *err) {
    *deleted = 0;
    return retention_delete(as_sqlite(repo), ST_RETENTION_PASSWORD_RESETS, now, limit,
                            "retention_purge_password_resets", deleted, err);
}

const parley_retention_ops parley_sqlite_retention_ops = {
    .purge_tokens = sq_retention_purge_tokens,
    .purge_customers = sq_retention_purge_customers,
    .purge_audit = sq_retention_purge_audit,
    .purge_uploads = sq_retention_purge_uploads,
    .purge_notifications = sq_retention_purge_notifications,
    .purge_password_resets = sq_retention_purge_password_resets,
};

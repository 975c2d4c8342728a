/*
 * sqlite/webhooks.c - the webhooks ops table (core/store/webhooks.h) on
 * SQLite: the admins' webhooks, the attempts the webhook channel logs,
 * and a webhook's deliveries read from the outbox's tables (schema step
 * 17). The column lists are storage/columns.h's (shared with
 * postgres/webhooks.c).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

#include "core/store/webhooks.h"
#include "storage/columns.h"

const char *const parley_sqlite_webhooks_sql[ST_COUNT] = {
    [ST_WEBHOOK_INSERT] =
        "INSERT INTO webhooks (" WEBHOOK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_WEBHOOK_GET] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?1",
    [ST_WEBHOOK_UPDATE] = "UPDATE webhooks SET url = ?2, events = ?3, description = ?4, "
                          "active = ?5, updated_at = ?6 WHERE id = ?1",
    [ST_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = ?1",
    [ST_WEBHOOK_LIST] = "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY position LIMIT ?1",
    [ST_WEBHOOK_LIST_ACTIVE] =
        "SELECT " WEBHOOK_COLS " FROM webhooks WHERE active = 1 ORDER BY position LIMIT ?1",
    [ST_WEBHOOK_COUNT] = "SELECT count(*) FROM webhooks",
    [ST_WEBHOOK_ATTEMPT_INSERT] = "INSERT INTO webhook_attempts (" WEBHOOK_ATTEMPT_COLS
                                  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_WEBHOOK_ATTEMPT_LIST] = "SELECT " WEBHOOK_ATTEMPT_COLS
                                " FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY position",
    /* the notifications_recipient index finds the webhook's notifications */
    [ST_WEBHOOK_DELIVERY_LIST] =
        "SELECT " WEBHOOK_DELIVERY_COLS ", d.position FROM notification_deliveries d JOIN "
        "notifications n ON n.id = d.notification_id WHERE d.position < ?1 AND "
        "n.recipient_kind = 'system' AND n.recipient_id = ?3 ORDER BY d.position DESC LIMIT ?2",
};

/* ---- rows ------------------------------------------------------------------ */

ROW_COLUMNS(webhook, parley_webhook, WEBHOOK_COLUMNS)
ROW_LIST_TYPE(webhook_rows, parley_webhook, "webhook", read_webhook, parley_webhook_free,
              parley_webhook_list, 0);

ROW_COLUMNS(attempt, parley_webhook_attempt, WEBHOOK_ATTEMPT_COLUMNS)
ROW_LIST_TYPE(attempt_rows, parley_webhook_attempt, "webhook attempt", read_attempt,
              parley_webhook_attempt_free, parley_webhook_attempt_list, 0);

/* The outbox's delivery row as notifications.c reads it (sent_at NULL = 0). */
ROW_READER(read_webhook_delivery, parley_delivery, DELIVERY_COLUMNS)
ROW_LIST_TYPE(delivery_rows, parley_delivery, "delivery", read_webhook_delivery,
              parley_delivery_free, parley_delivery_list, DELIVERY_POSITION_COL);

/* ---- webhooks -------------------------------------------------------------- */

WRITE_ROW_OP(webhook_insert, parley_webhook, ST_WEBHOOK_INSERT, false, "webhook", bind_webhook)
GET_BY_KEY_OP(webhook_get, parley_webhook, ST_WEBHOOK_GET, webhook_rows)

static parley_status sq_webhook_update(parley_repository *repo, const parley_webhook *w,
                                       parley_error *err) {
    return write_params(as_sqlite(repo), ST_WEBHOOK_UPDATE, true, "webhook_update", "webhook",
                        PARAMS(p_id(w->id), p_text(w->url), p_text(w->events),
                               p_text(w->description), p_i64(w->active ? 1 : 0),
                               p_i64(w->updated_at)),
                        err);
}

static parley_status sq_webhook_remove(parley_repository *repo, const char *id, parley_error *err) {
    return write_params(as_sqlite(repo), ST_WEBHOOK_DELETE, true, "webhook_remove", "webhook",
                        PARAMS(p_text(id)), err);
}

static parley_status sq_webhook_list(parley_repository *repo, bool active_only,
                                     parley_webhook_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), active_only ? ST_WEBHOOK_LIST_ACTIVE : ST_WEBHOOK_LIST);
    b_int(&b, 1, PARLEY_WEBHOOKS_MAX);
    return list_rows(as_sqlite(repo), &b, "webhook_list", &webhook_rows, out, err);
}

static parley_status sq_webhook_count(parley_repository *repo, int64_t *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_WEBHOOK_COUNT);
    return get_i64(as_sqlite(repo), &b, "webhook_count", "count", out, err);
}

/* ---- attempts and deliveries ----------------------------------------------- */

WRITE_ROW_OP(webhook_attempt_insert, parley_webhook_attempt, ST_WEBHOOK_ATTEMPT_INSERT, false,
             "webhook attempt", bind_attempt)

static parley_status sq_webhook_attempt_list(parley_repository *repo, const char *delivery_id,
                                             parley_webhook_attempt_list *out, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_WEBHOOK_ATTEMPT_LIST);
    b_text(&b, 1, delivery_id);
    return list_rows(as_sqlite(repo), &b, "webhook_attempt_list", &attempt_rows, out, err);
}

LIST_PAGE_BY_KEY_OP(webhook_delivery_list, parley_delivery_list, ST_WEBHOOK_DELIVERY_LIST,
                    delivery_rows)

const parley_webhooks_ops parley_sqlite_webhooks_ops = {
    .insert = sq_webhook_insert,
    .get = sq_webhook_get,
    .update = sq_webhook_update,
    .remove = sq_webhook_remove,
    .list = sq_webhook_list,
    .count = sq_webhook_count,
    .attempt_insert = sq_webhook_attempt_insert,
    .attempt_list = sq_webhook_attempt_list,
    .delivery_list = sq_webhook_delivery_list,
};

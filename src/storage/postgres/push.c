/*
 * postgres/push.c - the web push subscriptions ops table (core/store/push.h)
 * on PostgreSQL (migration step 6); the same statements as sqlite/push.c
 * (the column list is storage/columns.h's).
 *
 * Ownership and threads are the handle's (pg_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op: its statement id in pg_internal.h (this aggregate's group),
 * its SQL in the array below, the function, its entry in the ops table.
 */
#include "storage/postgres/pg_internal.h"

#include "core/store/push.h"
#include "storage/columns.h"

#define BY_RECIPIENT "recipient_kind = $1 AND recipient_id = $2"

const char *const parley_pg_push_sql[PG_STMT_COUNT] = {
    [PG_PUSH_UPSERT] = "INSERT INTO push_subscriptions (" PUSH_SUBSCRIPTION_COLS
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint) DO UPDATE "
                       "SET recipient_kind = excluded.recipient_kind, recipient_id = "
                       "excluded.recipient_id, p256dh = excluded.p256dh, auth = excluded.auth, "
                       "created_at = excluded.created_at",
    [PG_PUSH_GET_BY_ENDPOINT] =
        "SELECT " PUSH_SUBSCRIPTION_COLS " FROM push_subscriptions WHERE endpoint = $1",
    [PG_PUSH_LIST] = "SELECT " PUSH_SUBSCRIPTION_COLS " FROM push_subscriptions WHERE " BY_RECIPIENT
                     " ORDER BY position LIMIT $3",
    [PG_PUSH_COUNT] = "SELECT count(*) FROM push_subscriptions WHERE " BY_RECIPIENT,
    [PG_PUSH_DELETE] = "DELETE FROM push_subscriptions WHERE " BY_RECIPIENT " AND endpoint = $3",
    [PG_PUSH_DELETE_ID] = "DELETE FROM push_subscriptions WHERE id = $1",
};

ROW_COLUMNS(push_subscription, parley_push_subscription, PUSH_SUBSCRIPTION_COLUMNS)
ROW_LIST_TYPE(push_rows, parley_push_subscription, "push subscription", read_push_subscription,
              parley_push_subscription_free, parley_push_subscription_list, 0);

WRITE_ROW_OP(push_upsert, parley_push_subscription, PG_PUSH_UPSERT, false, "push subscription",
             bind_push_subscription)
GET_BY_KEY_OP(push_get_by_endpoint, parley_push_subscription, PG_PUSH_GET_BY_ENDPOINT, push_rows)

static parley_status pq_push_list(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, parley_push_subscription_list *out,
                                  parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_PUSH_LIST);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    b_int(&b, 3, PARLEY_PUSH_SUBSCRIPTIONS_MAX + 1);
    return list_rows(&b, "push_list", &push_rows, out, err);
}

static parley_status pq_push_count(parley_repository *repo, parley_participant_kind kind,
                                   const char *recipient_id, int64_t *out, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_PUSH_COUNT);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    return get_i64(&b, "push_count", "count", out, err);
}

static parley_status pq_push_remove(parley_repository *repo, parley_participant_kind kind,
                                    const char *recipient_id, const char *endpoint,
                                    parley_error *err) {
    return write_params(
        as_pg(repo), PG_PUSH_DELETE, true, "push_remove", "push subscription",
        PARAMS(p_text(participant_kind_store(kind)), p_text(recipient_id), p_text(endpoint)), err);
}

static parley_status pq_push_remove_id(parley_repository *repo, const char *id, parley_error *err) {
    return write_params(as_pg(repo), PG_PUSH_DELETE_ID, true, "push_remove_id", "push subscription",
                        PARAMS(p_text(id)), err);
}

const parley_push_ops parley_pg_push_ops = {
    .upsert = pq_push_upsert,
    .get_by_endpoint = pq_push_get_by_endpoint,
    .list = pq_push_list,
    .count = pq_push_count,
    .remove = pq_push_remove,
    .remove_id = pq_push_remove_id,
};

/*
 * postgres/notifications.c - the notifications ops table
 * (core/store/notifications.h) on PostgreSQL: the outbox of notifications,
 * their deliveries per channel, and each user's preferences (schema step
 * 2); password resets by e-mail (step 3). The same statements as sqlite/notifications.c (the column
 * lists are storage/columns.h's).
 *
 * Ownership and threads are the handle's (pg_internal.h). A new op: its
 * statement id in pg_internal.h, its SQL below, the function, its entry in
 * the ops table at the end.
 */
#include "storage/postgres/pg_internal.h"

#include "storage/columns.h"

#define BY_RECIPIENT "recipient_kind = $3 AND recipient_id = $4"

const char *const parley_pg_notifications_sql[PG_STMT_COUNT] = {
    [PG_NOTIFICATION_INSERT] = "INSERT INTO notifications (" NOTIFICATION_COLS ") VALUES ($1, $2, "
                               "$3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (dedupe_key) DO "
                               "NOTHING",
    [PG_NOTIFICATION_GET] =
        "SELECT " NOTIFICATION_COLS ", position FROM notifications WHERE id = $1",
    [PG_NOTIFICATION_LIST] = "SELECT " NOTIFICATION_COLS ", position FROM notifications WHERE "
                             "position < $1 AND " BY_RECIPIENT " ORDER BY position DESC LIMIT $2",
    [PG_NOTIFICATION_LIST_UNREAD] = "SELECT " NOTIFICATION_COLS ", position FROM notifications "
                                    "WHERE position < $1 AND " BY_RECIPIENT " AND read_at IS NULL "
                                    "ORDER BY position DESC LIMIT $2",
    [PG_NOTIFICATION_UNREAD_COUNT] = "SELECT count(*) FROM notifications WHERE recipient_kind = $1 "
                                     "AND recipient_id = $2 AND read_at IS NULL",
    /* one row when the recipient has it: 1 when this call marked it */
    [PG_NOTIFICATION_MARK_READ] = "UPDATE notifications SET read_at = coalesce(read_at, $4) WHERE "
                                  "id = $1 AND recipient_kind = $2 AND recipient_id = $3 "
                                  "RETURNING (read_at = $4)::int",
    [PG_NOTIFICATION_MARK_ALL_READ] = "UPDATE notifications SET read_at = $3 WHERE recipient_kind "
                                      "= $1 AND recipient_id = $2 AND read_at IS NULL",
    [PG_DELIVERY_INSERT] = "INSERT INTO notification_deliveries (" DELIVERY_COLS ") VALUES ($1, "
                           "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT "
                           "(idempotency_key) DO NOTHING",
    [PG_DELIVERY_GET] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                        "id = $1",
    [PG_DELIVERY_DUE] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                        "state IN ('pending', 'failed') AND next_attempt_at <= $1 AND "
                        "($3::text IS NULL OR channel = $3) ORDER BY next_attempt_at, position "
                        "LIMIT $2",
    [PG_DELIVERY_UPDATE] = "UPDATE notification_deliveries SET state = $2, attempts = $3, "
                           "next_attempt_at = $4, last_error = $5, updated_at = $6, sent_at = $7 "
                           "WHERE id = $1",
    [PG_DELIVERY_LIST] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                         "position < $1 AND ($3::text IS NULL OR state = $3) AND ($4::text IS "
                         "NULL OR notification_id = $4) ORDER BY position DESC LIMIT $2",
    [PG_NOTIFY_PREFS_GET] = "SELECT prefs_json FROM notification_prefs WHERE recipient_kind = $1 "
                            "AND recipient_id = $2",
    [PG_NOTIFY_PREFS_PUT] = "INSERT INTO notification_prefs (recipient_kind, recipient_id, "
                            "prefs_json, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT "
                            "(recipient_kind, recipient_id) DO UPDATE SET prefs_json = "
                            "excluded.prefs_json, updated_at = excluded.updated_at",
    [PG_PASSWORD_RESET_INSERT] = "INSERT INTO password_resets (id, token_hash, agent_id, "
                                 "created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    [PG_PASSWORD_RESET_TAKE] = "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND "
                               "used_at IS NULL AND expires_at > $2 RETURNING agent_id",
};

/* ---- notifications ------------------------------------------------------- */

ROW_COLUMNS(notification, parley_notification, NOTIFICATION_COLUMNS)
ROW_LIST_TYPE(notification_rows, parley_notification, "notification", read_notification,
              parley_notification_free, parley_notification_list, NOTIFICATION_POSITION_COL);

static parley_status pq_notification_insert(parley_repository *repo, const parley_notification *n,
                                            bool *added, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_NOTIFICATION_INSERT);
    bind_notification(&b, n);
    return exec_write(&b, false, "notification_insert", "notification", added, err);
}

GET_BY_KEY_OP(notification_get, parley_notification, PG_NOTIFICATION_GET, notification_rows)

static parley_status pq_notification_list(parley_repository *repo, parley_participant_kind kind,
                                          const char *recipient_id, bool unread_only, int limit,
                                          const char *cursor, parley_notification_list *out,
                                          char *next_cursor_out, size_t next_cursor_size,
                                          parley_error *err) {
    pager p =
        page_open(as_pg(repo), unread_only ? PG_NOTIFICATION_LIST_UNREAD : PG_NOTIFICATION_LIST,
                  "notification_list", &notification_rows, limit, cursor, 0, out, next_cursor_out,
                  next_cursor_size);
    b_enum(&p.b, 3, participant_kind_store(kind));
    b_text(&p.b, 4, recipient_id);
    return page_fetch(&p, err);
}

static parley_status pq_notification_unread_count(parley_repository *repo,
                                                  parley_participant_kind kind,
                                                  const char *recipient_id, int64_t *out,
                                                  parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_NOTIFICATION_UNREAD_COUNT);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    return get_i64(&b, "notification_unread_count", "count", out, err);
}

static parley_status pq_notification_mark_read(parley_repository *repo, const char *id,
                                               parley_participant_kind kind,
                                               const char *recipient_id, parley_time_ms at,
                                               bool *changed, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_NOTIFICATION_MARK_READ);
    b_text(&b, 1, id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_text(&b, 3, recipient_id);
    b_i64(&b, 4, at);
    int64_t now_read = 0;
    bool found = false;
    *changed = false;
    parley_status st = find_i64(&b, "notification_mark_read", &now_read, &found, err);
    if (st == PARLEY_OK && !found) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "notification not found");
    }
    *changed = st == PARLEY_OK && now_read != 0;
    return st;
}

static parley_status pq_notification_mark_all_read(parley_repository *repo,
                                                   parley_participant_kind kind,
                                                   const char *recipient_id, parley_time_ms at,
                                                   int64_t *count, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_NOTIFICATION_MARK_ALL_READ);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    b_i64(&b, 3, at);
    *count = 0;
    parley_status st = exec_count(&b, "notification_mark_all_read", count, err);
    if (st != PARLEY_OK) {
        *count = 0;
    }
    return st;
}

/* ---- deliveries ------------------------------------------------------------ */

ROW_COLUMNS(delivery, parley_delivery, DELIVERY_COLUMNS)
ROW_LIST_TYPE(delivery_rows, parley_delivery, "delivery", read_delivery, parley_delivery_free,
              parley_delivery_list, DELIVERY_POSITION_COL);

static parley_status pq_delivery_insert(parley_repository *repo, const parley_delivery *d,
                                        bool *added, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_DELIVERY_INSERT);
    bind_delivery(&b, d);
    return exec_write(&b, false, "delivery_insert", "delivery", added, err);
}

GET_BY_KEY_OP(delivery_get, parley_delivery, PG_DELIVERY_GET, delivery_rows)

static parley_status pq_delivery_due(parley_repository *repo, parley_time_ms now,
                                     const char *channel, int limit, parley_delivery_list *out,
                                     parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_DELIVERY_DUE);
    if (limit < 1 || limit > DELIVERY_DUE_LIMIT_MAX) {
        b_invalid(&b, "limit out of range");
    }
    b_i64(&b, 1, now);
    b_int(&b, 2, limit);
    b_text(&b, 3, channel);
    return list_rows(&b, "delivery_due", &delivery_rows, out, err);
}

static parley_status pq_delivery_update(parley_repository *repo, const parley_delivery *d,
                                        parley_error *err) {
    return write_params(as_pg(repo), PG_DELIVERY_UPDATE, true, "delivery_update", "delivery",
                        PARAMS(p_id(d->id), p_enum(delivery_state_store(d->state)),
                               p_i64(d->attempts), p_i64(d->next_attempt_at), p_text(d->last_error),
                               p_i64(d->updated_at), p_opt_i64(d->sent_at)),
                        err);
}

static parley_status pq_delivery_list(parley_repository *repo, const parley_delivery_filter *filter,
                                      parley_delivery_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    pager p =
        page_open(as_pg(repo), PG_DELIVERY_LIST, "delivery_list", &delivery_rows, filter->limit,
                  filter->cursor, sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    const char *state = NULL;
    if (filter->state >= 0 &&
        (state = delivery_state_store((parley_delivery_state)filter->state)) == NULL) {
        b_invalid(&p.b, "unknown state");
    }
    b_text(&p.b, 3, state);
    b_filter(&p.b, 4, filter->notification_id, sizeof filter->notification_id);
    return page_fetch(&p, err);
}

/* ---- preferences ------------------------------------------------------------- */

static void read_prefs_text(row_reader *rd, char **out) {
    *out = r_text(rd, 0);
}

static void prefs_text_free(char **text) {
    free(*text);
}

ROW_TYPE(prefs_rows, char *, "preferences", read_prefs_text, prefs_text_free);

static parley_status pq_prefs_get(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, char **out, parley_error *err) {
    *out = NULL;
    binder b = bind_start(as_pg(repo), PG_NOTIFY_PREFS_GET);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    parley_status st = get_row(&b, "prefs_get", &prefs_rows, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        return PARLEY_OK; /* none stored: the defaults apply */
    }
    return st;
}

static parley_status pq_prefs_put(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, const char *json, parley_time_ms at,
                                  parley_error *err) {
    return write_params(
        as_pg(repo), PG_NOTIFY_PREFS_PUT, false, "prefs_put", "preferences",
        PARAMS(p_enum(participant_kind_store(kind)), p_text(recipient_id), p_text(json), p_i64(at)),
        err);
}

/* ---- password resets ---------------------------------------------------------- */

static parley_status pq_reset_insert(parley_repository *repo, const parley_password_reset *pr,
                                     parley_error *err) {
    return write_params(as_pg(repo), PG_PASSWORD_RESET_INSERT, false, "reset_insert",
                        "password reset",
                        PARAMS(p_id(pr->id), p_text(pr->token_hash), p_id(pr->agent_id),
                               p_i64(pr->created_at), p_i64(pr->expires_at)),
                        err);
}

typedef struct reset_agent {
    char id[PARLEY_ID_SIZE];
} reset_agent;

static void read_reset_agent(row_reader *rd, reset_agent *out) {
    r_fixed(rd, 0, out->id, sizeof out->id);
}

ROW_TYPE(reset_agent_rows, reset_agent, "password reset", read_reset_agent, plain_item_free);

static parley_status pq_reset_take(parley_repository *repo, const char *token_hash,
                                   parley_time_ms now, char agent_id_out[PARLEY_ID_SIZE],
                                   parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_PASSWORD_RESET_TAKE);
    b_text(&b, 1, token_hash);
    b_i64(&b, 2, now);
    reset_agent agent = {{0}};
    parley_status st = get_row(&b, "reset_take", &reset_agent_rows, &agent, err);
    memcpy(agent_id_out, agent.id, PARLEY_ID_SIZE);
    return st;
}

const parley_notifications_ops parley_pg_notifications_ops = {
    .insert = pq_notification_insert,
    .get = pq_notification_get,
    .list = pq_notification_list,
    .unread_count = pq_notification_unread_count,
    .mark_read = pq_notification_mark_read,
    .mark_all_read = pq_notification_mark_all_read,
    .delivery_insert = pq_delivery_insert,
    .delivery_get = pq_delivery_get,
    .delivery_due = pq_delivery_due,
    .delivery_update = pq_delivery_update,
    .delivery_list = pq_delivery_list,
    .prefs_get = pq_prefs_get,
    .prefs_put = pq_prefs_put,
    .reset_insert = pq_reset_insert,
    .reset_take = pq_reset_take,
};

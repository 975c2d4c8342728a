/*
 * sqlite/notifications.c - the notifications ops table
 * (core/store/notifications.h) on SQLite: the outbox of notifications,
 * their deliveries per channel, and each user's preferences (schema
 * step 14); password resets by e-mail (step 16).
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"

#include "core/store/notifications.h"
#include "storage/columns.h"

#define BY_RECIPIENT "recipient_kind = ?3 AND recipient_id = ?4"

const char *const parley_sqlite_notifications_sql[ST_COUNT] = {
    [ST_NOTIFICATION_INSERT] = "INSERT INTO notifications (" NOTIFICATION_COLS ") VALUES (?1, ?2, "
                               "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (dedupe_key) DO "
                               "NOTHING",
    [ST_NOTIFICATION_GET] =
        "SELECT " NOTIFICATION_COLS ", position FROM notifications WHERE id = ?1",
    [ST_NOTIFICATION_LIST] = "SELECT " NOTIFICATION_COLS ", position FROM notifications WHERE "
                             "position < ?1 AND " BY_RECIPIENT " ORDER BY position DESC LIMIT ?2",
    [ST_NOTIFICATION_LIST_UNREAD] = "SELECT " NOTIFICATION_COLS ", position FROM notifications "
                                    "WHERE position < ?1 AND " BY_RECIPIENT " AND read_at IS NULL "
                                    "ORDER BY position DESC LIMIT ?2",
    [ST_NOTIFICATION_UNREAD_COUNT] = "SELECT count(*) FROM notifications WHERE recipient_kind = ?1 "
                                     "AND recipient_id = ?2 AND read_at IS NULL",
    [ST_NOTIFICATION_MARK_READ] = "UPDATE notifications SET read_at = coalesce(read_at, ?4) WHERE "
                                  "id = ?1 AND recipient_kind = ?2 AND recipient_id = ?3 "
                                  "RETURNING read_at = ?4",
    [ST_NOTIFICATION_MARK_ALL_READ] = "UPDATE notifications SET read_at = ?3 WHERE recipient_kind "
                                      "= ?1 AND recipient_id = ?2 AND read_at IS NULL",
    [ST_DELIVERY_INSERT] = "INSERT INTO notification_deliveries (" DELIVERY_COLS ") VALUES (?1, "
                           "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT "
                           "(idempotency_key) DO NOTHING",
    [ST_DELIVERY_GET] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                        "id = ?1",
    [ST_DELIVERY_DUE] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                        "state IN ('pending', 'failed') AND next_attempt_at <= ?1 AND (?3 IS "
                        "NULL OR channel = ?3) ORDER BY next_attempt_at, position LIMIT ?2",
    [ST_DELIVERY_UPDATE] = "UPDATE notification_deliveries SET state = ?2, attempts = ?3, "
                           "next_attempt_at = ?4, last_error = ?5, updated_at = ?6, sent_at = ?7 "
                           "WHERE id = ?1",
    [ST_DELIVERY_LIST] = "SELECT " DELIVERY_COLS ", position FROM notification_deliveries WHERE "
                         "position < ?1 AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR "
                         "notification_id = ?4) ORDER BY position DESC LIMIT ?2",
    [ST_NOTIFY_PREFS_GET] = "SELECT prefs_json FROM notification_prefs WHERE recipient_kind = ?1 "
                            "AND recipient_id = ?2",
    [ST_NOTIFY_PREFS_PUT] = "INSERT INTO notification_prefs (recipient_kind, recipient_id, "
                            "prefs_json, updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                            "(recipient_kind, recipient_id) DO UPDATE SET prefs_json = "
                            "excluded.prefs_json, updated_at = excluded.updated_at",
    [ST_PASSWORD_RESET_INSERT] = "INSERT INTO password_resets (id, token_hash, agent_id, "
                                 "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_PASSWORD_RESET_TAKE] = "UPDATE password_resets SET used_at = ?2 WHERE token_hash = ?1 AND "
                               "used_at IS NULL AND expires_at > ?2 RETURNING agent_id",
};

/* ---- notifications ------------------------------------------------------- */

ROW_COLUMNS(notification, parley_notification, NOTIFICATION_COLUMNS)
ROW_LIST_TYPE(notification_rows, parley_notification, "notification", read_notification,
              parley_notification_free, parley_notification_list, NOTIFICATION_POSITION_COL);

static parley_status sq_notification_insert(parley_repository *repo, const parley_notification *n,
                                            bool *added, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    parley_status st = write_row(r, ST_NOTIFICATION_INSERT, false, "notification_insert",
                                 "notification", bind_notification, n, err);
    *added = st == PARLEY_OK && sqlite3_changes(r->db) > 0;
    return st;
}

GET_BY_KEY_OP(notification_get, parley_notification, ST_NOTIFICATION_GET, notification_rows)

static parley_status sq_notification_list(parley_repository *repo, parley_participant_kind kind,
                                          const char *recipient_id, bool unread_only, int limit,
                                          const char *cursor, parley_notification_list *out,
                                          char *next_cursor_out, size_t next_cursor_size,
                                          parley_error *err) {
    pager p =
        page_open(as_sqlite(repo), unread_only ? ST_NOTIFICATION_LIST_UNREAD : ST_NOTIFICATION_LIST,
                  "notification_list", &notification_rows, limit, cursor, 0, out, next_cursor_out,
                  next_cursor_size);
    b_enum(&p.b, 3, participant_kind_store(kind));
    b_text(&p.b, 4, recipient_id);
    return page_fetch(as_sqlite(repo), &p, err);
}

static parley_status sq_notification_unread_count(parley_repository *repo,
                                                  parley_participant_kind kind,
                                                  const char *recipient_id, int64_t *out,
                                                  parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_NOTIFICATION_UNREAD_COUNT);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    return get_i64(as_sqlite(repo), &b, "notification_unread_count", "count", out, err);
}

static parley_status sq_notification_mark_read(parley_repository *repo, const char *id,
                                               parley_participant_kind kind,
                                               const char *recipient_id, parley_time_ms at,
                                               bool *changed, parley_error *err) {
    binder b = bind_start(as_sqlite(repo), ST_NOTIFICATION_MARK_READ);
    b_text(&b, 1, id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_text(&b, 3, recipient_id);
    b_i64(&b, 4, at);
    int64_t now_read = 0;
    bool found = false;
    *changed = false;
    parley_status st =
        find_i64(as_sqlite(repo), &b, "notification_mark_read", &now_read, &found, err);
    if (st == PARLEY_OK && !found) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "notification not found");
    }
    *changed = st == PARLEY_OK && now_read != 0;
    return st;
}

static parley_status sq_notification_mark_all_read(parley_repository *repo,
                                                   parley_participant_kind kind,
                                                   const char *recipient_id, parley_time_ms at,
                                                   int64_t *count, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTIFICATION_MARK_ALL_READ);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    b_i64(&b, 3, at);
    parley_status st = exec_write(r, &b, false, "notification_mark_all_read", "", err);
    *count = st == PARLEY_OK ? sqlite3_changes(r->db) : 0;
    return st;
}

/* ---- deliveries ------------------------------------------------------------ */

ROW_COLUMNS(delivery, parley_delivery, DELIVERY_COLUMNS)
ROW_LIST_TYPE(delivery_rows, parley_delivery, "delivery", read_delivery, parley_delivery_free,
              parley_delivery_list, DELIVERY_POSITION_COL);

static parley_status sq_delivery_insert(parley_repository *repo, const parley_delivery *d,
                                        bool *added, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    parley_status st = write_row(r, ST_DELIVERY_INSERT, false, "delivery_insert", "delivery",
                                 bind_delivery, d, err);
    *added = st == PARLEY_OK && sqlite3_changes(r->db) > 0;
    return st;
}

GET_BY_KEY_OP(delivery_get, parley_delivery, ST_DELIVERY_GET, delivery_rows)

static parley_status sq_delivery_due(parley_repository *repo, parley_time_ms now,
                                     const char *channel, int limit, parley_delivery_list *out,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_DELIVERY_DUE);
    if (limit < 1 || limit > DELIVERY_DUE_LIMIT_MAX) {
        b_invalid(&b, "limit out of range");
    }
    b_i64(&b, 1, now);
    b_int(&b, 2, limit);
    b_text(&b, 3, channel);
    return list_rows(r, &b, "delivery_due", &delivery_rows, out, err);
}

static parley_status sq_delivery_update(parley_repository *repo, const parley_delivery *d,
                                        parley_error *err) {
    return write_params(as_sqlite(repo), ST_DELIVERY_UPDATE, true, "delivery_update", "delivery",
                        PARAMS(p_id(d->id), p_enum(delivery_state_store(d->state)),
                               p_i64(d->attempts), p_i64(d->next_attempt_at), p_text(d->last_error),
                               p_i64(d->updated_at), p_opt_i64(d->sent_at)),
                        err);
}

static parley_status sq_delivery_list(parley_repository *repo, const parley_delivery_filter *filter,
                                      parley_delivery_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    pager p =
        page_open(as_sqlite(repo), ST_DELIVERY_LIST, "delivery_list", &delivery_rows, filter->limit,
                  filter->cursor, sizeof filter->cursor, out, next_cursor_out, next_cursor_size);
    const char *state = NULL;
    if (filter->state >= 0 &&
        (state = delivery_state_store((parley_delivery_state)filter->state)) == NULL) {
        b_invalid(&p.b, "unknown state");
    }
    b_text(&p.b, 3, state);
    b_filter(&p.b, 4, filter->notification_id, sizeof filter->notification_id);
    return page_fetch(as_sqlite(repo), &p, err);
}

/* ---- preferences ------------------------------------------------------------- */

static void read_prefs_text(row_reader *rd, void *out) {
    *(char **)out = r_text(rd, 0);
}

static parley_status sq_prefs_get(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, char **out, parley_error *err) {
    *out = NULL;
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTIFY_PREFS_GET);
    b_enum(&b, 1, participant_kind_store(kind));
    b_text(&b, 2, recipient_id);
    parley_status st = get_value(r, &b, "prefs_get", "preferences", read_prefs_text, out, err);
    if (st == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        return PARLEY_OK; /* none stored: the defaults apply */
    }
    if (st != PARLEY_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static parley_status sq_prefs_put(parley_repository *repo, parley_participant_kind kind,
                                  const char *recipient_id, const char *json, parley_time_ms at,
                                  parley_error *err) {
    return write_params(
        as_sqlite(repo), ST_NOTIFY_PREFS_PUT, false, "prefs_put", "preferences",
        PARAMS(p_enum(participant_kind_store(kind)), p_text(recipient_id), p_text(json), p_i64(at)),
        err);
}

/* ---- password resets ---------------------------------------------------------- */

static parley_status sq_reset_insert(parley_repository *repo, const parley_password_reset *pr,
                                     parley_error *err) {
    return write_params(as_sqlite(repo), ST_PASSWORD_RESET_INSERT, false, "reset_insert",
                        "password reset",
                        PARAMS(p_id(pr->id), p_text(pr->token_hash), p_id(pr->agent_id),
                               p_i64(pr->created_at), p_i64(pr->expires_at)),
                        err);
}

static parley_status sq_reset_take(parley_repository *repo, const char *token_hash,
                                   parley_time_ms now, char agent_id_out[PARLEY_ID_SIZE],
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_PASSWORD_RESET_TAKE);
    b_text(&b, 1, token_hash);
    b_i64(&b, 2, now);
    agent_id_out[0] = '\0';
    parley_status st = bind_check(r, &b, "reset_take", err);
    int rc = st == PARLEY_OK ? sqlite3_step(b.st) : SQLITE_DONE;
    bool found = false;
    if (rc == SQLITE_ROW) {
        const unsigned char *agent = sqlite3_column_text(b.st, 0);
        snprintf(agent_id_out, PARLEY_ID_SIZE, "%s", agent != NULL ? (const char *)agent : "");
        found = true;
        rc = sqlite3_step(b.st);
    }
    if (rc != SQLITE_DONE) {
        st = db_fail(r->db, rc, "reset_take", err);
    }
    stmt_done(b.st);
    if (st == PARLEY_OK && !found) {
        st = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "password reset not found");
    }
    return st;
}

const parley_notifications_ops parley_sqlite_notifications_ops = {
    .insert = sq_notification_insert,
    .get = sq_notification_get,
    .list = sq_notification_list,
    .unread_count = sq_notification_unread_count,
    .mark_read = sq_notification_mark_read,
    .mark_all_read = sq_notification_mark_all_read,
    .delivery_insert = sq_delivery_insert,
    .delivery_get = sq_delivery_get,
    .delivery_due = sq_delivery_due,
    .delivery_update = sq_delivery_update,
    .delivery_list = sq_delivery_list,
    .prefs_get = sq_prefs_get,
    .prefs_put = sq_prefs_put,
    .reset_insert = sq_reset_insert,
    .reset_take = sq_reset_take,
};

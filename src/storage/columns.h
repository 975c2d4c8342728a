/*
 * storage/columns.h - the column lists both backends share (sqlite/ and
 * postgres/), so a column is added to a model's rows in one place: for a
 * model type, its columns as one X-macro list F(field, kind) in the order
 * its statements select (and its insert binds) them, and the matching SQL
 * column list where the two backends' SQL names the same columns.
 *
 * Each backend defines the kinds' codecs (col_read_<kind>, col_bind_<kind>:
 * ID, OPT_ID, TEXT, I64, INT, FIXED, the enums) in its internal header,
 * and its ROW_READER / ROW_BINDER / ROW_COLUMNS turn a list into a row
 * reader and binder. The two kinds below are written here once, on the
 * helpers both backends name alike (r_text, r_i64, b_text, b_i64): include
 * this header after the backend's internal header. Not for use outside
 * src/storage/.
 *
 * Ownership and threads: macros only.
 */
#ifndef PARLEY_STORAGE_COLUMNS_H
#define PARLEY_STORAGE_COLUMNS_H

/* JSON_LIST: a JSON array of strings; NULL is stored as "[]". */
static inline void col_read_JSON_LIST(row_reader *rd, int col, char **out) {
    *out = r_text(rd, col);
}
static inline void col_bind_JSON_LIST(binder *b, int idx, char *const *in) {
    b_text(b, idx, *in != NULL ? *in : "[]");
}

/* OPT_I64: a time that may be unset; NULL reads as 0 and 0 binds NULL. */
static inline void col_read_OPT_I64(row_reader *rd, int col, int64_t *out) {
    *out = r_i64(rd, col);
}
static inline void col_bind_OPT_I64(binder *b, int idx, const int64_t *in) {
    if (*in != 0) {
        b_i64(b, idx, *in);
    } else {
        b_text(b, idx, NULL);
    }
}

/* ---- desk ------------------------------------------------------------------ */

/* desk->agent_loads: an active agent, its presence and its active chats */
#define AGENT_LOAD_COLUMNS(F)                                                                      \
    F(id, ID), F(status, agent_status), F(last_assigned_seq, I64), F(active_chats, I64)

/* a team: its insert's four, then what the store keeps (the position, the
 * members as a sorted JSON array) */
#define TEAM_COLUMNS(F) F(id, ID), F(name, TEXT), F(topics_json, TEXT), F(created_at, I64)
#define TEAM_READ_COLUMNS(F) TEAM_COLUMNS(F), F(position, I64), F(agent_ids_json, TEXT)
#define TEAM_POSITION_COL 4

/* ---- kb ------------------------------------------------------------------------ */

/* KB_COLS: the insert's eight (the update binds them too and uses 1..5 and
 * 8), then the position; JSON_LIST is a JSON array of strings, NULL stored
 * as "[]" */
#define KB_COLUMNS(F)                                                                              \
    F(id, ID), F(question, TEXT), F(answer, TEXT), F(alternatives_json, JSON_LIST),                \
        F(tags_json, JSON_LIST), F(created_by, OPT_ID), F(created_at, I64), F(updated_at, I64)
#define KB_READ_COLUMNS(F) KB_COLUMNS(F), F(position, I64)
#define KB_POSITION_COL 8

/* ---- notifications ----------------------------------------------------------- */

/* NOTIFICATION_COLS in order, then the position; OPT_I64 reads NULL as 0
 * (unread, not sent) and binds 0 as NULL */
#define NOTIFICATION_COLS                                                                          \
    "id, recipient_kind, recipient_id, event, session_id, ticket_id, title, body, dedupe_key, "    \
    "created_at, read_at"
#define NOTIFICATION_COLUMNS(F)                                                                    \
    F(id, ID), F(recipient_kind, participant_kind), F(recipient_id, ID), F(event, FIXED),          \
        F(session_id, OPT_ID), F(ticket_id, OPT_ID), F(title, TEXT), F(body, TEXT),                \
        F(dedupe_key, TEXT), F(created_at, I64), F(read_at, OPT_I64)
#define NOTIFICATION_POSITION_COL 11

#define DELIVERY_COLS                                                                              \
    "id, notification_id, channel, state, attempts, next_attempt_at, last_error, "                 \
    "idempotency_key, created_at, updated_at, sent_at"
#define DELIVERY_COLUMNS(F)                                                                        \
    F(id, ID), F(notification_id, ID), F(channel, FIXED), F(state, delivery_state),                \
        F(attempts, INT), F(next_attempt_at, I64), F(last_error, TEXT), F(idempotency_key, TEXT),  \
        F(created_at, I64), F(updated_at, I64), F(sent_at, OPT_I64)
#define DELIVERY_POSITION_COL 11

/* delivery_due's bound (store/notifications.h: 1..1000) */
#define DELIVERY_DUE_LIMIT_MAX 1000

/* ---- webhooks ------------------------------------------------------------------ */

/* WEBHOOK_COLS in order (the insert binds all eight; no position read) */
#define WEBHOOK_COLS "id, url, events, secret, description, active, created_at, updated_at"
#define WEBHOOK_COLUMNS(F)                                                                         \
    F(id, ID), F(url, TEXT), F(events, TEXT), F(secret, TEXT), F(description, TEXT),               \
        F(active, BOOL), F(created_at, I64), F(updated_at, I64)

#define WEBHOOK_ATTEMPT_COLS "delivery_id, webhook_id, attempt, status_code, error, duration_ms, at"
#define WEBHOOK_ATTEMPT_COLUMNS(F)                                                                 \
    F(delivery_id, ID), F(webhook_id, ID), F(attempt, INT), F(status_code, INT), F(error, TEXT),   \
        F(duration_ms, I64), F(at, I64)

/* a webhook's deliveries: DELIVERY_COLS of the join's alias d (read with
 * DELIVERY_COLUMNS), then d.position */
#define WEBHOOK_DELIVERY_COLS                                                                      \
    "d.id, d.notification_id, d.channel, d.state, d.attempts, d.next_attempt_at, d.last_error, "   \
    "d.idempotency_key, d.created_at, d.updated_at, d.sent_at"

/* ---- web push subscriptions ----------------------------------------------------- */

#define PUSH_SUBSCRIPTION_COLS                                                                     \
    "id, recipient_kind, recipient_id, endpoint, p256dh, auth, created_at"
#define PUSH_SUBSCRIPTION_COLUMNS(F)                                                               \
    F(id, ID), F(recipient_kind, participant_kind), F(recipient_id, ID), F(endpoint, TEXT),        \
        F(p256dh, TEXT), F(auth, TEXT), F(created_at, I64)

/* ---- contacts ------------------------------------------------------------------ */

/* a contact: the customers row (c) with what staff added, then its
 * sessions' count and newest creation; each backend appends its position
 * column (SQLite: the rowid; PostgreSQL: position) */
#define CONTACT_COLS                                                                               \
    "c.id, c.name, c.email, c.identifier, c.language, c.verified, c.created_at, "                  \
    "c.attributes_json, c.updated_at, (SELECT count(*) FROM sessions s WHERE s.customer_id = "     \
    "c.id), coalesce((SELECT max(s.created_at) FROM sessions s WHERE s.customer_id = c.id), 0)"
#define CONTACT_COLUMNS(F)                                                                         \
    F(id, ID), F(name, TEXT), F(email, TEXT), F(identifier, TEXT), F(language, TEXT),              \
        F(verified, BOOL), F(created_at, I64), F(attributes_json, TEXT), F(updated_at, I64),       \
        F(sessions, I64), F(last_seen_at, I64), F(position, I64)
#define CONTACT_POSITION_COL 11

#endif

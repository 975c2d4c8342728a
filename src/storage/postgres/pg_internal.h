/*
 * pg_internal.h - what the PostgreSQL backend's files share: the statement
 * ids, the handle, the SQLSTATE mapping, the parameter binder, the row
 * reader, the column lists and the generic ops (one row by key, every row
 * into a list, a page with its cursor, one integer, a write of listed
 * parameters) with the macros that define the commonest ops whole. The
 * shape is sqlite/sqlite_internal.h + rows.h's, on libpq: an aggregate file
 * of one backend reads like the other's.
 * Not for use outside src/storage/postgres/ (postgres_repository.h is the
 * backend's public side).
 *
 * Ownership: a handle (struct pg_repo) owns one PGconn; every statement of
 * every aggregate is prepared on it at open (named "s<id>") and again
 * after a reconnect. Parameters are sent as text and point at the caller's
 * strings only for the duration of the call (ids that fill their whole
 * array are copied, the binder frees the copies). Results are read as text
 * and cleared before each op returns. Outputs are caller-owned heap data,
 * zeroed on every error path.
 *
 * Threads: a handle is used by one thread at a time.
 *
 * Layout: connection.c (open, reconnect, transactions, migrations), schema.c
 * (the migration steps, the message_store function), and one file per
 * aggregate of core/store/. Each aggregate file holds the SQL of its
 * statements in a sparse array indexed by the ids below.
 *
 * The helpers are static inline so the files share them without
 * exporting unprefixed names. Long (~600 lines) for the same reason as
 * sqlite_internal.h: the generic ops and the column codecs are one unit.
 */
#ifndef PARLEY_PG_INTERNAL_H
#define PARLEY_PG_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/repository.h"
#include "storage/postgres/postgres_repository.h"

#define PG_DEFAULT_LOCK_TIMEOUT_MS 5000
#define PG_LIST_LIMIT_MAX 200
#define PG_MESSAGE_LIMIT_MAX 1000
#define PG_MAX_PARAMS 16

#define PG_CUSTOMER_COLS "id, name, email, identifier, language, verified, created_at"
#define PG_AGENT_COLS "id, name, email, language, role, status, active, created_at"
#define PG_AGENT_READ_COLS PG_AGENT_COLS ", status_since"
#define PG_BOT_COLS "id, name, active, created_at"
#define PG_TOKEN_COLS "token_hash, owner_kind, owner_id, created_at, last_used_at, expires_at"
/* a session's labels as a sorted JSON array without spaces (as SQLite's
 * json_group_array writes it), NULL when it has none */
#define PG_SESSION_LABELS_COL                                                                      \
    "(SELECT '[' || string_agg(to_json(l.label)::text, ',' ORDER BY l.label) || ']' "              \
    "FROM session_labels l WHERE l.session_id = sessions.id)"
#define PG_SESSION_COLS                                                                            \
    "id, customer_id, agent_id, topic, strategies_json, status, last_seq, created_at, "            \
    "updated_at, position, bot_id, team_id, queued_at, assigned_at, " PG_SESSION_LABELS_COL        \
    ", closed_at, first_response_at"
#define PG_TICKET_COLS                                                                             \
    "id, session_id, agent_id, issue_description, status, created_at, updated_at, customer_id, "   \
    "subject, priority, position"
#define PG_FEEDBACK_COLS "id, session_id, customer_id, rating, comment, created_at"
#define PG_NOTE_COLS "id, ticket_id, author_id, body, created_at, position"
#define PG_AUDIT_COLS "position, at, actor_kind, actor_id, action, target_id, ip, detail_json"
#define PG_UPLOAD_COLS                                                                             \
    "id, sha256, size, mime, name, uploader_kind, uploader_id, created_at, message_id, session_id"
#define PG_MESSAGE_COLS                                                                            \
    "id, session_id, seq, sender_kind, sender_id, type, content, client_msg_id, meta_json, "       \
    "created_at, original_content"

enum pg_stmt_id {
    /* accounts */
    PG_CUSTOMER_INSERT,
    PG_CUSTOMER_GET,
    PG_CUSTOMER_BY_IDENTIFIER,
    PG_AGENT_INSERT,
    PG_AGENT_GET,
    PG_AGENT_BY_EMAIL,
    PG_AGENT_LIST,
    PG_AGENT_COUNT,
    PG_AGENT_UPDATE,
    PG_AGENT_COUNT_ADMINS,
    PG_AGENT_SET_PASSWORD,
    PG_BOT_INSERT,
    PG_BOT_GET,
    PG_BOT_LIST,
    PG_BOT_UPDATE,
    PG_TOKEN_INSERT,
    PG_TOKEN_GET,
    PG_TOKEN_TOUCH,
    PG_TOKEN_DELETE,
    PG_TOKEN_DELETE_OWNER,
    /* sessions */
    PG_SESSION_INSERT,
    PG_SESSION_GET,
    PG_SESSION_UPDATE,
    PG_SESSION_LIST,
    PG_SESSION_FIRST_RESPONSE,
    PG_SESSION_LIST_IDLE,
    PG_SESSION_SET_STRATEGIES,
    PG_SESSION_LIST_BY_IDS,
    /* messages */
    PG_MESSAGE_STORE,
    PG_MESSAGE_INSERT,
    PG_MESSAGE_BY_CLIENT_ID,
    PG_MESSAGE_LIST_ASC,
    PG_MESSAGE_LIST_DESC,
    PG_MESSAGE_GET,
    /* tickets */
    PG_TICKET_INSERT,
    PG_TICKET_GET,
    PG_TICKET_UPDATE,
    PG_TICKET_LIST,
    PG_FEEDBACK_INSERT,
    PG_FEEDBACK_BY_SESSION,
    PG_TICKET_NOTE_INSERT,
    PG_TICKET_NOTE_LIST,
    PG_FEEDBACK_LIST,
    /* search */
    PG_MESSAGE_SEARCH,
    PG_SEARCH_CATCH_UP,
    /* retention */
    PG_RETENTION_TOKENS_EXPIRED,
    PG_RETENTION_TOKENS_IDLE,
    PG_RETENTION_CUSTOMERS,
    PG_RETENTION_AUDIT,
    PG_RETENTION_UPLOADS,
    PG_RETENTION_NOTIFICATION_ATTEMPTS,
    PG_RETENTION_NOTIFICATION_DELIVERIES,
    PG_RETENTION_NOTIFICATIONS,
    PG_RETENTION_PASSWORD_RESETS,
    /* audit */
    PG_AUDIT_INSERT,
    PG_AUDIT_LIST,
    /* uploads */
    PG_UPLOAD_INSERT,
    PG_UPLOAD_GET,
    PG_UPLOAD_ATTACH,
    PG_UPLOAD_HASH_IN_USE,
    /* settings */
    PG_SETTING_GET,
    PG_SETTING_PUT,
    /* tools */
    PG_CANNED_INSERT,
    PG_CANNED_GET,
    PG_CANNED_UPDATE,
    PG_CANNED_DELETE,
    PG_CANNED_LIST,
    PG_NOTE_INSERT,
    PG_NOTE_LIST,
    PG_READ_MARK,
    PG_READ_LIST,
    PG_LABEL_INSERT,
    PG_LABEL_GET,
    PG_LABEL_DELETE,
    PG_LABEL_SET_COLOR,
    PG_LABEL_LIST,
    PG_SESSION_LABEL_ADD,
    PG_SESSION_LABEL_REMOVE,
    PG_UNREAD_COUNT,
    /* strategy_stores */
    PG_FLAGGED_INSERT,
    PG_FLAGGED_GET,
    PG_FLAGGED_LIST,
    PG_FLAGGED_REVIEW,
    PG_MESSAGE_LABEL_GET,
    PG_MESSAGE_LABEL_SET,
    PG_SPAM_TOKEN_ADD,
    PG_SPAM_TOKEN_PRUNE,
    PG_SPAM_TOTALS_ADD,
    PG_SPAM_TOKENS_ALL,
    PG_SPAM_TOTALS_GET,
    PG_ALLOWLIST_ADD,
    PG_ALLOWLIST_REMOVE,
    PG_ALLOWLIST_ALL,
    /* desk */
    PG_AGENT_SET_PRESENCE,
    PG_AGENT_NOTE_ASSIGNED,
    PG_AGENT_LOADS,
    PG_SESSION_SET_ROUTING,
    PG_QUEUE_LIST,
    PG_REQUEUE_CANDIDATES,
    PG_QUEUE_AVERAGE_WAIT,
    PG_QUEUE_RANK,
    PG_TEAM_INSERT,
    PG_TEAM_GET,
    PG_TEAM_UPDATE,
    PG_TEAM_CLEAR_SESSIONS,
    PG_TEAM_CLEAR_MEMBERS,
    PG_TEAM_DELETE,
    PG_TEAM_LIST,
    PG_TEAM_BY_TOPIC,
    PG_TEAM_MEMBER_ADD,
    PG_TEAM_MEMBER_REMOVE,
    PG_TEAM_HAS_MEMBER,
    PG_SESSION_SET_QUEUE_POSITION,
    /* kb */
    PG_KB_INSERT,
    PG_KB_GET,
    PG_KB_UPDATE,
    PG_KB_DELETE,
    PG_KB_LIST,
    PG_KB_ALL,
    PG_BOT_FAILURES_ADD,
    /* reports */
    PG_REPORT_FIRST_RESPONSE,
    PG_REPORT_RESOLUTION,
    PG_REPORT_AGENTS,
    PG_REPORT_RATINGS,
    PG_REPORT_SESSIONS,
    /* notifications */
    PG_NOTIFICATION_INSERT,
    PG_NOTIFICATION_GET,
    PG_NOTIFICATION_LIST,
    PG_NOTIFICATION_LIST_UNREAD,
    PG_NOTIFICATION_UNREAD_COUNT,
    PG_NOTIFICATION_MARK_READ,
    PG_NOTIFICATION_MARK_ALL_READ,
    PG_DELIVERY_INSERT,
    PG_DELIVERY_GET,
    PG_DELIVERY_DUE,
    PG_DELIVERY_UPDATE,
    PG_DELIVERY_LIST,
    PG_NOTIFY_PREFS_GET,
    PG_NOTIFY_PREFS_PUT,
    PG_PASSWORD_RESET_INSERT,
    PG_PASSWORD_RESET_TAKE,
    /* webhooks */
    PG_WEBHOOK_INSERT,
    PG_WEBHOOK_GET,
    PG_WEBHOOK_UPDATE,
    PG_WEBHOOK_DELETE,
    PG_WEBHOOK_LIST,
    PG_WEBHOOK_LIST_ACTIVE,
    PG_WEBHOOK_COUNT,
    PG_WEBHOOK_ATTEMPT_INSERT,
    PG_WEBHOOK_ATTEMPT_LIST,
    PG_WEBHOOK_DELIVERY_LIST,
    /* web push subscriptions */
    PG_PUSH_UPSERT,
    PG_PUSH_GET_BY_ENDPOINT,
    PG_PUSH_LIST,
    PG_PUSH_COUNT,
    PG_PUSH_DELETE,
    PG_PUSH_DELETE_ID,
    /* contacts */
    PG_CONTACT_GET,
    PG_CONTACT_LIST,
    PG_CONTACT_UPDATE,
    PG_CONTACT_BY_EMAIL,
    PG_STMT_COUNT
};

/* Each aggregate file's SQL by statement id; an id has SQL in exactly one. */
extern const char *const parley_pg_accounts_sql[PG_STMT_COUNT];
extern const char *const parley_pg_sessions_sql[PG_STMT_COUNT];
extern const char *const parley_pg_messages_sql[PG_STMT_COUNT];
extern const char *const parley_pg_tickets_sql[PG_STMT_COUNT];
extern const char *const parley_pg_search_sql[PG_STMT_COUNT];
extern const char *const parley_pg_retention_sql[PG_STMT_COUNT];
extern const char *const parley_pg_audit_sql[PG_STMT_COUNT];
extern const char *const parley_pg_uploads_sql[PG_STMT_COUNT];
extern const char *const parley_pg_settings_sql[PG_STMT_COUNT];
extern const char *const parley_pg_tools_sql[PG_STMT_COUNT];
extern const char *const parley_pg_strategy_stores_sql[PG_STMT_COUNT];
extern const char *const parley_pg_desk_sql[PG_STMT_COUNT];
extern const char *const parley_pg_kb_sql[PG_STMT_COUNT];
extern const char *const parley_pg_reports_sql[PG_STMT_COUNT];
extern const char *const parley_pg_notifications_sql[PG_STMT_COUNT];
extern const char *const parley_pg_webhooks_sql[PG_STMT_COUNT];
extern const char *const parley_pg_push_sql[PG_STMT_COUNT];
extern const char *const parley_pg_contacts_sql[PG_STMT_COUNT];

extern const parley_accounts_ops parley_pg_accounts_ops;
extern const parley_sessions_ops parley_pg_sessions_ops;
extern const parley_messages_ops parley_pg_messages_ops;
extern const parley_tickets_ops parley_pg_tickets_ops;
extern const parley_search_ops parley_pg_search_ops;
extern const parley_retention_ops parley_pg_retention_ops;
extern const parley_audit_ops parley_pg_audit_ops;
extern const parley_uploads_ops parley_pg_uploads_ops;
extern const parley_settings_ops parley_pg_settings_ops;
extern const parley_tools_ops parley_pg_tools_ops;
extern const parley_strategy_stores_ops parley_pg_strategy_stores_ops;
extern const parley_desk_ops parley_pg_desk_ops;
extern const parley_kb_ops parley_pg_kb_ops;
extern const parley_reports_ops parley_pg_reports_ops;
extern const parley_notifications_ops parley_pg_notifications_ops;
extern const parley_webhooks_ops parley_pg_webhooks_ops;
extern const parley_push_ops parley_pg_push_ops;
extern const parley_contacts_ops parley_pg_contacts_ops;

struct pg_repo {
    parley_repository base; /* first, so the handle converts both ways */
    PGconn *conn;
    bool durable;
    int lock_timeout_ms;
    char sqlstate[6]; /* of the last statement that failed since begin or savepoint ("": none) */
    /* this connection holds the leadership lock (ops->leadership_try);
     * false again after a reconnect, which lost it */
    bool leader;
    /* between a begin and its commit or rollback: a connection lost then
     * loses the transaction, and nothing may reconnect under it */
    bool in_xact;
};

static inline struct pg_repo *as_pg(parley_repository *repo) {
    return (struct pg_repo *)repo;
}

/* ---- errors ------------------------------------------------------------ */

/* The one place SQLSTATEs become parley statuses (connection.c):
 *   23505 unique_violation            -> PARLEY_E_CONFLICT
 *   40001 serialization_failure,
 *   40P01 deadlock_detected,
 *   55P03 lock_not_available (lock_timeout),
 *   57014 query_canceled,
 *   57P01..57P03 admin/crash shutdown, cannot connect now,
 *   53300 too_many_connections,
 *   08xxx connection exceptions, and a connection that is gone
 *                                     -> PARLEY_E_UNAVAILABLE
 *   53100 disk_full                   -> PARLEY_E_STORAGE, code storage_full
 *   53200 out_of_memory               -> PARLEY_E_NOMEM
 *   anything else                     -> PARLEY_E_STORAGE
 * The text is the server's primary message only (never DETAIL, which
 * repeats key values), marked internal: it is for the log, never a client.
 * res NULL: libpq's own error on conn. */
parley_status parley_pg_fail(PGconn *conn, const PGresult *res, const char *op, parley_error *err);

/* Whether a status mapped from sqlstate is worth one retry of the whole
 * transaction (40001, 40P01): the caller's group commit retries once. */
bool parley_pg_sqlstate_retryable(const char *sqlstate);

/* ---- binding ----------------------------------------------------------- */

/* Collects a statement's parameters (text format) so an op can bind every
 * one and check once; the first refusal wins (an enum out of range, an
 * empty required id). */
typedef struct binder {
    struct pg_repo *r;
    enum pg_stmt_id id;
    int count;
    const char *values[PG_MAX_PARAMS];
    char numbers[PG_MAX_PARAMS][24]; /* a number's text; values[i] is NULL for it */
    bool is_number[PG_MAX_PARAMS];   /* (the binder is copied by value: no pointer into it) */
    char *owned[PG_MAX_PARAMS];
    const char *invalid;
} binder;

static inline binder bind_start(struct pg_repo *r, enum pg_stmt_id id) {
    binder b;
    memset(&b, 0, sizeof b);
    b.r = r;
    b.id = id;
    return b;
}

static inline void b_invalid(binder *b, const char *why) {
    if (b->invalid == NULL) {
        b->invalid = why;
    }
}

static inline bool b_slot(binder *b, int idx) {
    if (idx < 1 || idx > PG_MAX_PARAMS) {
        b_invalid(b, "too many parameters");
        return false;
    }
    if (idx > b->count) {
        b->count = idx;
    }
    return true;
}

/* NULL binds NULL: the nullable model fields round-trip exactly. */
static inline void b_text(binder *b, int idx, const char *s) {
    if (b_slot(b, idx)) {
        b->values[idx - 1] = s;
        b->is_number[idx - 1] = false;
    }
}

/* A string in a fixed array of size bytes: copied when it fills it. */
static inline void b_fixed(binder *b, int idx, const char *s, size_t size) {
    size_t len = strnlen(s, size);
    if (len < size) {
        b_text(b, idx, s);
        return;
    }
    if (!b_slot(b, idx)) {
        return;
    }
    char *copy = strndup(s, len);
    if (copy == NULL) {
        b_invalid(b, "out of memory");
        return;
    }
    free(b->owned[idx - 1]);
    b->owned[idx - 1] = copy;
    b->values[idx - 1] = copy;
}

static inline void b_id(binder *b, int idx, const char *id) {
    if (strnlen(id, PARLEY_ID_SIZE) == 0) {
        b_invalid(b, "a required id is empty");
    }
    b_fixed(b, idx, id, PARLEY_ID_SIZE);
}

/* A message's sender id as the message has it, "" included (no NULL: the
 * client_msg_id uniqueness would never match). */
static inline void b_sender_id(binder *b, int idx, const char *id) {
    b_fixed(b, idx, id, PARLEY_ID_SIZE);
}

/* "" binds NULL (an optional id, so foreign keys hold; an absent filter). */
static inline void b_opt_id(binder *b, int idx, const char *id) {
    if (strnlen(id, PARLEY_ID_SIZE) == 0) {
        b_text(b, idx, NULL);
        return;
    }
    b_fixed(b, idx, id, PARLEY_ID_SIZE);
}

/* A filter in a fixed array: "" binds NULL, which the "$N IS NULL OR"
 * terms read as no filter. */
static inline void b_filter(binder *b, int idx, const char *value, size_t size) {
    if (strnlen(value, size) == 0) {
        b_text(b, idx, NULL);
        return;
    }
    b_fixed(b, idx, value, size);
}

static inline void b_enum(binder *b, int idx, const char *name) {
    if (name == NULL) {
        b_invalid(b, "an enum value is out of range");
        return;
    }
    b_text(b, idx, name);
}

static inline void b_i64(binder *b, int idx, int64_t v) {
    if (b_slot(b, idx)) {
        snprintf(b->numbers[idx - 1], sizeof b->numbers[idx - 1], "%" PRId64, v);
        b->values[idx - 1] = NULL;
        b->is_number[idx - 1] = true;
    }
}

static inline void b_int(binder *b, int idx, int v) {
    b_i64(b, idx, v);
}

static inline void b_bool(binder *b, int idx, bool v) {
    b_text(b, idx, v ? "t" : "f");
}

static inline void binder_free(binder *b) {
    for (int i = 0; i < PG_MAX_PARAMS; i++) {
        free(b->owned[i]);
        b->owned[i] = NULL;
    }
}

/* Runs the bound statement (connection.c): the result on success
 * (PGRES_COMMAND_OK or PGRES_TUPLES_OK; the caller PQclear()s it), NULL
 * with *status and err set otherwise. Frees the binder's copies. */
PGresult *parley_pg_run(binder *b, const char *op, parley_status *status, parley_error *err);

/* Runs sql (no parameters, no rows; several statements allowed) as a
 * simple query on the handle's connection (connection.c). */
parley_status parley_pg_exec(struct pg_repo *r, const char *sql, const char *op, parley_error *err);

/* ---- reading rows ------------------------------------------------------ */

typedef struct row_reader {
    const PGresult *res;
    int row;
    parley_status status;
    int bad_column;
} row_reader;

static inline row_reader reader_start(const PGresult *res, int row) {
    row_reader rd = {res, row, PARLEY_OK, -1};
    return rd;
}

static inline void r_bad(row_reader *rd, int col) {
    if (rd->status == PARLEY_OK) {
        rd->status = PARLEY_E_STORAGE;
        rd->bad_column = col;
    }
}

static inline void r_nomem(row_reader *rd) {
    if (rd->status == PARLEY_OK) {
        rd->status = PARLEY_E_NOMEM;
    }
}

static inline bool r_null(const row_reader *rd, int col) {
    return PQgetisnull(rd->res, rd->row, col) != 0;
}

static inline const char *r_raw(const row_reader *rd, int col) {
    return PQgetvalue(rd->res, rd->row, col);
}

static inline char *r_text(row_reader *rd, int col) {
    if (r_null(rd, col)) {
        return NULL;
    }
    char *copy = strdup(r_raw(rd, col));
    if (copy == NULL) {
        r_nomem(rd);
    }
    return copy;
}

/* NULL reads as "" (an absent optional id). */
static inline void r_fixed(row_reader *rd, int col, char *out, size_t size) {
    out[0] = '\0';
    if (r_null(rd, col)) {
        return;
    }
    size_t len = (size_t)PQgetlength(rd->res, rd->row, col);
    if (len >= size) {
        r_bad(rd, col);
        return;
    }
    memcpy(out, r_raw(rd, col), len);
    out[len] = '\0';
}

/* NULL reads as 0 (a time that is not set). */
static inline int64_t r_i64(row_reader *rd, int col) {
    if (r_null(rd, col)) {
        return 0;
    }
    const char *text = r_raw(rd, col);
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0') {
        r_bad(rd, col);
        return 0;
    }
    return (int64_t)v;
}

static inline bool r_bool(row_reader *rd, int col) {
    const char *text = r_raw(rd, col);
    if (text[0] != 't' && text[0] != 'f') {
        r_bad(rd, col);
    }
    return text[0] == 't';
}

static inline parley_status reader_finish(const row_reader *rd, const char *op, parley_error *err) {
    switch (rd->status) {
    case PARLEY_OK:
        return PARLEY_OK;
    case PARLEY_E_NOMEM:
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
    default:
        return parley_error_set(err, rd->status, NULL,
                                "%s: column %s holds a value this build cannot read", op,
                                PQfname(rd->res, rd->bad_column));
    }
}

/* Enums are stored by wire name, as SQLite stores them. */
#define PG_ENUM_CODEC(prefix, type)                                                                \
    static inline const char *prefix##_store(type value) {                                         \
        const char *name = parley_##prefix##_name(value);                                          \
        type back;                                                                                 \
        return parley_##prefix##_from_name(name, &back) && back == value ? name : NULL;            \
    }                                                                                              \
    static inline void col_read_##prefix(row_reader *rd, int col, type *out) {                     \
        *out = (type)0;                                                                            \
        if (r_null(rd, col) || !parley_##prefix##_from_name(r_raw(rd, col), out)) {                \
            r_bad(rd, col);                                                                        \
        }                                                                                          \
    }                                                                                              \
    static inline void col_bind_##prefix(binder *b, int idx, const type *in) {                     \
        b_enum(b, idx, prefix##_store(*in));                                                       \
    }

PG_ENUM_CODEC(participant_kind, parley_participant_kind)
PG_ENUM_CODEC(agent_role, parley_agent_role)
PG_ENUM_CODEC(agent_status, parley_agent_status)
PG_ENUM_CODEC(session_status, parley_session_status)
PG_ENUM_CODEC(message_type, parley_message_type)
PG_ENUM_CODEC(ticket_status, parley_ticket_status)
PG_ENUM_CODEC(ticket_priority, parley_ticket_priority)
PG_ENUM_CODEC(delivery_state, parley_delivery_state)

/* ---- columns ----------------------------------------------------------- */

/* A model type's columns as one X-macro list, F(field, kind) per column in
 * the order of its *_COLS (see sqlite_internal.h, columns): ROW_READER and
 * ROW_BINDER make its reader (column 0, 1, ...) and binder ($1, $2, ...). */
#define PG_READ_COLUMN(field, kind) col_read_##kind(rd, col++, &item->field)
#define PG_BIND_COLUMN(field, kind) col_bind_##kind(b, col++, &item->field)
#define ROW_READER(name, item_t, COLUMNS)                                                          \
    static inline void name(row_reader *rd, item_t *item) {                                        \
        int col = 0;                                                                               \
        COLUMNS(PG_READ_COLUMN);                                                                   \
    }
#define ROW_BINDER(name, item_t, COLUMNS)                                                          \
    static inline void name(binder *b, const void *bound) {                                        \
        const item_t *item = bound;                                                                \
        int col = 1;                                                                               \
        COLUMNS(PG_BIND_COLUMN);                                                                   \
    }
#define ROW_COLUMNS(name, item_t, COLUMNS)                                                         \
    ROW_READER(read_##name, item_t, COLUMNS)                                                       \
    ROW_BINDER(bind_##name, item_t, COLUMNS)

static inline void col_read_ID(row_reader *rd, int col, char (*out)[PARLEY_ID_SIZE]) {
    r_fixed(rd, col, *out, PARLEY_ID_SIZE);
}
static inline void col_bind_ID(binder *b, int idx, const char (*in)[PARLEY_ID_SIZE]) {
    b_id(b, idx, *in);
}
static inline void col_read_OPT_ID(row_reader *rd, int col, char (*out)[PARLEY_ID_SIZE]) {
    r_fixed(rd, col, *out, PARLEY_ID_SIZE);
}
static inline void col_bind_OPT_ID(binder *b, int idx, const char (*in)[PARLEY_ID_SIZE]) {
    b_opt_id(b, idx, *in);
}
static inline void col_read_TEXT(row_reader *rd, int col, char **out) {
    *out = r_text(rd, col);
}
static inline void col_bind_TEXT(binder *b, int idx, char *const *in) {
    b_text(b, idx, *in);
}
static inline void col_read_I64(row_reader *rd, int col, int64_t *out) {
    *out = r_i64(rd, col);
}
static inline void col_bind_I64(binder *b, int idx, const int64_t *in) {
    b_i64(b, idx, *in);
}
static inline void col_read_INT(row_reader *rd, int col, int *out) {
    int64_t v = r_i64(rd, col);
    if (v < INT32_MIN || v > INT32_MAX) {
        r_bad(rd, col);
    }
    *out = (int)v;
}
static inline void col_bind_INT(binder *b, int idx, const int *in) {
    b_int(b, idx, *in);
}
static inline void col_read_BOOL(row_reader *rd, int col, bool *out) {
    *out = r_bool(rd, col);
}
static inline void col_bind_BOOL(binder *b, int idx, const bool *in) {
    b_bool(b, idx, *in);
}
/* FIXED is a char array of its own size (a hash, a MIME type). */
#define col_read_FIXED(rd, col, out) r_fixed(rd, col, *(out), sizeof *(out))
#define col_bind_FIXED(b, idx, in) b_fixed(b, idx, *(in), sizeof *(in))
#define col_read_SKIP(rd, col, out) ((void)(col))

#define PG_SESSION_COLUMNS(F)                                                                      \
    F(id, ID), F(customer_id, OPT_ID), F(agent_id, OPT_ID), F(topic, TEXT),                        \
        F(strategies_json, TEXT), F(status, session_status), F(last_seq, I64), F(created_at, I64), \
        F(updated_at, I64), F(position, SKIP), F(bot_id, OPT_ID), F(team_id, OPT_ID),              \
        F(queued_at, I64), F(assigned_at, I64), F(labels_json, TEXT), F(closed_at, I64),           \
        F(first_response_at, I64)
#define PG_SESSION_POSITION_COL 9
ROW_READER(read_session, parley_session, PG_SESSION_COLUMNS)

#define PG_MESSAGE_COLUMNS(F)                                                                      \
    F(id, ID), F(session_id, ID), F(seq, I64), F(sender_kind, participant_kind),                   \
        F(sender_id, OPT_ID), F(type, message_type), F(content, TEXT), F(client_msg_id, TEXT),     \
        F(meta_json, TEXT), F(created_at, I64), F(original_content, TEXT)
ROW_READER(read_message, parley_message, PG_MESSAGE_COLUMNS)

#include "storage/postgres/pg_rows.h"

#endif

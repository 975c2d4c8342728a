/*
 * sqlite_internal.h - what the SQLite backend's files share: the statement
 * ids, the handle, the column lists, and the bind / read / paging helpers
 * (with rows.h, the generic ops).
 * Not for use outside src/storage/sqlite/ (storage/sqlite/sqlite_repository.h
 * is the backend's public side).
 *
 * Ownership: a handle (struct sqlite_repo) owns one sqlite3 connection and
 * every prepared statement (connection.c opens and closes it). Statements
 * are prepared once at open and reset (with bindings cleared) before each op
 * returns, so text is bound SQLITE_STATIC: the caller's strings only have to
 * live for the duration of the call. Outputs are caller-owned heap data,
 * zeroed on every error path.
 *
 * Threads: a handle is used by one thread at a time (SQLITE_OPEN_NOMUTEX).
 *
 * Layout: connection.c (open, pragmas, transactions, migrations), schema.c
 * (the migration steps), and one file per aggregate of core/store/. Each
 * aggregate file holds the SQL of its statements in a sparse array indexed
 * by the ids below (its group of the enum) and exports its ops table.
 *
 * The helpers are static inline so the per-aggregate files share them
 * without exporting unprefixed names from the library. Here: the error
 * mapping, the binder and the row reader (the single-file backend's code),
 * the column lists (one X-macro list per model type makes both its row
 * reader and its insert's binder: ROW_READER, ROW_BINDER) and the cursor
 * helpers. rows.h, included at the end, holds the generic ops built on
 * them: one row by key, every row into a list or a callback, a page with
 * its cursor, a write of listed parameters, and the macros that define
 * the commonest ops whole. This header is long (~800 lines) for that
 * reason.
 */
#ifndef PARLEY_SQLITE_INTERNAL_H
#define PARLEY_SQLITE_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/repository.h"
#include "storage/sqlite/sqlite_repository.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define LIST_LIMIT_MAX 200
/* A message page is bounded so one request cannot pull a whole history
 * into memory; callers page with after_seq/before_seq. */
#define MESSAGE_LIMIT_MAX 1000
/* Savepoint names cannot be bound; one fixed name suffices because units
 * never nest (rollback_to pops the unit, see there). */
#define UNIT_SAVEPOINT "parley_unit"

#define CUSTOMER_COLS "id, name, email, identifier, language, verified, created_at"
#define AGENT_COLS "id, name, email, language, role, status, active, created_at"
/* what reads return: the stored columns plus presence (schema step: routing) */
#define AGENT_READ_COLS AGENT_COLS ", status_since"
#define BOT_COLS "id, name, active, created_at"
#define TOKEN_COLS "token_hash, owner_kind, owner_id, created_at, last_used_at, expires_at"
#define SESSION_COLS                                                                               \
    "id, customer_id, agent_id, topic, strategies_json, status, last_seq, created_at, "            \
    "updated_at, position, bot_id, team_id, queued_at, assigned_at, " SESSION_LABELS_COL           \
    ", closed_at, first_response_at"
/* a session's labels as a sorted JSON array (NULL when it has none); the
 * queries that use SESSION_COLS name the table "sessions" (no alias) */
#define SESSION_LABELS_COL                                                                         \
    "(SELECT json_group_array(label) FROM (SELECT label FROM session_labels "                      \
    "WHERE session_id = sessions.id ORDER BY label) HAVING count(*) > 0)"
#define MESSAGE_COLS                                                                               \
    "id, session_id, seq, sender_kind, sender_id, type, content, client_msg_id, meta_json, "       \
    "created_at, original_content"
#define TICKET_COLS                                                                                \
    "id, session_id, agent_id, issue_description, status, created_at, updated_at, customer_id, "   \
    "subject, priority, position"
#define FEEDBACK_COLS "id, session_id, customer_id, rating, comment, created_at"
/* A flagged message reads like a message (seq 0) followed by its own columns. */
#define FLAGGED_COLS                                                                               \
    "id, session_id, 0, sender_kind, sender_id, type, content, client_msg_id, meta_json, "         \
    "created_at, NULL, position, reason, reviewed_as"
#define KB_COLS                                                                                    \
    "id, question, answer, alternatives_json, tags_json, created_by, created_at, updated_at, "     \
    "position"
#define UPLOAD_COLS                                                                                \
    "id, sha256, size, mime, name, uploader_kind, uploader_id, created_at, message_id, session_id"
#define AUDIT_COLS "position, at, actor_kind, actor_id, action, target_id, ip, detail_json"
/* a team's members come along as one JSON array, sorted */
#define TEAM_COLS                                                                                  \
    "id, name, topics_json, created_at, position, (SELECT json_group_array(agent_id) FROM "        \
    "(SELECT agent_id FROM team_members m WHERE m.team_id = teams.id ORDER BY agent_id))"

/* List statements come in four variants (+1 status filter, +2 customer
 * filter) rather than one with "?3 IS NULL OR ..." terms, because SQLite
 * picks an index at prepare time and an OR on a parameter defeats it.
 * Parameters: ?1 position bound (exclusive), ?2 row limit, ?3 status,
 * ?4 customer id. */
#define SESSION_LIST(filter)                                                                       \
    "SELECT " SESSION_COLS " FROM sessions WHERE position < ?1" filter                             \
    " ORDER BY position DESC LIMIT ?2"
#define SESSION_HAS_LABEL " AND id IN (SELECT session_id FROM session_labels WHERE label = ?5)"
#define CANNED_COLS "id, owner_id, shortcode, title, content, created_at, updated_at"
/* Tickets have more filters than variants could cover; each is a "?N IS
 * NULL OR" term and the walk goes down the rowid (position), so a page
 * stops after `limit` matches. The customer filter has its own index for
 * customers' lists, which are the common narrow case. */
#define TICKET_FILTERS                                                                             \
    " AND (?3 IS NULL OR status = ?3) AND (?5 IS NULL OR priority = ?5)"                           \
    " AND (?6 IS NULL OR agent_id = ?6) AND (?7 IS NULL OR session_id = ?7)"                       \
    " AND created_at >= ?8 AND created_at < ?9"
#define NOTE_COLS "id, ticket_id, author_id, body, created_at, position"
#define FEEDBACK_LIST_COLS                                                                         \
    "f.id, f.session_id, f.customer_id, f.rating, f.comment, f.created_at, s.agent_id, f.rowid"
/* A session's newest message is the one at its last_seq (the unique
 * (session_id, seq) index finds it); without messages, its creation. */
#define SESSION_ACTIVITY                                                                           \
    "coalesce((SELECT m.created_at FROM messages m WHERE m.session_id = sessions.id"               \
    " AND m.seq = sessions.last_seq), sessions.created_at)"
#define REPORT_RANGE                                                                               \
    " s.created_at >= ?1 AND s.created_at < ?2 AND (?3 IS NULL OR s.agent_id = ?3)"                \
    " AND (?4 IS NULL OR s.team_id = ?4)"

enum stmt_id {
    /* transactions (connection.c) */
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    /* accounts */
    ST_CUSTOMER_INSERT,
    ST_CUSTOMER_GET,
    ST_CUSTOMER_BY_IDENTIFIER,
    ST_AGENT_INSERT,
    ST_AGENT_GET,
    ST_AGENT_BY_EMAIL,
    ST_AGENT_LIST,
    ST_AGENT_COUNT,
    ST_AGENT_UPDATE,
    ST_AGENT_COUNT_ADMINS,
    ST_AGENT_SET_PASSWORD,
    ST_BOT_INSERT,
    ST_BOT_GET,
    ST_BOT_LIST,
    ST_BOT_UPDATE,
    ST_TOKEN_INSERT,
    ST_TOKEN_GET,
    ST_TOKEN_TOUCH,
    ST_TOKEN_DELETE,
    ST_TOKEN_DELETE_OWNER,
    ST_TOKEN_DELETE_OWNER_EXCEPT,
    /* sessions */
    ST_SESSION_INSERT,
    ST_SESSION_GET,
    ST_SESSION_UPDATE,
    ST_SESSION_LIST, /* the four variants must stay in this order */
    ST_SESSION_LIST_STATUS,
    ST_SESSION_LIST_CUSTOMER,
    ST_SESSION_LIST_STATUS_CUSTOMER,
    ST_SESSION_LIST_LABEL, /* ST_SESSION_LIST's four variants, ?5 a label */
    ST_SESSION_LIST_LABEL_STATUS,
    ST_SESSION_LIST_LABEL_CUSTOMER,
    ST_SESSION_LIST_LABEL_STATUS_CUSTOMER,
    ST_SESSION_FIRST_RESPONSE,
    ST_SESSION_LIST_IDLE,
    ST_SESSION_SET_STRATEGIES,
    ST_SESSION_LIST_BY_IDS,
    /* messages */
    ST_MESSAGE_SESSION_EXISTS,
    ST_MESSAGE_NEXT_SEQ,
    ST_MESSAGE_INSERT,
    ST_MESSAGE_BY_CLIENT_ID,
    ST_MESSAGE_LIST_ASC,
    ST_MESSAGE_LIST_DESC,
    ST_MESSAGE_GET,
    /* tickets */
    ST_TICKET_INSERT,
    ST_TICKET_GET,
    ST_TICKET_UPDATE,
    ST_TICKET_LIST,
    ST_TICKET_LIST_CUSTOMER,
    ST_FEEDBACK_INSERT,
    ST_FEEDBACK_BY_SESSION,
    ST_TICKET_NOTE_INSERT,
    ST_TICKET_NOTE_LIST,
    ST_FEEDBACK_LIST,
    /* desk */
    ST_AGENT_SET_PRESENCE,
    ST_AGENT_NOTE_ASSIGNED,
    ST_AGENT_LOADS,
    ST_SESSION_SET_ROUTING,
    ST_QUEUE_LIST,
    ST_REQUEUE_CANDIDATES,
    ST_QUEUE_AVERAGE_WAIT,
    ST_QUEUE_RANK,
    ST_TEAM_INSERT,
    ST_TEAM_GET,
    ST_TEAM_UPDATE,
    ST_TEAM_CLEAR_SESSIONS,
    ST_TEAM_CLEAR_MEMBERS,
    ST_TEAM_DELETE,
    ST_TEAM_LIST,
    ST_TEAM_BY_TOPIC,
    ST_TEAM_MEMBER_ADD,
    ST_TEAM_MEMBER_REMOVE,
    ST_TEAM_HAS_MEMBER,
    ST_SESSION_SET_QUEUE_POSITION,
    /* tools */
    ST_CANNED_INSERT,
    ST_CANNED_GET,
    ST_CANNED_UPDATE,
    ST_CANNED_DELETE,
    ST_CANNED_LIST,
    ST_NOTE_INSERT,
    ST_NOTE_LIST,
    ST_READ_MARK,
    ST_READ_LIST,
    ST_LABEL_INSERT,
    ST_LABEL_GET,
    ST_LABEL_DELETE,
    ST_LABEL_SET_COLOR,
    ST_LABEL_LIST,
    ST_SESSION_LABEL_ADD,
    ST_SESSION_LABEL_REMOVE,
    ST_UNREAD_COUNT,
    /* kb */
    ST_KB_INSERT,
    ST_KB_GET,
    ST_KB_UPDATE,
    ST_KB_DELETE,
    ST_KB_LIST,
    ST_KB_ALL,
    ST_BOT_FAILURES_ADD,
    /* strategy_stores */
    ST_FLAGGED_INSERT,
    ST_FLAGGED_GET,
    ST_FLAGGED_LIST,
    ST_FLAGGED_REVIEW,
    ST_MESSAGE_LABEL_GET,
    ST_MESSAGE_LABEL_SET,
    ST_SPAM_TOKEN_ADD,
    ST_SPAM_TOKEN_PRUNE,
    ST_SPAM_TOTALS_ADD,
    ST_SPAM_TOKENS_ALL,
    ST_SPAM_TOTALS_GET,
    ST_ALLOWLIST_ADD,
    ST_ALLOWLIST_REMOVE,
    ST_ALLOWLIST_ALL,
    /* reports */
    ST_REPORT_FIRST_RESPONSE,
    ST_REPORT_RESOLUTION,
    ST_REPORT_AGENTS,
    ST_REPORT_RATINGS,
    ST_REPORT_SESSIONS,
    /* search */
    ST_MESSAGE_SEARCH,
    ST_SEARCH_PROGRESS_GET,
    ST_SEARCH_BATCH_END,
    ST_SEARCH_INDEX_RANGE,
    ST_SEARCH_PROGRESS_SET,
    ST_SEARCH_TAIL_CLEAR,
    ST_SEARCH_TAIL_ALL,
    ST_SEARCH_TAIL_SESSION,
    ST_SEARCH_TAIL_CUSTOMER,
    /* retention */
    ST_RETENTION_TOKENS_EXPIRED,
    ST_RETENTION_TOKENS_IDLE,
    ST_RETENTION_CUSTOMERS,
    ST_RETENTION_AUDIT,
    ST_RETENTION_UPLOADS_LIST,
    ST_RETENTION_UPLOAD_DELETE,
    ST_RETENTION_NOTIFICATION_ATTEMPTS,
    ST_RETENTION_NOTIFICATION_DELIVERIES,
    ST_RETENTION_NOTIFICATIONS,
    ST_RETENTION_PASSWORD_RESETS,
    /* audit */
    ST_AUDIT_INSERT,
    ST_AUDIT_LIST,
    /* uploads */
    ST_UPLOAD_INSERT,
    ST_UPLOAD_GET,
    ST_UPLOAD_ATTACH,
    ST_UPLOAD_HASH_IN_USE,
    /* settings */
    ST_SETTING_GET,
    ST_SETTING_PUT,
    /* notifications */
    ST_NOTIFICATION_INSERT,
    ST_NOTIFICATION_GET,
    ST_NOTIFICATION_LIST,
    ST_NOTIFICATION_LIST_UNREAD,
    ST_NOTIFICATION_UNREAD_COUNT,
    ST_NOTIFICATION_MARK_READ,
    ST_NOTIFICATION_MARK_ALL_READ,
    ST_DELIVERY_INSERT,
    ST_DELIVERY_GET,
    ST_DELIVERY_DUE,
    ST_DELIVERY_UPDATE,
    ST_DELIVERY_LIST,
    ST_NOTIFY_PREFS_GET,
    ST_NOTIFY_PREFS_PUT,
    ST_PASSWORD_RESET_INSERT,
    ST_PASSWORD_RESET_TAKE,
    /* webhooks */
    ST_WEBHOOK_INSERT,
    ST_WEBHOOK_GET,
    ST_WEBHOOK_UPDATE,
    ST_WEBHOOK_DELETE,
    ST_WEBHOOK_LIST,
    ST_WEBHOOK_LIST_ACTIVE,
    ST_WEBHOOK_COUNT,
    ST_WEBHOOK_ATTEMPT_INSERT,
    ST_WEBHOOK_ATTEMPT_LIST,
    ST_WEBHOOK_DELIVERY_LIST,
    /* web push subscriptions */
    ST_PUSH_UPSERT,
    ST_PUSH_GET_BY_ENDPOINT,
    ST_PUSH_LIST,
    ST_PUSH_COUNT,
    ST_PUSH_DELETE,
    ST_PUSH_DELETE_ID,
    /* contacts */
    ST_CONTACT_GET,
    ST_CONTACT_LIST,
    ST_CONTACT_UPDATE,
    ST_CONTACT_BY_EMAIL,
    ST_COUNT
};

/* Each file's SQL by statement id; an id has SQL in exactly one of them. */
extern const char *const parley_sqlite_accounts_sql[ST_COUNT];
extern const char *const parley_sqlite_sessions_sql[ST_COUNT];
extern const char *const parley_sqlite_messages_sql[ST_COUNT];
extern const char *const parley_sqlite_tickets_sql[ST_COUNT];
extern const char *const parley_sqlite_desk_sql[ST_COUNT];
extern const char *const parley_sqlite_tools_sql[ST_COUNT];
extern const char *const parley_sqlite_kb_sql[ST_COUNT];
extern const char *const parley_sqlite_strategy_stores_sql[ST_COUNT];
extern const char *const parley_sqlite_reports_sql[ST_COUNT];
extern const char *const parley_sqlite_search_sql[ST_COUNT];
extern const char *const parley_sqlite_retention_sql[ST_COUNT];
extern const char *const parley_sqlite_audit_sql[ST_COUNT];
extern const char *const parley_sqlite_uploads_sql[ST_COUNT];
extern const char *const parley_sqlite_settings_sql[ST_COUNT];
extern const char *const parley_sqlite_notifications_sql[ST_COUNT];
extern const char *const parley_sqlite_webhooks_sql[ST_COUNT];
extern const char *const parley_sqlite_push_sql[ST_COUNT];
extern const char *const parley_sqlite_contacts_sql[ST_COUNT];

/* The ops tables the handle points at, one per file. */
extern const parley_accounts_ops parley_sqlite_accounts_ops;
extern const parley_sessions_ops parley_sqlite_sessions_ops;
extern const parley_messages_ops parley_sqlite_messages_ops;
extern const parley_tickets_ops parley_sqlite_tickets_ops;
extern const parley_desk_ops parley_sqlite_desk_ops;
extern const parley_tools_ops parley_sqlite_tools_ops;
extern const parley_kb_ops parley_sqlite_kb_ops;
extern const parley_strategy_stores_ops parley_sqlite_strategy_stores_ops;
extern const parley_reports_ops parley_sqlite_reports_ops;
extern const parley_search_ops parley_sqlite_search_ops;
extern const parley_retention_ops parley_sqlite_retention_ops;
extern const parley_audit_ops parley_sqlite_audit_ops;
extern const parley_uploads_ops parley_sqlite_uploads_ops;
extern const parley_settings_ops parley_sqlite_settings_ops;
extern const parley_notifications_ops parley_sqlite_notifications_ops;
extern const parley_webhooks_ops parley_sqlite_webhooks_ops;
extern const parley_push_ops parley_sqlite_push_ops;
extern const parley_contacts_ops parley_sqlite_contacts_ops;

struct sqlite_repo {
    parley_repository base; /* first, so the handle converts both ways */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
};

static inline struct sqlite_repo *as_sqlite(parley_repository *repo) {
    return (struct sqlite_repo *)repo;
}

/* ---- errors ------------------------------------------------------------ */

/* The one place SQLite result codes become parley statuses. msg is SQLite's
 * own text, which names tables and columns but never bound values, so user
 * data (passwords, message text) cannot leak into logs or responses. */
static inline parley_status map_sqlite(int rc, const char *msg, const char *op, parley_error *err) {
    parley_status status;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        status = PARLEY_E_UNAVAILABLE;
        break;
    case SQLITE_NOMEM:
        status = PARLEY_E_NOMEM;
        break;
    case SQLITE_CONSTRAINT:
        status = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                     ? PARLEY_E_CONFLICT
                     : PARLEY_E_STORAGE;
        break;
    default:
        status = PARLEY_E_STORAGE;
        break;
    }
    bool full = (rc & 0xff) == SQLITE_FULL;
    parley_error_set(err, status, full ? PARLEY_ERROR_CODE_STORAGE_FULL : NULL, "%s: %s", op,
                     msg != NULL ? msg : sqlite3_errstr(rc));
    if (err != NULL) {
        /* SQLite's text and our function names are for the log, never for
         * a client (core/error.h, parley_error_public) */
        err->internal = true;
    }
    return status;
}

/* Must run before the statement is reset, which may replace the message. */
static inline parley_status db_fail(sqlite3 *db, int rc, const char *op, parley_error *err) {
    return map_sqlite(rc, db != NULL ? sqlite3_errmsg(db) : NULL, op, err);
}

/* ---- binding ----------------------------------------------------------- */

/* Collects binds so an op can bind every parameter and check once. The
 * first failure wins: rc for SQLite's, invalid for a value we refuse to
 * store (an enum out of range, a missing required id). */
typedef struct binder {
    sqlite3_stmt *st;
    int rc;
    const char *invalid;
} binder;

static inline binder bind_start(struct sqlite_repo *r, enum stmt_id id) {
    binder b = {r->stmt[id], SQLITE_OK, NULL};
    return b;
}

static inline void b_invalid(binder *b, const char *why) {
    if (b->invalid == NULL) {
        b->invalid = why;
    }
}

static inline void b_text_n(binder *b, int idx, const char *s, size_t len) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_text(b->st, idx, s, (int)len, SQLITE_STATIC);
    }
}

/* NULL stays NULL: the nullable model fields round-trip exactly. */
static inline void b_text(binder *b, int idx, const char *s) {
    if (b->rc != SQLITE_OK) {
        return;
    }
    b->rc = s == NULL ? sqlite3_bind_null(b->st, idx)
                      : sqlite3_bind_text(b->st, idx, s, -1, SQLITE_STATIC);
}

/* Ids live in fixed arrays; strnlen keeps an unterminated one from being
 * read past its end. */
static inline void b_id(binder *b, int idx, const char *id) {
    size_t len = strnlen(id, PARLEY_ID_SIZE);
    if (len == 0) {
        b_invalid(b, "a required id is empty");
    }
    b_text_n(b, idx, id, len);
}

/* A message's sender id as the message has it, "" included: system
 * messages have no sender id, and NULL would make the client_msg_id
 * uniqueness never match (messages.c stores it so, strategy_stores.c
 * keeps flagged messages alike). */
static inline void b_sender_id(binder *b, int idx, const char *id) {
    b_text_n(b, idx, id, strnlen(id, PARLEY_ID_SIZE));
}

/* "" binds NULL: for a filter, which the "?N IS NULL OR" terms read as no
 * filter; for an optional id, so foreign keys hold. */
static inline void b_filter(binder *b, int idx, const char *value, size_t size) {
    size_t len = strnlen(value, size);
    if (len == 0) {
        if (b->rc == SQLITE_OK) {
            b->rc = sqlite3_bind_null(b->st, idx);
        }
        return;
    }
    b_text_n(b, idx, value, len);
}

/* An optional id ("" = none). */
static inline void b_opt_id(binder *b, int idx, const char *id) {
    b_filter(b, idx, id, PARLEY_ID_SIZE);
}

/* name is NULL when the enum value has no wire name (see ENUM_CODEC). */
static inline void b_enum(binder *b, int idx, const char *name) {
    if (name == NULL) {
        b_invalid(b, "an enum value is out of range");
        return;
    }
    b_text(b, idx, name);
}

static inline void b_i64(binder *b, int idx, int64_t v) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int64(b->st, idx, v);
    }
}

static inline void b_int(binder *b, int idx, int v) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int(b->st, idx, v);
    }
}

static inline parley_status bind_check(struct sqlite_repo *r, const binder *b, const char *op,
                                       parley_error *err) {
    if (b->invalid != NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: %s", op, b->invalid);
    }
    if (b->rc != SQLITE_OK) {
        return db_fail(r->db, b->rc, op, err);
    }
    return PARLEY_OK;
}

/* Bindings are cleared too, so no statement keeps a pointer to caller
 * memory after the op returns. */
static inline void stmt_done(sqlite3_stmt *st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- reading rows ------------------------------------------------------ */

/* Mirrors binder for columns: the first problem wins and the caller frees
 * the half-filled output. */
typedef struct row_reader {
    sqlite3_stmt *st;
    parley_status status;
    int bad_column;
} row_reader;

static inline row_reader reader_start(sqlite3_stmt *st) {
    row_reader rd = {st, PARLEY_OK, -1};
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

static inline char *r_text(row_reader *rd, int col) {
    if (sqlite3_column_type(rd->st, col) == SQLITE_NULL) {
        return NULL;
    }
    const char *text = (const char *)sqlite3_column_text(rd->st, col);
    char *copy = text != NULL ? strdup(text) : NULL;
    if (copy == NULL) {
        r_nomem(rd);
    }
    return copy;
}

/* NULL reads as "" (an absent optional id). */
static inline void r_fixed(row_reader *rd, int col, char *out, size_t size) {
    out[0] = '\0';
    if (sqlite3_column_type(rd->st, col) == SQLITE_NULL) {
        return;
    }
    const char *text = (const char *)sqlite3_column_text(rd->st, col);
    size_t len = (size_t)sqlite3_column_bytes(rd->st, col);
    if (text == NULL) {
        r_nomem(rd);
        return;
    }
    if (len >= size) {
        r_bad(rd, col);
        return;
    }
    memcpy(out, text, len);
    out[len] = '\0';
}

static inline void r_id(row_reader *rd, int col, char out[PARLEY_ID_SIZE]) {
    r_fixed(rd, col, out, PARLEY_ID_SIZE);
}

static inline int64_t r_i64(row_reader *rd, int col) {
    return sqlite3_column_int64(rd->st, col);
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
                                sqlite3_column_name(rd->st, rd->bad_column));
    }
}

/* Enums are stored by wire name. *_store returns NULL for a value with no
 * name (so it is refused, not stored as "unknown"); *_load flags a name
 * this build does not know (a newer binary wrote it, or the file was
 * edited by hand). */
#define ENUM_CODEC(prefix, type)                                                                   \
    static inline const char *prefix##_store(type value) {                                         \
        const char *name = parley_##prefix##_name(value);                                          \
        type back;                                                                                 \
        return parley_##prefix##_from_name(name, &back) && back == value ? name : NULL;            \
    }                                                                                              \
    static inline type prefix##_load(row_reader *rd, int col) {                                    \
        type value = (type)0;                                                                      \
        if (!parley_##prefix##_from_name((const char *)sqlite3_column_text(rd->st, col),           \
                                         &value)) {                                                \
            r_bad(rd, col);                                                                        \
        }                                                                                          \
        return value;                                                                              \
    }                                                                                              \
    static inline void col_read_##prefix(row_reader *rd, int col, type *out) {                     \
        *out = prefix##_load(rd, col);                                                             \
    }                                                                                              \
    static inline void col_bind_##prefix(binder *b, int idx, const type *in) {                     \
        b_enum(b, idx, prefix##_store(*in));                                                       \
    }

ENUM_CODEC(participant_kind, parley_participant_kind)
ENUM_CODEC(agent_role, parley_agent_role)
ENUM_CODEC(agent_status, parley_agent_status)
ENUM_CODEC(session_status, parley_session_status)
ENUM_CODEC(message_type, parley_message_type)
ENUM_CODEC(ticket_status, parley_ticket_status)
ENUM_CODEC(ticket_priority, parley_ticket_priority)
ENUM_CODEC(delivery_state, parley_delivery_state)

/* ---- columns ----------------------------------------------------------- */

/* A model type's columns are one X-macro list, F(field, kind) per column in
 * the order of its *_COLS: what a row reads (column 0, 1, ...) and, where
 * the insert lists the same columns, what the insert binds (?1, ?2, ...),
 * separated by commas.
 * ROW_READER and ROW_BINDER make the two functions of a list. A kind K is
 * the pair col_read_K(rd, col, &item->field) / col_bind_K(b, idx,
 * &item->field), typed by the field; each enum's kind is its ENUM_CODEC
 * prefix, SKIP reads nothing (a column only the paging needs). */
#define READ_COLUMN(field, kind) col_read_##kind(rd, col++, &item->field)
#define BIND_COLUMN(field, kind) col_bind_##kind(b, col++, &item->field)
#define ROW_READER(name, item_t, COLUMNS)                                                          \
    static inline void name(row_reader *rd, item_t *item) {                                        \
        int col = 0;                                                                               \
        COLUMNS(READ_COLUMN);                                                                      \
    }
/* void *, so write_row (rows.h) can take it */
#define ROW_BINDER(name, item_t, COLUMNS)                                                          \
    static inline void name(binder *b, const void *bound) {                                        \
        const item_t *item = bound;                                                                \
        int col = 1;                                                                               \
        COLUMNS(BIND_COLUMN);                                                                      \
    }

/* Both, read_<name> and bind_<name>, of one list. */
#define ROW_COLUMNS(name, item_t, COLUMNS)                                                         \
    ROW_READER(read_##name, item_t, COLUMNS)                                                       \
    ROW_BINDER(bind_##name, item_t, COLUMNS)

/* ID is a required id; OPT_ID "" for none (NULL in the database). */
static inline void col_read_ID(row_reader *rd, int col, char (*out)[PARLEY_ID_SIZE]) {
    r_id(rd, col, *out);
}
static inline void col_bind_ID(binder *b, int idx, const char (*in)[PARLEY_ID_SIZE]) {
    b_id(b, idx, *in);
}
static inline void col_read_OPT_ID(row_reader *rd, int col, char (*out)[PARLEY_ID_SIZE]) {
    r_id(rd, col, *out);
}
static inline void col_bind_OPT_ID(binder *b, int idx, const char (*in)[PARLEY_ID_SIZE]) {
    b_opt_id(b, idx, *in);
}
/* TEXT is a heap string, NULL for NULL. */
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
    *out = sqlite3_column_int(rd->st, col);
}
static inline void col_bind_INT(binder *b, int idx, const int *in) {
    b_int(b, idx, *in);
}
/* BOOL is stored 0 or 1. */
static inline void col_read_BOOL(row_reader *rd, int col, bool *out) {
    *out = sqlite3_column_int(rd->st, col) != 0;
}
static inline void col_bind_BOOL(binder *b, int idx, const bool *in) {
    b_int(b, idx, *in ? 1 : 0);
}
/* FIXED is a char array of its own size (a hash, a MIME type). */
#define col_read_FIXED(rd, col, out) r_fixed(rd, col, *(out), sizeof *(out))
#define col_bind_FIXED(b, idx, in) b_text_n(b, idx, *(in), strnlen(*(in), sizeof *(in)))
#define col_read_SKIP(rd, col, out) ((void)(col))

/* SESSION_COLS; the position is paging's alone. */
#define SESSION_COLUMNS(F)                                                                         \
    F(id, ID), F(customer_id, OPT_ID), F(agent_id, OPT_ID), F(topic, TEXT),                        \
        F(strategies_json, TEXT), F(status, session_status), F(last_seq, I64), F(created_at, I64), \
        F(updated_at, I64), F(position, SKIP), F(bot_id, OPT_ID), F(team_id, OPT_ID),              \
        F(queued_at, I64), F(assigned_at, I64), F(labels_json, TEXT),                              \
        F(closed_at, I64) /* NULL reads as 0: none */, F(first_response_at, I64)
#define SESSION_POSITION_COL 9
ROW_READER(read_session, parley_session, SESSION_COLUMNS)

#define MESSAGE_COLUMNS(F)                                                                         \
    F(id, ID), F(session_id, ID), F(seq, I64), F(sender_kind, participant_kind),                   \
        F(sender_id, OPT_ID), F(type, message_type), F(content, TEXT), F(client_msg_id, TEXT),     \
        F(meta_json, TEXT), F(created_at, I64), F(original_content, TEXT)
ROW_READER(read_message, parley_message, MESSAGE_COLUMNS)

/* ---- running statements ------------------------------------------------ */

/* Runs a statement that returns no rows. With must_change, zero affected
 * rows means the keyed row does not exist. Always resets. */
static inline parley_status exec_write(struct sqlite_repo *r, binder *b, bool must_change,
                                       const char *op, const char *what, parley_error *err) {
    parley_status status = bind_check(r, b, op, err);
    if (status == PARLEY_OK) {
        int rc = sqlite3_step(b->st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, op, err);
        } else if (must_change && sqlite3_changes(r->db) == 0) {
            status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
        }
    }
    stmt_done(b->st);
    return status;
}

/* Runs a statement without parameters or rows (transactions, clears). */
static inline parley_status exec_plain(struct sqlite_repo *r, enum stmt_id id, const char *op,
                                       parley_error *err) {
    binder b = bind_start(r, id);
    return exec_write(r, &b, false, op, "", err);
}

/* Steps to the first row. On PARLEY_OK the row is current and the caller
 * reads it; the caller resets the statement in every case. */
static inline parley_status fetch_one(struct sqlite_repo *r, const binder *b, const char *op,
                                      const char *what, parley_error *err) {
    parley_status status = bind_check(r, b, op, err);
    if (status != PARLEY_OK) {
        return status;
    }
    int rc = sqlite3_step(b->st);
    if (rc == SQLITE_ROW) {
        return PARLEY_OK;
    }
    if (rc == SQLITE_DONE) {
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
    }
    return db_fail(r->db, rc, op, err);
}

/* ---- list paging (the pages themselves are in rows.h) ------------------ */

/* The cursor is the decimal position of the last row of the previous page;
 * the next page is everything strictly older. "" starts at the newest.
 * parley_sqlite_parse_cursor() (storage/sqlite/sqlite_repository.h, defined
 * in connection.c) parses it; exported for fuzz/fuzz_paging_cursor.c. */

static inline int clamp_limit(int limit) {
    if (limit < 1) {
        return 1;
    }
    return limit > LIST_LIMIT_MAX ? LIST_LIMIT_MAX : limit;
}

static inline parley_status page_cursor(bool more, int64_t last_position, char *next_cursor_out,
                                        size_t next_cursor_size, const char *op,
                                        parley_error *err) {
    if (!more || next_cursor_out == NULL) {
        return PARLEY_OK;
    }
    int n = snprintf(next_cursor_out, next_cursor_size, "%" PRId64, last_position);
    if (n < 0 || (size_t)n >= next_cursor_size) {
        if (next_cursor_size > 0) {
            next_cursor_out[0] = '\0';
        }
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL, "%s: cursor buffer too small", op);
    }
    return PARLEY_OK;
}

#include "storage/sqlite/rows.h"

#endif

/*
 * sqlite_repository.c - the Repository ops table on top of libsqlite3.
 *
 * Ownership: a handle (struct sqlite_repo) owns one sqlite3 connection and
 * every prepared statement; ops->close() finalizes them, closes the
 * connection (rolling back any open transaction) and frees the handle.
 * Statements are prepared once at open and reset (with bindings cleared)
 * before each op returns, so text is bound SQLITE_STATIC: the caller's
 * strings only have to live for the duration of the call. Outputs are
 * caller-owned heap data, zeroed on every error path.
 *
 * Threads: the connection is opened with SQLITE_OPEN_NOMUTEX, so a handle
 * must be used by one thread at a time; the server opens one per worker.
 * parley_sqlite_migrate() opens and closes its own connection and may be
 * called from any thread, normally once at start before the workers open.
 *
 * The schema itself (tables, indexes, migration steps) lives in
 * sqlite_schema.c; the statements here depend on its column names.
 *
 * Concurrency between handles is SQLite's: WAL lets readers run beside the
 * single writer; begin() takes the write lock up front (BEGIN IMMEDIATE) so
 * a batch never fails half-way on a lock upgrade; a lock that is not
 * granted within busy_timeout becomes PARLEY_E_UNAVAILABLE.
 */
#include "storage/sqlite_repository.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "storage/sqlite_schema.h"

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
    "id, session_id, agent_id, issue_description, status, created_at, updated_at, position, "      \
    "customer_id, subject, priority"
#define FEEDBACK_COLS "id, session_id, customer_id, rating, comment, created_at"
/* A flagged message reads like a message (seq 0) followed by its own columns. */
#define FLAGGED_COLS                                                                               \
    "id, session_id, 0, sender_kind, sender_id, type, content, client_msg_id, meta_json, "         \
    "created_at, NULL, position, reason, reviewed_as"
#define KB_COLS                                                                                    \
    "position, id, question, answer, alternatives_json, tags_json, created_by, created_at, "       \
    "updated_at"
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
#define REPORT_RANGE " s.created_at >= ?1 AND s.created_at < ?2 AND (?3 IS NULL OR s.agent_id = ?3)"

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
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
    ST_BOT_INSERT,
    ST_BOT_GET,
    ST_BOT_LIST,
    ST_BOT_UPDATE,
    ST_TOKEN_INSERT,
    ST_TOKEN_GET,
    ST_TOKEN_TOUCH,
    ST_TOKEN_DELETE,
    ST_TOKEN_DELETE_OWNER,
    ST_SESSION_INSERT,
    ST_SESSION_GET,
    ST_SESSION_UPDATE,
    ST_SESSION_NEXT_SEQ,
    ST_SESSION_LIST, /* the four variants must stay in this order */
    ST_SESSION_LIST_STATUS,
    ST_SESSION_LIST_CUSTOMER,
    ST_SESSION_LIST_STATUS_CUSTOMER,
    ST_MESSAGE_INSERT,
    ST_MESSAGE_BY_CLIENT_ID,
    ST_MESSAGE_LIST_ASC,
    ST_MESSAGE_LIST_DESC,
    ST_TICKET_INSERT,
    ST_TICKET_GET,
    ST_TICKET_UPDATE,
    ST_TICKET_LIST,
    ST_TICKET_LIST_CUSTOMER,
    ST_FEEDBACK_INSERT,
    ST_FEEDBACK_BY_SESSION,
    ST_MESSAGE_GET,
    ST_FLAGGED_INSERT,
    ST_FLAGGED_GET,
    ST_FLAGGED_LIST, /* page_bind's base: no variants */
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
    ST_SETTING_GET,
    ST_SETTING_PUT,
    ST_AUDIT_INSERT,
    ST_AUDIT_LIST, /* page_bind's base: no status or customer variants */
    ST_KB_INSERT,
    ST_KB_GET,
    ST_KB_UPDATE,
    ST_KB_DELETE,
    ST_KB_LIST,
    ST_KB_ALL,
    ST_BOT_FAILURES_ADD,
    ST_UPLOAD_INSERT,
    ST_UPLOAD_GET,
    ST_UPLOAD_ATTACH,
    ST_AGENT_SET_PRESENCE,
    ST_AGENT_NOTE_ASSIGNED,
    ST_AGENT_LOADS,
    ST_SESSION_SET_ROUTING,
    ST_QUEUE_LIST,
    ST_REQUEUE_CANDIDATES,
    ST_QUEUE_AVERAGE_WAIT,
    ST_TEAM_INSERT,
    ST_TEAM_GET,
    ST_TEAM_UPDATE,
    ST_TEAM_CLEAR_SESSIONS,
    ST_TEAM_CLEAR_MEMBERS,
    ST_TEAM_DELETE,
    ST_TEAM_LIST, /* page_bind's base: no variants */
    ST_TEAM_BY_TOPIC,
    ST_TEAM_MEMBER_ADD,
    ST_TEAM_MEMBER_REMOVE,
    ST_TEAM_HAS_MEMBER,
    ST_SESSION_SET_QUEUE_POSITION,
    ST_SESSION_LIST_LABEL, /* ST_SESSION_LIST's four variants, ?5 a label */
    ST_SESSION_LIST_LABEL_STATUS,
    ST_SESSION_LIST_LABEL_CUSTOMER,
    ST_SESSION_LIST_LABEL_STATUS_CUSTOMER,
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
    ST_LABEL_LIST,
    ST_SESSION_LABEL_ADD,
    ST_SESSION_LABEL_REMOVE,
    ST_MESSAGE_SEARCH,
    ST_UNREAD_COUNT,
    ST_SEARCH_PROGRESS_GET,
    ST_SEARCH_BATCH_END,
    ST_SEARCH_INDEX_RANGE,
    ST_SEARCH_PROGRESS_SET,
    ST_SESSION_FIRST_RESPONSE,
    ST_SESSION_LIST_IDLE,
    ST_TICKET_NOTE_INSERT,
    ST_TICKET_NOTE_LIST,
    ST_FEEDBACK_LIST,
    ST_REPORT_FIRST_RESPONSE,
    ST_REPORT_RESOLUTION,
    ST_REPORT_AGENTS,
    ST_REPORT_RATINGS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT " UNIT_SAVEPOINT,
    [ST_RELEASE] = "RELEASE " UNIT_SAVEPOINT,
    [ST_ROLLBACK_TO] = "ROLLBACK TO " UNIT_SAVEPOINT,

    [ST_CUSTOMER_INSERT] = "INSERT INTO customers (" CUSTOMER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6, ?7)",
    [ST_CUSTOMER_GET] = "SELECT " CUSTOMER_COLS " FROM customers WHERE id = ?1",
    [ST_CUSTOMER_BY_IDENTIFIER] = "SELECT " CUSTOMER_COLS " FROM customers WHERE identifier = ?1",

    [ST_AGENT_INSERT] = "INSERT INTO agents (" AGENT_COLS ", password_hash) VALUES (?1, ?2, ?3, "
                        "?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_AGENT_GET] = "SELECT " AGENT_READ_COLS " FROM agents WHERE id = ?1",
    /* email is declared COLLATE NOCASE, so this compares (and uses the
     * unique index) case-insensitively. */
    [ST_AGENT_BY_EMAIL] = "SELECT " AGENT_READ_COLS ", password_hash FROM agents WHERE email = ?1",
    [ST_AGENT_LIST] = "SELECT " AGENT_READ_COLS " FROM agents ORDER BY created_at, id",
    [ST_AGENT_COUNT] = "SELECT count(*) FROM agents",
    [ST_AGENT_UPDATE] = "UPDATE agents SET name = ?2, language = ?3, role = ?4, status = ?5, "
                        "active = ?6 WHERE id = ?1",
    [ST_AGENT_COUNT_ADMINS] = "SELECT count(*) FROM agents WHERE role = 'admin' AND active = 1",

    [ST_BOT_INSERT] = "INSERT INTO bots (" BOT_COLS ") VALUES (?1, ?2, ?3, ?4)",
    [ST_BOT_GET] = "SELECT " BOT_COLS " FROM bots WHERE id = ?1",
    [ST_BOT_LIST] = "SELECT " BOT_COLS " FROM bots ORDER BY created_at, id",
    [ST_BOT_UPDATE] = "UPDATE bots SET name = ?2, active = ?3 WHERE id = ?1",

    [ST_TOKEN_INSERT] = "INSERT INTO tokens (" TOKEN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM tokens WHERE token_hash = ?1",
    /* Workers touch tokens concurrently and may commit out of order; max()
     * keeps last_used_at from moving backwards. */
    [ST_TOKEN_TOUCH] = "UPDATE tokens SET last_used_at = max(last_used_at, ?2) "
                       "WHERE token_hash = ?1",
    [ST_TOKEN_DELETE] = "DELETE FROM tokens WHERE token_hash = ?1",
    [ST_TOKEN_DELETE_OWNER] = "DELETE FROM tokens WHERE owner_kind = ?1 AND owner_id = ?2",

    [ST_SESSION_INSERT] = "INSERT INTO sessions (id, customer_id, agent_id, topic, "
                          "strategies_json, status, last_seq, created_at, updated_at, bot_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_SESSION_GET] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1",
    [ST_SESSION_UPDATE] = "UPDATE sessions SET status = ?2, agent_id = ?3, updated_at = ?4, "
                          "bot_id = ?5, closed_at = ?6 WHERE id = ?1",
    [ST_SESSION_NEXT_SEQ] = "UPDATE sessions SET last_seq = last_seq + 1 WHERE id = ?1 "
                            "RETURNING last_seq",
    [ST_SESSION_LIST] = SESSION_LIST(""),
    [ST_SESSION_LIST_STATUS] = SESSION_LIST(" AND status = ?3"),
    [ST_SESSION_LIST_CUSTOMER] = SESSION_LIST(" AND customer_id = ?4"),
    [ST_SESSION_LIST_STATUS_CUSTOMER] = SESSION_LIST(" AND status = ?3 AND customer_id = ?4"),

    [ST_MESSAGE_INSERT] = "INSERT INTO messages (" MESSAGE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                          "?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_MESSAGE_BY_CLIENT_ID] = "SELECT " MESSAGE_COLS " FROM messages WHERE sender_kind = ?1 "
                                "AND sender_id = ?2 AND client_msg_id = ?3",
    [ST_MESSAGE_LIST_ASC] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1 "
                            "AND seq > ?2 AND seq < ?3 ORDER BY seq ASC LIMIT ?4",
    [ST_MESSAGE_LIST_DESC] = "SELECT " MESSAGE_COLS " FROM messages WHERE session_id = ?1 "
                             "AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",

    [ST_TICKET_INSERT] = "INSERT INTO tickets (id, session_id, agent_id, issue_description, "
                         "status, created_at, updated_at, customer_id, subject, priority) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, (SELECT customer_id "
                         "FROM sessions WHERE id = ?2)), ?9, ?10)",
    [ST_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets WHERE id = ?1",
    [ST_TICKET_UPDATE] = "UPDATE tickets SET status = ?2, agent_id = ?3, issue_description = ?4, "
                         "updated_at = ?5, subject = ?6, priority = ?7 WHERE id = ?1",
    [ST_TICKET_LIST] = "SELECT " TICKET_COLS " FROM tickets WHERE position < ?1" TICKET_FILTERS
                       " ORDER BY position DESC LIMIT ?2",
    [ST_TICKET_LIST_CUSTOMER] = "SELECT " TICKET_COLS " FROM tickets WHERE customer_id = ?4 AND "
                                "position < ?1" TICKET_FILTERS " ORDER BY position DESC LIMIT ?2",

    [ST_FEEDBACK_INSERT] = "INSERT INTO feedback (" FEEDBACK_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6)",
    [ST_FEEDBACK_BY_SESSION] = "SELECT " FEEDBACK_COLS " FROM feedback WHERE session_id = ?1",
    [ST_MESSAGE_GET] = "SELECT " MESSAGE_COLS " FROM messages WHERE id = ?1",
    [ST_FLAGGED_INSERT] = "INSERT INTO flagged_messages (id, session_id, sender_kind, sender_id, "
                          "type, content, client_msg_id, meta_json, reason, created_at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_FLAGGED_GET] = "SELECT " FLAGGED_COLS " FROM flagged_messages WHERE id = ?1",
    [ST_FLAGGED_LIST] = "SELECT " FLAGGED_COLS " FROM flagged_messages WHERE position < ?1 "
                        "ORDER BY position DESC LIMIT ?2",
    [ST_FLAGGED_REVIEW] = "UPDATE flagged_messages SET reviewed_as = ?2 WHERE id = ?1",
    [ST_MESSAGE_LABEL_GET] = "SELECT label FROM message_labels WHERE message_id = ?1",
    [ST_MESSAGE_LABEL_SET] = "INSERT INTO message_labels (message_id, label, labelled_by, "
                             "labelled_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (message_id) DO "
                             "UPDATE SET label = ?2, labelled_by = ?3, labelled_at = ?4",
    [ST_SPAM_TOKEN_ADD] = "INSERT INTO spam_tokens (token, spam, ham) VALUES (?1, max(?2, 0), "
                          "max(?3, 0)) ON CONFLICT (token) DO UPDATE SET "
                          "spam = max(spam + ?2, 0), ham = max(ham + ?3, 0)",
    [ST_SPAM_TOKEN_PRUNE] = "DELETE FROM spam_tokens WHERE token = ?1 AND spam = 0 AND ham = 0",
    [ST_SPAM_TOTALS_ADD] = "UPDATE spam_totals SET spam_messages = max(spam_messages + ?1, 0), "
                           "ham_messages = max(ham_messages + ?2, 0) WHERE id = 1",
    [ST_SPAM_TOKENS_ALL] = "SELECT token, spam, ham FROM spam_tokens",
    [ST_SPAM_TOTALS_GET] = "SELECT spam_messages, ham_messages FROM spam_totals WHERE id = 1",
    [ST_ALLOWLIST_ADD] = "INSERT INTO profanity_allowlist (word, added_by, created_at) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (word) DO NOTHING",
    [ST_ALLOWLIST_REMOVE] = "DELETE FROM profanity_allowlist WHERE word = ?1",
    [ST_ALLOWLIST_ALL] = "SELECT word FROM profanity_allowlist ORDER BY word",
    [ST_SETTING_GET] = "SELECT value_json FROM settings WHERE key = ?1",
    [ST_SETTING_PUT] = "INSERT INTO settings (key, value_json, updated_by, updated_at) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET "
                       "value_json = ?2, updated_by = ?3, updated_at = ?4",
    [ST_AUDIT_INSERT] = "INSERT INTO audit_log (at, actor_kind, actor_id, action, target_id, ip, "
                        "detail_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_AUDIT_LIST] = "SELECT " AUDIT_COLS " FROM audit_log WHERE position < ?1 "
                      "ORDER BY position DESC LIMIT ?2",
    [ST_KB_INSERT] = "INSERT INTO kb_entries (id, question, answer, alternatives_json, tags_json, "
                     "created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_KB_GET] = "SELECT " KB_COLS " FROM kb_entries WHERE id = ?1",
    [ST_KB_UPDATE] = "UPDATE kb_entries SET question = ?2, answer = ?3, alternatives_json = ?4, "
                     "tags_json = ?5, updated_at = ?6 WHERE id = ?1",
    [ST_KB_DELETE] = "DELETE FROM kb_entries WHERE id = ?1",
    [ST_KB_LIST] = "SELECT " KB_COLS " FROM kb_entries WHERE position < ?1 "
                   "ORDER BY position DESC LIMIT ?2",
    [ST_KB_ALL] = "SELECT " KB_COLS " FROM kb_entries ORDER BY position",
    [ST_BOT_FAILURES_ADD] = "INSERT INTO bot_session_state (session_id, failed_attempts) "
                            "VALUES (?1, max(?2, 0)) ON CONFLICT (session_id) DO UPDATE SET "
                            "failed_attempts = max(failed_attempts + ?2, 0) "
                            "RETURNING failed_attempts",
    [ST_UPLOAD_INSERT] = "INSERT INTO uploads (" UPLOAD_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                         "?7, ?8, ?9, ?10)",
    [ST_UPLOAD_GET] = "SELECT " UPLOAD_COLS " FROM uploads WHERE id = ?1",
    [ST_UPLOAD_ATTACH] = "UPDATE uploads SET message_id = ?3, session_id = ?4 WHERE id = ?1 "
                         "AND uploader_id = ?2 AND message_id IS NULL",
    [ST_AGENT_SET_PRESENCE] = "UPDATE agents SET status = ?2, status_since = ?3 WHERE id = ?1",
    [ST_AGENT_NOTE_ASSIGNED] = "UPDATE agents SET last_assigned_seq = "
                               "(SELECT max(last_assigned_seq) FROM agents) + 1 WHERE id = ?1",
    [ST_AGENT_LOADS] = "SELECT a.id, a.status, a.last_assigned_seq, (SELECT count(*) FROM "
                       "sessions s WHERE s.agent_id = a.id AND s.status = 'active') FROM agents a "
                       "WHERE a.active = 1 ORDER BY a.created_at, a.id",
    [ST_SESSION_SET_ROUTING] = "UPDATE sessions SET team_id = ?2, queued_at = ?3, "
                               "assigned_at = ?4 WHERE id = ?1",
    [ST_QUEUE_LIST] = "SELECT " SESSION_COLS ", queue_position FROM sessions WHERE "
                      "status = 'waiting' AND "
                      "bot_id IS NULL AND position > ?1 ORDER BY position LIMIT ?2",
    /* an agent's answer is any message it sent since it got the session */
    [ST_REQUEUE_CANDIDATES] =
        "SELECT " SESSION_COLS " FROM sessions WHERE sessions.status = 'active' AND "
        "sessions.assigned_at <= ?1 AND sessions.agent_id IN (SELECT id FROM agents WHERE "
        "status = 'offline') AND NOT EXISTS (SELECT 1 FROM messages m WHERE "
        "m.session_id = sessions.id AND m.sender_kind = 'agent' AND "
        "m.sender_id = sessions.agent_id AND m.created_at >= sessions.assigned_at) "
        "ORDER BY sessions.position LIMIT 1000",
    [ST_QUEUE_AVERAGE_WAIT] = "SELECT count(*), avg(w) FROM (SELECT assigned_at - queued_at AS w "
                              "FROM sessions WHERE assigned_at > 0 AND queued_at > 0 AND "
                              "assigned_at >= queued_at ORDER BY assigned_at DESC LIMIT ?1)",
    [ST_TEAM_INSERT] = "INSERT INTO teams (id, name, topics_json, created_at) "
                       "VALUES (?1, ?2, ?3, ?4)",
    [ST_TEAM_GET] = "SELECT " TEAM_COLS " FROM teams WHERE id = ?1",
    [ST_TEAM_UPDATE] = "UPDATE teams SET name = ?2, topics_json = ?3 WHERE id = ?1",
    [ST_TEAM_CLEAR_SESSIONS] = "UPDATE sessions SET team_id = NULL WHERE team_id = ?1",
    [ST_TEAM_CLEAR_MEMBERS] = "DELETE FROM team_members WHERE team_id = ?1",
    [ST_TEAM_DELETE] = "DELETE FROM teams WHERE id = ?1",
    [ST_TEAM_LIST] = "SELECT " TEAM_COLS " FROM teams WHERE position < ?1 "
                     "ORDER BY position DESC LIMIT ?2",
    [ST_TEAM_BY_TOPIC] = "SELECT id FROM teams WHERE EXISTS (SELECT 1 FROM json_each(topics_json) "
                         "j WHERE lower(j.value) = lower(?1)) ORDER BY position LIMIT 1",
    [ST_TEAM_MEMBER_ADD] = "INSERT INTO team_members (team_id, agent_id) VALUES (?1, ?2) "
                           "ON CONFLICT DO NOTHING",
    [ST_TEAM_MEMBER_REMOVE] = "DELETE FROM team_members WHERE team_id = ?1 AND agent_id = ?2",
    [ST_TEAM_HAS_MEMBER] = "SELECT 1 FROM team_members WHERE team_id = ?1 AND agent_id = ?2",
    [ST_SESSION_SET_QUEUE_POSITION] = "UPDATE sessions SET queue_position = ?2 WHERE id = ?1",
    [ST_SESSION_LIST_LABEL] = SESSION_LIST(SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_STATUS] = SESSION_LIST(" AND status = ?3" SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_CUSTOMER] = SESSION_LIST(" AND customer_id = ?4" SESSION_HAS_LABEL),
    [ST_SESSION_LIST_LABEL_STATUS_CUSTOMER] =
        SESSION_LIST(" AND status = ?3 AND customer_id = ?4" SESSION_HAS_LABEL),
    /* The tools' pages select the position first (the cursor), then the
     * row; ?1 is the position bound and ?2 the row limit, as above. */
    [ST_CANNED_INSERT] = "INSERT INTO canned_responses (id, owner_id, shortcode, title, content, "
                         "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_CANNED_GET] = "SELECT " CANNED_COLS " FROM canned_responses WHERE id = ?1",
    [ST_CANNED_UPDATE] = "UPDATE canned_responses SET shortcode = ?2, title = ?3, content = ?4, "
                         "updated_at = ?5 WHERE id = ?1",
    [ST_CANNED_DELETE] = "DELETE FROM canned_responses WHERE id = ?1",
    [ST_CANNED_LIST] = "SELECT position, " CANNED_COLS " FROM canned_responses "
                       "WHERE position < ?1 AND (owner_id IS NULL OR owner_id = ?3) "
                       "AND substr(shortcode, 1, length(?4)) = ?4 "
                       "ORDER BY position DESC LIMIT ?2",
    [ST_NOTE_INSERT] = "INSERT INTO session_notes (id, session_id, author_kind, author_id, "
                       "content, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_NOTE_LIST] = "SELECT position, id, session_id, author_kind, author_id, content, "
                     "created_at FROM session_notes WHERE session_id = ?3 AND position < ?1 "
                     "ORDER BY position DESC LIMIT ?2",
    /* the WHERE of the upsert keeps last_read_seq from ever going down */
    [ST_READ_MARK] = "INSERT INTO read_receipts (session_id, participant_kind, participant_id, "
                     "last_read_seq, read_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT (session_id, participant_kind, participant_id) DO UPDATE SET "
                     "last_read_seq = excluded.last_read_seq, read_at = excluded.read_at "
                     "WHERE excluded.last_read_seq > read_receipts.last_read_seq",
    [ST_READ_LIST] = "SELECT participant_kind, participant_id, last_read_seq, read_at "
                     "FROM read_receipts WHERE session_id = ?1 "
                     "ORDER BY participant_kind, participant_id",
    [ST_LABEL_INSERT] = "INSERT INTO labels (name, color, created_at) VALUES (?1, ?2, ?3)",
    [ST_LABEL_GET] = "SELECT name, color, created_at FROM labels WHERE name = ?1",
    [ST_LABEL_DELETE] = "DELETE FROM labels WHERE name = ?1",
    [ST_LABEL_LIST] = "SELECT position, name, color, created_at FROM labels WHERE position < ?1 "
                      "ORDER BY position DESC LIMIT ?2",
    [ST_SESSION_LABEL_ADD] = "INSERT INTO session_labels (session_id, label, added_at) "
                             "VALUES (?1, ?2, ?3)",
    [ST_SESSION_LABEL_REMOVE] = "DELETE FROM session_labels WHERE session_id = ?1 AND label = ?2",
    /* FTS5 walks its rowids newest first; the joins only add columns and
     * the optional session and customer scope */
    [ST_MESSAGE_SEARCH] =
        "SELECT f.rowid, m.id AS message_id, m.session_id, m.seq, m.sender_kind, m.sender_id, "
        "m.type, m.created_at, snippet(message_fts, 0, char(2), char(3), '…', 16) AS snippet "
        "FROM message_fts f JOIN messages m ON m.id = f.message_id "
        "JOIN sessions s ON s.id = m.session_id "
        "WHERE message_fts MATCH ?3 AND f.rowid < ?1 AND (?4 IS NULL OR f.session_id = ?4) "
        "AND (?5 IS NULL OR s.customer_id = ?5) ORDER BY f.rowid DESC LIMIT ?2",
    /* walks UNIQUE (session_id, seq) from the receipt on, at most ?4 rows */
    [ST_SEARCH_PROGRESS_GET] = "SELECT last_rowid FROM search_progress WHERE id = 1",
    [ST_SEARCH_BATCH_END] = "SELECT max(rowid) FROM (SELECT rowid FROM messages WHERE rowid > ?1 "
                            "ORDER BY rowid LIMIT ?2)",
    [ST_SEARCH_INDEX_RANGE] = "INSERT INTO message_fts (content, message_id, session_id) "
                              "SELECT content, id, session_id FROM messages WHERE rowid > ?1 "
                              "AND rowid <= ?2 ORDER BY rowid",
    [ST_SEARCH_PROGRESS_SET] = "UPDATE search_progress SET last_rowid = ?1 WHERE id = 1",
    [ST_UNREAD_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM messages WHERE session_id = ?1 "
                        "AND seq > ifnull((SELECT last_read_seq FROM read_receipts WHERE "
                        "session_id = ?1 AND participant_kind = ?2 AND participant_id = ?3), 0) "
                        "AND NOT (sender_kind = ?2 AND sender_id = ?3) LIMIT ?4)",
    [ST_SESSION_FIRST_RESPONSE] = "UPDATE sessions SET first_response_at = ?2 "
                                  "WHERE id = ?1 AND first_response_at IS NULL",
    [ST_SESSION_LIST_IDLE] = "SELECT " SESSION_COLS " FROM sessions WHERE status IN ('waiting', "
                             "'active') AND " SESSION_ACTIVITY " < ?1 ORDER BY position LIMIT ?2",
    [ST_TICKET_NOTE_INSERT] = "INSERT INTO ticket_notes (id, ticket_id, author_id, body, "
                              "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_TICKET_NOTE_LIST] = "SELECT " NOTE_COLS " FROM ticket_notes WHERE position < ?1 AND "
                            "ticket_id = ?3 ORDER BY position DESC LIMIT ?2",
    [ST_FEEDBACK_LIST] = "SELECT " FEEDBACK_LIST_COLS " FROM feedback f JOIN sessions s ON "
                         "s.id = f.session_id WHERE f.rowid < ?1 AND (?3 IS NULL OR "
                         "s.agent_id = ?3) AND f.created_at >= ?4 AND f.created_at < ?5 "
                         "ORDER BY f.rowid DESC LIMIT ?2",
    [ST_REPORT_FIRST_RESPONSE] = "SELECT s.first_response_at - s.created_at FROM sessions s "
                                 "WHERE" REPORT_RANGE " AND s.first_response_at IS NOT NULL "
                                 "ORDER BY 1",
    [ST_REPORT_RESOLUTION] = "SELECT s.closed_at - s.created_at FROM sessions s WHERE" REPORT_RANGE
                             " AND s.closed_at IS NOT NULL ORDER BY 1",
    [ST_REPORT_AGENTS] = "SELECT s.agent_id, a.name, count(*), "
                         "coalesce(sum(s.status = 'closed'), 0), "
                         "coalesce(sum(s.first_response_at - s.created_at), 0), "
                         "count(s.first_response_at), coalesce(sum(f.rating), 0), count(f.rating) "
                         "FROM sessions s LEFT JOIN agents a ON a.id = s.agent_id "
                         "LEFT JOIN feedback f ON f.session_id = s.id WHERE" REPORT_RANGE
                         " AND s.agent_id IS NOT NULL GROUP BY s.agent_id ORDER BY s.agent_id",
    [ST_REPORT_RATINGS] = "SELECT f.rating, count(*) FROM feedback f JOIN sessions s ON "
                          "s.id = f.session_id WHERE" REPORT_RANGE " GROUP BY f.rating",
};

struct sqlite_repo {
    parley_repository base; /* first, so the handle converts both ways */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
};

static struct sqlite_repo *as_sqlite(parley_repository *repo) {
    return (struct sqlite_repo *)repo;
}

/* ---- errors ------------------------------------------------------------ */

/* The one place SQLite result codes become parley statuses. msg is SQLite's
 * own text, which names tables and columns but never bound values, so user
 * data (passwords, message text) cannot leak into logs or responses. */
static parley_status map_sqlite(int rc, const char *msg, const char *op, parley_error *err) {
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
    return parley_error_set(err, status, NULL, "%s: %s", op,
                            msg != NULL ? msg : sqlite3_errstr(rc));
}

/* Must run before the statement is reset, which may replace the message. */
static parley_status db_fail(sqlite3 *db, int rc, const char *op, parley_error *err) {
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

static binder bind_start(struct sqlite_repo *r, enum stmt_id id) {
    binder b = {r->stmt[id], SQLITE_OK, NULL};
    return b;
}

static void b_invalid(binder *b, const char *why) {
    if (b->invalid == NULL) {
        b->invalid = why;
    }
}

static void b_text_n(binder *b, int idx, const char *s, size_t len) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_text(b->st, idx, s, (int)len, SQLITE_STATIC);
    }
}

/* NULL stays NULL: the nullable model fields round-trip exactly. */
static void b_text(binder *b, int idx, const char *s) {
    if (b->rc != SQLITE_OK) {
        return;
    }
    b->rc = s == NULL ? sqlite3_bind_null(b->st, idx)
                      : sqlite3_bind_text(b->st, idx, s, -1, SQLITE_STATIC);
}

/* Ids live in fixed arrays; strnlen keeps an unterminated one from being
 * read past its end. */
static void b_id(binder *b, int idx, const char *id) {
    size_t len = strnlen(id, PARLEY_ID_SIZE);
    if (len == 0) {
        b_invalid(b, "a required id is empty");
    }
    b_text_n(b, idx, id, len);
}

/* An optional id ("" = none) is NULL in the database so foreign keys hold. */
static void b_opt_id(binder *b, int idx, const char *id) {
    size_t len = strnlen(id, PARLEY_ID_SIZE);
    if (len == 0) {
        if (b->rc == SQLITE_OK) {
            b->rc = sqlite3_bind_null(b->st, idx);
        }
        return;
    }
    b_text_n(b, idx, id, len);
}

/* name is NULL when the enum value has no wire name (see ENUM_CODEC). */
static void b_enum(binder *b, int idx, const char *name) {
    if (name == NULL) {
        b_invalid(b, "an enum value is out of range");
        return;
    }
    b_text(b, idx, name);
}

static void b_i64(binder *b, int idx, int64_t v) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int64(b->st, idx, v);
    }
}

/* An optional time (0 = none) is NULL. */
static void b_opt_time(binder *b, int idx, parley_time_ms t) {
    if (b->rc == SQLITE_OK) {
        b->rc = t != 0 ? sqlite3_bind_int64(b->st, idx, t) : sqlite3_bind_null(b->st, idx);
    }
}

static void b_int(binder *b, int idx, int v) {
    if (b->rc == SQLITE_OK) {
        b->rc = sqlite3_bind_int(b->st, idx, v);
    }
}

static parley_status bind_check(struct sqlite_repo *r, const binder *b, const char *op,
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
static void stmt_done(sqlite3_stmt *st) {
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

static row_reader reader_start(sqlite3_stmt *st) {
    row_reader rd = {st, PARLEY_OK, -1};
    return rd;
}

static void r_bad(row_reader *rd, int col) {
    if (rd->status == PARLEY_OK) {
        rd->status = PARLEY_E_STORAGE;
        rd->bad_column = col;
    }
}

static void r_nomem(row_reader *rd) {
    if (rd->status == PARLEY_OK) {
        rd->status = PARLEY_E_NOMEM;
    }
}

static char *r_text(row_reader *rd, int col) {
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
static void r_fixed(row_reader *rd, int col, char *out, size_t size) {
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

static void r_id(row_reader *rd, int col, char out[PARLEY_ID_SIZE]) {
    r_fixed(rd, col, out, PARLEY_ID_SIZE);
}

static int64_t r_i64(row_reader *rd, int col) {
    return sqlite3_column_int64(rd->st, col);
}

static bool r_bool(row_reader *rd, int col) {
    return sqlite3_column_int(rd->st, col) != 0;
}

static parley_status reader_finish(const row_reader *rd, const char *op, parley_error *err) {
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
    static const char *prefix##_store(type value) {                                                \
        const char *name = parley_##prefix##_name(value);                                          \
        type back;                                                                                 \
        return parley_##prefix##_from_name(name, &back) && back == value ? name : NULL;            \
    }                                                                                              \
    static type prefix##_load(row_reader *rd, int col) {                                           \
        type value = (type)0;                                                                      \
        if (!parley_##prefix##_from_name((const char *)sqlite3_column_text(rd->st, col),           \
                                         &value)) {                                                \
            r_bad(rd, col);                                                                        \
        }                                                                                          \
        return value;                                                                              \
    }

ENUM_CODEC(participant_kind, parley_participant_kind)
ENUM_CODEC(agent_role, parley_agent_role)
ENUM_CODEC(agent_status, parley_agent_status)
ENUM_CODEC(session_status, parley_session_status)
ENUM_CODEC(message_type, parley_message_type)
ENUM_CODEC(ticket_status, parley_ticket_status)
ENUM_CODEC(ticket_priority, parley_ticket_priority)

/* Column order follows the *_COLS macros. */
static void read_customer(row_reader *rd, parley_customer *c) {
    r_id(rd, 0, c->id);
    c->name = r_text(rd, 1);
    c->email = r_text(rd, 2);
    c->identifier = r_text(rd, 3);
    c->language = r_text(rd, 4);
    c->verified = r_bool(rd, 5);
    c->created_at = r_i64(rd, 6);
}

static void read_agent(row_reader *rd, parley_agent *a) {
    r_id(rd, 0, a->id);
    a->name = r_text(rd, 1);
    a->email = r_text(rd, 2);
    a->language = r_text(rd, 3);
    a->role = agent_role_load(rd, 4);
    a->status = agent_status_load(rd, 5);
    a->active = r_bool(rd, 6);
    a->created_at = r_i64(rd, 7);
    a->status_since = r_i64(rd, 8);
}

static void read_bot(row_reader *rd, parley_bot *b) {
    r_id(rd, 0, b->id);
    b->name = r_text(rd, 1);
    b->active = r_bool(rd, 2);
    b->created_at = r_i64(rd, 3);
}

static void read_token(row_reader *rd, parley_token *t) {
    r_fixed(rd, 0, t->token_hash, sizeof t->token_hash);
    t->owner_kind = participant_kind_load(rd, 1);
    r_id(rd, 2, t->owner_id);
    t->created_at = r_i64(rd, 3);
    t->last_used_at = r_i64(rd, 4);
    t->expires_at = r_i64(rd, 5);
}

#define SESSION_POSITION_COL 9
static void read_session(row_reader *rd, parley_session *s) {
    r_id(rd, 0, s->id);
    r_id(rd, 1, s->customer_id);
    r_id(rd, 2, s->agent_id);
    s->topic = r_text(rd, 3);
    s->strategies_json = r_text(rd, 4);
    s->status = session_status_load(rd, 5);
    s->last_seq = r_i64(rd, 6);
    s->created_at = r_i64(rd, 7);
    s->updated_at = r_i64(rd, 8);
    r_id(rd, 10, s->bot_id);
    r_id(rd, 11, s->team_id);
    s->queued_at = r_i64(rd, 12);
    s->assigned_at = r_i64(rd, 13);
    s->labels_json = r_text(rd, 14);
    s->closed_at = r_i64(rd, 15); /* NULL reads as 0: none */
    s->first_response_at = r_i64(rd, 16);
}

static void read_message(row_reader *rd, parley_message *m) {
    r_id(rd, 0, m->id);
    r_id(rd, 1, m->session_id);
    m->seq = r_i64(rd, 2);
    m->sender_kind = participant_kind_load(rd, 3);
    r_id(rd, 4, m->sender_id);
    m->type = message_type_load(rd, 5);
    m->content = r_text(rd, 6);
    m->client_msg_id = r_text(rd, 7);
    m->meta_json = r_text(rd, 8);
    m->created_at = r_i64(rd, 9);
    m->original_content = r_text(rd, 10);
}

#define TICKET_POSITION_COL 7
static void read_ticket(row_reader *rd, parley_ticket *t) {
    r_id(rd, 0, t->id);
    r_id(rd, 1, t->session_id);
    r_id(rd, 2, t->agent_id);
    t->issue_description = r_text(rd, 3);
    t->status = ticket_status_load(rd, 4);
    t->created_at = r_i64(rd, 5);
    t->updated_at = r_i64(rd, 6);
    r_id(rd, 8, t->customer_id);
    t->subject = r_text(rd, 9);
    t->priority = ticket_priority_load(rd, 10);
}

static void read_feedback(row_reader *rd, parley_feedback *f) {
    r_id(rd, 0, f->id);
    r_id(rd, 1, f->session_id);
    r_id(rd, 2, f->customer_id);
    f->rating = sqlite3_column_int(rd->st, 3);
    f->comment = r_text(rd, 4);
    f->created_at = r_i64(rd, 5);
}

/* ---- running statements ------------------------------------------------ */

/* Runs a statement that returns no rows. With must_change, zero affected
 * rows means the keyed row does not exist. Always resets. */
static parley_status exec_write(struct sqlite_repo *r, binder *b, bool must_change, const char *op,
                                const char *what, parley_error *err) {
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

static parley_status exec_plain(struct sqlite_repo *r, enum stmt_id id, const char *op,
                                parley_error *err) {
    binder b = bind_start(r, id);
    return exec_write(r, &b, false, op, "", err);
}

/* Steps to the first row. On PARLEY_OK the row is current and the caller
 * reads it; the caller resets the statement in every case. */
static parley_status fetch_one(struct sqlite_repo *r, const binder *b, const char *op,
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

/* ---- transactions ------------------------------------------------------ */

static parley_status sq_begin(parley_repository *repo, parley_error *err) {
    return exec_plain(as_sqlite(repo), ST_BEGIN, "begin", err);
}

static parley_status sq_commit(parley_repository *repo, parley_error *err) {
    return exec_plain(as_sqlite(repo), ST_COMMIT, "commit", err);
}

/* SQLite rolls a transaction back by itself after some errors (SQLITE_FULL,
 * IOERR, NOMEM); the caller's rollback then has nothing left to undo and
 * must not fail for it. */
static parley_status sq_rollback(parley_repository *repo, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    if (sqlite3_get_autocommit(r->db)) {
        return PARLEY_OK;
    }
    return exec_plain(r, ST_ROLLBACK, "rollback", err);
}

static parley_status sq_savepoint(parley_repository *repo, parley_error *err) {
    return exec_plain(as_sqlite(repo), ST_SAVEPOINT, "savepoint", err);
}

static parley_status sq_release(parley_repository *repo, parley_error *err) {
    return exec_plain(as_sqlite(repo), ST_RELEASE, "release", err);
}

/* ROLLBACK TO undoes the unit but leaves its savepoint open; releasing it
 * right away keeps the savepoint stack flat however many units of a batch
 * fail, and makes the next savepoint() a fresh unit. */
static parley_status sq_rollback_to(parley_repository *repo, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    parley_status status = exec_plain(r, ST_ROLLBACK_TO, "rollback_to", err);
    if (status != PARLEY_OK) {
        return status;
    }
    return exec_plain(r, ST_RELEASE, "rollback_to", err);
}

/* ---- customers --------------------------------------------------------- */

static parley_status sq_customer_insert(parley_repository *repo, const parley_customer *c,
                                        parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CUSTOMER_INSERT);
    b_id(&b, 1, c->id);
    b_text(&b, 2, c->name);
    b_text(&b, 3, c->email);
    b_text(&b, 4, c->identifier);
    b_text(&b, 5, c->language);
    b_int(&b, 6, c->verified ? 1 : 0);
    b_i64(&b, 7, c->created_at);
    return exec_write(r, &b, false, "customer_insert", "customer", err);
}

static parley_status customer_fetch(struct sqlite_repo *r, const binder *b, parley_customer *out,
                                    const char *op, parley_error *err) {
    parley_status status = fetch_one(r, b, op, "customer", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b->st);
        read_customer(&rd, out);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK) {
            parley_customer_free(out);
        }
    }
    stmt_done(b->st);
    return status;
}

static parley_status sq_customer_get(parley_repository *repo, const char *id, parley_customer *out,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CUSTOMER_GET);
    b_text(&b, 1, id);
    return customer_fetch(r, &b, out, "customer_get", err);
}

static parley_status sq_customer_find_by_identifier(parley_repository *repo, const char *identifier,
                                                    parley_customer *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_CUSTOMER_BY_IDENTIFIER);
    b_text(&b, 1, identifier);
    return customer_fetch(r, &b, out, "customer_find_by_identifier", err);
}

/* ---- agents ------------------------------------------------------------ */

static parley_status sq_agent_insert(parley_repository *repo, const parley_agent *a,
                                     const char *password_hash, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_INSERT);
    b_id(&b, 1, a->id);
    b_text(&b, 2, a->name);
    b_text(&b, 3, a->email);
    b_text(&b, 4, a->language);
    b_enum(&b, 5, agent_role_store(a->role));
    b_enum(&b, 6, agent_status_store(a->status));
    b_int(&b, 7, a->active ? 1 : 0);
    b_i64(&b, 8, a->created_at);
    b_text(&b, 9, password_hash);
    return exec_write(r, &b, false, "agent_insert", "agent", err);
}

static parley_status sq_agent_get(parley_repository *repo, const char *id, parley_agent *out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_AGENT_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "agent_get", "agent", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_agent(&rd, out);
        status = reader_finish(&rd, "agent_get", err);
        if (status != PARLEY_OK) {
            parley_agent_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_get_by_email(parley_repository *repo, const char *email,
                                           parley_agent *out, char **password_hash_out,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (password_hash_out != NULL) {
        *password_hash_out = NULL;
    }
    binder b = bind_start(r, ST_AGENT_BY_EMAIL);
    b_text(&b, 1, email);
    parley_status status = fetch_one(r, &b, "agent_get_by_email", "agent", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_agent(&rd, out);
        char *hash = password_hash_out != NULL ? r_text(&rd, 9) : NULL;
        status = reader_finish(&rd, "agent_get_by_email", err);
        if (status != PARLEY_OK) {
            parley_agent_free(out);
            free(hash);
        } else if (password_hash_out != NULL) {
            *password_hash_out = hash;
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_list(parley_repository *repo, parley_agent_list *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_AGENT_LIST];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_agent *a = parley_agent_list_push(out);
        if (a == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "agent_list: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        read_agent(&rd, a);
        status = reader_finish(&rd, "agent_list", err);
        if (status != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "agent_list", err);
    }
    if (status != PARLEY_OK) {
        parley_agent_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_agent_count(parley_repository *repo, int64_t *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_AGENT_COUNT);
    parley_status status = fetch_one(r, &b, "agent_count", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_agent_update(parley_repository *repo, const parley_agent *a,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_UPDATE);
    b_id(&b, 1, a->id);
    b_text(&b, 2, a->name);
    b_text(&b, 3, a->language);
    b_enum(&b, 4, agent_role_store(a->role));
    b_enum(&b, 5, agent_status_store(a->status));
    b_int(&b, 6, a->active ? 1 : 0);
    return exec_write(r, &b, true, "agent_update", "agent", err);
}

static parley_status sq_agent_count_active_admins(parley_repository *repo, int64_t *out,
                                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_AGENT_COUNT_ADMINS);
    parley_status status = fetch_one(r, &b, "agent_count_active_admins", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

/* ---- bots -------------------------------------------------------------- */

static parley_status sq_bot_insert(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_BOT_INSERT);
    b_id(&b, 1, bot->id);
    b_text(&b, 2, bot->name);
    b_int(&b, 3, bot->active ? 1 : 0);
    b_i64(&b, 4, bot->created_at);
    return exec_write(r, &b, false, "bot_insert", "bot", err);
}

static parley_status sq_bot_get(parley_repository *repo, const char *id, parley_bot *out,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_BOT_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "bot_get", "bot", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_bot(&rd, out);
        status = reader_finish(&rd, "bot_get", err);
        if (status != PARLEY_OK) {
            parley_bot_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_bot_list(parley_repository *repo, parley_bot_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_BOT_LIST];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_bot *bot = parley_bot_list_push(out);
        if (bot == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "bot_list: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        read_bot(&rd, bot);
        if ((status = reader_finish(&rd, "bot_list", err)) != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "bot_list", err);
    }
    if (status != PARLEY_OK) {
        parley_bot_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_bot_update(parley_repository *repo, const parley_bot *bot,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_BOT_UPDATE);
    b_id(&b, 1, bot->id);
    b_text(&b, 2, bot->name);
    b_int(&b, 3, bot->active ? 1 : 0);
    return exec_write(r, &b, true, "bot_update", "bot", err);
}

/* ---- tokens ------------------------------------------------------------ */

static void b_token_hash(binder *b, int idx, const char *hash) {
    size_t len = strnlen(hash, PARLEY_TOKEN_HASH_SIZE);
    if (len == 0 || len == PARLEY_TOKEN_HASH_SIZE) {
        b_invalid(b, "token hash must be 1..64 characters");
    }
    b_text_n(b, idx, hash, len);
}

static parley_status sq_token_insert(parley_repository *repo, const parley_token *t,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_INSERT);
    b_token_hash(&b, 1, t->token_hash);
    b_enum(&b, 2, participant_kind_store(t->owner_kind));
    b_id(&b, 3, t->owner_id);
    b_i64(&b, 4, t->created_at);
    b_i64(&b, 5, t->last_used_at);
    b_i64(&b, 6, t->expires_at);
    return exec_write(r, &b, false, "token_insert", "token", err);
}

static parley_status sq_token_get(parley_repository *repo, const char *token_hash,
                                  parley_token *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TOKEN_GET);
    b_text(&b, 1, token_hash);
    parley_status status = fetch_one(r, &b, "token_get", "token", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_token(&rd, out);
        status = reader_finish(&rd, "token_get", err);
        if (status != PARLEY_OK) {
            memset(out, 0, sizeof *out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_token_touch(parley_repository *repo, const char *token_hash,
                                    parley_time_ms last_used_at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_TOUCH);
    b_text(&b, 1, token_hash);
    b_i64(&b, 2, last_used_at);
    return exec_write(r, &b, true, "token_touch", "token", err);
}

/* A missing token is NOT_FOUND rather than success, so logout can tell a
 * stale token from a revoked one; callers that do not care ignore it. */
static parley_status sq_token_delete(parley_repository *repo, const char *token_hash,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_DELETE);
    b_text(&b, 1, token_hash);
    return exec_write(r, &b, true, "token_delete", "token", err);
}

static parley_status sq_token_delete_by_owner(parley_repository *repo,
                                              parley_participant_kind owner_kind,
                                              const char *owner_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TOKEN_DELETE_OWNER);
    b_enum(&b, 1, participant_kind_store(owner_kind));
    b_id(&b, 2, owner_id);
    return exec_write(r, &b, false, "token_delete_by_owner", "token", err);
}

/* ---- sessions ---------------------------------------------------------- */

static parley_status sq_session_insert(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_INSERT);
    b_id(&b, 1, s->id);
    b_id(&b, 2, s->customer_id);
    b_opt_id(&b, 3, s->agent_id);
    b_text(&b, 4, s->topic);
    b_text(&b, 5, s->strategies_json);
    b_enum(&b, 6, session_status_store(s->status));
    b_i64(&b, 7, s->last_seq);
    b_i64(&b, 8, s->created_at);
    b_i64(&b, 9, s->updated_at);
    b_opt_id(&b, 10, s->bot_id);
    return exec_write(r, &b, false, "session_insert", "session", err);
}

static parley_status sq_session_get(parley_repository *repo, const char *id, parley_session *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_SESSION_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "session_get", "session", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_session(&rd, out);
        status = reader_finish(&rd, "session_get", err);
        if (status != PARLEY_OK) {
            parley_session_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_session_update(parley_repository *repo, const parley_session *s,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_UPDATE);
    b_id(&b, 1, s->id);
    b_enum(&b, 2, session_status_store(s->status));
    b_opt_id(&b, 3, s->agent_id);
    b_i64(&b, 4, s->updated_at);
    b_opt_id(&b, 5, s->bot_id);
    b_opt_time(&b, 6, s->closed_at);
    return exec_write(r, &b, true, "session_update", "session", err);
}

/* Outside a transaction the increment would commit on its own and a failed
 * message insert would leave a gap in seq; the contract forbids that, so
 * the mistake is reported instead of silently tolerated. */
static parley_status sq_session_next_seq(parley_repository *repo, const char *session_id,
                                         int64_t *seq_out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *seq_out = 0;
    if (sqlite3_get_autocommit(r->db)) {
        return parley_error_set(err, PARLEY_E_INTERNAL, NULL,
                                "session_next_seq: must run inside a transaction");
    }
    binder b = bind_start(r, ST_SESSION_NEXT_SEQ);
    b_text(&b, 1, session_id);
    parley_status status = fetch_one(r, &b, "session_next_seq", "session", err);
    if (status == PARLEY_OK) {
        int64_t seq = sqlite3_column_int64(b.st, 0);
        /* Step to DONE so the UPDATE has certainly finished before we
         * report its result. */
        int rc = sqlite3_step(b.st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, "session_next_seq", err);
        } else {
            *seq_out = seq;
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- list paging (sessions, tickets) ------------------------------------ */

/* The cursor is the decimal position of the last row of the previous page;
 * the next page is everything strictly older. "" starts at the newest. */
static bool parse_cursor(const char *cursor, size_t size, int64_t *before) {
    size_t len = strnlen(cursor, size);
    if (len == 0) {
        *before = INT64_MAX;
        return true;
    }
    if (len == size || len > 19) {
        return false;
    }
    int64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (cursor[i] < '0' || cursor[i] > '9') {
            return false;
        }
        int digit = cursor[i] - '0';
        if (value > (INT64_MAX - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    if (value <= 0) {
        return false;
    }
    *before = value;
    return true;
}

static int clamp_limit(int limit) {
    if (limit < 1) {
        return 1;
    }
    return limit > LIST_LIMIT_MAX ? LIST_LIMIT_MAX : limit;
}

/* Binds the shared list parameters and picks the filter variant. status_name
 * is NULL for "any status". */
static parley_status page_bind(struct sqlite_repo *r, enum stmt_id base, const char *status_name,
                               const char *customer_id, size_t customer_id_size, const char *cursor,
                               size_t cursor_size, int limit, binder *b, const char *op,
                               parley_error *err) {
    size_t customer_len = strnlen(customer_id, customer_id_size);
    int variant = (status_name != NULL ? 1 : 0) + (customer_len > 0 ? 2 : 0);
    *b = bind_start(r, (enum stmt_id)(base + variant));
    int64_t before;
    if (!parse_cursor(cursor, cursor_size, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: malformed cursor", op);
    }
    b_i64(b, 1, before);
    /* One row more than asked tells whether another page exists. */
    b_int(b, 2, limit + 1);
    if (status_name != NULL) {
        b_text(b, 3, status_name);
    }
    if (customer_len > 0) {
        b_text_n(b, 4, customer_id, customer_len);
    }
    return bind_check(r, b, op, err);
}

static parley_status page_cursor(bool more, int64_t last_position, char *next_cursor_out,
                                 size_t next_cursor_size, const char *op, parley_error *err) {
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

/* Sessions and tickets page the same way (newest first by position, an
 * optional status and customer filter, limit+1 rows to know whether more
 * follow); only the row type differs. */
typedef struct page_kind {
    int stmt;
    int position_col;
    void *(*push)(void *list);
    void (*read)(row_reader *rd, void *item);
    void (*free_list)(void *list);
} page_kind;

static parley_status page_run(struct sqlite_repo *r, const page_kind *kind, const char *op,
                              binder *bound, int limit, void *out, char *next_cursor_out,
                              size_t next_cursor_size, parley_error *err);

static parley_status page_list(struct sqlite_repo *r, const page_kind *kind, const char *op,
                               const char *status_name, const char *customer_id,
                               size_t customer_id_size, const char *cursor, size_t cursor_size,
                               int requested_limit, void *out, char *next_cursor_out,
                               size_t next_cursor_size, parley_error *err) {
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    int limit = clamp_limit(requested_limit);
    binder b;
    parley_status status = page_bind(r, kind->stmt, status_name, customer_id, customer_id_size,
                                     cursor, cursor_size, limit, &b, op, err);
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, kind, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* Steps a bound page statement (?2 = limit + 1) into out and sets the
 * next cursor; always resets the statement. */
static parley_status page_run(struct sqlite_repo *r, const page_kind *kind, const char *op,
                              binder *bound, int limit, void *out, char *next_cursor_out,
                              size_t next_cursor_size, parley_error *err) {
    binder b = *bound;
    parley_status status = PARLEY_OK;
    bool more = false;
    int64_t last_position = 0;
    size_t count = 0;
    int rc;
    while ((rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        if (count == (size_t)limit) {
            more = true;
            break;
        }
        void *item = kind->push(out);
        if (item == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        count++;
        row_reader rd = reader_start(b.st);
        kind->read(&rd, item);
        last_position = r_i64(&rd, kind->position_col);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    if (status == PARLEY_OK) {
        status = page_cursor(more, last_position, next_cursor_out, next_cursor_size, op, err);
    }
    if (status != PARLEY_OK) {
        kind->free_list(out);
    }
    stmt_done(b.st);
    return status;
}

static void *push_session(void *list) {
    return parley_session_list_push(list);
}
static void read_session_item(row_reader *rd, void *item) {
    read_session(rd, item);
}
static void free_session_list(void *list) {
    parley_session_list_free(list);
}

static const page_kind session_page = {ST_SESSION_LIST, SESSION_POSITION_COL, push_session,
                                       read_session_item, free_session_list};

static parley_status sq_session_list(parley_repository *repo, const parley_session_filter *filter,
                                     parley_session_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    const char *op = "session_list";
    memset(out, 0, sizeof *out);
    const char *status_name = NULL;
    if (filter->status >= 0 &&
        (status_name = session_status_store((parley_session_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown status", op);
    }
    page_kind kind = session_page;
    struct sqlite_repo *r = as_sqlite(repo);
    size_t label_len = strnlen(filter->label, sizeof filter->label);
    sqlite3_stmt *labelled = NULL;
    if (label_len > 0) {
        /* the same variant page_bind picks, from the label base; ?5 is
         * bound here and cleared with the rest when page_list is done */
        int variant = (status_name != NULL ? 1 : 0) +
                      (strnlen(filter->customer_id, sizeof filter->customer_id) > 0 ? 2 : 0);
        kind.stmt = ST_SESSION_LIST_LABEL;
        labelled = r->stmt[ST_SESSION_LIST_LABEL + variant];
        int rc = sqlite3_bind_text(labelled, 5, filter->label, (int)label_len, SQLITE_STATIC);
        if (rc != SQLITE_OK) {
            parley_status status = db_fail(r->db, rc, op, err);
            stmt_done(labelled);
            return status;
        }
    }
    parley_status status = page_list(
        r, &kind, op, status_name, filter->customer_id, sizeof filter->customer_id, filter->cursor,
        sizeof filter->cursor, filter->limit, out, next_cursor_out, next_cursor_size, err);
    if (labelled != NULL) {
        stmt_done(labelled); /* page_list may have failed before stepping it */
    }
    return status;
}

/* ---- messages ---------------------------------------------------------- */

static parley_status sq_message_insert(parley_repository *repo, const parley_message *m,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_INSERT);
    b_id(&b, 1, m->id);
    b_id(&b, 2, m->session_id);
    b_i64(&b, 3, m->seq);
    b_enum(&b, 4, participant_kind_store(m->sender_kind));
    /* Stored as-is, "" included: system messages have no sender id, and
     * NULL would make the client_msg_id uniqueness never match. */
    b_text_n(&b, 5, m->sender_id, strnlen(m->sender_id, PARLEY_ID_SIZE));
    b_enum(&b, 6, message_type_store(m->type));
    b_text(&b, 7, m->content);
    b_text(&b, 8, m->client_msg_id);
    b_text(&b, 9, m->meta_json);
    b_i64(&b, 10, m->created_at);
    b_text(&b, 11, m->original_content);
    return exec_write(r, &b, false, "message_insert", "message", err);
}

static parley_status sq_message_find_by_client_id(parley_repository *repo,
                                                  parley_participant_kind sender_kind,
                                                  const char *sender_id, const char *client_msg_id,
                                                  parley_message *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "message_find_by_client_id";
    memset(out, 0, sizeof *out);
    if (client_msg_id == NULL) {
        /* No stored message is findable by an absent client id. */
        return parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "message not found");
    }
    binder b = bind_start(r, ST_MESSAGE_BY_CLIENT_ID);
    b_enum(&b, 1, participant_kind_store(sender_kind));
    b_text(&b, 2, sender_id);
    b_text(&b, 3, client_msg_id);
    parley_status status = fetch_one(r, &b, op, "message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_message(&rd, out);
        status = reader_finish(&rd, op, err);
        if (status != PARLEY_OK) {
            parley_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_message_list(parley_repository *repo, const char *session_id,
                                     const parley_message_range *range, parley_message_list *out,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "message_list";
    memset(out, 0, sizeof *out);
    if (range->limit < 1 || range->limit > MESSAGE_LIMIT_MAX) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: limit must be 1..%d", op,
                                MESSAGE_LIMIT_MAX);
    }
    int64_t after = range->after_seq > 0 ? range->after_seq : 0;
    int64_t before = range->before_seq > 0 ? range->before_seq : INT64_MAX;
    /* Only before_seq: the newest `limit` before it, so walk down from it
     * and reverse afterwards. */
    bool newest = range->after_seq <= 0 && range->before_seq > 0;
    binder b = bind_start(r, newest ? ST_MESSAGE_LIST_DESC : ST_MESSAGE_LIST_ASC);
    b_text(&b, 1, session_id);
    b_i64(&b, 2, after);
    b_i64(&b, 3, before);
    b_int(&b, 4, range->limit);
    parley_status status = bind_check(r, &b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_message *m = parley_message_list_push(out);
        if (m == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        row_reader rd = reader_start(b.st);
        read_message(&rd, m);
        status = reader_finish(&rd, op, err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    if (status != PARLEY_OK) {
        parley_message_list_free(out);
    } else if (newest && out->count > 1) {
        for (size_t i = 0, j = out->count - 1; i < j; i++, j--) {
            parley_message tmp = out->items[i];
            out->items[i] = out->items[j];
            out->items[j] = tmp;
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- tickets ----------------------------------------------------------- */

static parley_status sq_ticket_insert(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_INSERT);
    b_id(&b, 1, t->id);
    b_id(&b, 2, t->session_id);
    b_opt_id(&b, 3, t->agent_id);
    b_text(&b, 4, t->issue_description);
    b_enum(&b, 5, ticket_status_store(t->status));
    b_i64(&b, 6, t->created_at);
    b_i64(&b, 7, t->updated_at);
    b_opt_id(&b, 8, t->customer_id);
    b_text(&b, 9, t->subject);
    b_enum(&b, 10, ticket_priority_store(t->priority));
    return exec_write(r, &b, false, "ticket_insert", "ticket", err);
}

static parley_status sq_ticket_get(parley_repository *repo, const char *id, parley_ticket *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TICKET_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "ticket_get", "ticket", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_ticket(&rd, out);
        status = reader_finish(&rd, "ticket_get", err);
        if (status != PARLEY_OK) {
            parley_ticket_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_ticket_update(parley_repository *repo, const parley_ticket *t,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_UPDATE);
    b_id(&b, 1, t->id);
    b_enum(&b, 2, ticket_status_store(t->status));
    b_opt_id(&b, 3, t->agent_id);
    b_text(&b, 4, t->issue_description);
    b_i64(&b, 5, t->updated_at);
    b_text(&b, 6, t->subject);
    b_enum(&b, 7, ticket_priority_store(t->priority));
    return exec_write(r, &b, true, "ticket_update", "ticket", err);
}

static void *push_ticket(void *list) {
    return parley_ticket_list_push(list);
}
static void read_ticket_item(row_reader *rd, void *item) {
    read_ticket(rd, item);
}
static void free_ticket_list(void *list) {
    parley_ticket_list_free(list);
}

static const page_kind ticket_page = {ST_TICKET_LIST, TICKET_POSITION_COL, push_ticket,
                                      read_ticket_item, free_ticket_list};

/* Binds ?1 (cursor) and ?2 (limit + 1) of a page statement. */
static parley_status page_bind_cursor(struct sqlite_repo *r, binder *b, const char *cursor,
                                      size_t cursor_size, int limit, const char *op,
                                      parley_error *err) {
    int64_t before;
    if (!parse_cursor(cursor, cursor_size, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: malformed cursor", op);
    }
    b_i64(b, 1, before);
    b_int(b, 2, limit + 1);
    (void)r;
    return PARLEY_OK;
}

/* "" (any) binds NULL, which the "?N IS NULL OR" terms read as no filter. */
static void b_filter(binder *b, int idx, const char *value, size_t size) {
    size_t len = strnlen(value, size);
    if (len == 0) {
        if (b->rc == SQLITE_OK) {
            b->rc = sqlite3_bind_null(b->st, idx);
        }
        return;
    }
    b_text_n(b, idx, value, len);
}

static parley_status sq_ticket_list(parley_repository *repo, const parley_ticket_filter *filter,
                                    parley_ticket_list *out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "ticket_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *status_name = NULL;
    const char *priority_name = NULL;
    if (filter->status >= 0 &&
        (status_name = ticket_status_store((parley_ticket_status)filter->status)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown status", op);
    }
    if (filter->has_priority && (priority_name = ticket_priority_store(filter->priority)) == NULL) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: unknown priority", op);
    }
    bool by_customer = strnlen(filter->customer_id, sizeof filter->customer_id) > 0;
    int limit = clamp_limit(filter->limit);
    binder b = bind_start(r, by_customer ? ST_TICKET_LIST_CUSTOMER : ST_TICKET_LIST);
    parley_status status =
        page_bind_cursor(r, &b, filter->cursor, sizeof filter->cursor, limit, op, err);
    if (status == PARLEY_OK) {
        b_text(&b, 3, status_name);
        if (by_customer) {
            b_filter(&b, 4, filter->customer_id, sizeof filter->customer_id);
        }
        b_text(&b, 5, priority_name);
        b_filter(&b, 6, filter->agent_id, sizeof filter->agent_id);
        b_filter(&b, 7, filter->session_id, sizeof filter->session_id);
        b_i64(&b, 8, filter->created_after > 0 ? filter->created_after : INT64_MIN);
        b_i64(&b, 9, filter->created_before > 0 ? filter->created_before : INT64_MAX);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &ticket_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* ---- ticket notes -------------------------------------------------------- */

static void read_note(row_reader *rd, parley_ticket_note *n) {
    r_id(rd, 0, n->id);
    r_id(rd, 1, n->ticket_id);
    r_id(rd, 2, n->author_id);
    n->body = r_text(rd, 3);
    n->created_at = r_i64(rd, 4);
}
static void *push_note(void *list) {
    return parley_ticket_note_list_push(list);
}
static void read_note_item(row_reader *rd, void *item) {
    read_note(rd, item);
}
static void free_note_list(void *list) {
    parley_ticket_note_list_free(list);
}
static const page_kind note_page = {ST_TICKET_NOTE_LIST, 5, push_note, read_note_item,
                                    free_note_list};

static parley_status sq_ticket_note_insert(parley_repository *repo, const parley_ticket_note *n,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TICKET_NOTE_INSERT);
    b_id(&b, 1, n->id);
    b_id(&b, 2, n->ticket_id);
    b_id(&b, 3, n->author_id);
    b_text(&b, 4, n->body);
    b_i64(&b, 5, n->created_at);
    return exec_write(r, &b, false, "ticket_note_insert", "ticket note", err);
}

static parley_status sq_ticket_note_list(parley_repository *repo, const char *ticket_id, int limit,
                                         const char *cursor, parley_ticket_note_list *out,
                                         char *next_cursor_out, size_t next_cursor_size,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "ticket_note_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *c = cursor != NULL ? cursor : "";
    limit = clamp_limit(limit);
    binder b = bind_start(r, ST_TICKET_NOTE_LIST);
    parley_status status = page_bind_cursor(r, &b, c, strlen(c) + 1, limit, op, err);
    if (status == PARLEY_OK) {
        b_text(&b, 3, ticket_id);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &note_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* ---- feedback ---------------------------------------------------------- */

static parley_status sq_feedback_insert(parley_repository *repo, const parley_feedback *f,
                                        parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_FEEDBACK_INSERT);
    b_id(&b, 1, f->id);
    b_id(&b, 2, f->session_id);
    b_id(&b, 3, f->customer_id);
    b_int(&b, 4, f->rating);
    b_text(&b, 5, f->comment);
    b_i64(&b, 6, f->created_at);
    return exec_write(r, &b, false, "feedback_insert", "feedback", err);
}

static parley_status sq_feedback_get_by_session(parley_repository *repo, const char *session_id,
                                                parley_feedback *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_FEEDBACK_BY_SESSION);
    b_text(&b, 1, session_id);
    parley_status status = fetch_one(r, &b, "feedback_get_by_session", "feedback", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_feedback(&rd, out);
        status = reader_finish(&rd, "feedback_get_by_session", err);
        if (status != PARLEY_OK) {
            parley_feedback_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- uploads ------------------------------------------------------------ */

static parley_status sq_upload_insert(parley_repository *repo, const parley_upload *u,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_UPLOAD_INSERT);
    b_id(&b, 1, u->id);
    b_text_n(&b, 2, u->sha256, strnlen(u->sha256, sizeof u->sha256));
    b_i64(&b, 3, u->size);
    b_text_n(&b, 4, u->mime, strnlen(u->mime, sizeof u->mime));
    b_text(&b, 5, u->name != NULL ? u->name : "");
    b_enum(&b, 6, participant_kind_store(u->uploader_kind));
    b_id(&b, 7, u->uploader_id);
    b_i64(&b, 8, u->created_at);
    b_opt_id(&b, 9, u->message_id);
    b_opt_id(&b, 10, u->session_id);
    return exec_write(r, &b, false, "upload_insert", "upload", err);
}

static parley_status sq_upload_get(parley_repository *repo, const char *id, parley_upload *out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_UPLOAD_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "upload_get", "upload", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        r_id(&rd, 0, out->id);
        r_fixed(&rd, 1, out->sha256, sizeof out->sha256);
        out->size = r_i64(&rd, 2);
        r_fixed(&rd, 3, out->mime, sizeof out->mime);
        out->name = r_text(&rd, 4);
        out->uploader_kind = participant_kind_load(&rd, 5);
        r_id(&rd, 6, out->uploader_id);
        out->created_at = r_i64(&rd, 7);
        r_id(&rd, 8, out->message_id);
        r_id(&rd, 9, out->session_id);
        status = reader_finish(&rd, "upload_get", err);
        if (status != PARLEY_OK) {
            parley_upload_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static void read_feedback_list_item(row_reader *rd, void *item) {
    parley_feedback *f = item;
    read_feedback(rd, f);
    r_id(rd, 6, f->agent_id);
}
static void *push_feedback(void *list) {
    return parley_feedback_list_push(list);
}
static void free_feedback_list(void *list) {
    parley_feedback_list_free(list);
}
static const page_kind feedback_page = {ST_FEEDBACK_LIST, 7, push_feedback, read_feedback_list_item,
                                        free_feedback_list};

static parley_status sq_feedback_list(parley_repository *repo, const parley_feedback_filter *filter,
                                      parley_feedback_list *out, char *next_cursor_out,
                                      size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "feedback_list";
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    int limit = clamp_limit(filter->limit);
    binder b = bind_start(r, ST_FEEDBACK_LIST);
    parley_status status =
        page_bind_cursor(r, &b, filter->cursor, sizeof filter->cursor, limit, op, err);
    if (status == PARLEY_OK) {
        b_filter(&b, 3, filter->agent_id, sizeof filter->agent_id);
        b_i64(&b, 4, filter->from > 0 ? filter->from : INT64_MIN);
        b_i64(&b, 5, filter->to > 0 ? filter->to : INT64_MAX);
        status = bind_check(r, &b, op, err);
    }
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &feedback_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

/* ---- session lifecycle ----------------------------------------------------- */

static parley_status sq_session_set_first_response(parley_repository *repo, const char *session_id,
                                                   parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_FIRST_RESPONSE);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, at);
    return exec_write(r, &b, false, "session_set_first_response", "session", err);
}

static parley_status sq_session_list_idle(parley_repository *repo, parley_time_ms idle_before,
                                          int limit, parley_session_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const char *op = "session_list_idle";
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_SESSION_LIST_IDLE);
    b_i64(&b, 1, idle_before);
    b_int(&b, 2, clamp_limit(limit));
    parley_status status = bind_check(r, &b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_session *item = parley_session_list_push(out);
        if (item == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, item);
        status = reader_finish(&rd, op, err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    if (status != PARLEY_OK) {
        parley_session_list_free(out);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_upload_attach(parley_repository *repo, const char *id,
                                      const char *uploader_id, const char *message_id,
                                      const char *session_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_UPLOAD_ATTACH);
    b_id(&b, 1, id);
    b_id(&b, 2, uploader_id);
    b_id(&b, 3, message_id);
    b_id(&b, 4, session_id);
    parley_status status = exec_write(r, &b, true, "upload_attach", "upload", err);
    /* no row changed: not this uploader's, or referenced already */
    return status == PARLEY_E_NOT_FOUND
               ? parley_error_set(err, PARLEY_E_CONFLICT, "conflict",
                                  "attachment_id: this upload is already attached to a message")
               : status;
}

/* ---- reports ------------------------------------------------------------- */

static void bind_report_range(binder *b, const parley_report_range *range) {
    b_i64(b, 1, range->from);
    b_i64(b, 2, range->to);
    b_filter(b, 3, range->agent_id, sizeof range->agent_id);
}

/* Steps every row of a bound report statement through one callback. */
static parley_status report_rows(struct sqlite_repo *r, binder *b, const char *op,
                                 void (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                                 parley_error *err) {
    parley_status status = bind_check(r, b, op, err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b->st)) == SQLITE_ROW) {
        row(b->st, ctx);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, op, err);
    }
    stmt_done(b->st);
    return status;
}

typedef struct duration_ctx {
    void (*each)(void *ctx, int64_t duration_ms);
    void *ctx;
} duration_ctx;

static void duration_row(sqlite3_stmt *st, void *ctx) {
    duration_ctx *d = ctx;
    d->each(d->ctx, sqlite3_column_int64(st, 0));
}

static parley_status sq_report_durations(parley_repository *repo, parley_report_duration kind,
                                         const parley_report_range *range,
                                         void (*each)(void *ctx, int64_t duration_ms), void *ctx,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, kind == PARLEY_REPORT_FIRST_RESPONSE ? ST_REPORT_FIRST_RESPONSE
                                                                  : ST_REPORT_RESOLUTION);
    bind_report_range(&b, range);
    duration_ctx d = {each, ctx};
    return report_rows(r, &b, "report_durations", duration_row, &d, err);
}

typedef struct agents_ctx {
    void (*each)(void *ctx, const parley_agent_report_row *row);
    void *ctx;
} agents_ctx;

static void agent_row(sqlite3_stmt *st, void *ctx) {
    agents_ctx *a = ctx;
    parley_agent_report_row row = {0};
    const char *id = (const char *)sqlite3_column_text(st, 0);
    snprintf(row.agent_id, sizeof row.agent_id, "%s", id != NULL ? id : "");
    row.name = (const char *)sqlite3_column_text(st, 1);
    row.handled = sqlite3_column_int64(st, 2);
    row.closed = sqlite3_column_int64(st, 3);
    row.first_response_sum_ms = sqlite3_column_int64(st, 4);
    row.first_response_count = sqlite3_column_int64(st, 5);
    row.rating_sum = sqlite3_column_int64(st, 6);
    row.rating_count = sqlite3_column_int64(st, 7);
    a->each(a->ctx, &row);
}

static parley_status sq_report_agents(parley_repository *repo, const parley_report_range *range,
                                      void (*each)(void *ctx, const parley_agent_report_row *row),
                                      void *ctx, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_REPORT_AGENTS);
    bind_report_range(&b, range);
    agents_ctx a = {each, ctx};
    return report_rows(r, &b, "report_agents", agent_row, &a, err);
}

static void rating_row(sqlite3_stmt *st, void *ctx) {
    int64_t *counts = ctx;
    int rating = sqlite3_column_int(st, 0);
    if (rating >= 1 && rating <= 5) {
        counts[rating - 1] = sqlite3_column_int64(st, 1);
    }
}

static parley_status sq_report_ratings(parley_repository *repo, const parley_report_range *range,
                                       int64_t counts[5], parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(counts, 0, 5 * sizeof counts[0]);
    binder b = bind_start(r, ST_REPORT_RATINGS);
    bind_report_range(&b, range);
    return report_rows(r, &b, "report_ratings", rating_row, counts, err);
}

/* ---- open / close ------------------------------------------------------ */

static void sq_close(parley_repository *repo) {
    if (repo == NULL) {
        return;
    }
    struct sqlite_repo *r = as_sqlite(repo);
    for (size_t i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(r->stmt[i]);
    }
    /* close_v2 never leaves the connection half-open; an open transaction
     * is rolled back. */
    sqlite3_close_v2(r->db);
    free(r);
}

/* ---- messages by id, flagged messages ------------------------------------------ */

static parley_status sq_message_get(parley_repository *repo, const char *id, parley_message *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_MESSAGE_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "message_get", "message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_message(&rd, out);
        if ((status = reader_finish(&rd, "message_get", err)) != PARLEY_OK) {
            parley_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_flagged_insert(parley_repository *repo, const parley_flagged_message *f,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    const parley_message *m = &f->message;
    binder b = bind_start(r, ST_FLAGGED_INSERT);
    b_id(&b, 1, m->id);
    b_id(&b, 2, m->session_id);
    b_enum(&b, 3, participant_kind_store(m->sender_kind));
    b_text_n(&b, 4, m->sender_id, strnlen(m->sender_id, PARLEY_ID_SIZE));
    b_enum(&b, 5, message_type_store(m->type));
    b_text(&b, 6, m->content);
    b_text(&b, 7, m->client_msg_id);
    b_text(&b, 8, m->meta_json);
    b_text(&b, 9, f->reason);
    b_i64(&b, 10, m->created_at);
    return exec_write(r, &b, false, "flagged_insert", "flagged message", err);
}

static void read_flagged(row_reader *rd, parley_flagged_message *f) {
    read_message(rd, &f->message);
    f->position = r_i64(rd, 11);
    r_fixed(rd, 12, f->reason, sizeof f->reason);
    r_fixed(rd, 13, f->reviewed_as, sizeof f->reviewed_as);
}

static parley_status sq_flagged_get(parley_repository *repo, const char *id,
                                    parley_flagged_message *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_FLAGGED_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "flagged_get", "flagged message", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_flagged(&rd, out);
        if ((status = reader_finish(&rd, "flagged_get", err)) != PARLEY_OK) {
            parley_flagged_message_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static void *push_flagged(void *list) {
    return parley_flagged_list_push(list);
}
static void read_flagged_item(row_reader *rd, void *item) {
    read_flagged(rd, item);
}
static void free_flagged_list(void *list) {
    parley_flagged_list_free(list);
}

static const page_kind flagged_page = {ST_FLAGGED_LIST, 11, push_flagged, read_flagged_item,
                                       free_flagged_list};

static parley_status sq_flagged_list(parley_repository *repo, int limit, const char *cursor,
                                     parley_flagged_list *out, char *next_cursor_out,
                                     size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *text = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &flagged_page, "flagged_list", NULL, "", 1, text,
                     strlen(text) + 1, limit, out, next_cursor_out, next_cursor_size, err);
}

static parley_status sq_flagged_review(parley_repository *repo, const char *id,
                                       const char *reviewed_as, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_FLAGGED_REVIEW);
    b_text(&b, 1, id);
    b_text(&b, 2, reviewed_as);
    return exec_write(r, &b, true, "flagged_review", "flagged message", err);
}

static parley_status sq_message_label_get(parley_repository *repo, const char *message_id,
                                          char *label, size_t label_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_LABEL_GET);
    b_text(&b, 1, message_id);
    parley_status status = fetch_one(r, &b, "message_label_get", "label", err);
    if (status == PARLEY_OK) {
        const unsigned char *text = sqlite3_column_text(b.st, 0);
        snprintf(label, label_size, "%s", text != NULL ? (const char *)text : "");
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_message_label_set(parley_repository *repo, const char *message_id,
                                          const char *label, const char *labelled_by,
                                          parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_LABEL_SET);
    b_text(&b, 1, message_id);
    b_text(&b, 2, label);
    b_text(&b, 3, labelled_by);
    b_i64(&b, 4, at);
    return exec_write(r, &b, false, "message_label_set", "label", err);
}

/* ---- the spam classifier's counts ------------------------------------------------ */

static parley_status sq_spam_token_add(parley_repository *repo, const char *token, int64_t spam,
                                       int64_t ham, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SPAM_TOKEN_ADD);
    b_text(&b, 1, token);
    b_i64(&b, 2, spam);
    b_i64(&b, 3, ham);
    parley_status status = exec_write(r, &b, true, "spam_token_add", "spam token", err);
    if (status == PARLEY_OK && (spam < 0 || ham < 0)) {
        /* unlearning may leave a token that no message mentions any more */
        binder prune = bind_start(r, ST_SPAM_TOKEN_PRUNE);
        b_text(&prune, 1, token);
        status = exec_write(r, &prune, false, "spam_token_prune", "spam token", err);
    }
    return status;
}

static parley_status sq_spam_totals_add(parley_repository *repo, int64_t spam_messages,
                                        int64_t ham_messages, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SPAM_TOTALS_ADD);
    b_i64(&b, 1, spam_messages);
    b_i64(&b, 2, ham_messages);
    return exec_write(r, &b, true, "spam_totals_add", "spam totals", err);
}

static parley_status
sq_spam_load(parley_repository *repo,
             void (*each)(void *ctx, const char *token, int64_t spam, int64_t ham), void *ctx,
             int64_t *spam_messages, int64_t *ham_messages, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *spam_messages = *ham_messages = 0;
    binder totals = bind_start(r, ST_SPAM_TOTALS_GET);
    parley_status status = fetch_one(r, &totals, "spam_load", "spam totals", err);
    if (status == PARLEY_OK) {
        *spam_messages = sqlite3_column_int64(totals.st, 0);
        *ham_messages = sqlite3_column_int64(totals.st, 1);
    }
    stmt_done(totals.st);
    if (status != PARLEY_OK) {
        return status;
    }
    sqlite3_stmt *st = r->stmt[ST_SPAM_TOKENS_ALL];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *token = sqlite3_column_text(st, 0);
        each(ctx, token != NULL ? (const char *)token : "", sqlite3_column_int64(st, 1),
             sqlite3_column_int64(st, 2));
    }
    if (rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "spam_load", err);
    }
    stmt_done(st);
    return status;
}

/* ---- the profanity allowlist ---------------------------------------------------- */

static parley_status sq_allowlist_add(parley_repository *repo, const char *word,
                                      const char *added_by, parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_ALLOWLIST_ADD);
    b_text(&b, 1, word);
    b_text(&b, 2, added_by);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "allowlist_add", "allowlist word", err);
}

static parley_status sq_allowlist_remove(parley_repository *repo, const char *word,
                                         parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_ALLOWLIST_REMOVE);
    b_text(&b, 1, word);
    return exec_write(r, &b, true, "allowlist_remove", "allowlist word", err);
}

static parley_status sq_allowlist_load(parley_repository *repo,
                                       void (*each)(void *ctx, const char *word), void *ctx,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    sqlite3_stmt *st = r->stmt[ST_ALLOWLIST_ALL];
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *word = sqlite3_column_text(st, 0);
        each(ctx, word != NULL ? (const char *)word : "");
    }
    parley_status status =
        rc == SQLITE_DONE ? PARLEY_OK : db_fail(r->db, rc, "allowlist_load", err);
    stmt_done(st);
    return status;
}

/* ---- desk settings ------------------------------------------------------- */

static parley_status sq_setting_get(parley_repository *repo, const char *key, char **value_json,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *value_json = NULL;
    binder b = bind_start(r, ST_SETTING_GET);
    b_text(&b, 1, key);
    parley_status status = fetch_one(r, &b, "setting_get", "setting", err);
    if (status == PARLEY_OK) {
        const unsigned char *text = sqlite3_column_text(b.st, 0);
        *value_json = strdup(text != NULL ? (const char *)text : "null");
        if (*value_json == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_setting_put(parley_repository *repo, const char *key,
                                    const char *value_json, const char *updated_by,
                                    parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SETTING_PUT);
    b_text(&b, 1, key);
    b_text(&b, 2, value_json);
    b_text(&b, 3, updated_by);
    b_i64(&b, 4, at);
    return exec_write(r, &b, false, "setting_put", "setting", err);
}

/* ---- audit log ----------------------------------------------------------- */

static parley_status sq_audit_insert(parley_repository *repo, const parley_audit_entry *e,
                                     parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AUDIT_INSERT);
    b_i64(&b, 1, e->at);
    if (e->has_actor) {
        b_enum(&b, 2, participant_kind_store(e->actor_kind));
    }
    b_opt_id(&b, 3, e->has_actor ? e->actor_id : "");
    b_text(&b, 4, e->action);
    b_opt_id(&b, 5, e->target_id);
    b_text(&b, 6, e->ip[0] != '\0' ? e->ip : NULL);
    b_text(&b, 7, e->detail_json);
    return exec_write(r, &b, false, "audit_insert", "audit entry", err);
}

static void read_audit(row_reader *rd, parley_audit_entry *e) {
    e->position = r_i64(rd, 0);
    e->at = r_i64(rd, 1);
    e->has_actor = sqlite3_column_type(rd->st, 2) != SQLITE_NULL;
    if (e->has_actor) {
        e->actor_kind = participant_kind_load(rd, 2);
    }
    r_id(rd, 3, e->actor_id);
    r_fixed(rd, 4, e->action, sizeof e->action);
    r_id(rd, 5, e->target_id);
    r_fixed(rd, 6, e->ip, sizeof e->ip);
    e->detail_json = r_text(rd, 7);
}

static void *push_audit(void *list) {
    return parley_audit_list_push(list);
}
static void read_audit_item(row_reader *rd, void *item) {
    read_audit(rd, item);
}
static void free_audit_list(void *list) {
    parley_audit_list_free(list);
}

static const page_kind audit_page = {ST_AUDIT_LIST, 0, push_audit, read_audit_item,
                                     free_audit_list};

static parley_status sq_audit_list(parley_repository *repo, int limit, const char *cursor,
                                   parley_audit_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *page_cursor_text = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &audit_page, "audit_list", NULL, "", 1, page_cursor_text,
                     strlen(page_cursor_text) + 1, limit, out, next_cursor_out, next_cursor_size,
                     err);
}

/* ---- the ChatBot's knowledge base ------------------------------------------- */

static void read_kb_entry(row_reader *rd, parley_kb_entry *e) {
    e->position = r_i64(rd, 0);
    r_id(rd, 1, e->id);
    e->question = r_text(rd, 2);
    e->answer = r_text(rd, 3);
    e->alternatives_json = r_text(rd, 4);
    e->tags_json = r_text(rd, 5);
    r_id(rd, 6, e->created_by);
    e->created_at = r_i64(rd, 7);
    e->updated_at = r_i64(rd, 8);
}

static parley_status sq_kb_insert(parley_repository *repo, const parley_kb_entry *e,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_INSERT);
    b_id(&b, 1, e->id);
    b_text(&b, 2, e->question);
    b_text(&b, 3, e->answer);
    b_text(&b, 4, e->alternatives_json != NULL ? e->alternatives_json : "[]");
    b_text(&b, 5, e->tags_json != NULL ? e->tags_json : "[]");
    b_opt_id(&b, 6, e->created_by);
    b_i64(&b, 7, e->created_at);
    b_i64(&b, 8, e->updated_at);
    return exec_write(r, &b, false, "kb_insert", "kb entry", err);
}

static parley_status sq_kb_get(parley_repository *repo, const char *id, parley_kb_entry *out,
                               parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_KB_GET);
    b_id(&b, 1, id);
    parley_status status = fetch_one(r, &b, "kb_get", "kb entry", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_kb_entry(&rd, out);
        status = reader_finish(&rd, "kb_get", err);
        if (status != PARLEY_OK) {
            parley_kb_entry_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_kb_update(parley_repository *repo, const parley_kb_entry *e,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_UPDATE);
    b_id(&b, 1, e->id);
    b_text(&b, 2, e->question);
    b_text(&b, 3, e->answer);
    b_text(&b, 4, e->alternatives_json != NULL ? e->alternatives_json : "[]");
    b_text(&b, 5, e->tags_json != NULL ? e->tags_json : "[]");
    b_i64(&b, 6, e->updated_at);
    return exec_write(r, &b, true, "kb_update", "kb entry", err);
}

static parley_status sq_kb_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_KB_DELETE);
    b_id(&b, 1, id);
    return exec_write(r, &b, true, "kb_delete", "kb entry", err);
}

static parley_status sq_kb_list(parley_repository *repo, int limit, const char *cursor,
                                parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    const char *text = cursor != NULL ? cursor : "";
    int64_t before;
    if (!parse_cursor(text, strlen(text) + 1, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, "validation_failed", "cursor: malformed");
    }
    binder b = bind_start(r, ST_KB_LIST);
    b_i64(&b, 1, before);
    b_int(&b, 2, limit + 1); /* one more tells whether another page exists */
    parley_status status = bind_check(r, &b, "kb_list", err);
    int rc = SQLITE_DONE;
    int64_t last = 0;
    bool more = false;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        if (out->count == (size_t)limit) {
            more = true;
            break;
        }
        parley_kb_entry *e = parley_kb_list_push(out);
        if (e == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_kb_entry(&rd, e);
        status = reader_finish(&rd, "kb_list", err);
        last = e->position;
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "kb_list", err);
    }
    stmt_done(b.st);
    if (status == PARLEY_OK) {
        status = page_cursor(more, last, next_cursor_out, next_cursor_size, "kb_list", err);
    }
    if (status != PARLEY_OK) {
        parley_kb_list_free(out);
    }
    return status;
}

static parley_status sq_kb_load(parley_repository *repo,
                                void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                                parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    sqlite3_stmt *st = r->stmt[ST_KB_ALL];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_kb_entry e = {0};
        row_reader rd = reader_start(st);
        read_kb_entry(&rd, &e);
        status = reader_finish(&rd, "kb_load", err);
        if (status == PARLEY_OK) {
            each(ctx, &e);
        }
        parley_kb_entry_free(&e);
        if (status != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "kb_load", err);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_bot_failures_add(parley_repository *repo, const char *session_id,
                                         int64_t delta, int64_t *count_out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *count_out = 0;
    binder b = bind_start(r, ST_BOT_FAILURES_ADD);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, delta);
    parley_status status = fetch_one(r, &b, "bot_failures_add", "bot session state", err);
    if (status == PARLEY_OK) {
        *count_out = sqlite3_column_int64(b.st, 0);
        /* step to the end so the upsert's statement completes */
        int rc = sqlite3_step(b.st);
        if (rc != SQLITE_DONE) {
            status = db_fail(r->db, rc, "bot_failures_add", err);
        }
    }
    stmt_done(b.st);
    return status;
}

/* ---- presence and routing ------------------------------------------------ */

static parley_status sq_agent_set_presence(parley_repository *repo, const char *agent_id,
                                           parley_agent_status status, parley_time_ms since,
                                           parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_SET_PRESENCE);
    b_id(&b, 1, agent_id);
    b_enum(&b, 2, agent_status_store(status));
    b_i64(&b, 3, since);
    return exec_write(r, &b, true, "agent_set_presence", "agent", err);
}

static parley_status sq_agent_note_assigned(parley_repository *repo, const char *agent_id,
                                            parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_AGENT_NOTE_ASSIGNED);
    b_id(&b, 1, agent_id);
    return exec_write(r, &b, true, "agent_note_assigned", "agent", err);
}

static parley_status sq_agent_loads(parley_repository *repo, parley_agent_load_list *out,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = r->stmt[ST_AGENT_LOADS];
    parley_status status = PARLEY_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        parley_agent_load *a = parley_agent_load_list_push(out);
        if (a == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "agent_loads: out of memory");
            break;
        }
        row_reader rd = reader_start(st);
        r_id(&rd, 0, a->id);
        a->status = agent_status_load(&rd, 1);
        a->last_assigned_seq = r_i64(&rd, 2);
        a->active_chats = r_i64(&rd, 3);
        if ((status = reader_finish(&rd, "agent_loads", err)) != PARLEY_OK) {
            break;
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "agent_loads", err);
    }
    if (status != PARLEY_OK) {
        parley_agent_load_list_free(out);
    }
    stmt_done(st);
    return status;
}

static parley_status sq_session_set_routing(parley_repository *repo, const parley_session *s,
                                            parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_SET_ROUTING);
    b_id(&b, 1, s->id);
    b_opt_id(&b, 2, s->team_id);
    b_i64(&b, 3, s->queued_at);
    b_i64(&b, 4, s->assigned_at);
    return exec_write(r, &b, true, "session_set_routing", "session", err);
}

static parley_status sq_queue_list(parley_repository *repo, int64_t after, int limit,
                                   parley_queue_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_QUEUE_LIST);
    b_i64(&b, 1, after);
    b_int(&b, 2, limit < 1 ? 1 : limit > 10000 ? 10000 : limit);
    parley_status status = bind_check(r, &b, "queue_list", err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_queue_entry *e = parley_queue_list_push(out);
        if (e == NULL) {
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "queue_list: out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, &e->session);
        e->position_key = r_i64(&rd, SESSION_POSITION_COL);
        e->announced_position = r_i64(&rd, 17);
        status = reader_finish(&rd, "queue_list", err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "queue_list", err);
    }
    if (status != PARLEY_OK) {
        parley_queue_list_free(out);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_requeue_candidates(parley_repository *repo, parley_time_ms assigned_before,
                                           parley_session_list *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_REQUEUE_CANDIDATES);
    b_i64(&b, 1, assigned_before);
    parley_status status = bind_check(r, &b, "requeue_candidates", err);
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b.st)) == SQLITE_ROW) {
        parley_session *s = parley_session_list_push(out);
        if (s == NULL) {
            status =
                parley_error_set(err, PARLEY_E_NOMEM, NULL, "requeue_candidates: out of memory");
            break;
        }
        row_reader rd = reader_start(b.st);
        read_session(&rd, s);
        status = reader_finish(&rd, "requeue_candidates", err);
    }
    if (status == PARLEY_OK && rc != SQLITE_DONE) {
        status = db_fail(r->db, rc, "requeue_candidates", err);
    }
    if (status != PARLEY_OK) {
        parley_session_list_free(out);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_queue_average_wait(parley_repository *repo, int sample, int64_t *avg_ms,
                                           bool *known, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *avg_ms = 0;
    *known = false;
    binder b = bind_start(r, ST_QUEUE_AVERAGE_WAIT);
    b_int(&b, 1, sample);
    parley_status status = fetch_one(r, &b, "queue_average_wait", "average", err);
    if (status == PARLEY_OK && sqlite3_column_int64(b.st, 0) > 0) {
        *known = true;
        *avg_ms = (int64_t)sqlite3_column_double(b.st, 1);
    }
    stmt_done(b.st);
    return status;
}

/* ---- teams --------------------------------------------------------------- */

#define TEAM_POSITION_COL 4
static void read_team(row_reader *rd, parley_team *t) {
    r_id(rd, 0, t->id);
    t->name = r_text(rd, 1);
    t->topics_json = r_text(rd, 2);
    t->created_at = r_i64(rd, 3);
    t->position = r_i64(rd, 4);
    t->agent_ids_json = r_text(rd, 5);
}

static parley_status sq_team_insert(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_INSERT);
    b_id(&b, 1, t->id);
    b_text(&b, 2, t->name);
    b_text(&b, 3, t->topics_json);
    b_i64(&b, 4, t->created_at);
    return exec_write(r, &b, false, "team_insert", "team", err);
}

static parley_status sq_team_get(parley_repository *repo, const char *id, parley_team *out,
                                 parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    binder b = bind_start(r, ST_TEAM_GET);
    b_text(&b, 1, id);
    parley_status status = fetch_one(r, &b, "team_get", "team", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        read_team(&rd, out);
        if ((status = reader_finish(&rd, "team_get", err)) != PARLEY_OK) {
            parley_team_free(out);
        }
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_team_update(parley_repository *repo, const parley_team *t,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_UPDATE);
    b_id(&b, 1, t->id);
    b_text(&b, 2, t->name);
    b_text(&b, 3, t->topics_json);
    return exec_write(r, &b, true, "team_update", "team", err);
}

static parley_status sq_team_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_CLEAR_SESSIONS);
    b_id(&b, 1, id);
    parley_status status = exec_write(r, &b, false, "team_delete", "team", err);
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_TEAM_CLEAR_MEMBERS);
        b_id(&b, 1, id);
        status = exec_write(r, &b, false, "team_delete", "team", err);
    }
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_TEAM_DELETE);
        b_id(&b, 1, id);
        status = exec_write(r, &b, true, "team_delete", "team", err);
    }
    return status;
}

static void *push_team(void *list) {
    return parley_team_list_push(list);
}
static void read_team_item(row_reader *rd, void *item) {
    read_team(rd, item);
}
static void free_team_list(void *list) {
    parley_team_list_free(list);
}

static const page_kind team_page = {ST_TEAM_LIST, TEAM_POSITION_COL, push_team, read_team_item,
                                    free_team_list};

static parley_status sq_team_list(parley_repository *repo, int limit, const char *cursor,
                                  parley_team_list *out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err) {
    memset(out, 0, sizeof *out);
    const char *c = cursor != NULL ? cursor : "";
    return page_list(as_sqlite(repo), &team_page, "team_list", NULL, "", 1, c, strlen(c) + 1, limit,
                     out, next_cursor_out, next_cursor_size, err);
}

static parley_status sq_team_find_by_topic(parley_repository *repo, const char *topic,
                                           char team_id_out[PARLEY_ID_SIZE], parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    team_id_out[0] = '\0';
    binder b = bind_start(r, ST_TEAM_BY_TOPIC);
    b_text(&b, 1, topic);
    parley_status status = fetch_one(r, &b, "team_find_by_topic", "team", err);
    if (status == PARLEY_OK) {
        row_reader rd = reader_start(b.st);
        r_id(&rd, 0, team_id_out);
        status = reader_finish(&rd, "team_find_by_topic", err);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_team_member_add(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *added, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *added = false;
    binder b = bind_start(r, ST_TEAM_MEMBER_ADD);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    parley_status status = exec_write(r, &b, false, "team_member_add", "member", err);
    if (status == PARLEY_OK) {
        *added = sqlite3_changes(r->db) > 0;
    }
    return status;
}

static parley_status sq_team_member_remove(parley_repository *repo, const char *team_id,
                                           const char *agent_id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_TEAM_MEMBER_REMOVE);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    return exec_write(r, &b, true, "team_member_remove", "member", err);
}

static parley_status sq_team_has_member(parley_repository *repo, const char *team_id,
                                        const char *agent_id, bool *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = false;
    binder b = bind_start(r, ST_TEAM_HAS_MEMBER);
    b_id(&b, 1, team_id);
    b_id(&b, 2, agent_id);
    parley_status status = fetch_one(r, &b, "team_has_member", "member", err);
    if (status == PARLEY_OK) {
        *out = true;
    } else if (status == PARLEY_E_NOT_FOUND) {
        parley_error_clear(err);
        status = PARLEY_OK;
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_session_set_queue_position(parley_repository *repo, const char *session_id,
                                                   int64_t position, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_SET_QUEUE_POSITION);
    b_id(&b, 1, session_id);
    b_i64(&b, 2, position);
    return exec_write(r, &b, true, "session_set_queue_position", "session", err);
}

/* ---- the agent tools --------------------------------------------------- */

/* One row as a JSON object keyed by column name, from column `first`. */
static json_t *row_json(sqlite3_stmt *st, int first) {
    json_t *obj = json_object();
    int n = sqlite3_column_count(st);
    for (int i = first; obj != NULL && i < n; i++) {
        json_t *v;
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
            v = json_integer((json_int_t)sqlite3_column_int64(st, i));
            break;
        case SQLITE_NULL:
            v = json_null();
            break;
        default:
            v = json_stringn((const char *)sqlite3_column_text(st, i),
                             (size_t)sqlite3_column_bytes(st, i));
            break;
        }
        if (v == NULL || json_object_set_new(obj, sqlite3_column_name(st, i), v) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    return obj;
}

/* A tools' statement failing on its own input (a MATCH expression) is
 * the caller's mistake, not the store's. */
static parley_status tools_fail(struct sqlite_repo *r, int rc, const char *op, parley_error *err) {
    if ((rc & 0xff) == SQLITE_ERROR) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: %s", op, sqlite3_errmsg(r->db));
    }
    return db_fail(r->db, rc, op, err);
}

/* Runs a bound statement: one row (*out an object, NOT_FOUND when none)
 * or, with all, every row (*out an array). Always resets. */
static parley_status json_rows(struct sqlite_repo *r, binder *b, bool all, const char *op,
                               const char *what, json_t **out, parley_error *err) {
    *out = NULL;
    parley_status status = bind_check(r, b, op, err);
    json_t *rows = all ? json_array() : NULL;
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b->st)) == SQLITE_ROW) {
        json_t *row = row_json(b->st, 0);
        if (row == NULL || (all && rows == NULL)) {
            json_decref(row);
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
        } else if (!all) {
            *out = row;
            break;
        } else {
            json_array_append_new(rows, row);
        }
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = tools_fail(r, rc, op, err);
    }
    if (status == PARLEY_OK && all) {
        *out = rows;
        rows = NULL;
    } else if (status == PARLEY_OK && *out == NULL) {
        status = parley_error_set(err, PARLEY_E_NOT_FOUND, NULL, "%s not found", what);
    }
    json_decref(rows);
    stmt_done(b->st);
    return status;
}

/* A page of a statement whose column 0 is the position; the caller has
 * bound its own parameters from ?3 on. */
static parley_status json_page(struct sqlite_repo *r, binder *b, const char *op, int limit,
                               const char *cursor, json_t **items_out, char *next_cursor_out,
                               size_t next_cursor_size, parley_error *err) {
    *items_out = NULL;
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    limit = clamp_limit(limit);
    int64_t before;
    const char *c = cursor != NULL ? cursor : "";
    if (!parse_cursor(c, strlen(c) + 1, &before)) {
        stmt_done(b->st);
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: malformed cursor", op);
    }
    b_i64(b, 1, before);
    b_int(b, 2, limit + 1);
    parley_status status = bind_check(r, b, op, err);
    json_t *items = json_array();
    bool more = false;
    int64_t last = 0;
    int rc = SQLITE_DONE;
    while (status == PARLEY_OK && (rc = sqlite3_step(b->st)) == SQLITE_ROW) {
        if (json_array_size(items) == (size_t)limit) {
            more = true;
            break;
        }
        json_t *row = row_json(b->st, 1);
        if (row == NULL || items == NULL) {
            json_decref(row);
            status = parley_error_set(err, PARLEY_E_NOMEM, NULL, "%s: out of memory", op);
            break;
        }
        last = sqlite3_column_int64(b->st, 0);
        json_array_append_new(items, row);
    }
    if (status == PARLEY_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        status = tools_fail(r, rc, op, err);
    }
    if (status == PARLEY_OK) {
        status = page_cursor(more, last, next_cursor_out, next_cursor_size, op, err);
    }
    stmt_done(b->st);
    if (status != PARLEY_OK) {
        json_decref(items);
        return status;
    }
    *items_out = items;
    return PARLEY_OK;
}

static parley_status sq_canned_insert(parley_repository *repo, const parley_canned_row *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_INSERT);
    b_id(&b, 1, c->id);
    b_opt_id(&b, 2, c->owner_id);
    b_text(&b, 3, c->shortcode);
    b_text(&b, 4, c->title);
    b_text(&b, 5, c->content);
    b_i64(&b, 6, c->created_at);
    b_i64(&b, 7, c->updated_at);
    return exec_write(r, &b, false, "canned_insert", "canned response", err);
}

static parley_status sq_canned_get(parley_repository *repo, const char *id, json_t **out,
                                   parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_GET);
    b_text(&b, 1, id);
    return json_rows(r, &b, false, "canned_get", "canned response", out, err);
}

static parley_status sq_canned_update(parley_repository *repo, const parley_canned_row *c,
                                      parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_UPDATE);
    b_id(&b, 1, c->id);
    b_text(&b, 2, c->shortcode);
    b_text(&b, 3, c->title);
    b_text(&b, 4, c->content);
    b_i64(&b, 5, c->updated_at);
    return exec_write(r, &b, true, "canned_update", "canned response", err);
}

static parley_status sq_canned_delete(parley_repository *repo, const char *id, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_DELETE);
    b_text(&b, 1, id);
    return exec_write(r, &b, true, "canned_delete", "canned response", err);
}

static parley_status sq_canned_list(parley_repository *repo, const char *owner_id,
                                    const char *prefix, int limit, const char *cursor,
                                    json_t **items_out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_CANNED_LIST);
    b_text(&b, 3, owner_id);
    b_text(&b, 4, prefix != NULL ? prefix : "");
    return json_page(r, &b, "canned_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_note_insert(parley_repository *repo, const parley_note_row *n,
                                    parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTE_INSERT);
    b_id(&b, 1, n->id);
    b_id(&b, 2, n->session_id);
    b_enum(&b, 3, participant_kind_store(n->author_kind));
    b_id(&b, 4, n->author_id);
    b_text(&b, 5, n->content);
    b_i64(&b, 6, n->created_at);
    return exec_write(r, &b, false, "note_insert", "note", err);
}

static parley_status sq_note_list(parley_repository *repo, const char *session_id, int limit,
                                  const char *cursor, json_t **items_out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_NOTE_LIST);
    b_text(&b, 3, session_id);
    return json_page(r, &b, "note_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_read_mark(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id,
                                  int64_t seq, parley_time_ms at, bool *changed,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *changed = false;
    binder b = bind_start(r, ST_READ_MARK);
    b_id(&b, 1, session_id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_id(&b, 3, participant_id);
    b_i64(&b, 4, seq);
    b_i64(&b, 5, at);
    parley_status status = exec_write(r, &b, false, "read_mark", "read receipt", err);
    if (status == PARLEY_OK) {
        *changed = sqlite3_changes(r->db) > 0;
    }
    return status;
}

static parley_status sq_unread_count(parley_repository *repo, const char *session_id,
                                     parley_participant_kind kind, const char *participant_id,
                                     int cap, int64_t *out, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *out = 0;
    binder b = bind_start(r, ST_UNREAD_COUNT);
    b_id(&b, 1, session_id);
    b_enum(&b, 2, participant_kind_store(kind));
    b_id(&b, 3, participant_id);
    b_int(&b, 4, cap);
    parley_status status = fetch_one(r, &b, "unread_count", "count", err);
    if (status == PARLEY_OK) {
        *out = sqlite3_column_int64(b.st, 0);
    }
    stmt_done(b.st);
    return status;
}

static parley_status sq_read_list(parley_repository *repo, const char *session_id, json_t **out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_READ_LIST);
    b_text(&b, 1, session_id);
    return json_rows(r, &b, true, "read_list", "read receipts", out, err);
}

static parley_status sq_label_insert(parley_repository *repo, const char *name, const char *color,
                                     parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_INSERT);
    b_text(&b, 1, name);
    b_text(&b, 2, color);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "label_insert", "label", err);
}

static parley_status sq_label_get(parley_repository *repo, const char *name, json_t **out,
                                  parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_GET);
    b_text(&b, 1, name);
    return json_rows(r, &b, false, "label_get", "label", out, err);
}

static parley_status sq_label_delete(parley_repository *repo, const char *name, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_DELETE);
    b_text(&b, 1, name);
    return exec_write(r, &b, true, "label_delete", "label", err);
}

static parley_status sq_label_list(parley_repository *repo, int limit, const char *cursor,
                                   json_t **items_out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_LABEL_LIST);
    return json_page(r, &b, "label_list", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

static parley_status sq_session_label_add(parley_repository *repo, const char *session_id,
                                          const char *label, parley_time_ms at, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_ADD);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    b_i64(&b, 3, at);
    return exec_write(r, &b, false, "session_label_add", "label", err);
}

static parley_status sq_session_label_remove(parley_repository *repo, const char *session_id,
                                             const char *label, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_SESSION_LABEL_REMOVE);
    b_id(&b, 1, session_id);
    b_text(&b, 2, label);
    return exec_write(r, &b, true, "session_label_remove", "label", err);
}

static parley_status sq_message_search(parley_repository *repo, const char *match,
                                       const char *session_id, const char *customer_id, int limit,
                                       const char *cursor, json_t **items_out,
                                       char *next_cursor_out, size_t next_cursor_size,
                                       parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    binder b = bind_start(r, ST_MESSAGE_SEARCH);
    b_text(&b, 3, match);
    b_text(&b, 4, session_id != NULL && session_id[0] != '\0' ? session_id : NULL);
    b_text(&b, 5, customer_id != NULL && customer_id[0] != '\0' ? customer_id : NULL);
    return json_page(r, &b, "message_search", limit, cursor, items_out, next_cursor_out,
                     next_cursor_size, err);
}

/* ---- the search index's catch-up ------------------------------------------ */

static parley_status query_one_i64(struct sqlite_repo *r, binder *b, const char *op, int64_t *out,
                                   bool *is_null, parley_error *err) {
    parley_status status = fetch_one(r, b, op, "row", err);
    if (status == PARLEY_OK) {
        *is_null = sqlite3_column_type(b->st, 0) == SQLITE_NULL;
        *out = sqlite3_column_int64(b->st, 0);
    }
    stmt_done(b->st);
    return status;
}

static parley_status sq_search_index_catch_up(parley_repository *repo, int max_rows,
                                              int64_t *indexed, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *indexed = 0;
    int64_t last = 0;
    int64_t end = 0;
    bool none = false;
    binder b = bind_start(r, ST_SEARCH_PROGRESS_GET);
    parley_status status = query_one_i64(r, &b, "search_progress_get", &last, &none, err);
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_SEARCH_BATCH_END);
        b_i64(&b, 1, last);
        b_int(&b, 2, max_rows);
        status = query_one_i64(r, &b, "search_batch_end", &end, &none, err);
    }
    if (status != PARLEY_OK || none) {
        return status;
    }
    b = bind_start(r, ST_SEARCH_INDEX_RANGE);
    b_i64(&b, 1, last);
    b_i64(&b, 2, end);
    status = exec_write(r, &b, false, "search_index_range", "message", err);
    if (status == PARLEY_OK) {
        *indexed = sqlite3_changes(r->db);
        b = bind_start(r, ST_SEARCH_PROGRESS_SET);
        b_i64(&b, 1, end);
        status = exec_write(r, &b, true, "search_progress_set", "search progress", err);
    }
    return status;
}

static const parley_repository_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
};

static const parley_accounts_ops sqlite_accounts_ops = {
    .customer_insert = sq_customer_insert,
    .customer_get = sq_customer_get,
    .customer_find_by_identifier = sq_customer_find_by_identifier,
    .agent_insert = sq_agent_insert,
    .agent_get = sq_agent_get,
    .agent_get_by_email = sq_agent_get_by_email,
    .agent_list = sq_agent_list,
    .agent_count = sq_agent_count,
    .agent_update = sq_agent_update,
    .agent_count_active_admins = sq_agent_count_active_admins,
    .bot_insert = sq_bot_insert,
    .bot_get = sq_bot_get,
    .bot_list = sq_bot_list,
    .bot_update = sq_bot_update,
    .token_insert = sq_token_insert,
    .token_get = sq_token_get,
    .token_touch = sq_token_touch,
    .token_delete = sq_token_delete,
    .token_delete_by_owner = sq_token_delete_by_owner,
};

static const parley_sessions_ops sqlite_sessions_ops = {
    .insert = sq_session_insert,
    .get = sq_session_get,
    .update = sq_session_update,
    .list = sq_session_list,
    .next_seq = sq_session_next_seq,
    .set_first_response = sq_session_set_first_response,
    .list_idle = sq_session_list_idle,
};

static const parley_messages_ops sqlite_messages_ops = {
    .insert = sq_message_insert,
    .find_by_client_id = sq_message_find_by_client_id,
    .list = sq_message_list,
    .get = sq_message_get,
};

static const parley_tickets_ops sqlite_tickets_ops = {
    .insert = sq_ticket_insert,
    .get = sq_ticket_get,
    .update = sq_ticket_update,
    .list = sq_ticket_list,
    .note_insert = sq_ticket_note_insert,
    .note_list = sq_ticket_note_list,
    .feedback_insert = sq_feedback_insert,
    .feedback_get_by_session = sq_feedback_get_by_session,
    .feedback_list = sq_feedback_list,
};

static const parley_desk_ops sqlite_desk_ops = {
    .agent_set_presence = sq_agent_set_presence,
    .agent_note_assigned = sq_agent_note_assigned,
    .agent_loads = sq_agent_loads,
    .session_set_routing = sq_session_set_routing,
    .queue_list = sq_queue_list,
    .requeue_candidates = sq_requeue_candidates,
    .queue_average_wait = sq_queue_average_wait,
    .team_insert = sq_team_insert,
    .team_get = sq_team_get,
    .team_update = sq_team_update,
    .team_delete = sq_team_delete,
    .team_list = sq_team_list,
    .team_find_by_topic = sq_team_find_by_topic,
    .team_member_add = sq_team_member_add,
    .team_member_remove = sq_team_member_remove,
    .team_has_member = sq_team_has_member,
    .session_set_queue_position = sq_session_set_queue_position,
};

static const parley_tools_ops sqlite_tools_ops = {
    .canned_insert = sq_canned_insert,
    .canned_get = sq_canned_get,
    .canned_update = sq_canned_update,
    .canned_delete = sq_canned_delete,
    .canned_list = sq_canned_list,
    .note_insert = sq_note_insert,
    .note_list = sq_note_list,
    .read_mark = sq_read_mark,
    .unread_count = sq_unread_count,
    .read_list = sq_read_list,
    .label_insert = sq_label_insert,
    .label_get = sq_label_get,
    .label_delete = sq_label_delete,
    .label_list = sq_label_list,
    .session_label_add = sq_session_label_add,
    .session_label_remove = sq_session_label_remove,
};

static const parley_kb_ops sqlite_kb_ops = {
    .insert = sq_kb_insert,
    .get = sq_kb_get,
    .update = sq_kb_update,
    .delete = sq_kb_delete,
    .list = sq_kb_list,
    .load = sq_kb_load,
    .bot_failures_add = sq_bot_failures_add,
};

static const parley_strategy_stores_ops sqlite_strategy_stores_ops = {
    .flagged_insert = sq_flagged_insert,
    .flagged_get = sq_flagged_get,
    .flagged_list = sq_flagged_list,
    .flagged_review = sq_flagged_review,
    .message_label_get = sq_message_label_get,
    .message_label_set = sq_message_label_set,
    .spam_token_add = sq_spam_token_add,
    .spam_totals_add = sq_spam_totals_add,
    .spam_load = sq_spam_load,
    .allowlist_add = sq_allowlist_add,
    .allowlist_remove = sq_allowlist_remove,
    .allowlist_load = sq_allowlist_load,
};

static const parley_reports_ops sqlite_reports_ops = {
    .durations = sq_report_durations,
    .agents = sq_report_agents,
    .ratings = sq_report_ratings,
};

static const parley_search_ops sqlite_search_ops = {
    .index_catch_up = sq_search_index_catch_up,
    .messages = sq_message_search,
};

static const parley_audit_ops sqlite_audit_ops = {
    .insert = sq_audit_insert,
    .list = sq_audit_list,
};

static const parley_uploads_ops sqlite_uploads_ops = {
    .insert = sq_upload_insert,
    .get = sq_upload_get,
    .attach = sq_upload_attach,
};

static const parley_settings_ops sqlite_settings_ops = {
    .get = sq_setting_get,
    .put = sq_setting_put,
};

/* Runs a statement that yields at most one integer (PRAGMA reads). */
static int query_int(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return rc;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Opens a connection with the settings every handle shares and switches the
 * file to WAL (a persistent property of the file, so this is cheap after
 * the first time). */
static parley_status connect_db(const char *path, int busy_timeout_ms, sqlite3 **out,
                                parley_error *err) {
    *out = NULL;
    /* NOMUTEX relies on the library's own locking between connections; a
     * single-threaded build has none and would corrupt shared state. */
    if (sqlite3_threadsafe() == 0) {
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: libsqlite3 was built without thread support");
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        parley_status status = db_fail(db, rc, "open", err);
        sqlite3_close_v2(db);
        return status;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms);

    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_ROW) {
        parley_status status = db_fail(db, rc, "journal_mode", err);
        sqlite3_finalize(st);
        sqlite3_close_v2(db);
        return status;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    /* An in-memory database reports "memory" and cannot be shared across
     * handles anyway; a file that stays out of WAL would make readers and
     * the writer block each other, so refuse it. */
    const char *file = sqlite3_db_filename(db, "main");
    bool ok = mode != NULL && (strcmp(mode, "wal") == 0 || file == NULL || file[0] == '\0');
    sqlite3_finalize(st);
    if (!ok) {
        sqlite3_close_v2(db);
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: the database could not be switched to WAL mode");
    }
    *out = db;
    return PARLEY_OK;
}

parley_status parley_sqlite_repository_open(const char *path, const parley_sqlite_options *options,
                                            parley_repository **out, parley_error *err) {
    *out = NULL;
    /* No options means the safe choice: durable commits. */
    bool durable = options != NULL ? options->durable : true;
    int busy_timeout_ms = options != NULL && options->busy_timeout_ms > 0 ? options->busy_timeout_ms
                                                                          : DEFAULT_BUSY_TIMEOUT_MS;

    struct sqlite_repo *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return parley_error_set(err, PARLEY_E_NOMEM, NULL, "open: out of memory");
    }
    r->base.ops = &sqlite_ops;
    r->base.accounts = &sqlite_accounts_ops;
    r->base.sessions = &sqlite_sessions_ops;
    r->base.messages = &sqlite_messages_ops;
    r->base.tickets = &sqlite_tickets_ops;
    r->base.desk = &sqlite_desk_ops;
    r->base.tools = &sqlite_tools_ops;
    r->base.kb = &sqlite_kb_ops;
    r->base.strategy_stores = &sqlite_strategy_stores_ops;
    r->base.reports = &sqlite_reports_ops;
    r->base.search = &sqlite_search_ops;
    r->base.audit = &sqlite_audit_ops;
    r->base.uploads = &sqlite_uploads_ops;
    r->base.settings = &sqlite_settings_ops;
    parley_status status = connect_db(path, busy_timeout_ms, &r->db, err);
    if (status != PARLEY_OK) {
        free(r);
        return status;
    }

    /* 32 MiB of page cache per connection keeps the hot indexes in memory */
    const char *pragmas = durable ? "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                                    "PRAGMA cache_size=-32768;"
                                  : "PRAGMA synchronous=NORMAL; PRAGMA "
                                    "foreign_keys=ON; PRAGMA cache_size=-32768;";
    int rc = sqlite3_exec(r->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(r->db, rc, "open", err);
        sq_close(&r->base);
        return status;
    }

    /* Statements would fail to prepare against an old schema with a
     * confusing "no such table"; say what is actually wrong. */
    int version = 0;
    rc = query_int(r->db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        status = db_fail(r->db, rc, "open", err);
        sq_close(&r->base);
        return status;
    }
    if (version != parley_sqlite_schema_version()) {
        sq_close(&r->base);
        return parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                "open: database schema is version %d but this build needs "
                                "version %d; run the migration first",
                                version, parley_sqlite_schema_version());
    }

    for (size_t i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[i],
                                NULL);
        if (rc != SQLITE_OK) {
            status = db_fail(r->db, rc, "open: prepare", err);
            sq_close(&r->base);
            return status;
        }
    }
    *out = &r->base;
    return PARLEY_OK;
}

/* ---- migrations -------------------------------------------------------- */

/* Applies one step: under the write lock, re-reads the version so two
 * processes migrating at once cannot both apply the same step. Sets *done
 * when the database is already at the newest version. */
static parley_status migrate_step(sqlite3 *db, bool *done, parley_error *err) {
    int newest = parley_sqlite_schema_version();
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(db, rc, "migrate", err);
    }
    parley_status status = PARLEY_OK;
    int version = 0;
    rc = query_int(db, "PRAGMA user_version", &version);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate", err);
    } else if (version < 0 || version > newest) {
        status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                  "migrate: database schema version %d is newer than this build "
                                  "knows (%d); refusing to use it",
                                  version, newest);
    } else if (version == newest) {
        *done = true;
    } else {
        char set_version[64];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d", version + 1);
        rc = sqlite3_exec(db, parley_sqlite_schema_step(version + 1), NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(db, set_version, NULL, NULL, NULL);
        }
        int violations = 0;
        if (rc == SQLITE_OK) {
            /* Foreign keys are off while migrating (a table rebuild needs
             * that); check them before the step becomes permanent. */
            rc = query_int(db, "SELECT count(*) FROM pragma_foreign_key_check", &violations);
        }
        if (rc != SQLITE_OK) {
            status = parley_error_set(err, PARLEY_E_STORAGE, NULL, "migrate: step %d failed: %s",
                                      version + 1, sqlite3_errmsg(db));
        } else if (violations > 0) {
            status = parley_error_set(err, PARLEY_E_STORAGE, NULL,
                                      "migrate: step %d left %d foreign key violations",
                                      version + 1, violations);
        }
    }
    if (status != PARLEY_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return status;
    }
    rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate: commit", err);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return status;
}

parley_status parley_sqlite_migrate(const char *path, parley_error *err) {
    sqlite3 *db = NULL;
    parley_status status = connect_db(path, DEFAULT_BUSY_TIMEOUT_MS, &db, err);
    if (status != PARLEY_OK) {
        return status;
    }
    /* Off, whatever the build's default: a step that rebuilds a table must
     * be able to drop and recreate it; migrate_step checks keys instead. */
    int rc = sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = db_fail(db, rc, "migrate", err);
    }
    bool done = false;
    while (status == PARLEY_OK && !done) {
        status = migrate_step(db, &done, err);
    }
    sqlite3_close_v2(db);
    return status;
}

int parley_sqlite_schema_version(void) {
    return parley_sqlite_schema_step_count();
}

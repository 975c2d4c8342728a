/*
 * repository.h - the seed's Repository: one const ops table that every
 * storage backend (SQLite now, PostgreSQL later) implements.
 *
 * Ownership: a backend allocates its own struct that embeds
 * parley_repository first and frees it in ops->close(). Output structs are
 * owned by the caller, who frees them with the model's *_free(); on error
 * the backend leaves outputs zeroed.
 *
 * Threads: one repository handle (one connection) is used by one thread at
 * a time. The server opens one handle per worker thread; none is ever used
 * on the event-loop thread.
 *
 * Transactions: begin/commit/rollback bracket a batch; savepoint/release/
 * rollback_to nest one unit of work inside it, so a batch of many requests
 * commits once (group commit) while each request stays all-or-nothing.
 * rollback_to undoes the unit and ends it (no release afterwards); rollback
 * with no open transaction succeeds (SQLite may have rolled back already).
 *
 * Results: PARLEY_OK, PARLEY_E_NOT_FOUND (get/update of a missing row),
 * PARLEY_E_CONFLICT (a unique key already taken), PARLEY_E_UNAVAILABLE
 * (database busy/locked), PARLEY_E_STORAGE (anything else; err says what).
 */
#ifndef PARLEY_REPOSITORY_H
#define PARLEY_REPOSITORY_H

#include <jansson.h>

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* Filters for list calls. Empty strings / negative values / zero bounds
 * mean "any". ticket_insert takes the ticket's customer from its session
 * when customer_id is "".
 * Cursors are opaque strings produced by a previous page (next_cursor). */
typedef struct parley_session_filter {
    int status;                         /* parley_session_status, or -1 */
    char customer_id[PARLEY_ID_SIZE];   /* "" = all customers */
    int limit;                          /* 1..200 */
    char cursor[PARLEY_ID_SIZE * 2];    /* "" = first page */
    char label[PARLEY_LABEL_NAME_SIZE]; /* "" = any; else sessions carrying that label */
} parley_session_filter;

typedef struct parley_ticket_filter {
    int status;                       /* parley_ticket_status, or -1 */
    char customer_id[PARLEY_ID_SIZE]; /* "" = any; else tickets of that customer's sessions */
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
    bool has_priority; /* false (zero) = any priority */
    parley_ticket_priority priority;
    char agent_id[PARLEY_ID_SIZE];   /* the assignee; "" = any */
    char session_id[PARLEY_ID_SIZE]; /* "" = any */
    parley_time_ms created_after;    /* inclusive; 0 = no bound */
    parley_time_ms created_before;   /* exclusive; 0 = no bound */
} parley_ticket_filter;

/* GET /feedback: ratings newest first, by creation time and the rated
 * session's agent. */
typedef struct parley_feedback_filter {
    char agent_id[PARLEY_ID_SIZE]; /* "" = any */
    parley_time_ms from;           /* inclusive; 0 = no bound */
    parley_time_ms to;             /* exclusive; 0 = no bound */
    int limit;
    char cursor[PARLEY_ID_SIZE * 2];
} parley_feedback_filter;

/* Reports look at the sessions created in [from, to), optionally one
 * agent's ("" = all). */
typedef struct parley_report_range {
    parley_time_ms from;
    parley_time_ms to;
    char agent_id[PARLEY_ID_SIZE];
} parley_report_range;

typedef enum parley_report_duration {
    PARLEY_REPORT_FIRST_RESPONSE = 0, /* created_at -> first_response_at */
    PARLEY_REPORT_RESOLUTION          /* created_at -> closed_at */
} parley_report_duration;

/* One agent's line of the agents report: sums and counts, so the core
 * does the rounding in one place. */
typedef struct parley_agent_report_row {
    char agent_id[PARLEY_ID_SIZE];
    const char *name; /* borrowed for the callback's duration; may be NULL */
    int64_t handled;  /* sessions of the range assigned to the agent */
    int64_t closed;   /* of those, closed */
    int64_t first_response_sum_ms;
    int64_t first_response_count;
    int64_t rating_sum;
    int64_t rating_count;
} parley_agent_report_row;

/* Message range: seq > after_seq and (before_seq <= 0 or seq < before_seq),
 * ascending, at most limit. When only before_seq is given the newest
 * `limit` messages before it are returned, still in ascending order. */
typedef struct parley_message_range {
    int64_t after_seq;
    int64_t before_seq;
    int limit;
} parley_message_range;

/* Inputs of the agent tools' inserts; strings are borrowed. */
typedef struct parley_canned_row {
    char id[PARLEY_ID_SIZE];
    char owner_id[PARLEY_ID_SIZE]; /* "" = team-wide */
    const char *shortcode;
    const char *title;
    const char *content;
    parley_time_ms created_at;
    parley_time_ms updated_at;
} parley_canned_row;

typedef struct parley_note_row {
    char id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    parley_participant_kind author_kind;
    char author_id[PARLEY_ID_SIZE];
    const char *content;
    parley_time_ms created_at;
} parley_note_row;

/* One message search (message_search). */
typedef struct parley_search_spec {
    const char *match;       /* FTS5 expression over the text, built from quoted
                                tokens by core/search_query.h */
    const char *session_id;  /* NULL or "": every session in the customer scope */
    const char *customer_id; /* NULL or "": every customer (staff) */
    int limit;               /* clamped to 1..200 */
    const char *cursor;      /* "" = first page */
    int budget_ms;           /* wall time the search may take; <= 0: no budget */
} parley_search_spec;

/* Un-indexed messages (stored since the last index run) a search scans at
 * most, newest first; older ones wait for the index job. */
#define PARLEY_SEARCH_TAIL_MAX 1000

typedef struct parley_repository_ops {
    const char *name; /* "sqlite", "postgres" */

    void (*close)(parley_repository *repo);

    parley_status (*begin)(parley_repository *repo, parley_error *err);
    parley_status (*commit)(parley_repository *repo, parley_error *err);
    parley_status (*rollback)(parley_repository *repo, parley_error *err);
    parley_status (*savepoint)(parley_repository *repo, parley_error *err);
    parley_status (*release)(parley_repository *repo, parley_error *err);
    parley_status (*rollback_to)(parley_repository *repo, parley_error *err);

    /* customers */
    parley_status (*customer_insert)(parley_repository *repo, const parley_customer *c,
                                     parley_error *err);
    parley_status (*customer_get)(parley_repository *repo, const char *id, parley_customer *out,
                                  parley_error *err);
    parley_status (*customer_find_by_identifier)(parley_repository *repo, const char *identifier,
                                                 parley_customer *out, parley_error *err);

    /* agents; password_hash is libsodium's crypto_pwhash_str() output */
    parley_status (*agent_insert)(parley_repository *repo, const parley_agent *a,
                                  const char *password_hash, parley_error *err);
    parley_status (*agent_get)(parley_repository *repo, const char *id, parley_agent *out,
                               parley_error *err);
    /* email match is case-insensitive; *password_hash_out (malloc'd) may be NULL */
    parley_status (*agent_get_by_email)(parley_repository *repo, const char *email,
                                        parley_agent *out, char **password_hash_out,
                                        parley_error *err);
    parley_status (*agent_list)(parley_repository *repo, parley_agent_list *out, parley_error *err);
    parley_status (*agent_count)(parley_repository *repo, int64_t *out, parley_error *err);
    /* writes name, language, role, status, active */
    parley_status (*agent_update)(parley_repository *repo, const parley_agent *a,
                                  parley_error *err);
    /* active admins, for "never remove the last admin" */
    parley_status (*agent_count_active_admins)(parley_repository *repo, int64_t *out,
                                               parley_error *err);

    /* bots */
    parley_status (*bot_insert)(parley_repository *repo, const parley_bot *b, parley_error *err);
    parley_status (*bot_get)(parley_repository *repo, const char *id, parley_bot *out,
                             parley_error *err);
    parley_status (*bot_list)(parley_repository *repo, parley_bot_list *out, parley_error *err);
    /* writes name, active */
    parley_status (*bot_update)(parley_repository *repo, const parley_bot *b, parley_error *err);

    /* tokens, keyed by the SHA-256 hex of the secret */
    parley_status (*token_insert)(parley_repository *repo, const parley_token *t,
                                  parley_error *err);
    parley_status (*token_get)(parley_repository *repo, const char *token_hash, parley_token *out,
                               parley_error *err);
    parley_status (*token_touch)(parley_repository *repo, const char *token_hash,
                                 parley_time_ms last_used_at, parley_error *err);
    parley_status (*token_delete)(parley_repository *repo, const char *token_hash,
                                  parley_error *err);
    /* every token of one owner (deactivation, revocation); none is fine */
    parley_status (*token_delete_by_owner)(parley_repository *repo,
                                           parley_participant_kind owner_kind, const char *owner_id,
                                           parley_error *err);

    /* sessions */
    parley_status (*session_insert)(parley_repository *repo, const parley_session *s,
                                    parley_error *err);
    parley_status (*session_get)(parley_repository *repo, const char *id, parley_session *out,
                                 parley_error *err);
    /* writes status, agent_id, bot_id, updated_at (last_seq is owned by
     * session_next_seq) */
    parley_status (*session_update)(parley_repository *repo, const parley_session *s,
                                    parley_error *err);
    /* newest first; *next_cursor_out gets "" on the last page */
    parley_status (*session_list)(parley_repository *repo, const parley_session_filter *filter,
                                  parley_session_list *out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err);
    /* Increments the session's last_seq and returns the new value; must run
     * inside the transaction that inserts the message. */
    parley_status (*session_next_seq)(parley_repository *repo, const char *session_id,
                                      int64_t *seq_out, parley_error *err);

    /* messages; UNIQUE(session_id, seq) and UNIQUE(sender_kind, sender_id,
     * client_msg_id) -> PARLEY_E_CONFLICT */
    parley_status (*message_insert)(parley_repository *repo, const parley_message *m,
                                    parley_error *err);
    parley_status (*message_find_by_client_id)(parley_repository *repo,
                                               parley_participant_kind sender_kind,
                                               const char *sender_id, const char *client_msg_id,
                                               parley_message *out, parley_error *err);
    parley_status (*message_list)(parley_repository *repo, const char *session_id,
                                  const parley_message_range *range, parley_message_list *out,
                                  parley_error *err);

    /* tickets */
    parley_status (*ticket_insert)(parley_repository *repo, const parley_ticket *t,
                                   parley_error *err);
    parley_status (*ticket_get)(parley_repository *repo, const char *id, parley_ticket *out,
                                parley_error *err);
    /* writes status, agent_id, issue_description, updated_at */
    parley_status (*ticket_update)(parley_repository *repo, const parley_ticket *t,
                                   parley_error *err);
    parley_status (*ticket_list)(parley_repository *repo, const parley_ticket_filter *filter,
                                 parley_ticket_list *out, char *next_cursor_out,
                                 size_t next_cursor_size, parley_error *err);

    /* feedback; one per session -> PARLEY_E_CONFLICT on the second */
    parley_status (*feedback_insert)(parley_repository *repo, const parley_feedback *f,
                                     parley_error *err);
    parley_status (*feedback_get_by_session)(parley_repository *repo, const char *session_id,
                                             parley_feedback *out, parley_error *err);

    /* the audit log: append-only; listed newest first, cursor-paged */
    parley_status (*audit_insert)(parley_repository *repo, const parley_audit_entry *e,
                                  parley_error *err);
    parley_status (*audit_list)(parley_repository *repo, int limit, const char *cursor,
                                parley_audit_list *out, char *next_cursor_out,
                                size_t next_cursor_size, parley_error *err);

    /* messages by id (training, moderation) */
    parley_status (*message_get)(parley_repository *repo, const char *id, parley_message *out,
                                 parley_error *err);

    /* refused messages kept for review; listed newest first, cursor-paged */
    parley_status (*flagged_insert)(parley_repository *repo, const parley_flagged_message *f,
                                    parley_error *err);
    parley_status (*flagged_get)(parley_repository *repo, const char *id,
                                 parley_flagged_message *out, parley_error *err);
    parley_status (*flagged_list)(parley_repository *repo, int limit, const char *cursor,
                                  parley_flagged_list *out, char *next_cursor_out,
                                  size_t next_cursor_size, parley_error *err);
    /* reviewed_as: "spam" or "ham" */
    parley_status (*flagged_review)(parley_repository *repo, const char *id,
                                    const char *reviewed_as, parley_error *err);
    /* an agent's label of a delivered message ("spam"/"ham"); get answers
     * PARLEY_E_NOT_FOUND for an unlabelled one; set replaces */
    parley_status (*message_label_get)(parley_repository *repo, const char *message_id, char *label,
                                       size_t label_size, parley_error *err);
    parley_status (*message_label_set)(parley_repository *repo, const char *message_id,
                                       const char *label, const char *labelled_by,
                                       parley_time_ms at, parley_error *err);

    /* the spam classifier's learnt counts: added to (negative to unlearn),
     * and read back whole at start */
    parley_status (*spam_token_add)(parley_repository *repo, const char *token, int64_t spam,
                                    int64_t ham, parley_error *err);
    parley_status (*spam_totals_add)(parley_repository *repo, int64_t spam_messages,
                                     int64_t ham_messages, parley_error *err);
    parley_status (*spam_load)(parley_repository *repo,
                               void (*each)(void *ctx, const char *token, int64_t spam,
                                            int64_t ham),
                               void *ctx, int64_t *spam_messages, int64_t *ham_messages,
                               parley_error *err);

    /* words the profanity filter never censors (admins edit them) */
    parley_status (*allowlist_add)(parley_repository *repo, const char *word, const char *added_by,
                                   parley_time_ms at, parley_error *err);
    parley_status (*allowlist_remove)(parley_repository *repo, const char *word, parley_error *err);
    parley_status (*allowlist_load)(parley_repository *repo,
                                    void (*each)(void *ctx, const char *word), void *ctx,
                                    parley_error *err);

    /* desk settings (core/settings.h): get answers PARLEY_E_NOT_FOUND for a
     * key never set (*value_json is then NULL; the caller frees it) */
    parley_status (*setting_get)(parley_repository *repo, const char *key, char **value_json,
                                 parley_error *err);
    parley_status (*setting_put)(parley_repository *repo, const char *key, const char *value_json,
                                 const char *updated_by, parley_time_ms at, parley_error *err);

    /* the ChatBot's knowledge base (core/knowledge_base.h); update writes
     * question, answer, alternatives_json, tags_json, updated_at; delete
     * and update answer PARLEY_E_NOT_FOUND for a missing id */
    parley_status (*kb_insert)(parley_repository *repo, const parley_kb_entry *e,
                               parley_error *err);
    parley_status (*kb_get)(parley_repository *repo, const char *id, parley_kb_entry *out,
                            parley_error *err);
    parley_status (*kb_update)(parley_repository *repo, const parley_kb_entry *e,
                               parley_error *err);
    parley_status (*kb_delete)(parley_repository *repo, const char *id, parley_error *err);
    /* newest first, cursor-paged; *next_cursor_out gets "" on the last page */
    parley_status (*kb_list)(parley_repository *repo, int limit, const char *cursor,
                             parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                             parley_error *err);
    /* every entry, oldest first (building the matcher's index) */
    parley_status (*kb_load)(parley_repository *repo,
                             void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                             parley_error *err);
    /* the bot's unanswered questions in a session: adds delta (0 reads)
     * and returns the new count */
    parley_status (*bot_failures_add)(parley_repository *repo, const char *session_id,
                                      int64_t delta, int64_t *count_out, parley_error *err);
    /* uploads (attachments): the metadata row of a stored file */
    parley_status (*upload_insert)(parley_repository *repo, const parley_upload *u,
                                   parley_error *err);
    parley_status (*upload_get)(parley_repository *repo, const char *id, parley_upload *out,
                                parley_error *err);
    /* Marks the upload as referenced by message_id in session_id, only if
     * uploader_id uploaded it and no message references it yet; otherwise
     * PARLEY_E_CONFLICT. Runs in the unit that inserts the message. */
    parley_status (*upload_attach)(parley_repository *repo, const char *id, const char *uploader_id,
                                   const char *message_id, const char *session_id,
                                   parley_error *err);
    /* --- presence and routing (core/presence.h, core/routing.h) --------- */
    /* writes status and status_since */
    parley_status (*agent_set_presence)(parley_repository *repo, const char *agent_id,
                                        parley_agent_status status, parley_time_ms since,
                                        parley_error *err);
    /* the round-robin rotation: seq = 1 + the highest given so far */
    parley_status (*agent_note_assigned)(parley_repository *repo, const char *agent_id,
                                         parley_error *err);
    /* active agents (creation order) with presence and active chat count */
    parley_status (*agent_loads)(parley_repository *repo, parley_agent_load_list *out,
                                 parley_error *err);
    /* writes team_id, queued_at, assigned_at */
    parley_status (*session_set_routing)(parley_repository *repo, const parley_session *s,
                                         parley_error *err);
    /* waiting sessions with no bot attached, in queue order (ascending
     * position), position_key > after; at most limit (1..10000) */
    parley_status (*queue_list)(parley_repository *repo, int64_t after, int limit,
                                parley_queue_list *out, parley_error *err);
    /* active sessions whose agent is offline, assigned at or before
     * assigned_before, with no message from that agent since assignment */
    parley_status (*requeue_candidates)(parley_repository *repo, parley_time_ms assigned_before,
                                        parley_session_list *out, parley_error *err);
    /* mean of assigned_at - queued_at over the last `sample` assignments;
     * *known false when there are none */
    parley_status (*queue_average_wait)(parley_repository *repo, int sample, int64_t *avg_ms,
                                        bool *known, parley_error *err);

    /* --- teams (core/teams.h); a name taken (case-insensitive) ->
     * PARLEY_E_CONFLICT ---------------------------------------------------- */
    parley_status (*team_insert)(parley_repository *repo, const parley_team *t, parley_error *err);
    parley_status (*team_get)(parley_repository *repo, const char *id, parley_team *out,
                              parley_error *err);
    /* writes name, topics_json */
    parley_status (*team_update)(parley_repository *repo, const parley_team *t, parley_error *err);
    /* removes the members and the team; its sessions are left with no team */
    parley_status (*team_delete)(parley_repository *repo, const char *id, parley_error *err);
    /* newest first, cursor-paged; *next_cursor_out "" on the last page */
    parley_status (*team_list)(parley_repository *repo, int limit, const char *cursor,
                               parley_team_list *out, char *next_cursor_out,
                               size_t next_cursor_size, parley_error *err);
    /* the oldest team listing topic (case-insensitive); NOT_FOUND if none */
    parley_status (*team_find_by_topic)(parley_repository *repo, const char *topic,
                                        char team_id_out[PARLEY_ID_SIZE], parley_error *err);
    /* add: *added false when already a member; remove: NOT_FOUND when not */
    parley_status (*team_member_add)(parley_repository *repo, const char *team_id,
                                     const char *agent_id, bool *added, parley_error *err);
    parley_status (*team_member_remove)(parley_repository *repo, const char *team_id,
                                        const char *agent_id, parley_error *err);
    parley_status (*team_has_member)(parley_repository *repo, const char *team_id,
                                     const char *agent_id, bool *out, parley_error *err);
    /* the queue position last announced to the session's customer */
    parley_status (*session_set_queue_position)(parley_repository *repo, const char *session_id,
                                                int64_t position, parley_error *err);
    /* --- the agent tools (core/agent_tools.h) ----------------------------
     * Their rows are read back as jansson objects keyed by column name
     * (times as integer ms, NULL as null); the tools service turns them
     * into the wire form. Pages: newest first, *items_out a new array,
     * next_cursor "" on the last page. */

    /* canned responses; owner_id "" = team-wide. The same shortcode twice
     * in one owner scope -> PARLEY_E_CONFLICT */
    parley_status (*canned_insert)(parley_repository *repo, const parley_canned_row *c,
                                   parley_error *err);
    parley_status (*canned_get)(parley_repository *repo, const char *id, json_t **out,
                                parley_error *err);
    /* writes shortcode, title, content, updated_at */
    parley_status (*canned_update)(parley_repository *repo, const parley_canned_row *c,
                                   parley_error *err);
    parley_status (*canned_delete)(parley_repository *repo, const char *id, parley_error *err);
    /* team-wide ones plus those owned by owner_id, shortcode starting with
     * prefix ("" = all) */
    parley_status (*canned_list)(parley_repository *repo, const char *owner_id, const char *prefix,
                                 int limit, const char *cursor, json_t **items_out,
                                 char *next_cursor_out, size_t next_cursor_size, parley_error *err);

    /* private notes of a session (never messages: no seq, not searchable) */
    parley_status (*note_insert)(parley_repository *repo, const parley_note_row *n,
                                 parley_error *err);
    parley_status (*note_list)(parley_repository *repo, const char *session_id, int limit,
                               const char *cursor, json_t **items_out, char *next_cursor_out,
                               size_t next_cursor_size, parley_error *err);

    /* read receipts: raises a participant's last_read_seq, never lowers
     * it; *changed tells whether it moved */
    parley_status (*read_mark)(parley_repository *repo, const char *session_id,
                               parley_participant_kind kind, const char *participant_id,
                               int64_t seq, parley_time_ms at, bool *changed, parley_error *err);
    /* messages of the session after the participant's receipt that
     * someone else sent, counted up to cap */
    parley_status (*unread_count)(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id, int cap,
                                  int64_t *out, parley_error *err);
    /* every participant's receipt of a session, as an array */
    parley_status (*read_list)(parley_repository *repo, const char *session_id, json_t **out,
                               parley_error *err);

    /* labels (by name) and their use on sessions; deleting a label takes
     * it off every session */
    parley_status (*label_insert)(parley_repository *repo, const char *name, const char *color,
                                  parley_time_ms at, parley_error *err);
    parley_status (*label_get)(parley_repository *repo, const char *name, json_t **out,
                               parley_error *err);
    parley_status (*label_delete)(parley_repository *repo, const char *name, parley_error *err);
    parley_status (*label_list)(parley_repository *repo, int limit, const char *cursor,
                                json_t **items_out, char *next_cursor_out, size_t next_cursor_size,
                                parley_error *err);
    /* already there -> PARLEY_E_CONFLICT; remove of an absent one ->
     * PARLEY_E_NOT_FOUND */
    parley_status (*session_label_add)(parley_repository *repo, const char *session_id,
                                       const char *label, parley_time_ms at, parley_error *err);
    parley_status (*session_label_remove)(parley_repository *repo, const char *session_id,
                                          const char *label, parley_error *err);

    /* indexes for search up to max_rows messages stored since the last
     * call, oldest first, in the caller's unit; *indexed gets how many.
     * Writer thread only (it writes). */
    parley_status (*search_index_catch_up)(parley_repository *repo, int max_rows, int64_t *indexed,
                                           parley_error *err);
    /* full-text search over delivered messages, newest first; a read that
     * never writes the database (pool threads). The scope (session and/or
     * customer) is part of what the index intersects, not a filter applied
     * afterwards; messages not yet indexed (the tail) are searched too,
     * within the same scope, at most PARLEY_SEARCH_TAIL_MAX of them.
     * Rows carry a snippet with \x02 / \x03 around hits. A malformed
     * expression or cursor is PARLEY_E_INVALID; a search that runs past
     * budget_ms is PARLEY_E_REJECTED with code "search_too_broad". */
    parley_status (*message_search)(parley_repository *repo, const parley_search_spec *spec,
                                    json_t **items_out, char *next_cursor_out,
                                    size_t next_cursor_size, parley_error *err);
    /* --- tickets, feedback, reports and the session lifecycle (issue 5) --- */
    /* first_response_at is set once: a later call leaves it as it is */
    parley_status (*session_set_first_response)(parley_repository *repo, const char *session_id,
                                                parley_time_ms at, parley_error *err);
    /* waiting or active sessions whose newest message (or, without one,
     * whose creation) is older than idle_before, oldest first */
    parley_status (*session_list_idle)(parley_repository *repo, parley_time_ms idle_before,
                                       int limit, parley_session_list *out, parley_error *err);
    parley_status (*ticket_note_insert)(parley_repository *repo, const parley_ticket_note *n,
                                        parley_error *err);
    /* newest first, cursor-paged */
    parley_status (*ticket_note_list)(parley_repository *repo, const char *ticket_id, int limit,
                                      const char *cursor, parley_ticket_note_list *out,
                                      char *next_cursor_out, size_t next_cursor_size,
                                      parley_error *err);
    /* newest first, cursor-paged; items carry the session's agent_id */
    parley_status (*feedback_list)(parley_repository *repo, const parley_feedback_filter *filter,
                                   parley_feedback_list *out, char *next_cursor_out,
                                   size_t next_cursor_size, parley_error *err);
    /* every duration of the range in ascending order, one call each */
    parley_status (*report_durations)(parley_repository *repo, parley_report_duration kind,
                                      const parley_report_range *range,
                                      void (*each)(void *ctx, int64_t duration_ms), void *ctx,
                                      parley_error *err);
    /* one row per agent with sessions in the range, by agent id */
    parley_status (*report_agents)(parley_repository *repo, const parley_report_range *range,
                                   void (*each)(void *ctx, const parley_agent_report_row *row),
                                   void *ctx, parley_error *err);
    /* counts[r - 1] = ratings r of the range's sessions */
    parley_status (*report_ratings)(parley_repository *repo, const parley_report_range *range,
                                    int64_t counts[5], parley_error *err);

    /* --- retention (issue 9, core/retention.h) -------------------------- */
    /* Kept together: the purges of what has outlived its use. Each deletes
     * at most `limit` rows (1..100000), oldest first, in the caller's unit,
     * walking an index of what qualifies (schema step 12), so one call
     * costs what it deletes; *deleted gets how many. */
    /* tokens that no longer work: expires_at <= now, or last_used_at <=
     * idle_before (account_service.c refuses exactly these) */
    parley_status (*retention_purge_tokens)(parley_repository *repo, parley_time_ms now,
                                            parley_time_ms idle_before, int limit, int64_t *deleted,
                                            parley_error *err);
    /* customers without an identifier, created before `before`, who never
     * started a session and hold no token (not even an expired one) */
    parley_status (*retention_purge_customers)(parley_repository *repo, parley_time_ms before,
                                               int limit, int64_t *deleted, parley_error *err);
    /* audit entries written before `before` */
    parley_status (*retention_purge_audit)(parley_repository *repo, parley_time_ms before,
                                           int limit, int64_t *deleted, parley_error *err);
    /* uploads no message references, created before `before`; then calls
     * unreferenced(ctx, sha256) once for each of their content hashes that
     * no remaining upload row names (the file may go once this commits) */
    parley_status (*retention_purge_uploads)(parley_repository *repo, parley_time_ms before,
                                             int limit, int64_t *deleted,
                                             void (*unreferenced)(void *ctx, const char *sha256),
                                             void *ctx, parley_error *err);
    /* whether any upload row names this content hash */
    parley_status (*upload_hash_in_use)(parley_repository *repo, const char *sha256, bool *in_use,
                                        parley_error *err);
} parley_repository_ops;

/* Every backend's handle starts with this. */
struct parley_repository {
    const parley_repository_ops *ops;
};

#endif

/*
 * agent_tools.h - the support desk's agent tools (issue 5): canned
 * responses, private notes inside a session, read receipts, labels on
 * sessions and full-text search over message text.
 *
 * Every call is one unit of work of the caller's chat service: it asks the
 * authorization policy first (role, then the session's scope), reads and
 * writes only through the repository, and appends its events to
 * svc->events for publication after commit:
 *  - note.created (a private note) to staff connections only
 *    (PARLEY_AUDIENCE_AGENTS): notes never reach a customer or a bot;
 *  - session.read (a read receipt moved) to the session's subscribers;
 *  - session.updated (labels changed) to staff only.
 *
 * Outputs are new jansson references in wire form, owned by the caller.
 * Threads: like the chat service, one worker thread; never the loop.
 */
#ifndef PARLEY_AGENT_TOOLS_H
#define PARLEY_AGENT_TOOLS_H

#include <jansson.h>

#include "core/chat_service.h"

#define PARLEY_CANNED_TITLE_MAX_CHARS 200
#define PARLEY_CANNED_CONTENT_MAX_CHARS 5000
#define PARLEY_NOTE_MAX_CHARS 5000

typedef struct parley_canned_input {
    const char *shortcode; /* [a-z0-9_-]{1,32}; NULL in a patch: unchanged */
    const char *title;
    const char *content;
    const char *scope; /* create only: "team" or "personal"; NULL: team for admins, else personal */
} parley_canned_input;

/* Canned responses: team-wide ones (owner null) are made and edited by
 * admins and used by all staff; personal ones belong to one agent, who
 * alone sees and edits them (others get 404). */
parley_status parley_tools_canned_create(parley_chat_service *svc, const parley_participant *caller,
                                         const parley_canned_input *in, json_t **out,
                                         parley_error *err);
parley_status parley_tools_canned_get(parley_chat_service *svc, const parley_participant *caller,
                                      const char *id, json_t **out, parley_error *err);
parley_status parley_tools_canned_update(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, const parley_canned_input *patch,
                                         json_t **out, parley_error *err);
parley_status parley_tools_canned_delete(parley_chat_service *svc, const parley_participant *caller,
                                         const char *id, parley_error *err);
/* What the caller may use: team-wide plus their own, shortcode starting
 * with prefix (NULL or "" = all). */
parley_status parley_tools_canned_list(parley_chat_service *svc, const parley_participant *caller,
                                       const char *prefix, int limit, const char *cursor,
                                       json_t **items, char *next_cursor, size_t next_cursor_size,
                                       parley_error *err);

/* Private notes: staff only, stored apart from messages (no seq). */
parley_status parley_tools_note_create(parley_chat_service *svc, const parley_participant *caller,
                                       const char *session_id, const char *content, json_t **out,
                                       parley_error *err);
parley_status parley_tools_note_list(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, int limit, const char *cursor,
                                     json_t **items, char *next_cursor, size_t next_cursor_size,
                                     parley_error *err);

/* Read receipts: the caller has read the session up to seq. A lower seq
 * than before changes nothing; beyond the session's last_seq is 400.
 * *out is the caller's receipt as it now stands. */
parley_status parley_tools_mark_read(parley_chat_service *svc, const parley_participant *caller,
                                     const char *session_id, int64_t seq, json_t **out,
                                     parley_error *err);
/* {session_id, last_seq, receipts: [{participant, last_read_seq, read_at}]} */
parley_status parley_tools_read_state(parley_chat_service *svc, const parley_participant *caller,
                                      const char *session_id, json_t **out, parley_error *err);

/* Unread messages for the caller in each of n sessions (already read
 * under the caller's scope): those after the caller's receipt that others
 * sent, at most PARLEY_UNREAD_CAP each. */
#define PARLEY_UNREAD_CAP 100
parley_status parley_tools_unread_counts(parley_chat_service *svc, const parley_participant *caller,
                                         const parley_session *sessions, size_t n, int64_t *out,
                                         parley_error *err);

/* Labels: names [a-z0-9_-]{1,48}, colors "#rrggbb" (default #6b7280). */
parley_status parley_tools_label_create(parley_chat_service *svc, const parley_participant *caller,
                                        const char *name, const char *color, json_t **out,
                                        parley_error *err);
parley_status parley_tools_label_list(parley_chat_service *svc, const parley_participant *caller,
                                      int limit, const char *cursor, json_t **items,
                                      char *next_cursor, size_t next_cursor_size,
                                      parley_error *err);
parley_status parley_tools_label_delete(parley_chat_service *svc, const parley_participant *caller,
                                        const char *name, parley_error *err);
/* Changes a label's colour (admins); *out is the label after it. */
parley_status parley_tools_label_recolor(parley_chat_service *svc, const parley_participant *caller,
                                         const char *name, const char *color, json_t **out,
                                         parley_error *err);
/* Puts a label on a session (again: no change) or takes it off (absent:
 * 404); *out is the session after the change. */
parley_status parley_tools_session_label(parley_chat_service *svc, const parley_participant *caller,
                                         const char *session_id, const char *label, bool add,
                                         parley_session *out, parley_error *err);

/* Full-text search over delivered messages' text; session_id NULL or "" =
 * every session the caller may read (customers: their own). A read: pool
 * threads, never the writer. The scope is applied by the index before
 * anything is walked; messages not yet indexed are searched too (the
 * newest PARLEY_SEARCH_TAIL_MAX in scope). Refusals: customers past
 * --limit-searches-per-minute 429 rate_limited; all search slots busy 503
 * (Retry-After 1); past --search-budget-ms 422 search_too_broad. */
parley_status parley_tools_search(parley_chat_service *svc, const parley_participant *caller,
                                  const char *q, const char *session_id, int limit,
                                  const char *cursor, json_t **items, char *next_cursor,
                                  size_t next_cursor_size, parley_error *err);

/* Pure checks, exposed for the unit tests. */
bool parley_canned_shortcode_valid(const char *shortcode);
bool parley_label_name_valid(const char *name);
bool parley_label_color_valid(const char *color);

/* The search index is filled in batches of up to this many messages by a
 * periodic writer job (net/server.c), not by a trigger in each message's
 * transaction, and not by searches (they only read). Writer thread only. */
#define PARLEY_SEARCH_INDEX_BATCH 20000
parley_status parley_tools_index_messages(parley_chat_service *svc, int64_t *indexed,
                                          parley_error *err);

#endif

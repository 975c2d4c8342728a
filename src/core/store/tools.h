/*
 * store/tools.h - the agent tools aggregate: canned responses, private
 * session notes, read receipts, labels and their use on sessions.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->tools at its parley_tools_ops; callers write
 * repo->tools->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * Rows go in and come out as the plain structs below (their char * fields
 * owned by the struct, freed by the matching *_free(); lists own their
 * items, like core/model.h). core/agent_tools.c turns them into the wire
 * form; nothing here is JSON.
 *
 * Expected conflicts are results: an outcome the caller expects and goes
 * on from in the same unit (a label already on the session, an absent one
 * taken off) is reported through an out flag with PARLEY_OK, never as an
 * error status. On PostgreSQL an error aborts the transaction, so no
 * statement may follow one in a unit; a status other than PARLEY_OK ends
 * the caller's unit (it is rolled back). PARLEY_E_CONFLICT below is only
 * for refusals the caller answers as they are (409).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/tools.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_TOOLS_H
#define PARLEY_STORE_TOOLS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* A canned response; owner_id "" = team-wide. */
typedef struct parley_canned {
    char id[PARLEY_ID_SIZE];
    char owner_id[PARLEY_ID_SIZE];
    char *shortcode;
    char *title;
    char *content;
    parley_time_ms created_at;
    parley_time_ms updated_at;
} parley_canned;

/* A private note inside a session (staff only; not a message). */
typedef struct parley_session_note {
    char id[PARLEY_ID_SIZE];
    char session_id[PARLEY_ID_SIZE];
    parley_participant_kind author_kind;
    char author_id[PARLEY_ID_SIZE];
    char *content;
    parley_time_ms created_at;
} parley_session_note;

/* How far one participant has read a session. */
typedef struct parley_read_receipt {
    parley_participant_kind participant_kind;
    char participant_id[PARLEY_ID_SIZE];
    int64_t last_read_seq;
    parley_time_ms read_at;
} parley_read_receipt;

#define PARLEY_LABEL_COLOR_SIZE 8 /* "#rrggbb" + NUL */
typedef struct parley_label {
    char name[PARLEY_LABEL_NAME_SIZE];
    char color[PARLEY_LABEL_COLOR_SIZE];
    parley_time_ms created_at;
} parley_label;

PARLEY_DECLARE_LIST(parley_canned_list, parley_canned);
PARLEY_DECLARE_LIST(parley_session_note_list, parley_session_note);
PARLEY_DECLARE_LIST(parley_read_receipt_list, parley_read_receipt);
PARLEY_DECLARE_LIST(parley_label_list, parley_label);

/* Defined in core/model.c with the other lists. */
void parley_canned_free(parley_canned *c);
void parley_session_note_free(parley_session_note *n);
parley_canned *parley_canned_list_push(parley_canned_list *list);
parley_session_note *parley_session_note_list_push(parley_session_note_list *list);
parley_read_receipt *parley_read_receipt_list_push(parley_read_receipt_list *list);
parley_label *parley_label_list_push(parley_label_list *list);
void parley_canned_list_free(parley_canned_list *list);
void parley_session_note_list_free(parley_session_note_list *list);
void parley_read_receipt_list_free(parley_read_receipt_list *list);
void parley_label_list_free(parley_label_list *list);

typedef struct parley_tools_ops {
    /* --- the agent tools (core/agent_tools.h) ----------------------------
     * Pages: newest first, *out a new list, next_cursor "" on the last
     * page. Inputs are borrowed for the call. */
    /* canned responses; owner_id "" = team-wide. The same shortcode twice
     * in one owner scope -> PARLEY_E_CONFLICT (answered as 409) */
    parley_status (*canned_insert)(parley_repository *repo, const parley_canned *c,
                                   parley_error *err);
    parley_status (*canned_get)(parley_repository *repo, const char *id, parley_canned *out,
                                parley_error *err);
    /* writes shortcode, title, content, updated_at; a taken shortcode ->
     * PARLEY_E_CONFLICT (409) */
    parley_status (*canned_update)(parley_repository *repo, const parley_canned *c,
                                   parley_error *err);
    parley_status (*canned_delete)(parley_repository *repo, const char *id, parley_error *err);
    /* team-wide ones plus those owned by owner_id, shortcode starting with
     * prefix ("" or NULL = all) */
    parley_status (*canned_list)(parley_repository *repo, const char *owner_id, const char *prefix,
                                 int limit, const char *cursor, parley_canned_list *out,
                                 char *next_cursor_out, size_t next_cursor_size, parley_error *err);
    /* private notes of a session (never messages: no seq, not searchable) */
    parley_status (*note_insert)(parley_repository *repo, const parley_session_note *n,
                                 parley_error *err);
    parley_status (*note_list)(parley_repository *repo, const char *session_id, int limit,
                               const char *cursor, parley_session_note_list *out,
                               char *next_cursor_out, size_t next_cursor_size, parley_error *err);
    /* read receipts: raises a participant's last_read_seq, never lowers
     * it; *changed tells whether it moved (a lower seq is a result, not
     * an error) */
    parley_status (*read_mark)(parley_repository *repo, const char *session_id,
                               parley_participant_kind kind, const char *participant_id,
                               int64_t seq, parley_time_ms at, bool *changed, parley_error *err);
    /* messages of the session after the participant's receipt that
     * someone else sent, counted up to cap */
    parley_status (*unread_count)(parley_repository *repo, const char *session_id,
                                  parley_participant_kind kind, const char *participant_id, int cap,
                                  int64_t *out, parley_error *err);
    /* every participant's receipt of a session, by kind then id */
    parley_status (*read_list)(parley_repository *repo, const char *session_id,
                               parley_read_receipt_list *out, parley_error *err);
    /* labels (by name) and their use on sessions; deleting a label takes
     * it off every session. A taken name -> PARLEY_E_CONFLICT (409) */
    parley_status (*label_insert)(parley_repository *repo, const char *name, const char *color,
                                  parley_time_ms at, parley_error *err);
    parley_status (*label_get)(parley_repository *repo, const char *name, parley_label *out,
                               parley_error *err);
    parley_status (*label_delete)(parley_repository *repo, const char *name, parley_error *err);
    /* a label's colour; no such label -> PARLEY_E_NOT_FOUND */
    parley_status (*label_set_color)(parley_repository *repo, const char *name, const char *color,
                                     parley_error *err);
    parley_status (*label_list)(parley_repository *repo, int limit, const char *cursor,
                                parley_label_list *out, char *next_cursor_out,
                                size_t next_cursor_size, parley_error *err);
    /* Expected conflicts, so results: *added is false when the session
     * already carries the label, *removed false when it did not; both
     * PARLEY_OK, and the unit goes on. The label must exist (the caller
     * checks with label_get first). */
    parley_status (*session_label_add)(parley_repository *repo, const char *session_id,
                                       const char *label, parley_time_ms at, bool *added,
                                       parley_error *err);
    parley_status (*session_label_remove)(parley_repository *repo, const char *session_id,
                                          const char *label, bool *removed, parley_error *err);
} parley_tools_ops;

#endif

/*
 * store/tools.h - the agent tools aggregate: canned responses, private
 * session notes, read receipts, labels and their use on sessions.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->tools at its parley_tools_ops; callers write
 * repo->tools->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/tools.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_TOOLS_H
#define PARLEY_STORE_TOOLS_H

#include <jansson.h>

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

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

typedef struct parley_tools_ops {
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
} parley_tools_ops;

#endif

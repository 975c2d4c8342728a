/*
 * store/sessions.h - the sessions aggregate: chat sessions and their
 * lifecycle times. Their message sequence counter (last_seq) is read here
 * and advanced only by messages->store (store/messages.h).
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->sessions at its parley_sessions_ops; callers write
 * repo->sessions->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/sessions.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_SESSIONS_H
#define PARLEY_STORE_SESSIONS_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* Filters for list calls. Empty strings / negative values / zero bounds
 * mean "any". Cursors are opaque strings produced by a previous page
 * (next_cursor). */
typedef struct parley_session_filter {
    int status;                         /* parley_session_status, or -1 */
    char customer_id[PARLEY_ID_SIZE];   /* "" = all customers */
    int limit;                          /* 1..200 */
    char cursor[PARLEY_ID_SIZE * 2];    /* "" = first page */
    char label[PARLEY_LABEL_NAME_SIZE]; /* "" = any; else sessions carrying that label */
} parley_session_filter;

typedef struct parley_sessions_ops {
    parley_status (*insert)(parley_repository *repo, const parley_session *s, parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_session *out,
                         parley_error *err);
    /* writes status, agent_id, bot_id, updated_at, closed_at (last_seq is
     * owned by messages->store, store/messages.h) */
    parley_status (*update)(parley_repository *repo, const parley_session *s, parley_error *err);
    /* newest first; *next_cursor_out gets "" on the last page */
    parley_status (*list)(parley_repository *repo, const parley_session_filter *filter,
                          parley_session_list *out, char *next_cursor_out, size_t next_cursor_size,
                          parley_error *err);
    /* the session lifecycle (support desk) */
    /* first_response_at is set once: a later call leaves it as it is */
    parley_status (*set_first_response)(parley_repository *repo, const char *session_id,
                                        parley_time_ms at, parley_error *err);
    /* waiting or active sessions whose newest message (or, without one,
     * whose creation) is older than idle_before, oldest first */
    parley_status (*list_idle)(parley_repository *repo, parley_time_ms idle_before, int limit,
                               parley_session_list *out, parley_error *err);
    /* replaces a session's strategy chain (an admin re-applying the
     * policy, core/strategy_policy.h); PARLEY_E_NOT_FOUND for no such
     * session */
    parley_status (*set_strategies)(parley_repository *repo, const char *session_id,
                                    const char *strategies_json, parley_error *err);
    /* the sessions whose ids are in ids_json (a JSON array of strings, at
     * most 1000), in no particular order; unknown ids are left out (the
     * cluster's periodic last_seq check, net/cluster/seq_check.h: one query
     * for every session a node has live subscribers of) */
    parley_status (*list_by_ids)(parley_repository *repo, const char *ids_json,
                                 parley_session_list *out, parley_error *err);
} parley_sessions_ops;

#endif

/*
 * store/strategy_stores.h - what the message strategies keep: flagged
 * (refused) messages, agents' spam/ham labels of messages, the spam
 * classifier's counts and the profanity allowlist.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->strategy_stores at its parley_strategy_stores_ops; callers write
 * repo->strategy_stores->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/strategy_stores.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_STRATEGY_STORES_H
#define PARLEY_STORE_STRATEGY_STORES_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_strategy_stores_ops {
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
} parley_strategy_stores_ops;

#endif

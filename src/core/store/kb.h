/*
 * store/kb.h - the knowledge base aggregate: the ChatBot's entries and
 * its per-session count of unanswered questions.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->kb at its parley_kb_ops; callers write
 * repo->kb->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/kb.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_KB_H
#define PARLEY_STORE_KB_H

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_kb_ops {
    /* the ChatBot's knowledge base (core/knowledge_base.h); update writes
     * question, answer, alternatives_json, tags_json, updated_at; delete
     * and update answer PARLEY_E_NOT_FOUND for a missing id */
    parley_status (*insert)(parley_repository *repo, const parley_kb_entry *e, parley_error *err);
    parley_status (*get)(parley_repository *repo, const char *id, parley_kb_entry *out,
                         parley_error *err);
    parley_status (*update)(parley_repository *repo, const parley_kb_entry *e, parley_error *err);
    parley_status (*delete)(parley_repository *repo, const char *id, parley_error *err);
    /* newest first, cursor-paged; *next_cursor_out gets "" on the last page */
    parley_status (*list)(parley_repository *repo, int limit, const char *cursor,
                          parley_kb_list *out, char *next_cursor_out, size_t next_cursor_size,
                          parley_error *err);
    /* every entry, oldest first (building the matcher's index) */
    parley_status (*load)(parley_repository *repo,
                          void (*each)(void *ctx, const parley_kb_entry *e), void *ctx,
                          parley_error *err);
    /* the bot's unanswered questions in a session: adds delta (0 reads)
     * and returns the new count */
    parley_status (*bot_failures_add)(parley_repository *repo, const char *session_id,
                                      int64_t delta, int64_t *count_out, parley_error *err);
} parley_kb_ops;

#endif

/*
 * store/search.h - the search aggregate: the full-text index over delivered
 * messages and queries on it.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->search at its parley_search_ops; callers write
 * repo->search->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/search.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_SEARCH_H
#define PARLEY_STORE_SEARCH_H

#include <jansson.h>

#include "core/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

typedef struct parley_search_ops {
    /* indexes for search up to max_rows messages stored since the last
     * call, oldest first, in the caller's unit; *indexed gets how many */
    parley_status (*index_catch_up)(parley_repository *repo, int max_rows, int64_t *indexed,
                                    parley_error *err);
    /* full-text search over delivered messages. match is an FTS5 MATCH
     * expression the caller built from quoted tokens; session_id and
     * customer_id ("" = any) narrow it. A malformed expression is
     * PARLEY_E_INVALID. Rows carry a snippet with \x02 / \x03 around hits. */
    parley_status (*messages)(parley_repository *repo, const char *match, const char *session_id,
                              const char *customer_id, int limit, const char *cursor,
                              json_t **items_out, char *next_cursor_out, size_t next_cursor_size,
                              parley_error *err);
} parley_search_ops;

#endif

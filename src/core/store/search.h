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

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* One message search (search->messages). */
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

typedef struct parley_search_ops {
    /* indexes for search up to max_rows messages stored since the last
     * call, oldest first, in the caller's unit; *indexed gets how many.
     * Writer thread only (it writes). */
    parley_status (*index_catch_up)(parley_repository *repo, int max_rows, int64_t *indexed,
                                    parley_error *err);
    /* full-text search over delivered messages, newest first; a read that
     * never writes the database (pool threads). The scope (session and/or
     * customer) is part of what the index intersects, not a filter applied
     * afterwards; messages not yet indexed (the tail) are searched too,
     * within the same scope, at most PARLEY_SEARCH_TAIL_MAX of them.
     * Rows carry a snippet with \x02 / \x03 around hits. A malformed
     * expression or cursor is PARLEY_E_INVALID; a search that runs past
     * budget_ms is PARLEY_E_REJECTED with code "search_too_broad". */
    parley_status (*messages)(parley_repository *repo, const parley_search_spec *spec,
                              json_t **items_out, char *next_cursor_out, size_t next_cursor_size,
                              parley_error *err);
} parley_search_ops;

#endif

/*
 * store/search.h - the search aggregate: the full-text index over delivered
 * messages and queries on it.
 *
 * One ops table of the Repository (core/repository.h): a backend points
 * repo->search at its parley_search_ops; callers write
 * repo->search->op(repo, ...). Ownership, threads, transactions and result
 * codes are the Repository's (see there).
 *
 * A search is asked in words, not in any backend's query language: core
 * (core/search_query.h) splits what the user typed into parley_search_terms
 * and each backend builds its own query from them (SQLite an FTS5 MATCH
 * expression, storage/sqlite/search_fts.h; PostgreSQL would build a
 * tsquery). Hits come back as plain structs (parley_search_hit, core/model.h)
 * that the caller renders.
 *
 * A new op of this aggregate goes here, with its contract, and into every
 * backend's storage/<backend>/search.c (and its ops table at the end).
 */
#ifndef PARLEY_STORE_SEARCH_H
#define PARLEY_STORE_SEARCH_H

#include <stdbool.h>

#include "util/error.h"
#include "core/model.h"

typedef struct parley_repository parley_repository;

/* what a user may type: bytes, words, and characters before a prefix's '*' */
#define PARLEY_SEARCH_MAX_QUERY_BYTES 256
#define PARLEY_SEARCH_MAX_TOKENS 16
#define PARLEY_SEARCH_MIN_PREFIX 3

/* One word to find, as the user wrote it: any bytes but white space (at
 * least one letter or digit), without the trailing '*' that made it a
 * prefix (prefix true: it matches every word that starts with text, and
 * text then holds at least PARLEY_SEARCH_MIN_PREFIX characters). Nothing
 * in text is syntax: a backend quotes or escapes all of it. */
typedef struct parley_search_term {
    char text[PARLEY_SEARCH_MAX_QUERY_BYTES + 1];
    bool prefix;
} parley_search_term;

/* The words of one search, all of which a hit contains (AND), in the order
 * typed. core/search_query.h fills it: 1..PARLEY_SEARCH_MAX_TOKENS terms
 * whose texts (with their stars and one separator each) take at most
 * PARLEY_SEARCH_MAX_QUERY_BYTES bytes together. */
typedef struct parley_search_terms {
    int count;
    parley_search_term term[PARLEY_SEARCH_MAX_TOKENS];
} parley_search_terms;

/* One message search (search->messages). */
typedef struct parley_search_spec {
    const parley_search_terms *terms; /* what to find */
    const char *session_id;           /* NULL or "": every session in the customer scope */
    const char *customer_id;          /* NULL or "": every customer (staff) */
    int limit;                        /* clamped to 1..200 */
    const char *cursor;               /* "" = first page */
    int budget_ms;                    /* wall time the search may take; <= 0: no budget */
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
    /* full-text search over delivered messages, newest first, into *out
     * (emptied first; the caller frees it with parley_search_hit_list_free,
     * and it is left empty on any failure); a read that never writes the
     * database (pool threads). A hit holds every term (a prefix term: a
     * word starting with it), matched as the index's tokenizer splits
     * words (case and diacritics folded). The scope (session and/or
     * customer) is part of what the index intersects, not a filter applied
     * afterwards; messages not yet indexed (the tail) are searched too,
     * with the same terms and within the same scope, at most
     * PARLEY_SEARCH_TAIL_MAX of them. Each hit carries a snippet with
     * \x02 / \x03 around the matched words. Terms outside the shape above
     * (no term, more than PARLEY_SEARCH_MAX_TOKENS, an empty text, too
     * long together) or a malformed cursor are PARLEY_E_INVALID; a search
     * that runs past budget_ms is PARLEY_E_REJECTED with code
     * "search_too_broad". */
    parley_status (*messages)(parley_repository *repo, const parley_search_spec *spec,
                              parley_search_hit_list *out, char *next_cursor_out,
                              size_t next_cursor_size, parley_error *err);
} parley_search_ops;

#endif

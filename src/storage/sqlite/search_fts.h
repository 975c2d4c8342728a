/*
 * sqlite/search_fts.h - the SQLite backend's query for a search: the FTS5
 * MATCH expression of a search's terms (store/search.h).
 *
 * The terms are what a user typed and are never FTS5 syntax: FTS5 has its
 * own query language (AND, OR, NOT, NEAR, column filters, parentheses,
 * '^', quotes), and a stray quote or operator would be a syntax error or a
 * different query. Each term therefore becomes one quoted string (a '"'
 * inside doubled), which FTS5 reads as a phrase of the words its tokenizer
 * finds in it; a prefix term gets FTS5's '*' after the closing quote.
 * Phrases are joined by spaces, FTS5's implicit AND. search.c puts the
 * result inside its column filter and scope.
 *
 * Ownership: out is the caller's buffer. Thread-safety: a pure function,
 * any thread. Exposed for fuzz/fuzz_search_query.c and the unit tests.
 */
#ifndef PARLEY_SQLITE_SEARCH_FTS_H
#define PARLEY_SQLITE_SEARCH_FTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/store/search.h"

/* Room for the expression of any terms within store/search.h's shape
 * (every byte a doubled quote, the quotes, '*' and separators, NUL). */
#define PARLEY_SQLITE_FTS_MATCH_SIZE (PARLEY_SEARCH_MAX_QUERY_BYTES * 2 + 64)

/* Writes the MATCH expression of terms into out (always NUL-terminated
 * when out_size > 0). Returns false, out then "", when terms has no term
 * or more than PARLEY_SEARCH_MAX_TOKENS, a term's text is empty or not
 * terminated within its array, or the expression does not fit out_size. */
bool parley_sqlite_fts_match(const parley_search_terms *terms, char *out, size_t out_size);

#endif

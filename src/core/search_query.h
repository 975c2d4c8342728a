/*
 * search_query.h - turns what a user typed into search terms (store/search.h),
 * and a stored snippet into HTML for the client.
 *
 * The user's text is never handed to a store as a query: each
 * whitespace-separated token becomes one parley_search_term, all of them
 * ANDed, and every backend builds its own query language from the terms,
 * quoting all of their text (storage/sqlite/search_fts.h for SQLite's
 * FTS5). A trailing '*' is the only syntax: the term is a prefix. The
 * rules here (size, word count, what a prefix needs) are the API's, the
 * same whichever backend runs the search.
 *
 * Ownership: outputs are caller structs or malloc'd strings the caller
 * frees. Thread-safety: pure functions, any thread.
 */
#ifndef PARLEY_SEARCH_QUERY_H
#define PARLEY_SEARCH_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/store/search.h"

/* Splits q into *out: tokens are separated by white space (space, \t, \n,
 * \r, \f, \v); a token's trailing '*' (not a lone "*") makes it a prefix
 * term and is not part of its text. Tokens with no letter or digit (any
 * non-ASCII byte counts as one) are dropped: no index finds anything in
 * them. Returns false with *why set ("q: ...") when q is over
 * PARLEY_SEARCH_MAX_QUERY_BYTES, has more than PARLEY_SEARCH_MAX_TOKENS
 * tokens left or none, or a prefix shorter than PARLEY_SEARCH_MIN_PREFIX
 * characters (code points); *out is then empty (count 0). */
bool parley_search_terms_parse(const char *q, parley_search_terms *out, const char **why);

/* HTML-escapes snippet (& < > " ') and turns the \x02 / \x03 hit markers
 * the store puts around matches into <mark> / </mark>. NULL when out of
 * memory. */
char *parley_search_snippet_html(const char *snippet);

#endif

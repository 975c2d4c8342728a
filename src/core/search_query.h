/*
 * search_query.h - turns what a user typed into a safe SQLite FTS5 MATCH
 * expression, and a stored snippet into HTML for the client.
 *
 * The user's text is never passed to MATCH as it is: FTS5 has its own
 * query language (AND, OR, NEAR, column filters, quotes), and a stray
 * quote or operator would be a syntax error or a different query. Each
 * whitespace-separated token becomes a quoted phrase ("" doubles a quote);
 * a trailing '*' keeps its meaning, a prefix query. Phrases are ANDed.
 *
 * Ownership: outputs are caller buffers or malloc'd strings the caller
 * frees. Thread-safety: pure functions, any thread.
 */
#ifndef PARLEY_SEARCH_QUERY_H
#define PARLEY_SEARCH_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#define PARLEY_SEARCH_MAX_QUERY_BYTES 256
#define PARLEY_SEARCH_MAX_TOKENS 16
/* characters a prefix query ("inv*") needs before its '*' */
#define PARLEY_SEARCH_MIN_PREFIX 3
/* room for every token quoted, doubled quotes, '*' and separators */
#define PARLEY_SEARCH_MATCH_SIZE (PARLEY_SEARCH_MAX_QUERY_BYTES * 2 + 64)

/* Builds the MATCH expression of q into out. Tokens with no letter or
 * digit are dropped (FTS would find nothing in them). Returns false with
 * *why set ("q: ...") when q is too long, has too many tokens or nothing
 * left to search for, or a prefix shorter than PARLEY_SEARCH_MIN_PREFIX
 * characters. */
bool parley_search_match(const char *q, char *out, size_t out_size, const char **why);

/* HTML-escapes snippet (& < > " ') and turns the \x02 / \x03 hit markers
 * the store puts around matches into <mark> / </mark>. NULL when out of
 * memory. */
char *parley_search_snippet_html(const char *snippet);

#endif

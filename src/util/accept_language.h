/*
 * accept_language.h - the language a browser prefers, from its
 * Accept-Language header (RFC 9110 12.5.4): "fr-CH, fr;q=0.9, en;q=0.8",
 * and the primary subtag of a language tag (profiles' "es-ES" -> "es"),
 * which the translation strategy and the bot compare languages by.
 *
 * Used by POST /api/v1/customers when the body names no language (the
 * customer's language is then the browser's; see
 * docs/strategies-translation.md). Pure: any thread. Fuzzed by
 * fuzz/fuzz_http_headers.c.
 */
#ifndef PARLEY_ACCEPT_LANGUAGE_H
#define PARLEY_ACCEPT_LANGUAGE_H

#include <stdbool.h>
#include <stddef.h>

/* The primary subtag (2 or 3 ASCII letters, lowercased) of the range with
 * the highest q (the first of equals) into out (size >= 4). "*", ranges
 * with q=0, malformed ranges and q values are skipped. False (out = "")
 * when header is NULL or names no usable language. */
bool parley_accept_language_primary(const char *header, char *out, size_t size);

/* The primary subtag of a BCP 47 tag, lowercased, into out (size >= 4):
 * "es-ES" -> "es", "PT_br" -> "pt", "fil" -> "fil". False (out = "") when
 * tag is NULL or its primary subtag is not 2 or 3 ASCII letters. */
bool parley_language_tag_primary(const char *tag, char *out, size_t size);

#endif

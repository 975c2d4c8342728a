/*
 * translation_libre.h - the LibreTranslate-compatible HTTP backend:
 * POST {url}/translate with {"q", "source", "target", "format": "text"},
 * answer {"translatedText": "..."}.
 *
 * Threads: any; one curl easy handle per request (CURLOPT_NOSIGNAL).
 * parley_libre_global_init() must run once before threads use it (it is
 * called by parley_translation_shared_create).
 */
#ifndef PARLEY_TRANSLATION_LIBRE_H
#define PARLEY_TRANSLATION_LIBRE_H

#include <stddef.h>

typedef enum parley_libre_result {
    PARLEY_LIBRE_OK = 0,
    PARLEY_LIBRE_FAILED, /* connection refused, HTTP error, bad JSON */
    PARLEY_LIBRE_TIMEOUT,
    PARLEY_LIBRE_UNSUPPORTED /* HTTP 400: LibreTranslate's answer to a language
                              * or pair it does not have ("xx is not supported") */
} parley_libre_result;

int parley_libre_global_init(void);
void parley_libre_global_cleanup(void);

/* api_key may be NULL. On OK *out is malloc'd. */
parley_libre_result parley_libre_translate(const char *url, const char *api_key, int timeout_ms,
                                           const char *src, const char *dst, const char *text,
                                           char **out);

/* Reads the body of a 200 answer: a JSON object whose "translatedText" is
 * a string. OK with *out a malloc'd copy (valid UTF-8, no NUL: jansson
 * refuses \u0000 and invalid UTF-8); FAILED with *out NULL for anything
 * else. Exposed for fuzz/fuzz_libre_answer.c. */
parley_libre_result parley_libre_parse_answer(const char *body, size_t len, char **out);

#endif

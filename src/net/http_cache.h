/*
 * http_cache.h - the request headers parleyd reads about identity and
 * caching: X-Request-Id, If-None-Match, If-Modified-Since, and the
 * ETag / Last-Modified values of static files.
 *
 * Pure functions on strings, no I/O (fuzzed by fuzz/fuzz_http_headers.c).
 * Threads: any.
 */
#ifndef PARLEY_HTTP_CACHE_H
#define PARLEY_HTTP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* A request id: at most this many bytes (plus a NUL in buffers). */
#define PARLEY_REQUEST_ID_MAX 128

/* Whether a client's X-Request-Id may be kept: 1..128 bytes of letters,
 * digits and "-_.:+/=@~" (no spaces, quotes or anything that needs
 * escaping in a header or a log). */
bool parley_request_id_valid(const char *value);

/* A fresh id from the CSPRNG: 32 lower-case hex digits. */
void parley_request_id_new(char out[PARLEY_REQUEST_ID_MAX + 1]);

/* The strong ETag of a file from its size and modification time
 * (nanoseconds), quotes included: "1f40-65f0c1d2.1b2e3f40". */
void parley_http_etag_of(const struct stat *st, char out[64]);

/* IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (30 bytes with NUL). */
void parley_http_date_format(time_t t, char out[32]);

/* Parses an HTTP-date in any of the three forms of RFC 9110 5.6.7
 * (IMF-fixdate, RFC 850, asctime). False for anything else. */
bool parley_http_date_parse(const char *text, time_t *out);

/* Whether an If-None-Match value ("*" or a comma-separated list of entity
 * tags, W/ allowed) matches etag by the weak comparison of RFC 9110
 * 8.8.3.2. A malformed list matches nothing. */
bool parley_http_etag_list_matches(const char *if_none_match, const char *etag);

/* RFC 9110 13.2.2 for a GET/HEAD: 304 when If-None-Match matches; when it
 * is absent, when If-Modified-Since is a valid date not earlier than
 * mtime. Either header may be NULL. */
bool parley_http_not_modified(const char *if_none_match, const char *if_modified_since,
                              const char *etag, time_t mtime);

#endif

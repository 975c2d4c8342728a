/*
 * origin_policy.h - which web origins may use the API from a browser: the
 * allowlist behind the WebSocket Origin check and CORS.
 *
 * A request without an Origin header is not from a browser page and is not
 * judged here (tokens still are). With one, the origin must be this
 * server's own (scheme + the Host header) or listed in --allowed-origins;
 * "*" allows any. Comparison is exact and case-insensitive on the
 * normalised "scheme://host[:port]" form.
 *
 * Ownership: the policy owns its parsed list. Threads: built at start,
 * read-only afterwards (any thread).
 */
#ifndef PARLEY_ORIGIN_POLICY_H
#define PARLEY_ORIGIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define PARLEY_ORIGINS_MAX 64

typedef struct parley_origin_policy {
    char *origins[PARLEY_ORIGINS_MAX];
    size_t count;
    bool any;
} parley_origin_policy;

/* Parses "https://a.example, https://b.example:8443" (or "*", or "").
 * Entries must be scheme://host[:port] with no path. */
parley_status parley_origin_policy_init(parley_origin_policy *policy, const char *list,
                                        parley_error *err);
void parley_origin_policy_free(parley_origin_policy *policy);

/* Is a browser page from `origin` allowed, on a request to `host`? */
bool parley_origin_allowed(const parley_origin_policy *policy, const char *origin,
                           const char *host);

#endif

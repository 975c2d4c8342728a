#include "net/http/origin_policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool valid_origin(const char *s, size_t len) {
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < len; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
    }
    if (sep == NULL) {
        return false;
    }
    size_t scheme_len = (size_t)(sep - s);
    bool web = (scheme_len == 4 && strncasecmp(s, "http", 4) == 0) ||
               (scheme_len == 5 && strncasecmp(s, "https", 5) == 0);
    const char *host = sep + 3;
    size_t host_len = len - (size_t)(host - s);
    if (!web || host_len == 0) {
        return false;
    }
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) {
            return false; /* no path, query, userinfo or spaces */
        }
    }
    return true;
}

parley_status parley_origin_policy_init(parley_origin_policy *policy, const char *list,
                                        parley_error *err) {
    memset(policy, 0, sizeof *policy);
    const char *p = list != NULL ? list : "";
    while (*p != '\0') {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        const char *end = p;
        while (*end != '\0' && *end != ',' && *end != ' ') {
            end++;
        }
        size_t len = (size_t)(end - p);
        if (len == 1 && *p == '*') {
            policy->any = true;
        } else if (len > 0) {
            if (!valid_origin(p, len) || policy->count == PARLEY_ORIGINS_MAX) {
                parley_origin_policy_free(policy);
                return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                        "--allowed-origins: \"%.*s\" is not scheme://host[:port]"
                                        " (at most %d entries)",
                                        (int)(len > 80 ? 80 : len), p, PARLEY_ORIGINS_MAX);
            }
            policy->origins[policy->count] = strndup(p, len);
            if (policy->origins[policy->count] == NULL) {
                parley_origin_policy_free(policy);
                return parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
            }
            policy->count++;
        }
        p = end;
    }
    return PARLEY_OK;
}

void parley_origin_policy_free(parley_origin_policy *policy) {
    for (size_t i = 0; i < policy->count; i++) {
        free(policy->origins[i]);
    }
    memset(policy, 0, sizeof *policy);
}

/* "http://HOST" or "https://HOST" where HOST is the request's Host header. */
static bool same_origin(const char *origin, const char *host) {
    if (host == NULL || host[0] == '\0') {
        return false;
    }
    const char *rest = NULL;
    if (strncasecmp(origin, "http://", 7) == 0) {
        rest = origin + 7;
    } else if (strncasecmp(origin, "https://", 8) == 0) {
        rest = origin + 8;
    }
    return rest != NULL && strcasecmp(rest, host) == 0;
}

bool parley_origin_allowed(const parley_origin_policy *policy, const char *origin,
                           const char *host) {
    if (origin == NULL) {
        return true;
    }
    if (policy->any || same_origin(origin, host)) {
        return true;
    }
    for (size_t i = 0; i < policy->count; i++) {
        if (strcasecmp(policy->origins[i], origin) == 0) {
            return true;
        }
    }
    return false;
}

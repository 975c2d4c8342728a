/*
 * fuzz_origin_policy.c - the Origin policy (net/origin_policy.h): the
 * --allowed-origins list parser and the allow decision behind the
 * WebSocket Origin check and CORS.
 *
 * The input is split at the first two NULs into a list, an Origin header
 * and a Host header (missing parts are empty; a missing origin is
 * "absent"). Checks:
 *  - the list parses exactly when each of its space/comma-separated
 *    entries is "*" or http(s)://host[:port] (letters, digits, . - : [ ]),
 *    with at most 64 of them (a reference split written here); on success
 *    the policy holds those entries in order, "*" sets any; on failure
 *    the error is invalid_config with a UTF-8 message, and the policy is
 *    empty;
 *  - no Origin is always allowed; with "*" everything is;
 *  - otherwise an origin is allowed exactly when it equals (ignoring case)
 *    a listed entry or "http://" / "https://" + the Host header;
 *  - the decision ignores the case of the origin.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_checks.h"
#include "net/origin_policy.h"

static bool ref_entry_ok(const char *s, size_t len) {
    size_t scheme;
    if (len >= 7 && strncasecmp(s, "http://", 7) == 0) {
        scheme = 7;
    } else if (len >= 8 && strncasecmp(s, "https://", 8) == 0) {
        scheme = 8;
    } else {
        return false;
    }
    if (len == scheme) {
        return false;
    }
    for (size_t i = scheme; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) {
            return false;
        }
    }
    return true;
}

static char *dup_upper(const char *s) {
    char *u = strdup(s);
    CHECK(u != NULL);
    for (char *p = u; *p != '\0'; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    return u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 3);
    CHECK(buf != NULL);
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = '\0';
    const char *list = buf;
    size_t list_len = strlen(list);
    bool has_origin = list_len < size;
    const char *origin = has_origin ? list + list_len + 1 : NULL;
    const char *host = origin != NULL ? origin + strlen(origin) + 1 : "";
    if (host > buf + size) {
        host = "";
    }

    /* the reference split */
    bool ref_ok = true, ref_any = false;
    size_t ref_count = 0;
    const char *starts[PARLEY_ORIGINS_MAX];
    size_t lens[PARLEY_ORIGINS_MAX];
    for (const char *p = list; *p != '\0' && ref_ok;) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        size_t len = strcspn(p, " ,");
        if (len == 1 && *p == '*') {
            ref_any = true;
        } else if (len > 0) {
            if (!ref_entry_ok(p, len) || ref_count == PARLEY_ORIGINS_MAX) {
                ref_ok = false;
                break;
            }
            starts[ref_count] = p;
            lens[ref_count++] = len;
        }
        p += len;
    }

    parley_origin_policy policy;
    parley_error err = {0};
    parley_status st = parley_origin_policy_init(&policy, list, &err);
    CHECK((st == PARLEY_OK) == ref_ok || st == PARLEY_E_NOMEM);
    if (st != PARLEY_OK) {
        CHECK(policy.count == 0 && !policy.any);
        CHECK(st == PARLEY_E_NOMEM || strcmp(err.code, "invalid_config") == 0);
        CHECK(err.message[0] != '\0');
        CHECK(ref_utf8_valid((const uint8_t *)err.message, strlen(err.message), NULL));
        free(buf);
        return 0;
    }
    CHECK(policy.any == ref_any && policy.count == ref_count);
    for (size_t i = 0; i < ref_count; i++) {
        CHECK(strlen(policy.origins[i]) == lens[i]);
        CHECK(memcmp(policy.origins[i], starts[i], lens[i]) == 0);
    }

    CHECK(parley_origin_allowed(&policy, NULL, host));
    if (origin != NULL) {
        bool want = policy.any;
        for (size_t i = 0; !want && i < policy.count; i++) {
            want = strcasecmp(policy.origins[i], origin) == 0;
        }
        if (!want && host[0] != '\0') {
            const char *schemes[] = {"http://", "https://"};
            for (int s = 0; s < 2 && !want; s++) {
                size_t sl = strlen(schemes[s]);
                want =
                    strncasecmp(origin, schemes[s], sl) == 0 && strcasecmp(origin + sl, host) == 0;
            }
        }
        bool got = parley_origin_allowed(&policy, origin, host);
        CHECK(got == want);
        char *upper = dup_upper(origin);
        CHECK(parley_origin_allowed(&policy, upper, host) == got);
        free(upper);
        /* every listed entry is allowed, on any host */
        for (size_t i = 0; i < policy.count; i++) {
            CHECK(parley_origin_allowed(&policy, policy.origins[i], "other.invalid"));
        }
    }
    parley_origin_policy_free(&policy);
    CHECK(policy.count == 0);
    free(buf);
    return 0;
}

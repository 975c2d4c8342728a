/*
 * fuzz_path_decode.c - path percent-decoding as a request goes through it:
 * parley_percent_decode (net/http_request.h; the reader decodes the path
 * once, '+' kept) and parley_router_match (net/router.h; captures "{}" id
 * and "{w}" word segments).
 *
 * Byte 0 picks a route pattern; the rest, as bytes (NULs included), is
 * used two ways:
 *  1. as a raw request path: decoding refuses exactly a bad escape or
 *     %00 (checked against a decoder written here from RFC 3986 2.1);
 *     the result is the reference result, never longer than the input;
 *     '+' is kept in paths and is a space in query strings; when the
 *     router matches the decoded path, every capture is a non-empty
 *     segment of it, within its size, without '/';
 *  2. as a word a client wants to name (a label, an allowlisted word):
 *     percent-encoding every byte that is not unreserved, decoding like
 *     the reader and matching "/api/v1/labels/{w}" gives the word back
 *     exactly (up to 255 bytes, no NUL or '/': those are unaddressable),
 *     and an id pattern gives it back when it is at most 39 bytes - so a
 *     path segment is decoded once, never twice ("%2541" is "%41").
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/http_request.h"
#include "net/router.h"

static const char *const patterns[] = {
    "/api/v1/labels/{w}",
    "/api/v1/sessions/{}",
    "/api/v1/sessions/{}/labels/{w}",
    "/api/v1/strategies/profanity/allowlist/{w}",
    "/api/v1/kb/entries/{}",
    "/healthz",
};
#define NPATTERNS (sizeof patterns / sizeof patterns[0])

static int hex(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* RFC 3986 2.1 pct-encoded = "%" HEXDIG HEXDIG; %00 refused. */
static bool ref_decode(const char *s, size_t len, bool plus, char *out, size_t *out_len) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (len - i < 3 || hex((unsigned char)s[i + 1]) < 0 ||
                hex((unsigned char)s[i + 2]) < 0) {
                return false;
            }
            c = (unsigned char)(hex((unsigned char)s[i + 1]) * 16 + hex((unsigned char)s[i + 2]));
            if (c == 0) {
                return false;
            }
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out[o++] = (char)c;
    }
    *out_len = o;
    return true;
}

static void check_captures(const char *pattern, const char *path) {
    char params[2][PARLEY_ROUTE_PARAM_SIZE];
    memset(params, 0x5A, sizeof params);
    if (!parley_router_match(pattern, path, params)) {
        return;
    }
    size_t want = 0;
    for (const char *p = pattern; *p != '\0'; p++) {
        want += *p == '{';
    }
    for (size_t i = 0; i < want; i++) {
        size_t len = strnlen(params[i], PARLEY_ROUTE_PARAM_SIZE);
        CHECK(len > 0 && len < PARLEY_ROUTE_PARAM_SIZE);
        CHECK(strchr(params[i], '/') == NULL);
        CHECK(strstr(path, params[i]) != NULL);
    }
}

static void check_raw_path(const char *pattern, const char *raw, size_t len) {
    char *ref = malloc(len + 1);
    CHECK(ref != NULL);
    for (int plus = 0; plus < 2; plus++) {
        size_t ref_len = 0;
        bool ref_ok = ref_decode(raw, len, plus, ref, &ref_len);
        char *got = parley_percent_decode(raw, len, plus);
        CHECK((got != NULL) == ref_ok);
        if (got != NULL) {
            /* a raw NUL in the input ends the decoded C string early */
            size_t got_len = strlen(got);
            CHECK(got_len <= ref_len && memcmp(got, ref, got_len) == 0);
            CHECK(got_len == ref_len || ref[got_len] == '\0');
            if (!plus) {
                check_captures(pattern, got);
            }
            free(got);
        }
    }
    free(ref);
}

static bool unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* The word as a client puts it in a URL, and back through the server. */
static void check_word(const char *prefix, const char *word, size_t len, size_t max) {
    size_t plen = strlen(prefix);
    char *url = malloc(plen + len * 3 + 1);
    CHECK(url != NULL);
    memcpy(url, prefix, plen);
    size_t n = plen;
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)word[i];
        if (unreserved(c)) {
            url[n++] = (char)c;
        } else {
            url[n++] = '%';
            url[n++] = digits[c >> 4];
            url[n++] = digits[c & 15];
        }
    }
    url[n] = '\0';
    char *path = parley_percent_decode(url, n, false);
    bool addressable =
        len > 0 && len <= max && memchr(word, '\0', len) == NULL && memchr(word, '/', len) == NULL;
    CHECK(path != NULL || memchr(word, '\0', len) != NULL);
    if (path != NULL) {
        char pattern[128];
        memcpy(pattern, prefix, plen);
        const char *slot = max == PARLEY_ID_SIZE - 1 ? "{}" : "{w}";
        memcpy(pattern + plen, slot, strlen(slot) + 1);
        char params[2][PARLEY_ROUTE_PARAM_SIZE] = {{0}};
        bool ok = parley_router_match(pattern, path, params);
        if (addressable) {
            CHECK(ok);
            CHECK(strlen(params[0]) == len && memcmp(params[0], word, len) == 0);
        } else if (memchr(word, '/', len) == NULL) {
            CHECK(!ok);
        }
        free(path);
    }
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const char *pattern = patterns[data[0] % NPATTERNS];
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    check_raw_path(pattern, rest, len);
    check_word("/api/v1/labels/", rest, len, PARLEY_ROUTE_PARAM_SIZE - 1);
    check_word("/api/v1/kb/entries/", rest, len, PARLEY_ID_SIZE - 1);
    return 0;
}

/*
 * fuzz_paging_cursor.c - the paging cursors clients send back:
 * parley_sqlite_parse_cursor (storage/sqlite/sqlite_repository.h: sessions,
 * tickets, knowledge base, audit, teams, ...) and
 * parley_routing_parse_queue_cursor (core/routing.h: the waiting queue).
 *
 * The input is a cursor as bytes; the storage parser reads it with its
 * own size (so without a NUL when the input has none) and, cut at the
 * first NUL, as a C string. Checks, for both parsers:
 *  - "" starts a listing (INT64_MAX before / 0 after);
 *  - anything else is accepted exactly when it is 1 to 19 ASCII digits
 *    whose value is 1..INT64_MAX (no sign, space, or clamping of
 *    9999999999999999999 to INT64_MAX);
 *  - an accepted value printed with %PRId64 is the text without leading
 *    zeros: the next_cursor the server writes round-trips;
 *  - the storage parser never reads past size: a cursor with no NUL
 *    within size is refused (ASan sees the exact-size copy).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/routing.h"
#include "fuzz_checks.h"
#include "storage/sqlite/sqlite_repository.h"

/* 0: refused; 1: accepted with *v */
static bool ref_parse(const char *s, int64_t *v) {
    size_t len = strlen(s);
    if (len == 0 || len > 19) {
        return false;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        x = x * 10 + (uint64_t)(s[i] - '0'); /* < 10^19 < 2^64 */
    }
    if (x == 0 || x > (uint64_t)INT64_MAX) {
        return false;
    }
    *v = (int64_t)x;
    return true;
}

static void check_round_trip(const char *s, int64_t v) {
    char back[32];
    snprintf(back, sizeof back, "%" PRId64, v);
    while (*s == '0') {
        s++;
    }
    CHECK(strcmp(back, s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* exact-size copy without a terminator: reading past it is an ASan error */
    char *raw = malloc(size > 0 ? size : 1);
    CHECK(raw != NULL);
    memcpy(raw, data, size);
    int64_t before = -1;
    bool raw_ok = size > 0 && parley_sqlite_parse_cursor(raw, size, &before);
    if (memchr(raw, '\0', size) == NULL && size > 0) {
        CHECK(!raw_ok);
    }

    size_t n = 0;
    char *text = fuzz_text(data, size, &n);

    int64_t want = 0;
    bool ref_ok = ref_parse(text, &want);
    before = -1;
    bool ok = parley_sqlite_parse_cursor(text, n + 1, &before);
    if (n == 0) {
        CHECK(ok && before == INT64_MAX);
    } else {
        CHECK(ok == ref_ok);
        if (ok) {
            CHECK(before == want);
            check_round_trip(text, before);
        }
    }
    if (raw_ok && n < size) {
        CHECK(ok);
    }

    int64_t after = -1;
    ok = parley_routing_parse_queue_cursor(text, &after);
    if (n == 0) {
        CHECK(ok && after == 0);
    } else {
        CHECK(ok == ref_ok);
        if (ok) {
            CHECK(after == want);
            check_round_trip(text, after);
        }
    }
    CHECK(parley_routing_parse_queue_cursor(NULL, &after) && after == 0);
    free(text);
    free(raw);
    return 0;
}

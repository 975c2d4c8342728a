/* Route selection between languages (strategies/translation_route.h):
 * direct, through a pivot (English first), none; the language tag helper;
 * and the Accept-Language reader (util/accept_language.h) that gives a
 * customer with no declared language the browser's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "strategies/translation_route.h"
#include "util/accept_language.h"

/* pairs as "src-dst" strings, NULL-terminated */
static bool has_pair(const void *ctx, const char *src, const char *dst) {
    char want[16];
    snprintf(want, sizeof want, "%s-%s", src, dst);
    for (const char *const *p = ctx; *p != NULL; p++) {
        if (strcmp(*p, want) == 0) {
            return true;
        }
    }
    return false;
}

static const char *const CANDIDATES[] = {"en", "es", "fr", "pt", "ca"};
#define NCAND (sizeof CANDIDATES / sizeof CANDIDATES[0])

static void test_direct(void **state) {
    (void)state;
    static const char *const pairs[] = {"es-fr", "es-en", "en-fr", NULL};
    parley_route r = parley_translation_route("es", "fr", has_pair, pairs, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_DIRECT); /* direct wins over a pivot */
    assert_null(r.via);
    r = parley_translation_route("es", "es", has_pair, pairs, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_DIRECT);
}

static void test_pivot_prefers_english(void **state) {
    (void)state;
    /* es -> fr both through English and through Catalan: English first */
    static const char *const pairs[] = {"es-ca", "ca-fr", "es-en", "en-fr", NULL};
    parley_route r = parley_translation_route("es", "fr", has_pair, pairs, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_PIVOT);
    assert_string_equal(r.via, "en");
    /* without English, the next candidate with both halves */
    static const char *const no_en[] = {"es-ca", "ca-fr", "es-en", NULL};
    r = parley_translation_route("es", "fr", has_pair, no_en, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_PIVOT);
    assert_string_equal(r.via, "ca");
    /* apertium's shape: en -> pt only through Spanish */
    static const char *const installed[] = {"en-es", "es-en", "es-pt", "pt-es",
                                            "es-fr", "fr-es", NULL};
    r = parley_translation_route("en", "pt", has_pair, installed, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_PIVOT);
    assert_string_equal(r.via, "es");
}

static void test_none(void **state) {
    (void)state;
    static const char *const pairs[] = {"es-en", "en-fr", "fr-es", NULL};
    /* half a route is no route */
    parley_route r = parley_translation_route("en", "ca", has_pair, pairs, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_NONE);
    assert_null(r.via);
    /* a language no pair has (Japanese) */
    r = parley_translation_route("es", "ja", has_pair, pairs, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_NONE);
    /* the pivot is never one of the two ends, and only one hop of pivot */
    static const char *const chain[] = {"es-en", "en-ca", "ca-pt", NULL};
    r = parley_translation_route("es", "pt", has_pair, chain, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_NONE);
    r = parley_translation_route(NULL, "pt", has_pair, chain, CANDIDATES, NCAND);
    assert_int_equal(r.kind, PARLEY_ROUTE_NONE);
}

static void test_language_primary(void **state) {
    (void)state;
    char out[8];
    assert_true(parley_language_tag_primary("es-ES", out, sizeof out));
    assert_string_equal(out, "es");
    assert_true(parley_language_tag_primary("PT_br", out, sizeof out));
    assert_string_equal(out, "pt");
    assert_true(parley_language_tag_primary("fil", out, sizeof out));
    assert_string_equal(out, "fil");
    const char *bad[] = {"", "e", "engl", "e1", "-es", "es!"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(parley_language_tag_primary(bad[i], out, sizeof out));
        assert_string_equal(out, "");
    }
    assert_false(parley_language_tag_primary(NULL, out, sizeof out));
}

static void test_accept_language(void **state) {
    (void)state;
    char out[8];
    assert_true(parley_accept_language_primary("es-ES,es;q=0.9,en;q=0.8", out, sizeof out));
    assert_string_equal(out, "es");
    /* the highest q wins, whatever the order */
    assert_true(parley_accept_language_primary("en;q=0.2, fr-CH;q=0.9, de;q=0.5", out, sizeof out));
    assert_string_equal(out, "fr");
    /* no q is 1; the first of equals */
    assert_true(parley_accept_language_primary("pt-BR, es", out, sizeof out));
    assert_string_equal(out, "pt");
    /* "*", q=0 and malformed ranges are skipped */
    assert_true(parley_accept_language_primary("*, ja;q=0, x;q=1, it;q=0.3", out, sizeof out));
    assert_string_equal(out, "it");
    assert_true(parley_accept_language_primary("DE ; q=1.000", out, sizeof out));
    assert_string_equal(out, "de");
    const char *none[] = {"", "*", "ja;q=0", "es;q=2", "es;q=abc", "toolong", "e s", ",,,"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        assert_false(parley_accept_language_primary(none[i], out, sizeof out));
        assert_string_equal(out, "");
    }
    assert_false(parley_accept_language_primary(NULL, out, sizeof out));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_pivot_prefers_english),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_language_primary),
        cmocka_unit_test(test_accept_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

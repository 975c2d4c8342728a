/* The bot's matcher (util/text_similarity.h): ranking, accents and case,
 * typos through character n-grams, stopwords, several phrasings of one
 * entry, a confidence threshold that separates related from unrelated
 * questions; and business hours with real time zones
 * (core/business_hours.h): fixed offsets, DST from the tz database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/business_hours.h"
#include "util/text_similarity.h"

static const char *const kb[] = {
    "How do I reset my password?",      "What are your opening hours?",
    "How much does shipping cost?",     "¿Cómo puedo cambiar la dirección de envío?",
    "Can I get a refund for my order?",
};

static parley_tsim_index *build(void) {
    parley_tsim_index *ix = parley_tsim_index_new();
    assert_non_null(ix);
    for (size_t i = 0; i < sizeof kb / sizeof kb[0]; i++) {
        assert_true(parley_tsim_index_add(ix, i, kb[i]));
    }
    assert_true(parley_tsim_index_build(ix));
    return ix;
}

static double top(parley_tsim_index *ix, const char *q, size_t *doc) {
    parley_tsim_match m[5];
    size_t n = parley_tsim_query(ix, q, m, 5);
    if (n == 0) {
        *doc = (size_t)-1;
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        assert_true(m[i - 1].score >= m[i].score);
    }
    *doc = m[0].doc;
    return m[0].score;
}

static void test_exact_question_scores_highest(void **state) {
    (void)state;
    parley_tsim_index *ix = build();
    size_t doc;
    double s = top(ix, "How do I reset my password?", &doc);
    assert_int_equal(doc, 0);
    assert_true(s > 0.99);
    parley_tsim_index_free(ix);
}

static void test_paraphrase_ranks_the_right_entry(void **state) {
    (void)state;
    parley_tsim_index *ix = build();
    size_t doc;
    assert_true(top(ix, "i forgot my password, how can i reset it", &doc) > 0.35);
    assert_int_equal(doc, 0);
    assert_true(top(ix, "when are you open", &doc) > 0.15);
    assert_int_equal(doc, 1);
    assert_true(top(ix, "shipping costs?", &doc) > 0.35);
    assert_int_equal(doc, 2);
    parley_tsim_index_free(ix);
}

static void test_accents_and_case_do_not_matter(void **state) {
    (void)state;
    parley_tsim_index *ix = build();
    size_t doc;
    double with = top(ix, "¿Cómo puedo cambiar la dirección de envío?", &doc);
    assert_int_equal(doc, 3);
    double without = top(ix, "COMO PUEDO CAMBIAR LA DIRECCION DE ENVIO", &doc);
    assert_int_equal(doc, 3);
    assert_true(without > 0.99 && with > 0.99);
    char *n = parley_tsim_normalize("Ñandú ÉTÉ Straße");
    assert_string_equal(n, "nandu ete strasse");
    free(n);
    parley_tsim_index_free(ix);
}

static void test_typos_match_through_character_ngrams(void **state) {
    (void)state;
    parley_tsim_index *ix = build();
    size_t doc;
    double s = top(ix, "resett my pasword", &doc);
    assert_int_equal(doc, 0);
    assert_true(s > 0.3);
    assert_true(top(ix, "refunnd ordr", &doc) > 0.2);
    assert_int_equal(doc, 4);
    parley_tsim_index_free(ix);
}

static void test_unrelated_text_stays_under_the_threshold(void **state) {
    (void)state;
    parley_tsim_index *ix = build();
    size_t doc;
    assert_true(top(ix, "the weather in Lisbon is lovely today", &doc) < 0.2);
    assert_true(top(ix, "zzzz qqqq", &doc) < 0.05);
    parley_tsim_index_free(ix);
}

static void test_alternatives_give_the_best_phrasing(void **state) {
    (void)state;
    parley_tsim_index *ix = parley_tsim_index_new();
    assert_true(parley_tsim_index_add(ix, 7, "How do I cancel my subscription?"));
    assert_true(parley_tsim_index_add(ix, 7, "stop my plan"));
    assert_true(parley_tsim_index_add(ix, 9, "How do I upgrade my plan?"));
    assert_true(parley_tsim_index_build(ix));
    parley_tsim_match m[3];
    size_t n = parley_tsim_query(ix, "stop plan", m, 3);
    assert_true(n == 2);
    assert_int_equal(m[0].doc, 7); /* one row per document */
    assert_int_equal(m[1].doc, 9);
    assert_true(m[0].score > m[1].score);
    parley_tsim_index_free(ix);
}

static void test_stopword_only_text_still_matches_itself(void **state) {
    (void)state;
    parley_tsim_index *ix = parley_tsim_index_new();
    assert_true(parley_tsim_index_add(ix, 0, "who are you"));
    assert_true(parley_tsim_index_add(ix, 1, "pricing plans"));
    assert_true(parley_tsim_index_build(ix));
    parley_tsim_match m[2];
    assert_true(parley_tsim_query(ix, "Who are you?", m, 2) >= 1);
    assert_int_equal(m[0].doc, 0);
    parley_tsim_index_free(ix);
}

static void test_has_word_is_whole_words(void **state) {
    (void)state;
    char *n = parley_tsim_normalize("Quiero hablar con un AGENTE, por favor");
    assert_true(parley_tsim_has_word(n, "agente"));
    assert_false(parley_tsim_has_word(n, "agent"));
    free(n);
}

static void test_fixed_offsets_and_utc(void **state) {
    (void)state;
    int32_t off = 1;
    assert_true(parley_tz_offset(NULL, "UTC", 0, &off));
    assert_int_equal(off, 0);
    assert_true(parley_tz_offset(NULL, "-05:30", 0, &off));
    assert_int_equal(off, -19800);
    assert_false(parley_tz_offset(NULL, "../../etc/passwd", 0, &off));
    assert_false(parley_tz_offset(NULL, "Nowhere/City", 0, &off));
}

static void test_zoneinfo_dst(void **state) {
    (void)state;
    int32_t off = 0;
    /* 2026-01-15 12:00Z: CET; 2026-07-15 12:00Z: CEST */
    assert_true(parley_tz_offset(NULL, "Europe/Madrid", 1768478400, &off));
    assert_int_equal(off, 3600);
    assert_true(parley_tz_offset(NULL, "Europe/Madrid", 1784116800, &off));
    assert_int_equal(off, 7200);
    /* 2026-03-29 00:59:59Z is still CET, 01:00:00Z is CEST */
    assert_true(parley_tz_offset(NULL, "Europe/Madrid", 1774745999, &off));
    assert_int_equal(off, 3600);
    assert_true(parley_tz_offset(NULL, "Europe/Madrid", 1774746000, &off));
    assert_int_equal(off, 7200);
    /* far beyond the table: the footer rule (2100-07-01 is summer) */
    assert_true(parley_tz_offset(NULL, "Europe/Madrid", 4118083200, &off));
    assert_int_equal(off, 7200);
    /* southern hemisphere: January is summer in Sydney */
    assert_true(parley_tz_offset(NULL, "Australia/Sydney", 1768478400, &off));
    assert_int_equal(off, 39600);
    assert_true(parley_tz_offset(NULL, "America/New_York", 1784116800, &off));
    assert_int_equal(off, -14400);
}

static void test_business_hours(void **state) {
    (void)state;
    json_t *v = json_loads("{\"timezone\": \"Europe/Madrid\", \"days\": {\"wed\": "
                           "[[\"09:00\", \"14:00\"], [\"15:00\", \"18:00\"]]}}",
                           0, NULL);
    parley_error err = {0};
    assert_int_equal(parley_business_hours_check(v, &err), PARLEY_OK);
    /* Wed 2026-07-15: 07:30Z = 09:30 local (open), 12:30Z = 14:30 (lunch) */
    assert_true(parley_business_hours_open(v, 1784100600, NULL));
    assert_false(parley_business_hours_open(v, 1784118600, NULL));
    assert_true(parley_business_hours_open(v, 1784122200, NULL));  /* 15:30 */
    assert_false(parley_business_hours_open(v, 1784014200, NULL)); /* Tue */
    json_decref(v);
    v = json_loads("{}", 0, NULL);
    assert_true(parley_business_hours_open(v, 0, NULL));
    json_decref(v);
    const char *bad[] = {"{\"timezone\": \"Mars/Olympus\"}",
                         "{\"days\": {\"mon\": [[\"18:00\", "
                         "\"09:00\"]]}}",
                         "{\"days\": {\"funday\": []}}",
                         "{\"days\": {\"mon\": [[\"9:00\", "
                         "\"10:00\"]]}}",
                         "{\"other\": 1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = json_loads(bad[i], 0, NULL);
        assert_non_null(v);
        assert_int_equal(parley_business_hours_check(v, &err), PARLEY_E_INVALID);
        json_decref(v);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_question_scores_highest),
        cmocka_unit_test(test_paraphrase_ranks_the_right_entry),
        cmocka_unit_test(test_accents_and_case_do_not_matter),
        cmocka_unit_test(test_typos_match_through_character_ngrams),
        cmocka_unit_test(test_unrelated_text_stays_under_the_threshold),
        cmocka_unit_test(test_alternatives_give_the_best_phrasing),
        cmocka_unit_test(test_stopword_only_text_still_matches_itself),
        cmocka_unit_test(test_has_word_is_whole_words),
        cmocka_unit_test(test_fixed_offsets_and_utc),
        cmocka_unit_test(test_zoneinfo_dst),
        cmocka_unit_test(test_business_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The bot's texts (issue 16): placeholders filled with the company and the
 * handoff keyword, the configured keyword asking for a person, and the
 * bot.texts setting's check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/chat_bot.h"

static void expect_fill(const char *text, const char *company, const char *keyword,
                        const char *want) {
    char *got = parley_bot_fill(text, company, keyword);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_fill(void **state) {
    (void)state;
    expect_fill("Hi! I'm the {company} assistant. Type \"{handoff_keyword}\".", "Bicis Pepe",
                "human", "Hi! I'm the Bicis Pepe assistant. Type \"human\".");
    /* no company: no double space where it was */
    expect_fill("Hi! I'm the {company} assistant.", "", "human", "Hi! I'm the assistant.");
    /* several, and braces that are not placeholders */
    expect_fill("{company}/{company} {x} {handoff_keyword}{", "A", "kw", "A/A {x} kw{");
    expect_fill("", "A", "kw", "");
    /* longer values than the placeholders */
    expect_fill("{company}", "A company with a very long name indeed", "k",
                "A company with a very long name indeed");
}

static void test_keyword(void **state) {
    (void)state;
    assert_true(parley_bot_wants_human_or("helpdesk please", "helpdesk"));
    assert_true(parley_bot_wants_human_or("HELPDESK!", "helpdesk"));
    assert_true(parley_bot_wants_human_or("quiero un humano", "helpdesk")); /* built-in */
    assert_false(parley_bot_wants_human_or("my helpdesks are broken", "helpdesk"));
    assert_false(parley_bot_wants_human_or("where is my parcel", "helpdesk"));
    assert_false(parley_bot_wants_human_or("where is my parcel", NULL));
    assert_false(parley_bot_wants_human_or("where is my parcel", ""));
}

static void test_texts_check(void **state) {
    (void)state;
    const char *good[] = {"{}", "{\"es\": {}}",
                          ("{\"es\": {\"greeting\": \"Hola\", \"away_message\": \"Fuera\","
                           " \"no_answer_message\": \"?\", \"handoff_message\": \"Ya\"}}"),
                          "{\"fil\": {\"greeting\": \"Kumusta\"}}"};
    const char *bad[] = {"[]",
                         "\"es\"",
                         "{\"es\": \"hola\"}",
                         "{\"Spanish\": {}}",
                         "{\"es-ES\": {}}",
                         "{\"ES\": {}}",
                         "{\"es\": {\"farewell\": \"adiós\"}}",
                         "{\"es\": {\"greeting\": 5}}"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *v = json_loads(good[i], JSON_DECODE_ANY, NULL);
        parley_error err = {0};
        assert_int_equal(parley_bot_texts_check(v, &err), PARLEY_OK);
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        parley_error err = {0};
        assert_int_equal(parley_bot_texts_check(v, &err), PARLEY_E_INVALID);
        assert_string_equal(err.code, "validation_failed");
        json_decref(v);
    }
    /* a text over 1000 bytes */
    char *long_text = malloc(1002);
    memset(long_text, 'a', 1001);
    long_text[1001] = '\0';
    json_t *v = json_pack("{s:{s:s}}", "es", "greeting", long_text);
    parley_error err = {0};
    assert_int_equal(parley_bot_texts_check(v, &err), PARLEY_E_INVALID);
    json_decref(v);
    free(long_text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_keyword),
        cmocka_unit_test(test_texts_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

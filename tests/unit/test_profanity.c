/* The profanity strategy: evasions caught and censored in place, innocent
 * words untouched, per-language lists, categories and severity, language
 * detection (the exttextcat detector attached, as in the server),
 * allowlist, reject mode, meta. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/participant.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"

#include "profanity_fixture.h"

typedef struct outcome {
    parley_strategy_result result;
    char *content;
    json_t *meta;
    parley_error err;
} outcome;

/* Runs the strategy with config (JSON text) on text. */
static outcome run_with(const char *config, const char *text, const parley_participant *sender,
                        json_t *meta) {
    outcome o = {0};
    json_error_t jerr;
    json_t *cfg = json_loads(config, 0, &jerr);
    assert_non_null(cfg);
    parley_strategy *s = NULL;
    assert_int_equal(parley_profanity_strategy_ops.create(cfg, profanity_shared, &s, &o.err),
                     PARLEY_OK);
    json_decref(cfg);
    parley_message m = {0};
    m.content = strdup(text);
    o.meta = meta != NULL ? meta : json_object();
    parley_strategy_context ctx = {.message = &m, .meta = o.meta, .sender = sender};
    o.result = parley_profanity_strategy_ops.process(s, &ctx, &o.err);
    o.content = m.content;
    parley_profanity_strategy_ops.destroy(s);
    return o;
}

static outcome run(const char *config, const char *text) {
    return run_with(config, text, NULL, NULL);
}

static void outcome_free(outcome *o) {
    free(o->content);
    json_decref(o->meta);
}

/* text censored to want (MODIFIED), or unchanged and PASS when want is NULL */
static void check(const char *config, const char *text, const char *want) {
    outcome o = run(config, text);
    if (want == NULL) {
        if (o.result != PARLEY_STRATEGY_PASS) {
            print_error("unexpected match in \"%s\" -> \"%s\"\n", text, o.content);
        }
        assert_int_equal(o.result, PARLEY_STRATEGY_PASS);
        assert_string_equal(o.content, text);
        assert_int_equal(json_object_size(o.meta), 0);
    } else {
        if (o.result != PARLEY_STRATEGY_MODIFIED || strcmp(o.content, want) != 0) {
            print_error("\"%s\" -> \"%s\", wanted \"%s\"\n", text, o.content, want);
        }
        assert_int_equal(o.result, PARLEY_STRATEGY_MODIFIED);
        assert_string_equal(o.content, want);
        assert_string_equal(json_string_value(json_object_get(o.meta, "original_content")), text);
    }
    outcome_free(&o);
}

#define EN "{\"name\": \"profanity\"}"
#define LANG(code) "{\"name\": \"profanity\", \"language\": \"" code "\"}"

static void test_plain_and_meta(void **state) {
    (void)state;
    outcome o = run(EN, "what the fuck is this shit?");
    assert_int_equal(o.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(o.content, "what the f*** is this s***?");
    json_t *p = json_object_get(o.meta, "profanity");
    assert_non_null(p);
    assert_int_equal(json_integer_value(json_object_get(p, "censored")), 2);
    assert_string_equal(json_string_value(json_object_get(p, "language")), "en");
    json_t *words = json_object_get(p, "words");
    assert_int_equal(json_array_size(words), 2);
    assert_string_equal(json_string_value(json_array_get(words, 0)), "fuck");
    assert_string_equal(json_string_value(json_array_get(words, 1)), "shit");
    assert_string_equal(json_string_value(json_object_get(o.meta, "original_content")),
                        "what the fuck is this shit?");
    outcome_free(&o);
}

static void test_clean_message_passes(void **state) {
    (void)state;
    check(EN, "Hello, I need help with my order #1234, thanks!", NULL);
    check(EN, "", NULL);
    check(EN, "日本語のメッセージ 😀", NULL);
}

static void test_case(void **state) {
    (void)state;
    check(EN, "FUCK this", "F*** this");
    check(EN, "You BiTcH.", "You B****.");
}

static void test_leetspeak(void **state) {
    (void)state;
    check(EN, "sh1t happens", "s*** happens");
    check(EN, "f4ck? no: fvck. b1tch!", "f4ck? no: fvck. b****!");
    check(EN, "you a$$hole", "you a******");
    check(EN, "what a sh!t day!", "what a s*** day!");
    check(EN, "fuck!!!", "f***!!!");
}

static void test_repeats(void **state) {
    (void)state;
    check(EN, "fuuuuuck", "f*******");
    check(EN, "shiiiiit!", "s*******!");
    /* "as" is not "ass" (run counts are compared), "asss" is */
    check(EN, "as far as I know", NULL);
    check(EN, "kiss my asss", "kiss my a***");
}

static void test_separators(void **state) {
    (void)state;
    check(EN, "f.u.c.k you", "f****** you");
    check(EN, "f u c k you", "f****** you");
    check(EN, "f-u-c-k", "f******");
    check(EN, "oh s h i t!", "oh s******!");
    check(EN,
          "f\xE2\x80\x8Bu\xE2\x80\x8B"
          "ck",
          "f*****"); /* zero-width spaces */
    /* spelled-out innocent words stay */
    check(EN, "a b c d e", NULL);
}

static void test_lookalikes_and_utf8(void **state) {
    (void)state;
    /* Cyrillic с and к: "fuсk" */
    check(EN, "fu\xD1\x81\xD0\xBA off", "f*** off");
    /* full-width */
    check(EN, "\xEF\xBD\x86\xEF\xBD\x95\xEF\xBD\x83\xEF\xBD\x8B", "\xEF\xBD\x86***");
    /* accents stripped, surrounding UTF-8 kept */
    check(EN, "« fück » — ça va ?", "« f*** » — ça va ?");
    check(EN, "日本 shít 日本", "日本 s*** 日本");
    /* Greek ο */
    check(EN,
          "c\xCE\xBF"
          "ck",
          "c***");
}

static void test_scunthorpe(void **state) {
    (void)state;
    static const char *const innocent[] = {
        "classic",    "Scunthorpe",    "assistance",
        "class",      "assassin",      "analysis",
        "cocktail",   "Dickens",       "therapist",
        "cockpit",    "shitake",       "passion",
        "assessment", "grass",         "bass",
        "titanic",    "constitution",  "Sussex",
        "Essex",      "sextant",       "Middlesex",
        "butter",     "cumin",         "hancock",
        "penistone",  "scrapbook",     "document",
        "title",      "raccoon",       "analyst",
        "arsenal",    "circumstances", "pass the assessment, classic",
        "cocks comb?"};
    for (size_t i = 0; i < sizeof innocent / sizeof innocent[0] - 1; i++) {
        check(EN, innocent[i], NULL);
    }
}

static void test_bitte_bite(void **state) {
    (void)state;
    check(LANG("de"), "Hilfe bitte, danke", NULL);
    check(LANG("de"), "Du Arschloch", "Du A********");
    check(LANG("fr"), "quelle bite", "quelle b***");
    /* English is always applied */
    check(LANG("fr"), "fuck", "f***");
    /* German words are not applied to English messages */
    check(EN, "Arschloch", NULL);
    /* an English entry that is an innocent word of the language */
    check(LANG("es"), "el coche negro", NULL);
    check(LANG("pt"), "o gato negro", NULL);
    /* region subtags count */
    check(LANG("pt-BR"), "caralho", "c******");
}

static void test_language_sources(void **state) {
    (void)state;
    /* from an earlier strategy's meta */
    json_t *meta = json_pack("{s:s}", "language", "es");
    outcome o = run_with(EN, "eres un gilipollas", NULL, meta);
    assert_int_equal(o.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(o.content, "eres un g*********");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o.meta, "profanity"), "language")), "es");
    outcome_free(&o);
    /* from the sender */
    parley_customer_participant c = {0};
    c.base.ops = &parley_customer_participant_ops;
    char it[] = "it";
    c.customer.language = it;
    o = run_with(EN, "sei uno stronzo", &c.base, NULL);
    assert_int_equal(o.result, PARLEY_STRATEGY_MODIFIED);
    assert_string_equal(o.content, "sei uno s******");
    outcome_free(&o);
    /* unknown language: English only */
    check(LANG("zz"), "gilipollas fuck", "gilipollas f***");
}

static void test_multiword(void **state) {
    (void)state;
    check(EN, "a blow job", "a b*******");
    check(EN, "motherfucker!", "m***********!");
    check(EN, "you dumbass", "you d******");
}

static void test_allowlist(void **state) {
    (void)state;
    parley_error err = {0};
    check(EN, "what a bastard", "what a b******");
    assert_int_equal(parley_profanity_allow(profanity_shared, "Bastard", &err), PARLEY_OK);
    check(EN, "what a bastard", NULL);
    json_t *list = parley_profanity_allowlist(profanity_shared);
    bool found = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        found |= strcmp(json_string_value(json_array_get(list, i)), "Bastard") == 0;
    }
    assert_true(found);
    json_decref(list);
    assert_int_equal(parley_profanity_disallow(profanity_shared, "bastard", &err), PARLEY_OK);
    check(EN, "what a bastard", "what a b******");
    assert_int_equal(parley_profanity_disallow(profanity_shared, "bastard", &err),
                     PARLEY_E_NOT_FOUND);
    assert_int_equal(parley_profanity_allow(profanity_shared, "!!!", &err), PARLEY_E_INVALID);
    /* seeded from data/wordlists/allowlist.txt */
    check(LANG("es"), "un martillo", NULL);
    check(EN, "hugs xx", NULL);
    check(EN, "Sorry, I'm tied up at the moment", NULL);
    check(EN, "how to kill a stuck process?", NULL);
}

static void test_reject_mode(void **state) {
    (void)state;
    outcome o = run("{\"name\": \"profanity\", \"mode\": \"reject\"}", "fuck");
    assert_int_equal(o.result, PARLEY_STRATEGY_REJECT);
    assert_int_equal(o.err.status, PARLEY_E_REJECTED);
    assert_string_equal(o.err.code, "profanity_detected");
    assert_string_equal(o.content, "fuck");
    outcome_free(&o);
    o = run("{\"name\": \"profanity\", \"mode\": \"reject\"}", "hello");
    assert_int_equal(o.result, PARLEY_STRATEGY_PASS);
    outcome_free(&o);
}

static void test_bad_config(void **state) {
    (void)state;
    parley_error err = {0};
    parley_strategy *s = NULL;
    json_t *cfg = json_pack("{s:s, s:s}", "name", "profanity", "mode", "shout");
    assert_int_equal(parley_profanity_strategy_ops.create(cfg, profanity_shared, &s, &err),
                     PARLEY_E_INVALID);
    json_decref(cfg);
    cfg = json_pack("{s:s, s:i}", "name", "profanity", "language", 3);
    assert_int_equal(parley_profanity_strategy_ops.create(cfg, profanity_shared, &s, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(parley_profanity_strategy_ops.create(cfg, NULL, &s, &err), PARLEY_E_INVALID);
    json_decref(cfg);
}

static void test_invalid_utf8_and_describe(void **state) {
    (void)state;
    outcome o = run(EN, "\xff fuck \xc3");
    assert_int_equal(o.result, PARLEY_STRATEGY_MODIFIED);
    assert_memory_equal(o.content, "\xff f*** \xc3", 9);
    assert_string_equal(json_string_value(json_object_get(o.meta, "original_content")),
                        "\xEF\xBF\xBD fuck \xEF\xBF\xBD");
    outcome_free(&o);
    json_t *d = parley_profanity_strategy_ops.describe(profanity_shared);
    json_t *langs = json_object_get(d, "languages");
    assert_int_equal(json_array_size(langs), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 0), "code")), "en");
    assert_true(json_integer_value(json_object_get(json_array_get(langs, 0), "words")) > 300);
    json_decref(d);
}

#define WITH(opts) "{\"name\": \"profanity\", " opts "}"

static void test_categories_and_severity(void **state) {
    (void)state;
    /* the default: insults, obscenities, slurs, hate; not sexual or
     * anatomical vocabulary */
    check(EN, "you bastard", "you b******");
    check(EN, "the patient's penis and anus", NULL);
    check(EN, "sex education and an orgasm", NULL);
    check(EN, "she went topless; the costs are snowballing", NULL);
    check(EN, "graduated cum laude, fingering the chords, a blue tit", NULL);
    check(LANG("es"), "el sexo, una concha, la heroína, madera maciza", NULL);
    check(LANG("fr"), "un baiser sur la joue", NULL);
    check(LANG("pt"), "um grande consolo", NULL);
    check(LANG("it"), "una toppa, sbattere le uova, le balle di fieno", NULL);
    /* chosen by the operator */
    check(WITH("\"categories\": [\"sexual\", \"anatomical\"]"), "penis and orgasm, bastard",
          "p**** and o*****, bastard");
    check(WITH("\"categories\": [\"obscenity\"]"), "shit, you bastard", "s***, you bastard");
    /* severity: "fuck" 3, "shit" 2, "ass" 1 */
    check(WITH("\"min_severity\": 3"), "fuck this shit, ass", "f*** this shit, ass");
    check(WITH("\"min_severity\": 2"), "fuck this shit, ass", "f*** this s***, ass");
    check(WITH("\"min_severity\": 1"), "fuck this shit, ass", "f*** this s***, a**");
}

static void test_names_and_doubled_letters(void **state) {
    (void)state;
    /* a name entry written as a name is left alone */
    check(EN, "Dick Smith called, ask Bonner", NULL);
    check(EN, "don't be a dick", "don't be a d***");
    check(EN, "DICK", "D***");
    /* a letter written twice is not the same word as written once; three
     * times or more is a stretched word */
    check(LANG("it"), "una toppa", NULL);
    check(LANG("it"), "che topa", "che t***");
    check(EN, "fuuuck", "f*****");
    check(LANG("de"), "viele Moose im Wald", NULL);
}

static void test_hyphenated_compounds(void **state) {
    (void)state;
    /* an allowlisted compound (seed: "cul de sac") is compared whole */
    check(LANG("fr"), "la maison au bout du cul-de-sac", NULL);
    check(LANG("fr"), "un pique-niquer au parc", NULL);
    check(LANG("fr"), "mon cul", "mon c**");
    check(LANG("fr"), "lèche-cul", "lèche-c**");
}

/* Swearing in another language with no declared language: the detector
 * finds the language and its list applies. */
static void test_detected_language(void **state) {
    (void)state;
    static const struct {
        const char *text, *want, *lang;
    } cases[] = {
        {"eres un gilipollas y un cabrón, no me vuelvas a escribir",
         "eres un g********* y un c*****, no me vuelvas a escribir", "es"},
        {"espèce de connard, ton service est vraiment nul aujourd'hui",
         "espèce de c******, ton service est vraiment nul aujourd'hui", "fr"},
        {"du bist ein Arschloch und dein Laden ist wirklich schlecht",
         "du bist ein A******** und dein Laden ist wirklich schlecht", "de"},
        {"sei proprio uno stronzo, il vostro servizio fa schifo",
         "sei proprio uno s******, il vostro servizio fa schifo", "it"},
        {"vocês são uns filhos da puta, o serviço é uma merda",
         "vocês são uns filhos da p***, o serviço é uma m****", "pt"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check(EN, cases[i].text, cases[i].want);
        outcome o = run(EN, cases[i].text);
        json_t *p = json_object_get(o.meta, "profanity");
        assert_string_equal(json_string_value(json_object_get(p, "detected")), cases[i].lang);
        assert_string_equal(json_string_value(json_object_get(p, "language")), cases[i].lang);
        outcome_free(&o);
    }
    /* declared English, written in Spanish: both lists */
    check(LANG("en"), "eres un gilipollas, fuck, no me vuelvas a escribir",
          "eres un g*********, f***, no me vuelvas a escribir");
    /* no new false positives */
    check(EN, "Können Sie mir bitte helfen? Meine Bestellung ist nicht angekommen.", NULL);
    check(EN, "Hilfe bitte, danke", NULL);
    check(EN, "My order from Scunthorpe to Penistone and Middlesex never arrived.", NULL);
    check(EN, "Quiero devolver el coche negro que compré la semana pasada.", NULL);
    check(EN, "O gato negro dorme no sofá da sala todas as tardes.", NULL);
    check(EN, "Il lui a donné un baiser sur la joue avant de partir.", NULL);
}

static void test_option_validation(void **state) {
    (void)state;
    static const char *const bad[] = {
        WITH("\"categories\": []"),
        WITH("\"categories\": \"insult\""),
        WITH("\"categories\": [\"insult\", \"insult\"]"),
        WITH("\"categories\": [\"rude\"]"),
        WITH("\"categories\": [3]"),
        WITH("\"min_severity\": 0"),
        WITH("\"min_severity\": 4"),
        WITH("\"min_severity\": \"2\""),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *cfg = json_loads(bad[i], 0, NULL);
        assert_non_null(cfg);
        parley_error err = {0};
        parley_strategy *s = NULL;
        assert_int_equal(parley_profanity_strategy_ops.create(cfg, profanity_shared, &s, &err),
                         PARLEY_E_INVALID);
        assert_null(s);
        json_decref(cfg);
    }
    json_t *d = parley_profanity_strategy_ops.describe(profanity_shared);
    json_t *cats = json_object_get(json_object_get(d, "options"), "categories");
    assert_int_equal(json_array_size(json_object_get(cats, "default")), 4);
    assert_int_equal(json_array_size(json_object_get(json_object_get(cats, "items"), "enum")), 8);
    assert_true(json_is_true(json_object_get(d, "detection")));
    json_decref(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_meta),
        cmocka_unit_test(test_clean_message_passes),
        cmocka_unit_test(test_case),
        cmocka_unit_test(test_leetspeak),
        cmocka_unit_test(test_repeats),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_lookalikes_and_utf8),
        cmocka_unit_test(test_scunthorpe),
        cmocka_unit_test(test_bitte_bite),
        cmocka_unit_test(test_language_sources),
        cmocka_unit_test(test_multiword),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_reject_mode),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_invalid_utf8_and_describe),
        cmocka_unit_test(test_categories_and_severity),
        cmocka_unit_test(test_names_and_doubled_letters),
        cmocka_unit_test(test_hyphenated_compounds),
        cmocka_unit_test(test_detected_language),
        cmocka_unit_test(test_option_validation),
    };
    return cmocka_run_group_tests(tests, profanity_fixture_setup, profanity_fixture_teardown);
}

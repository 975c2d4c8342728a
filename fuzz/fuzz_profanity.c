/*
 * fuzz_profanity.c - the profanity strategy (strategies/profanity.c) on
 * arbitrary bytes.
 *
 * Input layout: the first byte picks the session options (low 3 bits: no
 * language, es, fr, de, pt, it, "zz", or a language in meta; bit 3: reject
 * mode; bit 4: every category; bit 5: min_severity 3); the rest, up to the
 * first NUL, is the message content (valid or invalid UTF-8). The shared
 * state (automata, allowlist) is built once, with the exttextcat detector
 * attached as in the server (messages of 20 bytes or more are detected).
 *
 * Invariants (trap on violation):
 *  - PASS: content unchanged, meta empty;
 *  - REJECT: only in reject mode, status PARLEY_E_REJECTED, code
 *    profanity_detected, content unchanged;
 *  - MODIFIED: only in censor mode; meta has profanity.censored >= 1 and
 *    original_content; the new content is never longer than the old;
 *  - when the input is valid UTF-8: the output is valid UTF-8 with the
 *    same number of code points, every code point either unchanged or '*',
 *    and original_content is the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"

static void *shared;
static parley_langdetect *detector; /* lives as long as the process */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    parley_error err = {0};
    CHECK(parley_profanity_shared_create(&shared, &err) == PARLEY_OK);
    detector = parley_builtin_profanity_detector(shared);
    CHECK(detector != NULL);
    return 0;
}

static size_t cp_len(uint8_t b) {
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    static const char *const LANGS[] = {NULL, "es", "fr", "de", "pt", "it", "zz", NULL};
    unsigned lang = data[0] & 7u;
    bool reject = (data[0] & 8u) != 0;
    size_t len = 0;
    char *content = fuzz_text(data + 1, size - 1, &len);
    size_t in_cps = 0;
    bool valid = ref_utf8_valid((const uint8_t *)content, len, &in_cps);

    json_t *config =
        json_pack("{s:s, s:s}", "name", "profanity", "mode", reject ? "reject" : "censor");
    if (LANGS[lang] != NULL) {
        json_object_set_new(config, "language", json_string(LANGS[lang]));
    }
    if (data[0] & 16u) {
        json_object_set_new(config, "categories",
                            json_pack("[s,s,s,s,s,s,s,s]", "insult", "obscenity", "slur", "hate",
                                      "violence", "sexual", "anatomical", "drugs"));
    }
    if (data[0] & 32u) {
        json_object_set_new(config, "min_severity", json_integer(3));
    }
    parley_error err = {0};
    parley_strategy *s = NULL;
    CHECK(parley_profanity_strategy_ops.create(config, shared, &s, &err) == PARLEY_OK);
    json_decref(config);

    parley_message m = {0};
    m.content = strdup(content);
    CHECK(m.content != NULL);
    json_t *meta = json_object();
    if (lang == 7) {
        json_object_set_new(meta, "language", json_string("fr"));
    }
    size_t meta_before = json_object_size(meta);
    parley_strategy_context ctx = {.message = &m, .meta = meta};
    parley_strategy_result r = parley_profanity_strategy_ops.process(s, &ctx, &err);
    parley_profanity_strategy_ops.destroy(s);

    if (r == PARLEY_STRATEGY_PASS) {
        CHECK(strcmp(m.content, content) == 0);
        CHECK(json_object_size(meta) == meta_before);
    } else if (r == PARLEY_STRATEGY_REJECT) {
        CHECK(reject || err.status == PARLEY_E_NOMEM);
        CHECK(err.status != PARLEY_E_REJECTED || strcmp(err.code, "profanity_detected") == 0);
        CHECK(strcmp(m.content, content) == 0);
    } else {
        CHECK(r == PARLEY_STRATEGY_MODIFIED && !reject);
        json_t *p = json_object_get(meta, "profanity");
        CHECK(json_integer_value(json_object_get(p, "censored")) >= 1);
        CHECK(json_array_size(json_object_get(p, "words")) >= 1);
        CHECK(json_is_string(json_object_get(meta, "original_content")));
        CHECK(strlen(m.content) <= len);
        if (valid) {
            size_t out_cps = 0;
            CHECK(ref_utf8_valid((const uint8_t *)m.content, strlen(m.content), &out_cps));
            CHECK(out_cps == in_cps);
            CHECK(strcmp(json_string_value(json_object_get(meta, "original_content")), content) ==
                  0);
            /* code point by code point: unchanged or '*' */
            const uint8_t *a = (const uint8_t *)content, *b = (const uint8_t *)m.content;
            while (*a != '\0') {
                size_t la = cp_len(*a);
                if (*b == '*' && !(la == 1 && *a == '*')) {
                    b++;
                } else {
                    CHECK(memcmp(a, b, la) == 0);
                    b += la;
                }
                a += la;
            }
            CHECK(*b == '\0');
        }
    }
    free(m.content);
    free(content);
    json_decref(meta);
    return 0;
}

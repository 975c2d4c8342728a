/*
 * fuzz_libre_answer.c - what a LibreTranslate server answers
 * (strategies/translation_libre.h: parley_libre_parse_answer, the body of
 * a 200 to POST /translate). Nothing goes over the network.
 *
 * The input is the answer body, as bytes. Checks:
 *  - OK exactly when jansson reads the body as a JSON object whose
 *    "translatedText" is a string (a parse done here); FAILED otherwise,
 *    with *out NULL;
 *  - on OK *out is that string: valid UTF-8 (checked against the RFC 3629
 *    reference in fuzz_checks.h), no NUL inside, the same bytes jansson
 *    holds - so the translated text the strategy puts in a message is
 *    always a valid message content.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "strategies/translation_libre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char sentinel[] = "sentinel";
    char *out = sentinel;
    parley_libre_result r = parley_libre_parse_answer((const char *)data, size, &out);
    CHECK(r == PARLEY_LIBRE_OK || r == PARLEY_LIBRE_FAILED);

    json_t *ref = json_loadb((const char *)data, size, 0, NULL);
    json_t *t = json_object_get(ref, "translatedText");
    bool want = json_is_object(ref) && json_is_string(t);
    CHECK((r == PARLEY_LIBRE_OK) == want);
    if (r == PARLEY_LIBRE_OK) {
        CHECK(out != NULL);
        size_t len = strlen(out);
        CHECK(len == json_string_length(t));
        CHECK(memcmp(out, json_string_value(t), len) == 0);
        CHECK(ref_utf8_valid((const uint8_t *)out, len, NULL));
        free(out);
    } else {
        CHECK(out == NULL);
    }
    json_decref(ref);
    return 0;
}

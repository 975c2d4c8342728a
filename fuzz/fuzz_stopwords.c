/*
 * fuzz_stopwords.c - language detection's stopword fast path
 * (strategies/translation_stopwords.h) and the six-language detector that
 * uses it (the profanity strategy's, strategies/translation_detect.h).
 * Needs the exttextcat models, like fuzz_langdetect.
 *
 * Input: the message, any bytes (NULs included), in an exact-size buffer
 * so that a read past len is caught. Checks:
 *  - the answer is NULL or the caller's own pointer to one of the six;
 *  - the same bytes give the same answer, and bytes past len change
 *    nothing (the answer for a prefix is computed on a copy);
 *  - a candidate set without the answer's language gets NULL;
 *  - the detector (no known language) answers the fast path's language,
 *    decided, whenever the fast path decides.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "strategies/translation_detect.h"
#include "strategies/translation_stopwords.h"

static const char *const SIX[] = {"en", "es", "fr", "de", "it", "pt"};
static parley_langdetect *detector;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    detector = parley_langdetect_create_for(NULL, SIX, 6);
    CHECK(detector != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size > 0 ? size : 1);
    CHECK(buf != NULL);
    memcpy(buf, data, size);
    const char *r = parley_stopwords_decide(buf, size, SIX, 6);
    bool mine = r == NULL;
    for (size_t i = 0; i < 6; i++) {
        mine = mine || r == SIX[i];
    }
    CHECK(mine);
    CHECK(parley_stopwords_decide(buf, size, SIX, 6) == r);
    if (size > 0) {
        /* a prefix: the same as the prefix alone in a buffer of its own */
        size_t half = size / 2;
        char *pre = malloc(half > 0 ? half : 1);
        CHECK(pre != NULL);
        memcpy(pre, data, half);
        CHECK(parley_stopwords_decide(buf, half, SIX, 6) ==
              parley_stopwords_decide(pre, half, SIX, 6));
        free(pre);
    }
    if (r != NULL) {
        /* the five others only: never the answer's language */
        const char *others[5];
        size_t n = 0;
        for (size_t i = 0; i < 6; i++) {
            if (SIX[i] != r) {
                others[n++] = SIX[i];
            }
        }
        const char *o = parley_stopwords_decide(buf, size, others, n);
        CHECK(o == NULL);
        /* through the detector, on the text up to the first NUL */
        size_t len = 0;
        char *text = fuzz_text(data, size, &len);
        if (len == size && size <= 2048) { /* the detector reads 2048 bytes */
            bool decided = false;
            const char *d = parley_langdetect_detect(detector, text, 0, NULL, &decided);
            CHECK(decided && d != NULL && strcmp(d, r) == 0);
        }
        free(text);
    }
    free(buf);
    return 0;
}

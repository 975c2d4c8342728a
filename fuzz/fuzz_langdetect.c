/*
 * fuzz_langdetect.c - language detection (strategies/translation_detect.h:
 * libexttextcat over en es fr pt ca, and the verdict rules around it).
 * Needs the exttextcat models in /usr/share/libexttextcat (Debian package
 * libexttextcat-data, installed by scripts/deps.sh), as the unit tests do.
 *
 * Byte 0: the low 2 bits pick min_chars (0, 1, 10, 40), the next 3 bits
 * the language the chat already has (none, en, es, fr, pt, ca, de, "") -
 * de and "" are not supported and count as none. The rest, up to the
 * first NUL, is the message, in an exact-size buffer. Checks:
 *  - the answer is NULL or one of the five supported codes (the static
 *    strings of parley_langdetect_supported);
 *  - a text shorter than min_chars keeps the known language, undecided;
 *  - undecided means the known language (normalised) is kept; decided
 *    means a language;
 *  - the same text gives the same answer again, and only its first 2048
 *    bytes matter.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "strategies/translation_detect.h"

static parley_langdetect *detector;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    detector = parley_langdetect_create(NULL);
    CHECK(detector != NULL);
    return 0;
}

static const char *detect(const char *text, size_t min, const char *known, bool *decided) {
    const char *r = parley_langdetect_detect(detector, text, min, known, decided);
    CHECK(r == NULL || parley_langdetect_supported(r) == r);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const size_t mins[] = {0, 1, 10, 40};
    static const char *const knowns[] = {NULL, "en", "es", "fr", "pt", "ca", "de", ""};
    if (size < 1) {
        return 0;
    }
    size_t min = mins[data[0] & 3];
    const char *known = knowns[(data[0] >> 2) & 7];
    const char *norm = parley_langdetect_supported(known);
    size_t n = 0;
    char *text = fuzz_text(data + 1, size - 1, &n);

    bool decided = true;
    const char *r = detect(text, min, known, &decided);
    if (n < min) {
        CHECK(r == norm && !decided);
    }
    if (!decided) {
        CHECK(r == norm);
    } else {
        CHECK(r != NULL);
    }
    bool again_decided = !decided;
    CHECK(detect(text, min, known, &again_decided) == r && again_decided == decided);
    CHECK(detect(text, min, known, NULL) == r);
    if (n > 2048) {
        char *head = malloc(2048 + 1);
        CHECK(head != NULL);
        memcpy(head, text, 2048);
        head[2048] = '\0';
        /* min_chars still counts the whole text */
        bool head_decided = !decided;
        CHECK(detect(head, min > 2048 ? 0 : min, known, &head_decided) == r);
        CHECK(head_decided == decided);
        free(head);
    }
    free(text);
    return 0;
}

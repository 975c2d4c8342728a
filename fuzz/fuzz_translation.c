/*
 * fuzz_translation.c - the translation strategy's pure parts
 * (strategies/translation_apertium.h): apertium stream-format escaping and
 * the .mode file parser. The live pipelines are not run.
 *
 * Every input is used three ways:
 *  - as text (cut at the first NUL, like a C string message): escape then
 *    unescape gives the text back; the escaped form has a backslash before
 *    every special [ ] ^ $ \ / < > @ { } * ~ # and nothing else escaped;
 *  - as pipeline output: unescape with either mark-dropping setting never
 *    crashes, and its result is no longer than the input and has no NUL;
 *  - as a .mode file: parley_apertium_mode_command never crashes; when it
 *    accepts, the command is non-empty, every stage carries -z, and no
 *    ; & ` < > or $ appears outside quotes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "strategies/translation_apertium.h"

static bool special(unsigned char c) {
    return c != 0 && strchr("[]^$\\/<>@{}*~#", c) != NULL;
}

static void check_escape(const uint8_t *data, size_t size) {
    size_t n = 0;
    char *text = fuzz_text(data, size, &n);
    char *e = parley_apertium_escape(text);
    CHECK(e != NULL);
    size_t specials = 0;
    for (size_t i = 0; i < n; i++) {
        specials += special((unsigned char)text[i]);
    }
    CHECK(strlen(e) == n + specials);
    /* every special is preceded by a backslash that escapes it */
    for (size_t i = 0, k = 0; i < n; i++) {
        if (special((unsigned char)text[i])) {
            CHECK(e[k] == '\\' && e[k + 1] == text[i]);
            k += 2;
        } else {
            CHECK(e[k] == text[i]);
            k++;
        }
    }
    for (int flags = 0; flags < 4; flags++) {
        char *u = parley_apertium_unescape(e, strlen(e), flags & 1, flags & 2);
        CHECK(u != NULL);
        CHECK(strcmp(u, text) == 0);
        free(u);
    }
    free(e);
    free(text);
}

static void check_unescape(const uint8_t *data, size_t size) {
    for (int flags = 0; flags < 4; flags++) {
        char *u = parley_apertium_unescape((const char *)data, size, flags & 1, flags & 2);
        CHECK(u != NULL);
        CHECK(strlen(u) <= size);
        free(u);
    }
}

static void check_mode(const uint8_t *data, size_t size) {
    char *c = parley_apertium_mode_command((const char *)data, size);
    if (c == NULL) {
        return;
    }
    size_t len = strlen(c);
    CHECK(len > 0);
    char quote = 0;
    size_t stages = 1, with_z = 0;
    bool stage_has_z = false;
    for (size_t i = 0; i < len; i++) {
        char ch = c[i];
        if (quote) {
            if (ch == quote) {
                quote = 0;
            }
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            continue;
        }
        CHECK(strchr(";&`<>$", ch) == NULL);
        CHECK(ch != '\0' && ch != '\n');
        if (ch == '-' && i + 1 < len && c[i + 1] == 'z' &&
            (i + 2 == len || c[i + 2] == ' ' || c[i + 2] == '\t' || c[i + 2] == '\r')) {
            stage_has_z = true;
        }
        if (ch == '|') {
            stages++;
            with_z += stage_has_z;
            stage_has_z = false;
        }
    }
    with_z += stage_has_z;
    CHECK(quote == 0);
    CHECK(with_z == stages);
    free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_escape(data, size);
    check_unescape(data, size);
    check_mode(data, size);
    return 0;
}

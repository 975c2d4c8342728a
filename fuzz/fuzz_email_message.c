/*
 * fuzz_email_message.c - the e-mail channel's message (core/email_message.c):
 * an operator's template with user data in its variables, a subject from
 * outside, and the whole message built from them.
 *
 * The input up to its first NUL is the template and the subject; what
 * follows the NUL (if anything) is the value of every variable. Checks:
 *  - rendered as HTML, a template without < > " ' & keeps the output free
 *    of them except as the entities of the escaping (no markup from data);
 *  - rendered as text, a template without "{{" is itself;
 *  - an encoded subject (when the header check accepts it) has no CR or LF
 *    but in "\r\n " folds, and each encoded-word is at most 75 characters;
 *  - a message built with that subject and value in the body: its header
 *    section has only CRLF line ends, every line is a known header or a
 *    fold, and building refuses (400) exactly when the subject check does.
 */
#include <stdlib.h>
#include <string.h>

#include "core/email_message.h"
#include "fuzz_checks.h"

static bool has_any(const char *s, const char *chars) {
    return strpbrk(s, chars) != NULL;
}

static void check_header_section(const char *msg) {
    const char *end = strstr(msg, "\r\n\r\n");
    CHECK(end != NULL);
    static const char *const names[] = {
        "Date: ",    "Message-ID: ",   "From: ",           "To: ",
        "Subject: ", "MIME-Version: ", "Auto-Submitted: ", "Content-Type: "};
    const char *line = msg;
    while (line < end + 2) {
        const char *eol = strstr(line, "\r\n");
        CHECK(eol != NULL && eol <= end);
        for (const char *c = line; c < eol; c++) {
            CHECK(*c != '\r' && *c != '\n');
        }
        bool known = line[0] == ' ';
        for (size_t i = 0; !known && i < sizeof names / sizeof names[0]; i++) {
            known = strncmp(line, names[i], strlen(names[i])) == 0;
        }
        CHECK(known);
        line = eol + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t len = 0;
    char *tmpl = fuzz_text(data, size, &len);
    size_t rest = len < size ? size - len - 1 : 0;
    char *value = malloc(rest + 1);
    CHECK(value != NULL);
    if (rest > 0) {
        memcpy(value, data + len + 1, rest);
    }
    value[rest] = '\0';
    parley_email_var vars[] = {{"name", value}, {"body", value}, {"link", NULL}};

    char *html = parley_email_render(tmpl, vars, 3, true);
    CHECK(html != NULL);
    if (!has_any(tmpl, "<>\"'&")) {
        CHECK(!has_any(html, "<>\"'"));
        for (const char *amp = strchr(html, '&'); amp != NULL; amp = strchr(amp + 1, '&')) {
            CHECK(strncmp(amp, "&amp;", 5) == 0 || strncmp(amp, "&lt;", 4) == 0 ||
                  strncmp(amp, "&gt;", 4) == 0 || strncmp(amp, "&quot;", 6) == 0 ||
                  strncmp(amp, "&#39;", 5) == 0);
        }
    }
    free(html);
    char *text = parley_email_render(tmpl, vars, 3, false);
    CHECK(text != NULL);
    if (strstr(tmpl, "{{") == NULL) {
        CHECK(strcmp(text, tmpl) == 0);
    }

    bool subject_ok = parley_email_header_text_ok(tmpl);
    if (subject_ok) {
        char *enc = parley_email_encode_subject(tmpl);
        CHECK(enc != NULL);
        for (const char *c = enc; *c != '\0'; c++) {
            if (*c == '\r') {
                CHECK(c[1] == '\n' && c[2] == ' ');
            } else if (*c == '\n') {
                CHECK(c > enc && c[-1] == '\r');
            }
        }
        if (strncmp(enc, "=?UTF-8?B?", 10) == 0) {
            for (const char *w = enc; w != NULL; w = strstr(w + 1, "=?UTF-8?B?")) {
                const char *close = strstr(w + 10, "?=");
                CHECK(close != NULL && close + 2 - w <= 75);
            }
        }
        free(enc);
    }
    parley_email_parts parts = {.from_name = "Parley",
                                .from = "support@parley.test",
                                .to = "ann@example.com",
                                .subject = tmpl,
                                .message_id = "ntf_1.email@parley.test",
                                .text = text,
                                .html = value,
                                .date = 0};
    char *msg = NULL;
    parley_error err = {0};
    parley_status st = parley_email_build(&parts, &msg, &err);
    CHECK((st == PARLEY_OK) == subject_ok);
    if (st == PARLEY_OK) {
        check_header_section(msg);
    } else {
        CHECK(st == PARLEY_E_INVALID && msg == NULL);
    }
    free(msg);
    free(text);
    free(value);
    free(tmpl);
    return 0;
}

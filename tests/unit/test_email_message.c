/* core/email_message.c: templates (HTML escaping), the checks that keep
 * user data out of the header section, the RFC 2047 subject, the whole
 * multipart/alternative message; core/resume_link.c: signing and
 * checking the conversation link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/email_message.h"
#include "core/resume_link.h"
#include "util/utf8.h"

static void test_render_replaces_and_escapes(void **state) {
    (void)state;
    parley_email_var vars[] = {{"name", "Ann <b>&\"'"}, {"body", NULL}};
    char *text = parley_email_render("Hi {{name}}, {{ body }}{{unknown}}! {{open", vars, 2, false);
    assert_string_equal(text, "Hi Ann <b>&\"', ! {{open");
    free(text);
    char *html = parley_email_render("<p>{{name}}</p>{{body}}", vars, 2, true);
    assert_string_equal(html, "<p>Ann &lt;b&gt;&amp;&quot;&#39;</p>");
    free(html);
    char *none = parley_email_render("", vars, 2, true);
    assert_string_equal(none, "");
    free(none);
}

static void test_addresses_and_header_text(void **state) {
    (void)state;
    assert_true(parley_email_address_ok("ann@example.com"));
    assert_true(parley_email_address_ok("a.b+c@sub.example.org"));
    const char *bad[] = {
        NULL,    "",      "a@",      "@b",      "ab",    "a@b@c",  "a b@c", "a@b\r\nBcc: x@y",
        "a@b\n", "<a@b>", "a@b,c@d", "\"a\"@b", "a@b;x", "a@b\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(parley_email_address_ok(bad[i]));
    }
    assert_true(parley_email_header_text_ok("Grüße\taus Köln"));
    assert_false(parley_email_header_text_ok("Hi\r\nBcc: x@y"));
    assert_false(parley_email_header_text_ok("Hi\nthere"));
    assert_false(parley_email_header_text_ok("bad \xff utf-8"));
    assert_false(parley_email_header_text_ok(NULL));
}

/* the text of encoded-words joined by folds, decoded */
static char *decode_words(const char *encoded) {
    char *out = calloc(1, 4096);
    size_t len = 0;
    const char *p = encoded;
    while (*p != '\0') {
        assert_memory_equal(p, "=?UTF-8?B?", 10);
        const char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75); /* RFC 2047: at most 75 characters */
        size_t got = 0;
        assert_int_equal(sodium_base642bin((unsigned char *)out + len, 4096 - len - 1, p + 10,
                                           (size_t)(end - p - 10), NULL, &got, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        /* no word splits a UTF-8 sequence */
        assert_true(parley_utf8_valid(out + len, got));
        len += got;
        p = end + 2;
        if (*p != '\0') {
            assert_memory_equal(p, "\r\n ", 3);
            p += 3;
        }
    }
    out[len] = '\0';
    return out;
}

static void test_subject_encoding(void **state) {
    (void)state;
    char *plain = parley_email_encode_subject("A conversation was assigned to you");
    assert_string_equal(plain, "A conversation was assigned to you");
    free(plain);
    const char *subjects[] = {
        "Grüße aus Köln", "=?looks encoded?=",
        ("Ünïcödé everywhere, and long enough to need several encoded words: ✓✓✓✓✓✓✓✓✓✓✓✓ "
         "日本語のテキストも入れて 🎉🎉🎉")};
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        char *enc = parley_email_encode_subject(subjects[i]);
        char *dec = decode_words(enc);
        assert_string_equal(dec, subjects[i]);
        free(dec);
        free(enc);
    }
}

static parley_email_parts parts_of(const char *to, const char *subject) {
    return (parley_email_parts){.from_name = "Parley",
                                .from = "support@parley.test",
                                .to = to,
                                .subject = subject,
                                .message_id = "ntf_1.email@parley.test",
                                .text = "Hello\nthere — ünïcode",
                                .html = "<p>Hello</p>",
                                .date = 1796637600000}; /* Mon, 07 Dec 2026 10:00:00 UTC */
}

static void test_build_refuses_header_injection(void **state) {
    (void)state;
    char *out = NULL;
    parley_error err = {0};
    parley_email_parts p = parts_of("ann@example.com", "Hi\r\nBcc: evil@example.com");
    assert_int_equal(parley_email_build(&p, &out, &err), PARLEY_E_INVALID);
    assert_null(out);
    p = parts_of("ann@example.com\r\nBcc: evil@example.com", "Hi");
    assert_int_equal(parley_email_build(&p, &out, &err), PARLEY_E_INVALID);
    p = parts_of("ann@example.com", "Hi");
    p.from_name = "Evil\r\nBcc: x";
    assert_int_equal(parley_email_build(&p, &out, &err), PARLEY_E_INVALID);
    p = parts_of("ann@example.com", "Hi");
    p.message_id = "a>\r\nBcc: x";
    assert_int_equal(parley_email_build(&p, &out, &err), PARLEY_E_INVALID);
}

static void test_build_makes_the_message(void **state) {
    (void)state;
    char *out = NULL;
    parley_error err = {0};
    parley_email_parts p = parts_of("ann@example.com", "Grüße");
    assert_int_equal(parley_email_build(&p, &out, &err), PARLEY_OK);
    assert_memory_equal(out, "Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n",
                        strlen("Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"));
    assert_non_null(strstr(out, "Message-ID: <ntf_1.email@parley.test>\r\n"));
    assert_non_null(strstr(out, "From: Parley <support@parley.test>\r\n"));
    assert_non_null(strstr(out, "To: <ann@example.com>\r\n"));
    assert_non_null(strstr(out, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"));
    assert_non_null(strstr(out, "Content-Type: multipart/alternative; boundary=\"=_p"));
    assert_non_null(strstr(out, "Content-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(out, "Content-Type: text/html; charset=UTF-8\r\n"));
    /* every line ends in CRLF, none is longer than 78 characters */
    size_t line = 0;
    for (const char *c = out; *c != '\0'; c++) {
        if (*c == '\n') {
            assert_true(c > out && c[-1] == '\r');
            line = 0;
        } else {
            assert_true(++line <= 79);
        }
    }
    /* the text part decodes back */
    const char *body = strstr(out, "base64\r\n\r\n") + 10;
    const char *end = strstr(body, "\r\n--");
    unsigned char decoded[256];
    size_t got = 0;
    assert_int_equal(sodium_base642bin(decoded, sizeof decoded, body, (size_t)(end - body), "\r\n",
                                       &got, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(got, strlen(p.text));
    assert_memory_equal(decoded, p.text, got);
    free(out);
}

static void test_resume_link(void **state) {
    (void)state;
    char sig[PARLEY_RESUME_SIG_SIZE];
    parley_resume_link_sign("secret", "ses_1", 2000, sig);
    assert_int_equal(strlen(sig), 64);
    assert_true(parley_resume_link_verify("secret", "ses_1", 2000, sig, 1999));
    assert_true(parley_resume_link_verify("secret", "ses_1", 2000, sig, 2000));
    assert_false(parley_resume_link_verify("secret", "ses_1", 2000, sig, 2001)); /* expired */
    assert_false(parley_resume_link_verify("other", "ses_1", 2000, sig, 1000));
    assert_false(parley_resume_link_verify("secret", "ses_2", 2000, sig, 1000));
    assert_false(parley_resume_link_verify("secret", "ses_1", 2001, sig, 1000));
    sig[10] = sig[10] == 'a' ? 'b' : 'a';
    assert_false(parley_resume_link_verify("secret", "ses_1", 2000, sig, 1000));
    assert_false(parley_resume_link_verify("secret", "ses_1", 2000, "abc", 1000));
    assert_false(parley_resume_link_verify("secret", "ses_1", 2000, NULL, 1000));
    char t1[PARLEY_RESUME_SIG_SIZE], t2[PARLEY_RESUME_SIG_SIZE];
    parley_password_reset_token("secret", "prs_1", t1);
    parley_password_reset_token("secret", "prs_2", t2);
    assert_int_equal(strlen(t1), 64);
    assert_string_not_equal(t1, t2);
}

int main(void) {
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_replaces_and_escapes),
        cmocka_unit_test(test_addresses_and_header_text),
        cmocka_unit_test(test_subject_encoding),
        cmocka_unit_test(test_build_refuses_header_injection),
        cmocka_unit_test(test_build_makes_the_message),
        cmocka_unit_test(test_resume_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

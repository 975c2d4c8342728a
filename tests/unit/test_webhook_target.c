/*
 * test_webhook_target.c - the SSRF rule of outgoing webhooks
 * (net/webhook_target.c): which addresses are refused and why, URLs with
 * IP literals and with a name that resolves to loopback (localhost), the
 * operator's allow flag, the CURLOPT_RESOLVE pin; and the webhook
 * signature (net/notify_channel_webhook.c) against a known HMAC-SHA256.
 *
 * Threads: the test's own.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/notify_channel_webhook.h"
#include "net/webhook_target.h"

static const char *refusal_of(const char *text) {
    struct sockaddr_storage ss = {0};
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return parley_webhook_address_refusal((const struct sockaddr *)&ss);
}

static void test_addresses(void **state) {
    (void)state;
    static const struct {
        const char *address;
        const char *why; /* NULL: public */
    } cases[] = {
        {"127.0.0.1", "loopback"},
        {"127.255.255.254", "loopback"},
        {"10.0.0.1", "private"},
        {"10.255.255.255", "private"},
        {"172.16.0.1", "private"},
        {"172.31.255.255", "private"},
        {"172.32.0.1", NULL},
        {"172.15.255.255", NULL},
        {"192.168.1.1", "private"},
        {"169.254.169.254", "link-local"},
        {"169.254.0.1", "link-local"},
        {"100.64.0.1", "CGNAT"},
        {"100.127.255.255", "CGNAT"},
        {"100.128.0.1", NULL},
        {"0.0.0.0", "unspecified"},
        {"224.0.0.1", "multicast"},
        {"239.255.255.250", "multicast"},
        {"255.255.255.255", "reserved"},
        {"198.18.0.1", "reserved"},
        {"8.8.8.8", NULL},
        {"93.184.216.34", NULL},
        {"::1", "loopback"},
        {"::", "unspecified"},
        {"fc00::1", "private"},
        {"fd12:3456::1", "private"},
        {"fe80::1", "link-local"},
        {"febf::1", "link-local"},
        {"fec0::1", "private"},
        {"ff02::1", "multicast"},
        {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:169.254.169.254", "link-local"},
        {"::ffff:8.8.8.8", NULL},
        {"64:ff9b::a00:1", "private"},
        {"2002:7f00:1::", "loopback"},
        {"::127.0.0.1", "reserved"},
        {"2606:4700:4700::1111", NULL},
        {"2001:db8::1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = refusal_of(cases[i].address);
        if (cases[i].why == NULL) {
            if (why != NULL) {
                fail_msg("%s: refused as %s, want public", cases[i].address, why);
            }
        } else if (why == NULL || strcmp(why, cases[i].why) != 0) {
            fail_msg("%s: %s, want %s", cases[i].address, why != NULL ? why : "public",
                     cases[i].why);
        }
    }
}

static void test_urls(void **state) {
    (void)state;
    parley_webhook_target t;
    parley_error err = {0};
    static const char *const refused[] = {
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/x",
        "http://localhost/",
        "https://192.168.0.10/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0/",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        parley_status st = parley_webhook_target_resolve(refused[i], false, &t, &err);
        if (st != PARLEY_E_INVALID) {
            fail_msg("%s: status %d, want refused", refused[i], (int)st);
        }
        assert_non_null(strstr(err.message, "--webhooks-allow-private"));
    }
    /* the reason names the address and what it is */
    parley_webhook_target_resolve("http://localhost:1/", false, &t, &err);
    assert_non_null(strstr(err.message, "localhost resolves to"));
    assert_non_null(strstr(err.message, "loopback"));
    parley_webhook_target_resolve("http://169.254.169.254/", false, &t, &err);
    assert_non_null(strstr(err.message, "link-local"));

    /* not http(s), or not a URL */
    assert_int_equal(parley_webhook_target_resolve("ftp://8.8.8.8/", false, &t, &err),
                     PARLEY_E_INVALID);
    assert_non_null(strstr(err.message, "scheme"));
    assert_int_equal(parley_webhook_target_resolve("not a url", false, &t, &err), PARLEY_E_INVALID);

    /* a public IP literal: nothing to pin */
    assert_int_equal(parley_webhook_target_resolve("https://203.0.113.7/h", false, &t, &err),
                     PARLEY_OK);
    assert_true(t.host_is_ip);
    assert_int_equal(t.port, 443);
    assert_string_equal(t.address, "203.0.113.7");
    assert_string_equal(t.resolve, "");

    /* allowed by the operator: a name is pinned to the address checked */
    assert_int_equal(parley_webhook_target_resolve("http://localhost:8123/x", true, &t, &err),
                     PARLEY_OK);
    assert_false(t.host_is_ip);
    assert_int_equal(t.port, 8123);
    char want_v4[] = "localhost:8123:127.0.0.1";
    char want_v6[] = "localhost:8123:[::1]";
    if (strcmp(t.resolve, want_v4) != 0 && strcmp(t.resolve, want_v6) != 0) {
        fail_msg("resolve entry %s", t.resolve);
    }
    assert_int_equal(parley_webhook_target_resolve("http://[::1]:9/", true, &t, &err), PARLEY_OK);
    assert_string_equal(t.host, "::1");
    assert_string_equal(t.address, "[::1]");
}

/* HMAC-SHA256("key", "1700000000.{\"a\":1}"), computed with
 * `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key`. */
static void test_signature(void **state) {
    (void)state;
    char out[PARLEY_WEBHOOK_SIGNATURE_SIZE];
    assert_true(parley_webhook_sign("key", "1700000000", "{\"a\":1}", out));
    assert_int_equal(strlen(out), 7 + 64);
    assert_string_equal(out,
                        "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

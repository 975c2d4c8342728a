/* util/client_addr.c: the trusted-proxy list, address parsing, and the
 * client address read from Forwarded / X-Forwarded-For only behind a
 * trusted proxy, right to left past trusted hops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/client_addr.h"

static parley_trusted_proxies parse_ok(const char *text) {
    parley_trusted_proxies tp;
    parley_error err = {0};
    assert_int_equal(parley_trusted_proxies_parse(text, &tp, &err), PARLEY_OK);
    return tp;
}

static void test_list_parses(void **state) {
    (void)state;
    parley_trusted_proxies tp = parse_ok(" 10.0.0.0/8 ,127.0.0.1, ::1,fd00::/8, 192.168.1.7/32 ");
    assert_int_equal(tp.count, 5);
    static const struct {
        const char *addr;
        bool trusted;
    } cases[] = {
        {"10.200.3.4", true},
        {"127.0.0.1", true},
        {"127.0.0.2", false},
        {"::1", true},
        {"fd12:3456::1", true},
        {"fe80::1", false},
        {"192.168.1.7", true},
        {"192.168.1.8", false},
        {"::ffff:10.1.2.3", true}, /* a mapped address is its IPv4 address */
        {"11.0.0.1", false},
        {"not an ip", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (parley_trusted_proxies_contains(&tp, cases[i].addr) != cases[i].trusted) {
            fail_msg("%s: expected %s", cases[i].addr, cases[i].trusted ? "trusted" : "not");
        }
    }
    parley_trusted_proxies_free(&tp);

    /* host bits under the prefix are ignored; /0 is everything */
    tp = parse_ok("10.1.2.3/16,::/0");
    assert_true(parley_trusted_proxies_contains(&tp, "10.1.99.99"));
    assert_false(parley_trusted_proxies_contains(&tp, "10.2.0.1"));
    assert_true(parley_trusted_proxies_contains(&tp, "2001:db8::1"));
    parley_trusted_proxies_free(&tp);

    tp = parse_ok("10.0.0.0/12"); /* a prefix that is not a byte boundary */
    assert_true(parley_trusted_proxies_contains(&tp, "10.15.255.255"));
    assert_false(parley_trusted_proxies_contains(&tp, "10.16.0.0"));
    parley_trusted_proxies_free(&tp);

    tp = parse_ok("::ffff:10.0.0.0/104"); /* mapped CIDR = 10.0.0.0/8 */
    assert_true(parley_trusted_proxies_contains(&tp, "10.9.9.9"));
    parley_trusted_proxies_free(&tp);

    tp = parse_ok("");
    assert_int_equal(tp.count, 0);
    assert_false(parley_trusted_proxies_contains(&tp, "127.0.0.1"));
    parley_trusted_proxies_free(&tp);
    tp = parse_ok(NULL);
    assert_int_equal(tp.count, 0);
}

static void test_bad_lists_are_refused(void **state) {
    (void)state;
    const char *bad[] = {"10.0.0.0/33", "::/129",       "1.2.3",        "10.0.0.1,",   ",10.0.0.1",
                         "10.0.0.1,,x", "host.example", "10.0.0.0/",    "10.0.0.0/-1", "[::1]",
                         "1.2.3.4:80",  "10.0.0.0/8/8", "10.0.0.0/0008"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parley_trusted_proxies tp;
        parley_error err = {0};
        assert_int_equal(parley_trusted_proxies_parse(bad[i], &tp, &err), PARLEY_E_INVALID);
        assert_string_equal(err.code, "invalid_config");
        assert_non_null(strstr(err.message, "--trusted-proxies"));
        assert_null(tp.nets);
        assert_int_equal(tp.count, 0);
    }
}

static void test_address_forms(void **state) {
    (void)state;
    parley_ip_net a;
    char out[PARLEY_IP_TEXT_SIZE];
    const struct {
        const char *in;
        const char *canonical;
    } good[] = {
        {"192.0.2.1", "192.0.2.1"},           {"192.0.2.1:8080", "192.0.2.1"},
        {"2001:DB8::1", "2001:db8::1"},       {"[2001:db8::1]", "2001:db8::1"},
        {"[2001:db8::1]:443", "2001:db8::1"}, {"::ffff:192.0.2.9", "192.0.2.9"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(parley_ip_parse(good[i].in, strlen(good[i].in), &a, out));
        assert_string_equal(out, good[i].canonical);
    }
    const char *bad[] = {"",          "unknown",  "_hidden",   "1.2.3.4:",    "1.2.3.4:x",
                         "[1.2.3.4]", "[::1",     "[::1]x",    "[::1]:",      "1.2.3.4:123456",
                         "256.1.1.1", "1.2.3.4 ", "::1:80:zz", "localhost:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(parley_ip_parse(bad[i], strlen(bad[i]), &a, NULL));
    }
}

/* The client address with proxies 10.0.0.0/8 and ::1 trusted. */
static const char *client(const char *peer, const char *fwd, const char *xff) {
    static char out[PARLEY_IP_TEXT_SIZE];
    parley_trusted_proxies tp = parse_ok("10.0.0.0/8, ::1");
    parley_client_addr(&tp, peer, fwd, xff, out);
    parley_trusted_proxies_free(&tp);
    return out;
}

static void test_untrusted_peer_headers_ignored(void **state) {
    (void)state;
    assert_string_equal(client("203.0.113.5", NULL, "198.51.100.1"), "203.0.113.5");
    assert_string_equal(client("203.0.113.5", "for=198.51.100.1", NULL), "203.0.113.5");
    /* no list at all: always the peer */
    char out[PARLEY_IP_TEXT_SIZE];
    parley_trusted_proxies none = parse_ok("");
    parley_client_addr(&none, "10.0.0.1", NULL, "198.51.100.1", out);
    assert_string_equal(out, "10.0.0.1");
    parley_client_addr(NULL, "10.0.0.1", NULL, "198.51.100.1", out);
    assert_string_equal(out, "10.0.0.1");
}

static void test_x_forwarded_for(void **state) {
    (void)state;
    assert_string_equal(client("10.0.0.1", NULL, NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", NULL, ""), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", NULL, "198.51.100.1"), "198.51.100.1");
    /* trusted hops on the right are walked past */
    assert_string_equal(client("10.0.0.1", NULL, "198.51.100.1, 10.2.2.2,10.3.3.3"),
                        "198.51.100.1");
    /* what the client wrote on the left is not believed */
    assert_string_equal(client("10.0.0.1", NULL, "1.1.1.1, 198.51.100.1"), "198.51.100.1");
    /* garbage or unknown stops at the nearest trusted hop */
    assert_string_equal(client("10.0.0.1", NULL, "198.51.100.1, garbage"), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", NULL, "198.51.100.1, unknown, 10.5.5.5"), "10.5.5.5");
    assert_string_equal(client("10.0.0.1", NULL, "198.51.100.1,,"), "10.0.0.1");
    /* all trusted: the leftmost */
    assert_string_equal(client("10.0.0.1", NULL, "10.9.9.9, 10.8.8.8"), "10.9.9.9");
    /* ports, IPv6, brackets, canonical text */
    assert_string_equal(client("::1", NULL, "[2001:DB8::7]:5000"), "2001:db8::7");
    assert_string_equal(client("::ffff:10.0.0.1", NULL, "198.51.100.1:4000"), "198.51.100.1");
}

static void test_forwarded(void **state) {
    (void)state;
    assert_string_equal(client("10.0.0.1", "for=198.51.100.1", NULL), "198.51.100.1");
    assert_string_equal(client("10.0.0.1", "For=\"[2001:db8:cafe::17]:4711\"", NULL),
                        "2001:db8:cafe::17");
    assert_string_equal(
        client("10.0.0.1", "for=192.0.2.43;proto=https;by=10.0.0.1, for=10.1.1.1", NULL),
        "192.0.2.43");
    assert_string_equal(client("10.0.0.1", "proto=https;for=192.0.2.60", NULL), "192.0.2.60");
    /* Forwarded wins over X-Forwarded-For */
    assert_string_equal(client("10.0.0.1", "for=192.0.2.60", "198.51.100.1"), "192.0.2.60");
    /* obfuscated, unknown, missing for=, malformed: the nearest trusted hop */
    assert_string_equal(client("10.0.0.1", "for=_hidden", NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "for=unknown, for=10.4.4.4", NULL), "10.4.4.4");
    assert_string_equal(client("10.0.0.1", "proto=https", NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "for=\"192.0.2.1", NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "for=192.0.2.1;for=192.0.2.2", NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "for=192.0.2.1 junk", NULL), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", "for=\"\\1\\9\\2.0.2.1\"", NULL), "192.0.2.1");
}

static void test_many_hops_are_bounded(void **state) {
    (void)state;
    /* 100 trusted hops after the client: only the rightmost 32 are read,
     * all trusted, so the leftmost of those is the answer */
    char xff[2048] = "198.51.100.1";
    for (int i = 0; i < 100; i++) {
        strcat(xff, ", 10.0.0.9");
    }
    assert_string_equal(client("10.0.0.1", NULL, xff), "10.0.0.9");
    /* a long run of commas */
    char commas[4096];
    memset(commas, ',', sizeof commas - 1);
    commas[sizeof commas - 1] = '\0';
    assert_string_equal(client("10.0.0.1", NULL, commas), "10.0.0.1");
    assert_string_equal(client("10.0.0.1", commas, NULL), "10.0.0.1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_parses),
        cmocka_unit_test(test_bad_lists_are_refused),
        cmocka_unit_test(test_address_forms),
        cmocka_unit_test(test_untrusted_peer_headers_ignored),
        cmocka_unit_test(test_x_forwarded_for),
        cmocka_unit_test(test_forwarded),
        cmocka_unit_test(test_many_hops_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

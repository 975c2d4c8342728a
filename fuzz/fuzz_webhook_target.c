/*
 * fuzz_webhook_target.c - the SSRF rule of outgoing webhooks
 * (net/webhook_target.c): the address classifier and the URL parser, and
 * both together on URLs whose host is an IP literal (no DNS is ever asked:
 * a host that is not numeric is only parsed).
 *
 * Byte 0 even: bytes 1-16 are an IPv6 address and bytes 1-4 an IPv4 one.
 * Checks: the verdict is NULL or one of the seven names; an IPv4
 * address is judged the same in every IPv6 clothing the classifier
 * unwraps (::ffff:a.b.c.d, 64:ff9b::a.b.c.d, 2002:aabb:ccdd::); every
 * address in 127/8, 10/8, 169.254/16 and fc00::/7 is refused.
 *
 * Byte 0 odd: the rest is a URL. Checks: parse accepts only http and https
 * URLs, with a non-empty host shorter than 256 bytes without brackets and
 * a port in 0..65535, and refuses as 400 validation_failed; when the host
 * is an IP literal, resolve() without the operator's flag accepts it
 * exactly when the classifier calls its address public, and with the
 * flag always, pinning nothing.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_checks.h"
#include "net/webhook_target.h"

static const char *const verdicts[] = {"loopback",  "private", "link-local", "unspecified",
                                       "multicast", "CGNAT",   "reserved"};

static void check_verdict(const char *why) {
    if (why == NULL) {
        return;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
        known = known || strcmp(why, verdicts[i]) == 0;
    }
    CHECK(known);
}

static const char *v4(const uint8_t *b) {
    struct sockaddr_in in = {.sin_family = AF_INET};
    memcpy(&in.sin_addr, b, 4);
    return parley_webhook_address_refusal((const struct sockaddr *)&in);
}

static const char *v6(const uint8_t *b) {
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    memcpy(&in6.sin6_addr, b, 16);
    return parley_webhook_address_refusal((const struct sockaddr *)&in6);
}

static bool same(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void addresses(const uint8_t *b) {
    const char *four = v4(b), *six = v6(b);
    check_verdict(four);
    check_verdict(six);
    uint8_t wrapped[16] = {0};
    memset(wrapped + 10, 0xFF, 2);
    memcpy(wrapped + 12, b, 4);
    CHECK(same(v6(wrapped), four));
    uint8_t nat64[16] = {0, 0x64, 0xFF, 0x9B};
    memcpy(nat64 + 12, b, 4);
    CHECK(same(v6(nat64), four));
    uint8_t six_to_four[16] = {0x20, 0x02};
    memcpy(six_to_four + 2, b, 4);
    CHECK(same(v6(six_to_four), four));
    CHECK(b[0] != 127 || same(four, "loopback"));
    CHECK(b[0] != 10 || same(four, "private"));
    CHECK(!(b[0] == 169 && b[1] == 254) || same(four, "link-local"));
    CHECK((b[0] & 0xFE) != 0xFC || same(six, "private"));
}

/* The host as one numeric address (no DNS), or false. */
static bool numeric(const char *host, struct sockaddr_storage *out) {
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return true;
}

static void url(const char *text) {
    parley_webhook_target t;
    parley_error err = {0};
    parley_status st = parley_webhook_target_parse(text, &t, &err);
    if (st != PARLEY_OK) {
        CHECK(st == PARLEY_E_INVALID && strcmp(err.code, "validation_failed") == 0);
        return;
    }
    CHECK(strncasecmp(text, "http:", 5) == 0 || strncasecmp(text, "https:", 6) == 0);
    size_t len = strlen(t.host);
    CHECK(len > 0 && len < sizeof t.host);
    CHECK(t.host[0] != '[' && t.host[len - 1] != ']');
    CHECK(t.port >= 0 && t.port <= 65535);
    struct sockaddr_storage ss;
    if (!numeric(t.host, &ss)) {
        return; /* a name: resolving it would ask DNS */
    }
    const char *why = parley_webhook_address_refusal((const struct sockaddr *)&ss);
    parley_webhook_target strict, allowed;
    parley_status refused = parley_webhook_target_resolve(text, false, &strict, &err);
    CHECK(refused == (why != NULL ? PARLEY_E_INVALID : PARLEY_OK));
    CHECK(why == NULL || strstr(err.message, why) != NULL);
    CHECK(parley_webhook_target_resolve(text, true, &allowed, &err) == PARLEY_OK);
    CHECK(allowed.host_is_ip && allowed.resolve[0] == '\0' && allowed.address[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    if ((data[0] & 1) == 0) {
        uint8_t b[16] = {0};
        memcpy(b, data + 1, size - 1 < 16 ? size - 1 : 16);
        addresses(b);
        return 0;
    }
    char *text = malloc(size);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    url(text);
    free(text);
    return 0;
}

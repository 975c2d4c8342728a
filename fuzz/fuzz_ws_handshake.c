/*
 * fuzz_ws_handshake.c - the WebSocket handshake headers
 * (net/websocket.h): parley_ws_upgrade_verdict, the header token-list
 * matcher and the Sec-WebSocket-Accept computation.
 *
 * Byte 0 picks the server's --allowed-origins ("", "*", or a list). The
 * rest is used twice:
 *  1. as the bytes of one HTTP request, read by the real reader
 *     (net/http_reader.c) into the request the upgrade handler gets;
 *  2. split at NULs into Upgrade, Connection, Sec-WebSocket-Key,
 *     Sec-WebSocket-Version, Origin and Host values of an upgrade request
 *     (missing ones absent), so the verdict's own rules are reached
 *     without first passing http-parser.
 * Checks: the verdict is 0, 400, 403 or 426 and is exactly what a
 * reference written here from RFC 6455 4.2.1 and the policy says (Upgrade
 * lists the token "websocket" and Connection "upgrade", compared as
 * comma-separated tokens ignoring case and surrounding whitespace; a
 * 24-character key; an allowed Origin; version "13"; in that order); the
 * token matcher never accepts a mere substring ("upgrade-insecure");
 * for an accepted key, Sec-WebSocket-Accept is 28 characters of base64
 * ending in '=' (and the RFC's own example gives the RFC's answer).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_checks.h"
#include "net/http_reader.h"
#include "net/origin_policy.h"
#include "net/websocket.h"

static const char *const policies[] = {"", "*", "https://chat.example.com, http://localhost:8080"};

static bool ref_has_token(const char *v, const char *token) {
    if (v == NULL) {
        return false;
    }
    size_t tl = strlen(token);
    while (*v != '\0') {
        size_t len = strcspn(v, ",");
        size_t a = 0, b = len;
        while (a < b && (v[a] == ' ' || v[a] == '\t')) {
            a++;
        }
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) {
            b--;
        }
        if (b - a == tl && strncasecmp(v + a, token, tl) == 0) {
            return true;
        }
        v += len;
        if (*v == ',') {
            v++;
        }
    }
    return false;
}

static int ref_verdict(const parley_http_request *r, const parley_origin_policy *pol) {
    if (!r->is_upgrade || !ref_has_token(r->upgrade, "websocket") ||
        !ref_has_token(r->connection, "upgrade") || r->sec_websocket_key == NULL ||
        strlen(r->sec_websocket_key) != 24) {
        return 400;
    }
    if (!parley_origin_allowed(pol, r->origin, r->host)) {
        return 403;
    }
    if (r->sec_websocket_version == NULL || strcmp(r->sec_websocket_version, "13") != 0) {
        return 426;
    }
    return 0;
}

static void check_accept(const char *key) {
    char out[32];
    CHECK(parley_ws_accept_key(key, out));
    CHECK(strlen(out) == 28 && out[27] == '=');
    for (int i = 0; i < 27; i++) {
        char c = out[i];
        CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/');
    }
}

static void check_request(const parley_http_request *r, const parley_origin_policy *pol) {
    int v = parley_ws_upgrade_verdict(r, pol);
    CHECK(v == 0 || v == 400 || v == 403 || v == 426);
    CHECK(v == ref_verdict(r, pol));
    if (r->upgrade != NULL) {
        CHECK(parley_ws_header_has_token(r->upgrade, "websocket") ==
              ref_has_token(r->upgrade, "websocket"));
    }
    if (r->connection != NULL) {
        CHECK(parley_ws_header_has_token(r->connection, "upgrade") ==
              ref_has_token(r->connection, "upgrade"));
    }
    if (v == 0) {
        check_accept(r->sec_websocket_key);
    }
}

/* Fields split at NULs; the pointers go into buf. */
static void check_fields(const char *data, size_t size, const parley_origin_policy *pol) {
    char *buf = malloc(size + 1);
    CHECK(buf != NULL);
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *fields[6] = {0};
    char *p = buf;
    for (int i = 0; i < 6 && p <= buf + size; i++) {
        fields[i] = p;
        p += strlen(p) + 1;
    }
    parley_http_request r = {0};
    r.is_upgrade = true;
    r.upgrade = fields[0];
    r.connection = fields[1];
    r.sec_websocket_key = fields[2];
    r.sec_websocket_version = fields[3];
    r.origin = fields[4];
    r.host = fields[5];
    check_request(&r, pol);
    /* a substring is not a token */
    if (r.upgrade != NULL && strcasecmp(r.upgrade, "websocket") != 0 &&
        strcspn(r.upgrade, ", \t") == strlen(r.upgrade)) {
        CHECK(!parley_ws_header_has_token(r.upgrade, "websocket"));
    }
    free(buf);
}

static void check_wire(const char *data, size_t size, const parley_origin_policy *pol) {
    parley_http_reader reader;
    parley_http_reader_init(&reader, 4096, 8192);
    size_t consumed = 0;
    parley_http_request *req = NULL;
    parley_http_response error = {0};
    parley_http_read_result rr =
        parley_http_reader_execute(&reader, data, size, &consumed, &req, &error);
    if (rr == PARLEY_HTTP_REQUEST_READY) {
        check_request(req, pol);
        parley_http_request_free(req);
    }
    parley_http_response_free(&error);
    parley_http_reader_free(&reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool once;
    if (!once) {
        once = true;
        char out[32];
        /* RFC 6455 1.3 */
        CHECK(parley_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out));
        CHECK(strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);
        CHECK(parley_ws_header_has_token("keep-alive, Upgrade", "upgrade"));
        CHECK(!parley_ws_header_has_token("upgrade-insecure-requests", "upgrade"));
    }
    if (size < 1) {
        return 0;
    }
    parley_origin_policy pol;
    parley_error err = {0};
    CHECK(parley_origin_policy_init(&pol, policies[data[0] % 3], &err) == PARLEY_OK);
    check_wire((const char *)data + 1, size - 1, &pol);
    check_fields((const char *)data + 1, size - 1, &pol);
    parley_origin_policy_free(&pol);
    return 0;
}

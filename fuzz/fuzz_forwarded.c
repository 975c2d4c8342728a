/*
 * fuzz_forwarded.c - the trusted-proxy list and the client address read
 * from Forwarded / X-Forwarded-For (core/client_addr.c).
 *
 * Input layout: up to the first NUL, a --trusted-proxies list; up to the
 * next NUL, the TCP peer's address; then one byte whose low bit picks the
 * header (0: X-Forwarded-For, 1: Forwarded; bit 1 also sends the other
 * header, empty); the rest is the header's value (cut at a NUL).
 *
 * Invariants (trap on violation):
 *  - the list parses to PARLEY_OK with 0..PARLEY_TRUSTED_PROXIES_MAX
 *    entries, each prefix within its family's bounds, or to
 *    PARLEY_E_INVALID / invalid_config with no entries left behind;
 *  - the client address is a NUL-terminated string shorter than
 *    PARLEY_IP_TEXT_SIZE; it is the peer exactly when the peer is not
 *    trusted; otherwise it is the peer or an address in canonical form
 *    (parsing it gives the same text back);
 *  - the same input gives the same answer (no hidden state).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/client_addr.h"
#include "fuzz_checks.h"

/* The next NUL-terminated piece of data (a heap copy), advancing *pos. */
static char *take(const uint8_t *data, size_t size, size_t *pos) {
    size_t start = *pos;
    size_t end = start;
    while (end < size && data[end] != 0) {
        end++;
    }
    char *out = malloc(end - start + 1);
    if (out == NULL) {
        return NULL;
    }
    memcpy(out, data + start, end - start);
    out[end - start] = '\0';
    *pos = end < size ? end + 1 : end;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t pos = 0;
    char *list = take(data, size, &pos);
    char *peer = take(data, size, &pos);
    uint8_t mode = pos < size ? data[pos++] : 0;
    char *value = take(data, size, &pos);
    if (list == NULL || peer == NULL || value == NULL) {
        free(list);
        free(peer);
        free(value);
        return 0;
    }

    parley_trusted_proxies tp;
    parley_error err = {0};
    parley_status st = parley_trusted_proxies_parse(list, &tp, &err);
    if (st == PARLEY_OK) {
        CHECK(tp.count <= PARLEY_TRUSTED_PROXIES_MAX);
        CHECK((tp.count == 0) == (tp.nets == NULL));
        for (size_t i = 0; i < tp.count; i++) {
            CHECK(tp.nets[i].family == 4 || tp.nets[i].family == 6);
            CHECK(tp.nets[i].prefix >= 0 &&
                  tp.nets[i].prefix <= (tp.nets[i].family == 4 ? 32 : 128));
        }
    } else {
        CHECK(st == PARLEY_E_INVALID || st == PARLEY_E_NOMEM);
        CHECK(st != PARLEY_E_INVALID || strcmp(err.code, "invalid_config") == 0);
        CHECK(tp.count == 0 && tp.nets == NULL);
    }

    const char *fwd = (mode & 1) ? value : ((mode & 2) ? "" : NULL);
    const char *xff = (mode & 1) ? ((mode & 2) ? "" : NULL) : value;
    char out[PARLEY_IP_TEXT_SIZE];
    memset(out, 'x', sizeof out);
    parley_client_addr(&tp, peer, fwd, xff, out);
    CHECK(memchr(out, '\0', sizeof out) != NULL);
    bool trusted = parley_trusted_proxies_contains(&tp, peer);
    if (!trusted) {
        CHECK(strncmp(out, peer, sizeof out - 1) == 0);
    } else if (strcmp(out, peer) != 0) {
        parley_ip_net addr;
        char canonical[PARLEY_IP_TEXT_SIZE];
        CHECK(parley_ip_parse(out, strlen(out), &addr, canonical));
        CHECK(strcmp(out, canonical) == 0);
    }
    char again[PARLEY_IP_TEXT_SIZE];
    parley_client_addr(&tp, peer, fwd, xff, again);
    CHECK(strcmp(out, again) == 0);

    parley_trusted_proxies_free(&tp);
    free(list);
    free(peer);
    free(value);
    return 0;
}

/*
 * fuzz_cluster_codec.c - what the cluster bus reads (net/cluster/
 * cluster_codec.c): envelopes from a Redis channel (anyone who can publish
 * there can send anything) and the operator's --redis URL.
 *
 * Byte 0 even: the rest is an envelope. Checks: a decoded envelope has a
 * NUL-terminated node id and ids that fit their fields, a known event type
 * (or typing, with a session and a frame), a seq >= 0, a frame unless it
 * is a revocation; encoding it again and decoding that gives the same
 * fields and frames (typing too).
 *
 * Byte 0 odd: the rest is a --redis URL. Checks: an accepted URL is either
 * a unix socket (an absolute path) or a non-empty host with a port in
 * 1..65535 and a database in 0..9999; a refusal says why.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/cluster/cluster_codec.h"

static bool same_text(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void envelope(const uint8_t *data, size_t size) {
    parley_cluster_envelope env;
    if (!parley_cluster_decode((const char *)data, size, &env)) {
        CHECK(env.public_text == NULL && env.staff_text == NULL);
        return;
    }
    CHECK(memchr(env.node_id, '\0', sizeof env.node_id) != NULL);
    CHECK(memchr(env.head.session_id, '\0', sizeof env.head.session_id) != NULL);
    CHECK(memchr(env.head.customer_id, '\0', sizeof env.head.customer_id) != NULL);
    char *again = NULL;
    if (env.typing) {
        CHECK(env.head.session_id[0] != '\0' && env.public_text != NULL);
        again = parley_cluster_encode_typing(env.node_id, env.head.session_id, env.public_text);
    } else {
        CHECK((unsigned)env.head.type < PARLEY_EVENT_TYPE_COUNT);
        CHECK(env.head.seq >= 0);
        bool revoke = env.head.type == PARLEY_EVENT_TOKEN_REVOKED;
        CHECK(revoke || env.public_text != NULL || env.staff_text != NULL);
        again = parley_cluster_encode(env.node_id, &env.head, env.public_text, env.staff_text);
    }
    CHECK(again != NULL);
    parley_cluster_envelope back;
    CHECK(parley_cluster_decode(again, strlen(again), &back));
    CHECK(back.typing == env.typing && strcmp(back.node_id, env.node_id) == 0);
    CHECK(strcmp(back.head.session_id, env.head.session_id) == 0);
    CHECK(same_text(back.public_text, env.public_text));
    if (!env.typing) {
        CHECK(back.head.type == env.head.type && back.head.audience == env.head.audience);
        CHECK(back.head.seq == env.head.seq);
        CHECK(strcmp(back.head.customer_id, env.head.customer_id) == 0);
        CHECK(same_text(back.staff_text, env.staff_text));
        CHECK(memcmp(&back.head.revoked, &env.head.revoked, sizeof env.head.revoked) == 0);
    }
    parley_cluster_envelope_free(&back);
    free(again);
    parley_cluster_envelope_free(&env);
}

static void url(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (text == NULL) {
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    parley_redis_url u;
    const char *why = NULL;
    if (parley_redis_url_parse(text, &u, &why)) {
        if (u.path[0] != '\0') {
            CHECK(u.path[0] == '/' && u.host[0] == '\0');
        } else {
            CHECK(u.host[0] != '\0' && strchr(u.host, '@') == NULL);
            CHECK(u.port >= 1 && u.port <= 65535);
        }
        CHECK(u.db >= 0 && u.db <= 9999);
    } else {
        CHECK(why != NULL && why[0] != '\0');
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    if ((data[0] & 1) == 0) {
        envelope(data + 1, size - 1);
    } else {
        url(data + 1, size - 1);
    }
    return 0;
}

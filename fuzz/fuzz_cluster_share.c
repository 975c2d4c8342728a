/*
 * fuzz_cluster_share.c - what a node reads on the shared-state channels
 * (net/cluster/share_codec.c): presence snapshots on parley:presence and
 * change notices on parley:changed (anyone who can publish there can send
 * anything).
 *
 * Byte 0 even: the rest is a presence snapshot. Checks: a decoded one has a
 * non-empty NUL-terminated node id; each agent handed out fits
 * PARLEY_ID_SIZE and has a count in 1..100000; encoding what was handed
 * out and decoding that gives the same node and agents.
 *
 * Byte 0 odd: the rest is a change notice. Checks: a decoded one names a
 * known copy and a node; encoding it again decodes to the same.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/cluster/share_codec.h"

typedef struct seen {
    char ids[64][PARLEY_ID_SIZE];
    int counts[64];
    size_t n;
    size_t total;
} seen;

static void take(void *ctx, const char *agent_id, int count) {
    seen *s = ctx;
    CHECK(agent_id[0] != '\0' && strlen(agent_id) < PARLEY_ID_SIZE);
    CHECK(count >= 1 && count <= 100000);
    if (s->n < 64) {
        strcpy(s->ids[s->n], agent_id);
        s->counts[s->n] = count;
        s->n++;
    }
    s->total++;
}

static void snapshot(const uint8_t *data, size_t size) {
    char node[PARLEY_CLUSTER_NODE_SIZE];
    seen first = {0};
    if (!parley_presence_snapshot_decode((const char *)data, size, node, take, &first)) {
        CHECK(first.total == 0);
        return;
    }
    CHECK(node[0] != '\0' && memchr(node, '\0', sizeof node) != NULL);
    if (first.total > 64) {
        return;
    }
    parley_presence_snapshot *s = parley_presence_snapshot_new(node);
    for (size_t i = 0; i < first.n; i++) {
        parley_presence_snapshot_add(s, first.ids[i], first.counts[i]);
    }
    char *again = parley_presence_snapshot_finish(s);
    CHECK(again != NULL);
    char node2[PARLEY_CLUSTER_NODE_SIZE];
    seen back = {0};
    CHECK(parley_presence_snapshot_decode(again, strlen(again), node2, take, &back));
    CHECK(strcmp(node, node2) == 0 && back.n == first.n);
    for (size_t i = 0; i < back.n; i++) {
        bool found = false;
        for (size_t j = 0; j < first.n && !found; j++) {
            found = strcmp(back.ids[i], first.ids[j]) == 0 && back.counts[i] == first.counts[j];
        }
        CHECK(found);
    }
    free(again);
}

static void notice(const uint8_t *data, size_t size) {
    char node[PARLEY_CLUSTER_NODE_SIZE];
    parley_copy what;
    if (!parley_cluster_changed_decode((const char *)data, size, node, &what)) {
        return;
    }
    CHECK(node[0] != '\0' && memchr(node, '\0', sizeof node) != NULL);
    char *again = parley_cluster_changed_encode(node, what);
    CHECK(again != NULL);
    char node2[PARLEY_CLUSTER_NODE_SIZE];
    parley_copy what2;
    CHECK(parley_cluster_changed_decode(again, strlen(again), node2, &what2));
    CHECK(strcmp(node, node2) == 0 && what == what2);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        return 0;
    }
    if ((data[0] & 1) == 0) {
        snapshot(data + 1, size - 1);
    } else {
        notice(data + 1, size - 1);
    }
    return 0;
}

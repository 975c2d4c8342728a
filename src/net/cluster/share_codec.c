/*
 * share_codec.c - presence snapshots and change notices between nodes
 * (share_codec.h). Pure: fuzzed by fuzz/fuzz_cluster_codec.c.
 */
#include "net/cluster/share_codec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parley_presence_snapshot {
    json_t *root;
    json_t *agents;
    bool failed;
};

parley_presence_snapshot *parley_presence_snapshot_new(const char *node_id) {
    parley_presence_snapshot *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    s->agents = json_object();
    s->root = json_pack("{s:i, s:s, s:o}", "v", 1, "n", node_id, "a", s->agents);
    if (s->root == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void parley_presence_snapshot_add(parley_presence_snapshot *s, const char *agent_id, int count) {
    if (s != NULL && count > 0 &&
        json_object_set_new(s->agents, agent_id, json_integer(count)) != 0) {
        s->failed = true;
    }
}

char *parley_presence_snapshot_finish(parley_presence_snapshot *s) {
    if (s == NULL) {
        return NULL;
    }
    char *text = s->failed ? NULL : json_dumps(s->root, JSON_COMPACT);
    json_decref(s->root);
    free(s);
    return text;
}

/* The common head: version 1 and a node id that fits. */
static json_t *load_head(const char *data, size_t len, char node[PARLEY_CLUSTER_NODE_SIZE]) {
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *n = json_object_get(root, "n");
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "v")) != 1 ||
        !json_is_string(n) || json_string_length(n) == 0 ||
        json_string_length(n) >= PARLEY_CLUSTER_NODE_SIZE ||
        strlen(json_string_value(n)) != json_string_length(n)) {
        json_decref(root);
        return NULL;
    }
    snprintf(node, PARLEY_CLUSTER_NODE_SIZE, "%s", json_string_value(n));
    return root;
}

bool parley_presence_snapshot_decode(const char *data, size_t len,
                                     char node[PARLEY_CLUSTER_NODE_SIZE],
                                     void (*each)(void *ctx, const char *agent_id, int count),
                                     void *ctx) {
    json_t *root = load_head(data, len, node);
    json_t *agents = json_object_get(root, "a");
    if (!json_is_object(agents)) {
        json_decref(root);
        return false;
    }
    const char *agent;
    json_t *value;
    size_t seen = 0;
    json_object_foreach(agents, agent, value) {
        json_int_t c = json_integer_value(value);
        if (seen >= PARLEY_CLUSTER_PRESENCE_MAX) {
            break;
        }
        if (json_is_integer(value) && c > 0 && c <= 100000 && agent[0] != '\0' &&
            strlen(agent) < PARLEY_ID_SIZE) {
            each(ctx, agent, (int)c);
            seen++;
        }
    }
    json_decref(root);
    return true;
}

static const struct {
    parley_copy what;
    const char *name;
} CHANGES[] = {
    {PARLEY_COPY_KB, "kb"},
    {PARLEY_COPY_ALLOWLIST, "allowlist"},
};

char *parley_cluster_changed_encode(const char *node_id, parley_copy what) {
    for (size_t i = 0; i < sizeof CHANGES / sizeof CHANGES[0]; i++) {
        if (CHANGES[i].what == what) {
            json_t *root = json_pack("{s:i, s:s, s:s}", "v", 1, "n", node_id, "w", CHANGES[i].name);
            char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
            json_decref(root);
            return text;
        }
    }
    return NULL;
}

bool parley_cluster_changed_decode(const char *data, size_t len,
                                   char node[PARLEY_CLUSTER_NODE_SIZE], parley_copy *what) {
    json_t *root = load_head(data, len, node);
    const char *w = json_string_value(json_object_get(root, "w"));
    bool ok = false;
    for (size_t i = 0; w != NULL && i < sizeof CHANGES / sizeof CHANGES[0] && !ok; i++) {
        if (strcmp(w, CHANGES[i].name) == 0) {
            *what = CHANGES[i].what;
            ok = true;
        }
    }
    json_decref(root);
    return ok;
}

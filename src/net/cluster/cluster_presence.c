/*
 * cluster_presence.c - presence across nodes (cluster_presence.h).
 */
#include "net/cluster/cluster_presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "net/cluster/share_codec.h"
#include "util/log.h"

typedef struct remote_agent {
    char id[PARLEY_ID_SIZE];
    int count;
    UT_hash_handle hh;
} remote_agent;

struct parley_remote_node {
    char id[PARLEY_CLUSTER_NODE_SIZE];
    uint64_t heard_at; /* uv_now of its last snapshot */
    remote_agent *agents;
    UT_hash_handle hh;
};

static void agents_free(remote_agent **agents) {
    remote_agent *a, *tmp;
    HASH_ITER(hh, *agents, a, tmp) {
        HASH_DEL(*agents, a);
        free(a);
    }
}

int parley_cluster_presence_remote(parley_cluster_presence *cp, const char *agent_id) {
    int sum = 0;
    parley_remote_node *n, *tmp;
    HASH_ITER(hh, cp->nodes, n, tmp) {
        remote_agent *a = NULL;
        HASH_FIND_STR(n->agents, agent_id, a);
        sum += a != NULL ? a->count : 0;
    }
    return sum;
}

/* --- publishing this node's counts ------------------------------------------ */

static void add_one(void *ctx, const char *agent_id, int count) {
    parley_presence_snapshot_add(ctx, agent_id, count);
}

static void publish(parley_cluster_presence *cp) {
    parley_presence_snapshot *s = parley_presence_snapshot_new(cp->bus->node_id);
    parley_presence_watch_each(cp->watch, add_one, s);
    char *text = parley_presence_snapshot_finish(s);
    if (text != NULL) {
        cp->bus->ops->send(cp->bus, PARLEY_CLUSTER_PRESENCE_CHANNEL, text);
        free(text);
    }
}

static void on_local_change(void *ctx) {
    publish(ctx);
}

static int remote_for_watch(void *ctx, const char *agent_id) {
    return parley_cluster_presence_remote(ctx, agent_id);
}

/* --- the other nodes -------------------------------------------------------- */

/* A node is gone: the agents it held and nobody else holds count down
 * their grace here (every surviving node does; going offline twice changes
 * nothing the second time). */
static void node_gone(parley_cluster_presence *cp, parley_remote_node *n) {
    HASH_DEL(cp->nodes, n);
    parley_log_info("cluster presence: node %s not heard for %d ms; its agents' sockets no longer "
                    "count",
                    n->id, PARLEY_CLUSTER_PRESENCE_EXPIRY_MS);
    remote_agent *a, *tmp;
    HASH_ITER(hh, n->agents, a, tmp) {
        if (parley_presence_watch_count(cp->watch, a->id) == 0) {
            parley_presence_watch_orphaned(cp->watch, a->id);
        }
    }
    agents_free(&n->agents);
    free(n);
}

typedef struct decode_ctx {
    remote_agent *agents;
    bool failed;
} decode_ctx;

static void take_one(void *ctx, const char *agent_id, int count) {
    decode_ctx *d = ctx;
    remote_agent *a = NULL;
    HASH_FIND_STR(d->agents, agent_id, a);
    if (a == NULL) {
        a = calloc(1, sizeof *a);
        if (a == NULL) {
            d->failed = true;
            return;
        }
        snprintf(a->id, sizeof a->id, "%s", agent_id);
        HASH_ADD_STR(d->agents, id, a);
    }
    a->count = count;
}

static void on_message(void *ctx, const char *data, size_t len) {
    parley_cluster_presence *cp = ctx;
    char node[PARLEY_CLUSTER_NODE_SIZE];
    decode_ctx d = {0};
    if (!parley_presence_snapshot_decode(data, len, node, take_one, &d) || d.failed) {
        agents_free(&d.agents);
        return;
    }
    if (strcmp(node, cp->bus->node_id) == 0) {
        agents_free(&d.agents); /* ours */
        return;
    }
    parley_remote_node *n = NULL;
    HASH_FIND_STR(cp->nodes, node, n);
    if (n == NULL) {
        n = calloc(1, sizeof *n);
        if (n == NULL) {
            agents_free(&d.agents);
            return;
        }
        snprintf(n->id, sizeof n->id, "%s", node);
        HASH_ADD_STR(cp->nodes, id, n);
    }
    /* agents whose sockets there all closed: that node counts their grace
     * down itself (it saw the close); a countdown that ended here while
     * that node still counted them runs again (remote_dropped) */
    remote_agent *old = n->agents;
    n->agents = d.agents;
    n->heard_at = uv_now(cp->loop);
    remote_agent *a, *tmp;
    HASH_ITER(hh, old, a, tmp) {
        remote_agent *still = NULL;
        HASH_FIND_STR(n->agents, a->id, still);
        if (still == NULL) {
            parley_presence_watch_remote_dropped(cp->watch, a->id);
        }
    }
    agents_free(&old);
}

static void on_subscribed(void *ctx) {
    parley_cluster_presence *cp = ctx;
    /* we heard nobody meanwhile: their clocks restart now */
    parley_remote_node *n, *tmp;
    HASH_ITER(hh, cp->nodes, n, tmp) {
        n->heard_at = uv_now(cp->loop);
    }
    publish(cp); /* and they may have dropped us: our counts at once */
}

static void on_beat(uv_timer_t *timer) {
    parley_cluster_presence *cp = timer->data;
    publish(cp);
    if (!cp->bus->ops->connected(cp->bus)) {
        return; /* not hearing anyone says nothing about them */
    }
    uint64_t now = uv_now(cp->loop);
    parley_remote_node *n, *tmp;
    HASH_ITER(hh, cp->nodes, n, tmp) {
        if (now - n->heard_at > PARLEY_CLUSTER_PRESENCE_EXPIRY_MS) {
            node_gone(cp, n);
        }
    }
}

bool parley_cluster_presence_init(parley_cluster_presence *cp, parley_cluster_bus *bus,
                                  parley_presence_watch *watch, uv_loop_t *loop) {
    memset(cp, 0, sizeof *cp);
    cp->bus = bus;
    cp->watch = watch;
    cp->loop = loop;
    if (strcmp(bus->ops->name, "local") == 0) {
        return true;
    }
    parley_cluster_topic topic = {.channel = PARLEY_CLUSTER_PRESENCE_CHANNEL,
                                  .on_message = on_message,
                                  .on_subscribed = on_subscribed,
                                  .ctx = cp};
    if (!parley_cluster_bus_listen(bus, &topic)) {
        return false;
    }
    watch->remote =
        (parley_presence_remote){.count = remote_for_watch, .changed = on_local_change, .ctx = cp};
    uv_timer_init(loop, &cp->beat);
    cp->beat.data = cp;
    uv_timer_start(&cp->beat, on_beat, PARLEY_CLUSTER_PRESENCE_BEAT_MS,
                   PARLEY_CLUSTER_PRESENCE_BEAT_MS);
    cp->active = true;
    return true;
}

void parley_cluster_presence_close(parley_cluster_presence *cp) {
    if (cp->active && !uv_is_closing((uv_handle_t *)&cp->beat)) {
        uv_timer_stop(&cp->beat);
        uv_close((uv_handle_t *)&cp->beat, NULL);
    }
}

void parley_cluster_presence_free(parley_cluster_presence *cp) {
    parley_remote_node *n, *tmp;
    HASH_ITER(hh, cp->nodes, n, tmp) {
        HASH_DEL(cp->nodes, n);
        agents_free(&n->agents);
        free(n);
    }
}

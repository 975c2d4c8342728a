/*
 * cluster_changes.c - change notices between nodes (cluster_changes.h).
 */
#include "net/cluster/cluster_changes.h"

#include <stdlib.h>
#include <string.h>

#include "core/copies.h"
#include "core/knowledge_base.h"
#include "net/cluster/share_codec.h"
#include "util/log.h"

static const parley_copy ALL_COPIES[] = {PARLEY_COPY_KB};

/* Any thread (the writer, after its commit). */
static void on_copy_changed(void *ctx, parley_copy what) {
    parley_cluster_changes *cc = ctx;
    atomic_fetch_or(&cc->pending, (unsigned)what);
    uv_async_send(&cc->async);
}

static void on_async(uv_async_t *async) {
    parley_cluster_changes *cc = async->data;
    unsigned bits = atomic_exchange(&cc->pending, 0u);
    for (size_t i = 0; i < sizeof ALL_COPIES / sizeof ALL_COPIES[0]; i++) {
        if ((bits & (unsigned)ALL_COPIES[i]) == 0) {
            continue;
        }
        char *text = parley_cluster_changed_encode(cc->bus->node_id, ALL_COPIES[i]);
        if (text != NULL) {
            cc->bus->ops->send(cc->bus, PARLEY_CLUSTER_CHANGED_CHANNEL, text);
            cc->sent++;
            free(text);
        }
    }
}

static void mark_stale(parley_copy what) {
    if (what == PARLEY_COPY_KB) {
        parley_kb_stale();
    }
}

static void on_message(void *ctx, const char *data, size_t len) {
    parley_cluster_changes *cc = ctx;
    char node[PARLEY_CLUSTER_NODE_SIZE];
    parley_copy what;
    if (!parley_cluster_changed_decode(data, len, node, &what) ||
        strcmp(node, cc->bus->node_id) == 0) {
        return; /* not one, or ours (our copy is fresh) */
    }
    mark_stale(what);
    cc->applied++;
}

static void on_subscribed(void *ctx) {
    (void)ctx;
    /* notices sent while we were not listening are lost: assume the worst */
    for (size_t i = 0; i < sizeof ALL_COPIES / sizeof ALL_COPIES[0]; i++) {
        mark_stale(ALL_COPIES[i]);
    }
}

bool parley_cluster_changes_init(parley_cluster_changes *cc, parley_cluster_bus *bus,
                                 uv_loop_t *loop) {
    memset(cc, 0, sizeof *cc);
    cc->bus = bus;
    if (strcmp(bus->ops->name, "local") == 0) {
        return true;
    }
    parley_cluster_topic topic = {.channel = PARLEY_CLUSTER_CHANGED_CHANNEL,
                                  .on_message = on_message,
                                  .on_subscribed = on_subscribed,
                                  .ctx = cc};
    if (!parley_cluster_bus_listen(bus, &topic) || uv_async_init(loop, &cc->async, on_async) != 0) {
        return false;
    }
    cc->async.data = cc;
    cc->active = true;
    parley_copies_set_listener(on_copy_changed, cc);
    return true;
}

void parley_cluster_changes_close(parley_cluster_changes *cc) {
    if (!cc->active) {
        return;
    }
    parley_copies_set_listener(NULL, NULL);
    cc->active = false;
    uv_close((uv_handle_t *)&cc->async, NULL);
}

/*
 * bus_local.c - the cluster bus of a single node (no --redis): nothing is
 * published and nothing arrives, so the node behaves exactly as it does
 * without a bus (bus.h).
 */
#include <stdlib.h>

#include "net/cluster/bus.h"

static void local_publish(parley_cluster_bus *bus, const parley_event *event) {
    (void)bus;
    (void)event;
}

static void local_publish_typing(parley_cluster_bus *bus, const char *session_id,
                                 const char *frame) {
    (void)bus;
    (void)session_id;
    (void)frame;
}

static void local_send(parley_cluster_bus *bus, const char *channel, const char *payload) {
    (void)bus;
    (void)channel;
    (void)payload;
}

static bool local_connected(const parley_cluster_bus *bus) {
    (void)bus;
    return true; /* nothing to hear: never behind */
}

static void local_close(parley_cluster_bus *bus) {
    (void)bus;
}

static void local_free(parley_cluster_bus *bus) {
    free(bus);
}

static const parley_cluster_bus_ops local_ops = {
    .name = "local",
    .publish = local_publish,
    .publish_typing = local_publish_typing,
    .send = local_send,
    .connected = local_connected,
    .close = local_close,
    .free = local_free,
};

parley_cluster_bus *parley_cluster_bus_local_new(void) {
    parley_cluster_bus *bus = calloc(1, sizeof *bus);
    if (bus != NULL) {
        bus->ops = &local_ops;
    }
    return bus;
}

/*
 * cluster_presence.h - agents' presence across nodes (issue 13,
 * docs/subsystems/cluster.md "Presence"): every node publishes, on
 * parley:presence, a snapshot of its agents' open WebSocket counts each
 * time they change and every PARLEY_CLUSTER_PRESENCE_BEAT_MS (the
 * heartbeat); every node keeps the last snapshot of each other node. A
 * node not heard for PARLEY_CLUSTER_PRESENCE_EXPIRY_MS is dead: its
 * snapshot is dropped and, for each agent it alone held, the grace
 * countdown starts here (presence_watch.h, orphaned). The presence watch
 * asks the sum over the live nodes before setting an agent offline.
 *
 * Nothing is stored in Redis: a kill -9'd node simply stops beating, and
 * after a Redis reconnect the next heartbeat (sent at once on every
 * resubscription) brings everyone's counts back. While this node's bus is
 * not subscribed, no node is declared dead (it is this node that hears
 * nothing), and each one's clock restarts at the resubscription.
 *
 * Threads: loop thread only. Ownership: embedded in the server; it owns
 * its table and timer; borrows the bus and the presence watch (which
 * outlive it). Without --redis (a local bus) init does nothing.
 */
#ifndef PARLEY_CLUSTER_PRESENCE_H
#define PARLEY_CLUSTER_PRESENCE_H

#include <stdbool.h>
#include <uv.h>

#include "net/cluster/bus.h"
#include "net/desk/presence_watch.h"

#define PARLEY_CLUSTER_PRESENCE_BEAT_MS 1000
#define PARLEY_CLUSTER_PRESENCE_EXPIRY_MS 3500

typedef struct parley_remote_node parley_remote_node;

typedef struct parley_cluster_presence {
    parley_cluster_bus *bus;      /* borrowed */
    parley_presence_watch *watch; /* borrowed */
    uv_loop_t *loop;
    uv_timer_t beat;
    parley_remote_node *nodes; /* uthash by node id */
    bool active;               /* a redis bus: timer initialised */
} parley_cluster_presence;

/* Listens on the bus and starts the heartbeat (redis bus only), and hooks
 * itself into the watch (presence_watch.h, remote). False when out of
 * memory. */
bool parley_cluster_presence_init(parley_cluster_presence *cp, parley_cluster_bus *bus,
                                  parley_presence_watch *watch, uv_loop_t *loop);
/* Sockets of agent_id on the other live nodes. */
int parley_cluster_presence_remote(parley_cluster_presence *cp, const char *agent_id);
/* Shutdown: stops and closes the timer. free after uv_run returned. */
void parley_cluster_presence_close(parley_cluster_presence *cp);
void parley_cluster_presence_free(parley_cluster_presence *cp);

#endif

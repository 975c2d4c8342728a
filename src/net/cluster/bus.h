/*
 * bus.h - the cluster bus: how the events one node commits reach the
 * WebSockets connected to the other nodes on the same database (issue 13,
 * docs/subsystems/cluster.md).
 *
 * An ops table with two implementations, chosen by --redis:
 *   local  (bus_local.c, no --redis): one node; publishing does nothing,
 *          nothing arrives. The node behaves exactly as without a bus.
 *   redis  (bus_redis.c, --redis URL): hiredis on this loop (its libuv
 *          adapter). After commit, each event that a WebSocket may hear is
 *          PUBLISHed in an envelope (cluster_codec.h) to its channel (a
 *          session bucket parley:s:N, parley:agents, parley:revoke); every
 *          node SUBSCRIBEs to all of them and hands what other nodes
 *          published (its own, by node id, is skipped) to its hub, which
 *          delivers the frames as they came. The hub runs in cluster mode
 *          (hub->cluster): a live subscription whose seq skips ahead catches
 *          up from the database. Each time the subscription to Redis is
 *          confirmed (at start and after every reconnect) every WebSocket
 *          subscription resyncs from the database, so what was published
 *          while the node was not listening is read from PostgreSQL, the
 *          record of truth. Reconnects back off (100 ms doubling to 5 s)
 *          and are logged; events committed while Redis is unreachable wait
 *          in a bounded backlog and are published on reconnect.
 *
 * Shared state travels on two more channels, parley:presence and
 * parley:changed (share_codec.h), to listeners registered with
 * parley_cluster_bus_listen (cluster_presence.h, cluster_changes.h);
 * ops->send publishes there, best-effort.
 *
 * Only the hub hears remote events: the node that committed an event runs
 * its other after-commit subscribers (routing, the bot, notifications,
 * metrics) itself, once.
 *
 * Threads: loop thread only (open, the after-commit subscriber, close,
 * every hiredis callback). free after uv_run returned.
 * Ownership: the server owns the bus (srv->bus); the bus borrows the hub
 * and the loop, which outlive it.
 */
#ifndef PARLEY_CLUSTER_BUS_H
#define PARLEY_CLUSTER_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/event.h"
#include "net/cluster/cluster_codec.h"
#include "util/error.h"

typedef struct parley_hub parley_hub;
typedef struct parley_cluster_bus parley_cluster_bus;

/* Counters for /metrics (loop thread). */
typedef struct parley_cluster_stats {
    uint64_t published;    /* envelopes handed to Redis */
    uint64_t received;     /* envelopes from other nodes delivered to the hub */
    uint64_t dropped;      /* not published: backlog full, or out of memory */
    uint64_t reconnects;   /* subscriptions confirmed after the first */
    uint64_t bad_envelope; /* undecodable messages on a channel */
} parley_cluster_stats;

typedef struct parley_cluster_bus_ops {
    const char *name; /* "local" | "redis" */
    /* a committed event (after commit, after the local hub had it) */
    void (*publish)(parley_cluster_bus *bus, const parley_event *event);
    /* a typing frame relayed on this node (best-effort, no backlog) */
    void (*publish_typing)(parley_cluster_bus *bus, const char *session_id, const char *frame);
    /* a message on a shared-state channel (share_codec.h): best-effort, no
     * backlog (what is sent there is sent again: heartbeats, and a
     * reload after every resubscription) */
    void (*send)(parley_cluster_bus *bus, const char *channel, const char *payload);
    /* whether the bus hears other nodes right now (redis: subscribed) */
    bool (*connected)(const parley_cluster_bus *bus);
    /* starts closing its handles (shutdown); events after it are dropped */
    void (*close)(parley_cluster_bus *bus);
    /* frees it; after uv_run returned */
    void (*free)(parley_cluster_bus *bus);
} parley_cluster_bus_ops;

/* A listener of a shared-state channel (parley:presence, parley:changed):
 * on_message for what any node (this one too: check the node id) sent
 * there, on_subscribed each time the bus has confirmed its subscriptions
 * (start, every reconnect: what was sent meanwhile was missed). */
typedef struct parley_cluster_topic {
    const char *channel;
    void (*on_message)(void *ctx, const char *data, size_t len);
    void (*on_subscribed)(void *ctx);
    void *ctx;
} parley_cluster_topic;

#define PARLEY_CLUSTER_TOPICS_MAX 4

struct parley_cluster_bus {
    const parley_cluster_bus_ops *ops;
    parley_hub *hub; /* borrowed */
    char node_id[PARLEY_CLUSTER_NODE_SIZE];
    parley_cluster_stats stats;
    parley_cluster_topic topics[PARLEY_CLUSTER_TOPICS_MAX];
    int topic_count;
};

/* Listens on a shared-state channel; the redis bus subscribes to the
 * channels named in share_codec.h only, so channel must be one of them.
 * Before the loop runs (the subscription goes out at the first connect).
 * False when the table is full. */
bool parley_cluster_bus_listen(parley_cluster_bus *bus, const parley_cluster_topic *topic);
/* For the implementations: a message on a shared-state channel, or the
 * confirmation of every subscription. */
void parley_cluster_bus_topic_message(parley_cluster_bus *bus, const char *channel,
                                      const char *data, size_t len);
void parley_cluster_bus_topics_subscribed(parley_cluster_bus *bus);

/* Opens the bus: local when redis_url is NULL or "", else redis (which
 * connects in the background: start never waits for Redis). Puts the hub
 * in cluster mode for redis. Fails only on a bad URL or out of memory. */
parley_status parley_cluster_bus_open(const char *redis_url, uv_loop_t *loop, parley_hub *hub,
                                      parley_cluster_bus **out, parley_error *err);

/* Subscribes the bus after commit to every event type (after the hub). */
bool parley_cluster_bus_subscribe_events(parley_cluster_bus *bus, parley_event_registry *reg);

/* For the implementations: an envelope from a channel (any node's): the
 * hub delivers it unless this node published it. */
void parley_cluster_bus_receive(parley_cluster_bus *bus, const char *data, size_t len);

/* The implementations (bus_local.c, bus_redis.c). */
parley_cluster_bus *parley_cluster_bus_local_new(void);
parley_cluster_bus *parley_cluster_bus_redis_new(const parley_redis_url *url, uv_loop_t *loop);

#endif

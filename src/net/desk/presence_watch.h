/*
 * presence_watch.h - reflects WebSocket disconnects in agents' presence
 * after a grace period.
 *
 * It counts each agent's open WebSockets. When the last one closes it
 * reads presence.offline_grace_seconds (a pool job: settings live in the
 * database) and starts a timer; a connection of that agent before the
 * timer fires stops it, so a quick reconnect changes nothing and announces
 * nothing. When it fires with still no connection, a batched job calls
 * parley_presence_disconnected() on the facade's chat service, which sets an online or busy agent
 * offline and emits presence.updated (core/presence.h). Connecting never
 * changes a presence: a status the agent set survives reconnects.
 *
 * Several nodes (--redis): sockets on the other nodes count too. The
 * watch asks `remote.count` (net/cluster/cluster_presence.h: the sum over
 * the live nodes' published counts) when the grace is over, and tells
 * `remote.changed` whenever its own counts change so they can be
 * published. The node whose last socket of an agent closes decides; when
 * a node dies, the others count down the grace for the agents it alone
 * held (parley_presence_watch_orphaned). Without --redis, remote is empty.
 *
 * Threads: loop thread only. Ownership: embedded in the server; an entry
 * per agent seen, kept until parley_presence_watch_free() (after the loop
 * closed the timers in parley_presence_watch_close()).
 */
#ifndef PARLEY_PRESENCE_WATCH_H
#define PARLEY_PRESENCE_WATCH_H

#include <stdbool.h>
#include <uv.h>

struct parley_server;
typedef struct parley_presence_entry parley_presence_entry;

/* The other nodes' view (all NULL on one node). */
typedef struct parley_presence_remote {
    int (*count)(void *ctx, const char *agent_id); /* sockets on other live nodes */
    void (*changed)(void *ctx);                    /* this node's counts changed */
    void *ctx;
} parley_presence_remote;

typedef struct parley_presence_watch {
    struct parley_server *server;
    parley_presence_entry *agents; /* uthash by agent id */
    parley_presence_remote remote;
    bool stopped;
} parley_presence_watch;

void parley_presence_watch_init(parley_presence_watch *w, struct parley_server *srv);
void parley_presence_watch_connected(parley_presence_watch *w, const char *agent_id);
void parley_presence_watch_disconnected(parley_presence_watch *w, const char *agent_id);
/* Open WebSockets of the agent (0 when unknown). */
int parley_presence_watch_count(const parley_presence_watch *w, const char *agent_id);
/* Calls fn for every agent with open WebSockets on this node. */
void parley_presence_watch_each(parley_presence_watch *w,
                                void (*fn)(void *ctx, const char *agent_id, int count), void *ctx);
/* A node that held sockets of the agent is gone: when the agent has none
 * here nor on another live node, the grace countdown starts here. */
void parley_presence_watch_orphaned(parley_presence_watch *w, const char *agent_id);
/* The other nodes no longer count sockets of the agent: if its grace
 * ended here while they did (after a Redis outage both nodes may have
 * deferred to each other's stale counts), the countdown runs again. */
void parley_presence_watch_remote_dropped(parley_presence_watch *w, const char *agent_id);
/* Shutdown: stop and close every timer. */
void parley_presence_watch_close(parley_presence_watch *w);
void parley_presence_watch_free(parley_presence_watch *w);

#endif

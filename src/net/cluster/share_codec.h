/*
 * share_codec.h - the pure parts of what nodes share besides events
 * (docs/subsystems/cluster.md, "Shared state"): the presence snapshot a
 * node publishes on parley:presence (its agents' open WebSocket counts, at
 * every change and every heartbeat) and the change notice it publishes on
 * parley:changed after a commit that changed a copy other nodes keep in
 * memory (core/copies.h: the knowledge base's index, the allowlist).
 *
 *   presence: {"v":1,"n":NODE,"a":{"AGENT_ID":COUNT,...}}
 *   changed:  {"v":1,"n":NODE,"w":"kb"|"allowlist"}
 *
 * Threads: any (pure functions). Ownership: the caller frees what the
 * encoders return. Decoders read untrusted bytes (anyone who can publish
 * on the channel): fuzz/fuzz_cluster_codec.c.
 */
#ifndef PARLEY_CLUSTER_SHARE_CODEC_H
#define PARLEY_CLUSTER_SHARE_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/copies.h"
#include "core/model.h"
#include "net/cluster/cluster_codec.h"

#define PARLEY_CLUSTER_PRESENCE_CHANNEL "parley:presence"
#define PARLEY_CLUSTER_CHANGED_CHANNEL "parley:changed"
/* More agents than this in one snapshot are not counted (a bound on what a
 * message may make a node store). */
#define PARLEY_CLUSTER_PRESENCE_MAX 100000

/* A snapshot being built: add each agent, then finish (NULL when out of
 * memory). */
typedef struct parley_presence_snapshot parley_presence_snapshot;
parley_presence_snapshot *parley_presence_snapshot_new(const char *node_id);
void parley_presence_snapshot_add(parley_presence_snapshot *s, const char *agent_id, int count);
char *parley_presence_snapshot_finish(parley_presence_snapshot *s); /* frees s */

/* Decodes a snapshot: node id into node, then each(ctx, agent, count) per
 * agent with an id that fits PARLEY_ID_SIZE and a count in 1..100000
 * (others are skipped). False when it is not a snapshot of this version;
 * each is then not called. */
bool parley_presence_snapshot_decode(const char *data, size_t len,
                                     char node[PARLEY_CLUSTER_NODE_SIZE],
                                     void (*each)(void *ctx, const char *agent_id, int count),
                                     void *ctx);

/* One change's notice; NULL for an unknown change or when out of memory. */
char *parley_cluster_changed_encode(const char *node_id, parley_copy what);
/* False when it is not a notice of a known change. */
bool parley_cluster_changed_decode(const char *data, size_t len,
                                   char node[PARLEY_CLUSTER_NODE_SIZE], parley_copy *what);

#endif

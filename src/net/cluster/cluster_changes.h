/*
 * cluster_changes.h - in-memory copies kept fresh across nodes (issue 13,
 * docs/subsystems/cluster.md "Shared state"): when a unit committed a
 * change to something nodes keep a copy of (core/copies.h: the knowledge
 * base's index, the profanity allowlist), this node publishes a notice on
 * parley:changed ({"w":"kb"}, share_codec.h); the other nodes mark their
 * index stale (rebuilt from the database at its next use), or reload the
 * allowlist from the database in a pool job (words added and removed to
 * match; built-in words stay). After every
 * resubscription (notices sent while this node was not listening are
 * lost) every copy is marked stale.
 *
 * Settings need nothing: they are read from the database at each use
 * (core/settings.h).
 *
 * Threads: init/close on the loop thread before/after the executor's
 * threads; the core's listener runs on the writer and hops to the loop
 * with a uv_async. Ownership: embedded in the server; borrows the bus.
 * Without --redis (a local bus) init does nothing.
 */
#ifndef PARLEY_CLUSTER_CHANGES_H
#define PARLEY_CLUSTER_CHANGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "core/strategy.h"
#include "net/cluster/bus.h"
#include "net/loop/executor.h"

typedef struct parley_cluster_changes {
    parley_cluster_bus *bus;                    /* borrowed */
    const parley_strategy_registry *strategies; /* borrowed: the allowlist lives there */
    parley_executor **executor;                 /* the server's */
    uv_async_t async;
    atomic_uint pending; /* parley_copy bits waiting for the loop */
    bool active;         /* a redis bus: listening, async initialised */
    uint64_t sent;       /* notices published (loop thread) */
    uint64_t applied;    /* notices from other nodes applied */
} parley_cluster_changes;

bool parley_cluster_changes_init(parley_cluster_changes *cc, parley_cluster_bus *bus,
                                 uv_loop_t *loop, const parley_strategy_registry *strategies,
                                 parley_executor **executor);
/* After the executor stopped: no more listener, the async closes. */
void parley_cluster_changes_close(parley_cluster_changes *cc);

#endif

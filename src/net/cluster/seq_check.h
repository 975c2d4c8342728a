/*
 * seq_check.h - the periodic last_seq check of a node in a cluster (issue
 * 13, docs/subsystems/cluster.md "Nothing missed"): a node killed between
 * its commit and its PUBLISH leaves the other nodes' subscribers without
 * that message until the session's next message or a resync. Every
 * --seq-check-ms this node reads, in one query (sessions->list_by_ids, at
 * most 1000 sessions a round), the database's last_seq of the sessions it
 * has subscriptions for; a live subscription still behind the last_seq
 * read one round earlier (what Redis had a whole interval to bring)
 * catches up from the database (parley_hub_catch_up). A message lost
 * between commit and publish is therefore delivered within about two
 * intervals.
 *
 * Off without --redis (one node has no bus to lose anything on), with
 * --seq-check-ms 0, and while the bus is not subscribed (the resync on
 * resubscription covers that).
 *
 * Threads: loop thread; the query runs as a pool job. Ownership: embedded
 * in the server; borrows the hub, bus and executor (which outlive it).
 */
#ifndef PARLEY_CLUSTER_SEQ_CHECK_H
#define PARLEY_CLUSTER_SEQ_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "net/cluster/bus.h"
#include "net/loop/executor.h"

#define PARLEY_SEQ_CHECK_MAX_SESSIONS 1000

typedef struct parley_seq_seen parley_seq_seen;

typedef struct parley_seq_check {
    parley_hub *hub;            /* borrowed */
    parley_cluster_bus *bus;    /* borrowed */
    parley_executor **executor; /* the server's (set after this starts) */
    uv_timer_t timer;
    parley_seq_seen *seen; /* uthash: session id -> last_seq read last round */
    unsigned round;
    bool active;
    bool in_flight;
    uint64_t rounds;    /* queries made (loop thread) */
    uint64_t catch_ups; /* subscriptions sent back to the database */
} parley_seq_check;

/* Starts the timer when the bus is redis and every_ms > 0. */
void parley_seq_check_start(parley_seq_check *sc, parley_hub *hub, parley_cluster_bus *bus,
                            parley_executor **executor, uv_loop_t *loop, int64_t every_ms);
/* Shutdown: stops and closes the timer. free after uv_run returned. */
void parley_seq_check_close(parley_seq_check *sc);
void parley_seq_check_free(parley_seq_check *sc);

#endif

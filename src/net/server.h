/*
 * server.h - parleyd's network side: the listener, every connection, the
 * executor and the realtime hub, on one libuv loop.
 *
 * Threads: everything here runs on the loop thread, except job `run`
 * functions (executor.h). Ownership: the server owns its connections; a
 * connection is freed only after its handles closed and no job holds it.
 */
#ifndef PARLEY_SERVER_H
#define PARLEY_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "util/client_addr.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/retention.h"
#include "core/strategy.h"
#include "net/loop/executor.h"
#include "net/api/chain_cache.h"
#include "net/desk/dispatcher.h"
#include "net/ws/hub.h"
#include "net/metrics.h"
#include "net/http/origin_policy.h"
#include "net/desk/presence_watch.h"
#include "net/cluster/cluster_changes.h"
#include "net/cluster/cluster_presence.h"
#include "net/cluster/seq_check.h"
#include "net/notify_worker.h"

typedef struct parley_conn parley_conn;

/* A writer job a timer submits periodically (auto-close, search index,
 * retention), embedded in the server; never two of one kind at once. The
 * loop thread owns it. */
/* How often a node asks for (or checks) leadership: a node that dies or
 * loses its connection is replaced within about this long. */
#define PARLEY_LEADERSHIP_TICK_MS 2000

typedef struct parley_periodic_job {
    parley_job job; /* first: the executor hands it back */
    uv_timer_t timer;
    struct parley_server *srv;
    parley_job_run_fn run;
    parley_job_done_fn on_done; /* optional, on the loop after the job completed */
    uint64_t every_ms;
    bool in_flight;
    uint64_t submitted_at; /* loop time of the last submit (while in_flight) */
} parley_periodic_job;

/* The retention job (core/retention.h): the operator's policy, where the
 * files live, and the counts of the pass in flight (written on the
 * writer, by the pass and its after-commit action; read in on_done). */
typedef struct parley_retention_job {
    parley_periodic_job periodic; /* first */
    parley_retention_policy policy;
    parley_retention_counts counts;
    char upload_root[4096];
} parley_retention_job;

typedef struct parley_server {
    uv_loop_t *loop;
    const parley_config *config;
    const parley_strategy_registry *strategies;
    uv_tcp_t listener;
    /* --metrics-listen: a second listener whose connections may ask for
     * /metrics only (conn->metrics_only) */
    uv_tcp_t metrics_listener;
    bool has_metrics_listener;
    int metrics_port; /* its bound port */
    /* --trusted-proxies: whose Forwarded / X-Forwarded-For count */
    parley_trusted_proxies trusted_proxies;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t shutdown_timer;
    parley_executor *executor;
    parley_hub hub;
    /* the cluster bus (net/cluster/bus.h): local (no-op) without --redis */
    struct parley_cluster_bus *bus;
    /* who hears of the core's events (core/event.h): filled and sealed at
     * start, before the executor's threads; read-only afterwards */
    parley_event_registry events;
    parley_chain_cache chains; /* sessions with a strategy chain (loop thread) */
    parley_metrics metrics;
    parley_origin_policy origins;
    parley_limits limits;
    parley_conn *conns;              /* every open connection (intrusive list) */
    struct parley_ws *ws_flush_list; /* WebSockets with frames to write */
    uv_check_t flush_check;          /* writes them after I/O callbacks ... */
    uv_prepare_t flush_prepare;      /* ... and before the loop blocks */
    size_t conn_count;
    size_t unsent_bytes_total; /* output not yet read by clients (conn.h counts it) */
    size_t evicted_pending;    /* evicted connections not yet closed */
    /* the session lifecycle (core/lifecycle.h): closes idle sessions */
    parley_periodic_job lifecycle;
    /* the search index (core/agent_tools.h): indexes what was stored since */
    parley_periodic_job search_index;
    /* retention (core/retention.h): purges what has outlived its use */
    parley_retention_job retention;
    /* leadership among the nodes on one database (repository.h's
     * leadership_try, on the writer's connection): the job asks every
     * PARLEY_LEADERSHIP_TICK_MS; `leader` is its last answer (loop
     * thread), and the periodic jobs above, the dispatcher's periodic pass
     * and the notification deliveries run only while it is true */
    parley_periodic_job leadership;
    bool leader;
    bool leader_answer; /* the job's answer, written on the writer, read in its done */
    /* readiness (/healthz): the leadership job's last unit failed (the
     * database did not answer); a job in flight too long counts too */
    bool database_failed;
    bool shutting_down;
    int64_t shutdown_started_ms;
    char host[256];
    int port;                       /* the bound port (differs from config when it was 0) */
    parley_dispatcher dispatcher;   /* routing dispatch runs (net/desk/dispatcher.h) */
    parley_presence_watch presence; /* agents' sockets -> offline after grace */
    /* --redis: agents' sockets on the other nodes count (cluster_presence.h),
     * changed in-memory copies reach them (cluster_changes.h) */
    parley_cluster_presence cluster_presence;
    parley_cluster_changes cluster_changes;
    parley_seq_check seq_check;   /* --redis: the periodic last_seq check */
    parley_notify_service notify; /* the notification outbox and its delivery */
} parley_server;

/* Migrates the database, starts workers and listens. Prints
 * "parleyd listening on http://HOST:PORT" when ready. */
parley_status parley_server_start(parley_server *srv, uv_loop_t *loop, const parley_config *cfg,
                                  const parley_strategy_registry *strategies, parley_error *err);

/* Graceful shutdown: stop accepting, finish in-flight requests, close
 * connections, flush and close the database. Idempotent. */
void parley_server_shutdown(parley_server *srv);

/* Frees what outlives the loop; call after uv_run returned. */
void parley_server_free(parley_server *srv);

#endif

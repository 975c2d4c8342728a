#include "net/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "net/desk/bot_jobs.h"
#include "core/ids.h"
#include "core/team_policy.h"
#include "util/log.h"
#include "net/cluster/bus.h"
#include "net/loop/conn.h"
#include "net/ws/websocket.h"
#include "storage/file_store.h"
#include "storage/backend.h"

static void count_message(void *ctx, const parley_event *event) {
    (void)event;
    parley_server *srv = ctx;
    srv->metrics.messages_created++;
}

/* Who hears of the core's events (core/event.h), in this order. The core
 * knows none of them. */
static parley_status subscribe_events(parley_server *srv, parley_error *err) {
    parley_event_registry *reg = &srv->events;
    parley_event_registry_init(reg);
    bool ok = /* in unit: a new session gets the desk's bot and greeting,
               * then its team and place in the queue, then its team's
               * strategy policy when the team has one */
        parley_bot_subscribe(reg) && parley_routing_subscribe(reg) &&
        parley_team_policy_subscribe(reg) &&
        /* after commit, on this loop: frames to the WebSockets, a routing
         * run when a session queued or an agent freed, the bot's turn for
         * a customer's message, the counters of /metrics */
        parley_hub_subscribe_events(&srv->hub, reg) &&
        /* --redis: then to the other nodes (net/cluster/bus.h) */
        (srv->hub.cluster ? parley_cluster_bus_subscribe_events(srv->bus, reg) : true) &&
        parley_dispatcher_subscribe(&srv->dispatcher, reg) &&
        parley_bot_jobs_subscribe(reg, &srv->executor) &&
        parley_event_subscribe_after_commit(reg, PARLEY_EVENT_BIT(PARLEY_EVENT_MESSAGE_CREATED),
                                            count_message, srv) &&
        /* in unit (third): the notification outbox, written with its
         * cause; after commit: the delivery worker is poked */
        parley_notify_service_subscribe(&srv->notify, reg);
    parley_event_registry_seal(reg);
    return ok ? PARLEY_OK
              : parley_error_set(err, PARLEY_E_INTERNAL, NULL, "too many event subscribers");
}

static void on_connection(uv_stream_t *listener, int status) {
    parley_server *srv = listener->data;
    if (status == 0) {
        parley_conn_accept(srv, listener, listener == (uv_stream_t *)&srv->metrics_listener);
    }
}

/* Binds and listens on HOST:PORT (flag names it in errors); *port gets
 * the bound port. */
static parley_status listen_on(parley_server *srv, uv_tcp_t *tcp, const char *flag,
                               const char *address, char *host, size_t host_size, int *port,
                               parley_error *err) {
    parley_config probe = {.listen = (char *)(uintptr_t)address};
    if (!parley_config_listen_address(&probe, host, host_size, port)) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config", "bad %s address", flag);
    }
    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, *port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(host, *port, (struct sockaddr_in6 *)&addr) != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "%s: %s is not an IP address", flag, host);
    }
    uv_tcp_init(srv->loop, tcp);
    tcp->data = srv;
    int rc = uv_tcp_bind(tcp, (const struct sockaddr *)&addr, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)tcp, 1024, on_connection);
    }
    if (rc != 0) {
        uv_close((uv_handle_t *)tcp, NULL);
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, "unavailable", "cannot listen on %s: %s",
                                address, uv_strerror(rc));
    }
    struct sockaddr_storage bound;
    int bound_len = sizeof bound;
    uv_tcp_getsockname(tcp, (struct sockaddr *)&bound, &bound_len);
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    return PARLEY_OK;
}

/* Connections evicted over --max-pending-bytes-total are closed here, where
 * no hub list is being walked, before the others' frames are written. */
static void on_flush_check(uv_check_t *check) {
    parley_conn_reap_evicted(check->data);
    parley_ws_flush_all(check->data);
}

/* Frames queued by timers (pings) must go out before the loop sleeps. */
static void on_flush_prepare(uv_prepare_t *prepare) {
    parley_conn_reap_evicted(prepare->data);
    parley_ws_flush_all(prepare->data);
}

/* Runs on the writer: one unit that scans and closes idle sessions. */
static void lifecycle_run(parley_job *job, parley_facade *facade) {
    parley_error err = {0};
    size_t closed = 0;
    job->status =
        parley_lifecycle_close_idle(parley_facade_chat(facade), parley_now_ms(), &closed, &err);
    if (job->status != PARLEY_OK) {
        parley_log_error("auto-close failed: %s", err.message);
    }
}

/* Runs on the writer: one unit that indexes the messages stored since the
 * last run, in one large batch (cheap per message, unlike a trigger per
 * insert inside every group commit). */
static void search_index_run(parley_job *job, parley_facade *facade) {
    parley_error err = {0};
    int64_t indexed = 0;
    job->status = parley_tools_index_messages(parley_facade_chat(facade), &indexed, &err);
    if (job->status != PARLEY_OK) {
        parley_log_error("search index failed: %s", err.message);
    }
}

/* Retention (core/retention.h). The file of a content hash no upload row
 * names any more; runs on the writer after the pass committed. */
static bool retention_remove_file(void *ctx, const char *sha256) {
    const parley_retention_job *rj = ctx;
    parley_error err = {0};
    bool removed = false;
    if (parley_file_store_remove(rj->upload_root, sha256, &removed, &err) != PARLEY_OK) {
        parley_log_error("retention failed: %s", err.message);
    }
    return removed;
}

/* Runs on the writer: one unit, each rule bounded by --retention-batch. */
static void retention_run(parley_job *job, parley_facade *facade) {
    parley_retention_job *rj = (parley_retention_job *)job;
    parley_error err = {0};
    job->status = parley_facade_run_retention(facade, &rj->policy, parley_now_ms(),
                                              retention_remove_file, rj, &rj->counts, &err);
    if (job->status != PARLEY_OK) {
        parley_log_error("retention failed: %s", err.message);
    }
}

/* A pass that filled a batch left more behind: the next one comes soon
 * (each pass is bounded, so the writer still breathes in between). */
#define RETENTION_CATCH_UP_MS 1000
/* the first pass after start: a server restarted more often than the
 * interval must still purge */
#define RETENTION_FIRST_MS 60000

static void on_periodic_tick(uv_timer_t *timer);

/* On the loop: counts into /metrics, one log line per pass that deleted. */
static void retention_done(parley_job *job) {
    parley_retention_job *rj = (parley_retention_job *)job;
    parley_server *srv = rj->periodic.srv;
    if (job->status != PARLEY_OK || job->commit_failed) {
        return;
    }
    const parley_retention_counts *c = &rj->counts;
    srv->metrics.retention_passes++;
    srv->metrics.retention_tokens += (uint64_t)c->tokens;
    srv->metrics.retention_customers += (uint64_t)c->customers;
    srv->metrics.retention_audit_entries += (uint64_t)c->audit_entries;
    srv->metrics.retention_uploads += (uint64_t)c->uploads;
    srv->metrics.retention_files += (uint64_t)c->files;
    srv->metrics.retention_notifications += (uint64_t)c->notifications;
    srv->metrics.retention_password_resets += (uint64_t)c->password_resets;
    if (parley_retention_rows(c) > 0) {
        const parley_log_field fields[] = {
            PARLEY_LOG_INT("tokens", c->tokens),
            PARLEY_LOG_INT("customers", c->customers),
            PARLEY_LOG_INT("audit_entries", c->audit_entries),
            PARLEY_LOG_INT("uploads", c->uploads),
            PARLEY_LOG_INT("files", c->files),
            PARLEY_LOG_INT("notifications", c->notifications),
            PARLEY_LOG_INT("password_resets", c->password_resets),
            PARLEY_LOG_STR("more", c->more ? "true" : "false"),
        };
        parley_log_fields(PARLEY_LOG_INFO, "retention deleted", fields,
                          sizeof fields / sizeof fields[0]);
    }
    if (c->more && !srv->shutting_down) {
        uv_timer_start(&rj->periodic.timer, on_periodic_tick, RETENTION_CATCH_UP_MS,
                       rj->periodic.every_ms);
    }
}

/* Runs on the writer, on its connection (which holds leadership on
 * PostgreSQL): one unit that asks for or checks leadership. A failure
 * (the connection lost) is an answer: not the leader, and the unit rolls
 * back. The answer does not depend on the batch's commit: a session-level
 * lock outlives the transaction. */
static void leadership_run(parley_job *job, parley_facade *facade) {
    parley_server *srv = ((parley_periodic_job *)job)->srv;
    parley_repository *repo = parley_facade_repository(facade);
    parley_error err = {0};
    bool leader = false;
    job->status = repo->ops->leadership_try(repo, &leader, &err);
    if (job->status != PARLEY_OK) {
        parley_log_warn("leadership: %s", err.message);
        leader = false;
    }
    srv->leader_answer = leader;
}

/* On the loop: a change of leadership is logged once and passed on. */
static void leadership_done(parley_job *job) {
    parley_server *srv = ((parley_periodic_job *)job)->srv;
    /* /healthz: did the database answer? */
    srv->database_failed = job->status != PARLEY_OK || job->commit_failed;
    bool leader = srv->leader_answer;
    if (leader == srv->leader) {
        return;
    }
    srv->leader = leader;
    const parley_log_field fields[] = {
        PARLEY_LOG_INT("port", srv->port),
    };
    parley_log_fields(PARLEY_LOG_INFO,
                      leader ? "became leader: running the periodic jobs"
                             : "stopped being leader: periodic jobs left to another node",
                      fields, sizeof fields / sizeof fields[0]);
    parley_notify_service_set_leader(&srv->notify, leader);
    if (leader) {
        parley_dispatcher_request(&srv->dispatcher); /* what waited on the old leader */
    }
}

#define LIFECYCLE_TICK_MS 1000
#define SEARCH_INDEX_TICK_MS 250

/* On the loop after commit (events already published): the next tick may
 * submit again. */
static void periodic_done(parley_job *job) {
    parley_periodic_job *p = (parley_periodic_job *)job;
    p->in_flight = false;
    if (p->on_done != NULL) {
        p->on_done(job);
    }
}

static void on_periodic_tick(uv_timer_t *timer) {
    parley_periodic_job *p = timer->data;
    if (p->in_flight || p->srv->shutting_down) {
        return;
    }
    if (!p->srv->leader && p != &p->srv->leadership) {
        return; /* a follower: the leader runs it */
    }
    memset(&p->job, 0, sizeof p->job);
    p->job.kind = PARLEY_JOB_BATCHED;
    p->job.run = p->run;
    p->job.done = periodic_done;
    p->submitted_at = uv_now(p->srv->loop);
    p->in_flight = parley_executor_submit(p->srv->executor, &p->job) == PARLEY_OK;
}

static void periodic_start(parley_server *srv, parley_periodic_job *p, parley_job_run_fn run,
                           parley_job_done_fn on_done, uint64_t first_ms, uint64_t every_ms) {
    p->srv = srv;
    p->run = run;
    p->on_done = on_done;
    p->every_ms = every_ms;
    p->in_flight = false;
    uv_timer_init(srv->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_periodic_tick, first_ms, every_ms);
}

/* A typing frame relayed on this node, to the other nodes (best-effort). */
static void relay_typing(void *ctx, const char *session_id, const char *frame, size_t len) {
    (void)len;
    parley_cluster_bus *bus = ctx;
    bus->ops->publish_typing(bus, session_id, frame);
}

static void on_signal(uv_signal_t *handle, int signum) {
    (void)signum;
    parley_server_shutdown(handle->data);
}

/* Shutdown waits for in-flight jobs, then stops the executor and closes
 * every remaining handle so uv_run returns. */
static void on_handle_closed(uv_handle_t *handle) {
    (void)handle;
}

static void finish_shutdown(parley_server *srv) {
    uv_timer_stop(&srv->shutdown_timer);
    parley_dispatcher_close(&srv->dispatcher);
    parley_presence_watch_close(&srv->presence);
    parley_executor_stop(srv->executor);
    parley_notify_service_close(&srv->notify);
    parley_cluster_presence_close(&srv->cluster_presence);
    parley_seq_check_close(&srv->seq_check);
    parley_cluster_changes_close(&srv->cluster_changes);
    srv->bus->ops->close(srv->bus);
    for (parley_conn *c = srv->conns; c != NULL; c = c->next) {
        parley_conn_close(c);
    }
    parley_ws_flush_all(srv);
    uv_close((uv_handle_t *)&srv->shutdown_timer, on_handle_closed);
    parley_periodic_job *periodic[] = {&srv->lifecycle, &srv->search_index,
                                       &srv->retention.periodic, &srv->leadership};
    for (size_t i = 0; i < sizeof periodic / sizeof periodic[0]; i++) {
        uv_timer_stop(&periodic[i]->timer);
        uv_close((uv_handle_t *)&periodic[i]->timer, on_handle_closed);
    }
    uv_close((uv_handle_t *)&srv->flush_check, on_handle_closed);
    uv_close((uv_handle_t *)&srv->flush_prepare, on_handle_closed);
    uv_close((uv_handle_t *)&srv->sigterm, on_handle_closed);
    uv_close((uv_handle_t *)&srv->sigint, on_handle_closed);
}

static void on_shutdown_tick(uv_timer_t *timer) {
    parley_server *srv = timer->data;
    uint64_t waited = uv_now(srv->loop) - (uint64_t)srv->shutdown_started_ms;
    bool busy = parley_executor_in_flight(srv->executor) > 0;
    for (parley_conn *c = srv->conns; c != NULL && !busy; c = c->next) {
        busy = c->busy && c->proto == NULL && !c->closing;
    }
    if (busy && waited < (uint64_t)srv->config->shutdown_timeout_ms) {
        return;
    }
    finish_shutdown(srv);
}

void parley_server_shutdown(parley_server *srv) {
    if (srv->shutting_down) {
        return;
    }
    srv->shutting_down = true;
    parley_log_info("shutting down");
    parley_dispatcher_stop(&srv->dispatcher);
    uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
    if (srv->has_metrics_listener) {
        uv_close((uv_handle_t *)&srv->metrics_listener, on_handle_closed);
    }
    for (parley_conn *c = srv->conns; c != NULL; c = c->next) {
        parley_conn_close_if_idle(c);
    }
    srv->shutdown_started_ms = (int64_t)uv_now(srv->loop);
    uv_timer_start(&srv->shutdown_timer, on_shutdown_tick, 0, 20);
}

static parley_status ensure_data_dir(const char *dir, parley_error *err) {
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return parley_error_set(err, PARLEY_E_STORAGE, "storage", "cannot create %s: %s", dir,
                                strerror(errno));
    }
    return PARLEY_OK;
}

parley_status parley_server_start(parley_server *srv, uv_loop_t *loop, const parley_config *cfg,
                                  const parley_strategy_registry *strategies, parley_error *err) {
    memset(srv, 0, sizeof *srv);
    srv->loop = loop;
    srv->config = cfg;
    srv->strategies = strategies;
    parley_hub_init(&srv->hub, parley_ws_hub_sink());
    parley_chain_cache_init(&srv->chains, 100000);

    /* a bad default chain would reject every new session: refuse to start */
    parley_strategy *chain = NULL;
    parley_status st =
        parley_strategy_chain_build(strategies, cfg->default_strategies, &chain, err);
    parley_strategy_chain_free(chain);
    if (st != PARLEY_OK) {
        char reason[PARLEY_ERROR_MESSAGE_SIZE];
        snprintf(reason, sizeof reason, "%s", err->message);
        return parley_error_set(err, st, "invalid_config", "--default-strategies: %s", reason);
    }
    st = parley_origin_policy_init(&srv->origins, cfg->allowed_origins, err);
    if (st == PARLEY_OK) {
        st = parley_limits_init(&srv->limits, cfg, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    st = ensure_data_dir(cfg->data_dir, err);
    char db_url[1024];
    if (st == PARLEY_OK && !parley_config_database_url(cfg, db_url, sizeof db_url)) {
        st = parley_error_set(err, PARLEY_E_INVALID, "invalid_config", "--database: too long");
    }
    if (st == PARLEY_OK) {
        st = parley_storage_migrate(db_url, err);
    }
    if (st != PARLEY_OK) {
        return st;
    }
    st = parley_trusted_proxies_parse(cfg->trusted_proxies, &srv->trusted_proxies, err);
    if (st != PARLEY_OK) {
        return st;
    }
    st = listen_on(srv, &srv->listener, "--listen", cfg->listen, srv->host, sizeof srv->host,
                   &srv->port, err);
    if (st != PARLEY_OK) {
        return st;
    }
    char metrics_host[256] = "";
    if (cfg->metrics_listen != NULL && cfg->metrics_listen[0] != '\0') {
        st = listen_on(srv, &srv->metrics_listener, "--metrics-listen", cfg->metrics_listen,
                       metrics_host, sizeof metrics_host, &srv->metrics_port, err);
        if (st != PARLEY_OK) {
            uv_close((uv_handle_t *)&srv->listener, NULL);
            return st;
        }
        srv->has_metrics_listener = true;
    }

    parley_executor_options options = {
        .database_url = db_url,
        .durable = strcmp(cfg->durability, "full") == 0,
        .concurrent_threads = (int)cfg->worker_threads,
        .batch_max = (int)cfg->batch_max,
        .strategies = strategies,
        .config = cfg,
        .limits = &srv->limits,
        .events = &srv->events,
    };
    st = parley_notify_service_init(&srv->notify, loop, &srv->hub, err);
    if (st == PARLEY_OK) {
        /* --redis: connects in the background; start never waits for it */
        st = parley_cluster_bus_open(cfg->redis, loop, &srv->hub, &srv->bus, err);
        if (st == PARLEY_OK && srv->hub.cluster) {
            srv->hub.relay_out = relay_typing;
            srv->hub.relay_out_ctx = srv->bus;
        }
        /* before the executor's threads: the core's listener is set here */
        if (st == PARLEY_OK && !parley_cluster_changes_init(&srv->cluster_changes, srv->bus, loop,
                                                            strategies, &srv->executor)) {
            st = parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
    }
    if (st == PARLEY_OK) {
        char public_url[512];
        snprintf(public_url, sizeof public_url, "http://%s:%d", srv->host, srv->port);
        st = parley_notify_service_add_email(
            &srv->notify, cfg, db_url, cfg->public_url != NULL ? cfg->public_url : public_url, err);
    }
    if (st == PARLEY_OK) {
        st = parley_notify_service_add_push(&srv->notify, cfg, db_url, err);
    }
    if (st == PARLEY_OK) {
        st = subscribe_events(srv, err);
    }
    if (st == PARLEY_OK) {
        st = parley_executor_start(loop, &options, &srv->executor, err);
    }
    if (st == PARLEY_OK) {
        st = parley_notify_service_start(&srv->notify, cfg, db_url, err);
    }
    if (st != PARLEY_OK) {
        parley_notify_service_close(&srv->notify);
        parley_cluster_changes_close(&srv->cluster_changes);
        if (srv->bus != NULL) {
            srv->bus->ops->close(srv->bus);
        }
        uv_close((uv_handle_t *)&srv->listener, NULL);
        if (srv->has_metrics_listener) {
            uv_close((uv_handle_t *)&srv->metrics_listener, NULL);
        }
        return st;
    }
    uv_check_init(loop, &srv->flush_check);
    srv->flush_check.data = srv;
    uv_check_start(&srv->flush_check, on_flush_check);
    uv_prepare_init(loop, &srv->flush_prepare);
    srv->flush_prepare.data = srv;
    uv_prepare_start(&srv->flush_prepare, on_flush_prepare);
    uv_timer_init(loop, &srv->shutdown_timer);
    srv->shutdown_timer.data = srv;
    /* first: the first answer comes before the first periodic tick */
    periodic_start(srv, &srv->leadership, leadership_run, leadership_done, 0,
                   PARLEY_LEADERSHIP_TICK_MS);
    periodic_start(srv, &srv->lifecycle, lifecycle_run, NULL, LIFECYCLE_TICK_MS, LIFECYCLE_TICK_MS);
    periodic_start(srv, &srv->search_index, search_index_run, NULL, SEARCH_INDEX_TICK_MS,
                   SEARCH_INDEX_TICK_MS);
    parley_retention_policy_from_config(cfg, &srv->retention.policy);
    snprintf(srv->retention.upload_root, sizeof srv->retention.upload_root, "%s/uploads",
             cfg->data_dir);
    uint64_t retention_ms = (uint64_t)cfg->retention_interval_s * 1000;
    periodic_start(srv, &srv->retention.periodic, retention_run, retention_done,
                   retention_ms < RETENTION_FIRST_MS ? retention_ms : RETENTION_FIRST_MS,
                   retention_ms);
    uv_signal_init(loop, &srv->sigterm);
    uv_signal_init(loop, &srv->sigint);
    srv->sigterm.data = srv;
    srv->sigint.data = srv;
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    parley_presence_watch_init(&srv->presence, srv);
    parley_seq_check_start(&srv->seq_check, &srv->hub, srv->bus, &srv->executor, loop,
                           cfg->seq_check_ms);
    if (!parley_cluster_presence_init(&srv->cluster_presence, srv->bus, &srv->presence, loop)) {
        parley_log_warn("cluster presence: out of memory; agents' sockets count per node");
    }
    parley_dispatcher_start(&srv->dispatcher, srv);

    char host_text[300];
    bool ipv6 = strchr(srv->host, ':') != NULL;
    snprintf(host_text, sizeof host_text, "%s%s%s", ipv6 ? "[" : "", srv->host, ipv6 ? "]" : "");
    printf("parleyd listening on http://%s:%d\n"
           "  agent console: http://%s:%d/console\n"
           "  demo page with the customer widget: http://%s:%d/demo\n",
           host_text, srv->port, host_text, srv->port, host_text, srv->port);
    if (srv->has_metrics_listener) {
        bool metrics_ipv6 = strchr(metrics_host, ':') != NULL;
        printf("  metrics (only): http://%s%s%s:%d/metrics\n", metrics_ipv6 ? "[" : "",
               metrics_host, metrics_ipv6 ? "]" : "", srv->metrics_port);
    }
    fflush(stdout);
    /* the banner above is for people; this line is for log collectors */
    char address[340];
    snprintf(address, sizeof address, "http://%s:%d", host_text, srv->port);
    const parley_log_field started[] = {
        PARLEY_LOG_STR("address", address),
        PARLEY_LOG_STR("version", PARLEY_VERSION),
        PARLEY_LOG_INT("worker_threads", cfg->worker_threads),
        PARLEY_LOG_STR("durability", cfg->durability),
    };
    parley_log_fields(PARLEY_LOG_INFO, "started", started, sizeof started / sizeof started[0]);
    return PARLEY_OK;
}

void parley_server_free(parley_server *srv) {
    parley_origin_policy_free(&srv->origins);
    parley_trusted_proxies_free(&srv->trusted_proxies);
    parley_limits_free(&srv->limits);
    parley_executor_free(srv->executor);
    srv->executor = NULL;
    parley_hub_free(&srv->hub);
    if (srv->bus != NULL) {
        srv->bus->ops->free(srv->bus);
        srv->bus = NULL;
    }
    parley_chain_cache_free(&srv->chains);
    parley_presence_watch_free(&srv->presence);
    parley_cluster_presence_free(&srv->cluster_presence);
    parley_seq_check_free(&srv->seq_check);
    parley_notify_service_free(&srv->notify);
}

#include "net/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "net/bot_jobs.h"
#include "core/ids.h"
#include "net/conn.h"
#include "net/websocket.h"
#include "storage/backend.h"

static void publish(void *ctx, const parley_event *event) {
    parley_server *srv = ctx;
    if (event->type == PARLEY_EVENT_BOT_TURN) {
        /* committed: the bot answers in a unit of its own */
        parley_bot_jobs_submit(srv->executor, event);
        return;
    }
    if (event->type == PARLEY_EVENT_MESSAGE_CREATED) {
        srv->metrics.messages_created++;
    }
    parley_hub_publish(&srv->hub, event);
    /* a session queued or an agent freed: route again (net/dispatcher.h) */
    if (parley_dispatcher_wants(event)) {
        parley_dispatcher_request(&srv->dispatcher);
    }
}

static void on_connection(uv_stream_t *listener, int status) {
    parley_server *srv = listener->data;
    if (status == 0) {
        parley_conn_accept(srv);
    }
}

static void on_flush_check(uv_check_t *check) {
    parley_ws_flush_all(check->data);
}

/* Frames queued by timers (pings) must go out before the loop sleeps. */
static void on_flush_prepare(uv_prepare_t *prepare) {
    parley_ws_flush_all(prepare->data);
}

/* Runs on the writer: one unit that scans and closes idle sessions. */
static void lifecycle_run(parley_job *job, parley_facade *facade) {
    parley_error err = {0};
    size_t closed = 0;
    job->status = parley_facade_close_idle_sessions(facade, parley_now_ms(), &closed, &err);
    if (job->status != PARLEY_OK) {
        fprintf(stderr, "parleyd: auto-close: %s\n", err.message);
    }
}

/* Runs on the writer: one unit that indexes the messages stored since the
 * last run, in one large batch (cheap per message, unlike a trigger per
 * insert inside every group commit). */
static void search_index_run(parley_job *job, parley_facade *facade) {
    parley_error err = {0};
    int64_t indexed = 0;
    job->status = parley_facade_index_messages(facade, &indexed, &err);
    if (job->status != PARLEY_OK) {
        fprintf(stderr, "parleyd: search index: %s\n", err.message);
    }
}

#define LIFECYCLE_TICK_MS 1000
#define SEARCH_INDEX_TICK_MS 250

/* On the loop after commit (events already published): the next tick may
 * submit again. */
static void periodic_done(parley_job *job) {
    ((parley_periodic_job *)job)->in_flight = false;
}

static void on_periodic_tick(uv_timer_t *timer) {
    parley_periodic_job *p = timer->data;
    if (p->in_flight || p->srv->shutting_down) {
        return;
    }
    memset(&p->job, 0, sizeof p->job);
    p->job.kind = PARLEY_JOB_BATCHED;
    p->job.run = p->run;
    p->job.done = periodic_done;
    p->in_flight = parley_executor_submit(p->srv->executor, &p->job) == PARLEY_OK;
}

static void periodic_start(parley_server *srv, parley_periodic_job *p, parley_job_run_fn run,
                           uint64_t every_ms) {
    p->srv = srv;
    p->run = run;
    p->in_flight = false;
    uv_timer_init(srv->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, on_periodic_tick, every_ms, every_ms);
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
    for (parley_conn *c = srv->conns; c != NULL; c = c->next) {
        parley_conn_close(c);
    }
    parley_ws_flush_all(srv);
    uv_close((uv_handle_t *)&srv->shutdown_timer, on_handle_closed);
    parley_periodic_job *periodic[] = {&srv->lifecycle, &srv->search_index};
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
        busy = c->busy && c->ws == NULL && !c->closing;
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
    fprintf(stderr, "parleyd: shutting down\n");
    parley_dispatcher_stop(&srv->dispatcher);
    uv_close((uv_handle_t *)&srv->listener, on_handle_closed);
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
    parley_hub_init(&srv->hub);
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
    int port = 0;
    if (!parley_config_listen_address(cfg, srv->host, sizeof srv->host, &port)) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config", "bad --listen address");
    }
    struct sockaddr_storage addr;
    if (uv_ip4_addr(srv->host, port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(srv->host, port, (struct sockaddr_in6 *)&addr) != 0) {
        return parley_error_set(err, PARLEY_E_INVALID, "invalid_config",
                                "--listen: %s is not an IP address", srv->host);
    }
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    int rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&srv->listener, 1024, on_connection);
    }
    if (rc != 0) {
        uv_close((uv_handle_t *)&srv->listener, NULL);
        return parley_error_set(err, PARLEY_E_UNAVAILABLE, "unavailable", "cannot listen on %s: %s",
                                cfg->listen, uv_strerror(rc));
    }
    struct sockaddr_storage bound;
    int bound_len = sizeof bound;
    uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &bound_len);
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);

    parley_executor_options options = {
        .database_url = db_url,
        .durable = strcmp(cfg->durability, "full") == 0,
        .concurrent_threads = (int)cfg->worker_threads,
        .batch_max = (int)cfg->batch_max,
        .strategies = strategies,
        .config = cfg,
        .limits = &srv->limits,
        .publish = publish,
        .publish_ctx = srv,
    };
    st = parley_executor_start(loop, &options, &srv->executor, err);
    if (st != PARLEY_OK) {
        uv_close((uv_handle_t *)&srv->listener, NULL);
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
    periodic_start(srv, &srv->lifecycle, lifecycle_run, LIFECYCLE_TICK_MS);
    periodic_start(srv, &srv->search_index, search_index_run, SEARCH_INDEX_TICK_MS);
    uv_signal_init(loop, &srv->sigterm);
    uv_signal_init(loop, &srv->sigint);
    srv->sigterm.data = srv;
    srv->sigint.data = srv;
    uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
    uv_signal_start(&srv->sigint, on_signal, SIGINT);
    parley_presence_watch_init(&srv->presence, srv);
    parley_dispatcher_start(&srv->dispatcher, srv);

    char host_text[300];
    bool ipv6 = strchr(srv->host, ':') != NULL;
    snprintf(host_text, sizeof host_text, "%s%s%s", ipv6 ? "[" : "", srv->host, ipv6 ? "]" : "");
    printf("parleyd listening on http://%s:%d\n"
           "  agent console: http://%s:%d/console\n"
           "  demo page with the customer widget: http://%s:%d/demo\n",
           host_text, srv->port, host_text, srv->port, host_text, srv->port);
    fflush(stdout);
    return PARLEY_OK;
}

void parley_server_free(parley_server *srv) {
    parley_origin_policy_free(&srv->origins);
    parley_limits_free(&srv->limits);
    parley_executor_free(srv->executor);
    srv->executor = NULL;
    parley_hub_free(&srv->hub);
    parley_chain_cache_free(&srv->chains);
    parley_presence_watch_free(&srv->presence);
}

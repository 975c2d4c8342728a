#include "net/desk/dispatcher.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/log.h"
#include "net/server.h"

#define TICK_MS 1000

/* another writer on the database held the routing lock: try again this
 * soon (its batch commits within milliseconds) */
#define BUSY_RETRY_MS 50

typedef struct dispatch_job {
    parley_job job;
    parley_dispatcher *d;
    bool busy; /* the run found another writer dispatching */
} dispatch_job;

static void dispatch_run(parley_job *job, parley_facade *facade) {
    parley_dispatch_result result;
    parley_error err = {0};
    job->status = parley_routing_dispatch(parley_facade_chat(facade), &result, &err);
    ((dispatch_job *)job)->busy = result.busy;
    if (job->status != PARLEY_OK && job->status != PARLEY_E_UNAVAILABLE) {
        parley_log_error("dispatch failed: %s", err.message);
    }
}

static void submit(parley_dispatcher *d);

static void on_retry(uv_timer_t *timer) {
    parley_dispatcher_request(timer->data);
}

static void dispatch_done(parley_job *job) {
    dispatch_job *dj = (dispatch_job *)job;
    parley_dispatcher *d = dj->d;
    bool busy = dj->busy;
    free(dj);
    d->in_flight = false;
    d->runs++;
    if (busy && !d->again && !d->stopped) {
        uv_timer_start(&d->retry, on_retry, BUSY_RETRY_MS, 0);
    }
    if (d->again && !d->stopped) {
        d->again = false;
        submit(d);
    }
}

static void submit(parley_dispatcher *d) {
    dispatch_job *dj = parley_job_new(sizeof *dj, PARLEY_JOB_BATCHED, dispatch_run, dispatch_done);
    if (dj == NULL) {
        return; /* the next tick tries again */
    }
    dj->d = d;
    d->in_flight = true;
    if (parley_executor_submit(d->server->executor, &dj->job) != PARLEY_OK) {
        free(dj);
        d->in_flight = false;
    }
}

void parley_dispatcher_request(parley_dispatcher *d) {
    if (d->stopped) {
        return;
    }
    if (d->in_flight) {
        d->again = true;
        return;
    }
    submit(d);
}

/* The periodic pass (re-queue deadlines that pass with no event, the
 * safety net) is the leader's; a follower still dispatches on its own
 * events, under the routing lock (core/routing.c). */
static void on_tick(uv_timer_t *timer) {
    parley_dispatcher *d = timer->data;
    if (d->server->leader) {
        parley_dispatcher_request(d);
    }
}

void parley_dispatcher_start(parley_dispatcher *d, struct parley_server *srv) {
    d->server = srv;
    uv_timer_init(srv->loop, &d->tick);
    d->tick.data = d;
    uv_timer_start(&d->tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_init(srv->loop, &d->retry);
    d->retry.data = d;
}

/* a session queued or an agent freed: route again */
static void on_event(void *ctx, const parley_event *event) {
    (void)event;
    parley_dispatcher *d = ctx;
    if (d->server != NULL) { /* started */
        parley_dispatcher_request(d);
    }
}

bool parley_dispatcher_subscribe(parley_dispatcher *d, parley_event_registry *reg) {
    return parley_event_subscribe_after_commit(reg,
                                               PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_CREATED) |
                                                   PARLEY_EVENT_BIT(PARLEY_EVENT_SESSION_UPDATED) |
                                                   PARLEY_EVENT_BIT(PARLEY_EVENT_PRESENCE_UPDATED) |
                                                   PARLEY_EVENT_BIT(PARLEY_EVENT_SETTINGS_UPDATED),
                                               on_event, d);
}

void parley_dispatcher_stop(parley_dispatcher *d) {
    d->stopped = true;
    uv_timer_stop(&d->tick);
    if (d->server != NULL) {
        uv_timer_stop(&d->retry);
    }
}

static void on_closed(uv_handle_t *handle) {
    (void)handle;
}

void parley_dispatcher_close(parley_dispatcher *d) {
    parley_dispatcher_stop(d);
    if (!uv_is_closing((uv_handle_t *)&d->tick)) {
        uv_close((uv_handle_t *)&d->tick, on_closed);
        uv_close((uv_handle_t *)&d->retry, on_closed);
    }
}

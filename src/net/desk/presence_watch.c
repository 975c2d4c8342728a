#include "net/desk/presence_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "net/server.h"

struct parley_presence_entry {
    char id[PARLEY_ID_SIZE];
    int connections;
    /* the grace ended while another node still counted sockets of the
     * agent: when those counts drop to none, the countdown runs again */
    bool deferred;
    uv_timer_t grace;
    parley_presence_watch *watch;
    UT_hash_handle hh;
};

void parley_presence_watch_init(parley_presence_watch *w, struct parley_server *srv) {
    memset(w, 0, sizeof *w);
    w->server = srv;
}

static parley_presence_entry *find(const parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = NULL;
    HASH_FIND_STR(w->agents, agent_id, e);
    return e;
}

static int remote_count(const parley_presence_watch *w, const char *agent_id) {
    return w->remote.count != NULL ? w->remote.count(w->remote.ctx, agent_id) : 0;
}

static void tell_remote(const parley_presence_watch *w) {
    if (w->remote.changed != NULL && !w->stopped) {
        w->remote.changed(w->remote.ctx);
    }
}

static parley_presence_entry *find_or_add(parley_presence_watch *w, const char *agent_id) {
    if (w->stopped || strlen(agent_id) >= PARLEY_ID_SIZE) {
        return NULL;
    }
    parley_presence_entry *e = find(w, agent_id);
    if (e == NULL) {
        e = calloc(1, sizeof *e);
        if (e == NULL) {
            return NULL; /* presence then simply never goes offline by itself */
        }
        snprintf(e->id, sizeof e->id, "%s", agent_id);
        e->watch = w;
        uv_timer_init(w->server->loop, &e->grace);
        e->grace.data = e;
        HASH_ADD_STR(w->agents, id, e);
    }
    return e;
}

void parley_presence_watch_connected(parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = find_or_add(w, agent_id);
    if (e == NULL) {
        return;
    }
    e->connections++;
    e->deferred = false;
    uv_timer_stop(&e->grace); /* back within the grace period */
    tell_remote(w);
}

/* --- the offline job (writer) --------------------------------------------- */

typedef struct offline_job {
    parley_job job;
    char agent_id[PARLEY_ID_SIZE];
} offline_job;

static void offline_run(parley_job *job, parley_facade *facade) {
    offline_job *oj = (offline_job *)job;
    parley_error err = {0};
    job->status = parley_presence_disconnected(parley_facade_chat(facade), oj->agent_id, &err);
}

static void offline_done(parley_job *job) {
    free(job);
}

static void on_grace_over(uv_timer_t *timer) {
    parley_presence_entry *e = timer->data;
    if (e->connections > 0 || e->watch->stopped) {
        return; /* back here */
    }
    if (remote_count(e->watch, e->id) > 0) {
        e->deferred = true; /* still connected to another node */
        return;
    }
    offline_job *oj = parley_job_new(sizeof *oj, PARLEY_JOB_BATCHED, offline_run, offline_done);
    if (oj == NULL) {
        return;
    }
    snprintf(oj->agent_id, sizeof oj->agent_id, "%s", e->id);
    if (parley_executor_submit(e->watch->server->executor, &oj->job) != PARLEY_OK) {
        free(oj);
    }
}

/* --- the grace lookup (pool) ---------------------------------------------- */

typedef struct grace_job {
    parley_job job;
    parley_presence_entry *entry; /* entries live as long as the watch */
    int64_t grace_ms;
} grace_job;

static void grace_run(parley_job *job, parley_facade *facade) {
    grace_job *gj = (grace_job *)job;
    gj->grace_ms = parley_presence_grace_ms(parley_facade_chat(facade));
    job->status = PARLEY_OK;
}

static void grace_done(parley_job *job) {
    grace_job *gj = (grace_job *)job;
    parley_presence_entry *e = gj->entry;
    /* still gone: start the countdown (a reconnect stops it) */
    if (e->connections == 0 && !e->watch->stopped) {
        uv_timer_start(&e->grace, on_grace_over, (uint64_t)(gj->grace_ms > 0 ? gj->grace_ms : 0),
                       0);
    }
    free(gj);
}

static void start_grace(parley_presence_watch *w, parley_presence_entry *e) {
    grace_job *gj = parley_job_new(sizeof *gj, PARLEY_JOB_CONCURRENT, grace_run, grace_done);
    if (gj == NULL) {
        return;
    }
    gj->entry = e;
    if (parley_executor_submit(w->server->executor, &gj->job) != PARLEY_OK) {
        free(gj);
    }
}

void parley_presence_watch_disconnected(parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = find(w, agent_id);
    if (e == NULL || e->connections == 0) {
        return;
    }
    --e->connections;
    tell_remote(w);
    if (e->connections > 0 || w->stopped) {
        return;
    }
    start_grace(w, e);
}

void parley_presence_watch_orphaned(parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = find_or_add(w, agent_id);
    if (e != NULL && e->connections == 0 && remote_count(w, agent_id) == 0) {
        start_grace(w, e);
    }
}

void parley_presence_watch_remote_dropped(parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = find(w, agent_id);
    if (e != NULL && e->deferred && e->connections == 0 && !w->stopped &&
        remote_count(w, agent_id) == 0) {
        e->deferred = false;
        start_grace(w, e);
    }
}

void parley_presence_watch_each(parley_presence_watch *w,
                                void (*fn)(void *ctx, const char *agent_id, int count), void *ctx) {
    parley_presence_entry *e, *tmp;
    HASH_ITER(hh, w->agents, e, tmp) {
        if (e->connections > 0) {
            fn(ctx, e->id, e->connections);
        }
    }
}

int parley_presence_watch_count(const parley_presence_watch *w, const char *agent_id) {
    parley_presence_entry *e = find(w, agent_id);
    return e != NULL ? e->connections : 0;
}

static void on_closed(uv_handle_t *handle) {
    (void)handle;
}

void parley_presence_watch_close(parley_presence_watch *w) {
    w->stopped = true;
    parley_presence_entry *e, *tmp;
    HASH_ITER(hh, w->agents, e, tmp) {
        uv_timer_stop(&e->grace);
        if (!uv_is_closing((uv_handle_t *)&e->grace)) {
            uv_close((uv_handle_t *)&e->grace, on_closed);
        }
    }
}

void parley_presence_watch_free(parley_presence_watch *w) {
    parley_presence_entry *e, *tmp;
    HASH_ITER(hh, w->agents, e, tmp) {
        HASH_DEL(w->agents, e);
        free(e);
    }
}

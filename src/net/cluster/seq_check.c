/*
 * seq_check.c - the periodic last_seq check (seq_check.h).
 */
#include "net/cluster/seq_check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/chat_facade.h"
#include "core/repository.h"
#include "net/ws/hub.h"
#include "util/log.h"

struct parley_seq_seen {
    char id[PARLEY_ID_SIZE];
    int64_t last_seq;
    unsigned round;
    UT_hash_handle hh;
};

typedef struct check_job {
    parley_job job;
    parley_seq_check *sc; /* lives as long as the server */
    char *ids_json;
    parley_session_list sessions;
} check_job;

static void check_run(parley_job *job, parley_facade *facade) {
    check_job *cj = (check_job *)job;
    parley_repository *repo = parley_facade_repository(facade);
    parley_error err = {0};
    job->status = repo->sessions->list_by_ids(repo, cj->ids_json, &cj->sessions, &err);
    if (job->status != PARLEY_OK) {
        parley_log_warn("cluster seq check: %s", err.message);
    }
}

static void remember(parley_seq_check *sc, const char *id, int64_t last_seq) {
    parley_seq_seen *s = NULL;
    HASH_FIND_STR(sc->seen, id, s);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL) {
            return;
        }
        snprintf(s->id, sizeof s->id, "%s", id);
        HASH_ADD_STR(sc->seen, id, s);
    }
    s->last_seq = last_seq;
    s->round = sc->round;
}

static void check_done(parley_job *job) {
    check_job *cj = (check_job *)job;
    parley_seq_check *sc = cj->sc;
    sc->in_flight = false;
    if (job->status == PARLEY_OK && sc->active) {
        sc->round++;
        for (size_t i = 0; i < cj->sessions.count; i++) {
            const parley_session *s = &cj->sessions.items[i];
            parley_seq_seen *prev = NULL;
            HASH_FIND_STR(sc->seen, s->id, prev);
            /* behind what was committed a whole round ago: Redis did not
             * bring it (a node died between commit and publish) */
            if (prev != NULL) {
                size_t n = parley_hub_catch_up(sc->hub, s->id, prev->last_seq);
                if (n > 0) {
                    parley_log_info("cluster seq check: session %s: %zu subscription(s) behind "
                                    "seq %lld; catching up from the database",
                                    s->id, n, (long long)prev->last_seq);
                    sc->catch_ups += n;
                }
            }
            remember(sc, s->id, s->last_seq);
        }
        parley_seq_seen *e, *tmp;
        HASH_ITER(hh, sc->seen, e, tmp) {
            if (e->round != sc->round) { /* no subscription here any more */
                HASH_DEL(sc->seen, e);
                free(e);
            }
        }
    }
    parley_session_list_free(&cj->sessions);
    free(cj->ids_json);
    free(cj);
}

static void add_id(void *ctx, const char *session_id) {
    json_t *ids = ctx;
    if (json_array_size(ids) < PARLEY_SEQ_CHECK_MAX_SESSIONS) {
        json_array_append_new(ids, json_string(session_id));
    }
}

static void on_tick(uv_timer_t *timer) {
    parley_seq_check *sc = timer->data;
    if (sc->in_flight || *sc->executor == NULL || !sc->bus->ops->connected(sc->bus)) {
        return;
    }
    json_t *ids = json_array();
    if (ids == NULL) {
        return;
    }
    parley_hub_each_session(sc->hub, add_id, ids);
    char *text = json_array_size(ids) > 0 ? json_dumps(ids, JSON_COMPACT) : NULL;
    json_decref(ids);
    if (text == NULL) {
        return; /* no subscriptions here (or out of memory) */
    }
    check_job *cj = parley_job_new(sizeof *cj, PARLEY_JOB_CONCURRENT, check_run, check_done);
    if (cj == NULL) {
        free(text);
        return;
    }
    cj->sc = sc;
    cj->ids_json = text;
    if (parley_executor_submit(*sc->executor, &cj->job) != PARLEY_OK) {
        free(text);
        free(cj);
        return;
    }
    sc->in_flight = true;
    sc->rounds++;
}

void parley_seq_check_start(parley_seq_check *sc, parley_hub *hub, parley_cluster_bus *bus,
                            parley_executor **executor, uv_loop_t *loop, int64_t every_ms) {
    memset(sc, 0, sizeof *sc);
    sc->hub = hub;
    sc->bus = bus;
    sc->executor = executor;
    if (every_ms <= 0 || strcmp(bus->ops->name, "local") == 0) {
        return;
    }
    uv_timer_init(loop, &sc->timer);
    sc->timer.data = sc;
    uv_timer_start(&sc->timer, on_tick, (uint64_t)every_ms, (uint64_t)every_ms);
    sc->active = true;
}

void parley_seq_check_close(parley_seq_check *sc) {
    if (sc->active) {
        sc->active = false;
        uv_timer_stop(&sc->timer);
        uv_close((uv_handle_t *)&sc->timer, NULL);
    }
}

void parley_seq_check_free(parley_seq_check *sc) {
    parley_seq_seen *e, *tmp;
    HASH_ITER(hh, sc->seen, e, tmp) {
        HASH_DEL(sc->seen, e);
        free(e);
    }
}

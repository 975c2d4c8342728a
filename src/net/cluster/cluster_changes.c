/*
 * cluster_changes.c - change notices between nodes (cluster_changes.h).
 */
#include "net/cluster/cluster_changes.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/copies.h"
#include "core/chat_facade.h"
#include "core/knowledge_base.h"
#include "core/repository.h"
#include "strategies/builtin.h"
#include "strategies/profanity.h"
#include "net/cluster/share_codec.h"
#include "util/log.h"

static const parley_copy ALL_COPIES[] = {PARLEY_COPY_KB, PARLEY_COPY_ALLOWLIST};

/* Any thread (the writer, after its commit). */
static void on_copy_changed(void *ctx, parley_copy what) {
    parley_cluster_changes *cc = ctx;
    atomic_fetch_or(&cc->pending, (unsigned)what);
    uv_async_send(&cc->async);
}

static void on_async(uv_async_t *async) {
    parley_cluster_changes *cc = async->data;
    unsigned bits = atomic_exchange(&cc->pending, 0u);
    for (size_t i = 0; i < sizeof ALL_COPIES / sizeof ALL_COPIES[0]; i++) {
        if ((bits & (unsigned)ALL_COPIES[i]) == 0) {
            continue;
        }
        char *text = parley_cluster_changed_encode(cc->bus->node_id, ALL_COPIES[i]);
        if (text != NULL) {
            cc->bus->ops->send(cc->bus, PARLEY_CLUSTER_CHANGED_CHANNEL, text);
            cc->sent++;
            free(text);
        }
    }
}

/* --- the allowlist's reload (a pool job) ------------------------------------ */

typedef struct reload_job {
    parley_job job;
    void *profanity; /* the strategy's shared state (lives as long as the process) */
} reload_job;

static void add_word(void *ctx, const char *word) {
    json_array_append_new(ctx, json_string(word));
}

static bool listed(const json_t *words, const char *word) {
    size_t i;
    const json_t *w;
    json_array_foreach(words, i, w) {
        if (strcmp(json_string_value(w), word) == 0) {
            return true;
        }
    }
    return false;
}

static void reload_run(parley_job *job, parley_facade *facade) {
    reload_job *rj = (reload_job *)job;
    parley_repository *repo = parley_facade_repository(facade);
    parley_error err = {0};
    json_t *stored = json_array();
    job->status = stored != NULL
                      ? repo->strategy_stores->allowlist_load(repo, add_word, stored, &err)
                      : PARLEY_E_NOMEM;
    json_t *live = job->status == PARLEY_OK ? parley_profanity_allowlist(rj->profanity) : NULL;
    if (live != NULL) {
        size_t i;
        const json_t *w;
        json_array_foreach(stored, i, w) { /* adding one already there is OK */
            (void)parley_profanity_allow(rj->profanity, json_string_value(w), &err);
        }
        json_array_foreach(live, i, w) {
            const char *word = json_string_value(w);
            char as_stored[256];
            bool built_in = false;
            if (!listed(stored, word) &&
                parley_profanity_allowlist_find(rj->profanity, word, as_stored, sizeof as_stored,
                                                &built_in, &err) == PARLEY_OK &&
                !built_in) {
                (void)parley_profanity_disallow(rj->profanity, word, &err);
            }
        }
    } else {
        parley_log_warn("cluster changes: the allowlist was not reloaded: %s",
                        err.message[0] != '\0' ? err.message : "out of memory");
    }
    json_decref(live);
    json_decref(stored);
}

static void reload_done(parley_job *job) {
    free(job);
}

static void mark_stale(parley_cluster_changes *cc, parley_copy what) {
    if (what == PARLEY_COPY_KB) {
        parley_kb_stale();
        return;
    }
    void *profanity = parley_builtin_profanity(cc->strategies);
    if (what != PARLEY_COPY_ALLOWLIST || profanity == NULL || *cc->executor == NULL) {
        return;
    }
    reload_job *rj = parley_job_new(sizeof *rj, PARLEY_JOB_CONCURRENT, reload_run, reload_done);
    if (rj != NULL) {
        rj->profanity = profanity;
        if (parley_executor_submit(*cc->executor, &rj->job) != PARLEY_OK) {
            free(rj);
        }
    }
}

static void on_message(void *ctx, const char *data, size_t len) {
    parley_cluster_changes *cc = ctx;
    char node[PARLEY_CLUSTER_NODE_SIZE];
    parley_copy what;
    if (!parley_cluster_changed_decode(data, len, node, &what) ||
        strcmp(node, cc->bus->node_id) == 0) {
        return; /* not one, or ours (our copy is fresh) */
    }
    mark_stale(cc, what);
    cc->applied++;
}

static void on_subscribed(void *ctx) {
    /* notices sent while we were not listening are lost: assume the worst */
    for (size_t i = 0; i < sizeof ALL_COPIES / sizeof ALL_COPIES[0]; i++) {
        mark_stale(ctx, ALL_COPIES[i]);
    }
}

bool parley_cluster_changes_init(parley_cluster_changes *cc, parley_cluster_bus *bus,
                                 uv_loop_t *loop, const parley_strategy_registry *strategies,
                                 parley_executor **executor) {
    memset(cc, 0, sizeof *cc);
    cc->bus = bus;
    cc->strategies = strategies;
    cc->executor = executor;
    if (strcmp(bus->ops->name, "local") == 0) {
        return true;
    }
    parley_cluster_topic topic = {.channel = PARLEY_CLUSTER_CHANGED_CHANNEL,
                                  .on_message = on_message,
                                  .on_subscribed = on_subscribed,
                                  .ctx = cc};
    if (!parley_cluster_bus_listen(bus, &topic) || uv_async_init(loop, &cc->async, on_async) != 0) {
        return false;
    }
    cc->async.data = cc;
    cc->active = true;
    parley_copies_set_listener(on_copy_changed, cc);
    return true;
}

void parley_cluster_changes_close(parley_cluster_changes *cc) {
    if (!cc->active) {
        return;
    }
    parley_copies_set_listener(NULL, NULL);
    cc->active = false;
    uv_close((uv_handle_t *)&cc->async, NULL);
}

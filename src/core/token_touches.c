/* Token touches noted in memory, written by the writer (core/token_touches.h). */
#include "core/token_touches.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* uthash must not exit() the server when it cannot grow its table: the
 * failed insert is flagged and note() refuses. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) ((elt)->add_failed = true)
#include <uthash.h>

typedef struct touch {
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
    parley_time_ms at;      /* the newest use noted */
    parley_time_ms written; /* what the writer's open transaction wrote (0: none) */
    bool add_failed;
    UT_hash_handle hh;
} touch;

struct parley_token_touches {
    pthread_mutex_t lock;
    touch *by_hash;
    size_t count;
};

parley_token_touches *parley_token_touches_new(void) {
    parley_token_touches *t = calloc(1, sizeof *t);
    if (t != NULL) {
        pthread_mutex_init(&t->lock, NULL);
    }
    return t;
}

void parley_token_touches_free(parley_token_touches *t) {
    if (t == NULL) {
        return;
    }
    touch *e, *tmp;
    HASH_ITER(hh, t->by_hash, e, tmp) {
        HASH_DEL(t->by_hash, e);
        free(e);
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

bool parley_token_touches_note(parley_token_touches *t, const char *token_hash, parley_time_ms at) {
    bool noted = false;
    pthread_mutex_lock(&t->lock);
    touch *e = NULL;
    HASH_FIND_STR(t->by_hash, token_hash, e);
    if (e != NULL) {
        if (at > e->at) {
            e->at = at;
        }
        noted = true;
    } else if (t->count < PARLEY_TOKEN_TOUCHES_MAX && (e = calloc(1, sizeof *e)) != NULL) {
        snprintf(e->token_hash, sizeof e->token_hash, "%s", token_hash);
        e->at = at;
        HASH_ADD_STR(t->by_hash, token_hash, e);
        if (e->add_failed) {
            free(e);
        } else {
            t->count++;
            noted = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return noted;
}

parley_time_ms parley_token_touches_get(parley_token_touches *t, const char *token_hash) {
    pthread_mutex_lock(&t->lock);
    touch *e = NULL;
    HASH_FIND_STR(t->by_hash, token_hash, e);
    parley_time_ms at = e != NULL ? e->at : 0;
    pthread_mutex_unlock(&t->lock);
    return at;
}

size_t parley_token_touches_pending(parley_token_touches *t) {
    pthread_mutex_lock(&t->lock);
    size_t n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* One touch to write, copied out so that no lock is held while writing. */
typedef struct pending_touch {
    char token_hash[PARLEY_TOKEN_HASH_SIZE];
    parley_time_ms at;
} pending_touch;

/* Copies every noted touch and marks it as being written; NULL when none
 * or out of memory (the touches then wait for the next batch). */
static pending_touch *take_snapshot(parley_token_touches *t, size_t *count) {
    pthread_mutex_lock(&t->lock);
    pending_touch *all = t->count > 0 ? malloc(t->count * sizeof *all) : NULL;
    size_t n = 0;
    touch *e, *tmp;
    HASH_ITER(hh, t->by_hash, e, tmp) {
        if (all == NULL) {
            break;
        }
        memcpy(all[n].token_hash, e->token_hash, sizeof all[n].token_hash);
        all[n].at = e->at;
        e->written = e->at;
        n++;
    }
    pthread_mutex_unlock(&t->lock);
    *count = n;
    return all;
}

size_t parley_token_touches_write(parley_token_touches *t, parley_repository *repo) {
    size_t count = 0;
    pending_touch *all = take_snapshot(t, &count);
    parley_error err = {0};
    if (all == NULL || repo->ops->savepoint(repo, &err) != PARLEY_OK) {
        free(all);
        parley_token_touches_rolled_back(t);
        return 0;
    }
    /* no lock held here: authentication notes and reads meanwhile */
    bool failed = false;
    for (size_t i = 0; i < count && !failed; i++) {
        parley_error ignored = {0};
        parley_status st =
            repo->accounts->token_touch(repo, all[i].token_hash, all[i].at, &ignored);
        /* not found: the token is gone (revoked, purged), nothing to keep */
        failed = st != PARLEY_OK && st != PARLEY_E_NOT_FOUND;
    }
    free(all);
    if (failed || repo->ops->release(repo, &err) != PARLEY_OK) {
        /* the touches are undone, the batch goes on; they wait for the next */
        (void)repo->ops->rollback_to(repo, &err);
        parley_token_touches_rolled_back(t);
        return 0;
    }
    return count;
}

void parley_token_touches_rolled_back(parley_token_touches *t) {
    pthread_mutex_lock(&t->lock);
    touch *e, *tmp;
    HASH_ITER(hh, t->by_hash, e, tmp) {
        e->written = 0;
    }
    pthread_mutex_unlock(&t->lock);
}

void parley_token_touches_committed(parley_token_touches *t) {
    pthread_mutex_lock(&t->lock);
    touch *e, *tmp;
    HASH_ITER(hh, t->by_hash, e, tmp) {
        if (e->written != 0 && e->written >= e->at) {
            HASH_DEL(t->by_hash, e);
            free(e);
            t->count--;
        } else {
            e->written = 0;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

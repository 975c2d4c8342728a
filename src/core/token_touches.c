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

size_t parley_token_touches_write(parley_token_touches *t, parley_repository *repo) {
    parley_error err = {0};
    if (parley_token_touches_pending(t) == 0 || repo->ops->savepoint(repo, &err) != PARLEY_OK) {
        return 0;
    }
    size_t written = 0;
    bool failed = false;
    /* the lock is held across the writes: note() from a pool thread waits
     * a few microseconds per touch at most (one UPDATE by primary key) */
    pthread_mutex_lock(&t->lock);
    touch *e, *tmp;
    HASH_ITER(hh, t->by_hash, e, tmp) {
        parley_error ignored = {0};
        parley_status st = repo->accounts->token_touch(repo, e->token_hash, e->at, &ignored);
        if (st == PARLEY_OK || st == PARLEY_E_NOT_FOUND) {
            e->written = e->at; /* not found: the token is gone, nothing to keep */
            written++;
        } else {
            failed = true;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (failed || repo->ops->release(repo, &err) != PARLEY_OK) {
        /* the touches are undone, the batch goes on; they wait for the next */
        (void)repo->ops->rollback_to(repo, &err);
        parley_token_touches_rolled_back(t);
        return 0;
    }
    return written;
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

#include "core/after_commit.h"

#include <stdlib.h>

struct parley_after_commit_action {
    parley_after_commit_action *next;
    parley_after_commit_fn fn;
    void *ctx;
    void (*free_ctx)(void *ctx);
};

bool parley_after_commit_add(parley_after_commit *q, parley_after_commit_fn fn, void *ctx,
                             void (*free_ctx)(void *ctx)) {
    parley_after_commit_action *a = malloc(sizeof *a);
    if (a == NULL) {
        if (free_ctx != NULL) {
            free_ctx(ctx);
        }
        return false;
    }
    *a = (parley_after_commit_action){.fn = fn, .ctx = ctx, .free_ctx = free_ctx};
    if (q->tail != NULL) {
        q->tail->next = a;
    } else {
        q->head = a;
    }
    q->tail = a;
    return true;
}

void parley_after_commit_move(parley_after_commit *dst, parley_after_commit *src) {
    if (src->head == NULL) {
        return;
    }
    if (dst->tail != NULL) {
        dst->tail->next = src->head;
    } else {
        dst->head = src->head;
    }
    dst->tail = src->tail;
    src->head = src->tail = NULL;
}

static void drain(parley_after_commit *q, bool run) {
    parley_after_commit_action *a = q->head;
    q->head = q->tail = NULL;
    while (a != NULL) {
        parley_after_commit_action *next = a->next;
        if (run) {
            a->fn(a->ctx);
        }
        if (a->free_ctx != NULL) {
            a->free_ctx(a->ctx);
        }
        free(a);
        a = next;
    }
}

void parley_after_commit_run(parley_after_commit *q) {
    drain(q, true);
}

void parley_after_commit_discard(parley_after_commit *q) {
    drain(q, false);
}

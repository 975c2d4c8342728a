#include "core/after_commit.h"

#include <stdlib.h>

#include "util/queue.h"

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
    PARLEY_QUEUE_PUSH(q, a);
    return true;
}

void parley_after_commit_move(parley_after_commit *dst, parley_after_commit *src) {
    PARLEY_QUEUE_SPLICE(dst, src);
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

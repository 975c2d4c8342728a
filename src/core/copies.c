/*
 * copies.c - who hears of changed in-memory copies (copies.h).
 */
#include "core/copies.h"

#include <stddef.h>

static parley_copies_listener_fn listener; /* set before threads start */
static void *listener_ctx;

void parley_copies_set_listener(parley_copies_listener_fn fn, void *ctx) {
    listener = fn;
    listener_ctx = ctx;
}

void parley_copies_changed(parley_copy what) {
    if (listener != NULL) {
        listener(listener_ctx, what);
    }
}

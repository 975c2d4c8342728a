/* push_progress.c - see push_progress.h. A linear scan of at most
 * PARLEY_PUSH_PROGRESS_MAX slots per call: the worker calls it next to an
 * HTTPS request per subscription, which costs a thousand times more. */
#include "net/push_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The slot of delivery_id, or -1. */
static long find(const parley_push_progress *p, const char *delivery_id) {
    for (size_t i = 0; i < PARLEY_PUSH_PROGRESS_MAX; i++) {
        const parley_push_progress_entry *e = &p->entries[i];
        if (e->delivery_id[0] != '\0' && strcmp(e->delivery_id, delivery_id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static void release(parley_push_progress_entry *e) {
    free(e->taken);
    memset(e, 0, sizeof *e);
}

bool parley_push_progress_taken(const parley_push_progress *p, const char *delivery_id,
                                const char *subscription_id) {
    long slot = find(p, delivery_id);
    const parley_push_progress_entry *e = slot < 0 ? NULL : &p->entries[slot];
    for (size_t i = 0; e != NULL && i < e->count; i++) {
        if (strcmp(e->taken[i], subscription_id) == 0) {
            return true;
        }
    }
    return false;
}

bool parley_push_progress_note(parley_push_progress *p, const char *delivery_id,
                               const char *subscription_id) {
    if (strlen(delivery_id) >= PARLEY_ID_SIZE || strlen(subscription_id) >= PARLEY_ID_SIZE ||
        delivery_id[0] == '\0') {
        return false;
    }
    long slot = find(p, delivery_id);
    parley_push_progress_entry *e = slot < 0 ? NULL : &p->entries[slot];
    if (e == NULL) {
        /* a free slot, else the least recently touched one is forgotten */
        e = &p->entries[0];
        for (size_t i = 0; i < PARLEY_PUSH_PROGRESS_MAX && e->delivery_id[0] != '\0'; i++) {
            parley_push_progress_entry *c = &p->entries[i];
            if (c->delivery_id[0] == '\0' || c->stamp < e->stamp) {
                e = c;
            }
        }
        release(e);
        snprintf(e->delivery_id, sizeof e->delivery_id, "%s", delivery_id);
    }
    e->stamp = ++p->clock;
    for (size_t i = 0; i < e->count; i++) {
        if (strcmp(e->taken[i], subscription_id) == 0) {
            return true;
        }
    }
    char(*grown)[PARLEY_ID_SIZE] = realloc(e->taken, (e->count + 1) * sizeof *e->taken);
    if (grown == NULL) {
        return false;
    }
    e->taken = grown;
    snprintf(e->taken[e->count], sizeof e->taken[e->count], "%s", subscription_id);
    e->count++;
    return true;
}

void parley_push_progress_forget(parley_push_progress *p, const char *delivery_id) {
    long slot = find(p, delivery_id);
    if (slot >= 0) {
        release(&p->entries[slot]);
    }
}

size_t parley_push_progress_size(const parley_push_progress *p) {
    size_t n = 0;
    for (size_t i = 0; i < PARLEY_PUSH_PROGRESS_MAX; i++) {
        n += p->entries[i].delivery_id[0] != '\0';
    }
    return n;
}

void parley_push_progress_clear(parley_push_progress *p) {
    for (size_t i = 0; i < PARLEY_PUSH_PROGRESS_MAX; i++) {
        release(&p->entries[i]);
    }
    p->clock = 0;
}

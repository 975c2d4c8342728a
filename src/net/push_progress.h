/*
 * push_progress.h - which of a recipient's push subscriptions already took
 * a delivery, so that the worker's retry of that delivery posts only to
 * the ones that did not (net/notify_channel_push.c).
 *
 * A bounded memory, not a record: at most PARLEY_PUSH_PROGRESS_MAX
 * deliveries are remembered (the oldest forgotten first), and a restart
 * forgets all. A forgotten delivery's retry posts to every subscription
 * again, as before this existed; the push message's Topic header (the
 * notification's id) lets a push service replace a copy it still holds
 * rather than show it twice (RFC 8030 5.4). Forget a delivery once it is
 * sent or dead.
 *
 * Ownership: the push channel embeds one; parley_push_progress_clear frees
 * what it holds. Threads: the delivery worker's thread only.
 */
#ifndef PARLEY_PUSH_PROGRESS_H
#define PARLEY_PUSH_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ids.h"

#define PARLEY_PUSH_PROGRESS_MAX 256

typedef struct parley_push_progress_entry {
    char delivery_id[PARLEY_ID_SIZE]; /* "" = a free slot */
    char (*taken)[PARLEY_ID_SIZE];    /* subscription ids that took it */
    size_t count;
    unsigned long long stamp; /* when it was last touched (the clock below) */
} parley_push_progress_entry;

typedef struct parley_push_progress {
    parley_push_progress_entry entries[PARLEY_PUSH_PROGRESS_MAX];
    unsigned long long clock;
} parley_push_progress;

/* Did subscription_id already take delivery_id? */
bool parley_push_progress_taken(const parley_push_progress *p, const char *delivery_id,
                                const char *subscription_id);
/* Notes that subscription_id took delivery_id; false when out of memory
 * (nothing noted: a retry posts to it again). */
bool parley_push_progress_note(parley_push_progress *p, const char *delivery_id,
                               const char *subscription_id);
/* Forgets delivery_id (sent or dead). */
void parley_push_progress_forget(parley_push_progress *p, const char *delivery_id);
/* How many deliveries are remembered (for tests). */
size_t parley_push_progress_size(const parley_push_progress *p);
void parley_push_progress_clear(parley_push_progress *p);

#endif

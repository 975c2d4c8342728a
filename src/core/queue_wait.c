#include "core/queue_wait.h"

#include <pthread.h>
#include <stdlib.h>

struct parley_queue_wait {
    pthread_mutex_t lock;
    bool seeded;
    int count;  /* samples held, <= PARLEY_QUEUE_WAIT_SAMPLE */
    int oldest; /* ring index of the oldest sample */
    int64_t sum;
    int64_t samples[PARLEY_QUEUE_WAIT_SAMPLE];
};

parley_queue_wait *parley_queue_wait_new(void) {
    parley_queue_wait *w = calloc(1, sizeof *w);
    if (w != NULL && pthread_mutex_init(&w->lock, NULL) != 0) {
        free(w);
        w = NULL;
    }
    return w;
}

void parley_queue_wait_free(parley_queue_wait *w) {
    if (w != NULL) {
        pthread_mutex_destroy(&w->lock);
        free(w);
    }
}

void parley_queue_wait_add(parley_queue_wait *w, int64_t wait_ms) {
    if (wait_ms < 0) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    if (w->count < PARLEY_QUEUE_WAIT_SAMPLE) {
        w->samples[(w->oldest + w->count) % PARLEY_QUEUE_WAIT_SAMPLE] = wait_ms;
        w->count++;
    } else {
        w->sum -= w->samples[w->oldest];
        w->samples[w->oldest] = wait_ms;
        w->oldest = (w->oldest + 1) % PARLEY_QUEUE_WAIT_SAMPLE;
    }
    w->sum += wait_ms;
    pthread_mutex_unlock(&w->lock);
}

bool parley_queue_wait_seeded(parley_queue_wait *w) {
    pthread_mutex_lock(&w->lock);
    bool seeded = w->seeded;
    pthread_mutex_unlock(&w->lock);
    return seeded;
}

void parley_queue_wait_seed(parley_queue_wait *w, int64_t count, int64_t mean_ms) {
    pthread_mutex_lock(&w->lock);
    if (!w->seeded) {
        w->seeded = true;
        /* in front of the oldest: the first to be replaced */
        for (int64_t i = 0; i < count && mean_ms >= 0 && w->count < PARLEY_QUEUE_WAIT_SAMPLE; i++) {
            w->oldest = (w->oldest + PARLEY_QUEUE_WAIT_SAMPLE - 1) % PARLEY_QUEUE_WAIT_SAMPLE;
            w->samples[w->oldest] = mean_ms;
            w->sum += mean_ms;
            w->count++;
        }
    }
    pthread_mutex_unlock(&w->lock);
}

bool parley_queue_wait_mean(parley_queue_wait *w, int64_t *mean_ms) {
    pthread_mutex_lock(&w->lock);
    bool known = w->count > 0;
    *mean_ms = known ? w->sum / w->count : 0;
    pthread_mutex_unlock(&w->lock);
    return known;
}

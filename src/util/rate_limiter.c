#include "util/rate_limiter.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* uthash must not exit() the server when it cannot grow its table: the
 * failed insert is flagged on the bucket and the take fails closed. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) ((elt)->add_failed = true)
#include <uthash.h>

/* Tokens within this of a whole token count as one. Refills add fractions
 * that are not exact in binary (0.7 + 0.3 may land just under 1), and without
 * the slack a caller who waited exactly retry_after_ms could be refused. */
#define TOKEN_EPSILON 1e-9

/* Retry hints are capped far below INT64_MAX so callers can add them to a
 * timestamp without overflow (the cap is about 146 million years). */
#define RETRY_MAX_MS 4.6e15

/* Stored key: a tag byte then either the key itself or its digest. The tag
 * keeps the two spaces apart, so a short key equal to some digest's bytes
 * cannot share that long key's bucket. */
#define KEY_TAG_LITERAL 'L'
#define KEY_TAG_DIGEST 'D'
#define STORED_KEY_SIZE (1 + PARLEY_RATE_LIMIT_KEY_MAX)

typedef struct bucket {
    UT_hash_handle hh;
    struct bucket *lru_prev; /* towards the least recently used */
    struct bucket *lru_next; /* towards the most recently used */
    double tokens;           /* as of last_ms */
    int64_t last_ms;         /* latest now_ms seen for this key; never moves back */
    /* When the bucket will be full again (ms, same clock as now_ms). Only grows,
     * and only on an allowed take, which is what keeps heap_key a lower bound. */
    double full_at_ms;
    /* full_at_ms as it was when this bucket was last placed in the heap. Takes
     * do not touch the heap (keeping them O(1)); eviction repairs stale keys
     * lazily when they reach the top. */
    double heap_key;
    size_t heap_index;
    bool add_failed; /* set by uthash_nonfatal_oom */
    size_t key_len;
    unsigned char key[STORED_KEY_SIZE];
} bucket;

struct parley_rate_limiter {
    pthread_mutex_t mutex; /* guards everything below except count's reads */
    double per_second;     /* 0 when disabled */
    double burst;
    double ms_per_token;
    size_t max_keys;
    bucket *table;    /* uthash by stored key */
    bucket *lru_head; /* least recently used */
    bucket *lru_tail; /* most recently used */
    /* Min-heap on heap_key: its top is the bucket that became (or will
     * become) idle first, so "is any bucket idle?" is answered without a
     * scan. Grows by doubling up to max_keys. */
    bucket **heap;
    size_t heap_capacity;
    _Atomic size_t count; /* written under the mutex; read lock-free by _size */
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
};

/* ---- key handling ---- */

static size_t make_stored_key(const char *key, unsigned char out[STORED_KEY_SIZE]) {
    if (key == NULL) {
        key = "";
    }
    size_t len = strlen(key);
    if (len <= PARLEY_RATE_LIMIT_KEY_MAX) {
        out[0] = KEY_TAG_LITERAL;
        memcpy(out + 1, key, len);
        return 1 + len;
    }
    out[0] = KEY_TAG_DIGEST;
    crypto_generichash(out + 1, crypto_generichash_BYTES, (const unsigned char *)key, len, NULL, 0);
    return 1 + crypto_generichash_BYTES;
}

static unsigned hash_stored_key(const parley_rate_limiter *rl, const unsigned char *key,
                                size_t len) {
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key, len, rl->hash_key);
    unsigned v;
    memcpy(&v, h, sizeof v);
    return v;
}

/* ---- LRU list: head is the least recently used ---- */

static void lru_unlink(parley_rate_limiter *rl, bucket *b) {
    if (b->lru_prev != NULL) {
        b->lru_prev->lru_next = b->lru_next;
    } else {
        rl->lru_head = b->lru_next;
    }
    if (b->lru_next != NULL) {
        b->lru_next->lru_prev = b->lru_prev;
    } else {
        rl->lru_tail = b->lru_prev;
    }
    b->lru_prev = b->lru_next = NULL;
}

static void lru_append(parley_rate_limiter *rl, bucket *b) {
    b->lru_prev = rl->lru_tail;
    b->lru_next = NULL;
    if (rl->lru_tail != NULL) {
        rl->lru_tail->lru_next = b;
    } else {
        rl->lru_head = b;
    }
    rl->lru_tail = b;
}

static void lru_touch(parley_rate_limiter *rl, bucket *b) {
    if (rl->lru_tail != b) {
        lru_unlink(rl, b);
        lru_append(rl, b);
    }
}

/* ---- min-heap on heap_key ---- */

static void heap_set(parley_rate_limiter *rl, size_t i, bucket *b) {
    rl->heap[i] = b;
    b->heap_index = i;
}

static void heap_sift_up(parley_rate_limiter *rl, size_t i) {
    bucket *b = rl->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (rl->heap[parent]->heap_key <= b->heap_key) {
            break;
        }
        heap_set(rl, i, rl->heap[parent]);
        i = parent;
    }
    heap_set(rl, i, b);
}

static void heap_sift_down(parley_rate_limiter *rl, size_t i) {
    size_t n = atomic_load_explicit(&rl->count, memory_order_relaxed);
    bucket *b = rl->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && rl->heap[child + 1]->heap_key < rl->heap[child]->heap_key) {
            child++;
        }
        if (b->heap_key <= rl->heap[child]->heap_key) {
            break;
        }
        heap_set(rl, i, rl->heap[child]);
        i = child;
    }
    heap_set(rl, i, b);
}

/* Removes b from every structure; the caller frees or reuses it. */
static void bucket_detach(parley_rate_limiter *rl, bucket *b) {
    HASH_DELETE(hh, rl->table, b);
    lru_unlink(rl, b);
    size_t last = atomic_load_explicit(&rl->count, memory_order_relaxed) - 1;
    size_t i = b->heap_index;
    atomic_store_explicit(&rl->count, last, memory_order_relaxed);
    if (i != last) {
        /* the last element fills the hole, then moves whichever way it must */
        bucket *moved = rl->heap[last];
        heap_set(rl, i, moved);
        heap_sift_up(rl, i);
        heap_sift_down(rl, moved->heap_index);
    }
}

/* The bucket to give up for a new key at a full limiter: one that is
 * already full again if any, else the least recently used. heap_key never
 * exceeds full_at_ms, so a top with heap_key > now proves nobody is idle;
 * a stale top is re-keyed and sifted down, at most once per allowed take. */
static bucket *pick_victim(parley_rate_limiter *rl, int64_t now_ms) {
    double now = (double)now_ms;
    while (rl->heap[0]->heap_key <= now) {
        bucket *top = rl->heap[0];
        if (top->heap_key == top->full_at_ms) {
            return top;
        }
        top->heap_key = top->full_at_ms;
        heap_sift_down(rl, 0);
    }
    return rl->lru_head;
}

/* ---- token arithmetic ---- */

static void refill(const parley_rate_limiter *rl, bucket *b, int64_t now_ms) {
    if (now_ms <= b->last_ms) {
        return; /* same instant, or the clock went backwards: no new tokens */
    }
    /* unsigned difference: exact and free of signed overflow for any pair */
    uint64_t elapsed = (uint64_t)now_ms - (uint64_t)b->last_ms;
    b->last_ms = now_ms;
    if (b->tokens >= rl->burst) {
        return;
    }
    /* Always from the stored fraction, never rounded to whole tokens, so
     * nothing is lost between calls however often they come. */
    double tokens = b->tokens + (double)elapsed * rl->per_second / 1000.0;
    b->tokens = tokens < rl->burst ? tokens : rl->burst;
}

static int64_t retry_after(const parley_rate_limiter *rl, const bucket *b, int64_t now_ms) {
    double wait = (1.0 - b->tokens) * rl->ms_per_token;
    /* discount rounding noise so an exact 300 ms does not become 301 */
    wait = ceil(wait - 1e-6);
    if (now_ms < b->last_ms) {
        /* the bucket's time is ahead of the caller's clock */
        wait += (double)b->last_ms - (double)now_ms;
    }
    if (!(wait >= 1.0)) {
        return 1;
    }
    if (wait > RETRY_MAX_MS) {
        return (int64_t)RETRY_MAX_MS;
    }
    return (int64_t)wait;
}

/* ---- public API ---- */

parley_rate_limiter *parley_rate_limiter_create(parley_rate_limit limit, size_t max_keys) {
    parley_rate_limiter *rl = calloc(1, sizeof *rl);
    if (rl == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&rl->mutex, NULL) != 0) {
        free(rl);
        return NULL;
    }
    /* NaN fails both tests below, so it disables rather than poisons */
    bool enabled = limit.per_second > 0 && isfinite(limit.per_second);
    rl->per_second = enabled ? limit.per_second : 0;
    rl->burst = isfinite(limit.burst) && limit.burst >= 1 ? limit.burst : 1;
    rl->ms_per_token = enabled ? 1000.0 / limit.per_second : 0;
    rl->max_keys = max_keys > 0 ? max_keys : 1;
    atomic_init(&rl->count, 0);
    randombytes_buf(rl->hash_key, sizeof rl->hash_key);
    return rl;
}

void parley_rate_limiter_free(parley_rate_limiter *rl) {
    if (rl == NULL) {
        return;
    }
    bucket *b, *tmp;
    HASH_ITER(hh, rl->table, b, tmp) {
        HASH_DELETE(hh, rl->table, b);
        free(b);
    }
    free(rl->heap);
    pthread_mutex_destroy(&rl->mutex);
    free(rl);
}

/* A bucket for a key not yet in the table, holding a full burst; NULL when
 * memory cannot be had. Called with the mutex held. */
static bucket *bucket_insert(parley_rate_limiter *rl, const unsigned char *key, size_t key_len,
                             unsigned hashv, int64_t now_ms) {
    size_t n = atomic_load_explicit(&rl->count, memory_order_relaxed);
    bucket *b;
    if (n >= rl->max_keys) {
        b = pick_victim(rl, now_ms);
        bucket_detach(rl, b);
    } else {
        if (n == rl->heap_capacity) {
            size_t cap = rl->heap_capacity > 0 ? rl->heap_capacity * 2 : 16;
            if (cap > rl->max_keys) {
                cap = rl->max_keys;
            }
            bucket **heap = realloc(rl->heap, cap * sizeof *heap);
            if (heap == NULL) {
                return NULL;
            }
            rl->heap = heap;
            rl->heap_capacity = cap;
        }
        b = malloc(sizeof *b);
        if (b == NULL) {
            return NULL;
        }
    }
    memset(b, 0, sizeof *b);
    memcpy(b->key, key, key_len);
    b->key_len = key_len;
    b->tokens = rl->burst;
    b->last_ms = now_ms;
    b->full_at_ms = (double)now_ms;
    b->heap_key = b->full_at_ms;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, rl->table, b->key, b->key_len, hashv, b);
    if (b->add_failed) {
        free(b);
        return NULL;
    }
    lru_append(rl, b);
    n = atomic_load_explicit(&rl->count, memory_order_relaxed);
    atomic_store_explicit(&rl->count, n + 1, memory_order_relaxed);
    rl->heap[n] = b;
    b->heap_index = n;
    heap_sift_up(rl, n);
    return b;
}

/* Locks rl and finds key's bucket (NULL when it has none); stored, len and
 * hashv describe the key, for an insert. */
static bucket *lock_and_find(parley_rate_limiter *rl, const char *key,
                             unsigned char stored[STORED_KEY_SIZE], size_t *len, unsigned *hashv) {
    *len = make_stored_key(key, stored);
    *hashv = hash_stored_key(rl, stored, *len);
    pthread_mutex_lock(&rl->mutex);
    bucket *b = NULL;
    HASH_FIND_BYHASHVALUE(hh, rl->table, stored, *len, *hashv, b);
    return b;
}

bool parley_rate_limiter_take(parley_rate_limiter *rl, const char *key, int64_t now_ms,
                              int64_t *retry_after_ms) {
    if (retry_after_ms != NULL) {
        *retry_after_ms = 0;
    }
    if (rl == NULL || rl->per_second <= 0) {
        return true;
    }
    unsigned char stored[STORED_KEY_SIZE];
    size_t len = 0;
    unsigned hashv = 0;
    bucket *b = lock_and_find(rl, key, stored, &len, &hashv);
    if (b == NULL) {
        b = bucket_insert(rl, stored, len, hashv, now_ms);
        if (b == NULL) {
            pthread_mutex_unlock(&rl->mutex);
            if (retry_after_ms != NULL) {
                *retry_after_ms = 1000;
            }
            return false;
        }
    }
    refill(rl, b, now_ms);
    /* refused keys count as used too: a key being hammered is the last one
     * whose bucket should be forgotten */
    lru_touch(rl, b);
    bool allowed = b->tokens >= 1.0 - TOKEN_EPSILON;
    if (allowed) {
        b->tokens = b->tokens > 1.0 ? b->tokens - 1.0 : 0.0;
        double full_at = (double)b->last_ms + (rl->burst - b->tokens) * rl->ms_per_token;
        /* mathematically always later; fmax guards against rounding so the
         * heap's lower-bound invariant holds */
        b->full_at_ms = fmax(full_at, b->full_at_ms);
    } else if (retry_after_ms != NULL) {
        *retry_after_ms = retry_after(rl, b, now_ms);
    }
    pthread_mutex_unlock(&rl->mutex);
    return allowed;
}

void parley_rate_limiter_reset(parley_rate_limiter *rl, const char *key) {
    if (rl == NULL || rl->per_second <= 0) {
        return;
    }
    unsigned char stored[STORED_KEY_SIZE];
    size_t len = 0;
    unsigned hashv = 0;
    bucket *b = lock_and_find(rl, key, stored, &len, &hashv);
    if (b != NULL) {
        bucket_detach(rl, b);
        free(b);
    }
    pthread_mutex_unlock(&rl->mutex);
}

size_t parley_rate_limiter_size(const parley_rate_limiter *rl) {
    if (rl == NULL) {
        return 0;
    }
    return atomic_load_explicit(&rl->count, memory_order_relaxed);
}

int64_t parley_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Rate limiter: exact burst and retry hints, refill without drift, keys kept
 * apart (long ones too), reset, disabled limits, clocks going backwards, the
 * max_keys bound with idle-first then LRU eviction (also against a simple
 * reference model), and no lost updates under concurrent takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/rate_limiter.h"

static parley_rate_limiter *make(double per_second, double burst, size_t max_keys) {
    parley_rate_limit limit = {.per_second = per_second, .burst = burst};
    parley_rate_limiter *rl = parley_rate_limiter_create(limit, max_keys);
    assert_non_null(rl);
    return rl;
}

/* Asserts a refusal and returns its retry hint. */
static int64_t refused(parley_rate_limiter *rl, const char *key, int64_t now) {
    int64_t retry = -1;
    assert_false(parley_rate_limiter_take(rl, key, now, &retry));
    assert_true(retry >= 1);
    return retry;
}

static void allowed(parley_rate_limiter *rl, const char *key, int64_t now) {
    int64_t retry = -1;
    assert_true(parley_rate_limiter_take(rl, key, now, &retry));
    assert_int_equal(retry, 0);
}

static void test_burst_then_refusal_with_exact_retry(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(2, 3, 16); /* a token every 500 ms */
    for (int i = 0; i < 3; i++) {
        allowed(rl, "10.0.0.1", 1000);
    }
    assert_int_equal(refused(rl, "10.0.0.1", 1000), 500);
    assert_int_equal(refused(rl, "10.0.0.1", 1200), 300);
    assert_int_equal(refused(rl, "10.0.0.1", 1499), 1);
    allowed(rl, "10.0.0.1", 1500); /* exactly when promised */
    assert_int_equal(refused(rl, "10.0.0.1", 1500), 500);
    assert_true(parley_rate_limiter_take(rl, "10.0.0.1", 2000, NULL)); /* NULL retry is fine */
    parley_rate_limiter_free(rl);

    /* 0.7 + 0.3 is not exactly 1 in binary; the hint must still be 300 and
     * waiting exactly that long must succeed */
    rl = make(1, 1, 16);
    allowed(rl, "k", 0);
    assert_int_equal(refused(rl, "k", 700), 300);
    allowed(rl, "k", 1000);
    parley_rate_limiter_free(rl);

    /* a rate with no whole-ms period: 333.3 ms per token rounds up to 334 */
    rl = make(3, 1, 16);
    allowed(rl, "k", 0);
    assert_int_equal(refused(rl, "k", 0), 334);
    assert_int_equal(refused(rl, "k", 333), 1);
    allowed(rl, "k", 334);
    parley_rate_limiter_free(rl);

    /* slow limits (one login a minute) give hints in whole minutes */
    rl = make(1.0 / 60.0, 5, 16);
    for (int i = 0; i < 5; i++) {
        allowed(rl, "acct", 0);
    }
    assert_int_equal(refused(rl, "acct", 0), 60000);
    assert_int_equal(refused(rl, "acct", 59999), 1);
    allowed(rl, "acct", 60000);
    parley_rate_limiter_free(rl);
}

static void test_refill_over_controlled_time(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(10, 5, 16);
    for (int i = 0; i < 5; i++) {
        allowed(rl, "p", 0);
    }
    refused(rl, "p", 0);
    /* 250 ms later: 2.5 tokens; two takes, then 50 ms until the next */
    allowed(rl, "p", 250);
    allowed(rl, "p", 250);
    assert_int_equal(refused(rl, "p", 250), 50);
    /* a long pause refills only up to burst */
    for (int i = 0; i < 5; i++) {
        allowed(rl, "p", 1000000);
    }
    refused(rl, "p", 1000000);
    parley_rate_limiter_free(rl);

    /* No drift: polling every millisecond at 7/s for 100 s adds 0.007 per
     * call; the kept fractions must add up to exactly 700 tokens on top of
     * the burst of 2, the last one landing exactly at t = 100000. (Burst 2 so
     * the cap never clips a fraction: with burst 1, a bucket at 1.004 is
     * clipped to 1, which is the bucket size doing its job, not drift.) */
    rl = make(7, 2, 16);
    int count = 0;
    int64_t last_allowed = -1;
    for (int64_t t = 0; t <= 100000; t++) {
        if (parley_rate_limiter_take(rl, "poller", t, NULL)) {
            count++;
            last_allowed = t;
        }
    }
    assert_int_equal(count, 702);
    assert_int_equal(last_allowed, 100000);
    parley_rate_limiter_free(rl);

    /* and taking exactly on the period for a long time never fails */
    rl = make(1, 1, 16);
    for (int64_t t = 0; t < 20000 * 1000; t += 1000) {
        allowed(rl, "steady", t);
        assert_int_equal(refused(rl, "steady", t), 1000);
    }
    parley_rate_limiter_free(rl);
}

static void test_independent_keys(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(1, 2, 16);
    allowed(rl, "a", 0);
    allowed(rl, "a", 0);
    refused(rl, "a", 0);
    allowed(rl, "b", 0); /* a's exhaustion does not touch b */
    allowed(rl, "b", 0);
    refused(rl, "b", 0);
    allowed(rl, "", 0);   /* the empty key is a key like any other */
    allowed(rl, NULL, 0); /* and NULL means "" */
    refused(rl, "", 0);
    assert_int_equal(parley_rate_limiter_size(rl), 3);
    parley_rate_limiter_free(rl);
}

static void test_reset_forgets_a_key(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(0.1, 3, 16);
    for (int i = 0; i < 3; i++) {
        allowed(rl, "alice@example.com", 0);
        allowed(rl, "mallory@example.com", 0);
    }
    refused(rl, "alice@example.com", 0);
    parley_rate_limiter_reset(rl, "alice@example.com");
    assert_int_equal(parley_rate_limiter_size(rl), 1);
    for (int i = 0; i < 3; i++) {
        allowed(rl, "alice@example.com", 0);
    }
    refused(rl, "alice@example.com", 0);
    refused(rl, "mallory@example.com", 0);   /* untouched */
    parley_rate_limiter_reset(rl, "nobody"); /* unknown keys are ignored */
    parley_rate_limiter_reset(rl, "mallory@example.com");
    parley_rate_limiter_reset(rl, "alice@example.com");
    assert_int_equal(parley_rate_limiter_size(rl), 0);
    allowed(rl, "mallory@example.com", 0);
    parley_rate_limiter_reset(NULL, "x");
    parley_rate_limiter_free(rl);
}

static void test_disabled_limit_allows_and_stores_nothing(void **state) {
    (void)state;
    const double rates[] = {0, -5, NAN, INFINITY};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        parley_rate_limiter *rl = make(rates[r], 1, 4);
        for (int i = 0; i < 1000; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%d", i);
            allowed(rl, key, 0);
            allowed(rl, "same", 0);
        }
        assert_int_equal(parley_rate_limiter_size(rl), 0);
        parley_rate_limiter_reset(rl, "same");
        parley_rate_limiter_free(rl);
    }
    /* no limiter at all behaves the same */
    allowed(NULL, "k", 0);
    assert_int_equal(parley_rate_limiter_size(NULL), 0);
    parley_rate_limiter_free(NULL);

    /* a burst below 1 is raised to 1, so an enabled limit still lets the
     * sustained rate through */
    parley_rate_limiter *rl = make(1, 0, 4);
    allowed(rl, "k", 0);
    assert_int_equal(refused(rl, "k", 0), 1000);
    allowed(rl, "k", 1000);
    parley_rate_limiter_free(rl);
}

static void test_time_going_backwards(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(2, 1, 16);
    allowed(rl, "k", 10000);
    /* earlier than last seen: no tokens, and the hint counts from the
     * bucket's own time */
    assert_int_equal(refused(rl, "k", 5000), 5500);
    assert_int_equal(refused(rl, "k", 0), 10500);
    /* the trip back and forth added nothing */
    assert_int_equal(refused(rl, "k", 10000), 500);
    assert_int_equal(refused(rl, "k", 10499), 1);
    allowed(rl, "k", 10500);

    /* extreme clocks neither overflow nor crash (UBSan watches) */
    allowed(rl, "edge", INT64_MAX);
    int64_t retry = refused(rl, "edge", INT64_MIN);
    assert_true(retry > 0);
    refused(rl, "edge", INT64_MAX);
    allowed(rl, "edge2", INT64_MIN);
    allowed(rl, "edge2", INT64_MAX); /* a huge forward jump just refills to burst */
    refused(rl, "edge2", INT64_MAX);
    parley_rate_limiter_free(rl);

    /* an absurdly slow rate gives a large but bounded hint */
    rl = make(1e-300, 1, 4);
    allowed(rl, "k", 0);
    retry = refused(rl, "k", 0);
    assert_true(retry > 1000000000000LL && retry < INT64_MAX / 2);
    parley_rate_limiter_free(rl);
}

static void test_max_keys_bounds_memory(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(1, 2, 4);
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "ip-%d", i);
        assert_true(parley_rate_limiter_take(rl, key, i % 7 == 0 ? i : i / 2, NULL));
        assert_true(parley_rate_limiter_size(rl) <= 4);
    }
    assert_int_equal(parley_rate_limiter_size(rl), 4);
    parley_rate_limiter_free(rl);

    /* max_keys 0 still keeps (and limits) one key */
    rl = make(1, 1, 0);
    allowed(rl, "a", 0);
    refused(rl, "a", 0);
    allowed(rl, "b", 0);
    assert_int_equal(parley_rate_limiter_size(rl), 1);
    parley_rate_limiter_free(rl);
}

static void test_idle_buckets_are_evicted_before_busy_ones(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(1, 2, 3);
    allowed(rl, "A", 0); /* A: empty, full again at 2000 */
    allowed(rl, "A", 0);
    allowed(rl, "B", 100); /* B: one short, full again at 1100 */
    allowed(rl, "C", 200); /* C: empty, full again at 2200 */
    allowed(rl, "C", 200);
    /* at 1500 only B is idle although A is least recently used */
    allowed(rl, "D", 1500);
    assert_int_equal(parley_rate_limiter_size(rl), 3);
    /* A kept its state: 1.5 tokens, so one take and then a refusal with the
     * exact hint (an evicted A would have had 2 fresh tokens) */
    allowed(rl, "A", 1500);
    assert_int_equal(refused(rl, "A", 1500), 500);
    allowed(rl, "C", 1500); /* C: 1.3 tokens */
    assert_int_equal(refused(rl, "C", 1500), 700);
    allowed(rl, "D", 1500); /* D: 1 token left from its fresh burst */
    refused(rl, "D", 1500);
    parley_rate_limiter_free(rl);
}

static void test_least_recently_used_is_evicted_when_none_is_idle(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(1, 1, 3);
    allowed(rl, "A", 0);
    allowed(rl, "B", 0);
    allowed(rl, "C", 0);
    refused(rl, "A", 10); /* a refused take is still a use: order B, C, A */
    allowed(rl, "D", 20); /* nobody idle: B goes */
    refused(rl, "A", 20); /* A and D kept; order C, A, D */
    refused(rl, "D", 20);
    allowed(rl, "B", 30); /* B was forgotten, so it is fresh; C goes */
    allowed(rl, "C", 40); /* C was forgotten; A goes */
    allowed(rl, "A", 50); /* A was forgotten; D goes */
    refused(rl, "B", 50); /* B, C and A remain, each empty */
    refused(rl, "C", 50);
    refused(rl, "A", 50);
    assert_int_equal(parley_rate_limiter_size(rl), 3);
    parley_rate_limiter_free(rl);
}

/* ---- reference model: the documented behaviour written the plain way ---- */

typedef struct ref_bucket {
    bool used;
    int key;
    double tokens;
    int64_t last;
    double full_at;
    uint64_t used_stamp;
} ref_bucket;

enum { REF_MAX_KEYS = 9, REF_KEYS = 24 };

typedef struct ref_limiter {
    double rate, burst;
    ref_bucket b[REF_MAX_KEYS];
    uint64_t clock;
} ref_limiter;

static bool ref_take(ref_limiter *m, int key, int64_t now, int64_t *retry) {
    ref_bucket *b = NULL;
    for (int i = 0; i < REF_MAX_KEYS; i++) {
        if (m->b[i].used && m->b[i].key == key) {
            b = &m->b[i];
        }
    }
    if (b == NULL) {
        for (int i = 0; i < REF_MAX_KEYS && b == NULL; i++) {
            if (!m->b[i].used) {
                b = &m->b[i];
            }
        }
        for (int i = 0; i < REF_MAX_KEYS && b == NULL; i++) {
            if (m->b[i].full_at <= (double)now) {
                b = &m->b[i]; /* any idle one: they are indistinguishable from new */
            }
        }
        if (b == NULL) {
            b = &m->b[0];
            for (int i = 1; i < REF_MAX_KEYS; i++) {
                if (m->b[i].used_stamp < b->used_stamp) {
                    b = &m->b[i];
                }
            }
        }
        *b = (ref_bucket){true, key, m->burst, now, (double)now, 0};
    }
    if (now > b->last) {
        double t = b->tokens + (double)(now - b->last) * m->rate / 1000.0;
        b->tokens = t < m->burst ? t : m->burst;
        b->last = now;
    }
    b->used_stamp = ++m->clock;
    *retry = 0;
    if (b->tokens >= 1.0 - 1e-9) {
        b->tokens = b->tokens > 1.0 ? b->tokens - 1.0 : 0.0;
        b->full_at =
            fmax((double)b->last + (m->burst - b->tokens) * (1000.0 / m->rate), b->full_at);
        return true;
    }
    double wait = ceil((1.0 - b->tokens) * (1000.0 / m->rate) - 1e-6);
    if (now < b->last) {
        wait += (double)(b->last - now);
    }
    *retry = wait >= 1.0 ? (int64_t)wait : 1;
    return false;
}

static void ref_reset(ref_limiter *m, int key) {
    for (int i = 0; i < REF_MAX_KEYS; i++) {
        if (m->b[i].used && m->b[i].key == key) {
            m->b[i].used = false;
        }
    }
}

static void test_matches_reference_model(void **state) {
    (void)state;
    const double rates[][2] = {{3, 2.5}, {10, 1}, {0.5, 4}, {7, 3}};
    srand(20260101);
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        parley_rate_limiter *rl = make(rates[r][0], rates[r][1], REF_MAX_KEYS);
        ref_limiter model = {.rate = rates[r][0], .burst = rates[r][1]};
        int64_t now = 1000;
        for (int step = 0; step < 200000; step++) {
            /* forward only: after a clock step back, two idle buckets differ
             * in their last time, so which one is reused becomes observable;
             * test_time_going_backwards covers that clock */
            if (rand() % 100 < 60) {
                now += rand() % 40;
            }
            int key = rand() % REF_KEYS;
            char name[16];
            snprintf(name, sizeof name, "key-%d", key);
            if (rand() % 200 == 0) {
                parley_rate_limiter_reset(rl, name);
                ref_reset(&model, key);
                continue;
            }
            int64_t want_retry, got_retry;
            bool want = ref_take(&model, key, now, &want_retry);
            bool got = parley_rate_limiter_take(rl, name, now, &got_retry);
            if (want != got || want_retry != got_retry) {
                fail_msg("rate %g step %d key %d now %lld: want %d/%lld got %d/%lld", rates[r][0],
                         step, key, (long long)now, want, (long long)want_retry, got,
                         (long long)got_retry);
            }
            assert_true(parley_rate_limiter_size(rl) <= REF_MAX_KEYS);
        }
        parley_rate_limiter_free(rl);
    }
}

static void test_long_keys(void **state) {
    (void)state;
    parley_rate_limiter *rl = make(1, 1, 64);
    char a[300], b[300];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[250] = 'y'; /* differs only far past any truncation point */
    allowed(rl, a, 0);
    refused(rl, a, 0); /* the same long key maps to the same bucket */
    allowed(rl, b, 0);
    refused(rl, b, 0);

    /* both sides of the verbatim limit, and the limit itself */
    char k127[PARLEY_RATE_LIMIT_KEY_MAX + 1], k128[PARLEY_RATE_LIMIT_KEY_MAX + 2];
    memset(k127, 'z', PARLEY_RATE_LIMIT_KEY_MAX);
    k127[PARLEY_RATE_LIMIT_KEY_MAX] = '\0';
    memset(k128, 'z', PARLEY_RATE_LIMIT_KEY_MAX + 1);
    k128[PARLEY_RATE_LIMIT_KEY_MAX + 1] = '\0';
    allowed(rl, k127, 0);
    allowed(rl, k128, 0); /* not the 127-byte key's bucket */
    refused(rl, k127, 0);
    refused(rl, k128, 0);

    /* a megabyte key is digested, not copied */
    size_t big_len = 1 << 20;
    char *big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, 'q', big_len);
    big[big_len] = '\0';
    allowed(rl, big, 0);
    refused(rl, big, 0);
    parley_rate_limiter_reset(rl, big);
    allowed(rl, big, 0);
    free(big);
    assert_int_equal(parley_rate_limiter_size(rl), 5);
    parley_rate_limiter_free(rl);
}

/* ---- threads ---- */

enum { THREADS = 4, TAKES_PER_THREAD = 20000, SHARED_KEYS = 8, SHARED_BURST = 50 };

typedef struct worker {
    parley_rate_limiter *rl;
    int index;
    int allowed;
    int64_t now; /* < 0: advance with the loop instead of freezing */
} worker;

static void *take_many(void *arg) {
    worker *w = arg;
    for (int i = 0; i < TAKES_PER_THREAD; i++) {
        char key[32];
        snprintf(key, sizeof key, "shared-%d", (i + w->index) % SHARED_KEYS);
        int64_t now = w->now >= 0 ? w->now : i;
        if (w->now < 0) {
            snprintf(key, sizeof key, "churn-%d", (i * 7 + w->index) % 100);
        }
        if (parley_rate_limiter_take(w->rl, key, now, NULL)) {
            w->allowed++;
        }
        (void)parley_rate_limiter_size(w->rl);
    }
    return NULL;
}

static void run_workers(parley_rate_limiter *rl, int64_t now, int *total) {
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.rl = rl, .index = i, .now = now};
        assert_int_equal(pthread_create(&threads[i], NULL, take_many, &workers[i]), 0);
    }
    *total = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        *total += workers[i].allowed;
    }
}

static void test_concurrent_takes_lose_no_updates(void **state) {
    (void)state;
    /* frozen time: exactly burst per key may pass, whoever takes them */
    parley_rate_limiter *rl = make(5, SHARED_BURST, 64);
    int total = 0;
    run_workers(rl, 1000, &total);
    assert_int_equal(total, SHARED_KEYS * SHARED_BURST);
    assert_int_equal(parley_rate_limiter_size(rl), SHARED_KEYS);
    parley_rate_limiter_free(rl);

    /* moving time and constant eviction: no crash, bound kept (ASan watches) */
    rl = make(100, 3, 16);
    run_workers(rl, -1, &total);
    assert_true(total > 0);
    assert_true(parley_rate_limiter_size(rl) <= 16);
    parley_rate_limiter_free(rl);
}

static void test_monotonic_clock(void **state) {
    (void)state;
    int64_t a = parley_monotonic_ms();
    int64_t b = parley_monotonic_ms();
    assert_true(a >= 0);
    assert_true(b >= a);
}

/* Search slots: --worker-threads - 1 searches at once (at least one);
 * one more is 503 with Retry-After 1 until a slot is given back. */
static void test_search_slots(void **state) {
    (void)state;
    parley_config cfg;
    parley_config_defaults(&cfg);
    cfg.worker_threads = 3;
    parley_limits limits;
    parley_error err = {0};
    assert_int_equal(parley_limits_init(&limits, &cfg, &err), PARLEY_OK);
    assert_int_equal(limits.search_slots, 2);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_OK);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_OK);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_E_UNAVAILABLE);
    assert_int_equal(err.retry_after_seconds, 1);
    assert_string_equal(err.code, "unavailable");
    parley_limits_search_done(&limits);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_OK);
    parley_limits_search_done(&limits);
    parley_limits_search_done(&limits);
    parley_limits_free(&limits);
    /* one pool thread: still one search */
    cfg.worker_threads = 1;
    assert_int_equal(parley_limits_init(&limits, &cfg, &err), PARLEY_OK);
    assert_int_equal(limits.search_slots, 1);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_OK);
    assert_int_equal(parley_limits_search_start(&limits, &err), PARLEY_E_UNAVAILABLE);
    parley_limits_search_done(&limits);
    parley_limits_free(&limits);
    parley_config_free(&cfg);
    /* no limits configured: always allowed */
    assert_int_equal(parley_limits_search_start(NULL, &err), PARLEY_OK);
    parley_limits_search_done(NULL);
}

int main(void) {
    if (sodium_init() < 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refusal_with_exact_retry),
        cmocka_unit_test(test_refill_over_controlled_time),
        cmocka_unit_test(test_independent_keys),
        cmocka_unit_test(test_reset_forgets_a_key),
        cmocka_unit_test(test_disabled_limit_allows_and_stores_nothing),
        cmocka_unit_test(test_time_going_backwards),
        cmocka_unit_test(test_max_keys_bounds_memory),
        cmocka_unit_test(test_idle_buckets_are_evicted_before_busy_ones),
        cmocka_unit_test(test_least_recently_used_is_evicted_when_none_is_idle),
        cmocka_unit_test(test_matches_reference_model),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_concurrent_takes_lose_no_updates),
        cmocka_unit_test(test_monotonic_clock),
        cmocka_unit_test(test_search_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_notify_worker.c - the notification delivery worker
 * (net/notify_worker.c) against a real SQLite file, with channels made
 * for the test: one that fails a set number of times then delivers, one
 * that always fails (dead-letter), one that fails for good at once.
 * Checks each attempt's record (state, attempts, last error, next attempt
 * after an exponential backoff with jitter), the idempotency key that goes
 * with every attempt, and the backoff's arithmetic.
 *
 * Threads: the test's own, and the worker's (the fake channels count
 * under a lock).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../common/check.h"
#include "core/ids.h"
#include "fixture.h"
#include "net/notify_worker.h"

static parley_error err;

typedef struct fake_channel {
    pthread_mutex_t lock;
    int fail_first; /* fails this many attempts, then delivers; < 0: always fails */
    bool permanent; /* its failures are permanent */
    int calls;
    char keys[16][64]; /* the idempotency key of each call */
    parley_time_ms at[16];
} fake_channel;

static bool reaches_all(parley_participant_kind kind) {
    (void)kind;
    return true;
}

static parley_status fake_deliver(void *ctx, const parley_notification *n, const parley_delivery *d,
                                  bool *permanent, parley_error *e) {
    (void)n;
    fake_channel *f = ctx;
    pthread_mutex_lock(&f->lock);
    int call = f->calls++;
    if (call < 16) {
        snprintf(f->keys[call], sizeof f->keys[call], "%s", d->idempotency_key);
        f->at[call] = parley_now_ms();
    }
    bool fail = f->fail_first < 0 || call < f->fail_first;
    pthread_mutex_unlock(&f->lock);
    if (!fail) {
        return PARLEY_OK;
    }
    *permanent = f->permanent;
    return parley_error_set(e, PARLEY_E_UNAVAILABLE, NULL, "receiver said no (%d)", call + 1);
}

static const parley_notify_channel flaky = {
    .name = "flaky", .reaches = reaches_all, .deliver = fake_deliver};
static const parley_notify_channel broken = {
    .name = "broken", .reaches = reaches_all, .deliver = fake_deliver};
static const parley_notify_channel refusing = {
    .name = "refusing", .reaches = reaches_all, .deliver = fake_deliver};

static int calls_of(fake_channel *f) {
    pthread_mutex_lock(&f->lock);
    int n = f->calls;
    pthread_mutex_unlock(&f->lock);
    return n;
}

/* A notification with one pending delivery on `channel`; returns the delivery id. */
static void add_pending(parley_repository *repo, const char *channel, char out[PARLEY_ID_SIZE]) {
    parley_notification n = {0};
    parley_id_new("ntf", n.id);
    n.recipient_kind = PARLEY_PARTICIPANT_AGENT;
    snprintf(n.recipient_id, sizeof n.recipient_id, "agt_x");
    snprintf(n.event, sizeof n.event, "session.waiting");
    char title[] = "t", body[] = "b";
    char key[64];
    snprintf(key, sizeof key, "k:%s", n.id);
    n.title = title;
    n.body = body;
    n.dedupe_key = key;
    n.created_at = parley_now_ms();
    bool added = false;
    assert_ok(repo->notifications->insert(repo, &n, &added, &err));
    parley_delivery d = {0};
    parley_id_new("dlv", d.id);
    snprintf(d.notification_id, sizeof d.notification_id, "%s", n.id);
    snprintf(d.channel, sizeof d.channel, "%s", channel);
    char ikey[64];
    snprintf(ikey, sizeof ikey, "%s:%s", n.id, channel);
    d.idempotency_key = ikey;
    d.next_attempt_at = n.created_at;
    d.created_at = d.updated_at = n.created_at;
    assert_ok(repo->notifications->delivery_insert(repo, &d, &added, &err));
    snprintf(out, PARLEY_ID_SIZE, "%s", d.id);
}

static parley_delivery wait_state(parley_repository *repo, const char *id,
                                  parley_delivery_state state) {
    parley_delivery d = {0};
    for (int i = 0; i < 1000; i++) { /* 10 s */
        assert_ok(repo->notifications->delivery_get(repo, id, &d, &err));
        if (d.state == state) {
            return d;
        }
        parley_delivery_free(&d);
        usleep(10000);
    }
    fail_msg("delivery %s never reached state %s", id, parley_delivery_state_name(state));
    return d;
}

static void test_retries_backoff_and_dead_letter(void **state) {
    (void)state;
    test_db db;
    test_db_create(&db, "notify-worker");
    parley_repository *repo = test_db_open(&db);
    fake_channel f_flaky = {.fail_first = 2}, f_broken = {.fail_first = -1},
                 f_refusing = {.fail_first = -1, .permanent = true};
    pthread_mutex_init(&f_flaky.lock, NULL);
    pthread_mutex_init(&f_broken.lock, NULL);
    pthread_mutex_init(&f_refusing.lock, NULL);
    char id_flaky[PARLEY_ID_SIZE], id_broken[PARLEY_ID_SIZE], id_refusing[PARLEY_ID_SIZE],
        id_unknown[PARLEY_ID_SIZE];
    add_pending(repo, "flaky", id_flaky);
    add_pending(repo, "broken", id_broken);
    add_pending(repo, "refusing", id_refusing);
    add_pending(repo, "pigeon", id_unknown); /* no such channel configured */

    parley_notify_channel_binding channels[] = {
        {&flaky, &f_flaky}, {&broken, &f_broken}, {&refusing, &f_refusing}};
    parley_notify_worker_options options = {.database_url = db.url,
                                            .channels = channels,
                                            .channel_count = 3,
                                            .max_attempts = 4,
                                            .retry_base_ms = 100,
                                            .retry_max_ms = 250,
                                            .poll_ms = 20};
    parley_notify_worker *w = NULL;
    assert_ok(parley_notify_worker_start(&options, &w, &err));

    /* fails twice, then sent: three attempts, the same key each time,
     * spaced by the backoff (100 ms base: the first retry 50..100 ms later,
     * the second 100..200 ms) */
    parley_delivery d = wait_state(repo, id_flaky, PARLEY_DELIVERY_SENT);
    assert_int_equal(d.attempts, 3);
    assert_null(d.last_error);
    assert_true(d.sent_at > 0);
    parley_delivery_free(&d);
    assert_int_equal(calls_of(&f_flaky), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(f_flaky.keys[i], f_flaky.keys[0]);
    }
    assert_non_null(strstr(f_flaky.keys[0], ":flaky"));
    assert_true(f_flaky.at[1] - f_flaky.at[0] >= 50);
    assert_true(f_flaky.at[2] - f_flaky.at[1] >= 100);

    /* always failing: dead after max_attempts, the last error kept */
    d = wait_state(repo, id_broken, PARLEY_DELIVERY_DEAD);
    assert_int_equal(d.attempts, 4);
    assert_string_equal(d.last_error, "receiver said no (4)");
    parley_delivery_free(&d);
    assert_int_equal(calls_of(&f_broken), 4);

    /* a permanent failure is dead at once; so is an unknown channel */
    d = wait_state(repo, id_refusing, PARLEY_DELIVERY_DEAD);
    assert_int_equal(d.attempts, 1);
    parley_delivery_free(&d);
    d = wait_state(repo, id_unknown, PARLEY_DELIVERY_DEAD);
    assert_int_equal(d.attempts, 1);
    assert_non_null(strstr(d.last_error, "pigeon"));
    parley_delivery_free(&d);

    parley_notify_worker_stop(w);
    /* nothing is attempted again once sent or dead */
    assert_int_equal(calls_of(&f_flaky), 3);
    assert_int_equal(calls_of(&f_refusing), 1);
    repo->ops->close(repo);
    test_db_remove(&db);
}

static void test_backoff_doubles_with_jitter_and_a_cap(void **state) {
    (void)state;
    /* half fixed, half random */
    assert_int_equal(parley_notify_backoff_ms(1, 1000, 60000, 0.0), 500);
    assert_int_equal(parley_notify_backoff_ms(1, 1000, 60000, 0.999), 999);
    assert_int_equal(parley_notify_backoff_ms(2, 1000, 60000, 0.0), 1000);
    assert_int_equal(parley_notify_backoff_ms(3, 1000, 60000, 0.5), 3000);
    /* capped, however many attempts */
    assert_int_equal(parley_notify_backoff_ms(10, 1000, 60000, 0.0), 30000);
    assert_int_equal(parley_notify_backoff_ms(1000, 1000, 60000, 1.0), 59999);
    assert_true(parley_notify_backoff_ms(1000, 1000, 60000, 0.5) <= 60000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_backoff_and_dead_letter),
        cmocka_unit_test(test_backoff_doubles_with_jitter_and_a_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The queue's positions in one pass (core/queue_positions.h) and the
 * in-memory mean wait (core/queue_wait.h): pools, sessions taken from the
 * queue, put back at their place, a random queue against the quadratic
 * count it replaced; the mean's ring, its seed and its threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/queue_positions.h"
#include "core/queue_wait.h"

/* a queue of sessions in the given pools ("" = no team), in order */
static void build(parley_queue_list *q, const char *const *teams, size_t n) {
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i < n; i++) {
        parley_queue_entry *e = parley_queue_list_push(q);
        assert_non_null(e);
        snprintf(e->session.id, sizeof e->session.id, "ses_%zu", i);
        snprintf(e->session.team_id, sizeof e->session.team_id, "%s", teams[i]);
        e->position_key = (int64_t)i + 1;
    }
}

static void positions(const parley_queue_list *q, const bool *gone, int *out) {
    assert_true(parley_queue_positions(q, gone, out));
}

/* the definition, counted the old way */
static int naive(const parley_queue_list *q, size_t i, const bool *gone) {
    int pos = 1;
    for (size_t j = 0; j < i; j++) {
        if ((gone == NULL || !gone[j]) &&
            strcmp(q->items[j].session.team_id, q->items[i].session.team_id) == 0) {
            pos++;
        }
    }
    return pos;
}

static void test_pools_count_separately(void **state) {
    (void)state;
    const char *teams[] = {"", "tea_a", "", "tea_b", "tea_a", ""};
    parley_queue_list q;
    build(&q, teams, 6);
    int out[6];
    positions(&q, NULL, out);
    int want[] = {1, 1, 2, 1, 2, 3};
    assert_memory_equal(out, want, sizeof want);
    parley_queue_list_free(&q);
}

static void test_enqueue_at_the_back(void **state) {
    (void)state;
    const char *teams[] = {"", "", "tea_a", ""};
    parley_queue_list q;
    build(&q, teams, 3);
    int before[3];
    positions(&q, NULL, before);
    parley_queue_list_free(&q);
    build(&q, teams, 4); /* one more at the back */
    int after[4];
    positions(&q, NULL, after);
    assert_memory_equal(after, before, sizeof before); /* nobody ahead moved */
    assert_int_equal(after[3], 3);
    parley_queue_list_free(&q);
}

static void test_dequeue_moves_those_behind_in_its_pool(void **state) {
    (void)state;
    const char *teams[] = {"", "tea_a", "", "tea_a", ""};
    parley_queue_list q;
    build(&q, teams, 5);
    bool gone[5] = {false, true, true, false, false}; /* assigned this pass */
    int out[5];
    positions(&q, gone, out);
    int want[] = {1, 0, 0, 1, 2};
    assert_memory_equal(out, want, sizeof want);
    parley_queue_list_free(&q);
}

static void test_reorder_a_session_back_at_its_place(void **state) {
    (void)state;
    /* a session unassigned goes back in front of later arrivals */
    const char *teams[] = {"", "", ""};
    parley_queue_list q;
    build(&q, teams, 3);
    snprintf(q.items[2].session.id, sizeof q.items[2].session.id, "back");
    parley_queue_entry tmp = q.items[2];
    memmove(&q.items[1], &q.items[0], 2 * sizeof tmp);
    q.items[0] = tmp;
    int out[3];
    positions(&q, NULL, out);
    assert_string_equal(q.items[0].session.id, "back");
    int want[] = {1, 2, 3};
    assert_memory_equal(out, want, sizeof want);
    parley_queue_list_free(&q);
}

static void test_random_queue_matches_the_quadratic_count(void **state) {
    (void)state;
    enum { N = 3000 };
    static const char *const pool[] = {"", "tea_a", "tea_b", "tea_c", "tea_d"};
    const char **teams = malloc(N * sizeof *teams);
    bool *gone = calloc(N, sizeof *gone);
    int *out = malloc(N * sizeof *out);
    srand(11);
    for (size_t i = 0; i < N; i++) {
        teams[i] = pool[rand() % 5];
        gone[i] = rand() % 4 == 0;
    }
    parley_queue_list q;
    build(&q, teams, N);
    positions(&q, gone, out);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(out[i], gone[i] ? 0 : naive(&q, i, gone));
    }
    parley_queue_list_free(&q);
    free(teams);
    free(gone);
    free(out);
}

static void test_empty_queue(void **state) {
    (void)state;
    parley_queue_list q = {0};
    assert_true(parley_queue_positions(&q, NULL, NULL));
}

/* --- the mean wait ----------------------------------------------------------- */

static void test_mean_unknown_then_running(void **state) {
    (void)state;
    parley_queue_wait *w = parley_queue_wait_new();
    int64_t mean = -1;
    assert_false(parley_queue_wait_mean(w, &mean));
    assert_int_equal(mean, 0);
    parley_queue_wait_add(w, 1000);
    parley_queue_wait_add(w, 3000);
    parley_queue_wait_add(w, -5); /* a clock step: ignored */
    assert_true(parley_queue_wait_mean(w, &mean));
    assert_int_equal(mean, 2000);
    parley_queue_wait_free(w);
}

static void test_mean_of_the_last_sample_only(void **state) {
    (void)state;
    parley_queue_wait *w = parley_queue_wait_new();
    for (int i = 0; i < PARLEY_QUEUE_WAIT_SAMPLE; i++) {
        parley_queue_wait_add(w, 100000);
    }
    int64_t mean = 0;
    assert_true(parley_queue_wait_mean(w, &mean));
    assert_int_equal(mean, 100000);
    /* a full sample of new waits replaces every old one */
    for (int i = 0; i < PARLEY_QUEUE_WAIT_SAMPLE; i++) {
        parley_queue_wait_add(w, 10 * (i + 1));
        assert_true(parley_queue_wait_mean(w, &mean));
        int64_t want = (100000 * (PARLEY_QUEUE_WAIT_SAMPLE - 1 - i) + 10 * (i + 1) * (i + 2) / 2) /
                       PARLEY_QUEUE_WAIT_SAMPLE;
        assert_int_equal(mean, want);
    }
    assert_int_equal(mean, 10 * (PARLEY_QUEUE_WAIT_SAMPLE + 1) / 2);
    parley_queue_wait_free(w);
}

static void test_seed_once_and_older_than_added(void **state) {
    (void)state;
    parley_queue_wait *w = parley_queue_wait_new();
    assert_false(parley_queue_wait_seeded(w));
    parley_queue_wait_add(w, 0); /* committed before the first reader seeded */
    parley_queue_wait_seed(w, PARLEY_QUEUE_WAIT_SAMPLE, 4000);
    assert_true(parley_queue_wait_seeded(w));
    parley_queue_wait_seed(w, PARLEY_QUEUE_WAIT_SAMPLE, 999999); /* ignored */
    int64_t mean = 0;
    assert_true(parley_queue_wait_mean(w, &mean));
    /* 19 seeded (room left) + the one added */
    assert_int_equal(mean, 4000 * (PARLEY_QUEUE_WAIT_SAMPLE - 1) / PARLEY_QUEUE_WAIT_SAMPLE);
    /* the next addition replaces a seeded sample, not the one added */
    parley_queue_wait_add(w, 0);
    assert_true(parley_queue_wait_mean(w, &mean));
    assert_int_equal(mean, 4000 * (PARLEY_QUEUE_WAIT_SAMPLE - 2) / PARLEY_QUEUE_WAIT_SAMPLE);
    parley_queue_wait_free(w);
}

static void test_seed_with_nothing_known(void **state) {
    (void)state;
    parley_queue_wait *w = parley_queue_wait_new();
    parley_queue_wait_seed(w, 0, 0);
    int64_t mean = 0;
    assert_true(parley_queue_wait_seeded(w));
    assert_false(parley_queue_wait_mean(w, &mean));
    parley_queue_wait_free(w);
}

static void *add_many(void *arg) {
    for (int i = 0; i < 20000; i++) {
        parley_queue_wait_add(arg, 500);
    }
    return NULL;
}

static void test_threads_share_it(void **state) {
    (void)state;
    parley_queue_wait *w = parley_queue_wait_new();
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, add_many, w), 0);
    }
    int64_t mean = 0;
    for (int i = 0; i < 1000; i++) {
        if (parley_queue_wait_mean(w, &mean)) {
            assert_int_equal(mean, 500);
        }
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    assert_true(parley_queue_wait_mean(w, &mean));
    assert_int_equal(mean, 500);
    parley_queue_wait_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pools_count_separately),
        cmocka_unit_test(test_enqueue_at_the_back),
        cmocka_unit_test(test_dequeue_moves_those_behind_in_its_pool),
        cmocka_unit_test(test_reorder_a_session_back_at_its_place),
        cmocka_unit_test(test_random_queue_matches_the_quadratic_count),
        cmocka_unit_test(test_empty_queue),
        cmocka_unit_test(test_mean_unknown_then_running),
        cmocka_unit_test(test_mean_of_the_last_sample_only),
        cmocka_unit_test(test_seed_once_and_older_than_added),
        cmocka_unit_test(test_seed_with_nothing_known),
        cmocka_unit_test(test_threads_share_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* net/push_progress.c: a delivery's subscriptions that took it are
 * remembered until the delivery is forgotten; other deliveries are apart;
 * a full memory forgets the least recently touched delivery first (then
 * its retry posts to every subscription: never fewer, at worst a repeat);
 * ids too long are refused, not cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/push_progress.h"

static parley_push_progress progress;

static int reset(void **state) {
    (void)state;
    parley_push_progress_clear(&progress);
    return 0;
}

static void taken_until_forgotten(void **state) {
    (void)state;
    parley_push_progress *p = &progress;
    assert_false(parley_push_progress_taken(p, "dlv_a", "psb_1"));
    assert_true(parley_push_progress_note(p, "dlv_a", "psb_1"));
    assert_true(parley_push_progress_note(p, "dlv_a", "psb_1")); /* twice: once kept */
    assert_true(parley_push_progress_note(p, "dlv_a", "psb_2"));
    assert_true(parley_push_progress_taken(p, "dlv_a", "psb_1"));
    assert_true(parley_push_progress_taken(p, "dlv_a", "psb_2"));
    assert_false(parley_push_progress_taken(p, "dlv_a", "psb_3"));
    /* another delivery of the same subscriptions is its own */
    assert_false(parley_push_progress_taken(p, "dlv_b", "psb_1"));
    assert_int_equal(parley_push_progress_size(p), 1);
    parley_push_progress_forget(p, "dlv_a");
    assert_false(parley_push_progress_taken(p, "dlv_a", "psb_1"));
    assert_int_equal(parley_push_progress_size(p), 0);
    parley_push_progress_forget(p, "dlv_a"); /* forgetting twice is harmless */
}

static void full_memory_forgets_the_least_recently_touched(void **state) {
    (void)state;
    parley_push_progress *p = &progress;
    char id[32];
    for (int i = 0; i < PARLEY_PUSH_PROGRESS_MAX; i++) {
        snprintf(id, sizeof id, "dlv_%d", i);
        assert_true(parley_push_progress_note(p, id, "psb_x"));
    }
    assert_int_equal(parley_push_progress_size(p), PARLEY_PUSH_PROGRESS_MAX);
    /* dlv_0 is touched again: dlv_1 is now the oldest */
    assert_true(parley_push_progress_note(p, "dlv_0", "psb_y"));
    assert_true(parley_push_progress_note(p, "dlv_new", "psb_x"));
    assert_int_equal(parley_push_progress_size(p), PARLEY_PUSH_PROGRESS_MAX);
    assert_true(parley_push_progress_taken(p, "dlv_0", "psb_x"));
    assert_true(parley_push_progress_taken(p, "dlv_0", "psb_y"));
    assert_false(parley_push_progress_taken(p, "dlv_1", "psb_x"));
    assert_true(parley_push_progress_taken(p, "dlv_2", "psb_x"));
    assert_true(parley_push_progress_taken(p, "dlv_new", "psb_x"));
}

static void ids_too_long_are_refused(void **state) {
    (void)state;
    char long_id[PARLEY_ID_SIZE + 8];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_false(parley_push_progress_note(&progress, long_id, "psb_1"));
    assert_false(parley_push_progress_note(&progress, "dlv_a", long_id));
    assert_false(parley_push_progress_note(&progress, "", "psb_1"));
    assert_int_equal(parley_push_progress_size(&progress), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(taken_until_forgotten, reset, reset),
        cmocka_unit_test_setup_teardown(full_memory_forgets_the_least_recently_touched, reset,
                                        reset),
        cmocka_unit_test_setup_teardown(ids_too_long_are_refused, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

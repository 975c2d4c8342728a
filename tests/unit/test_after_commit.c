/* core/after_commit.c: actions run in order once, or never when discarded;
 * every context is freed either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/after_commit.h"

static char trace[64];
static char a[] = "a", b[] = "b", c[] = "c", x[] = "x", y[] = "y";
static char n1[] = "1", n2[] = "2", n3[] = "3", n4[] = "4";
static int freed;

static void record(void *ctx) {
    strncat(trace, ctx, sizeof trace - strlen(trace) - 1);
}

static void count_free(void *ctx) {
    (void)ctx;
    freed++;
}

static void reset(void) {
    trace[0] = '\0';
    freed = 0;
}

/* A fresh queue with record(first) and record(second), each context freed
 * by count_free. */
static void two_actions(parley_after_commit *q, char *first, char *second) {
    reset();
    memset(q, 0, sizeof *q);
    assert_true(parley_after_commit_add(q, record, first, count_free));
    assert_true(parley_after_commit_add(q, record, second, count_free));
}

static void test_runs_in_order_once(void **state) {
    (void)state;
    parley_after_commit q;
    two_actions(&q, a, b);
    assert_true(parley_after_commit_add(&q, record, c, NULL));
    parley_after_commit_run(&q);
    assert_string_equal(trace, "abc");
    assert_int_equal(freed, 2);
    assert_null(q.head);
    parley_after_commit_run(&q); /* empty: nothing again */
    assert_string_equal(trace, "abc");
}

static void test_discard_frees_without_running(void **state) {
    (void)state;
    parley_after_commit q;
    two_actions(&q, x, y);
    parley_after_commit_discard(&q);
    assert_string_equal(trace, "");
    assert_int_equal(freed, 2);
    assert_null(q.head);
    assert_null(q.tail);
}

static void test_move_appends(void **state) {
    (void)state;
    reset();
    parley_after_commit job = {0};
    parley_after_commit unit = {0};
    parley_after_commit_move(&job, &unit); /* empty into empty */
    assert_null(job.head);
    assert_true(parley_after_commit_add(&job, record, n1, NULL));
    assert_true(parley_after_commit_add(&unit, record, n2, NULL));
    assert_true(parley_after_commit_add(&unit, record, n3, NULL));
    parley_after_commit_move(&job, &unit);
    assert_null(unit.head);
    assert_null(unit.tail);
    assert_true(parley_after_commit_add(&job, record, n4, NULL));
    parley_after_commit_run(&job);
    assert_string_equal(trace, "1234");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_in_order_once),
        cmocka_unit_test(test_discard_frees_without_running),
        cmocka_unit_test(test_move_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

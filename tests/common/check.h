/*
 * check.h - assertions and table shorthands shared by the cmocka programs
 * of tests/unit/ and tests/contract/ (header-only: every test is its own
 * program, and the contract suite links no more than parley_storage).
 *
 * assert_ok(expr) and assert_status(expected, expr) print the message of
 * the parley_error named `err` in the calling scope (a file-wide
 * `static parley_error err;` in the tests that use them), so a failure
 * says why, not only which status came back.
 *
 * Include after <cmocka.h>. Threads: the test's own.
 */
#ifndef PARLEY_TEST_CHECK_H
#define PARLEY_TEST_CHECK_H

#define assert_ok(expr)                                                                            \
    do {                                                                                           \
        parley_status st_ = (expr);                                                                \
        if (st_ != PARLEY_OK) {                                                                    \
            fail_msg("%s -> status %d: %s", #expr, (int)st_, err.message);                         \
        }                                                                                          \
    } while (0)

#define assert_status(expected, expr)                                                              \
    do {                                                                                           \
        parley_status st_ = (expr);                                                                \
        if (st_ != (expected)) {                                                                   \
            fail_msg("%s -> status %d, wanted %d (%s)", #expr, (int)st_, (int)(expected),          \
                     err.message);                                                                 \
        }                                                                                          \
        assert_int_equal(err.status, (expected));                                                  \
    } while (0)

/* One row of a test table run with the file's own setup() and teardown(). */
#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Runs a table declared as `static const struct CMUnitTest name[]`. */
#define RUN_TESTS(table) cmocka_run_group_tests(table, NULL, NULL)

#endif

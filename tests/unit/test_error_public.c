/* core/error.c, parley_error_public: what a client may read of an error.
 * Internal texts (SQLite's, function names) become fixed messages, a full
 * disk says so, and every 503 and 429 carries a Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"

static void test_storage_full_is_public_text(void **state) {
    (void)state;
    parley_error err;
    parley_error_set(&err, PARLEY_E_STORAGE, PARLEY_ERROR_CODE_STORAGE_FULL, "%s",
                     "token_insert: database or disk is full");
    err.internal = true;
    parley_public_error pub;
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "unavailable");
    assert_string_equal(pub.message, "storage is full; try again later");
    assert_int_equal(pub.retry_after_seconds, PARLEY_RETRY_AFTER_STORAGE_S);
}

static void test_storage_and_internal_always_hidden(void **state) {
    (void)state;
    parley_error err;
    parley_public_error pub;
    /* even when nobody marked the text internal */
    parley_error_set(&err, PARLEY_E_STORAGE, NULL, "message_insert: disk I/O error");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "unavailable");
    assert_string_equal(pub.message, "storage is unavailable; try again later");
    assert_int_equal(pub.retry_after_seconds, PARLEY_RETRY_AFTER_STORAGE_S);
    parley_error_set(&err, PARLEY_E_INTERNAL, NULL, "session_load: bad row");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "internal_error");
    assert_string_equal(pub.message, "internal error");
    assert_int_equal(pub.retry_after_seconds, 0);
}

static void test_busy_and_nomem(void **state) {
    (void)state;
    parley_error err;
    parley_public_error pub;
    parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.message, "the server is shutting down"); /* public text stays */
    assert_int_equal(pub.retry_after_seconds, PARLEY_RETRY_AFTER_UNAVAILABLE_S);
    parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "%s", "ticket_update: database is locked");
    err.internal = true;
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "unavailable");
    assert_string_equal(pub.message, "the server is busy; try again later");
    parley_error_set(&err, PARLEY_E_NOMEM, NULL, "%s", "list_sessions: out of memory");
    err.internal = true;
    parley_error_public(&err, &pub);
    assert_string_equal(pub.message, "the server is out of memory; try again later");
    assert_int_equal(pub.retry_after_seconds, PARLEY_RETRY_AFTER_UNAVAILABLE_S);
    /* an explicit delay wins */
    parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the change could not be stored; retry");
    err.retry_after_seconds = 42;
    parley_error_public(&err, &pub);
    assert_int_equal(pub.retry_after_seconds, 42);
}

static void test_other_statuses_unchanged(void **state) {
    (void)state;
    parley_error err;
    parley_public_error pub;
    parley_error_set(&err, PARLEY_E_RATE_LIMITED, NULL, "too many login attempts");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "rate_limited");
    assert_int_equal(pub.retry_after_seconds, 1); /* never 0 on a 429 */
    err.retry_after_seconds = 17;
    parley_error_public(&err, &pub);
    assert_int_equal(pub.retry_after_seconds, 17);
    parley_error_set(&err, PARLEY_E_INVALID, "validation_failed", "topic: must not be empty");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.message, "topic: must not be empty");
    assert_int_equal(pub.retry_after_seconds, 0);
    /* a raw constraint error from storage never shows its text */
    parley_error_set(&err, PARLEY_E_CONFLICT, NULL, "%s",
                     "agent_insert: UNIQUE constraint failed: agents.email");
    err.internal = true;
    parley_error_public(&err, &pub);
    assert_string_equal(pub.code, "conflict");
    assert_null(strstr(pub.message, "agents"));
    /* parley_error_set clears the flag: a service's own text is public */
    parley_error_set(&err, PARLEY_E_CONFLICT, "conflict", "the session is closed");
    parley_error_public(&err, &pub);
    assert_string_equal(pub.message, "the session is closed");
}

static void test_http_status_default(void **state) {
    (void)state;
    assert_int_equal(parley_http_status_retry_after(503), PARLEY_RETRY_AFTER_UNAVAILABLE_S);
    assert_int_equal(parley_http_status_retry_after(404), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storage_full_is_public_text),
        cmocka_unit_test(test_storage_and_internal_always_hidden),
        cmocka_unit_test(test_busy_and_nomem),
        cmocka_unit_test(test_other_statuses_unchanged),
        cmocka_unit_test(test_http_status_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

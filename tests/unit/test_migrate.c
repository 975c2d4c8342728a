/*
 * test_migrate.c - `parleyd migrate`'s table list (storage/migrate.c)
 * against the SQLite schema of this build: every table a freshly migrated
 * database has is one the migration copies or names as derived, so a new
 * schema step's table cannot be left behind silently; a table it does not
 * know fails the check by name. (The PostgreSQL side is checked by the
 * migration itself, integration.test_migrate.postgres.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "storage/migrate.h"

static void test_every_sqlite_table_is_covered(void **state) {
    (void)state;
    test_db tdb;
    test_db_create(&tdb, "migrate");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(tdb.path, &db), SQLITE_OK);
    parley_error err = {0};
    parley_status st = parley_migrate_check_sqlite_tables(db, &err);
    if (st != PARLEY_OK) {
        fail_msg("%s", err.message);
    }
    /* a table a future step adds, unknown to the migration */
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE future_things (id TEXT PRIMARY KEY) STRICT",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(parley_migrate_check_sqlite_tables(db, &err), PARLEY_E_INVALID);
    assert_non_null(strstr(err.message, "future_things"));
    /* a table the migration copies, gone */
    assert_int_equal(
        sqlite3_exec(db, "DROP TABLE future_things; DROP TABLE session_labels", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(parley_migrate_check_sqlite_tables(db, &err), PARLEY_E_INVALID);
    assert_non_null(strstr(err.message, "session_labels"));
    sqlite3_close(db);
    test_db_remove(&tdb);
}

int main(void) {
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sqlite_table_is_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

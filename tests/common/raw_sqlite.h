/*
 * raw_sqlite.h - raw sqlite3 connections of the tests, only to look at or
 * tamper with a database file from outside the repository (counts, query
 * plans, a tampered row). Shared by tests/contract/ and tests/unit/
 * (header-only: every test is its own program).
 *
 * Each call opens the file read-write, waits up to 2 s for a lock, and
 * closes it before returning. Include after <cmocka.h>. Threads: the
 * test's own.
 */
#ifndef PARLEY_TEST_RAW_SQLITE_H
#define PARLEY_TEST_RAW_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

static inline sqlite3 *sqlite_raw_open(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    return db;
}

/* The first column of the first row of sql, which must have a row. */
static inline int64_t sqlite_raw_int(const char *path, const char *sql) {
    sqlite3 *db = sqlite_raw_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

static inline void sqlite_raw_text(const char *path, const char *sql, char *out, size_t size) {
    sqlite3 *db = sqlite_raw_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static inline void sqlite_raw_exec(const char *path, const char *sql) {
    sqlite3 *db = sqlite_raw_open(path);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

#endif

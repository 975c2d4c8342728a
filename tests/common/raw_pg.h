/*
 * raw_pg.h - raw libpq connections of the tests, only to look at or tamper
 * with a PostgreSQL database from outside the repository (counts, a
 * tampered row), and to create and drop the per-test databases on the
 * test cluster (scripts/pg-test-cluster.sh). Header-only, like
 * raw_sqlite.h; include after <cmocka.h>. Threads: the test's own.
 *
 * `conninfo` is a libpq connection string. The test cluster's maintenance
 * conninfo is the one line of the file named by PARLEY_TEST_PG_STATE (the
 * ctest fixture pg_cluster sets it).
 */
#ifndef PARLEY_TEST_RAW_PG_H
#define PARLEY_TEST_RAW_PG_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void pg_raw_quiet(void *arg, const char *message) {
    (void)arg;
    (void)message; /* "database ... does not exist, skipping" and the like */
}

static inline PGconn *pg_raw_open(const char *conninfo) {
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        fail_msg("raw_pg: %s", PQerrorMessage(conn));
    }
    PQsetNoticeProcessor(conn, pg_raw_quiet, NULL);
    return conn;
}

/* Runs sql; it must succeed. The caller PQclear()s the result. */
static inline PGresult *pg_raw_query(PGconn *conn, const char *sql) {
    PGresult *res = PQexec(conn, sql);
    ExecStatusType rs = PQresultStatus(res);
    if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
        fail_msg("raw_pg: %s: %s", sql, PQresultErrorMessage(res));
    }
    return res;
}

/* The first column of the first row of sql, which must have a row; a
 * boolean reads as 1 or 0. */
static inline int64_t pg_raw_int(const char *conninfo, const char *sql) {
    PGconn *conn = pg_raw_open(conninfo);
    PGresult *res = pg_raw_query(conn, sql);
    assert_true(PQntuples(res) >= 1);
    const char *v = PQgetvalue(res, 0, 0);
    int64_t value = v[0] == 't' ? 1 : v[0] == 'f' ? 0 : strtoll(v, NULL, 10);
    PQclear(res);
    PQfinish(conn);
    return value;
}

static inline void pg_raw_text(const char *conninfo, const char *sql, char *out, size_t size) {
    PGconn *conn = pg_raw_open(conninfo);
    PGresult *res = pg_raw_query(conn, sql);
    assert_true(PQntuples(res) >= 1);
    snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
}

static inline void pg_raw_exec(const char *conninfo, const char *sql) {
    PGconn *conn = pg_raw_open(conninfo);
    PQclear(pg_raw_query(conn, sql));
    PQfinish(conn);
}

/* The test cluster's maintenance conninfo into out; false when no cluster
 * was started for this run (PARLEY_TEST_PG_STATE unset or unreadable). */
static inline bool pg_test_cluster(char *out, size_t size) {
    const char *state = getenv("PARLEY_TEST_PG_STATE");
    FILE *f = state != NULL ? fopen(state, "r") : NULL;
    if (f == NULL) {
        return false;
    }
    bool ok = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (ok) {
        out[strcspn(out, "\n")] = '\0';
    }
    return ok && out[0] != '\0';
}

#endif

/*
 * postgres_target.h - the postgres target of the repository contract suite
 * (included by test_repository.c, before its targets[]; it uses that
 * file's fixture, builders and raw access).
 *
 * Each test gets a database of its own, parley_ct_<pid>_<n>, on the test
 * cluster of this run (scripts/pg-test-cluster.sh, started by the ctest
 * fixture pg_cluster), created in make_url and dropped in remove; `where`
 * is its libpq conninfo, the URL postgres:///<db>?host=<socket dir>&....
 *
 * The backend is not complete yet: POSTGRES_NOT_YET (a not_yet_test array)
 * names each contract test that needs an aggregate the backend lacks.
 * main() skips those with the reason printed and counted, and fails when a
 * listed aggregate is no longer missing (the entry must go, the test must
 * run).
 *
 * Threads: the test's own.
 */
#ifndef PARLEY_CONTRACT_POSTGRES_TARGET_H
#define PARLEY_CONTRACT_POSTGRES_TARGET_H

#include "../common/raw_pg.h"

/* The contract tests that need an aggregate this build has no PostgreSQL
 * code for (postgres_repository.h, parley_postgres_missing_aggregates),
 * as {"test_name", "aggregate"} rows (desk, kb and reports, also missing,
 * have no contract tests yet). */
static const not_yet_test postgres_not_yet[] = {
    {"test_notifications_outbox", "notifications"},
    {"test_notification_deliveries", "notifications"},
    {"test_notification_prefs", "notifications"},
    {"test_webhooks", "webhooks"},
    {"test_webhook_deliveries_and_attempts", "webhooks"},
};
#define POSTGRES_NOT_YET postgres_not_yet
#define POSTGRES_NOT_YET_COUNT (sizeof postgres_not_yet / sizeof postgres_not_yet[0])

static int postgres_databases; /* a counter for the databases' names */

static void postgres_make_url(const char *dir, char *url, size_t url_size, char *where,
                              size_t where_size) {
    (void)dir;
    char cluster[256];
    if (!pg_test_cluster(cluster, sizeof cluster)) {
        fail_msg("postgres target: no test cluster (run through ctest, fixture pg_cluster)");
    }
    char name[64];
    snprintf(name, sizeof name, "parley_ct_%ld_%d", (long)getpid(), ++postgres_databases);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    pg_raw_exec(cluster, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    pg_raw_exec(cluster, sql);
    /* cluster is "host=DIR port=P user=U dbname=postgres" (the script's) */
    char host[128] = "", user[64] = "";
    int port = 0;
    if (sscanf(cluster, "host=%127s port=%d user=%63s", host, &port, user) != 3) {
        fail_msg("postgres target: unexpected cluster conninfo %s", cluster);
    }
    snprintf(where, where_size, "host=%s port=%d user=%s dbname=%s", host, port, user, name);
    snprintf(url, url_size, "postgres:///%s?host=%s&port=%d&user=%s", name, host, port, user);
}

static void postgres_remove(const char *where) {
    const char *name = strstr(where, "dbname=");
    char cluster[256];
    if (name == NULL || !pg_test_cluster(cluster, sizeof cluster)) {
        return;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name + strlen("dbname="));
    pg_raw_exec(cluster, sql);
}

/* ---- PostgreSQL's own tests --------------------------------------------- */

static void test_pg_migrate_is_idempotent(void **state) {
    fixture *fx = *state;
    int version = backend->schema_version();
    assert_true(version >= 1);
    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT version FROM schema_version"), version);
    assert_int_equal(pg_raw_int(fx->path, "SELECT count(*) FROM schema_version"), 1);
    const char *tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
                         "tablename IN ('customers', 'agents', 'bots', 'tokens', 'sessions', "
                         "'messages', 'tickets', 'feedback')";
    assert_int_equal(pg_raw_int(fx->path, tables), 8);

    /* again: nothing changes, nothing fails on existing objects */
    const char *objects = "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                          "c.relnamespace WHERE n.nspname = 'public'";
    int64_t before = pg_raw_int(fx->path, objects);
    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT version FROM schema_version"), version);
    assert_int_equal(pg_raw_int(fx->path, objects), before);

    fx->repo = open_repo(fx->url, true, 0);
    add_customer(fx, "cus_1", NULL);
    fx->repo->ops->close(fx->repo);
    fx->repo = NULL;
    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT count(*) FROM customers"), 1);
}

static void test_pg_migrate_refuses_newer_schema(void **state) {
    fixture *fx = *state;
    int version = backend->schema_version();
    assert_ok(storage_migrate(fx->url, &err));
    char sql[64];
    snprintf(sql, sizeof sql, "UPDATE schema_version SET version = %d", version + 1);
    pg_raw_exec(fx->path, sql);

    assert_status(PARLEY_E_STORAGE, storage_migrate(fx->url, &err));
    assert_non_null(strstr(err.message, "newer"));
    assert_int_equal(pg_raw_int(fx->path, "SELECT version FROM schema_version"), version + 1);

    parley_repository dummy = {0};
    parley_repository *repo = &dummy; /* open must reset it to NULL */
    parley_storage_options options = {0};
    assert_status(PARLEY_E_STORAGE, storage_open(fx->url, &options, &repo, &err));
    assert_null(repo);
}

/* A row lock held by another handle past lock_timeout (the busy timeout)
 * is PARLEY_E_UNAVAILABLE (55P03), and the waiting unit rolls back. */
static void test_pg_lock_timeout_is_unavailable(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    parley_repository *other = open_repo(fx->url, true, 50);

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    parley_message m =
        make_message("msg_1", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c1", "hello");
    parley_message_store_result res;
    assert_ok(fx->repo->messages->store(fx->repo, &m, &res, &err));
    assert_int_equal(res.outcome, PARLEY_MESSAGE_STORED);

    /* the session's row is locked by the first handle's store */
    assert_ok(other->ops->begin(other, &err));
    m = make_message("msg_2", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c2", "again");
    assert_status(PARLEY_E_UNAVAILABLE, other->messages->store(other, &m, &res, &err));
    assert_non_null(strstr(err.message, "55P03"));
    assert_ok(other->ops->rollback(other, &err));

    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT last_seq FROM sessions WHERE id = 'ses_1'"), 1);
    other->ops->close(other);
}

/* A statement that fails aborts the PostgreSQL transaction; rollback_to
 * gives the batch back, and what the batch did before the unit commits. */
static void test_pg_failed_unit_leaves_batch_usable(void **state) {
    fixture *fx = *state;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    add_customer(fx, "cus_1", NULL);
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    parley_customer c = {0};
    snprintf(c.id, sizeof c.id, "cus_1");
    c.name = lit("Again");
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->customer_insert(fx->repo, &c, &err));
    assert_non_null(strstr(err.message, "23505"));
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));
    add_customer(fx, "cus_2", NULL);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT count(*) FROM customers"), 2);

    /* a commit of a transaction that failed outside any unit says so */
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->customer_insert(fx->repo, &c, &err));
    assert_status(PARLEY_E_STORAGE, fx->repo->ops->commit(fx->repo, &err));
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT count(*) FROM customers"), 2);
}

/* A connection the server drops answers unavailable, and the handle's next
 * batch reconnects (and prepares its statements again). */
static void test_pg_reconnects_after_server_drop(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    pg_raw_exec(fx->path, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "application_name = 'parleyd' AND datname = current_database()");
    parley_customer c;
    assert_status(PARLEY_E_UNAVAILABLE,
                  fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    assert_true(all_zero(&c, sizeof c));
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    assert_string_equal(c.id, "cus_1");
    parley_customer_free(&c);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
}

/* The registry refuses the scheme while the backend is incomplete. */
static void test_pg_registry_refuses_incomplete(void **state) {
    fixture *fx = *state;
    parley_repository *repo = NULL;
    assert_status(PARLEY_E_INVALID, parley_storage_open(fx->url, NULL, &repo, &err));
    assert_null(repo);
    assert_non_null(strstr(err.message, "not complete in this build"));
    assert_non_null(strstr(err.message, "desk"));
    assert_null(strstr(err.message, "host=")); /* never the rest of the URL */
}

static const struct CMUnitTest postgres_tests[] = {
    cmocka_unit_test_setup_teardown(test_pg_migrate_is_idempotent, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_pg_migrate_refuses_newer_schema, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_pg_lock_timeout_is_unavailable, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_failed_unit_leaves_batch_usable, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_reconnects_after_server_drop, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_registry_refuses_incomplete, setup_files, teardown),
};

#endif

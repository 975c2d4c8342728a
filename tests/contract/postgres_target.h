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
 * Threads: the test's own.
 */
#ifndef PARLEY_CONTRACT_POSTGRES_TARGET_H
#define PARLEY_CONTRACT_POSTGRES_TARGET_H

#include <pthread.h>
#include <time.h>

#include "../common/raw_pg.h"

/* Whether, within 10 s, some backend of the database waits for a lock. */
static bool pg_raw_wait_for_lock_wait(const char *conninfo) {
    for (int i = 0; i < 1000; i++) {
        if (pg_raw_int(conninfo, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND wait_event_type = 'Lock'") > 0) {
            return true;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return false;
}

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

/* Two units that lock two sessions in opposite orders deadlock: the
 * server aborts one (40P01), which answers unavailable and is retryable()
 * (the executor runs such a unit once more); its rollback_to releases its
 * locks, so the other goes on. Run again, the loser's unit succeeds. */
typedef struct deadlock_side {
    parley_repository *repo;
    const char *first_session;
    const char *second_session;
    const char *prefix; /* of its message ids */
    parley_status status;
    bool retryable;
    char message[PARLEY_ERROR_MESSAGE_SIZE];
} deadlock_side;

static parley_status side_store(deadlock_side *side, const char *session_id, int n,
                                parley_error *e) {
    char id[32];
    snprintf(id, sizeof id, "%s%d", side->prefix, n);
    parley_message m =
        make_message(id, session_id, 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "text");
    parley_message_store_result res;
    return side->repo->messages->store(side->repo, &m, &res, e);
}

/* The unit's second store; a loser rolls its unit back right away. */
static void *side_second(void *arg) {
    deadlock_side *side = arg;
    parley_error e = {0};
    side->status = side_store(side, side->second_session, 2, &e);
    side->retryable = side->repo->ops->retryable(side->repo);
    snprintf(side->message, sizeof side->message, "%s", e.message);
    if (side->status != PARLEY_OK) {
        side->repo->ops->rollback_to(side->repo, &e);
    }
    return NULL;
}

/* A batch and its unit, which stores into its first session. */
static void side_start(deadlock_side *side) {
    assert_ok(side->repo->ops->begin(side->repo, &err));
    assert_ok(side->repo->ops->savepoint(side->repo, &err));
    assert_ok(side_store(side, side->first_session, 1, &err));
}

static void test_pg_deadlock_is_retryable(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);
    /* a lock timeout past deadlock_timeout (1 s): the deadlock is found */
    deadlock_side sides[2] = {
        {open_repo(fx->url, true, 10000), "ses_1", "ses_2", "msg_a", PARLEY_OK, false, ""},
        {open_repo(fx->url, true, 10000), "ses_2", "ses_1", "msg_b", PARLEY_OK, false, ""}};
    assert_false(sides[0].repo->ops->retryable(sides[0].repo));
    side_start(&sides[0]);
    side_start(&sides[1]);

    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, side_second, &sides[0]), 0);
    assert_true(pg_raw_wait_for_lock_wait(fx->path));
    side_second(&sides[1]);
    assert_int_equal(pthread_join(thread, NULL), 0);

    deadlock_side *loser = NULL, *winner = NULL;
    for (int i = 0; i < 2; i++) {
        if (sides[i].status == PARLEY_OK) {
            assert_false(sides[i].retryable);
            winner = &sides[i];
            continue;
        }
        assert_null(loser);
        loser = &sides[i];
        assert_int_equal(sides[i].status, PARLEY_E_UNAVAILABLE);
        if (strstr(sides[i].message, "40P01") == NULL) {
            fail_msg("not a deadlock: %s", sides[i].message);
        }
        assert_true(sides[i].retryable);
    }
    assert_non_null(loser);
    assert_non_null(winner);
    assert_ok(winner->repo->ops->release(winner->repo, &err));
    assert_ok(winner->repo->ops->commit(winner->repo, &err));
    /* the loser's unit once more, in its still-open batch */
    assert_ok(loser->repo->ops->savepoint(loser->repo, &err));
    assert_false(loser->repo->ops->retryable(loser->repo)); /* a new unit starts clean */
    assert_ok(side_store(loser, loser->first_session, 1, &err));
    assert_ok(side_store(loser, loser->second_session, 2, &err));
    assert_ok(loser->repo->ops->release(loser->repo, &err));
    assert_ok(loser->repo->ops->commit(loser->repo, &err));
    assert_int_equal(pg_raw_int(fx->path, "SELECT count(*) FROM messages"), 4);
    assert_int_equal(pg_raw_int(fx->path, "SELECT sum(last_seq) FROM sessions"), 4);
    for (int i = 0; i < 2; i++) {
        sides[i].repo->ops->close(sides[i].repo);
    }
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

/* A connection the server drops: a read outside a transaction (the
 * readers') connects again and is sent once more; inside a transaction the
 * statement answers unavailable (the transaction went with the connection,
 * nothing is sent again under it), and the next begin connects again (and
 * prepares the statements again). */
static void test_pg_reconnects_after_server_drop(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    static const char *const drop = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                    "application_name = 'parleyd' AND datname = current_database()";
    pg_raw_exec(fx->path, drop);
    parley_customer c;
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    assert_string_equal(c.id, "cus_1");
    parley_customer_free(&c);

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    pg_raw_exec(fx->path, drop);
    assert_status(PARLEY_E_UNAVAILABLE,
                  fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    assert_true(all_zero(&c, sizeof c));
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    assert_string_equal(c.id, "cus_1");
    parley_customer_free(&c);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    /* dropped between transactions: the begin itself connects again */
    pg_raw_exec(fx->path, drop);
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_1", &c, &err));
    parley_customer_free(&c);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
}

/* The registry offers the backend for postgres: and postgresql: URLs, and
 * a handle has every aggregate's table. */
static void test_pg_through_the_registry(void **state) {
    fixture *fx = *state;
    assert_ok(parley_storage_migrate(fx->url, &err));
    char alias[sizeof fx->url + 8];
    snprintf(alias, sizeof alias, "postgresql:%s", url_rest(fx->url));
    const char *urls[] = {fx->url, alias};
    for (size_t i = 0; i < 2; i++) {
        parley_repository *repo = NULL;
        assert_ok(parley_storage_open(urls[i], NULL, &repo, &err));
        assert_string_equal(repo->ops->name, "postgres");
        const void *tables[] = {
            repo->sessions, repo->messages, repo->accounts,     repo->tickets,
            repo->desk,     repo->tools,    repo->kb,           repo->strategy_stores,
            repo->reports,  repo->search,   repo->retention,    repo->audit,
            repo->uploads,  repo->settings, repo->notifications};
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
            assert_non_null(tables[t]);
        }
        repo->ops->close(repo);
    }
    /* a server that is not there: unavailable, and never the URL's rest */
    parley_repository *repo = NULL;
    assert_status(PARLEY_E_UNAVAILABLE,
                  parley_storage_open("postgres:///nodb?host=/nonexistent-dir&password=secret",
                                      NULL, &repo, &err));
    assert_null(repo);
    assert_null(strstr(err.message, "secret"));
}

static const struct CMUnitTest postgres_tests[] = {
    cmocka_unit_test_setup_teardown(test_pg_migrate_is_idempotent, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_pg_migrate_refuses_newer_schema, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_pg_lock_timeout_is_unavailable, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_failed_unit_leaves_batch_usable, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_deadlock_is_retryable, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_reconnects_after_server_drop, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_pg_through_the_registry, setup_files, teardown),
};

#endif

/*
 * test_storage_backend.c - the storage registry (storage/backend.h): URL
 * lookup (postgres: and its alias), its errors for malformed URLs and
 * unknown schemes, and that every
 * registered backend is complete. Opening and the ops themselves are the
 * contract suite's (tests/contract/). One thread; the one test that opens
 * a database does so in its own mkdtemp() directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/backend.h"

static void test_sqlite_url_finds_the_sqlite_backend(void **state) {
    (void)state;
    parley_error err = {0};
    const parley_storage_backend *backend = NULL;
    const char *rest = NULL;
    assert_int_equal(
        parley_storage_lookup("sqlite:/var/lib/parley/parley.db", &backend, &rest, &err),
        PARLEY_OK);
    assert_non_null(backend);
    assert_string_equal(backend->name, "sqlite");
    assert_string_equal(rest, "/var/lib/parley/parley.db");
    /* a relative path is the backend's business, not the registry's */
    assert_int_equal(parley_storage_lookup("sqlite:./parley-data/parley.db", &backend, &rest, &err),
                     PARLEY_OK);
    assert_string_equal(rest, "./parley-data/parley.db");
}

static void test_malformed_urls_are_invalid(void **state) {
    (void)state;
    const char *bad[] = {
        "",                    /* nothing */
        "/var/lib/parley.db",  /* a bare path: no scheme */
        "parley.db",           /* no colon at all */
        ":/var/lib/parley.db", /* empty scheme */
        "sqlite:",             /* nothing after the scheme */
        "1sqlite:/x.db",       /* a scheme starts with a letter */
        "sq lite:/x.db",       /* and has no spaces */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parley_error err = {0};
        const parley_storage_backend *backend = (const parley_storage_backend *)&err;
        const char *rest = "";
        assert_int_equal(parley_storage_lookup(bad[i], &backend, &rest, &err), PARLEY_E_INVALID);
        assert_null(backend);
        assert_null(rest);
        assert_non_null(strstr(err.message, "malformed"));
    }
    parley_error err = {0};
    const parley_storage_backend *backend = NULL;
    const char *rest = NULL;
    assert_int_equal(parley_storage_lookup(NULL, &backend, &rest, &err), PARLEY_E_INVALID);
}

static void test_unknown_scheme_names_the_known_ones(void **state) {
    (void)state;
    parley_error err = {0};
    const parley_storage_backend *backend = NULL;
    const char *rest = NULL;
    assert_int_equal(
        parley_storage_lookup("mysql://parley:secret@db/parley", &backend, &rest, &err),
        PARLEY_E_INVALID);
    assert_null(backend);
    assert_non_null(strstr(err.message, "unknown scheme \"mysql:\""));
    assert_non_null(strstr(err.message, "sqlite:"));
    assert_null(strstr(err.message, "secret")); /* the rest never reaches messages */
    /* schemes compare exactly */
    assert_int_equal(parley_storage_lookup("SQLITE:/x.db", &backend, &rest, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(parley_storage_lookup("sqlite3:/x.db", &backend, &rest, &err),
                     PARLEY_E_INVALID);
    /* open and migrate answer the same without touching anything */
    parley_repository *repo = (parley_repository *)&err;
    assert_int_equal(parley_storage_open("nosuch:/x", NULL, &repo, &err), PARLEY_E_INVALID);
    assert_null(repo);
    assert_int_equal(parley_storage_migrate("nosuch:/x", &err), PARLEY_E_INVALID);
    assert_int_equal(parley_storage_migrate("no-colon", &err), PARLEY_E_INVALID);
}

/* postgres: and its alias postgresql: find the postgres backend and hand
 * it the whole rest (libpq's URI); other spellings do not. */
static void test_postgres_urls_find_the_postgres_backend(void **state) {
    (void)state;
    parley_error err = {0};
    const parley_storage_backend *backend = NULL;
    const char *rest = NULL;
    assert_int_equal(
        parley_storage_lookup("postgres://parley:secret@db/parley", &backend, &rest, &err),
        PARLEY_OK);
    assert_string_equal(backend->name, "postgres");
    assert_string_equal(rest, "//parley:secret@db/parley");
    backend = NULL;
    assert_int_equal(
        parley_storage_lookup("postgresql://db/parley?sslmode=require", &backend, &rest, &err),
        PARLEY_OK);
    assert_string_equal(backend->name, "postgres");
    assert_string_equal(rest, "//db/parley?sslmode=require");
    const char *other[] = {"POSTGRES://db/x", "postgre://db/x", "postgresqlx://db/x", "pg://db/x"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        assert_int_equal(parley_storage_lookup(other[i], &backend, &rest, &err), PARLEY_E_INVALID);
        assert_null(backend);
        assert_non_null(strstr(err.message, "unknown scheme"));
        assert_non_null(strstr(err.message, "postgres:"));
    }
}

/* Every row has every entry point, a distinct scheme, and a schema. */
static void test_every_backend_is_complete(void **state) {
    (void)state;
    size_t count = 0;
    for (size_t i = 0; parley_storage_backends[i] != NULL; i++, count++) {
        const parley_storage_backend *b = parley_storage_backends[i];
        assert_non_null(b->name);
        assert_non_null(b->scheme);
        assert_true(strlen(b->scheme) > 0 && strchr(b->scheme, ':') == NULL);
        assert_non_null(b->open);
        assert_non_null(b->migrate);
        assert_non_null(b->schema_version);
        assert_true(b->schema_version() > 0);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(parley_storage_backends[j]->scheme, b->scheme);
        }
    }
    assert_true(count >= 1);
}

/* Through the registry, a handle is the backend's: its name and every
 * aggregate table are set. */
static void test_open_through_the_registry(void **state) {
    (void)state;
    char dir[] = "/tmp/parley-backend-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/parley.db", dir);
    parley_error err = {0};
    assert_int_equal(parley_storage_migrate(url, &err), PARLEY_OK);
    parley_storage_options options = {.durable = false, .busy_timeout_ms = 0};
    parley_repository *repo = NULL;
    assert_int_equal(parley_storage_open(url, &options, &repo, &err), PARLEY_OK);
    assert_string_equal(repo->ops->name, "sqlite");
    const void *tables[] = {repo->sessions, repo->messages, repo->accounts, repo->tickets,
                            repo->desk,     repo->tools,    repo->kb,       repo->strategy_stores,
                            repo->reports,  repo->search,   repo->audit,    repo->uploads,
                            repo->settings};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        assert_non_null(tables[i]);
    }
    repo->ops->close(repo);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char file[160];
        snprintf(file, sizeof file, "%s/parley.db%s", dir, suffixes[i]);
        unlink(file);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_url_finds_the_sqlite_backend),
        cmocka_unit_test(test_malformed_urls_are_invalid),
        cmocka_unit_test(test_unknown_scheme_names_the_known_ones),
        cmocka_unit_test(test_postgres_urls_find_the_postgres_backend),
        cmocka_unit_test(test_every_backend_is_complete),
        cmocka_unit_test(test_open_through_the_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

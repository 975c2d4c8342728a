/*
 * fixture.h - the fixture the unit tests that need a real database share
 * (test_send_pipeline.c, test_chat_facade.c, test_routing.c, test_events.c,
 * test_retention.c, test_upload_race.c): a fresh mkdtemp() directory with
 * a migrated SQLite database in it, a facade over it as the server builds
 * one, and the participants and units of work the tests start from.
 *
 * Built once as the static library parley_test_fixture (CMakeLists.txt)
 * and linked into every tests/unit/test_*.c program. Every helper asserts
 * with cmocka, so a failed setup fails the test that called it.
 *
 * Ownership: a test_db's directory belongs to the test until
 * test_db_remove(); a test_desk owns its repository connection, facade and
 * registries until test_desk_close(); participants returned here are the
 * caller's (parley_participant_free). Threads: the test's own thread only
 * (one connection per desk, like one executor worker).
 */
#ifndef PARLEY_TEST_FIXTURE_H
#define PARLEY_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/chat_facade.h"
#include "core/event.h"
#include "core/strategy.h"

/* A fresh directory with a migrated database in it. */
typedef struct test_db {
    char dir[64];   /* /tmp/parley-<name>-XXXXXX */
    char path[128]; /* <dir>/parley.db */
    char url[160];  /* sqlite:<path>, for the storage registry */
} test_db;

/* Makes the directory and migrates a database in it. */
void test_db_create(test_db *db, const char *name);
/* A connection of its own (not durable, 1 s busy timeout). */
parley_repository *test_db_open(const test_db *db);
/* Removes the directory and everything in it. */
void test_db_remove(const test_db *db);

/* A facade over a fresh database, as the server's workers have one. */
typedef struct test_desk {
    test_db db;
    parley_config config;              /* defaults, fast password hashing */
    parley_strategy_registry registry; /* empty: a test registers its own */
    parley_event_registry events;      /* the desk's in-unit subscribers, or none */
    parley_repository *repo;
    parley_facade facade;
} test_desk;

/* test_desk_open flags */
enum {
    /* the ChatBot's and the routing's in-unit subscribers, as the server
     * registers them */
    TEST_DESK_SUBSCRIBERS = 1u << 0,
};

void test_desk_open(test_desk *d, const char *name, unsigned flags);
/* Closes everything and removes the directory. */
void test_desk_close(test_desk *d);
/* Closes everything but leaves the database to the caller (d->db). */
void test_desk_close_keeping_db(test_desk *d);

parley_chat_service *test_chat(test_desk *d);

/* A customer registered (a new one) and authenticated by their token. */
parley_participant *test_new_customer(parley_facade *f, const char *name);
/* Whoever the token belongs to. */
parley_participant *test_authenticate(parley_facade *f, const char *token);
/* An agent created through the account service (role "agent" or "admin"). */
void test_new_agent(parley_facade *f, const char *name, const char *email, const char *password,
                    const char *role);
/* An agent logged in with email and password, authenticated by the token. */
parley_participant *test_login(parley_facade *f, const char *email, const char *password);

/* A session the customer starts (strategies: a chain's JSON or NULL, set
 * as the desk's strategies.policy for this session and put back to the
 * initial policy after: customers cannot choose a chain); the events of
 * that unit are dropped. */
void test_start_session(test_desk *d, const parley_participant *customer, const char *topic,
                        const char *strategies, parley_session *out);

/* A unit of work as the writer runs one: begin, then commit when keep is
 * true, else roll back. */
void test_unit_begin(parley_repository *repo);
void test_unit_end(parley_repository *repo, bool keep);

/* How many events of that type the facade's current unit has emitted. */
size_t test_count_events(parley_facade *f, parley_event_type type);

#endif

/* fixture.c - see fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#include "core/chat_bot.h"
#include "core/ids.h"
#include "core/routing.h"
#include "storage/backend.h"

void test_db_create(test_db *db, const char *name) {
    memset(db, 0, sizeof *db);
    snprintf(db->dir, sizeof db->dir, "/tmp/parley-%s-XXXXXX", name);
    assert_non_null(mkdtemp(db->dir));
    snprintf(db->path, sizeof db->path, "%s/parley.db", db->dir);
    snprintf(db->url, sizeof db->url, "sqlite:%s", db->path);
    parley_error err = {0};
    if (parley_storage_migrate(db->url, &err) != PARLEY_OK) {
        fail_msg("migrate %s: %s", db->url, err.message);
    }
}

parley_repository *test_db_open(const test_db *db) {
    parley_storage_options options = {.durable = false, .busy_timeout_ms = 1000};
    parley_repository *repo = NULL;
    parley_error err = {0};
    if (parley_storage_open(db->url, &options, &repo, &err) != PARLEY_OK) {
        fail_msg("open %s: %s", db->url, err.message);
    }
    return repo;
}

void test_db_remove(const test_db *db) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", db->dir);
    assert_int_equal(system(cmd), 0);
}

void test_desk_open(test_desk *d, const char *name, unsigned flags) {
    memset(d, 0, sizeof *d);
    test_db_create(&d->db, name);
    parley_config_defaults(&d->config);
    d->config.password_memlimit_kib = 19456; /* the smallest libsodium allows: fast */
    d->repo = test_db_open(&d->db);
    parley_facade_init(&d->facade, d->repo, &d->registry, &d->config, NULL);
    if (flags & TEST_DESK_SUBSCRIBERS) {
        parley_event_registry_init(&d->events);
        assert_true(parley_bot_subscribe(&d->events));
        assert_true(parley_routing_subscribe(&d->events));
        parley_event_registry_seal(&d->events);
        parley_facade_set_event_registry(&d->facade, &d->events);
    }
}

void test_desk_close_keeping_db(test_desk *d) {
    parley_facade_destroy(&d->facade);
    d->repo->ops->close(d->repo);
    parley_config_free(&d->config);
}

void test_desk_close(test_desk *d) {
    test_desk_close_keeping_db(d);
    test_db_remove(&d->db);
}

parley_chat_service *test_chat(test_desk *d) {
    return parley_facade_chat(&d->facade);
}

parley_participant *test_authenticate(parley_facade *f, const char *token) {
    parley_participant *p = NULL;
    parley_error err = {0};
    if (parley_account_authenticate(parley_facade_accounts(f), token, &p, &err) != PARLEY_OK) {
        fail_msg("authenticate: %s", err.message);
    }
    return p;
}

parley_participant *test_new_customer(parley_facade *f, const char *name) {
    parley_customer_input in = {.name = name};
    parley_customer c = {0};
    char token[PARLEY_TOKEN_SIZE];
    parley_error err = {0};
    bool existing = true;
    assert_int_equal(parley_account_register_customer(parley_facade_accounts(f), &in, &c, &existing,
                                                      token, &err),
                     PARLEY_OK);
    assert_false(existing);
    parley_customer_free(&c);
    return test_authenticate(f, token);
}

void test_new_agent(parley_facade *f, const char *name, const char *email, const char *password,
                    const char *role) {
    parley_agent agent = {0};
    parley_agent_input in = {.name = name, .email = email, .password = password, .role = role};
    parley_error err = {0};
    if (parley_account_create_agent(parley_facade_accounts(f), &in, &agent, &err) != PARLEY_OK) {
        fail_msg("create agent %s: %s", email, err.message);
    }
    parley_agent_free(&agent);
}

parley_participant *test_login(parley_facade *f, const char *email, const char *password) {
    char token[PARLEY_TOKEN_SIZE];
    parley_agent logged = {0};
    parley_error err = {0};
    if (parley_account_login(parley_facade_accounts(f), email, password, token, &logged, &err) !=
        PARLEY_OK) {
        fail_msg("login %s: %s", email, err.message);
    }
    parley_agent_free(&logged);
    return test_authenticate(f, token);
}

/* Stores the desk's strategy policy as an admin would (core/settings.h). */
static void set_policy(test_desk *d, const char *policy_json) {
    parley_error err = {0};
    if (d->repo->settings->put(d->repo, "strategies.policy", policy_json, "test", parley_now_ms(),
                               &err) != PARLEY_OK) {
        fail_msg("set strategies.policy: %s", err.message);
    }
}

void test_start_session(test_desk *d, const parley_participant *customer, const char *topic,
                        const char *strategies, parley_session *out) {
    parley_error err = {0};
    char policy[1024];
    if (strategies != NULL) {
        assert_true((size_t)snprintf(policy, sizeof policy, "{\"chain\":%s}", strategies) <
                    sizeof policy);
        set_policy(d, policy);
    }
    parley_status st = parley_chat_initiate(test_chat(d), customer, topic, NULL, out, &err);
    if (strategies != NULL) {
        set_policy(d, "{}");
    }
    if (st != PARLEY_OK) {
        fail_msg("start a session: %s", err.message);
    }
    parley_facade_drop_events(&d->facade);
}

void test_unit_begin(parley_repository *repo) {
    parley_error err = {0};
    assert_int_equal(repo->ops->begin(repo, &err), PARLEY_OK);
}

void test_unit_end(parley_repository *repo, bool keep) {
    parley_error err = {0};
    if (keep) {
        assert_int_equal(repo->ops->commit(repo, &err), PARLEY_OK);
    } else {
        assert_int_equal(repo->ops->rollback(repo, &err), PARLEY_OK);
    }
}

size_t test_count_events(parley_facade *f, parley_event_type type) {
    size_t n = 0;
    for (parley_event *e = parley_facade_chat(f)->events.head; e != NULL; e = e->next) {
        n += e->type == type;
    }
    return n;
}

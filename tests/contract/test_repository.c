/*
 * test_repository.c - the repository contract suite: every test runs
 * against every backend of the storage registry (storage/backend.h), each
 * on a fresh database of its own in a fresh mkdtemp() directory.
 *
 * A backend takes part through its row in targets[] below: how to make the
 * URL of a fresh database in a directory, how to drop it, and raw access
 * (a query from outside the repository, to look at or tamper with the
 * stored data). A registered backend without a target fails the suite.
 * Tests in contract_tests[] hold for every backend; a target's own
 * specific[] tests cover what only that backend has (SQLite: the schema
 * version pragma, WAL, its lock semantics). PARLEY_CONTRACT_BACKEND=<name>
 * runs one backend only (ctest runs sqlite and postgres as two tests;
 * postgres_target.h); without it, postgres is skipped when no test
 * cluster runs.
 *
 * Long (~2600 lines) on purpose: the contract for every aggregate must run
 * through the one targets[] table and contract_tests[] list, and this file
 * holds the aggregates not yet moved out, in sections; the others are in
 * headers of their own included where their section stood
 * (desk_kb_reports.h, notifications.h, push.h, several_writers.h,
 * contacts.h), each using the fixture and builders above. It grew by the
 * audit filters, label colours, sessions->list_by_ids and the search
 * snippet's markup; the next split is unchanged: accounts (with audit) and
 * sessions/messages (with search) into headers of their own.
 *
 * Each test owns its fixture (directory, database, handle) and removes it
 * in teardown; tests run on one thread.
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
#include <sqlite3.h>

#include <jansson.h>

#include "../common/check.h"
#include "../common/raw_sqlite.h"
#include "storage/backend.h"
#include "storage/postgres/postgres_repository.h"

typedef struct fixture {
    char dir[64];
    char path[128]; /* where the target's raw access looks (sqlite: the file) */
    char url[160];
    parley_repository *repo;
} fixture;

/* How one backend takes part; see the top of the file. */
typedef struct contract_target {
    const char *backend; /* its parley_storage_backend name */
    void (*make_url)(const char *dir, char *url, size_t url_size, char *where, size_t where_size);
    void (*remove)(const char *where);
    int64_t (*raw_int)(const char *where, const char *sql);
    void (*raw_text)(const char *where, const char *sql, char *out, size_t size);
    void (*raw_exec)(const char *where, const char *sql);
    const struct CMUnitTest *specific;
    size_t specific_count;
} contract_target;

/* The backend and target of the group being run (main). */
static const parley_storage_backend *backend;
static const contract_target *target;

/* One error record for the whole file: assert_ok prints its message. */
static parley_error err;

/* parley_storage_open / _migrate on the backend being run, through its row. */
static const char *url_rest(const char *url) {
    size_t len = strlen(backend->scheme);
    assert_true(strncmp(url, backend->scheme, len) == 0 && url[len] == ':');
    return url + len + 1;
}

static parley_status storage_open(const char *url, const parley_storage_options *options,
                                  parley_repository **out, parley_error *e) {
    *out = NULL;
    return backend->open(url_rest(url), options, out, e);
}

static parley_status storage_migrate(const char *url, parley_error *e) {
    return backend->migrate(url_rest(url), e);
}

/* ---- fixture ------------------------------------------------------------ */

static int setup_files(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/parley-contract-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    target->make_url(fx->dir, fx->url, sizeof fx->url, fx->path, sizeof fx->path);
    parley_error_clear(&err);
    *state = fx;
    return 0;
}

static parley_repository *open_repo(const char *url, bool durable, int busy_timeout_ms) {
    parley_storage_options options = {.durable = durable, .busy_timeout_ms = busy_timeout_ms};
    parley_repository *repo = NULL;
    assert_ok(storage_open(url, &options, &repo, &err));
    assert_non_null(repo);
    assert_string_equal(repo->ops->name, backend->name);
    return repo;
}

static int setup_repo(void **state) {
    setup_files(state);
    fixture *fx = *state;
    assert_ok(storage_migrate(fx->url, &err));
    fx->repo = open_repo(fx->url, false, 0);
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    if (fx->repo != NULL) {
        fx->repo->ops->close(fx->repo);
    }
    target->remove(fx->path);
    assert_int_equal(rmdir(fx->dir), 0);
    free(fx);
    return 0;
}

/* ---- the sqlite target ---------------------------------------------------- */

/* Raw sqlite3 connections: tests/common/raw_sqlite.h. */

static void sqlite_make_url(const char *dir, char *url, size_t url_size, char *where,
                            size_t where_size) {
    snprintf(where, where_size, "%s/parley.db", dir);
    snprintf(url, url_size, "sqlite:%s", where);
}

static void sqlite_remove(const char *path) {
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char file[160];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
}

/* ---- raw access through the target ----------------------------------------- */

static int64_t raw_int(const char *where, const char *sql) {
    return target->raw_int(where, sql);
}

static void raw_text(const char *where, const char *sql, char *out, size_t size) {
    target->raw_text(where, sql, out, size);
}

static void raw_exec(const char *where, const char *sql) {
    target->raw_exec(where, sql);
}

/* ---- builders ------------------------------------------------------------ */

/* Builders keep pointers to literals in the model's char * fields; they are
 * only ever passed to inserts, never freed. */
static char *lit(const char *s) {
    return (char *)(uintptr_t)s;
}

static void add_customer(fixture *fx, const char *id, const char *identifier) {
    parley_customer c = {0};
    snprintf(c.id, sizeof c.id, "%s", id);
    c.name = lit("Ada");
    c.identifier = lit(identifier);
    c.created_at = 1000;
    assert_ok(fx->repo->accounts->customer_insert(fx->repo, &c, &err));
}

static void add_agent(fixture *fx, const char *id, const char *email) {
    parley_agent a = {0};
    snprintf(a.id, sizeof a.id, "%s", id);
    a.name = lit("Agent");
    a.email = lit(email);
    a.role = PARLEY_ROLE_AGENT;
    a.status = PARLEY_AGENT_OFFLINE;
    a.active = true;
    a.created_at = 2000;
    assert_ok(fx->repo->accounts->agent_insert(fx->repo, &a, "$argon2id$hash", &err));
}

static void add_session(fixture *fx, const char *id, const char *customer_id,
                        parley_session_status status) {
    parley_session s = {0};
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.customer_id, sizeof s.customer_id, "%s", customer_id);
    s.topic = lit("billing");
    s.strategies_json = lit("[\"profanity\"]");
    s.status = status;
    s.created_at = 3000;
    s.updated_at = 3000;
    assert_ok(fx->repo->sessions->insert(fx->repo, &s, &err));
}

static parley_message make_message(const char *id, const char *session_id, int64_t seq,
                                   parley_participant_kind kind, const char *sender_id,
                                   const char *client_msg_id, const char *content) {
    parley_message m = {0};
    snprintf(m.id, sizeof m.id, "%s", id);
    snprintf(m.session_id, sizeof m.session_id, "%s", session_id);
    m.seq = seq;
    m.sender_kind = kind;
    snprintf(m.sender_id, sizeof m.sender_id, "%s", sender_id);
    m.type = PARLEY_MESSAGE_TEXT;
    m.content = lit(content);
    m.client_msg_id = lit(client_msg_id);
    m.created_at = 4000 + seq;
    return m;
}

static void add_ticket(fixture *fx, const char *id, const char *session_id,
                       parley_ticket_status status) {
    parley_ticket t = {0};
    snprintf(t.id, sizeof t.id, "%s", id);
    snprintf(t.session_id, sizeof t.session_id, "%s", session_id);
    t.issue_description = lit("printer on fire");
    t.status = status;
    t.created_at = 5000;
    t.updated_at = 5000;
    assert_ok(fx->repo->tickets->insert(fx->repo, &t, &err));
}

static bool all_zero(const void *p, size_t size) {
    const unsigned char *bytes = p;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != 0) {
            return false;
        }
    }
    return true;
}

/* ---- schema and migrations ----------------------------------------------- */

static void test_migrate_is_idempotent(void **state) {
    fixture *fx = *state;
    int version = backend->schema_version();
    assert_true(version >= 1);

    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), version);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                       "AND name IN ('customers', 'agents', 'bots', 'tokens', "
                                       "'sessions', 'messages', 'tickets', 'feedback')"),
                     8);
    char mode[16];
    raw_text(fx->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");

    /* Running again changes nothing and does not fail on existing tables. */
    int64_t objects = raw_int(fx->path, "SELECT count(*) FROM sqlite_schema");
    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), version);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM sqlite_schema"), objects);

    /* Data written between runs survives a re-run. */
    parley_repository *repo = open_repo(fx->url, true, 0);
    fx->repo = repo;
    add_customer(fx, "cus_1", NULL);
    repo->ops->close(repo);
    fx->repo = NULL;
    assert_ok(storage_migrate(fx->url, &err));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM customers"), 1);
}

static void test_migrate_refuses_newer_schema(void **state) {
    fixture *fx = *state;
    int version = backend->schema_version();
    assert_ok(storage_migrate(fx->url, &err));
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
    raw_exec(fx->path, sql);

    assert_status(PARLEY_E_STORAGE, storage_migrate(fx->url, &err));
    assert_non_null(strstr(err.message, "newer"));
    assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), version + 1);

    parley_repository dummy = {0};
    parley_repository *repo = &dummy; /* open must reset it to NULL */
    parley_storage_options options = {0};
    assert_status(PARLEY_E_STORAGE, storage_open(fx->url, &options, &repo, &err));
    assert_null(repo);
}

static void test_open_refuses_unmigrated_database(void **state) {
    fixture *fx = *state;
    parley_repository *repo = NULL;
    assert_status(PARLEY_E_STORAGE, storage_open(fx->url, NULL, &repo, &err));
    assert_null(repo);
    assert_non_null(strstr(err.message, "migration"));

    /* After migrating, the same file opens, with default options too. */
    assert_ok(storage_migrate(fx->url, &err));
    assert_ok(storage_open(fx->url, NULL, &repo, &err));
    assert_non_null(repo);
    repo->ops->close(repo);
}

/* ---- customers ------------------------------------------------------------ */

static void test_customers(void **state) {
    fixture *fx = *state;
    parley_customer c = {0};
    snprintf(c.id, sizeof c.id, "cus_full");
    c.name = lit("Grace Hopper");
    c.email = lit("grace@example.com");
    c.identifier = lit("site-user-42");
    c.language = lit("en-US");
    c.verified = true;
    c.created_at = 1732427359123;
    assert_ok(fx->repo->accounts->customer_insert(fx->repo, &c, &err));

    parley_customer got;
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_full", &got, &err));
    assert_string_equal(got.id, "cus_full");
    assert_string_equal(got.name, "Grace Hopper");
    assert_string_equal(got.email, "grace@example.com");
    assert_string_equal(got.identifier, "site-user-42");
    assert_string_equal(got.language, "en-US");
    assert_true(got.verified);
    assert_int_equal(got.created_at, 1732427359123);
    parley_customer_free(&got);

    assert_ok(
        fx->repo->accounts->customer_find_by_identifier(fx->repo, "site-user-42", &got, &err));
    assert_string_equal(got.id, "cus_full");
    parley_customer_free(&got);

    /* NULL fields stay NULL. */
    add_customer(fx, "cus_anon", NULL);
    assert_ok(fx->repo->accounts->customer_get(fx->repo, "cus_anon", &got, &err));
    assert_string_equal(got.name, "Ada");
    assert_null(got.email);
    assert_null(got.identifier);
    assert_null(got.language);
    assert_false(got.verified);
    parley_customer_free(&got);

    /* A second anonymous customer: NULL identifiers do not collide. */
    add_customer(fx, "cus_anon2", NULL);

    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->accounts->customer_get(fx->repo, "cus_nope", &got, &err));
    assert_true(all_zero(&got, sizeof got));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->accounts->customer_find_by_identifier(fx->repo, "nobody", &got, &err));
    assert_true(all_zero(&got, sizeof got));

    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->customer_insert(fx->repo, &c, &err));
    snprintf(c.id, sizeof c.id, "cus_other");
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->customer_insert(fx->repo, &c, &err));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM customers"), 3);
}

/* ---- agents --------------------------------------------------------------- */

static void test_agents(void **state) {
    fixture *fx = *state;
    int64_t count = -1;
    assert_ok(fx->repo->accounts->agent_count(fx->repo, &count, &err));
    assert_int_equal(count, 0);
    parley_agent_list list;
    assert_ok(fx->repo->accounts->agent_list(fx->repo, &list, &err));
    assert_int_equal(list.count, 0);
    parley_agent_list_free(&list);

    parley_agent a = {0};
    snprintf(a.id, sizeof a.id, "agt_admin");
    a.name = lit("Root");
    a.email = lit("Root@Example.COM");
    a.language = lit("de");
    a.role = PARLEY_ROLE_ADMIN;
    a.status = PARLEY_AGENT_BUSY;
    a.active = true;
    a.created_at = 100;
    assert_ok(fx->repo->accounts->agent_insert(fx->repo, &a, "$argon2id$v=19$secret-hash", &err));
    add_agent(fx, "agt_b", "b@example.com");

    parley_agent got;
    assert_ok(fx->repo->accounts->agent_get(fx->repo, "agt_admin", &got, &err));
    assert_string_equal(got.name, "Root");
    assert_string_equal(got.email, "Root@Example.COM");
    assert_string_equal(got.language, "de");
    assert_int_equal(got.role, PARLEY_ROLE_ADMIN);
    assert_int_equal(got.status, PARLEY_AGENT_BUSY);
    assert_true(got.active);
    assert_int_equal(got.created_at, 100);
    parley_agent_free(&got);

    char *hash = NULL;
    assert_ok(
        fx->repo->accounts->agent_get_by_email(fx->repo, "root@example.com", &got, &hash, &err));
    assert_string_equal(got.id, "agt_admin");
    assert_string_equal(hash, "$argon2id$v=19$secret-hash");
    free(hash);
    parley_agent_free(&got);
    /* The hash is optional output. */
    assert_ok(
        fx->repo->accounts->agent_get_by_email(fx->repo, "ROOT@EXAMPLE.COM", &got, NULL, &err));
    assert_string_equal(got.id, "agt_admin");
    parley_agent_free(&got);

    hash = lit("untouched");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->agent_get_by_email(
                                          fx->repo, "nobody@example.com", &got, &hash, &err));
    assert_null(hash);
    assert_true(all_zero(&got, sizeof got));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->accounts->agent_get(fx->repo, "agt_nope", &got, &err));

    /* Email uniqueness ignores case; the error never echoes the hash. */
    snprintf(a.id, sizeof a.id, "agt_dup");
    a.email = lit("ROOT@example.com");
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->agent_insert(
                                         fx->repo, &a, "$argon2id$v=19$other-secret", &err));
    assert_null(strstr(err.message, "secret"));
    assert_null(strstr(err.message, "ROOT@"));

    /* An enum out of range is refused, not stored as "unknown". */
    snprintf(a.id, sizeof a.id, "agt_bad");
    a.email = lit("bad@example.com");
    a.role = (parley_agent_role)7;
    assert_status(PARLEY_E_INVALID, fx->repo->accounts->agent_insert(fx->repo, &a, "h", &err));

    assert_ok(fx->repo->accounts->agent_count(fx->repo, &count, &err));
    assert_int_equal(count, 2);
    assert_ok(fx->repo->accounts->agent_list(fx->repo, &list, &err));
    assert_int_equal(list.count, 2);
    /* Oldest first. */
    assert_string_equal(list.items[0].id, "agt_admin");
    assert_string_equal(list.items[1].id, "agt_b");
    assert_string_equal(list.items[1].email, "b@example.com");
    assert_int_equal(list.items[1].role, PARLEY_ROLE_AGENT);
    parley_agent_list_free(&list);

    /* Stored enums are readable by humans. */
    char text[32];
    raw_text(fx->path, "SELECT role || '/' || status FROM agents WHERE id = 'agt_admin'", text,
             sizeof text);
    assert_string_equal(text, "admin/busy");
}

/* ---- bots ----------------------------------------------------------------- */

static void test_bots(void **state) {
    fixture *fx = *state;
    parley_bot b = {0};
    snprintf(b.id, sizeof b.id, "bot_1");
    b.name = lit("Helper");
    b.active = true;
    b.created_at = 77;
    assert_ok(fx->repo->accounts->bot_insert(fx->repo, &b, &err));

    parley_bot got;
    assert_ok(fx->repo->accounts->bot_get(fx->repo, "bot_1", &got, &err));
    assert_string_equal(got.id, "bot_1");
    assert_string_equal(got.name, "Helper");
    assert_true(got.active);
    assert_int_equal(got.created_at, 77);
    parley_bot_free(&got);

    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->bot_get(fx->repo, "bot_2", &got, &err));
    assert_true(all_zero(&got, sizeof got));
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->bot_insert(fx->repo, &b, &err));

    /* A required id may not be empty. */
    b.id[0] = '\0';
    assert_status(PARLEY_E_INVALID, fx->repo->accounts->bot_insert(fx->repo, &b, &err));
}

/* Schema 2: agents change role and activity, bots are listed and revoked,
 * an owner's tokens go at once, sessions carry an attached bot. */
static void test_account_management(void **state) {
    fixture *fx = *state;
    add_agent(fx, "agt_1", "one@example.com");
    add_agent(fx, "agt_2", "two@example.com");
    int64_t admins = -1;
    assert_ok(fx->repo->accounts->agent_count_active_admins(fx->repo, &admins, &err));
    assert_int_equal(admins, 0);
    parley_agent a;
    assert_ok(fx->repo->accounts->agent_get(fx->repo, "agt_2", &a, &err));
    a.role = PARLEY_ROLE_ADMIN;
    a.status = PARLEY_AGENT_BUSY;
    assert_ok(fx->repo->accounts->agent_update(fx->repo, &a, &err));
    parley_agent_free(&a);
    assert_ok(fx->repo->accounts->agent_count_active_admins(fx->repo, &admins, &err));
    assert_int_equal(admins, 1);
    assert_ok(fx->repo->accounts->agent_get(fx->repo, "agt_2", &a, &err));
    assert_int_equal(a.role, PARLEY_ROLE_ADMIN);
    assert_int_equal(a.status, PARLEY_AGENT_BUSY);
    a.active = false;
    assert_ok(fx->repo->accounts->agent_update(fx->repo, &a, &err));
    snprintf(a.id, sizeof a.id, "agt_missing");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->agent_update(fx->repo, &a, &err));
    parley_agent_free(&a);
    assert_ok(fx->repo->accounts->agent_count_active_admins(fx->repo, &admins, &err));
    assert_int_equal(admins, 0); /* a deactivated admin does not count */

    for (int i = 1; i <= 2; i++) {
        parley_bot b = {0};
        snprintf(b.id, sizeof b.id, "bot_%d", i);
        b.name = lit(i == 1 ? "First" : "Second");
        b.active = true;
        b.created_at = 100 + i;
        assert_ok(fx->repo->accounts->bot_insert(fx->repo, &b, &err));
    }
    parley_bot_list bots;
    assert_ok(fx->repo->accounts->bot_list(fx->repo, &bots, &err));
    assert_int_equal(bots.count, 2);
    assert_string_equal(bots.items[0].name, "First");
    bots.items[1].active = false;
    assert_ok(fx->repo->accounts->bot_update(fx->repo, &bots.items[1], &err));
    parley_bot_list_free(&bots);
    parley_bot got;
    assert_ok(fx->repo->accounts->bot_get(fx->repo, "bot_2", &got, &err));
    assert_false(got.active);
    parley_bot_free(&got);

    for (int i = 0; i < 3; i++) {
        parley_token t = {0};
        snprintf(t.token_hash, sizeof t.token_hash, "%064d", i);
        t.owner_kind = i < 2 ? PARLEY_PARTICIPANT_AGENT : PARLEY_PARTICIPANT_BOT;
        snprintf(t.owner_id, sizeof t.owner_id, "%s", i < 2 ? "agt_1" : "bot_1");
        t.created_at = t.last_used_at = 1;
        t.expires_at = 10;
        assert_ok(fx->repo->accounts->token_insert(fx->repo, &t, &err));
    }
    assert_ok(fx->repo->accounts->token_delete_by_owner(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1",
                                                        &err));
    assert_ok(fx->repo->accounts->token_delete_by_owner(fx->repo, PARLEY_PARTICIPANT_AGENT, "agt_1",
                                                        &err));
    parley_token token;
    char hash[PARLEY_TOKEN_HASH_SIZE];
    snprintf(hash, sizeof hash, "%064d", 1);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_get(fx->repo, hash, &token, &err));
    snprintf(hash, sizeof hash, "%064d", 2);
    assert_ok(fx->repo->accounts->token_get(fx->repo, hash, &token, &err)); /* the bot's stays */

    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.bot_id, "");
    snprintf(s.bot_id, sizeof s.bot_id, "bot_1");
    assert_ok(fx->repo->sessions->update(fx->repo, &s, &err));
    parley_session_free(&s);
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.bot_id, "bot_1");
    snprintf(s.bot_id, sizeof s.bot_id, "bot_none");
    assert_status(PARLEY_E_STORAGE, fx->repo->sessions->update(fx->repo, &s, &err)); /* FK */
    parley_session_free(&s);
}

/* A new password replaces the hash and signs out the agent's other tokens
 * (all of them when none is kept); other owners' tokens stay. */
static void test_agent_set_password(void **state) {
    fixture *fx = *state;
    add_agent(fx, "agt_1", "one@example.com");
    add_agent(fx, "agt_2", "two@example.com");
    const char *owners[] = {"agt_1", "agt_1", "agt_1", "agt_2"};
    for (int i = 0; i < 4; i++) {
        parley_token t = {0};
        snprintf(t.token_hash, sizeof t.token_hash, "%064d", i);
        t.owner_kind = PARLEY_PARTICIPANT_AGENT;
        snprintf(t.owner_id, sizeof t.owner_id, "%s", owners[i]);
        t.created_at = t.last_used_at = 1;
        t.expires_at = 10;
        assert_ok(fx->repo->accounts->token_insert(fx->repo, &t, &err));
    }
    char keep[PARLEY_TOKEN_HASH_SIZE];
    snprintf(keep, sizeof keep, "%064d", 1);
    assert_ok(
        fx->repo->accounts->agent_set_password(fx->repo, "agt_1", "$argon2id$new", keep, &err));
    parley_agent a;
    char *hash = NULL;
    assert_ok(fx->repo->accounts->agent_get_by_email(fx->repo, "one@example.com", &a, &hash, &err));
    assert_string_equal(hash, "$argon2id$new");
    free(hash);
    parley_agent_free(&a);
    assert_ok(fx->repo->accounts->agent_get_by_email(fx->repo, "two@example.com", &a, &hash, &err));
    assert_string_equal(hash, "$argon2id$hash"); /* the other agent's is untouched */
    free(hash);
    parley_agent_free(&a);
    parley_token token;
    for (int i = 0; i < 4; i++) {
        char h[PARLEY_TOKEN_HASH_SIZE];
        snprintf(h, sizeof h, "%064d", i);
        if (i == 1 || i == 3) { /* the kept one, and the other agent's */
            assert_ok(fx->repo->accounts->token_get(fx->repo, h, &token, &err));
        } else {
            assert_status(PARLEY_E_NOT_FOUND,
                          fx->repo->accounts->token_get(fx->repo, h, &token, &err));
        }
    }
    /* without a token to keep, every one of the agent's goes */
    assert_ok(
        fx->repo->accounts->agent_set_password(fx->repo, "agt_1", "$argon2id$newer", NULL, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_get(fx->repo, keep, &token, &err));
    snprintf(keep, sizeof keep, "%064d", 3);
    assert_ok(fx->repo->accounts->token_get(fx->repo, keep, &token, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->agent_set_password(
                                          fx->repo, "agt_missing", "$argon2id$x", NULL, &err));
}

/* Schema 3: refused messages kept for review, messages by id, and the spam
 * classifier's counts (added to, unlearnt, pruned, loaded back). */
static void token_sum(void *ctx, const char *token, int64_t spam, int64_t ham) {
    int64_t *sums = ctx;
    sums[0] += spam;
    sums[1] += ham;
    sums[2] += strcmp(token, "viagra") == 0 ? spam * 1000 : 0;
    sums[3]++;
}

static void count_word(void *ctx, const char *word) {
    int64_t *words = ctx;
    words[0]++;
    words[1] += strcmp(word, "cocktail") == 0;
}

static void test_moderation_and_spam_counts(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    parley_message kept =
        make_message("msg_1", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "hello");
    assert_ok(fx->repo->messages->insert(fx->repo, &kept, &err));
    parley_message got;
    assert_ok(fx->repo->messages->get(fx->repo, "msg_1", &got, &err));
    assert_string_equal(got.content, "hello");
    parley_message_free(&got);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->messages->get(fx->repo, "msg_9", &got, &err));

    for (int i = 1; i <= 3; i++) {
        parley_flagged_message f = {0};
        f.message =
            make_message("", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "buy now");
        snprintf(f.message.id, sizeof f.message.id, "flg_%d", i);
        f.message.meta_json = lit("{\"spam\":{\"score\":0.99}}");
        snprintf(f.reason, sizeof f.reason, "spam_detected");
        assert_ok(fx->repo->strategy_stores->flagged_insert(fx->repo, &f, &err));
    }
    parley_flagged_message one;
    assert_ok(fx->repo->strategy_stores->flagged_get(fx->repo, "flg_2", &one, &err));
    assert_string_equal(one.reason, "spam_detected");
    assert_string_equal(one.reviewed_as, "");
    assert_int_equal(one.message.seq, 0);
    assert_string_equal(one.message.content, "buy now");
    parley_flagged_message_free(&one);
    assert_ok(fx->repo->strategy_stores->flagged_review(fx->repo, "flg_2", "ham", &err));
    assert_ok(fx->repo->strategy_stores->flagged_get(fx->repo, "flg_2", &one, &err));
    assert_string_equal(one.reviewed_as, "ham");
    parley_flagged_message_free(&one);
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->strategy_stores->flagged_review(fx->repo, "flg_9", "spam", &err));
    parley_flagged_list page;
    char next[64];
    assert_ok(
        fx->repo->strategy_stores->flagged_list(fx->repo, 2, "", &page, next, sizeof next, &err));
    assert_int_equal(page.count, 2);
    assert_string_equal(page.items[0].message.id, "flg_3"); /* newest first */
    assert_true(next[0] != '\0');
    parley_flagged_list_free(&page);
    char last[64];
    assert_ok(
        fx->repo->strategy_stores->flagged_list(fx->repo, 2, next, &page, last, sizeof last, &err));
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].message.id, "flg_1");
    assert_string_equal(last, "");
    parley_flagged_list_free(&page);

    assert_ok(fx->repo->strategy_stores->spam_token_add(fx->repo, "viagra", 3, 0, &err));
    assert_ok(fx->repo->strategy_stores->spam_token_add(fx->repo, "hello", 1, 4, &err));
    assert_ok(fx->repo->strategy_stores->spam_token_add(fx->repo, "viagra", 2, 1, &err));
    assert_ok(fx->repo->strategy_stores->spam_token_add(fx->repo, "hello", -1, -4,
                                                        &err)); /* unlearnt: pruned */
    assert_ok(fx->repo->strategy_stores->spam_totals_add(fx->repo, 5, 2, &err));
    assert_ok(
        fx->repo->strategy_stores->spam_totals_add(fx->repo, -1, -5, &err)); /* never below zero */
    int64_t sums[4] = {0};
    int64_t spam_messages = -1;
    int64_t ham_messages = -1;
    assert_ok(fx->repo->strategy_stores->spam_load(fx->repo, token_sum, sums, &spam_messages,
                                                   &ham_messages, &err));
    assert_int_equal(sums[3], 1); /* only viagra is left */
    assert_int_equal(sums[0], 5);
    assert_int_equal(sums[1], 1);
    assert_int_equal(sums[2], 5000);
    assert_int_equal(spam_messages, 4);
    assert_int_equal(ham_messages, 0);

    assert_ok(fx->repo->strategy_stores->allowlist_add(fx->repo, "scunthorpe", "agt_1", 5, &err));
    assert_ok(fx->repo->strategy_stores->allowlist_add(fx->repo, "cocktail", NULL, 6, &err));
    assert_ok(fx->repo->strategy_stores->allowlist_add(fx->repo, "cocktail", NULL, 7,
                                                       &err)); /* no duplicate */
    assert_ok(fx->repo->strategy_stores->allowlist_remove(fx->repo, "scunthorpe", &err));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->strategy_stores->allowlist_remove(fx->repo, "absent", &err));
    int64_t words[4] = {0};
    assert_ok(fx->repo->strategy_stores->allowlist_load(fx->repo, count_word, words, &err));
    assert_int_equal(words[0], 1);
    assert_int_equal(words[1], 1); /* the one left is "cocktail" */
}

/* ---- tokens --------------------------------------------------------------- */

static void test_tokens(void **state) {
    fixture *fx = *state;
    const char *hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    parley_token t = {0};
    snprintf(t.token_hash, sizeof t.token_hash, "%s", hash);
    t.owner_kind = PARLEY_PARTICIPANT_AGENT;
    snprintf(t.owner_id, sizeof t.owner_id, "agt_1");
    t.created_at = 10;
    t.last_used_at = 10;
    t.expires_at = 86400010;
    assert_ok(fx->repo->accounts->token_insert(fx->repo, &t, &err));
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->token_insert(fx->repo, &t, &err));

    parley_token got;
    assert_ok(fx->repo->accounts->token_get(fx->repo, hash, &got, &err));
    assert_string_equal(got.token_hash, hash);
    assert_int_equal(got.owner_kind, PARLEY_PARTICIPANT_AGENT);
    assert_string_equal(got.owner_id, "agt_1");
    assert_int_equal(got.created_at, 10);
    assert_int_equal(got.last_used_at, 10);
    assert_int_equal(got.expires_at, 86400010);

    assert_ok(fx->repo->accounts->token_touch(fx->repo, hash, 500, &err));
    /* An older touch committed late does not move last_used_at back. */
    assert_ok(fx->repo->accounts->token_touch(fx->repo, hash, 300, &err));
    assert_ok(fx->repo->accounts->token_get(fx->repo, hash, &got, &err));
    assert_int_equal(got.last_used_at, 500);
    assert_int_equal(got.expires_at, 86400010);

    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_touch(fx->repo, "00ff", 600, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_get(fx->repo, "00ff", &got, &err));
    assert_true(all_zero(&got, sizeof got));

    assert_ok(fx->repo->accounts->token_delete(fx->repo, hash, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_get(fx->repo, hash, &got, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->accounts->token_delete(fx->repo, hash, &err));
}

/* ---- search ----------------------------------------------------------------- */

/* Appends one term (as core/search_query.h would make it) to t. */
static void add_term(parley_search_terms *t, const char *text, bool prefix) {
    assert_true(t->count < PARLEY_SEARCH_MAX_TOKENS);
    parley_search_term *term = &t->term[t->count++];
    snprintf(term->text, sizeof term->text, "%s", text);
    term->prefix = prefix;
}

static parley_search_terms terms_of(const char *text, bool prefix) {
    parley_search_terms t = {0};
    add_term(&t, text, prefix);
    return t;
}

static parley_status search_page(fixture *fx, const parley_search_terms *terms,
                                 const char *session_id, const char *customer_id, int limit,
                                 const char *cursor, parley_search_hit_list *hits, char *next,
                                 size_t next_size) {
    parley_search_spec spec = {.terms = terms,
                               .session_id = session_id,
                               .customer_id = customer_id,
                               .limit = limit,
                               .cursor = cursor,
                               .budget_ms = 0};
    return fx->repo->search->messages(fx->repo, &spec, hits, next, next_size, &err);
}

static size_t search_terms_count(fixture *fx, const parley_search_terms *terms,
                                 const char *session_id, const char *customer_id) {
    parley_search_hit_list hits = {0};
    char next[64];
    assert_ok(search_page(fx, terms, session_id, customer_id, 50, "", &hits, next, sizeof next));
    assert_string_equal(next, "");
    size_t n = hits.count;
    parley_search_hit_list_free(&hits);
    return n;
}

static size_t search_count(fixture *fx, const char *word, const char *session_id,
                           const char *customer_id) {
    parley_search_terms terms = terms_of(word, false);
    return search_terms_count(fx, &terms, session_id, customer_id);
}

/* What a search finds, the same from the un-indexed tail and the index. */
static void check_search_hits(fixture *fx) {
    parley_search_hit_list hits = {0};
    char next[64];
    parley_search_terms parcel = terms_of("parcel", false);
    assert_ok(search_page(fx, &parcel, "", "", 50, "", &hits, next, sizeof next));
    assert_int_equal(hits.count, 2);
    assert_string_equal(hits.items[0].message_id, "msg_b"); /* newest first */
    assert_string_equal(hits.items[1].message_id, "msg_a");
    const parley_search_hit *h = &hits.items[1];
    assert_string_equal(h->session_id, "ses_1");
    assert_int_equal(h->seq, 1);
    assert_int_equal(h->sender_kind, PARLEY_PARTICIPANT_CUSTOMER);
    assert_string_equal(h->sender_id, "cus_1");
    assert_int_equal(h->type, PARLEY_MESSAGE_TEXT);
    assert_int_equal(h->created_at, 4001);
    assert_string_equal(h->snippet, "where is my \x02parcel\x03");
    parley_search_hit_list_free(&hits);
    /* pages: the cursor continues after the last hit, "" at the end */
    assert_ok(search_page(fx, &parcel, "", "", 1, "", &hits, next, sizeof next));
    assert_int_equal(hits.count, 1);
    assert_string_equal(hits.items[0].message_id, "msg_b");
    assert_string_not_equal(next, "");
    parley_search_hit_list_free(&hits);
    char cursor[64];
    snprintf(cursor, sizeof cursor, "%s", next);
    assert_ok(search_page(fx, &parcel, "", "", 1, cursor, &hits, next, sizeof next));
    assert_int_equal(hits.count, 1);
    assert_string_equal(hits.items[0].message_id, "msg_a");
    assert_string_equal(next, "");
    parley_search_hit_list_free(&hits);
    /* every term (AND), prefixes, case folded */
    parley_search_terms both = terms_of("parcel", false);
    add_term(&both, "LATE", false);
    assert_int_equal(search_terms_count(fx, &both, "", ""), 1);
    parley_search_terms prefix = terms_of("parc", true);
    assert_int_equal(search_terms_count(fx, &prefix, "", ""), 2);
    assert_int_equal(search_count(fx, "parc", "", ""), 0);
    assert_int_equal(search_count(fx, "PaRcEl", "", "cus_2"), 1);
    /* a term's text is never query syntax: quotes, operators, column
     * filters and parentheses are text (finding the words around them) */
    assert_int_equal(search_count(fx, "\"parcel", "", ""), 2);
    assert_int_equal(search_count(fx, "parcel\")", "", ""), 2);
    assert_int_equal(search_count(fx, "content:parcel", "", ""), 0);
    assert_int_equal(search_count(fx, "OR", "", ""), 0);
    parley_search_terms ops = terms_of("late", false);
    add_term(&ops, "OR", false);
    add_term(&ops, "where", false);
    assert_int_equal(search_terms_count(fx, &ops, "", ""), 0);
}

static void test_search_scope_and_tail(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_customer(fx, "cus_2", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    add_session(fx, "ses_2", "cus_2", PARLEY_SESSION_WAITING);
    parley_message a = make_message("msg_a", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL,
                                    "where is my parcel");
    parley_message b = make_message("msg_b", "ses_2", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_2", NULL,
                                    "the parcel is late");
    assert_ok(fx->repo->messages->insert(fx->repo, &a, &err));
    assert_ok(fx->repo->messages->insert(fx->repo, &b, &err));
    /* not indexed yet: the un-indexed tail is searched, in scope */
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(search_count(fx, "parcel", "", ""), 2);
        assert_int_equal(search_count(fx, "parcel", "", "cus_1"), 1);
        assert_int_equal(search_count(fx, "parcel", "ses_2", ""), 1);
        assert_int_equal(search_count(fx, "parcel", "ses_2", "cus_1"), 0);
        assert_int_equal(search_count(fx, "nothing", "", ""), 0);
        check_search_hits(fx);
        int64_t indexed = -1;
        assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
        assert_int_equal(indexed, pass == 0 ? 2 : 0); /* then found once, from the index */
    }
}

/* A snippet keeps the text as sent, markup-looking parts too (the caller
 * escapes it), with only the match between \x02 and \x03: PostgreSQL's
 * ts_headline once dropped "<b>" and "</b>" as HTML tags. */
static void test_search_snippet_keeps_markup(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    parley_message a = make_message("msg_a", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL,
                                    "my <b>parcel</b> is <i>late</i> a\\b");
    assert_ok(fx->repo->messages->insert(fx->repo, &a, &err));
    for (int pass = 0; pass < 2; pass++) { /* the un-indexed tail, then the index */
        parley_search_hit_list hits = {0};
        char next[64];
        parley_search_terms parcel = terms_of("parcel", false);
        assert_ok(search_page(fx, &parcel, "", "", 50, "", &hits, next, sizeof next));
        assert_int_equal(hits.count, 1);
        assert_string_equal(hits.items[0].snippet, "my <b>\x02parcel\x03</b> is <i>late</i> a\\b");
        parley_search_hit_list_free(&hits);
        int64_t indexed = -1;
        assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    }
}

/* Terms outside store/search.h's shape and a malformed cursor are the
 * caller's mistake: PARLEY_E_INVALID, with the list left empty. */
static void test_search_refusals(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    parley_message a = make_message("msg_a", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL,
                                    "where is my parcel");
    assert_ok(fx->repo->messages->insert(fx->repo, &a, &err));
    parley_search_terms none = {0};
    parley_search_terms empty = terms_of("", false);
    parley_search_terms many = {0};
    parley_search_terms huge = {0};
    char word[PARLEY_SEARCH_MAX_QUERY_BYTES + 1];
    memset(word, 'x', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    for (int i = 0; i < PARLEY_SEARCH_MAX_TOKENS; i++) {
        add_term(&many, "parcel", false);
        add_term(&huge, word, false);
    }
    /* the most terms there may be is still a search */
    assert_int_equal(search_terms_count(fx, &many, "", ""), 1);
    many.count++; /* one more than the array holds: refused before it is read */
    const parley_search_terms *bad[] = {&none, &empty, &many, &huge};
    char next[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parley_search_hit_list hits = {0};
        assert_status(PARLEY_E_INVALID,
                      search_page(fx, bad[i], "", "", 10, "", &hits, next, sizeof next));
        assert_int_equal(hits.count, 0);
        assert_null(hits.items);
    }
    parley_search_terms parcel = terms_of("parcel", false);
    parley_search_hit_list hits = {0};
    assert_status(PARLEY_E_INVALID,
                  search_page(fx, &parcel, "", "", 10, "x1", &hits, next, sizeof next));
    assert_int_equal(hits.count, 0);
    assert_null(hits.items);
}

/* ---- retention ---------------------------------------------------------------- */

static void add_token(fixture *fx, const char *hash_digit, parley_participant_kind kind,
                      const char *owner, parley_time_ms last_used, parley_time_ms expires) {
    parley_token t = {0};
    for (size_t i = 0; i < 64; i++) {
        t.token_hash[i] = hash_digit[0];
    }
    t.owner_kind = kind;
    snprintf(t.owner_id, sizeof t.owner_id, "%s", owner);
    t.created_at = 1;
    t.last_used_at = last_used;
    t.expires_at = expires;
    assert_ok(fx->repo->accounts->token_insert(fx->repo, &t, &err));
}

static void add_upload(fixture *fx, const char *id, char sha_digit, parley_time_ms created_at) {
    parley_upload u = {0};
    snprintf(u.id, sizeof u.id, "%s", id);
    memset(u.sha256, sha_digit, 64);
    u.size = 3;
    snprintf(u.mime, sizeof u.mime, "text/plain");
    u.name = lit("a.txt");
    u.uploader_kind = PARLEY_PARTICIPANT_CUSTOMER;
    snprintf(u.uploader_id, sizeof u.uploader_id, "cus_s");
    u.created_at = created_at;
    assert_ok(fx->repo->uploads->insert(fx->repo, &u, &err));
}

typedef struct hashes_seen {
    char sha256[4][PARLEY_SHA256_HEX_SIZE];
    int count;
} hashes_seen;

static void note_hash(void *ctx, const char *sha256) {
    hashes_seen *seen = ctx;
    assert_true(seen->count < 4);
    snprintf(seen->sha256[seen->count++], PARLEY_SHA256_HEX_SIZE, "%s", sha256);
}

static void test_retention_purges(void **state) {
    fixture *fx = *state;
    const parley_retention_ops *ret = fx->repo->retention;
    int64_t n = -1;
    /* a limit outside 1..100000 is the caller's mistake */
    assert_status(PARLEY_E_INVALID, ret->purge_audit(fx->repo, 100, 0, &n, &err));
    assert_int_equal(n, 0);
    assert_status(PARLEY_E_INVALID, ret->purge_tokens(fx->repo, 100, 100, 100001, &n, &err));

    /* customers: only the anonymous one with no session and no token goes */
    add_customer(fx, "cus_anon", NULL);
    add_customer(fx, "cus_known", "ext-1");
    add_customer(fx, "cus_s", NULL);
    add_customer(fx, "cus_tok", NULL);
    add_session(fx, "ses_1", "cus_s", PARLEY_SESSION_WAITING);

    /* tokens: one expired, one idle, one that works (cus_tok's) */
    add_token(fx, "a", PARLEY_PARTICIPANT_AGENT, "agt_1", 900, 100);
    add_token(fx, "b", PARLEY_PARTICIPANT_AGENT, "agt_1", 50, 1000000);
    add_token(fx, "c", PARLEY_PARTICIPANT_CUSTOMER, "cus_tok", 900, 1000000);
    assert_ok(ret->purge_tokens(fx->repo, 1000, 60, 10, &n, &err));
    assert_int_equal(n, 2);
    assert_ok(ret->purge_tokens(fx->repo, 1000, 60, 10, &n, &err));
    assert_int_equal(n, 0);
    parley_token tok;
    char live[65];
    memset(live, 'c', 64);
    live[64] = '\0';
    assert_ok(fx->repo->accounts->token_get(fx->repo, live, &tok, &err));

    assert_ok(ret->purge_customers(fx->repo, 500, 10, &n, &err)); /* all created at 1000 */
    assert_int_equal(n, 0);
    assert_ok(ret->purge_customers(fx->repo, 2000, 10, &n, &err));
    assert_int_equal(n, 1);
    parley_customer c;
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->accounts->customer_get(fx->repo, "cus_anon", &c, &err));
    const char *kept[] = {"cus_known", "cus_s", "cus_tok"};
    for (size_t i = 0; i < 3; i++) {
        assert_ok(fx->repo->accounts->customer_get(fx->repo, kept[i], &c, &err));
        parley_customer_free(&c);
    }

    /* audit: oldest first, at most the limit */
    for (int i = 1; i <= 3; i++) {
        parley_audit_entry e = {0};
        e.at = 10 * i;
        snprintf(e.action, sizeof e.action, "login");
        assert_ok(fx->repo->audit->insert(fx->repo, &e, &err));
    }
    assert_ok(ret->purge_audit(fx->repo, 25, 1, &n, &err));
    assert_int_equal(n, 1);
    assert_ok(ret->purge_audit(fx->repo, 25, 10, &n, &err));
    assert_int_equal(n, 1);
    parley_audit_list audit = {0};
    char next[64];
    assert_ok(fx->repo->audit->list(fx->repo, NULL, NULL, 10, "", &audit, next, sizeof next, &err));
    assert_int_equal(audit.count, 1);
    assert_int_equal(audit.items[0].at, 30);
    parley_audit_list_free(&audit);

    /* audit filters: by action, by actor, both; pages stay full and in order */
    const char *actions[] = {"team.create", "settings.update", "team.create", "login",
                             "team.create"};
    const char *actors[] = {"agt_a", "agt_a", "agt_b", "agt_a", "agt_a"};
    for (int i = 0; i < 5; i++) {
        parley_audit_entry e = {0};
        e.at = 100 + i;
        e.has_actor = true;
        e.actor_kind = PARLEY_PARTICIPANT_AGENT;
        snprintf(e.actor_id, sizeof e.actor_id, "%s", actors[i]);
        snprintf(e.action, sizeof e.action, "%s", actions[i]);
        assert_ok(fx->repo->audit->insert(fx->repo, &e, &err));
    }
    assert_ok(fx->repo->audit->list(fx->repo, "team.create", NULL, 2, "", &audit, next, sizeof next,
                                    &err));
    assert_int_equal(audit.count, 2);
    assert_int_equal(audit.items[0].at, 104);
    assert_int_equal(audit.items[1].at, 102);
    assert_true(next[0] != '\0');
    parley_audit_list_free(&audit);
    char after[64];
    snprintf(after, sizeof after, "%s", next);
    assert_ok(fx->repo->audit->list(fx->repo, "team.create", NULL, 2, after, &audit, next,
                                    sizeof next, &err));
    assert_int_equal(audit.count, 1);
    assert_int_equal(audit.items[0].at, 100);
    parley_audit_list_free(&audit);
    assert_ok(
        fx->repo->audit->list(fx->repo, NULL, "agt_b", 10, "", &audit, next, sizeof next, &err));
    assert_int_equal(audit.count, 1);
    assert_int_equal(audit.items[0].at, 102);
    parley_audit_list_free(&audit);
    assert_ok(fx->repo->audit->list(fx->repo, "team.create", "agt_a", 10, "", &audit, next,
                                    sizeof next, &err));
    assert_int_equal(audit.count, 2);
    assert_int_equal(audit.items[0].at, 104);
    assert_int_equal(audit.items[1].at, 100);
    parley_audit_list_free(&audit);
    assert_ok(
        fx->repo->audit->list(fx->repo, "no.such", NULL, 10, "", &audit, next, sizeof next, &err));
    assert_int_equal(audit.count, 0);
    parley_audit_list_free(&audit);

    /* uploads: old unattached ones go; a hash is reported once no row names it */
    add_upload(fx, "upl_1", 'a', 10);   /* old, shares 'a' with upl_2 */
    add_upload(fx, "upl_2", 'a', 5000); /* too young */
    add_upload(fx, "upl_3", 'b', 20);   /* old, alone with 'b' */
    add_upload(fx, "upl_4", 'c', 10);   /* old but attached */
    parley_message m =
        make_message("msg_1", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_s", NULL, "see file");
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    assert_ok(fx->repo->uploads->attach(fx->repo, "upl_4", "cus_s", "msg_1", "ses_1", &err));
    hashes_seen seen = {0};
    assert_ok(ret->purge_uploads(fx->repo, 100, 10, &n, note_hash, &seen, &err));
    assert_int_equal(n, 2);
    assert_int_equal(seen.count, 1);
    char sha[PARLEY_SHA256_HEX_SIZE];
    memset(sha, 'b', 64);
    sha[64] = '\0';
    assert_string_equal(seen.sha256[0], sha);
    const struct {
        char digit;
        bool in_use;
    } hashes[] = {{'a', true}, {'b', false}, {'c', true}};
    for (size_t i = 0; i < 3; i++) {
        memset(sha, hashes[i].digit, 64);
        bool in_use = !hashes[i].in_use;
        assert_ok(fx->repo->uploads->hash_in_use(fx->repo, sha, &in_use, &err));
        assert_int_equal(in_use, hashes[i].in_use);
    }
    parley_upload u;
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->uploads->get(fx->repo, "upl_1", &u, &err));
    assert_ok(fx->repo->uploads->get(fx->repo, "upl_4", &u, &err));
    parley_upload_free(&u);
}

/* ---- sessions ------------------------------------------------------------- */

static void test_sessions(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_1", "a@example.com");
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);

    parley_session got;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &got, &err));
    assert_string_equal(got.id, "ses_1");
    assert_string_equal(got.customer_id, "cus_1");
    assert_string_equal(got.agent_id, "");
    assert_string_equal(got.topic, "billing");
    assert_string_equal(got.strategies_json, "[\"profanity\"]");
    assert_int_equal(got.status, PARLEY_SESSION_WAITING);
    assert_int_equal(got.last_seq, 0);
    assert_int_equal(got.created_at, 3000);
    assert_int_equal(got.updated_at, 3000);

    /* Update writes status, agent and updated_at only. */
    parley_session upd = got;
    upd.topic = NULL;
    upd.strategies_json = NULL;
    upd.status = PARLEY_SESSION_ACTIVE;
    snprintf(upd.agent_id, sizeof upd.agent_id, "agt_1");
    upd.last_seq = 99;
    upd.created_at = 1;
    upd.updated_at = 3500;
    parley_session_free(&got);
    assert_ok(fx->repo->sessions->update(fx->repo, &upd, &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &got, &err));
    assert_int_equal(got.status, PARLEY_SESSION_ACTIVE);
    assert_string_equal(got.agent_id, "agt_1");
    assert_int_equal(got.updated_at, 3500);
    assert_string_equal(got.topic, "billing");
    assert_int_equal(got.last_seq, 0);
    assert_int_equal(got.created_at, 3000);
    parley_session_free(&got);

    /* Unassigning stores NULL again. */
    upd.agent_id[0] = '\0';
    upd.status = PARLEY_SESSION_CLOSED;
    assert_ok(fx->repo->sessions->update(fx->repo, &upd, &err));
    assert_int_equal(raw_int(fx->path, "SELECT agent_id IS NULL FROM sessions WHERE id = 'ses_1'"),
                     1);

    /* An admin re-applying the policy replaces the chain, and only it. */
    assert_ok(fx->repo->sessions->set_strategies(fx->repo, "ses_1", "[{\"name\":\"spam\"}]", &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &got, &err));
    assert_string_equal(got.strategies_json, "[{\"name\":\"spam\"}]");
    assert_int_equal(got.status, PARLEY_SESSION_CLOSED);
    assert_int_equal(got.updated_at, 3500);
    parley_session_free(&got);
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->sessions->set_strategies(fx->repo, "ses_nope", "[]", &err));

    snprintf(upd.id, sizeof upd.id, "ses_nope");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->sessions->update(fx->repo, &upd, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->sessions->get(fx->repo, "ses_nope", &got, &err));
    assert_true(all_zero(&got, sizeof got));

    /* Duplicate id; a missing customer or agent is a foreign key failure. */
    parley_session s = {0};
    snprintf(s.id, sizeof s.id, "ses_1");
    snprintf(s.customer_id, sizeof s.customer_id, "cus_1");
    s.created_at = s.updated_at = 1;
    assert_status(PARLEY_E_CONFLICT, fx->repo->sessions->insert(fx->repo, &s, &err));
    snprintf(s.id, sizeof s.id, "ses_2");
    snprintf(s.customer_id, sizeof s.customer_id, "cus_ghost");
    assert_status(PARLEY_E_STORAGE, fx->repo->sessions->insert(fx->repo, &s, &err));
    assert_non_null(strstr(err.message, "FOREIGN KEY"));
    snprintf(s.customer_id, sizeof s.customer_id, "cus_1");
    snprintf(s.agent_id, sizeof s.agent_id, "agt_ghost");
    assert_status(PARLEY_E_STORAGE, fx->repo->sessions->insert(fx->repo, &s, &err));

    /* topic and strategies may be absent. */
    s.agent_id[0] = '\0';
    assert_ok(fx->repo->sessions->insert(fx->repo, &s, &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_2", &got, &err));
    assert_null(got.topic);
    assert_null(got.strategies_json);
    parley_session_free(&got);

    s.status = (parley_session_status)42;
    snprintf(s.id, sizeof s.id, "ses_3");
    assert_status(PARLEY_E_INVALID, fx->repo->sessions->insert(fx->repo, &s, &err));

    /* The cluster's last_seq check: the named sessions, unknown ids left
     * out, an empty list for none. */
    parley_session_list list = {0};
    assert_ok(fx->repo->sessions->list_by_ids(fx->repo, "[\"ses_2\",\"ses_nope\",\"ses_1\"]", &list,
                                              &err));
    assert_int_equal(list.count, 2);
    bool saw1 = false, saw2 = false;
    for (size_t i = 0; i < list.count; i++) {
        saw1 |= strcmp(list.items[i].id, "ses_1") == 0 && list.items[i].last_seq == 0;
        saw2 |= strcmp(list.items[i].id, "ses_2") == 0;
    }
    assert_true(saw1 && saw2);
    parley_session_list_free(&list);
    assert_ok(fx->repo->sessions->list_by_ids(fx->repo, "[]", &list, &err));
    assert_int_equal(list.count, 0);
    parley_session_list_free(&list);
}

/* ---- messages ------------------------------------------------------------- */

static void test_messages_and_client_ids(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_customer(fx, "cus_2", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);

    parley_message m =
        make_message("msg_1", "ses_1", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "hello");
    m.type = PARLEY_MESSAGE_IMAGE;
    m.meta_json = lit("{\"language\":\"en\"}");
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));

    parley_message got;
    assert_ok(fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "cus_1",
                                                    "c-1", &got, &err));
    assert_string_equal(got.id, "msg_1");
    assert_string_equal(got.session_id, "ses_1");
    assert_int_equal(got.seq, 1);
    assert_int_equal(got.sender_kind, PARLEY_PARTICIPANT_CUSTOMER);
    assert_string_equal(got.sender_id, "cus_1");
    assert_int_equal(got.type, PARLEY_MESSAGE_IMAGE);
    assert_string_equal(got.content, "hello");
    assert_string_equal(got.client_msg_id, "c-1");
    assert_string_equal(got.meta_json, "{\"language\":\"en\"}");
    assert_int_equal(got.created_at, 4001);
    parley_message_free(&got);

    /* Same seq in the same session. */
    parley_message dup =
        make_message("msg_2", "ses_1", 1, PARLEY_PARTICIPANT_AGENT, "agt_1", NULL, "x");
    assert_status(PARLEY_E_CONFLICT, fx->repo->messages->insert(fx->repo, &dup, &err));
    /* Same id. */
    dup = make_message("msg_1", "ses_1", 2, PARLEY_PARTICIPANT_AGENT, "agt_1", NULL, "x");
    assert_status(PARLEY_E_CONFLICT, fx->repo->messages->insert(fx->repo, &dup, &err));
    /* Same client id from the same sender. */
    dup = make_message("msg_2", "ses_1", 2, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "again");
    assert_status(PARLEY_E_CONFLICT, fx->repo->messages->insert(fx->repo, &dup, &err));

    /* Same client id from another sender, or another kind of sender with
     * the same id text, is a different message. */
    parley_message other =
        make_message("msg_2", "ses_1", 2, PARLEY_PARTICIPANT_CUSTOMER, "cus_2", "c-1", "mine");
    assert_ok(fx->repo->messages->insert(fx->repo, &other, &err));
    other = make_message("msg_3", "ses_1", 3, PARLEY_PARTICIPANT_AGENT, "cus_1", "c-1", "agent");
    assert_ok(fx->repo->messages->insert(fx->repo, &other, &err));
    /* Messages without a client id never collide. */
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "msg_n%d", i);
        other = make_message(id, "ses_1", 4 + i, PARLEY_PARTICIPANT_SYSTEM, "", NULL, "sys");
        assert_ok(fx->repo->messages->insert(fx->repo, &other, &err));
    }

    assert_ok(fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_CUSTOMER, "cus_2",
                                                    "c-1", &got, &err));
    assert_string_equal(got.id, "msg_2");
    assert_string_equal(got.content, "mine");
    assert_null(got.meta_json);
    parley_message_free(&got);
    assert_ok(fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_AGENT, "cus_1",
                                                    "c-1", &got, &err));
    assert_string_equal(got.id, "msg_3");
    parley_message_free(&got);

    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_CUSTOMER,
                                                        "cus_1", "c-2", &got, &err));
    assert_true(all_zero(&got, sizeof got));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_BOT, "cus_1",
                                                        "c-1", &got, &err));
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->messages->find_by_client_id(fx->repo, PARLEY_PARTICIPANT_SYSTEM, "",
                                                        NULL, &got, &err));

    /* A message for a session that does not exist. */
    other = make_message("msg_x", "ses_ghost", 1, PARLEY_PARTICIPANT_SYSTEM, "", NULL, "x");
    assert_status(PARLEY_E_STORAGE, fx->repo->messages->insert(fx->repo, &other, &err));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM messages"), 6);
}

/* Checks that list holds exactly the seqs first..last, ascending, with the
 * content each was stored with. */
static void assert_seqs(const parley_message_list *list, int64_t first, int64_t last) {
    size_t want = last >= first ? (size_t)(last - first + 1) : 0;
    assert_int_equal(list->count, want);
    for (size_t i = 0; i < list->count; i++) {
        char content[32];
        snprintf(content, sizeof content, "m%lld", (long long)(first + (int64_t)i));
        assert_int_equal(list->items[i].seq, first + (int64_t)i);
        assert_string_equal(list->items[i].content, content);
        assert_string_equal(list->items[i].session_id, "ses_1");
    }
}

static void list_range(fixture *fx, int64_t after, int64_t before, int limit,
                       parley_message_list *out) {
    parley_message_range range = {.after_seq = after, .before_seq = before, .limit = limit};
    assert_ok(fx->repo->messages->list(fx->repo, "ses_1", &range, out, &err));
}

static void test_message_list_ranges(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);
    /* Inserted out of order: the result order must come from seq. */
    const int order[] = {3, 1, 2, 10, 4, 5, 9, 6, 8, 7};
    for (size_t i = 0; i < 10; i++) {
        char id[32];
        char content[32];
        snprintf(id, sizeof id, "msg_%d", order[i]);
        snprintf(content, sizeof content, "m%d", order[i]);
        parley_message m = make_message(id, "ses_1", order[i], PARLEY_PARTICIPANT_CUSTOMER, "cus_1",
                                        NULL, content);
        assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    }
    parley_message noise =
        make_message("msg_other", "ses_2", 1, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "zz");
    assert_ok(fx->repo->messages->insert(fx->repo, &noise, &err));

    parley_message_list list;
    list_range(fx, 0, 0, 100, &list); /* everything */
    assert_seqs(&list, 1, 10);
    parley_message_list_free(&list);
    list_range(fx, 0, 0, 3, &list); /* no bounds: the oldest first */
    assert_seqs(&list, 1, 3);
    parley_message_list_free(&list);
    list_range(fx, 3, 0, 4, &list); /* after */
    assert_seqs(&list, 4, 7);
    parley_message_list_free(&list);
    list_range(fx, 7, 0, 50, &list); /* after, fewer than limit left */
    assert_seqs(&list, 8, 10);
    parley_message_list_free(&list);
    list_range(fx, 0, 8, 3, &list); /* before only: the newest 3 before 8, ascending */
    assert_seqs(&list, 5, 7);
    parley_message_list_free(&list);
    list_range(fx, 0, 3, 10, &list); /* before only, fewer than limit */
    assert_seqs(&list, 1, 2);
    parley_message_list_free(&list);
    list_range(fx, 2, 6, 10, &list); /* both */
    assert_seqs(&list, 3, 5);
    parley_message_list_free(&list);
    list_range(fx, 2, 9, 2, &list); /* both, limited: from the after side */
    assert_seqs(&list, 3, 4);
    parley_message_list_free(&list);
    list_range(fx, 10, 0, 5, &list); /* nothing newer */
    assert_seqs(&list, 1, 0);
    parley_message_list_free(&list);
    list_range(fx, 0, 1, 5, &list); /* nothing older */
    assert_seqs(&list, 1, 0);
    parley_message_list_free(&list);
    list_range(fx, 4, 5, 5, &list); /* empty open interval */
    assert_seqs(&list, 1, 0);
    parley_message_list_free(&list);

    parley_message_range range = {.limit = 10};
    assert_ok(fx->repo->messages->list(fx->repo, "ses_2", &range, &list, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].content, "zz");
    parley_message_list_free(&list);
    assert_ok(fx->repo->messages->list(fx->repo, "ses_none", &range, &list, &err));
    assert_int_equal(list.count, 0);
    parley_message_list_free(&list);

    range.limit = 0;
    assert_status(PARLEY_E_INVALID,
                  fx->repo->messages->list(fx->repo, "ses_1", &range, &list, &err));
    assert_true(all_zero(&list, sizeof list));
    range.limit = 1001;
    assert_status(PARLEY_E_INVALID,
                  fx->repo->messages->list(fx->repo, "ses_1", &range, &list, &err));
}

/* ---- messages: store (session check, client id, seq, insert) --------------- */

/* messages->store that must store; returns the seq the message got. */
static int64_t store_ok(fixture *fx, const parley_message *m) {
    parley_message_store_result res;
    assert_ok(fx->repo->messages->store(fx->repo, m, &res, &err));
    assert_int_equal(res.outcome, PARLEY_MESSAGE_STORED);
    assert_true(all_zero(&res.previous, sizeof res.previous));
    return res.seq;
}

/* The same in a batch of its own, committed. */
static int64_t store_committed(fixture *fx, const parley_message *m) {
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    int64_t seq = store_ok(fx, m);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    return seq;
}

/* messages->store in a batch of its own that must answer `outcome`: the
 * batch commits, and what another connection then sees is unchanged. */
static void store_refused(fixture *fx, const parley_message *m,
                          parley_message_store_outcome outcome) {
    int64_t messages = raw_int(fx->path, "SELECT count(*) FROM messages");
    int64_t seqs = raw_int(fx->path, "SELECT coalesce(sum(last_seq), 0) FROM sessions");
    parley_message_store_result res;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->messages->store(fx->repo, m, &res, &err));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(res.outcome, outcome);
    assert_int_equal(res.seq, 0);
    assert_true(all_zero(&res.previous, sizeof res.previous));
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM messages"), messages);
    assert_int_equal(raw_int(fx->path, "SELECT coalesce(sum(last_seq), 0) FROM sessions"), seqs);
}

/* messages->store in a batch of its own that must find a retry of
 * `stored_id`; the caller frees res->previous. */
static void store_duplicate(fixture *fx, const parley_message *m, const char *stored_id,
                            parley_message_store_result *res) {
    int64_t messages = raw_int(fx->path, "SELECT count(*) FROM messages");
    int64_t seqs = raw_int(fx->path, "SELECT coalesce(sum(last_seq), 0) FROM sessions");
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->messages->store(fx->repo, m, res, &err));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(res->outcome, PARLEY_MESSAGE_DUPLICATE);
    assert_int_equal(res->seq, 0);
    assert_string_equal(res->previous.id, stored_id);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM messages"), messages);
    assert_int_equal(raw_int(fx->path, "SELECT coalesce(sum(last_seq), 0) FROM sessions"), seqs);
}

static void assert_same_text(const char *want, const char *got) {
    if (want == NULL) {
        assert_null(got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

/* got is want as stored: every field. */
static void assert_message_equal(const parley_message *want, const parley_message *got) {
    assert_string_equal(got->id, want->id);
    assert_string_equal(got->session_id, want->session_id);
    assert_int_equal(got->seq, want->seq);
    assert_int_equal(got->sender_kind, want->sender_kind);
    assert_string_equal(got->sender_id, want->sender_id);
    assert_int_equal(got->type, want->type);
    assert_same_text(want->content, got->content);
    assert_same_text(want->client_msg_id, got->client_msg_id);
    assert_same_text(want->meta_json, got->meta_json);
    assert_int_equal(got->created_at, want->created_at);
    assert_same_text(want->original_content, got->original_content);
}

static int64_t last_seq_of(fixture *fx, const char *session_id) {
    parley_session got;
    assert_ok(fx->repo->sessions->get(fx->repo, session_id, &got, &err));
    int64_t seq = got.last_seq;
    parley_session_free(&got);
    return seq;
}

static void test_store_outcomes(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_customer(fx, "cus_2", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_WAITING);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_shut", "cus_1", PARLEY_SESSION_CLOSED);

    /* STORED: the next seq (whatever m->seq says), every field as given */
    parley_message m =
        make_message("msg_1", "ses_1", 99, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "hello");
    m.type = PARLEY_MESSAGE_IMAGE;
    m.meta_json = lit("{\"language\":\"en\"}");
    m.original_content = lit("helo");
    m.created_at = 4242;
    assert_int_equal(store_committed(fx, &m), 1);
    assert_int_equal(last_seq_of(fx, "ses_1"), 1);
    parley_message want = m;
    want.seq = 1;
    parley_message got;
    assert_ok(fx->repo->messages->get(fx->repo, "msg_1", &got, &err));
    assert_message_equal(&want, &got);
    parley_message_free(&got);

    /* DUPLICATE: a retry gets the stored message unchanged, writes nothing */
    parley_message retry =
        make_message("msg_1b", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "again");
    parley_message_store_result res;
    store_duplicate(fx, &retry, "msg_1", &res);
    assert_message_equal(&want, &res.previous);
    parley_message_free(&res.previous);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->messages->get(fx->repo, "msg_1b", &got, &err));

    /* OTHER_SESSION: the same sender and client id in another session */
    retry = make_message("msg_1c", "ses_2", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "x");
    store_refused(fx, &retry, PARLEY_MESSAGE_OTHER_SESSION);

    /* another sender, or another kind of sender with the same id text, may
     * use the same client id; messages without one never collide */
    m = make_message("msg_2", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_2", "c-1", "mine");
    assert_int_equal(store_committed(fx, &m), 2);
    m = make_message("msg_3", "ses_2", 0, PARLEY_PARTICIPANT_AGENT, "cus_1", "c-1", "agent");
    assert_int_equal(store_committed(fx, &m), 1);
    m = make_message("msg_4", "ses_1", 0, PARLEY_PARTICIPANT_SYSTEM, "", NULL, "sys");
    assert_int_equal(store_committed(fx, &m), 3);
    m = make_message("msg_5", "ses_1", 0, PARLEY_PARTICIPANT_SYSTEM, "", NULL, "sys");
    assert_int_equal(store_committed(fx, &m), 4);

    /* SESSION_CLOSED: a new message is refused, a retry is still answered */
    m = make_message("msg_6", "ses_shut", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-9", "late");
    store_refused(fx, &m, PARLEY_MESSAGE_SESSION_CLOSED);
    m.client_msg_id = NULL;
    store_refused(fx, &m, PARLEY_MESSAGE_SESSION_CLOSED);
    raw_exec(fx->path, "UPDATE sessions SET status = 'closed' WHERE id = 'ses_2'");
    m = make_message("msg_3b", "ses_2", 0, PARLEY_PARTICIPANT_AGENT, "cus_1", "c-1", "again");
    store_duplicate(fx, &m, "msg_3", &res);
    parley_message_free(&res.previous);
    /* a client id used in another session answers OTHER_SESSION, closed
     * or not */
    m = make_message("msg_7", "ses_2", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_2", "c-1", "x");
    store_refused(fx, &m, PARLEY_MESSAGE_OTHER_SESSION);

    /* SESSION_NOT_FOUND comes first, before any client id */
    m = make_message("msg_8", "ses_ghost", 0, PARLEY_PARTICIPANT_SYSTEM, "", NULL, "x");
    store_refused(fx, &m, PARLEY_MESSAGE_SESSION_NOT_FOUND);
    m = make_message("msg_8", "ses_ghost", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-1", "x");
    store_refused(fx, &m, PARLEY_MESSAGE_SESSION_NOT_FOUND);

    /* an enum out of range is refused, and nothing is written */
    m = make_message("msg_9", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "x");
    m.type = (parley_message_type)42;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_status(PARLEY_E_INVALID, fx->repo->messages->store(fx->repo, &m, &res, &err));
    assert_true(all_zero(&res, sizeof res));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM messages"), 5);
    assert_int_equal(last_seq_of(fx, "ses_1"), 4);
    assert_int_equal(last_seq_of(fx, "ses_2"), 1);
    assert_int_equal(last_seq_of(fx, "ses_shut"), 0);
}

static void test_store_seq_is_gapless(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);
    char id[32];
    parley_message m =
        make_message("msg_0", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "m");
    parley_message_store_result res;

    /* Outside a transaction the increment could not be undone with the
     * message, so it is refused. */
    assert_status(PARLEY_E_INTERNAL, fx->repo->messages->store(fx->repo, &m, &res, &err));
    assert_true(all_zero(&res, sizeof res));
    assert_int_equal(last_seq_of(fx, "ses_1"), 0);

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    for (int64_t want = 1; want <= 5; want++) {
        snprintf(id, sizeof id, "msg_%d", (int)want);
        m = make_message(id, "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "m");
        assert_int_equal(store_ok(fx, &m), want);
    }
    /* Sequences are per session. */
    m = make_message("msg_s2", "ses_2", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NULL, "m");
    assert_int_equal(store_ok(fx, &m), 1);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(last_seq_of(fx, "ses_1"), 5);

    /* A rolled back batch gives its numbers back. */
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    m = make_message("msg_lost", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-6", "m");
    assert_int_equal(store_ok(fx, &m), 6);
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    /* ...so does a rolled back unit, and its client id is free again */
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    m = make_message("msg_lost2", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-6", "m");
    assert_int_equal(store_ok(fx, &m), 6);
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    m = make_message("msg_6", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c-6", "m");
    assert_int_equal(store_ok(fx, &m), 6);
    assert_ok(fx->repo->ops->release(fx->repo, &err));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    parley_message_list list;
    parley_message_range range = {.limit = 10};
    assert_ok(fx->repo->messages->list(fx->repo, "ses_1", &range, &list, &err));
    assert_int_equal(list.count, 6);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].seq, (int64_t)i + 1);
    }
    assert_string_equal(list.items[5].id, "msg_6");
    parley_message_list_free(&list);
    assert_int_equal(last_seq_of(fx, "ses_1"), 6);

    /* A rollback with nothing open is harmless. */
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
}

/* ---- session paging ------------------------------------------------------- */

typedef struct seeded_session {
    const char *id;
    const char *customer_id;
    parley_session_status status;
} seeded_session;

/* Inserted in this order, so newest first is the reverse. */
static const seeded_session seeded[] = {
    {"ses_01", "cus_a", PARLEY_SESSION_WAITING}, {"ses_02", "cus_a", PARLEY_SESSION_ACTIVE},
    {"ses_03", "cus_b", PARLEY_SESSION_WAITING}, {"ses_04", "cus_a", PARLEY_SESSION_ACTIVE},
    {"ses_05", "cus_b", PARLEY_SESSION_CLOSED},  {"ses_06", "cus_a", PARLEY_SESSION_CLOSED},
    {"ses_07", "cus_b", PARLEY_SESSION_WAITING}, {"ses_08", "cus_a", PARLEY_SESSION_WAITING},
    {"ses_09", "cus_a", PARLEY_SESSION_ACTIVE},
};
#define SEEDED_COUNT (sizeof seeded / sizeof seeded[0])

static void seed_sessions(fixture *fx) {
    add_customer(fx, "cus_a", NULL);
    add_customer(fx, "cus_b", NULL);
    for (size_t i = 0; i < SEEDED_COUNT; i++) {
        add_session(fx, seeded[i].id, seeded[i].customer_id, seeded[i].status);
    }
}

/* Walks every page of a session listing and checks it against the seeded
 * rows filtered the same way, newest first. */
static void check_session_pages(fixture *fx, int status, const char *customer_id, int limit) {
    const char *want[SEEDED_COUNT];
    size_t want_count = 0;
    for (size_t i = SEEDED_COUNT; i-- > 0;) {
        if ((status < 0 || (int)seeded[i].status == status) &&
            (customer_id[0] == '\0' || strcmp(seeded[i].customer_id, customer_id) == 0)) {
            want[want_count++] = seeded[i].id;
        }
    }
    parley_session_filter filter = {.status = status, .limit = limit};
    snprintf(filter.customer_id, sizeof filter.customer_id, "%s", customer_id);
    size_t seen = 0;
    int pages = 0;
    for (;;) {
        parley_session_list list;
        char next[PARLEY_ID_SIZE * 2];
        memset(next, 'x', sizeof next);
        assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
        pages++;
        assert_true(list.count <= (size_t)limit);
        for (size_t i = 0; i < list.count; i++) {
            assert_true(seen < want_count);
            assert_string_equal(list.items[i].id, want[seen]);
            if (customer_id[0] != '\0') {
                assert_string_equal(list.items[i].customer_id, customer_id);
            }
            if (status >= 0) {
                assert_int_equal(list.items[i].status, status);
            }
            seen++;
        }
        parley_session_list_free(&list);
        if (next[0] == '\0') {
            break;
        }
        /* A page with a next cursor was full. */
        assert_int_equal(seen % (size_t)limit, 0);
        snprintf(filter.cursor, sizeof filter.cursor, "%s", next);
        assert_true(pages < 20);
    }
    assert_int_equal(seen, want_count);
    size_t want_pages = want_count == 0 ? 1 : (want_count + (size_t)limit - 1) / (size_t)limit;
    assert_int_equal(pages, want_pages);
}

static void test_session_list_pages(void **state) {
    fixture *fx = *state;
    seed_sessions(fx);
    for (int limit = 1; limit <= 10; limit++) {
        check_session_pages(fx, -1, "", limit);
        check_session_pages(fx, PARLEY_SESSION_WAITING, "", limit);
        check_session_pages(fx, -1, "cus_a", limit);
        check_session_pages(fx, -1, "cus_b", limit);
        check_session_pages(fx, PARLEY_SESSION_ACTIVE, "cus_a", limit);
        check_session_pages(fx, PARLEY_SESSION_ACTIVE, "cus_b", limit); /* empty */
        check_session_pages(fx, -1, "cus_nobody", limit);
    }

    /* First page of 3: the three newest, and a cursor. */
    parley_session_filter filter = {.status = -1, .limit = 3};
    parley_session_list list;
    char next[32];
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 3);
    assert_string_equal(list.items[0].id, "ses_09");
    assert_string_equal(list.items[2].id, "ses_07");
    assert_string_equal(list.items[0].topic, "billing");
    assert_string_not_equal(next, "");
    parley_session_list_free(&list);

    /* A cursor taken before new sessions arrive still continues where it
     * left off: the newcomers belong before the first page. */
    snprintf(filter.cursor, sizeof filter.cursor, "%s", next);
    add_session(fx, "ses_10", "cus_b", PARLEY_SESSION_WAITING);
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 3);
    assert_string_equal(list.items[0].id, "ses_06");
    parley_session_list_free(&list);
}

static void test_session_list_limits_and_cursors(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_a", NULL);
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    for (int i = 0; i < 205; i++) {
        char id[32];
        snprintf(id, sizeof id, "ses_%03d", i);
        add_session(fx, id, "cus_a", PARLEY_SESSION_WAITING);
    }
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    parley_session_filter filter = {.status = -1, .limit = 1000};
    parley_session_list list;
    char next[32];
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 200);
    assert_string_equal(list.items[0].id, "ses_204");
    assert_string_equal(list.items[199].id, "ses_005");
    assert_string_not_equal(next, "");
    parley_session_list_free(&list);

    filter.limit = 0;
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "ses_204");
    parley_session_list_free(&list);

    const char *bad[] = {"abc", "-5", "12x", "0", " 1", "99999999999999999999", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        filter.limit = 10;
        snprintf(filter.cursor, sizeof filter.cursor, "%s", bad[i]);
        memset(next, 'x', sizeof next);
        assert_status(PARLEY_E_INVALID,
                      fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
        assert_true(all_zero(&list, sizeof list));
        assert_string_equal(next, "");
    }
    /* An unterminated cursor buffer is malformed, not read past. */
    memset(filter.cursor, '7', sizeof filter.cursor);
    assert_status(PARLEY_E_INVALID,
                  fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));

    /* An unknown status filter. */
    filter.cursor[0] = '\0';
    filter.status = 9;
    assert_status(PARLEY_E_INVALID,
                  fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));

    /* A cursor buffer too small for the cursor. */
    filter.status = -1;
    char tiny[2];
    assert_status(PARLEY_E_INTERNAL,
                  fx->repo->sessions->list(fx->repo, &filter, &list, tiny, sizeof tiny, &err));
    assert_true(all_zero(&list, sizeof list));
    assert_string_equal(tiny, "");
}

/* ---- tickets -------------------------------------------------------------- */

static void test_tickets(void **state) {
    fixture *fx = *state;
    seed_sessions(fx);
    add_agent(fx, "agt_1", "a@example.com");

    /* tkt_1..tkt_6 over sessions of both customers. */
    add_ticket(fx, "tkt_1", "ses_01", PARLEY_TICKET_OPEN);        /* cus_a */
    add_ticket(fx, "tkt_2", "ses_03", PARLEY_TICKET_OPEN);        /* cus_b */
    add_ticket(fx, "tkt_3", "ses_02", PARLEY_TICKET_RESOLVED);    /* cus_a */
    add_ticket(fx, "tkt_4", "ses_05", PARLEY_TICKET_IN_PROGRESS); /* cus_b */
    add_ticket(fx, "tkt_5", "ses_01", PARLEY_TICKET_OPEN);        /* cus_a */
    add_ticket(fx, "tkt_6", "ses_08", PARLEY_TICKET_OPEN);        /* cus_a */

    parley_ticket got;
    assert_ok(fx->repo->tickets->get(fx->repo, "tkt_1", &got, &err));
    assert_string_equal(got.id, "tkt_1");
    assert_string_equal(got.session_id, "ses_01");
    assert_string_equal(got.agent_id, "");
    assert_string_equal(got.issue_description, "printer on fire");
    assert_int_equal(got.status, PARLEY_TICKET_OPEN);
    assert_int_equal(got.created_at, 5000);

    parley_ticket upd = got;
    upd.issue_description = lit("printer still on fire");
    upd.status = PARLEY_TICKET_IN_PROGRESS;
    snprintf(upd.agent_id, sizeof upd.agent_id, "agt_1");
    upd.updated_at = 6000;
    upd.created_at = 1;
    assert_ok(fx->repo->tickets->update(fx->repo, &upd, &err));
    parley_ticket_free(&got);
    assert_ok(fx->repo->tickets->get(fx->repo, "tkt_1", &got, &err));
    assert_string_equal(got.issue_description, "printer still on fire");
    assert_int_equal(got.status, PARLEY_TICKET_IN_PROGRESS);
    assert_string_equal(got.agent_id, "agt_1");
    assert_int_equal(got.updated_at, 6000);
    assert_int_equal(got.created_at, 5000);
    parley_ticket_free(&got);

    snprintf(upd.id, sizeof upd.id, "tkt_nope");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tickets->update(fx->repo, &upd, &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tickets->get(fx->repo, "tkt_nope", &got, &err));
    assert_true(all_zero(&got, sizeof got));
    parley_ticket dup = {0};
    snprintf(dup.id, sizeof dup.id, "tkt_2");
    snprintf(dup.session_id, sizeof dup.session_id, "ses_01");
    assert_status(PARLEY_E_CONFLICT, fx->repo->tickets->insert(fx->repo, &dup, &err));
    snprintf(dup.id, sizeof dup.id, "tkt_9");
    snprintf(dup.session_id, sizeof dup.session_id, "ses_ghost");
    assert_status(PARLEY_E_STORAGE, fx->repo->tickets->insert(fx->repo, &dup, &err));

    struct {
        int status;
        const char *customer;
        int limit;
        const char *want[6];
    } cases[] = {
        {-1, "", 4, {"tkt_6", "tkt_5", "tkt_4", "tkt_3", "tkt_2", "tkt_1"}},
        {-1, "cus_a", 2, {"tkt_6", "tkt_5", "tkt_3", "tkt_1"}},
        {-1, "cus_b", 1, {"tkt_4", "tkt_2"}},
        {PARLEY_TICKET_OPEN, "", 2, {"tkt_6", "tkt_5", "tkt_2"}},
        {PARLEY_TICKET_OPEN, "cus_a", 1, {"tkt_6", "tkt_5"}},
        {PARLEY_TICKET_IN_PROGRESS, "cus_a", 5, {"tkt_1"}},
        {PARLEY_TICKET_RESOLVED, "cus_b", 3, {NULL}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        parley_ticket_filter filter = {.status = cases[c].status, .limit = cases[c].limit};
        snprintf(filter.customer_id, sizeof filter.customer_id, "%s", cases[c].customer);
        size_t seen = 0;
        for (int page = 0;; page++) {
            assert_true(page < 10);
            parley_ticket_list list;
            char next[PARLEY_ID_SIZE * 2];
            assert_ok(fx->repo->tickets->list(fx->repo, &filter, &list, next, sizeof next, &err));
            for (size_t i = 0; i < list.count; i++) {
                assert_non_null(cases[c].want[seen]);
                assert_string_equal(list.items[i].id, cases[c].want[seen]);
                seen++;
            }
            parley_ticket_list_free(&list);
            if (next[0] == '\0') {
                break;
            }
            snprintf(filter.cursor, sizeof filter.cursor, "%s", next);
        }
        assert_true(seen == 6 || cases[c].want[seen] == NULL);
    }

    parley_ticket_filter bad = {.status = -1, .limit = 5};
    snprintf(bad.cursor, sizeof bad.cursor, "nope");
    parley_ticket_list list;
    char next[8];
    assert_status(PARLEY_E_INVALID,
                  fx->repo->tickets->list(fx->repo, &bad, &list, next, sizeof next, &err));
    assert_true(all_zero(&list, sizeof list));
}

/* ---- feedback ------------------------------------------------------------- */

static void test_feedback(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_CLOSED);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_CLOSED);

    parley_feedback f = {0};
    snprintf(f.id, sizeof f.id, "fbk_1");
    snprintf(f.session_id, sizeof f.session_id, "ses_1");
    snprintf(f.customer_id, sizeof f.customer_id, "cus_1");
    f.rating = 4;
    f.comment = lit("quick and kind");
    f.created_at = 9000;
    assert_ok(fx->repo->tickets->feedback_insert(fx->repo, &f, &err));

    parley_feedback got;
    assert_ok(fx->repo->tickets->feedback_get_by_session(fx->repo, "ses_1", &got, &err));
    assert_string_equal(got.id, "fbk_1");
    assert_string_equal(got.session_id, "ses_1");
    assert_string_equal(got.customer_id, "cus_1");
    assert_int_equal(got.rating, 4);
    assert_string_equal(got.comment, "quick and kind");
    assert_int_equal(got.created_at, 9000);
    parley_feedback_free(&got);

    /* One per session, even under a new id. */
    snprintf(f.id, sizeof f.id, "fbk_2");
    f.rating = 1;
    assert_status(PARLEY_E_CONFLICT, fx->repo->tickets->feedback_insert(fx->repo, &f, &err));

    snprintf(f.session_id, sizeof f.session_id, "ses_2");
    f.comment = NULL;
    assert_ok(fx->repo->tickets->feedback_insert(fx->repo, &f, &err));
    assert_ok(fx->repo->tickets->feedback_get_by_session(fx->repo, "ses_2", &got, &err));
    assert_int_equal(got.rating, 1);
    assert_null(got.comment);
    parley_feedback_free(&got);

    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->tickets->feedback_get_by_session(fx->repo, "ses_3", &got, &err));
    assert_true(all_zero(&got, sizeof got));
}

/* ---- agent tools ------------------------------------------------------------ */

static void add_label(fixture *fx, const char *name) {
    assert_ok(fx->repo->tools->label_insert(fx->repo, name, "#ff0000", 7000, &err));
}

static parley_canned make_canned(const char *id, const char *owner_id, const char *shortcode) {
    parley_canned c = {0};
    snprintf(c.id, sizeof c.id, "%s", id);
    snprintf(c.owner_id, sizeof c.owner_id, "%s", owner_id);
    c.shortcode = lit(shortcode);
    c.title = lit("Greeting");
    c.content = lit("Hello, how can I help?");
    c.created_at = 6000;
    c.updated_at = 6000;
    return c;
}

/* The shortcodes of one whole canned_list, pages of `limit`, joined by spaces. */
static void canned_codes(fixture *fx, const char *owner_id, const char *prefix, int limit,
                         char *out, size_t size) {
    char cursor[PARLEY_ID_SIZE * 2] = "";
    out[0] = '\0';
    for (int page = 0;; page++) {
        assert_true(page < 10);
        parley_canned_list list;
        char next[PARLEY_ID_SIZE * 2];
        assert_ok(fx->repo->tools->canned_list(fx->repo, owner_id, prefix, limit, cursor, &list,
                                               next, sizeof next, &err));
        assert_true(list.count <= (size_t)limit);
        for (size_t i = 0; i < list.count; i++) {
            size_t len = strlen(out);
            snprintf(out + len, size - len, "%s%s", len > 0 ? " " : "", list.items[i].shortcode);
        }
        parley_canned_list_free(&list);
        if (next[0] == '\0') {
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", next);
    }
}

static void test_tools_canned(void **state) {
    fixture *fx = *state;
    add_agent(fx, "agt_1", "a@example.com");
    add_agent(fx, "agt_2", "b@example.com");
    parley_canned c = make_canned("cnd_team", "", "hi");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));

    parley_canned got;
    assert_ok(fx->repo->tools->canned_get(fx->repo, "cnd_team", &got, &err));
    assert_string_equal(got.id, "cnd_team");
    assert_string_equal(got.owner_id, ""); /* team-wide */
    assert_string_equal(got.shortcode, "hi");
    assert_string_equal(got.title, "Greeting");
    assert_string_equal(got.content, "Hello, how can I help?");
    assert_int_equal(got.created_at, 6000);
    assert_int_equal(got.updated_at, 6000);
    parley_canned_free(&got);
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tools->canned_get(fx->repo, "cnd_no", &got, &err));
    assert_true(all_zero(&got, sizeof got));

    /* a shortcode is unique per owner scope */
    c = make_canned("cnd_team2", "", "hi");
    assert_status(PARLEY_E_CONFLICT, fx->repo->tools->canned_insert(fx->repo, &c, &err));
    c = make_canned("cnd_a1", "agt_1", "hi");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    c = make_canned("cnd_a2", "agt_2", "hello");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    c = make_canned("cnd_a3", "agt_1", "bye");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    assert_ok(fx->repo->tools->canned_get(fx->repo, "cnd_a2", &got, &err));
    assert_string_equal(got.owner_id, "agt_2");
    parley_canned_free(&got);

    /* team-wide ones and the owner's own, newest first, by prefix, paged */
    char codes[128];
    canned_codes(fx, "agt_1", "", 1, codes, sizeof codes);
    assert_string_equal(codes, "bye hi hi");
    canned_codes(fx, "agt_1", "h", 10, codes, sizeof codes);
    assert_string_equal(codes, "hi hi");
    canned_codes(fx, "agt_2", "hel", 2, codes, sizeof codes);
    assert_string_equal(codes, "hello");
    canned_codes(fx, "agt_2", NULL, 2, codes, sizeof codes);
    assert_string_equal(codes, "hello hi");
    parley_canned_list list;
    char next[8];
    assert_status(PARLEY_E_INVALID, fx->repo->tools->canned_list(fx->repo, "agt_1", "", 5, "x",
                                                                 &list, next, sizeof next, &err));
    assert_true(all_zero(&list, sizeof list));

    /* update writes the texts and updated_at; a taken shortcode conflicts */
    c = make_canned("cnd_a3", "", "ciao");
    c.title = lit("Farewell");
    c.updated_at = 6500;
    c.created_at = 1;
    assert_ok(fx->repo->tools->canned_update(fx->repo, &c, &err));
    assert_ok(fx->repo->tools->canned_get(fx->repo, "cnd_a3", &got, &err));
    assert_string_equal(got.shortcode, "ciao");
    assert_string_equal(got.title, "Farewell");
    assert_string_equal(got.owner_id, "agt_1"); /* the scope never changes */
    assert_int_equal(got.created_at, 6000);
    assert_int_equal(got.updated_at, 6500);
    parley_canned_free(&got);
    c.shortcode = lit("hi");
    assert_status(PARLEY_E_CONFLICT, fx->repo->tools->canned_update(fx->repo, &c, &err));
    snprintf(c.id, sizeof c.id, "cnd_no");
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tools->canned_update(fx->repo, &c, &err));

    assert_ok(fx->repo->tools->canned_delete(fx->repo, "cnd_a3", &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tools->canned_delete(fx->repo, "cnd_a3", &err));
    canned_codes(fx, "agt_1", "", 10, codes, sizeof codes);
    assert_string_equal(codes, "hi hi");
}

static void test_tools_notes_and_receipts(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_agent(fx, "agt_1", "a@example.com");
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_session(fx, "ses_2", "cus_1", PARLEY_SESSION_ACTIVE);

    /* notes: newest first, paged, per session */
    const char *notes[][2] = {{"not_1", "ses_1"}, {"not_2", "ses_2"}, {"not_3", "ses_1"}};
    for (size_t i = 0; i < 3; i++) {
        parley_session_note n = {.author_kind = PARLEY_PARTICIPANT_AGENT,
                                 .content = lit("called back"),
                                 .created_at = 8000 + (parley_time_ms)i};
        snprintf(n.id, sizeof n.id, "%s", notes[i][0]);
        snprintf(n.session_id, sizeof n.session_id, "%s", notes[i][1]);
        snprintf(n.author_id, sizeof n.author_id, "agt_1");
        assert_ok(fx->repo->tools->note_insert(fx->repo, &n, &err));
    }
    parley_session_note_list page;
    char next[PARLEY_ID_SIZE * 2];
    assert_ok(fx->repo->tools->note_list(fx->repo, "ses_1", 1, "", &page, next, sizeof next, &err));
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].id, "not_3");
    assert_string_equal(page.items[0].session_id, "ses_1");
    assert_int_equal(page.items[0].author_kind, PARLEY_PARTICIPANT_AGENT);
    assert_string_equal(page.items[0].author_id, "agt_1");
    assert_string_equal(page.items[0].content, "called back");
    assert_int_equal(page.items[0].created_at, 8002);
    assert_true(next[0] != '\0');
    parley_session_note_list_free(&page);
    char cursor[PARLEY_ID_SIZE * 2];
    snprintf(cursor, sizeof cursor, "%s", next);
    assert_ok(
        fx->repo->tools->note_list(fx->repo, "ses_1", 1, cursor, &page, next, sizeof next, &err));
    assert_int_equal(page.count, 1);
    assert_string_equal(page.items[0].id, "not_1");
    assert_string_equal(next, "");
    parley_session_note_list_free(&page);

    /* read receipts: raised, never lowered; *changed says whether it moved */
    const struct {
        parley_participant_kind kind;
        const char *id;
    } senders[] = {{PARLEY_PARTICIPANT_CUSTOMER, "cus_1"},
                   {PARLEY_PARTICIPANT_AGENT, "agt_1"},
                   {PARLEY_PARTICIPANT_CUSTOMER, "cus_1"}};
    for (int64_t seq = 1; seq <= 3; seq++) {
        char id[16];
        snprintf(id, sizeof id, "msg_%d", (int)seq);
        parley_message m =
            make_message(id, "ses_1", seq, senders[seq - 1].kind, senders[seq - 1].id, NULL, "hi");
        assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    }
    int64_t unread = -1;
    assert_ok(fx->repo->tools->unread_count(fx->repo, "ses_1", PARLEY_PARTICIPANT_AGENT, "agt_1",
                                            100, &unread, &err));
    assert_int_equal(unread, 2); /* one's own message is never unread */
    assert_ok(fx->repo->tools->unread_count(fx->repo, "ses_1", PARLEY_PARTICIPANT_AGENT, "agt_1", 1,
                                            &unread, &err));
    assert_int_equal(unread, 1); /* counted up to the cap */
    bool changed = false;
    assert_ok(fx->repo->tools->read_mark(fx->repo, "ses_1", PARLEY_PARTICIPANT_AGENT, "agt_1", 2,
                                         9000, &changed, &err));
    assert_true(changed);
    assert_ok(fx->repo->tools->read_mark(fx->repo, "ses_1", PARLEY_PARTICIPANT_AGENT, "agt_1", 1,
                                         9100, &changed, &err));
    assert_false(changed); /* never goes down: a result, not an error */
    assert_ok(fx->repo->tools->read_mark(fx->repo, "ses_1", PARLEY_PARTICIPANT_CUSTOMER, "cus_1", 3,
                                         9200, &changed, &err));
    assert_true(changed);
    assert_ok(fx->repo->tools->unread_count(fx->repo, "ses_1", PARLEY_PARTICIPANT_AGENT, "agt_1",
                                            100, &unread, &err));
    assert_int_equal(unread, 1);
    parley_read_receipt_list receipts;
    assert_ok(fx->repo->tools->read_list(fx->repo, "ses_1", &receipts, &err));
    assert_int_equal(receipts.count, 2); /* by kind, then id */
    assert_int_equal(receipts.items[0].participant_kind, PARLEY_PARTICIPANT_AGENT);
    assert_string_equal(receipts.items[0].participant_id, "agt_1");
    assert_int_equal(receipts.items[0].last_read_seq, 2);
    assert_int_equal(receipts.items[0].read_at, 9000);
    assert_int_equal(receipts.items[1].participant_kind, PARLEY_PARTICIPANT_CUSTOMER);
    assert_int_equal(receipts.items[1].last_read_seq, 3);
    parley_read_receipt_list_free(&receipts);
    assert_ok(fx->repo->tools->read_list(fx->repo, "ses_2", &receipts, &err));
    assert_int_equal(receipts.count, 0);
    parley_read_receipt_list_free(&receipts);
}

static void test_tools_labels(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_label(fx, "vip");
    add_label(fx, "angry");
    assert_status(PARLEY_E_CONFLICT,
                  fx->repo->tools->label_insert(fx->repo, "vip", "#00ff00", 1, &err));
    parley_label label;
    assert_ok(fx->repo->tools->label_get(fx->repo, "vip", &label, &err));
    assert_string_equal(label.name, "vip");
    assert_string_equal(label.color, "#ff0000");
    assert_int_equal(label.created_at, 7000);
    /* a new colour: kept, the rest of the label as it was; an unknown label is not found */
    assert_ok(fx->repo->tools->label_set_color(fx->repo, "angry", "#0f766e", &err));
    assert_ok(fx->repo->tools->label_get(fx->repo, "angry", &label, &err));
    assert_string_equal(label.color, "#0f766e");
    assert_ok(fx->repo->tools->label_get(fx->repo, "vip", &label, &err));
    assert_string_equal(label.color, "#ff0000");
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->tools->label_set_color(fx->repo, "nope", "#000000", &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tools->label_get(fx->repo, "nope", &label, &err));
    assert_true(all_zero(&label, sizeof label));
    parley_label_list labels;
    char next[PARLEY_ID_SIZE * 2];
    assert_ok(fx->repo->tools->label_list(fx->repo, 1, "", &labels, next, sizeof next, &err));
    assert_int_equal(labels.count, 1);
    assert_string_equal(labels.items[0].name, "angry"); /* newest first */
    parley_label_list_free(&labels);
    char cursor[PARLEY_ID_SIZE * 2];
    snprintf(cursor, sizeof cursor, "%s", next);
    assert_ok(fx->repo->tools->label_list(fx->repo, 1, cursor, &labels, next, sizeof next, &err));
    assert_int_equal(labels.count, 1);
    assert_string_equal(labels.items[0].name, "vip");
    assert_string_equal(next, "");
    parley_label_list_free(&labels);

    /* the session carries them sorted; the filter finds it */
    bool added = false;
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "vip", 1, &added, &err));
    assert_true(added);
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "angry", 1, &added, &err));
    assert_true(added);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"angry\",\"vip\"]");
    parley_session_free(&s);
    parley_session_filter filter = {.status = -1, .limit = 10};
    snprintf(filter.label, sizeof filter.label, "vip");
    parley_session_list list;
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 1);
    parley_session_list_free(&list);
    filter.status = PARLEY_SESSION_CLOSED;
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 0);
    parley_session_list_free(&list);
    /* a label that does not exist cannot be put on (the caller checks first) */
    assert_int_not_equal(
        fx->repo->tools->session_label_add(fx->repo, "ses_1", "ghost", 1, &added, &err), PARLEY_OK);
    assert_false(added);

    /* deleting a label takes it off every session */
    assert_ok(fx->repo->tools->label_delete(fx->repo, "vip", &err));
    assert_status(PARLEY_E_NOT_FOUND, fx->repo->tools->label_delete(fx->repo, "vip", &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"angry\"]");
    parley_session_free(&s);
    bool removed = false;
    assert_ok(fx->repo->tools->session_label_remove(fx->repo, "ses_1", "angry", &removed, &err));
    assert_true(removed);
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_null(s.labels_json);
    parley_session_free(&s);
}

/* store/tools.h: expected conflicts are results. Adding a label twice or
 * removing an absent one answers PARLEY_OK with the flag false, so the
 * unit stays usable: the statements after it in the same unit succeed and
 * its earlier writes commit. */
static void test_tools_expected_conflicts_are_results(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    add_label(fx, "vip");

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    bool added = false;
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "vip", 1, &added, &err));
    assert_true(added);
    added = true;
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "vip", 2, &added, &err));
    assert_false(added);
    /* the same unit goes on: a read and a write after the result */
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"vip\"]");
    s.updated_at = 3100;
    assert_ok(fx->repo->sessions->update(fx->repo, &s, &err));
    parley_session_free(&s);
    bool removed = true;
    assert_ok(fx->repo->tools->session_label_remove(fx->repo, "ses_1", "angry", &removed, &err));
    assert_false(removed);
    add_label(fx, "angry");
    assert_ok(fx->repo->ops->release(fx->repo, &err));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    /* everything the unit wrote committed */
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"vip\"]");
    assert_int_equal(s.updated_at, 3100);
    parley_session_free(&s);
    parley_label label;
    assert_ok(fx->repo->tools->label_get(fx->repo, "angry", &label, &err));
    assert_int_equal(raw_int(fx->path, "SELECT added_at FROM session_labels"), 1);
}

/* ---- the notification service (notifications.h) ---------------------------- */

#include "notifications.h"

/* ---- transactions --------------------------------------------------------- */

static bool customer_exists(fixture *fx, const char *id) {
    parley_customer c;
    parley_status status = fx->repo->accounts->customer_get(fx->repo, id, &c, &err);
    parley_customer_free(&c);
    assert_true(status == PARLEY_OK || status == PARLEY_E_NOT_FOUND);
    return status == PARLEY_OK;
}

static void test_savepoint_units(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_s", NULL);
    add_session(fx, "ses_1", "cus_s", PARLEY_SESSION_ACTIVE);

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    add_customer(fx, "cus_1", NULL);

    /* A failed unit is undone on its own. */
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    add_customer(fx, "cus_2", NULL);
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));

    /* A good unit after it. */
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    add_customer(fx, "cus_3", NULL);
    assert_ok(fx->repo->ops->release(fx->repo, &err));

    /* A unit that hits a conflict half-way keeps none of its writes. */
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    add_customer(fx, "cus_4", NULL);
    parley_customer again = {0};
    snprintf(again.id, sizeof again.id, "cus_1");
    again.name = lit("dup");
    assert_status(PARLEY_E_CONFLICT, fx->repo->accounts->customer_insert(fx->repo, &again, &err));
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));

    /* A rolled back unit gives its seq back: the next message gets it. */
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    parley_message m =
        make_message("msg_a", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_s", "c1", "lost");
    assert_int_equal(store_ok(fx, &m), 1);
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    m = make_message("msg_b", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_s", "c1", "kept");
    assert_int_equal(store_ok(fx, &m), 1);
    assert_ok(fx->repo->ops->release(fx->repo, &err));

    /* Nothing is visible to another connection before the batch commits. */
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM customers"), 1);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    assert_true(customer_exists(fx, "cus_1"));
    assert_false(customer_exists(fx, "cus_2"));
    assert_true(customer_exists(fx, "cus_3"));
    assert_false(customer_exists(fx, "cus_4"));
    parley_message_list list;
    parley_message_range range = {.limit = 10};
    assert_ok(fx->repo->messages->list(fx->repo, "ses_1", &range, &list, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].id, "msg_b");
    assert_int_equal(list.items[0].seq, 1);
    parley_message_list_free(&list);
    assert_int_equal(raw_int(fx->path, "SELECT last_seq FROM sessions WHERE id = 'ses_1'"), 1);

    /* A whole batch rolled back leaves nothing. */
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    add_customer(fx, "cus_5", NULL);
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    assert_false(customer_exists(fx, "cus_5"));

    /* Misuse is reported, not ignored. */
    assert_status(PARLEY_E_STORAGE, fx->repo->ops->commit(fx->repo, &err));
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_status(PARLEY_E_STORAGE, fx->repo->ops->begin(fx->repo, &err));
    assert_status(PARLEY_E_STORAGE, fx->repo->ops->release(fx->repo, &err));
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
}

static void test_busy_is_unavailable(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    parley_repository *other = open_repo(fx->url, true, 50);

    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    add_customer(fx, "cus_2", NULL);
    /* The second writer cannot get the lock... */
    assert_status(PARLEY_E_UNAVAILABLE, other->ops->begin(other, &err));
    /* ...but reads go on beside the writer (WAL) and see committed data. */
    parley_customer c;
    assert_ok(other->accounts->customer_get(other, "cus_1", &c, &err));
    parley_customer_free(&c);
    assert_status(PARLEY_E_NOT_FOUND, other->accounts->customer_get(other, "cus_2", &c, &err));
    assert_ok(fx->repo->ops->commit(fx->repo, &err));

    assert_ok(other->ops->begin(other, &err));
    assert_ok(other->accounts->customer_get(other, "cus_2", &c, &err));
    parley_customer_free(&c);
    assert_ok(other->ops->commit(other, &err));
    other->ops->close(other);
}

static void test_close_with_open_transaction_rolls_back(void **state) {
    fixture *fx = *state;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    add_customer(fx, "cus_1", NULL);
    fx->repo->ops->close(fx->repo);
    fx->repo = open_repo(fx->url, false, 0);
    assert_false(customer_exists(fx, "cus_1"));
}

static void test_data_survives_reopen(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", "site-1");
    add_agent(fx, "agt_1", "a@example.com");
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    parley_message m =
        make_message("msg_1", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c1", "m1");
    assert_int_equal(store_ok(fx, &m), 1);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    add_ticket(fx, "tkt_1", "ses_1", PARLEY_TICKET_OPEN);

    fx->repo->ops->close(fx->repo);
    fx->repo = NULL;
    /* Reopening (and re-running migrations, as the server does at start)
     * finds everything. */
    assert_ok(storage_migrate(fx->url, &err));
    fx->repo = open_repo(fx->url, true, 0);

    parley_customer c;
    assert_ok(fx->repo->accounts->customer_find_by_identifier(fx->repo, "site-1", &c, &err));
    assert_string_equal(c.id, "cus_1");
    parley_customer_free(&c);
    parley_agent a;
    assert_ok(fx->repo->accounts->agent_get_by_email(fx->repo, "A@EXAMPLE.COM", &a, NULL, &err));
    assert_string_equal(a.id, "agt_1");
    parley_agent_free(&a);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_int_equal(s.last_seq, 1);
    parley_session_free(&s);
    parley_message_list list;
    parley_message_range range = {.limit = 10};
    assert_ok(fx->repo->messages->list(fx->repo, "ses_1", &range, &list, &err));
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].content, "m1");
    parley_message_list_free(&list);
    parley_ticket t;
    assert_ok(fx->repo->tickets->get(fx->repo, "tkt_1", &t, &err));
    assert_string_equal(t.session_id, "ses_1");
    parley_ticket_free(&t);

    /* Sequences continue after the reopen, and client ids still count. */
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    parley_message_store_result res;
    assert_ok(fx->repo->messages->store(fx->repo, &m, &res, &err));
    assert_int_equal(res.outcome, PARLEY_MESSAGE_DUPLICATE);
    parley_message_free(&res.previous);
    m = make_message("msg_2", "ses_1", 0, PARLEY_PARTICIPANT_CUSTOMER, "cus_1", "c2", "m2");
    assert_int_equal(store_ok(fx, &m), 2);
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
}

static void test_unreadable_enum_is_storage_error(void **state) {
    fixture *fx = *state;
    add_customer(fx, "cus_1", NULL);
    add_session(fx, "ses_1", "cus_1", PARLEY_SESSION_ACTIVE);
    raw_exec(fx->path, "UPDATE sessions SET status = 'archived' WHERE id = 'ses_1'");
    parley_session s;
    assert_status(PARLEY_E_STORAGE, fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_true(all_zero(&s, sizeof s));
    assert_non_null(strstr(err.message, "status"));
    parley_session_list list;
    parley_session_filter filter = {.status = -1, .limit = 5};
    char next[32];
    assert_status(PARLEY_E_STORAGE,
                  fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_true(all_zero(&list, sizeof list));
}

/* ---- settings ---------------------------------------------------------------- */

static void test_settings(void **state) {
    fixture *fx = *state;
    char *value = lit("untouched");
    assert_status(PARLEY_E_NOT_FOUND,
                  fx->repo->settings->get(fx->repo, "queue.max_wait", &value, &err));
    assert_null(value);
    assert_ok(fx->repo->settings->put(fx->repo, "queue.max_wait", "30", "agt_1", 10, &err));
    assert_ok(fx->repo->settings->put(fx->repo, "routing.mode", "\"round_robin\"", NULL, 11, &err));
    assert_ok(fx->repo->settings->get(fx->repo, "queue.max_wait", &value, &err));
    assert_string_equal(value, "30");
    free(value);
    /* a second put replaces the value */
    assert_ok(
        fx->repo->settings->put(fx->repo, "queue.max_wait", "{\"a\": [1, 2]}", "agt_2", 12, &err));
    assert_ok(fx->repo->settings->get(fx->repo, "queue.max_wait", &value, &err));
    assert_string_equal(value, "{\"a\": [1, 2]}");
    free(value);
    assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM settings"), 2);
    assert_int_equal(raw_int(fx->path, "SELECT updated_at FROM settings WHERE key = "
                                       "'queue.max_wait'"),
                     12);
}

/* ---- desk, kb and reports ---------------------------------------------------- */

#include "desk_kb_reports.h"
#include "push.h"

/* ---- several writers: leadership, named locks, session locks ------------------ */

#include "several_writers.h"

/* ---- contacts ------------------------------------------------------------------ */

#include "contacts.h"

/* ---- the postgres target ------------------------------------------------- */

#include "postgres_target.h"

/* ---- the targets and the run ------------------------------------------------ */

static const struct CMUnitTest contract_tests[] = {
    cmocka_unit_test_setup_teardown(test_open_refuses_unmigrated_database, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_leadership_one_node, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_xact_locks, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_lock_sessions, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_customers, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_agents, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_bots, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_account_management, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_agent_set_password, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_moderation_and_spam_counts, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tokens, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_search_scope_and_tail, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_search_snippet_keeps_markup, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_search_refusals, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_retention_purges, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_retention_of_notifications, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_sessions, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_messages_and_client_ids, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_message_list_ranges, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_store_outcomes, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_store_seq_is_gapless, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_session_list_pages, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_session_list_limits_and_cursors, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tickets, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_feedback, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tools_canned, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tools_notes_and_receipts, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tools_labels, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_tools_expected_conflicts_are_results, setup_repo,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_notifications_outbox, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_notification_deliveries, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_notification_prefs, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_password_resets, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_webhooks, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_push_subscriptions, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_webhook_deliveries_and_attempts, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_savepoint_units, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_close_with_open_transaction_rolls_back, setup_repo,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_data_survives_reopen, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_unreadable_enum_is_storage_error, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_settings, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_desk_presence_and_loads, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_desk_queue_and_requeue, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_desk_teams, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_kb, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_kb_bot_failures, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_reports, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_contacts_read_and_search, setup_repo, teardown),
    cmocka_unit_test_setup_teardown(test_contacts_update_and_by_email, setup_repo, teardown),
};

/* SQLite's own: the schema version pragma and WAL, the write lock. */
static const struct CMUnitTest sqlite_tests[] = {
    cmocka_unit_test_setup_teardown(test_migrate_is_idempotent, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_migrate_refuses_newer_schema, setup_files, teardown),
    cmocka_unit_test_setup_teardown(test_busy_is_unavailable, setup_repo, teardown),
};

static const contract_target targets[] = {
    {"sqlite", sqlite_make_url, sqlite_remove, sqlite_raw_int, sqlite_raw_text, sqlite_raw_exec,
     sqlite_tests, sizeof sqlite_tests / sizeof sqlite_tests[0]},
    {"postgres", postgres_make_url, postgres_remove, pg_raw_int, pg_raw_text, pg_raw_exec,
     postgres_tests, sizeof postgres_tests / sizeof postgres_tests[0]},
};

int main(void) {
    int failed = 0;
    const char *only = getenv("PARLEY_CONTRACT_BACKEND");
    for (size_t i = 0; parley_storage_backends[i] != NULL; i++) {
        backend = parley_storage_backends[i];
        if (only != NULL && strcmp(only, backend->name) != 0) {
            continue;
        }
        char cluster[256];
        if (only == NULL && strcmp(backend->name, "postgres") == 0 &&
            !pg_test_cluster(cluster, sizeof cluster)) {
            printf("[  SKIPPED ] contract/%s: no test cluster (ctest runs it with one)\n",
                   backend->name);
            continue;
        }
        target = NULL;
        for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
            if (strcmp(targets[t].backend, backend->name) == 0) {
                target = &targets[t];
            }
        }
        if (target == NULL) {
            fprintf(stderr, "contract: backend %s has no target in test_repository.c\n",
                    backend->name);
            failed++;
            continue;
        }
        char group[64];
        snprintf(group, sizeof group, "contract/%s", backend->name);
        failed += _cmocka_run_group_tests(
            group, contract_tests, sizeof contract_tests / sizeof contract_tests[0], NULL, NULL);
        snprintf(group, sizeof group, "%s-specific", backend->name);
        failed +=
            _cmocka_run_group_tests(group, target->specific, target->specific_count, NULL, NULL);
    }
    return failed;
}

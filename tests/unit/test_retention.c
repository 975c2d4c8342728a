/*
 * test_retention.c - the retention pass (core/retention.c) and its SQLite
 * purges (storage/sqlite/retention.c, repo->retention) against
 * a real database file and a real file store in a fresh mkdtemp()
 * directory per test.
 *
 * A pass runs as the writer runs it: BEGIN, SAVEPOINT, the pass, RELEASE,
 * COMMIT, then the unit's after-commit actions. Raw sqlite3 connections
 * only look at the file from outside (counts, query plans).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../common/check.h"
#include "../common/raw_sqlite.h"
#include "core/retention.h"
#include "fixture.h"
#include "storage/file_store.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_repository.h"

#define NOW ((parley_time_ms)10000000000LL) /* a fixed "now", ms */
#define HOUR_MS ((parley_time_ms)3600 * 1000)
#define DAY_MS (24 * HOUR_MS)

typedef struct fixture {
    test_db db;
    char uploads[128];
    parley_repository *repo;
    int removals; /* calls of the remove function */
} fixture;

static parley_error err;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    test_db_create(&fx->db, "retention");
    snprintf(fx->uploads, sizeof fx->uploads, "%s/uploads", fx->db.dir);
    parley_error_clear(&err);
    fx->repo = test_db_open(&fx->db);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    if (fx->repo != NULL) {
        fx->repo->ops->close(fx->repo);
    }
    test_db_remove(&fx->db);
    free(fx);
    return 0;
}

/* ---- raw access ------------------------------------------------------------ */

static int64_t raw_int(const fixture *fx, const char *sql) {
    return sqlite_raw_int(fx->db.path, sql);
}

static int64_t count_where(const fixture *fx, const char *table, const char *where) {
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    return raw_int(fx, sql);
}

/* EXPLAIN QUERY PLAN of sql, all rows joined */
static void query_plan(const fixture *fx, const char *sql, char *out, size_t size) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(fx->db.path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char explain[2048];
    snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s\n", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- builders ------------------------------------------------------------ */

static char *lit(const char *s) {
    return (char *)(uintptr_t)s;
}

static void add_customer(fixture *fx, const char *id, const char *identifier,
                         parley_time_ms created_at) {
    parley_customer c = {0};
    snprintf(c.id, sizeof c.id, "%s", id);
    c.name = lit("Ada");
    c.identifier = lit(identifier);
    c.verified = identifier != NULL;
    c.created_at = created_at;
    assert_ok(fx->repo->accounts->customer_insert(fx->repo, &c, &err));
}

static void add_session(fixture *fx, const char *id, const char *customer_id) {
    parley_session s = {0};
    snprintf(s.id, sizeof s.id, "%s", id);
    snprintf(s.customer_id, sizeof s.customer_id, "%s", customer_id);
    s.status = PARLEY_SESSION_WAITING;
    s.created_at = NOW - 40 * DAY_MS;
    s.updated_at = s.created_at;
    assert_ok(fx->repo->sessions->insert(fx->repo, &s, &err));
}

static void add_token(fixture *fx, const char *hash_tag, parley_participant_kind kind,
                      const char *owner, parley_time_ms last_used_at, parley_time_ms expires_at) {
    parley_token t = {0};
    /* a 64-digit hex "hash" made from the tag */
    snprintf(t.token_hash, sizeof t.token_hash, "%064x", (unsigned)strtoul(hash_tag, NULL, 16));
    t.owner_kind = kind;
    snprintf(t.owner_id, sizeof t.owner_id, "%s", owner);
    t.created_at = last_used_at;
    t.last_used_at = last_used_at;
    t.expires_at = expires_at;
    assert_ok(fx->repo->accounts->token_insert(fx->repo, &t, &err));
}

static void add_audit(fixture *fx, parley_time_ms at) {
    parley_audit_entry e = {0};
    e.at = at;
    snprintf(e.action, sizeof e.action, "login");
    assert_ok(fx->repo->audit->insert(fx->repo, &e, &err));
}

/* stores bytes in the file store and an upload row naming them */
static void add_upload(fixture *fx, const char *id, const char *bytes, parley_time_ms created_at,
                       char sha256[PARLEY_SHA256_HEX_SIZE]) {
    assert_ok(parley_file_store_put(fx->uploads, bytes, strlen(bytes), sha256, &err));
    parley_upload u = {0};
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.sha256, sizeof u.sha256, "%s", sha256);
    u.size = (int64_t)strlen(bytes);
    snprintf(u.mime, sizeof u.mime, "text/plain");
    u.name = lit("notes.txt");
    u.uploader_kind = PARLEY_PARTICIPANT_CUSTOMER;
    snprintf(u.uploader_id, sizeof u.uploader_id, "cus_up");
    u.created_at = created_at;
    assert_ok(fx->repo->uploads->insert(fx->repo, &u, &err));
}

/* a message in session ses_up that carries the upload */
static void attach(fixture *fx, const char *upload_id, const char *message_id, int64_t seq) {
    parley_message m = {0};
    snprintf(m.id, sizeof m.id, "%s", message_id);
    snprintf(m.session_id, sizeof m.session_id, "ses_up");
    m.seq = seq;
    m.sender_kind = PARLEY_PARTICIPANT_CUSTOMER;
    snprintf(m.sender_id, sizeof m.sender_id, "cus_up");
    m.type = PARLEY_MESSAGE_FILE;
    m.content = lit("notes.txt");
    m.created_at = NOW - DAY_MS;
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    assert_ok(fx->repo->uploads->attach(fx->repo, upload_id, "cus_up", message_id, "ses_up", &err));
}

static bool file_exists(const fixture *fx, const char *sha256) {
    char path[512];
    snprintf(path, sizeof path, "%s/%.2s/%.2s/%s", fx->uploads, sha256, sha256 + 2, sha256);
    struct stat st;
    return stat(path, &st) == 0;
}

static parley_retention_policy policy(int batch) {
    parley_retention_policy p = {
        .token_idle_timeout_s = 7 * 24 * 3600,
        .customer_max_age_s = 30 * 24 * 3600,
        .audit_max_age_s = 365 * 24 * 3600,
        .upload_max_age_s = 24 * 3600,
        .batch = batch,
    };
    return p;
}

static bool remove_file(void *ctx, const char *sha256) {
    fixture *fx = ctx;
    fx->removals++;
    bool removed = false;
    assert_ok(parley_file_store_remove(fx->uploads, sha256, &removed, &err));
    return removed;
}

/* One pass as the writer runs it; before_commit (may be NULL) runs in the
 * same transaction after the pass, like a later unit of the batch. */
static parley_retention_counts pass_with(fixture *fx, const parley_retention_policy *p,
                                         void (*before_commit)(fixture *fx)) {
    parley_after_commit q = {0};
    parley_retention_counts counts;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    assert_ok(parley_retention_run(fx->repo, p, NOW, remove_file, fx, &q, &counts, &err));
    assert_ok(fx->repo->ops->release(fx->repo, &err));
    if (before_commit != NULL) {
        before_commit(fx);
    }
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    parley_after_commit_run(&q);
    return counts;
}

static parley_retention_counts pass(fixture *fx, const parley_retention_policy *p) {
    return pass_with(fx, p, NULL);
}

/* ---- tokens ------------------------------------------------------------- */

static void test_tokens_that_no_longer_work_are_purged(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(1000);
    /* past its absolute lifetime, though used a second ago */
    add_token(fx, "a1", PARLEY_PARTICIPANT_AGENT, "agt_1", NOW - 1000, NOW - 1);
    /* exactly at its lifetime's end: refused by authentication, so purged */
    add_token(fx, "a2", PARLEY_PARTICIPANT_AGENT, "agt_1", NOW - 1000, NOW);
    /* idle exactly the idle timeout: refused, purged */
    add_token(fx, "a3", PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NOW - 7 * DAY_MS, NOW + DAY_MS);
    /* idle one millisecond less: still works, kept */
    add_token(fx, "a4", PARLEY_PARTICIPANT_CUSTOMER, "cus_1", NOW - 7 * DAY_MS + 1, NOW + DAY_MS);
    /* fresh: kept */
    add_token(fx, "a5", PARLEY_PARTICIPANT_BOT, "bot_1", NOW, NOW + 30 * DAY_MS);

    parley_retention_counts c = pass(fx, &p);
    assert_int_equal(c.tokens, 3);
    assert_false(c.more);
    assert_int_equal(count_where(fx, "tokens", "1"), 2);
    assert_int_equal(count_where(fx, "tokens", "owner_id = 'cus_1' OR owner_id = 'bot_1'"), 2);
    /* the pass is on record, with its counts and no actor */
    assert_int_equal(count_where(fx, "audit_log",
                                 "action = 'retention.purge' AND actor_kind IS NULL AND "
                                 "json_extract(detail_json, '$.tokens') = 3"),
                     1);
    /* nothing left: the next pass deletes and records nothing */
    c = pass(fx, &p);
    assert_int_equal(parley_retention_rows(&c), 0);
    assert_int_equal(count_where(fx, "audit_log", "action = 'retention.purge'"), 1);
}

static void test_a_pass_is_bounded_by_its_batch(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(2);
    add_token(fx, "b1", PARLEY_PARTICIPANT_AGENT, "agt_1", NOW, NOW - 3);
    add_token(fx, "b2", PARLEY_PARTICIPANT_AGENT, "agt_1", NOW, NOW - 2);
    add_token(fx, "b3", PARLEY_PARTICIPANT_AGENT, "agt_1", NOW - 8 * DAY_MS, NOW + DAY_MS);
    for (int i = 0; i < 3; i++) {
        add_audit(fx, NOW - 400 * DAY_MS + i);
    }
    parley_retention_counts c = pass(fx, &p);
    assert_int_equal(c.tokens, 2); /* the two expired ones first, then the batch is full */
    assert_int_equal(c.audit_entries, 2);
    assert_true(c.more);
    assert_int_equal(count_where(fx, "tokens", "token_hash LIKE '%b3'"), 1);
    /* the next pass takes the rest (and the one entry the first pass wrote stays: it is new) */
    c = pass(fx, &p);
    assert_int_equal(c.tokens, 1);
    assert_int_equal(c.audit_entries, 1);
    assert_false(c.more);
    assert_int_equal(count_where(fx, "tokens", "1"), 0);
    assert_int_equal(count_where(fx, "audit_log", "action = 'login'"), 0);
    assert_int_equal(count_where(fx, "audit_log", "action = 'retention.purge'"), 2);
}

/* ---- customers ------------------------------------------------------------ */

static void test_only_never_started_anonymous_customers_are_purged(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(1000);
    parley_time_ms old = NOW - 31 * DAY_MS;
    add_customer(fx, "cus_gone", NULL, old);                /* purged */
    add_customer(fx, "cus_young", NULL, NOW - 29 * DAY_MS); /* too young */
    add_customer(fx, "cus_known", "user-42", old);          /* verified identifier */
    add_customer(fx, "cus_chatted", NULL, old);             /* started a session */
    add_session(fx, "ses_1", "cus_chatted");
    add_customer(fx, "cus_live", NULL, old); /* its token still works */
    add_token(fx, "c1", PARLEY_PARTICIPANT_CUSTOMER, "cus_live", NOW - DAY_MS, NOW + DAY_MS);
    add_customer(fx, "cus_expired", NULL, old); /* its token no longer works */
    add_token(fx, "c2", PARLEY_PARTICIPANT_CUSTOMER, "cus_expired", old, old + DAY_MS);
    /* an agent's token with the same owner id does not keep a customer */
    add_customer(fx, "cus_same", NULL, old);
    add_token(fx, "c3", PARLEY_PARTICIPANT_AGENT, "cus_same", NOW, NOW + DAY_MS);

    /* the trigger marks a customer on their first session */
    assert_int_equal(count_where(fx, "customers", "started_session = 1"), 1);
    assert_int_equal(count_where(fx, "customers", "id = 'cus_chatted' AND started_session = 1"), 1);

    parley_retention_counts c = pass(fx, &p);
    /* the expired token goes first, so its customer goes in the same pass */
    assert_int_equal(c.tokens, 1);
    assert_int_equal(c.customers, 3);
    assert_int_equal(count_where(fx, "customers", "id IN ('cus_gone', 'cus_expired', 'cus_same')"),
                     0);
    assert_int_equal(count_where(fx, "customers", "1"), 4);

    /* the one with a session stays however old, even without any token */
    c = pass(fx, &p);
    assert_int_equal(c.customers, 0);
    assert_int_equal(count_where(fx, "customers", "id = 'cus_chatted'"), 1);

    /* 0 keeps them forever */
    add_customer(fx, "cus_ancient", NULL, NOW - 3000 * DAY_MS);
    p.customer_max_age_s = 0;
    c = pass(fx, &p);
    assert_int_equal(c.customers, 0);
    assert_int_equal(count_where(fx, "customers", "id = 'cus_ancient'"), 1);
}

/* Step 12 marks the customers who already had sessions before it ran. */
static void test_migration_marks_existing_sessions(void **state) {
    fixture *fx = *state;
    fx->repo->ops->close(fx->repo);
    fx->repo = NULL;
    unlink(fx->db.path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->db.path, &db), SQLITE_OK);
    for (int v = 1; v <= 11; v++) {
        assert_int_equal(sqlite3_exec(db, parley_sqlite_schema_step(v), NULL, NULL, NULL),
                         SQLITE_OK);
    }
    assert_int_equal(
        sqlite3_exec(db,
                     "PRAGMA user_version = 11;"
                     "INSERT INTO customers (id, name, verified, created_at) VALUES "
                     "('cus_a', 'A', 0, 1), ('cus_b', 'B', 0, 1);"
                     "INSERT INTO sessions (id, customer_id, status, created_at, updated_at) "
                     "VALUES ('ses_a', 'cus_a', 'closed', 2, 2);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_ok(parley_sqlite_migrate(fx->db.path, &err));
    assert_int_equal(count_where(fx, "customers", "id = 'cus_a' AND started_session = 1"), 1);
    assert_int_equal(count_where(fx, "customers", "id = 'cus_b' AND started_session = 0"), 1);
}

/* ---- audit entries ------------------------------------------------------- */

static void test_audit_entries_older_than_the_limit_are_purged(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(1000);
    add_audit(fx, NOW - 366 * DAY_MS);
    add_audit(fx, NOW - 365 * DAY_MS - 1);
    add_audit(fx, NOW - 365 * DAY_MS); /* exactly the limit: kept */
    add_audit(fx, NOW - DAY_MS);
    parley_retention_counts c = pass(fx, &p);
    assert_int_equal(c.audit_entries, 2);
    assert_int_equal(count_where(fx, "audit_log", "action = 'login'"), 2);
    assert_int_equal(
        count_where(fx, "audit_log",
                    "action = 'retention.purge' AND json_extract(detail_json, '$.audit_entries') "
                    "= 2 AND json_extract(detail_json, '$.via') = 'retention'"),
        1);
    p.audit_max_age_s = 0; /* keep forever */
    add_audit(fx, NOW - 5000 * DAY_MS);
    c = pass(fx, &p);
    assert_int_equal(c.audit_entries, 0);
    assert_int_equal(count_where(fx, "audit_log", "action = 'login'"), 3);
}

/* ---- uploads and their files -------------------------------------------- */

static void seed_upload_session(fixture *fx) {
    add_customer(fx, "cus_up", NULL, NOW - DAY_MS);
    add_session(fx, "ses_up", "cus_up");
}

static void test_unattached_uploads_and_their_files_are_purged(void **state) {
    fixture *fx = *state;
    seed_upload_session(fx);
    parley_retention_policy p = policy(1000);
    char old_sha[PARLEY_SHA256_HEX_SIZE], young_sha[PARLEY_SHA256_HEX_SIZE],
        kept_sha[PARLEY_SHA256_HEX_SIZE];
    add_upload(fx, "upl_old", "never sent", NOW - 25 * HOUR_MS, old_sha);
    add_upload(fx, "upl_young", "just uploaded", NOW - 23 * HOUR_MS, young_sha);
    add_upload(fx, "upl_sent", "sent long ago", NOW - 100 * DAY_MS, kept_sha);
    attach(fx, "upl_sent", "msg_1", 1);

    parley_retention_counts c = pass(fx, &p);
    assert_int_equal(c.uploads, 1);
    assert_int_equal(c.files, 1);
    assert_int_equal(fx->removals, 1);
    assert_false(file_exists(fx, old_sha));
    assert_true(file_exists(fx, young_sha));
    assert_true(file_exists(fx, kept_sha)); /* attached: never purged, however old */
    assert_int_equal(count_where(fx, "uploads", "1"), 2);
    assert_int_equal(count_where(fx, "uploads", "id = 'upl_sent'"), 1);
    assert_int_equal(count_where(fx, "audit_log", "json_extract(detail_json, '$.uploads') = 1"), 1);

    /* 0 keeps them forever */
    p.upload_max_age_s = 0;
    c = pass(fx, &p);
    assert_int_equal(c.uploads, 0);
    assert_true(file_exists(fx, young_sha));
}

static void test_a_shared_file_survives_the_deletion_of_one_upload(void **state) {
    fixture *fx = *state;
    seed_upload_session(fx);
    parley_retention_policy p = policy(1000);
    char sha_a[PARLEY_SHA256_HEX_SIZE], sha_b[PARLEY_SHA256_HEX_SIZE],
        sha_c[PARLEY_SHA256_HEX_SIZE], sha_d[PARLEY_SHA256_HEX_SIZE];
    /* the same bytes twice: one unattached and old, one attached */
    add_upload(fx, "upl_a", "same bytes", NOW - 30 * HOUR_MS, sha_a);
    add_upload(fx, "upl_b", "same bytes", NOW - 30 * HOUR_MS, sha_b);
    assert_string_equal(sha_a, sha_b);
    attach(fx, "upl_b", "msg_b", 1);
    /* the same bytes twice, both unattached and old, and one young */
    add_upload(fx, "upl_c1", "other bytes", NOW - 30 * HOUR_MS, sha_c);
    add_upload(fx, "upl_c2", "other bytes", NOW - 29 * HOUR_MS, sha_c);
    add_upload(fx, "upl_c3", "other bytes", NOW - HOUR_MS, sha_c);
    /* the same bytes twice, both old and unattached: both rows go, the file once */
    add_upload(fx, "upl_d1", "third bytes", NOW - 30 * HOUR_MS, sha_d);
    add_upload(fx, "upl_d2", "third bytes", NOW - 30 * HOUR_MS, sha_d);

    parley_retention_counts c = pass(fx, &p);
    assert_int_equal(c.uploads, 5); /* upl_a, upl_c1, upl_c2, upl_d1, upl_d2 */
    assert_int_equal(c.files, 1);
    assert_int_equal(fx->removals, 1);   /* sha_d only, asked once */
    assert_true(file_exists(fx, sha_a)); /* upl_b still names it */
    assert_true(file_exists(fx, sha_c)); /* upl_c3 still names it */
    assert_false(file_exists(fx, sha_d));
    assert_int_equal(count_where(fx, "uploads", "1"), 2);
}

/* a later unit of the same batch stores the same bytes again */
static void upload_same_bytes_again(fixture *fx) {
    char sha[PARLEY_SHA256_HEX_SIZE];
    add_upload(fx, "upl_again", "racing bytes", NOW, sha);
}

static void test_a_file_stored_again_in_the_same_batch_is_kept(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(1000);
    char sha[PARLEY_SHA256_HEX_SIZE];
    add_upload(fx, "upl_first", "racing bytes", NOW - 30 * HOUR_MS, sha);
    parley_retention_counts c = pass_with(fx, &p, upload_same_bytes_again);
    assert_int_equal(c.uploads, 1);
    /* the pass found the hash unused, but after the commit a row names it:
     * the after-commit check keeps the file */
    assert_int_equal(c.files, 0);
    assert_int_equal(fx->removals, 0);
    assert_true(file_exists(fx, sha));
    assert_int_equal(count_where(fx, "uploads", "id = 'upl_again'"), 1);
}

static void test_nothing_is_removed_when_the_pass_rolls_back(void **state) {
    fixture *fx = *state;
    parley_retention_policy p = policy(1000);
    char sha[PARLEY_SHA256_HEX_SIZE];
    add_upload(fx, "upl_rb", "rolled back", NOW - 30 * HOUR_MS, sha);
    parley_after_commit q = {0};
    parley_retention_counts c;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->ops->savepoint(fx->repo, &err));
    assert_ok(parley_retention_run(fx->repo, &p, NOW, remove_file, fx, &q, &c, &err));
    assert_int_equal(c.uploads, 1);
    assert_ok(fx->repo->ops->rollback_to(fx->repo, &err));
    parley_after_commit_discard(&q); /* what the executor does for a failed unit */
    assert_ok(fx->repo->ops->commit(fx->repo, &err));
    assert_int_equal(fx->removals, 0);
    assert_true(file_exists(fx, sha));
    assert_int_equal(count_where(fx, "uploads", "id = 'upl_rb'"), 1);
}

/* ---- the file store's removal ------------------------------------------- */

static void test_file_store_remove(void **state) {
    fixture *fx = *state;
    char sha[PARLEY_SHA256_HEX_SIZE];
    assert_ok(parley_file_store_put(fx->uploads, "abc", 3, sha, &err));
    assert_true(parley_file_store_has(fx->uploads, sha, 3));
    assert_false(parley_file_store_has(fx->uploads, sha, 4)); /* not its size */
    bool removed = false;
    assert_ok(parley_file_store_remove(fx->uploads, sha, &removed, &err));
    assert_true(removed);
    assert_false(parley_file_store_has(fx->uploads, sha, 3));
    /* already gone: fine, nothing removed */
    assert_ok(parley_file_store_remove(fx->uploads, sha, &removed, &err));
    assert_false(removed);
    /* never a path outside the store */
    assert_int_equal(parley_file_store_remove(fx->uploads, "../../etc/passwd", &removed, &err),
                     PARLEY_E_STORAGE);
    assert_false(parley_file_store_has(fx->uploads, "../x", 0));
}

/* ---- bounds and indexes -------------------------------------------------- */

static void test_limits_are_checked(void **state) {
    fixture *fx = *state;
    int64_t n = -1;
    assert_int_equal(fx->repo->retention->purge_audit(fx->repo, NOW, 0, &n, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(fx->repo->retention->purge_tokens(fx->repo, NOW, NOW, 100001, &n, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(n, 0);
}

/* Every purge walks an index of what qualifies (never a whole table), so
 * a pass costs what expires. The statements are those of the retention
 * group of storage/sqlite/retention.c (keep the text in step). */
static void test_purges_use_their_indexes(void **state) {
    fixture *fx = *state;
    static const struct {
        const char *sql;
        const char *index;
    } cases[] = {
        {"SELECT token_hash FROM tokens WHERE expires_at <= 1 ORDER BY expires_at LIMIT 5",
         "tokens_expires"},
        {"SELECT token_hash FROM tokens WHERE last_used_at <= 1 ORDER BY last_used_at LIMIT 5",
         "tokens_last_used"},
        {"SELECT c.id FROM customers c WHERE c.identifier IS NULL AND c.started_session = 0 AND "
         "c.created_at < 1 AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.customer_id = c.id) "
         "AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.owner_kind = 'customer' AND t.owner_id "
         "= c.id) ORDER BY c.created_at LIMIT 5",
         "customers_never_started"},
        {"SELECT 1 FROM tokens t WHERE t.owner_kind = 'customer' AND t.owner_id = 'x'",
         "tokens_owner"},
        {"SELECT position FROM audit_log WHERE at < 1 ORDER BY at LIMIT 5", "audit_log_at"},
        {"SELECT id, sha256 FROM uploads INDEXED BY uploads_unattached WHERE message_id IS NULL "
         "AND created_at < 1 ORDER BY "
         "created_at LIMIT 5",
         "uploads_unattached"},
        {"SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = 'x')", "uploads_sha256"},
        {"SELECT n.id FROM notifications n WHERE n.created_at < 1 AND NOT EXISTS (SELECT 1 FROM "
         "notification_deliveries d2 WHERE d2.notification_id = n.id AND d2.state IN ('pending', "
         "'failed')) ORDER BY n.created_at, n.position LIMIT 5",
         "notifications_created"},
        {"SELECT 1 FROM notification_deliveries d2 WHERE d2.notification_id = 'x'",
         "deliveries_notification"},
        {"SELECT id FROM password_resets WHERE expires_at <= 1 ORDER BY expires_at LIMIT 5",
         "password_resets_expiry"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char plan[2048];
        query_plan(fx, cases[i].sql, plan, sizeof plan);
        if (strstr(plan, cases[i].index) == NULL) {
            fail_msg("%s: plan does not use %s:\n%s", cases[i].sql, cases[i].index, plan);
        }
        /* no line may scan a table without an index */
        for (char *line = plan; *line != '\0';) {
            char *end = strchr(line, '\n');
            *end = '\0';
            if (strncmp(line, "SCAN", 4) == 0 && strstr(line, "USING") == NULL &&
                strstr(line, "CONSTANT ROW") == NULL) {
                fail_msg("%s: scans a table: %s", cases[i].sql, line);
            }
            line = end + 1;
        }
    }
}

int main(void) {
    static const struct CMUnitTest tests[] = {
        FIXTURE_TEST(test_tokens_that_no_longer_work_are_purged),
        FIXTURE_TEST(test_a_pass_is_bounded_by_its_batch),
        FIXTURE_TEST(test_only_never_started_anonymous_customers_are_purged),
        FIXTURE_TEST(test_migration_marks_existing_sessions),
        FIXTURE_TEST(test_audit_entries_older_than_the_limit_are_purged),
        FIXTURE_TEST(test_unattached_uploads_and_their_files_are_purged),
        FIXTURE_TEST(test_a_shared_file_survives_the_deletion_of_one_upload),
        FIXTURE_TEST(test_a_file_stored_again_in_the_same_batch_is_kept),
        FIXTURE_TEST(test_nothing_is_removed_when_the_pass_rolls_back),
        FIXTURE_TEST(test_file_store_remove),
        FIXTURE_TEST(test_limits_are_checked),
        FIXTURE_TEST(test_purges_use_their_indexes),
    };
    return RUN_TESTS(tests);
}

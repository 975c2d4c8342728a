/*
 * test_message_writes.c - the message path's write layout (issue 11):
 * time-ordered message ids (core/ids.h parley_id_new_timed) and schema
 * step 15, upgrading a database of the previous schema with data in it
 * (positions kept, the search index now reading the text from messages,
 * the client_msg_id index still unique per sender).
 *
 * Real SQLite files in a mkdtemp() directory (tests/unit/fixture.h);
 * one thread.
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

#include "../common/check.h"
#include "core/ids.h"
#include "core/search_query.h"
#include "fixture.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/sqlite_repository.h"

static parley_error err;

/* ---- ids --------------------------------------------------------------- */

static void test_timed_ids_keep_the_format_and_sort_by_time(void **state) {
    (void)state;
    char prev[PARLEY_ID_SIZE] = "";
    char random_id[PARLEY_ID_SIZE];
    parley_id_new("msg", random_id);
    for (int i = 0; i < 2000; i++) {
        char id[PARLEY_ID_SIZE];
        parley_id_new_timed("msg", id);
        /* the API's pattern: msg_ + 26 lowercase Crockford base32 digits */
        assert_int_equal(strlen(id), strlen(random_id));
        assert_int_equal(strlen(id), 4 + 26);
        assert_memory_equal(id, "msg_", 4);
        for (size_t k = 4; k < strlen(id); k++) {
            assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", id[k]));
        }
        /* the time digits never go back; the random ones differ */
        if (prev[0] != '\0') {
            assert_true(memcmp(prev, id, 4 + 10) <= 0);
            assert_string_not_equal(prev, id);
        }
        memcpy(prev, id, sizeof prev);
    }
    /* the first ten digits are now's milliseconds */
    parley_time_ms now = parley_now_ms();
    uint64_t ms = 0;
    for (int k = 0; k < 10; k++) {
        ms = ms * 32 + (uint64_t)(strchr("0123456789abcdefghjkmnpqrstvwxyz", prev[4 + k]) -
                                  "0123456789abcdefghjkmnpqrstvwxyz");
    }
    assert_true((int64_t)ms <= now && (int64_t)ms > now - 60000);
}

/* ---- schema step 15 ---------------------------------------------------- */

static void raw_exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg);
    }
}

static int64_t raw_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A database as step 14 left it (step 13's messages and search index, 14's
 * notifications): one session, three messages whose rowids
 * are not 1..3 (one deleted before), two of them indexed, a label and an
 * upload pointing at them. */
static void make_version_14(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int v = 1; v <= 14; v++) {
        raw_exec(db, parley_sqlite_schema_step(v));
    }
    raw_exec(db,
             "PRAGMA user_version = 14;"
             "INSERT INTO customers (id, name, verified, created_at) VALUES ('cus_1', 'A', 0, 1);"
             "INSERT INTO sessions (id, customer_id, status, last_seq, created_at, updated_at) "
             "VALUES ('ses_1', 'cus_1', 'active', 3, 1, 1);"
             "INSERT INTO messages (rowid, id, session_id, seq, sender_kind, sender_id, type, "
             "content, client_msg_id, created_at) VALUES "
             "(5, 'msg_a', 'ses_1', 1, 'customer', 'cus_1', 'text', 'my parcel is late', 'c1', 1),"
             "(7, 'msg_b', 'ses_1', 2, 'agent', 'agt_1', 'text', 'which parcel', NULL, 2),"
             "(9, 'msg_c', 'ses_1', 3, 'customer', 'cus_1', 'text', 'the blue parcel', 'c2', 3);"
             "UPDATE search_progress SET last_rowid = 7;"
             "INSERT INTO message_fts (rowid, content, scope, message_id) "
             "SELECT m.rowid, m.content, 's' || hex(m.session_id) || ' c' || hex(s.customer_id), "
             "m.id FROM messages m JOIN sessions s ON s.id = m.session_id WHERE m.rowid <= 7;"
             "INSERT INTO message_labels (message_id, label, labelled_at) VALUES ('msg_b', "
             "'ham', 4);");
    sqlite3_close(db);
}

static size_t hits(parley_repository *repo, const char *q) {
    parley_search_terms terms;
    const char *why = NULL;
    assert_true(parley_search_terms_parse(q, &terms, &why));
    parley_search_spec spec = {
        .terms = &terms, .session_id = "", .customer_id = "", .limit = 50, .cursor = ""};
    parley_search_hit_list items = {0};
    char next[64];
    assert_ok(repo->search->messages(repo, &spec, &items, next, sizeof next, &err));
    size_t n = items.count;
    parley_search_hit_list_free(&items);
    return n;
}

static void test_step_15_upgrades_a_database_with_messages(void **state) {
    (void)state;
    test_db tdb;
    test_db_create(&tdb, "writes"); /* a directory; the database is replaced */
    unlink(tdb.path);
    make_version_14(tdb.path);
    assert_ok(parley_sqlite_migrate(tdb.path, &err));

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(tdb.path, &db), SQLITE_OK);
    assert_int_equal(raw_int(db, "PRAGMA user_version"), parley_sqlite_schema_step_count());
    /* positions are the old rowids, now a column */
    assert_int_equal(raw_int(db, "SELECT group_concat(position, ',') = '5,7,9' FROM "
                                 "(SELECT position FROM messages ORDER BY seq)"),
                     1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM messages WHERE rowid = position"), 3);
    /* the index keeps no copy of the text */
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                 "'message_fts_content'"),
                     0);
    /* rank 0: the index itself (the un-indexed tail is not in it yet) */
    raw_exec(db, "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 0)");
    sqlite3_close(db);

    parley_repository *repo = test_db_open(&tdb);
    /* two indexed, one in the tail; the catch-up indexes the third once */
    assert_int_equal(hits(repo, "parcel"), 3);
    int64_t indexed = -1;
    assert_ok(repo->search->index_catch_up(repo, 100, &indexed, &err));
    assert_int_equal(indexed, 1);
    assert_int_equal(hits(repo, "blue"), 1);
    assert_int_equal(hits(repo, "which"), 1);

    /* idempotent sends still find the stored message by client id, and a
     * new one appends after the old positions */
    parley_message m = {
        .sender_kind = PARLEY_PARTICIPANT_CUSTOMER, .type = PARLEY_MESSAGE_TEXT, .created_at = 10};
    parley_id_new_timed("msg", m.id);
    snprintf(m.session_id, sizeof m.session_id, "ses_1");
    snprintf(m.sender_id, sizeof m.sender_id, "cus_1");
    char content[] = "a new parcel";
    char cid[] = "c2";
    m.content = content;
    m.client_msg_id = cid;
    parley_message_store_result out = {0};
    assert_ok(repo->ops->begin(repo, &err));
    assert_ok(repo->messages->store(repo, &m, &out, &err));
    assert_int_equal(out.outcome, PARLEY_MESSAGE_DUPLICATE);
    assert_string_equal(out.previous.id, "msg_c");
    parley_message_free(&out.previous);
    char cid_new[] = "c3";
    m.client_msg_id = cid_new;
    assert_ok(repo->messages->store(repo, &m, &out, &err));
    assert_int_equal(out.outcome, PARLEY_MESSAGE_STORED);
    assert_int_equal(out.seq, 4);
    assert_ok(repo->search->index_catch_up(repo, 100, &indexed, &err));
    assert_int_equal(indexed, 1);
    assert_ok(repo->ops->commit(repo, &err));
    assert_int_equal(hits(repo, "parcel"), 4);
    repo->ops->close(repo);

    /* a deleted or edited indexed message leaves the index consistent;
     * everything is indexed now, so rank 1 checks it against the text */
    assert_int_equal(sqlite3_open(tdb.path, &db), SQLITE_OK);
    assert_int_equal(raw_int(db, "SELECT max(position) FROM messages"), 10);
    raw_exec(db, "DELETE FROM message_labels; DELETE FROM messages WHERE id = 'msg_a';"
                 "UPDATE messages SET content = 'a red box' WHERE id = 'msg_c';"
                 "INSERT INTO message_fts (message_fts, rank) VALUES ('integrity-check', 1)");
    sqlite3_close(db);
    repo = test_db_open(&tdb);
    assert_int_equal(hits(repo, "parcel"), 2);
    assert_int_equal(hits(repo, "red"), 1);
    repo->ops->close(repo);
    test_db_remove(&tdb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timed_ids_keep_the_format_and_sort_by_time),
        cmocka_unit_test(test_step_15_upgrades_a_database_with_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

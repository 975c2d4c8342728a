/*
 * test_agent_tools.c - the pure parts of the agent tools (core/search_query.c:
 * the FTS5 MATCH expression built from user text, the snippet's HTML;
 * core/agent_tools.c: shortcode, label and color rules) and their storage
 * (schema step 5 indexing the messages that existed before it, monotonic
 * read receipts, canned-response scopes, labels), against a real SQLite
 * file in a fresh mkdtemp() directory.
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
#include "core/agent_tools.h"
#include "core/search_query.h"
#include "storage/sqlite/sqlite_repository.h"
#include "storage/sqlite/schema.h"

static parley_error err;

/* ---- the MATCH expression ------------------------------------------------- */

static void expect_match(const char *q, const char *want) {
    char out[PARLEY_SEARCH_MATCH_SIZE];
    const char *why = NULL;
    if (!parley_search_match(q, out, sizeof out, &why)) {
        fail_msg("%s refused: %s", q, why);
    }
    assert_string_equal(out, want);
}

static void expect_refused(const char *q, const char *why_part) {
    char out[PARLEY_SEARCH_MATCH_SIZE];
    const char *why = NULL;
    assert_false(parley_search_match(q, out, sizeof out, &why));
    assert_non_null(why);
    assert_non_null(strstr(why, why_part));
}

static void test_match_quotes_every_token(void **state) {
    (void)state;
    expect_match("refund", "\"refund\"");
    expect_match("  late   parcel ", "\"late\" \"parcel\"");
    /* operators and syntax are plain words */
    expect_match("a OR b", "\"a\" \"OR\" \"b\"");
    expect_match("NEAR(x y)", "\"NEAR(x\" \"y)\"");
    expect_match("content:x", "\"content:x\"");
    expect_match("say \"hi\"", "\"say\" \"\"\"hi\"\"\"");
    /* a trailing star stays a prefix query; a star elsewhere is text */
    expect_match("refu*", "\"refu\"*");
    expect_match("a*b", "\"a*b\"");
    /* tokens without a word character are dropped */
    expect_match("!!! ok ---", "\"ok\"");
    expect_match("caf\xc3\xa9", "\"caf\xc3\xa9\"");
}

static void test_match_refusals(void **state) {
    (void)state;
    expect_refused("", "word");
    expect_refused("   ", "word");
    expect_refused("\" * ( )", "word");
    char many[128] = "";
    for (int i = 0; i < 17; i++) {
        strcat(many, "w ");
    }
    expect_refused(many, "16 words");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_refused(big, "256 bytes");
    /* a prefix needs 3 characters (not bytes) before its star */
    expect_refused("re*", "3 characters");
    expect_refused("ok ab*", "3 characters");
    expect_refused("\xc3\xa9t*", "3 characters");
    expect_match("\xc3\xa9t\xc3\xa9*", "\"\xc3\xa9t\xc3\xa9\"*");
    expect_match("ref*", "\"ref\"*");
    /* the worst case fits the documented buffer: 256 quotes in 16 tokens */
    char quotes[257];
    memset(quotes, '"', 256);
    quotes[256] = '\0';
    for (int i = 0; i < 15; i++) {
        quotes[i * 16] = 'a';
        quotes[i * 16 + 15] = ' ';
    }
    char out[PARLEY_SEARCH_MATCH_SIZE];
    const char *why = NULL;
    assert_true(parley_search_match(quotes, out, sizeof out, &why));
}

static void test_snippet_html(void **state) {
    (void)state;
    char *html = parley_search_snippet_html("a \x02<b>\x03 & 'q' \"x\"");
    assert_non_null(html);
    assert_string_equal(html, "a <mark>&lt;b&gt;</mark> &amp; &#39;q&#39; &quot;x&quot;");
    free(html);
    html = parley_search_snippet_html(NULL);
    assert_string_equal(html, "");
    free(html);
}

static void test_names(void **state) {
    (void)state;
    assert_true(parley_canned_shortcode_valid("refund_2-x"));
    assert_false(parley_canned_shortcode_valid(""));
    assert_false(parley_canned_shortcode_valid("Refund"));
    assert_false(parley_canned_shortcode_valid("re fund"));
    assert_false(parley_canned_shortcode_valid("123456789012345678901234567890123"));
    assert_true(parley_label_name_valid("vip"));
    assert_false(parley_label_name_valid("v/p"));
    assert_true(parley_label_color_valid("#A0b1C2"));
    assert_false(parley_label_color_valid("#abcd"));
    assert_false(parley_label_color_valid("red"));
    assert_false(parley_label_color_valid("#abcdeg"));
}

/* ---- storage ------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char path[128];
    parley_repository *repo;
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/parley-tools-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/parley.db", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    fixture *fx = *state;
    if (fx->repo != NULL) {
        fx->repo->ops->close(fx->repo);
    }
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char file[160];
        snprintf(file, sizeof file, "%s%s", fx->path, suffixes[i]);
        unlink(file);
    }
    assert_int_equal(rmdir(fx->dir), 0);
    free(fx);
    return 0;
}

static void raw_exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("%s: %s", sql, msg);
    }
}

/* A database as the build before the tools left it (schema version 4),
 * with one conversation already in it. */
static void make_version_4(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int v = 1; v <= 4; v++) {
        raw_exec(db, parley_sqlite_schema_step(v));
    }
    raw_exec(db, "PRAGMA user_version = 4;"
                 "INSERT INTO customers (id, name, verified, created_at) VALUES ('cus_1', 'A', 0, "
                 "1);"
                 "INSERT INTO sessions (id, customer_id, status, last_seq, created_at, "
                 "updated_at) VALUES ('ses_1', 'cus_1', 'waiting', 2, 1, 1);"
                 "INSERT INTO messages (id, session_id, seq, sender_kind, sender_id, type, "
                 "content, created_at) VALUES ('msg_1', 'ses_1', 1, 'customer', 'cus_1', 'text', "
                 "'my parcel is late', 1), ('msg_2', 'ses_1', 2, 'customer', 'cus_1', 'text', "
                 "'hello again', 2);");
    sqlite3_close(db);
}

static parley_status search_in(fixture *fx, const char *match, const char *session,
                               const char *customer, int budget_ms, json_t **items) {
    char next[64];
    parley_search_spec spec = {.match = match,
                               .session_id = session,
                               .customer_id = customer,
                               .limit = 50,
                               .cursor = "",
                               .budget_ms = budget_ms};
    return fx->repo->search->messages(fx->repo, &spec, items, next, sizeof next, &err);
}

static json_t *search(fixture *fx, const char *match, const char *customer) {
    json_t *items = NULL;
    assert_ok(search_in(fx, match, "", customer, 0, &items));
    return items;
}

static void test_migration_indexes_existing_messages(void **state) {
    fixture *fx = *state;
    make_version_4(fx->path);
    assert_ok(parley_sqlite_migrate(fx->path, &err));
    assert_ok(parley_sqlite_repository_open(fx->path, NULL, &fx->repo, &err));
    json_t *items = search(fx, "\"parcel\"", "");
    assert_int_equal(json_array_size(items), 1);
    json_t *hit = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(hit, "message_id")), "msg_1");
    assert_string_equal(json_string_value(json_object_get(hit, "snippet")),
                        "my \x02parcel\x03 is late");
    json_decref(items);
    /* another customer's scope finds nothing */
    items = search(fx, "\"parcel\"", "cus_other");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    /* new messages are indexed in batches by search_index_catch_up (the
     * periodic writer job), in the caller's unit */
    parley_message m = {.seq = 3, .sender_kind = PARLEY_PARTICIPANT_AGENT, .created_at = 3};
    snprintf(m.id, sizeof m.id, "msg_3");
    snprintf(m.session_id, sizeof m.session_id, "ses_1");
    snprintf(m.sender_id, sizeof m.sender_id, "agt_1");
    char content[] = "the parcel left today";
    m.content = content;
    int64_t indexed = -1;
    assert_ok(fx->repo->ops->begin(fx->repo, &err));
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 1);
    assert_ok(fx->repo->ops->rollback(fx->repo, &err));
    items = search(fx, "\"parcel\"", "");
    assert_int_equal(json_array_size(items), 1); /* rolled back: not indexed either */
    json_decref(items);
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 0);
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    /* stored, not indexed yet: found in the un-indexed tail, in scope only */
    items = search(fx, "\"parcel\"", "cus_1");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "message_id")),
                        "msg_3"); /* newest first, the tail before the index */
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "snippet")),
                        "the \x02parcel\x03 left today");
    json_decref(items);
    items = search(fx, "\"parcel\"", "cus_other");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    assert_ok(search_in(fx, "\"parcel\"", "ses_other", "", 0, &items));
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 1);
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 0); /* nothing twice */
    /* indexed now: found once (never in both the tail and the index) */
    items = search(fx, "\"parcel\"", "cus_1");
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "message_id")),
                        "msg_3");
    json_decref(items);
    assert_ok(search_in(fx, "\"parcel\"", "ses_1", "cus_1", 0, &items));
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);
    /* the scope is in the index: another customer or session finds nothing */
    items = search(fx, "\"parcel\"", "cus_other");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    assert_ok(search_in(fx, "\"parcel\"", "ses_1", "cus_other", 0, &items));
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    /* a user's word never matches the scope tokens */
    char token[128];
    snprintf(token, sizeof token, "\"s%s\"", "7365735F31"); /* hex("ses_1") */
    items = search(fx, token, "");
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    /* a malformed expression is the caller's mistake, not a storage failure */
    json_t *none = NULL;
    assert_int_equal(search_in(fx, "\"unbalanced", "", "", 0, &none), PARLEY_E_INVALID);
    assert_null(none);
}

/* A search past its budget is interrupted inside SQLite and answers
 * PARLEY_E_REJECTED "search_too_broad"; the same search without a budget
 * completes. Every other message says "odd", the others "even": proving
 * that "odd even parcel late" has no hit walks four doclists of 100,000 to
 * 200,000 entries (tens of ms), far longer than the 1 ms budget plus the
 * watchdog's wake-up even on a loaded machine; nothing here measures time. */
static void test_search_budget(void **state) {
    fixture *fx = *state;
    make_version_4(fx->path);
    assert_ok(parley_sqlite_migrate(fx->path, &err));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    raw_exec(db, "WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < 200002) "
                 "INSERT INTO messages (id, session_id, seq, sender_kind, sender_id, type, "
                 "content, created_at) SELECT 'msg_' || i, 'ses_1', i, 'customer', 'cus_1', "
                 "'text', 'parcel ' || iif(i % 2, 'odd', 'even') || ' tag' || (i % 997) || "
                 "' is late', i FROM n;"
                 "UPDATE sessions SET last_seq = 200002;");
    sqlite3_close(db);
    assert_ok(parley_sqlite_repository_open(fx->path, NULL, &fx->repo, &err));
    int64_t indexed = 0;
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 200000, &indexed, &err));
    assert_int_equal(indexed, 200000);
    const char *broad = "\"odd\" \"even\" \"parcel\" \"late\"";
    json_t *items = NULL;
    assert_int_equal(search_in(fx, broad, "", "", 1, &items), PARLEY_E_REJECTED);
    assert_null(items);
    assert_string_equal(err.code, "search_too_broad");
    assert_int_equal(search_in(fx, broad, "ses_1", "cus_1", 1, &items), PARLEY_E_REJECTED);
    /* the connection is usable afterwards, and without a budget it answers */
    assert_ok(search_in(fx, broad, "", "", 0, &items));
    assert_int_equal(json_array_size(items), 0);
    json_decref(items);
    assert_ok(search_in(fx, "\"tag17\"", "ses_1", "cus_1", 60000, &items));
    assert_int_equal(json_array_size(items), 50);
    json_decref(items);
}

static void test_receipts_labels_and_canned(void **state) {
    fixture *fx = *state;
    make_version_4(fx->path);
    assert_ok(parley_sqlite_migrate(fx->path, &err));
    assert_ok(parley_sqlite_repository_open(fx->path, NULL, &fx->repo, &err));

    bool changed = false;
    assert_ok(fx->repo->tools->read_mark(fx->repo, "ses_1", PARLEY_PARTICIPANT_CUSTOMER, "cus_1", 2,
                                         10, &changed, &err));
    assert_true(changed);
    assert_ok(fx->repo->tools->read_mark(fx->repo, "ses_1", PARLEY_PARTICIPANT_CUSTOMER, "cus_1", 1,
                                         11, &changed, &err));
    assert_false(changed); /* never goes down */
    json_t *receipts = NULL;
    assert_ok(fx->repo->tools->read_list(fx->repo, "ses_1", &receipts, &err));
    assert_int_equal(json_array_size(receipts), 1);
    json_t *r = json_array_get(receipts, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "last_read_seq")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "read_at")), 10);
    json_decref(receipts);

    /* labels: the session carries them sorted; deleting one takes it off */
    assert_ok(fx->repo->tools->label_insert(fx->repo, "vip", "#ff0000", 1, &err));
    assert_ok(fx->repo->tools->label_insert(fx->repo, "angry", "#00ff00", 1, &err));
    assert_int_equal(fx->repo->tools->label_insert(fx->repo, "vip", "#ff0000", 1, &err),
                     PARLEY_E_CONFLICT);
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "vip", 1, &err));
    assert_ok(fx->repo->tools->session_label_add(fx->repo, "ses_1", "angry", 1, &err));
    assert_int_equal(fx->repo->tools->session_label_add(fx->repo, "ses_1", "vip", 1, &err),
                     PARLEY_E_CONFLICT);
    parley_session s;
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"angry\",\"vip\"]");
    parley_session_free(&s);
    parley_session_filter filter = {.status = -1, .limit = 10};
    snprintf(filter.label, sizeof filter.label, "vip");
    parley_session_list list = {0};
    char next[64];
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 1);
    parley_session_list_free(&list);
    filter.status = PARLEY_SESSION_CLOSED;
    assert_ok(fx->repo->sessions->list(fx->repo, &filter, &list, next, sizeof next, &err));
    assert_int_equal(list.count, 0);
    parley_session_list_free(&list);
    assert_ok(fx->repo->tools->label_delete(fx->repo, "vip", &err));
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_string_equal(s.labels_json, "[\"angry\"]");
    parley_session_free(&s);
    assert_ok(fx->repo->tools->session_label_remove(fx->repo, "ses_1", "angry", &err));
    assert_int_equal(fx->repo->tools->session_label_remove(fx->repo, "ses_1", "angry", &err),
                     PARLEY_E_NOT_FOUND);
    assert_ok(fx->repo->sessions->get(fx->repo, "ses_1", &s, &err));
    assert_null(s.labels_json);
    parley_session_free(&s);

    /* canned responses: a shortcode is unique per owner scope (agents
     * need rows of their own for the owner's foreign key) */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    raw_exec(db, "INSERT INTO agents (id, name, email, password_hash, role, status, active, "
                 "created_at) VALUES ('agt_1', 'A', 'a@x', 'h', 'agent', 'offline', 1, 1), "
                 "('agt_2', 'B', 'b@x', 'h', 'agent', 'offline', 1, 1)");
    sqlite3_close(db);
    parley_canned_row c = {.shortcode = "hi", .title = "t", .content = "c"};
    snprintf(c.id, sizeof c.id, "cnd_team");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    snprintf(c.id, sizeof c.id, "cnd_team2");
    assert_int_equal(fx->repo->tools->canned_insert(fx->repo, &c, &err), PARLEY_E_CONFLICT);
    snprintf(c.id, sizeof c.id, "cnd_a1");
    snprintf(c.owner_id, sizeof c.owner_id, "agt_1");
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    snprintf(c.id, sizeof c.id, "cnd_a2");
    snprintf(c.owner_id, sizeof c.owner_id, "agt_2");
    c.shortcode = "hello";
    assert_ok(fx->repo->tools->canned_insert(fx->repo, &c, &err));
    json_t *items = NULL;
    assert_ok(fx->repo->tools->canned_list(fx->repo, "agt_1", "h", 10, "", &items, next,
                                           sizeof next, &err));
    assert_int_equal(json_array_size(items), 2); /* team "hi" and agt_1's "hi", not agt_2's */
    json_decref(items);
    assert_ok(fx->repo->tools->canned_list(fx->repo, "agt_2", "hel", 10, "", &items, next,
                                           sizeof next, &err));
    assert_int_equal(json_array_size(items), 1);
    assert_true(json_is_string(json_object_get(json_array_get(items, 0), "owner_id")));
    json_decref(items);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_quotes_every_token),
        cmocka_unit_test(test_match_refusals),
        cmocka_unit_test(test_snippet_html),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_migration_indexes_existing_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts_labels_and_canned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_budget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

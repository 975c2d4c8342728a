/*
 * test_agent_tools.c - the pure parts of the agent tools (core/search_query.c:
 * the search terms split from user text, the snippet's HTML;
 * storage/sqlite/search_fts.c: the FTS5 MATCH expression of the terms;
 * core/agent_tools.c: shortcode, label and color rules) and the search's
 * SQLite storage (schema step 5 indexing the messages that existed before
 * it, the un-indexed tail, the budget), against a real SQLite file in a
 * fresh mkdtemp() directory. The tools' other ops (receipts, labels,
 * canned-response scopes, notes) are in the contract suite
 * (tests/contract/test_repository.c, "agent tools"), which runs them on
 * every backend.
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

#include "core/agent_tools.h"
#include "core/search_query.h"
#include "storage/sqlite/schema.h"
#include "storage/sqlite/search_fts.h"
#include "storage/sqlite/sqlite_repository.h"

static parley_error err;

#define assert_ok(expr)                                                                            \
    do {                                                                                           \
        parley_status st_ = (expr);                                                                \
        if (st_ != PARLEY_OK) {                                                                    \
            fail_msg("%s -> status %d: %s", #expr, (int)st_, err.message);                         \
        }                                                                                          \
    } while (0)

/* ---- the search terms and SQLite's MATCH expression --------------------- */

/* The terms of q as "[text] [text]*" (a star after a prefix term). */
static void expect_terms(const char *q, const char *want) {
    parley_search_terms terms;
    const char *why = NULL;
    if (!parley_search_terms_parse(q, &terms, &why)) {
        fail_msg("%s refused: %s", q, why);
    }
    char got[2048] = "";
    size_t n = 0;
    for (int i = 0; i < terms.count; i++) {
        n += (size_t)snprintf(got + n, sizeof got - n, "%s[%s]%s", i > 0 ? " " : "",
                              terms.term[i].text, terms.term[i].prefix ? "*" : "");
        assert_true(n < sizeof got);
    }
    assert_string_equal(got, want);
}

/* What the SQLite backend matches for q: core's terms, quoted by
 * storage/sqlite/search_fts.c. */
static void expect_match(const char *q, const char *want) {
    parley_search_terms terms;
    char out[PARLEY_SQLITE_FTS_MATCH_SIZE];
    const char *why = NULL;
    if (!parley_search_terms_parse(q, &terms, &why)) {
        fail_msg("%s refused: %s", q, why);
    }
    assert_true(parley_sqlite_fts_match(&terms, out, sizeof out));
    assert_string_equal(out, want);
}

static void expect_refused(const char *q, const char *why_part) {
    parley_search_terms terms;
    const char *why = NULL;
    assert_false(parley_search_terms_parse(q, &terms, &why));
    assert_int_equal(terms.count, 0);
    assert_non_null(why);
    assert_non_null(strstr(why, why_part));
}

static void test_terms_split_on_white_space(void **state) {
    (void)state;
    expect_terms("refund", "[refund]");
    expect_terms("  late \t parcel\n", "[late] [parcel]");
    /* operators and syntax are plain text */
    expect_terms("a OR b", "[a] [OR] [b]");
    expect_terms("NEAR(x y)", "[NEAR(x] [y)]");
    expect_terms("say \"hi\"", "[say] [\"hi\"]");
    /* a trailing star makes a prefix and leaves the text; elsewhere it is text */
    expect_terms("refu*", "[refu]*");
    expect_terms("a*b", "[a*b]");
    expect_terms("ref** x", "[ref*]* [x]");
    /* tokens without a word character are dropped, a lone star too */
    expect_terms("!!! ok --- * \"\"", "[ok]");
    expect_terms("caf\xc3\xa9", "[caf\xc3\xa9]");
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
    parley_search_terms terms;
    char out[PARLEY_SQLITE_FTS_MATCH_SIZE];
    const char *why = NULL;
    assert_true(parley_search_terms_parse(quotes, &terms, &why));
    assert_int_equal(terms.count, 15); /* the last token, only quotes, is dropped */
    assert_true(parley_sqlite_fts_match(&terms, out, sizeof out));
}

/* The builder refuses terms outside store/search.h's shape, and never
 * writes past its buffer. */
static void test_fts_match_refusals(void **state) {
    (void)state;
    parley_search_terms terms = {0};
    char out[PARLEY_SQLITE_FTS_MATCH_SIZE];
    assert_false(parley_sqlite_fts_match(&terms, out, sizeof out)); /* no term */
    assert_string_equal(out, "");
    terms.count = 1; /* an empty text */
    assert_false(parley_sqlite_fts_match(&terms, out, sizeof out));
    snprintf(terms.term[0].text, sizeof terms.term[0].text, "x\"y");
    terms.term[0].prefix = true;
    assert_true(parley_sqlite_fts_match(&terms, out, sizeof out));
    assert_string_equal(out, "\"x\"\"y\"*");
    /* "x""y"* is 7 bytes: 8 would do, but room for a separator and a
     * doubled quote in every byte is asked first */
    char small[11];
    assert_false(parley_sqlite_fts_match(&terms, small, 10));
    assert_string_equal(small, "");
    assert_true(parley_sqlite_fts_match(&terms, small, 11));
    terms.count = PARLEY_SEARCH_MAX_TOKENS + 1;
    assert_false(parley_sqlite_fts_match(&terms, out, sizeof out));
    terms.count = -1;
    assert_false(parley_sqlite_fts_match(&terms, out, sizeof out));
    /* a text that is not terminated inside its array */
    terms.count = 1;
    memset(terms.term[0].text, 'x', sizeof terms.term[0].text);
    assert_false(parley_sqlite_fts_match(&terms, out, sizeof out));
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

/* q as the API reads it (core's terms), searched in the repository. */
static parley_status search_in(fixture *fx, const char *q, const char *session,
                               const char *customer, int budget_ms, parley_search_hit_list *items) {
    char next[64];
    parley_search_terms terms;
    const char *why = NULL;
    if (!parley_search_terms_parse(q, &terms, &why)) {
        fail_msg("%s refused: %s", q, why);
    }
    parley_search_spec spec = {.terms = &terms,
                               .session_id = session,
                               .customer_id = customer,
                               .limit = 50,
                               .cursor = "",
                               .budget_ms = budget_ms};
    return fx->repo->search->messages(fx->repo, &spec, items, next, sizeof next, &err);
}

static parley_search_hit_list search(fixture *fx, const char *q, const char *customer) {
    parley_search_hit_list items = {0};
    assert_ok(search_in(fx, q, "", customer, 0, &items));
    return items;
}

/* q searched in a session and/or customer scope finds n messages. */
static void expect_hits(fixture *fx, const char *q, const char *session, const char *customer,
                        size_t n) {
    parley_search_hit_list items = {0};
    assert_ok(search_in(fx, q, session, customer, 0, &items));
    assert_int_equal(items.count, n);
    parley_search_hit_list_free(&items);
}

static void test_migration_indexes_existing_messages(void **state) {
    fixture *fx = *state;
    make_version_4(fx->path);
    assert_ok(parley_sqlite_migrate(fx->path, &err));
    assert_ok(parley_sqlite_repository_open(fx->path, NULL, &fx->repo, &err));
    parley_search_hit_list items = search(fx, "parcel", "");
    assert_int_equal(items.count, 1);
    const parley_search_hit *hit = &items.items[0];
    assert_string_equal(hit->message_id, "msg_1");
    assert_string_equal(hit->session_id, "ses_1");
    assert_int_equal(hit->seq, 1);
    assert_int_equal(hit->sender_kind, PARLEY_PARTICIPANT_CUSTOMER);
    assert_string_equal(hit->sender_id, "cus_1");
    assert_int_equal(hit->type, PARLEY_MESSAGE_TEXT);
    assert_int_equal(hit->created_at, 1);
    assert_string_equal(hit->snippet, "my \x02parcel\x03 is late");
    parley_search_hit_list_free(&items);
    /* another customer's scope finds nothing */
    expect_hits(fx, "parcel", "", "cus_other", 0);
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
    expect_hits(fx, "parcel", "", "", 1); /* rolled back: not indexed either */
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 0);
    assert_ok(fx->repo->messages->insert(fx->repo, &m, &err));
    /* stored, not indexed yet: found in the un-indexed tail, in scope only */
    items = search(fx, "parcel", "cus_1");
    assert_int_equal(items.count, 2);
    /* newest first, the tail before the index */
    assert_string_equal(items.items[0].message_id, "msg_3");
    assert_string_equal(items.items[0].snippet, "the \x02parcel\x03 left today");
    parley_search_hit_list_free(&items);
    expect_hits(fx, "parcel", "", "cus_other", 0);
    expect_hits(fx, "parcel", "ses_other", "", 0);
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 1);
    assert_ok(fx->repo->search->index_catch_up(fx->repo, 100, &indexed, &err));
    assert_int_equal(indexed, 0); /* nothing twice */
    /* indexed now: found once (never in both the tail and the index) */
    items = search(fx, "parcel", "cus_1");
    assert_int_equal(items.count, 2);
    assert_string_equal(items.items[0].message_id, "msg_3");
    parley_search_hit_list_free(&items);
    expect_hits(fx, "parcel", "ses_1", "cus_1", 2);
    /* the scope is in the index: another customer or session finds nothing */
    expect_hits(fx, "parcel", "", "cus_other", 0);
    expect_hits(fx, "parcel", "ses_1", "cus_other", 0);
    /* a user's word never matches the scope tokens */
    char token[128];
    snprintf(token, sizeof token, "s%s", "7365735F31"); /* hex("ses_1") */
    expect_hits(fx, token, "", "", 0);
    /* a stray quote is text, never FTS5 syntax */
    expect_hits(fx, "\"parcel", "", "", 2);
    /* terms outside store/search.h's shape are the caller's mistake, not
     * a storage failure */
    parley_search_terms none = {0};
    char next[64];
    parley_search_spec spec = {.terms = &none, .limit = 10, .cursor = ""};
    assert_int_equal(fx->repo->search->messages(fx->repo, &spec, &items, next, sizeof next, &err),
                     PARLEY_E_INVALID);
    assert_int_equal(items.count, 0);
    assert_null(items.items);
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
    const char *broad = "odd even parcel late";
    parley_search_hit_list items = {0};
    assert_int_equal(search_in(fx, broad, "", "", 1, &items), PARLEY_E_REJECTED);
    assert_int_equal(items.count, 0);
    assert_null(items.items);
    assert_string_equal(err.code, "search_too_broad");
    assert_int_equal(search_in(fx, broad, "ses_1", "cus_1", 1, &items), PARLEY_E_REJECTED);
    /* the connection is usable afterwards, and without a budget it answers */
    expect_hits(fx, broad, "", "", 0);
    assert_ok(search_in(fx, "tag17", "ses_1", "cus_1", 60000, &items));
    assert_int_equal(items.count, 50);
    parley_search_hit_list_free(&items);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_split_on_white_space),
        cmocka_unit_test(test_match_quotes_every_token),
        cmocka_unit_test(test_match_refusals),
        cmocka_unit_test(test_fts_match_refusals),
        cmocka_unit_test(test_snippet_html),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_migration_indexes_existing_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_budget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

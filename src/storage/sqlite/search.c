/*
 * sqlite/search.c - the search ops table (core/store/search.h) on SQLite:
 * the full-text search index and queries.
 *
 * Ownership and threads are the handle's (sqlite_internal.h): every op runs
 * on the caller's connection, one thread at a time, with statements
 * prepared at open from the SQL below and reset before the op returns.
 * A search's terms become FTS5 MATCH expressions here (search_fts.h
 * quotes them), one for the index and one for the un-indexed tail.
 * The search itself (sq_message_search) runs within a wall-time budget:
 * a progress handler plus one process-wide watchdog thread that interrupts
 * a connection whose search passed its deadline (see "search: scope
 * first, within a budget" below).
 * A new op of this aggregate: its statement id in sqlite_internal.h (this
 * aggregate's group), its SQL in the array below, the function, and its
 * entry in the ops table at the end.
 */
#include "storage/sqlite/sqlite_internal.h"
#include "storage/sqlite/search_fts.h"

#include <pthread.h>
#include <time.h>

const char *const parley_sqlite_search_sql[ST_COUNT] = {
    /* Two arms, each newest first and cut at the page size, so neither
     * walks further than one page: the messages not yet indexed (the
     * caller's scope already applied when temp.search_tail was filled) and
     * the index, whose expression ?3 carries the scope tokens and stops at
     * the progress mark ?5 the tail started from (no row in both). FTS
     * rowids are messages rowids (schema step 13), one cursor for both. */
    [ST_MESSAGE_SEARCH] =
        "SELECT h.rowid, m.id AS message_id, m.session_id, m.seq, m.sender_kind, m.sender_id, "
        "m.type, m.created_at, h.snippet FROM ("
        "SELECT * FROM (SELECT rowid, message_id, snippet(search_tail, 0, char(2), char(3), '…', "
        "16) AS snippet FROM temp.search_tail WHERE search_tail MATCH ?4 AND rowid < ?1 "
        "ORDER BY rowid DESC LIMIT ?2) UNION ALL "
        "SELECT * FROM (SELECT rowid, message_id, snippet(message_fts, 0, char(2), char(3), '…', "
        "16) AS snippet FROM message_fts WHERE message_fts MATCH ?3 AND rowid < ?1 AND "
        "rowid <= ?5 ORDER BY rowid DESC LIMIT ?2)) h "
        "JOIN messages m ON m.id = h.message_id ORDER BY h.rowid DESC LIMIT ?2",
    /* walks UNIQUE (session_id, seq) from the receipt on, at most ?4 rows */
    [ST_SEARCH_PROGRESS_GET] = "SELECT last_rowid FROM search_progress WHERE id = 1",
    [ST_SEARCH_BATCH_END] = "SELECT max(rowid) FROM (SELECT rowid FROM messages WHERE rowid > ?1 "
                            "ORDER BY rowid LIMIT ?2)",
    /* the scope tokens of schema step 13: 's' || hex(session), 'c' || hex(customer) */
    [ST_SEARCH_INDEX_RANGE] = "INSERT INTO message_fts (rowid, content, scope, message_id) "
                              "SELECT m.rowid, m.content, 's' || hex(m.session_id) || ' c' || "
                              "hex(s.customer_id), m.id FROM messages m JOIN sessions s ON "
                              "s.id = m.session_id WHERE m.rowid > ?1 AND m.rowid <= ?2 "
                              "ORDER BY m.rowid",
    [ST_SEARCH_PROGRESS_SET] = "UPDATE search_progress SET last_rowid = ?1 WHERE id = 1",
    /* the un-indexed tail of a search, in the caller's scope, newest first:
     * written to this connection's temp database only, never to the file.
     * Always a walk of the rowid range above the progress mark (a few
     * hundred ms of messages): "+session_id" keeps the planner from walking
     * a long session's whole history through its index instead */
    [ST_SEARCH_TAIL_CLEAR] = "DELETE FROM temp.search_tail",
    [ST_SEARCH_TAIL_ALL] = "INSERT INTO temp.search_tail (rowid, content, message_id) "
                           "SELECT rowid, content, id FROM messages WHERE rowid > ?1 "
                           "ORDER BY rowid DESC LIMIT ?2",
    [ST_SEARCH_TAIL_SESSION] = "INSERT INTO temp.search_tail (rowid, content, message_id) "
                               "SELECT rowid, content, id FROM messages WHERE +session_id = ?3 "
                               "AND rowid > ?1 AND EXISTS (SELECT 1 FROM sessions WHERE id = ?3 "
                               "AND (?4 IS NULL OR customer_id = ?4)) "
                               "ORDER BY rowid DESC LIMIT ?2",
    [ST_SEARCH_TAIL_CUSTOMER] = "INSERT INTO temp.search_tail (rowid, content, message_id) "
                                "SELECT rowid, content, id FROM messages WHERE +session_id IN "
                                "(SELECT id FROM sessions WHERE customer_id = ?4) AND rowid > ?1 "
                                "ORDER BY rowid DESC LIMIT ?2",
};

/* ---- the search index's catch-up ------------------------------------------ */

static parley_status query_one_i64(struct sqlite_repo *r, binder *b, const char *op, int64_t *out,
                                   bool *is_null, parley_error *err) {
    parley_status status = fetch_one(r, b, op, "row", err);
    if (status == PARLEY_OK) {
        *is_null = sqlite3_column_type(b->st, 0) == SQLITE_NULL;
        *out = sqlite3_column_int64(b->st, 0);
    }
    stmt_done(b->st);
    return status;
}

static parley_status sq_search_index_catch_up(parley_repository *repo, int max_rows,
                                              int64_t *indexed, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    *indexed = 0;
    int64_t last = 0;
    int64_t end = 0;
    bool none = false;
    binder b = bind_start(r, ST_SEARCH_PROGRESS_GET);
    parley_status status = query_one_i64(r, &b, "search_progress_get", &last, &none, err);
    if (status == PARLEY_OK) {
        b = bind_start(r, ST_SEARCH_BATCH_END);
        b_i64(&b, 1, last);
        b_int(&b, 2, max_rows);
        status = query_one_i64(r, &b, "search_batch_end", &end, &none, err);
    }
    if (status != PARLEY_OK || none) {
        return status;
    }
    b = bind_start(r, ST_SEARCH_INDEX_RANGE);
    b_i64(&b, 1, last);
    b_i64(&b, 2, end);
    status = exec_write(r, &b, false, "search_index_range", "message", err);
    if (status == PARLEY_OK) {
        *indexed = sqlite3_changes(r->db);
        b = bind_start(r, ST_SEARCH_PROGRESS_SET);
        b_i64(&b, 1, end);
        status = exec_write(r, &b, true, "search_progress_set", "search progress", err);
    }
    return status;
}

/* ---- search: scope first, within a budget -------------------------------- */

/* The index's token for a scope: prefix + hex of the id, one unicode61
 * token whatever characters the id holds (schema step 13 stores the same
 * with SQL's hex()). */
static bool scope_token(char prefix, const char *id, char *out, size_t size) {
    static const char digits[] = "0123456789ABCDEF";
    size_t len = strnlen(id, PARLEY_ID_SIZE);
    if (len == 0 || len >= PARLEY_ID_SIZE || 1 + len * 2 + 1 > size) {
        return false;
    }
    size_t n = 0;
    out[n++] = prefix;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        out[n++] = digits[c >> 4];
        out[n++] = digits[c & 15];
    }
    out[n] = '\0';
    return true;
}

typedef struct search_clock {
    int64_t deadline_ms;
    bool expired;
} search_clock;

static int64_t monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sqlite3_progress_handler: a non-zero answer interrupts the statement
 * (FTS5's own reads are statements on this connection, so a long doclist
 * merge is interrupted too). */
static int search_over_budget(void *ctx) {
    search_clock *clock = ctx;
    if (monotonic_ms() > clock->deadline_ms) {
        clock->expired = true;
        return 1;
    }
    return 0;
}

/* VM instructions between two looks at the clock */
#define SEARCH_PROGRESS_STEPS 2000

/* The search watchdog. The progress handler above only runs between VM
 * instructions, and FTS5 merges a prefix's doclists (and walks an AND)
 * in C inside one instruction, reading its pages without any: a broad
 * prefix could run for seconds unseen. One process-wide thread therefore
 * watches every running search's deadline and calls sqlite3_interrupt()
 * on its connection when it passes, which FTS5's page reads honour (tens
 * of ms late at worst). A search registers before its first statement and
 * unregisters, under the same lock, before its connection runs anything
 * else: the interrupt can never hit a later statement or a closed handle
 * (and SQLite ignores one that arrives when nothing is running). If the
 * thread cannot be started the progress handler is the only guard. */
typedef struct search_watch {
    sqlite3 *db;
    int64_t deadline_ms;
    bool fired;
    struct search_watch *next;
} search_watch;

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cond;
static search_watch *watch_list;
static bool watch_running;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void *watchdog_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&watch_lock);
    for (;;) {
        int64_t now = monotonic_ms(), earliest = INT64_MAX;
        for (search_watch *w = watch_list; w != NULL; w = w->next) {
            if (w->fired) {
                continue;
            }
            if (w->deadline_ms <= now) {
                sqlite3_interrupt(w->db);
                w->fired = true;
            } else if (w->deadline_ms < earliest) {
                earliest = w->deadline_ms;
            }
        }
        if (earliest == INT64_MAX) {
            pthread_cond_wait(&watch_cond, &watch_lock);
        } else {
            struct timespec until = {(time_t)(earliest / 1000), (long)(earliest % 1000) * 1000000};
            pthread_cond_timedwait(&watch_cond, &watch_lock, &until);
        }
    }
    return NULL;
}

static void watchdog_start(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&watch_cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_t thread;
    pthread_attr_t tattr;
    pthread_attr_init(&tattr);
    pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
    watch_running = pthread_create(&thread, &tattr, watchdog_main, NULL) == 0;
    pthread_attr_destroy(&tattr);
}

static void watch_begin(search_watch *w) {
    pthread_once(&watch_once, watchdog_start);
    if (!watch_running) {
        return;
    }
    pthread_mutex_lock(&watch_lock);
    w->next = watch_list;
    watch_list = w;
    pthread_cond_signal(&watch_cond);
    pthread_mutex_unlock(&watch_lock);
}

/* true when the watchdog interrupted the search */
static bool watch_end(search_watch *w) {
    if (!watch_running) {
        return false;
    }
    pthread_mutex_lock(&watch_lock);
    for (search_watch **p = &watch_list; *p != NULL; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    bool fired = w->fired;
    pthread_mutex_unlock(&watch_lock);
    return fired;
}

static parley_status fill_search_tail(struct sqlite_repo *r, const parley_search_spec *spec,
                                      int64_t progress, parley_error *err) {
    parley_status status = exec_plain(r, ST_SEARCH_TAIL_CLEAR, "search_tail", err);
    bool session = spec->session_id != NULL && spec->session_id[0] != '\0';
    bool customer = spec->customer_id != NULL && spec->customer_id[0] != '\0';
    if (status != PARLEY_OK) {
        return status;
    }
    binder b = bind_start(r, session    ? ST_SEARCH_TAIL_SESSION
                             : customer ? ST_SEARCH_TAIL_CUSTOMER
                                        : ST_SEARCH_TAIL_ALL);
    b_i64(&b, 1, progress);
    b_int(&b, 2, PARLEY_SEARCH_TAIL_MAX);
    if (session) {
        b_id(&b, 3, spec->session_id);
    }
    if (session || customer) {
        b_text(&b, 4, customer ? spec->customer_id : NULL);
    }
    return exec_write(r, &b, false, "search_tail", "message", err);
}

/* A row of ST_MESSAGE_SEARCH: column 0 is the cursor position. */
static void read_hit(row_reader *rd, void *item) {
    parley_search_hit *h = item;
    r_id(rd, 1, h->message_id);
    r_id(rd, 2, h->session_id);
    h->seq = r_i64(rd, 3);
    h->sender_kind = participant_kind_load(rd, 4);
    r_id(rd, 5, h->sender_id);
    h->type = message_type_load(rd, 6);
    h->created_at = r_i64(rd, 7);
    h->snippet = r_text(rd, 8);
}

static void *push_hit(void *list) {
    return parley_search_hit_list_push(list);
}

static void free_hits(void *list) {
    parley_search_hit_list_free(list);
}

static const page_kind hit_page = {ST_MESSAGE_SEARCH, 0, push_hit, read_hit, free_hits};

/* The two MATCH expressions of a search: the index's carries the scope
 * tokens, the tail's (already scoped when it was filled) only the text. */
static parley_status search_expressions(const parley_search_spec *spec, char *indexed,
                                        size_t indexed_size, char *tail, size_t tail_size,
                                        parley_error *err) {
    char session_tok[PARLEY_ID_SIZE * 2 + 2] = "", customer_tok[PARLEY_ID_SIZE * 2 + 2] = "";
    if ((spec->session_id != NULL && spec->session_id[0] != '\0' &&
         !scope_token('s', spec->session_id, session_tok, sizeof session_tok)) ||
        (spec->customer_id != NULL && spec->customer_id[0] != '\0' &&
         !scope_token('c', spec->customer_id, customer_tok, sizeof customer_tok))) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "message_search: bad scope id");
    }
    char match[PARLEY_SQLITE_FTS_MATCH_SIZE];
    if (spec->terms == NULL || !parley_sqlite_fts_match(spec->terms, match, sizeof match)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "message_search: no terms, too many, an empty one, or too long");
    }
    int n = snprintf(indexed, indexed_size, "%s%s%s%s%s%scontent : ( %s )",
                     session_tok[0] ? "scope : \"" : "", session_tok,
                     session_tok[0] ? "\" AND " : "", customer_tok[0] ? "scope : \"" : "",
                     customer_tok, customer_tok[0] ? "\" AND " : "", match);
    int t = snprintf(tail, tail_size, "content : ( %s )", match);
    if (n < 0 || (size_t)n >= indexed_size || t < 0 || (size_t)t >= tail_size) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "message_search: query too long");
    }
    return PARLEY_OK;
}

/* Both arms, one page of hits from the cursor on (?1 before, ?2 limit + 1). */
static parley_status search_page(struct sqlite_repo *r, const parley_search_spec *spec,
                                 const char *indexed, const char *tail, int64_t progress,
                                 parley_search_hit_list *out, char *next_cursor_out,
                                 size_t next_cursor_size, parley_error *err) {
    const char *op = "message_search";
    int limit = clamp_limit(spec->limit);
    int64_t before;
    const char *c = spec->cursor != NULL ? spec->cursor : "";
    if (!parley_sqlite_parse_cursor(c, strlen(c) + 1, &before)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL, "%s: malformed cursor", op);
    }
    binder b = bind_start(r, ST_MESSAGE_SEARCH);
    b_i64(&b, 1, before);
    b_int(&b, 2, limit + 1);
    b_text(&b, 3, indexed);
    b_text(&b, 4, tail);
    b_i64(&b, 5, progress);
    parley_status status = bind_check(r, &b, op, err);
    if (status != PARLEY_OK) {
        stmt_done(b.st);
        return status;
    }
    return page_run(r, &hit_page, op, &b, limit, out, next_cursor_out, next_cursor_size, err);
}

static parley_status sq_message_search(parley_repository *repo, const parley_search_spec *spec,
                                       parley_search_hit_list *out, char *next_cursor_out,
                                       size_t next_cursor_size, parley_error *err) {
    struct sqlite_repo *r = as_sqlite(repo);
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    /* the scope is part of the expression the index evaluates */
    char indexed[PARLEY_ID_SIZE * 6 + 1024], tail[1024];
    parley_status status =
        search_expressions(spec, indexed, sizeof indexed, tail, sizeof tail, err);
    if (status != PARLEY_OK) {
        return status;
    }
    search_clock clock = {monotonic_ms() + spec->budget_ms, false};
    search_watch watch = {r->db, clock.deadline_ms, false, NULL};
    if (spec->budget_ms > 0) {
        sqlite3_progress_handler(r->db, SEARCH_PROGRESS_STEPS, search_over_budget, &clock);
        watch_begin(&watch);
    }
    /* one progress mark for both arms: the tail is what lies above it */
    int64_t progress = 0;
    bool none = false;
    binder b = bind_start(r, ST_SEARCH_PROGRESS_GET);
    status = query_one_i64(r, &b, "search_progress_get", &progress, &none, err);
    if (status == PARLEY_OK) {
        status = fill_search_tail(r, spec, progress, err);
    }
    if (status == PARLEY_OK) {
        status = search_page(r, spec, indexed, tail, progress, out, next_cursor_out,
                             next_cursor_size, err);
    }
    if (spec->budget_ms > 0 && watch_end(&watch)) {
        clock.expired = true;
    }
    sqlite3_progress_handler(r->db, 0, NULL, NULL);
    /* the tail's copy is not kept past the call */
    parley_error ignored = {0};
    (void)exec_plain(r, ST_SEARCH_TAIL_CLEAR, "search_tail", &ignored);
    if (status != PARLEY_OK && clock.expired) {
        parley_search_hit_list_free(out);
        return parley_error_set(err, PARLEY_E_REJECTED, "search_too_broad",
                                "the search ran past its budget of %d ms", spec->budget_ms);
    }
    return status;
}

const parley_search_ops parley_sqlite_search_ops = {
    .index_catch_up = sq_search_index_catch_up,
    .messages = sq_message_search,
};

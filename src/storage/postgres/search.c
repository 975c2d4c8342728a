/*
 * postgres/search.c - the search ops table (core/store/search.h) on
 * PostgreSQL: messages carry a tsvector of their content (the 'simple'
 * configuration: words lower-cased, no stemming, no stop words), written
 * by PostgreSQL with the row and indexed by GIN, so there is no index job
 * and no un-indexed tail; a search's terms become a tsquery here.
 *
 * Ownership and threads are the handle's (pg_internal.h). The search runs
 * within its wall-time budget through statement_timeout (57014 past it:
 * PARLEY_E_REJECTED "search_too_broad").
 *
 * Known differences from SQLite's FTS5 (unicode61, remove_diacritics 2):
 * diacritics are not folded ('simple' has no unaccent; the unaccent
 * extension needs a superuser), and PostgreSQL's parser keeps e-mail
 * addresses, URLs and hyphenated words as tokens of their own beside
 * their parts. The contract suite's search tests pass on both.
 */
#include "storage/postgres/pg_internal.h"

const char *const parley_pg_search_sql[PG_STMT_COUNT] = {
    /* the page first (the GIN index and the scope), the snippets of its
     * rows only. ts_headline's parser takes "<b>" and the like for HTML
     * tags and drops them from the snippet; the text's '<' goes in as
     * chr(1), which a message never holds (util/validate.h: no C0
     * controls but tab, newline, CR), and comes back after, so the
     * snippet keeps the text as sent, as SQLite's does. A short text
     * (<= 100 characters) is its own snippet whole, as in SQLite (whose
     * window of 16 tokens holds it; ts_headline would start at the
     * match). $1 position
     * bound, $2 limit + 1, $3 the tsquery, $4 the session, $5 the
     * customer (NULL: any) */
    [PG_MESSAGE_SEARCH] =
        "SELECT h.position, h.id, h.session_id, h.seq, h.sender_kind, h.sender_id, h.type, "
        "h.created_at, replace(ts_headline('simple', replace(h.content, '<', chr(1)), h.q, "
        "'StartSel=\"' || chr(2) || '\", StopSel=\"' || chr(3) || '\", ' || CASE WHEN "
        "char_length(h.content) <= 100 THEN 'HighlightAll=true' ELSE 'MaxWords=16, MinWords=8, "
        "ShortWord=0' END), chr(1), '<') FROM ("
        "SELECT m.position, m.id, m.session_id, m.seq, m.sender_kind, m.sender_id, m.type, "
        "m.created_at, m.content, q FROM messages m, to_tsquery('simple', $3) q "
        "WHERE m.search @@ q AND m.position < $1 AND ($4::text IS NULL OR m.session_id = $4) "
        "AND ($5::text IS NULL OR m.session_id IN (SELECT s.id FROM sessions s "
        "WHERE s.customer_id = $5)) ORDER BY m.position DESC LIMIT $2) h "
        "ORDER BY h.position DESC",
    /* counts the messages stored since the last call, at most $1, and
     * moves the mark past them (they were searchable all along) */
    [PG_SEARCH_CATCH_UP] =
        "WITH batch AS (SELECT m.position FROM messages m WHERE m.position > "
        "(SELECT last_position FROM search_progress WHERE id = 1) ORDER BY m.position LIMIT $1), "
        "mark AS (UPDATE search_progress SET last_position = (SELECT max(position) FROM batch) "
        "WHERE id = 1 AND EXISTS (SELECT 1 FROM batch) RETURNING 1) "
        "SELECT count(*) FROM batch",
};

/* Writes the tsquery of terms into out: each term one quoted string
 * ('\'' and '\\' escaped, so nothing in it is tsquery syntax; the parser
 * reads a phrase of the words it finds), ':*' after a prefix, joined by
 * '&'. False, out "", for terms outside store/search.h's shape (no term,
 * too many, an empty or unterminated one, texts with their stars and
 * separators over PARLEY_SEARCH_MAX_QUERY_BYTES) or when out is too small. */
static bool tsquery_of(const parley_search_terms *terms, char *out, size_t out_size) {
    if (out_size == 0) {
        return false;
    }
    out[0] = '\0';
    if (terms->count < 1 || terms->count > PARLEY_SEARCH_MAX_TOKENS) {
        return false;
    }
    size_t shape = 0, n = 0;
    for (int i = 0; i < terms->count; i++) {
        const parley_search_term *t = &terms->term[i];
        size_t len = strnlen(t->text, sizeof t->text);
        shape += len + (t->prefix ? 1 : 0) + (i > 0 ? 1 : 0);
        /* " & ", quotes, every byte escaped at worst, ":*", NUL */
        if (len == 0 || len == sizeof t->text || shape > PARLEY_SEARCH_MAX_QUERY_BYTES ||
            n + 3 + 2 + len * 2 + 2 + 1 > out_size) {
            out[0] = '\0';
            return false;
        }
        if (i > 0) {
            memcpy(out + n, " & ", 3);
            n += 3;
        }
        out[n++] = '\'';
        for (size_t k = 0; k < len; k++) {
            if (t->text[k] == '\'' || t->text[k] == '\\') {
                out[n++] = t->text[k] == '\'' ? '\'' : '\\';
            }
            out[n++] = t->text[k];
        }
        out[n++] = '\'';
        if (t->prefix) {
            out[n++] = ':';
            out[n++] = '*';
        }
        out[n] = '\0';
    }
    return true;
}

static parley_status pq_search_index_catch_up(parley_repository *repo, int max_rows,
                                              int64_t *indexed, parley_error *err) {
    binder b = bind_start(as_pg(repo), PG_SEARCH_CATCH_UP);
    b_int(&b, 1, max_rows > 0 ? max_rows : 0);
    return get_i64(&b, "search_index_catch_up", "count", indexed, err);
}

/* A row of PG_MESSAGE_SEARCH: column 0 is the cursor position. */
#define HIT_COLUMNS(F)                                                                             \
    F(position, SKIP), F(message_id, ID), F(session_id, ID), F(seq, I64),                          \
        F(sender_kind, participant_kind), F(sender_id, ID), F(type, message_type),                 \
        F(created_at, I64), F(snippet, TEXT)
ROW_READER(read_hit, parley_search_hit, HIT_COLUMNS)
ROW_LIST_TYPE(hit_rows, parley_search_hit, "message", read_hit, parley_search_hit_free,
              parley_search_hit_list, 0);

/* statement_timeout for the search alone: SET LOCAL inside a transaction
 * (gone with it), SET otherwise and back to 0 after. */
static parley_status set_budget(struct pg_repo *r, int ms, parley_error *err) {
    char sql[64];
    bool in_tx = PQtransactionStatus(r->conn) != PQTRANS_IDLE;
    snprintf(sql, sizeof sql, "SET %sstatement_timeout = %d", in_tx ? "LOCAL " : "", ms);
    return parley_pg_exec(r, sql, "message_search", err);
}

static parley_status pq_message_search(parley_repository *repo, const parley_search_spec *spec,
                                       parley_search_hit_list *out, char *next_cursor_out,
                                       size_t next_cursor_size, parley_error *err) {
    struct pg_repo *r = as_pg(repo);
    memset(out, 0, sizeof *out);
    if (next_cursor_out != NULL && next_cursor_size > 0) {
        next_cursor_out[0] = '\0';
    }
    char query[PARLEY_SEARCH_MAX_QUERY_BYTES * 2 + PARLEY_SEARCH_MAX_TOKENS * 8];
    if (spec->terms == NULL || !tsquery_of(spec->terms, query, sizeof query)) {
        return parley_error_set(err, PARLEY_E_INVALID, NULL,
                                "message_search: no terms, too many, an empty one, or too long");
    }
    parley_status status = spec->budget_ms > 0 ? set_budget(r, spec->budget_ms, err) : PARLEY_OK;
    if (status != PARLEY_OK) {
        return status;
    }
    pager p = page_open(r, PG_MESSAGE_SEARCH, "message_search", &hit_rows, spec->limit,
                        spec->cursor, 0, out, next_cursor_out, next_cursor_size);
    b_text(&p.b, 3, query);
    b_text(&p.b, 4,
           spec->session_id != NULL && spec->session_id[0] != '\0' ? spec->session_id : NULL);
    b_text(&p.b, 5,
           spec->customer_id != NULL && spec->customer_id[0] != '\0' ? spec->customer_id : NULL);
    r->sqlstate[0] = '\0';
    status = page_fetch(&p, err);
    bool expired = status != PARLEY_OK && strcmp(r->sqlstate, "57014") == 0;
    if (spec->budget_ms > 0 && PQtransactionStatus(r->conn) == PQTRANS_IDLE) {
        parley_error ignored = {0};
        (void)parley_pg_exec(r, "SET statement_timeout = 0", "message_search", &ignored);
    }
    if (expired && spec->budget_ms > 0) {
        return parley_error_set(err, PARLEY_E_REJECTED, "search_too_broad",
                                "the search ran past its budget of %d ms", spec->budget_ms);
    }
    return status;
}

const parley_search_ops parley_pg_search_ops = {
    .index_catch_up = pq_search_index_catch_up,
    .messages = pq_message_search,
};

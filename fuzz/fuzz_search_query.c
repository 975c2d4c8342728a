/*
 * fuzz_search_query.c - the search tokenizer and its snippet escaper
 * (core/search_query.h), and the SQLite backend's FTS5 expression builder
 * (storage/sqlite/search_fts.h).
 *
 * The input, cut at the first NUL, is a query q and a stored snippet.
 * Checks of parley_search_terms_parse:
 *  - it refuses exactly when q is over 256 bytes, has more than 16 tokens
 *    with a letter or digit, or none, or a prefix (word*) of fewer than
 *    PARLEY_SEARCH_MIN_PREFIX characters (a reference split made here from
 *    the rules in the header); *why then starts "q: " and no term is left;
 *  - accepted terms are the kept tokens of q in order, a trailing '*' taken
 *    off into the prefix flag, and have store/search.h's shape (no white
 *    space, at most 256 bytes together with stars and separators).
 * Checks of parley_sqlite_fts_match, on the parsed terms and on terms cut
 * straight from q at '|' (texts with white space, empty ones, more than 16:
 * what the parser never makes):
 *  - it accepts exactly the terms of the right shape that fit (the parsed
 *    ones always fit PARLEY_SQLITE_FTS_MATCH_SIZE); small buffers are never
 *    overrun and always NUL-terminated;
 *  - an accepted expression is only quoted phrases joined by single
 *    spaces, each maybe followed by '*': inside quotes a '"' is always
 *    doubled, so no FTS5 operator, column filter or parenthesis can leak
 *    out; undoubling the phrases gives back the terms' texts in order;
 *  - a real in-memory FTS5 table with the index's tokenizer accepts it,
 *    inside the column filter and scope search.c wraps around it, and it
 *    finds a row holding the terms' texts joined by spaces (each phrase
 *    finds its own words; a term with an ASCII letter or digit alone too).
 * Checks of parley_search_snippet_html: the output holds no raw < > " '
 * and no & that does not start one of the five entities or <mark>/</mark>;
 * reversing the escaping (and <mark> / </mark> back to \x02 / \x03)
 * gives the snippet back byte for byte.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/search_query.h"
#include "fuzz_checks.h"
#include "storage/sqlite/search_fts.h"

static bool space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool word_char(unsigned char c) {
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_alnum(const char *t) {
    for (; *t != '\0'; t++) {
        unsigned char c = (unsigned char)*t;
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            return true;
        }
    }
    return false;
}

/* The tokens the parser keeps, into want (as many as fit its array);
 * returns how many there are. *short_prefix tells whether one of them is
 * a prefix (word*) of fewer than PARLEY_SEARCH_MIN_PREFIX characters (code
 * points), which the parser refuses. */
static int expected_terms(const char *q, parley_search_terms *want, bool *short_prefix) {
    int tokens = 0;
    *short_prefix = false;
    size_t q_len = strlen(q);
    for (size_t i = 0; i < q_len;) {
        while (i < q_len && space(q[i])) {
            i++;
        }
        size_t start = i;
        while (i < q_len && !space(q[i])) {
            i++;
        }
        size_t tl = i - start;
        bool prefix = tl > 1 && q[i - 1] == '*';
        size_t wl = prefix ? tl - 1 : tl;
        bool has = false;
        for (size_t k = 0; k < wl; k++) {
            has = has || word_char((unsigned char)q[start + k]);
        }
        if (tl == 0 || !has) {
            continue;
        }
        if (prefix) {
            size_t chars = 0;
            for (size_t k = 0; k < wl; k++) {
                chars += ((unsigned char)q[start + k] & 0xC0) != 0x80;
            }
            *short_prefix = *short_prefix || chars < PARLEY_SEARCH_MIN_PREFIX;
        }
        if (tokens < PARLEY_SEARCH_MAX_TOKENS && wl < sizeof want->term[0].text) {
            memcpy(want->term[tokens].text, q + start, wl);
            want->term[tokens].text[wl] = '\0';
            want->term[tokens].prefix = prefix;
        }
        tokens++;
    }
    return tokens;
}

static void check_terms(const char *q, size_t q_len, parley_search_terms *terms, bool *ok) {
    static parley_search_terms want;
    memset(&want, 0, sizeof want);
    bool short_prefix = false;
    int tokens = expected_terms(q, &want, &short_prefix);
    bool should = q_len <= PARLEY_SEARCH_MAX_QUERY_BYTES && tokens >= 1 &&
                  tokens <= PARLEY_SEARCH_MAX_TOKENS && !short_prefix;
    const char *why = NULL;
    *ok = parley_search_terms_parse(q, terms, &why);
    CHECK(*ok == should);
    if (!*ok) {
        CHECK(why != NULL && strncmp(why, "q: ", 3) == 0);
        CHECK(terms->count == 0);
        return;
    }
    CHECK(terms->count == tokens);
    size_t total = 0;
    for (int i = 0; i < terms->count; i++) {
        const parley_search_term *t = &terms->term[i];
        size_t len = strnlen(t->text, sizeof t->text);
        CHECK(len > 0 && len < sizeof t->text);
        CHECK(strcmp(t->text, want.term[i].text) == 0 && t->prefix == want.term[i].prefix);
        for (size_t k = 0; k < len; k++) {
            CHECK(!space(t->text[k]));
        }
        total += len + (t->prefix ? 1 : 0) + (i > 0 ? 1 : 0);
    }
    CHECK(total <= PARLEY_SEARCH_MAX_QUERY_BYTES);
}

/* Quoted phrases joined by single spaces, quotes doubled inside, each
 * maybe followed by '*'; the undoubled phrases and stars must be terms'. */
static void check_shape(const char *e, const parley_search_terms *terms) {
    size_t i = 0, len = strlen(e);
    int phrase = 0;
    CHECK(len > 0);
    while (i < len) {
        CHECK(phrase < terms->count);
        const char *text = terms->term[phrase].text;
        size_t k = 0;
        CHECK(e[i++] == '"');
        for (;;) {
            CHECK(i < len);
            if (e[i] == '"') {
                if (i + 1 < len && e[i + 1] == '"') {
                    CHECK(text[k++] == '"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            CHECK(text[k++] == e[i]);
            i++;
        }
        CHECK(text[k] == '\0');
        bool star = i < len && e[i] == '*';
        CHECK(star == terms->term[phrase].prefix);
        i += star;
        if (i < len) {
            CHECK(e[i++] == ' ');
            CHECK(i < len);
        }
        phrase++;
    }
    CHECK(phrase == terms->count);
}

/* ---- a real FTS5 table ------------------------------------------------ */

/* The largest buffer the builder is given: room for any raw terms. */
#define RAW_MATCH_SIZE 9000

static sqlite3 *db;
static sqlite3_stmt *st_clear, *st_insert, *st_match;

/* The index's columns and tokenizer (storage/sqlite/schema.c, step 13). */
static void fts_open(void) {
    if (db != NULL) {
        return;
    }
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE VIRTUAL TABLE t USING fts5(content, scope, message_id UNINDEXED, "
                       "tokenize = 'unicode61 remove_diacritics 2')",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "DELETE FROM t", -1, &st_clear, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO t (content, scope) VALUES (?1, 's41 c42')", -1,
                             &st_insert, NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st_match, NULL) ==
          SQLITE_OK);
}

static void fts_run(sqlite3_stmt *st) {
    CHECK(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Rows the expression finds; FTS5 must accept it. */
static int fts_count(const char *expr) {
    CHECK(sqlite3_bind_text(st_match, 1, expr, -1, SQLITE_STATIC) == SQLITE_OK);
    CHECK(sqlite3_step(st_match) == SQLITE_ROW);
    int n = sqlite3_column_int(st_match, 0);
    sqlite3_reset(st_match);
    sqlite3_clear_bindings(st_match);
    return n;
}

/* Rows the expression finds inside search.c's column filter (the tail's
 * wrapping); with scope, also inside the index's, which must agree. */
static int fts_count_wrapped(const char *match, bool scope) {
    static char tail[RAW_MATCH_SIZE + 64], indexed[RAW_MATCH_SIZE + 128];
    snprintf(tail, sizeof tail, "content : ( %s )", match);
    int n = fts_count(tail);
    if (scope) {
        snprintf(indexed, sizeof indexed,
                 "scope : \"s41\" AND scope : \"c42\" AND content : ( %s )", match);
        CHECK(fts_count(indexed) == n);
    }
    return n;
}

static void check_fts(const char *match, const parley_search_terms *terms) {
    static char doc[PARLEY_SEARCH_MAX_TOKENS * (PARLEY_SEARCH_MAX_QUERY_BYTES + 2)];
    size_t n = 0;
    for (int i = 0; i < terms->count; i++) {
        n += (size_t)snprintf(doc + n, sizeof doc - n, "%s%s", i > 0 ? " " : "",
                              terms->term[i].text);
    }
    fts_open();
    fts_run(st_clear);
    CHECK(sqlite3_bind_text(st_insert, 1, doc, (int)n, SQLITE_STATIC) == SQLITE_OK);
    fts_run(st_insert);
    /* a phrase with no token in it (only symbols) is ignored inside an
     * AND and finds nothing alone: the whole finds the row exactly when
     * one of its terms alone does */
    bool any = false;
    for (int i = 0; i < terms->count; i++) {
        parley_search_terms one = {.count = 1};
        one.term[0] = terms->term[i];
        char single[PARLEY_SQLITE_FTS_MATCH_SIZE * 2];
        CHECK(parley_sqlite_fts_match(&one, single, sizeof single));
        int found = fts_count_wrapped(single, false);
        CHECK(found == 0 || found == 1);
        CHECK(found == 1 || !ascii_alnum(terms->term[i].text));
        any = any || found == 1;
    }
    CHECK(fts_count_wrapped(match, true) == (any ? 1 : 0));
}

/* The builder on terms: acceptance, bounds, shape and FTS5 for every
 * buffer size; must_fit: the terms are the parser's. */
static void check_builder(const parley_search_terms *terms, bool must_fit) {
    bool shaped = terms->count >= 1 && terms->count <= PARLEY_SEARCH_MAX_TOKENS;
    size_t exact = 0, roomy = 1;
    for (int i = 0; shaped && i < terms->count; i++) {
        const parley_search_term *t = &terms->term[i];
        size_t len = strnlen(t->text, sizeof t->text), quotes = 0;
        shaped = len > 0 && len < sizeof t->text;
        for (size_t k = 0; k < len; k++) {
            quotes += t->text[k] == '"';
        }
        exact += (i > 0 ? 1 : 0) + 2 + len + quotes + (t->prefix ? 1 : 0);
        roomy += 1 + 2 + 2 * len + 1;
    }
    static const size_t sizes[] = {PARLEY_SQLITE_FTS_MATCH_SIZE, 1, 8, 40, 600, RAW_MATCH_SIZE};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t cap = sizes[s];
        char *out = malloc(cap); /* exact size: ASan sees any overflow */
        CHECK(out != NULL);
        bool ok = parley_sqlite_fts_match(terms, out, cap);
        CHECK(memchr(out, '\0', cap) != NULL);
        CHECK(!ok || shaped);
        if (shaped && roomy <= cap) {
            CHECK(ok);
        }
        if (shaped && exact + 1 > cap) {
            CHECK(!ok);
        }
        if (must_fit && cap == PARLEY_SQLITE_FTS_MATCH_SIZE) {
            CHECK(ok);
        }
        if (ok) {
            CHECK(strlen(out) == exact);
            check_shape(out, terms);
            if (cap == (must_fit ? PARLEY_SQLITE_FTS_MATCH_SIZE : RAW_MATCH_SIZE)) {
                check_fts(out, terms);
            }
        } else {
            CHECK(out[0] == '\0');
        }
        free(out);
    }
}

/* Terms cut straight from q at '|', a trailing '*' a prefix: any bytes,
 * empty texts, one more term than the array holds (count only). */
static void raw_terms(const char *q, parley_search_terms *out) {
    memset(out, 0, sizeof *out);
    const char *p = q;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (out->count < PARLEY_SEARCH_MAX_TOKENS) {
            parley_search_term *t = &out->term[out->count];
            t->prefix = len > 0 && p[len - 1] == '*';
            len -= t->prefix;
            if (len >= sizeof t->text) {
                len = sizeof t->text - 1;
            }
            memcpy(t->text, p, len);
            t->text[len] = '\0';
        }
        out->count++;
        if (bar == NULL || out->count > PARLEY_SEARCH_MAX_TOKENS) {
            return;
        }
        p = bar + 1;
    }
}

static void check_snippet(const char *s) {
    char *h = parley_search_snippet_html(s);
    CHECK(h != NULL);
    static const char *const ent[][2] = {{"&amp;", "&"},     {"&lt;", "<"},  {"&gt;", ">"},
                                         {"&quot;", "\""},   {"&#39;", "'"}, {"<mark>", "\x02"},
                                         {"</mark>", "\x03"}};
    size_t len = strlen(h), k = 0;
    for (size_t i = 0; i < len;) {
        size_t e;
        for (e = 0; e < sizeof ent / sizeof ent[0]; e++) {
            size_t el = strlen(ent[e][0]);
            if (strncmp(h + i, ent[e][0], el) == 0) {
                CHECK(s[k] == ent[e][1][0]);
                k++;
                i += el;
                break;
            }
        }
        if (e == sizeof ent / sizeof ent[0]) {
            CHECK(strchr("&<>\"'\x02\x03", h[i]) == NULL);
            CHECK(s[k] == h[i]);
            k++;
            i++;
        }
    }
    CHECK(s[k] == '\0');
    free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t n = strnlen((const char *)data, size);
    char *q = malloc(n + 1);
    CHECK(q != NULL);
    memcpy(q, data, n);
    q[n] = '\0';
    static parley_search_terms terms, raw;
    bool ok = false;
    check_terms(q, n, &terms, &ok);
    if (ok) {
        check_builder(&terms, true);
    }
    raw_terms(q, &raw);
    check_builder(&raw, false);
    check_snippet(q);
    free(q);
    return 0;
}

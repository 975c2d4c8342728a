/*
 * fuzz_search_query.c - the search query builder and its snippet escaper
 * (core/search_query.h).
 *
 * The input, cut at the first NUL, is a query q and a stored snippet.
 * Checks of parley_search_match (with the server's buffer and with small
 * ones):
 *  - it refuses exactly when q is over 256 bytes, has more than 16 tokens
 *    with a letter or digit, or none (a count made here from the rules in
 *    the header), or (small buffers only) the result does not fit; *why
 *    then starts "q: ";
 *  - an accepted expression is only quoted phrases joined by single
 *    spaces, each maybe followed by '*': inside quotes a '"' is always
 *    doubled, so no FTS5 operator, column filter or parenthesis can leak
 *    out; undoubling the phrases gives back the kept tokens of q in order
 *    (a trailing '*' of a token becomes the prefix star);
 *  - it never writes past out_size and always NUL-terminates.
 * Checks of parley_search_snippet_html: the output holds no raw < > " '
 * and no & that does not start one of the five entities or <mark>/</mark>;
 * reversing the escaping (and <mark> / </mark> back to \x02 / \x03)
 * gives the snippet back byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "core/search_query.h"
#include "fuzz_checks.h"

static bool space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool word_char(unsigned char c) {
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The tokens the builder keeps, written as the expected expression;
 * *short_prefix tells whether one of them is a prefix (word*) of fewer
 * than PARLEY_SEARCH_MIN_PREFIX characters (code points), which the
 * builder refuses. */
static int expected(const char *q, char *out, size_t cap, size_t *len, bool *short_prefix) {
    int tokens = 0;
    *short_prefix = false;
    size_t n = 0;
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
        tokens++;
        if (n + 2 * wl + 5 < cap) {
            if (n > 0) {
                out[n++] = ' ';
            }
            out[n++] = '"';
            for (size_t k = 0; k < wl; k++) {
                out[n++] = q[start + k];
                if (q[start + k] == '"') {
                    out[n++] = '"';
                }
            }
            out[n++] = '"';
            if (prefix) {
                out[n++] = '*';
            }
        }
    }
    out[n] = '\0';
    *len = n;
    return tokens;
}

/* Quoted phrases joined by single spaces, quotes doubled inside. */
static void check_shape(const char *e) {
    size_t i = 0, len = strlen(e);
    CHECK(len > 0);
    while (i < len) {
        CHECK(e[i++] == '"');
        for (;;) {
            CHECK(i < len);
            if (e[i] == '"') {
                if (i + 1 < len && e[i + 1] == '"') {
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            i++;
        }
        if (i < len && e[i] == '*') {
            i++;
        }
        if (i < len) {
            CHECK(e[i++] == ' ');
            CHECK(i < len);
        }
    }
}

static void check_match(const char *q, size_t q_len) {
    static char want[PARLEY_SEARCH_MATCH_SIZE * 4 + 64];
    size_t want_len = 0;
    bool short_prefix = false;
    int tokens = expected(q, want, sizeof want, &want_len, &short_prefix);
    bool should = q_len <= PARLEY_SEARCH_MAX_QUERY_BYTES && tokens >= 1 &&
                  tokens <= PARLEY_SEARCH_MAX_TOKENS && !short_prefix;
    static const size_t sizes[] = {PARLEY_SEARCH_MATCH_SIZE, 1, 8, 40};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t cap = sizes[s];
        char *out = malloc(cap); /* exact size: ASan sees any overflow */
        CHECK(out != NULL);
        const char *why = NULL;
        bool ok = parley_search_match(q, out, cap, &why);
        CHECK(memchr(out, '\0', cap) != NULL);
        if (cap == PARLEY_SEARCH_MATCH_SIZE) {
            /* the server's buffer always holds an accepted query */
            CHECK(ok == should);
        } else {
            CHECK(!ok || should);
        }
        if (ok) {
            check_shape(out);
            CHECK(strcmp(out, want) == 0);
        } else {
            CHECK(why != NULL && strncmp(why, "q: ", 3) == 0);
        }
        free(out);
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
    size_t n = 0;
    char *q = fuzz_text(data, size, &n);
    check_match(q, n);
    check_snippet(q);
    free(q);
    return 0;
}

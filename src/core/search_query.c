#include "core/search_query.h"

#include <stdlib.h>
#include <string.h>

/* Any non-ASCII byte counts as a word character: the backends' tokenizers
 * (SQLite's unicode61) find letters of every script. */
static bool has_word_char(const char *t, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
            (c >= 'A' && c <= 'Z')) {
            return true;
        }
    }
    return false;
}

/* Characters, not bytes: a UTF-8 continuation byte starts none. */
static size_t utf8_chars(const char *t, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)t[i] & 0xC0) != 0x80;
    }
    return n;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool parley_search_terms_parse(const char *q, parley_search_terms *out, const char **why) {
    size_t q_len = q != NULL ? strlen(q) : 0;
    out->count = 0;
    if (q_len > PARLEY_SEARCH_MAX_QUERY_BYTES) {
        *why = "q: at most 256 bytes";
        return false;
    }
    for (size_t i = 0; i < q_len;) {
        while (i < q_len && is_space(q[i])) {
            i++;
        }
        size_t start = i;
        while (i < q_len && !is_space(q[i])) {
            i++;
        }
        size_t len = i - start;
        bool prefix = len > 1 && q[start + len - 1] == '*';
        size_t word_len = prefix ? len - 1 : len;
        if (len == 0 || !has_word_char(q + start, word_len)) {
            continue;
        }
        if (prefix && utf8_chars(q + start, word_len) < PARLEY_SEARCH_MIN_PREFIX) {
            /* "a*" names most of the index: its doclists merge in memory */
            *why = "q: a prefix (word*) needs at least 3 characters before the *";
            out->count = 0;
            return false;
        }
        if (out->count == PARLEY_SEARCH_MAX_TOKENS) {
            *why = "q: at most 16 words";
            out->count = 0;
            return false;
        }
        /* word_len <= q_len <= PARLEY_SEARCH_MAX_QUERY_BYTES: it fits */
        parley_search_term *t = &out->term[out->count++];
        memcpy(t->text, q + start, word_len);
        t->text[word_len] = '\0';
        t->prefix = prefix;
    }
    if (out->count == 0) {
        *why = "q: must contain a word to search for";
        return false;
    }
    return true;
}

char *parley_search_snippet_html(const char *snippet) {
    size_t len = snippet != NULL ? strlen(snippet) : 0;
    /* the longest replacement, "</mark>", is 7 bytes */
    char *out = malloc(len * 7 + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (snippet[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\x02':
            rep = "<mark>";
            break;
        case '\x03':
            rep = "</mark>";
            break;
        default:
            out[n++] = snippet[i];
            continue;
        }
        size_t r = strlen(rep);
        memcpy(out + n, rep, r);
        n += r;
    }
    out[n] = '\0';
    return out;
}

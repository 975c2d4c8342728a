/* spam_tokenize.c - see spam_tokenize.h. */
#include "strategies/spam_tokenize.h"

#include <stdbool.h>
#include <string.h>

static bool is_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static bool is_host_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c >= 0x80;
}

static unsigned char lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Case-insensitive prefix test of text[i..len) against lit (lowercase). */
static bool has_prefix(const char *text, size_t len, size_t i, const char *lit) {
    size_t n = strlen(lit);
    if (len - i < n) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        if (lower((unsigned char)text[i + k]) != (unsigned char)lit[k]) {
            return false;
        }
    }
    return true;
}

typedef struct tok_state {
    unsigned flags;
    parley_spam_token_fn fn;
    void *ud;
    size_t count;
    bool stop;
    char prev[PARLEY_SPAM_TOKEN_MAX_WORD + 1];
    size_t prev_len;
} tok_state;

static void emit(tok_state *st, parley_spam_token_kind kind, const char *tok, size_t n) {
    if (st->stop || st->count >= PARLEY_SPAM_TOKEN_MAX_COUNT) {
        st->stop = true;
        return;
    }
    st->count++;
    if (st->fn != NULL && st->fn(kind, tok, n, st->ud) != 0) {
        st->stop = true;
    }
}

static void emit_word(tok_state *st, parley_spam_token_kind kind, const char *w, size_t n) {
    emit(st, kind, w, n);
    if ((st->flags & PARLEY_SPAM_TOKENIZE_BIGRAMS) != 0) {
        if (st->prev_len > 0) {
            char bi[2 * PARLEY_SPAM_TOKEN_MAX_WORD + 2];
            memcpy(bi, st->prev, st->prev_len);
            bi[st->prev_len] = ' ';
            memcpy(bi + st->prev_len + 1, w, n);
            size_t bn = st->prev_len + 1 + n;
            bi[bn] = '\0';
            emit(st, PARLEY_SPAM_TOKEN_BIGRAM, bi, bn);
        }
        memcpy(st->prev, w, n);
        st->prev[n] = '\0';
        st->prev_len = n;
    }
}

/* Parses a URL whose scheme (or "www.") starts at i; returns the index after it. */
static size_t scan_url(tok_state *st, const char *text, size_t len, size_t i, size_t skip) {
    size_t h = i + skip;
    if (has_prefix(text, len, h, "www.")) {
        h += 4;
    }
    char tok[PARLEY_SPAM_TOKEN_SIZE + 1];
    memcpy(tok, "url:", 4);
    size_t n = 4;
    size_t j = h;
    while (j < len && is_host_byte((unsigned char)text[j])) {
        if (n - 4 < PARLEY_SPAM_TOKEN_MAX_HOST) {
            tok[n++] = (char)lower((unsigned char)text[j]);
        }
        j++;
    }
    /* a host cut at the limit loses its trailing non-ASCII bytes (no split character) */
    if (j - h > PARLEY_SPAM_TOKEN_MAX_HOST) {
        while (n > 4 && (unsigned char)tok[n - 1] >= 0x80) {
            n--;
        }
    }
    while (n > 4 && (tok[n - 1] == '.' || tok[n - 1] == '-')) {
        n--;
    }
    /* skip the rest of the URL: everything up to white space or a quote */
    while (j < len) {
        unsigned char c = (unsigned char)text[j];
        if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\'') {
            break;
        }
        j++;
    }
    if (n > 4) {
        tok[n] = '\0';
        st->prev_len = 0;
        emit(st, PARLEY_SPAM_TOKEN_URL, tok, n);
    }
    return j > i ? j : i + 1;
}

size_t parley_spam_tokenize(const char *text, size_t len, unsigned flags, parley_spam_token_fn fn,
                            void *ud) {
    tok_state st = {.flags = flags, .fn = fn, .ud = ud};
    if (text == NULL) {
        return 0;
    }
    size_t i = 0;
    while (i < len && !st.stop) {
        unsigned char c = (unsigned char)text[i];
        if (!is_word_byte(c)) {
            i++;
            continue;
        }
        bool at_start = i == 0 || !is_word_byte((unsigned char)text[i - 1]);
        if (at_start) {
            size_t skip = 0;
            if (has_prefix(text, len, i, "http://")) {
                skip = 7;
            } else if (has_prefix(text, len, i, "https://")) {
                skip = 8;
            } else if (has_prefix(text, len, i, "www.")) {
                skip = 0;
            } else {
                skip = (size_t)-1;
            }
            if (skip != (size_t)-1) {
                i = scan_url(&st, text, len, i, skip);
                continue;
            }
        }
        size_t start = i;
        bool digits = true;
        while (i < len && is_word_byte((unsigned char)text[i])) {
            unsigned char w = (unsigned char)text[i];
            if (w < '0' || w > '9') {
                digits = false;
            }
            i++;
        }
        size_t n = i - start;
        if (digits) {
            emit_word(&st, PARLEY_SPAM_TOKEN_NUMBER, "#num", 4);
            continue;
        }
        if (n < 2 || n > PARLEY_SPAM_TOKEN_MAX_WORD) {
            continue;
        }
        char word[PARLEY_SPAM_TOKEN_MAX_WORD + 1];
        for (size_t k = 0; k < n; k++) {
            word[k] = (char)lower((unsigned char)text[start + k]);
        }
        word[n] = '\0';
        emit_word(&st, PARLEY_SPAM_TOKEN_WORD, word, n);
    }
    return st.count;
}

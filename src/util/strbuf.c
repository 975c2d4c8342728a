#include "util/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(parley_strbuf *b, size_t n) {
    if (b->failed) {
        return false;
    }
    if (n > SIZE_MAX - b->len - 1) {
        b->failed = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap > 0 ? b->cap : 256;
    while (cap < b->len + n + 1) {
        cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void parley_strbuf_add(parley_strbuf *b, const char *s, size_t n) {
    if (!reserve(b, n)) {
        return;
    }
    if (n > 0) {
        memcpy(b->data + b->len, s, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void parley_strbuf_puts(parley_strbuf *b, const char *s) {
    parley_strbuf_add(b, s, strlen(s));
}

void parley_strbuf_printf(parley_strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

char *parley_strbuf_take(parley_strbuf *b, size_t *len_out) {
    char *text = NULL;
    size_t len = 0;
    if (!b->failed) {
        text = b->data != NULL ? b->data : strdup("");
        len = b->len;
        b->data = NULL;
    }
    parley_strbuf_free(b);
    if (len_out != NULL) {
        *len_out = text != NULL ? len : 0;
    }
    return text;
}

void parley_strbuf_free(parley_strbuf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

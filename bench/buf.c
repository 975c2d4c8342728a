/*
 * buf.c - growable byte buffer (see buf.h). Loop thread only.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool pb_buf_reserve(pb_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool pb_buf_append(pb_buf *b, const void *p, size_t n) {
    if (!pb_buf_reserve(b, n)) {
        return false;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool pb_buf_printf(pb_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return false;
    }
    if ((size_t)n < sizeof small) {
        return pb_buf_append(b, small, (size_t)n);
    }
    if (!pb_buf_reserve(b, (size_t)n)) {
        return false;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

bool pb_buf_append_urlencoded(pb_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
        if (plain) {
            if (!pb_buf_append(b, p, 1)) {
                return false;
            }
        } else {
            char enc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            if (!pb_buf_append(b, enc, 3)) {
                return false;
            }
        }
    }
    return true;
}

void pb_buf_reset(pb_buf *b) {
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

void pb_buf_free(pb_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static char pb_read_buffer[256 * 1024];

void pb_read_buffer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    (void)suggested;
    buf->base = pb_read_buffer;
    buf->len = sizeof pb_read_buffer;
}

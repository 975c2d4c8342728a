/*
 * buf.h - a growable byte buffer used for HTTP bodies and socket output.
 *
 * Ownership: a pb_buf owns its storage; release it with pb_buf_free().
 * Threads: plain data; in parley-bench only the single libuv loop thread
 * touches buffers.
 */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pb_buf {
    char *data;
    size_t len;
    size_t cap;
} pb_buf;

/* Appends n bytes; returns false when out of memory (buffer unchanged). */
bool pb_buf_append(pb_buf *b, const void *p, size_t n);

/* Appends a printf-formatted string (not NUL-terminated in the length). */
bool pb_buf_printf(pb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved
 * characters pass through). */
bool pb_buf_append_urlencoded(pb_buf *b, const char *s);

/* Empties the buffer but keeps its storage. */
void pb_buf_reset(pb_buf *b);

/* Frees the storage and zeroes the struct. */
void pb_buf_free(pb_buf *b);

#endif

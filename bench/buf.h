/*
 * buf.h - a growable byte buffer used for HTTP bodies and socket output,
 * and the one buffer every socket of the loop reads into.
 *
 * Ownership: a pb_buf owns its storage; release it with pb_buf_free().
 * Threads: plain data; in parley-bench only the single libuv loop thread
 * touches buffers.
 */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

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

/* libuv alloc callback of every socket: one static 256 KiB buffer, safe to
 * share because each read callback consumes (parses or copies) what it
 * was given before the loop reads into the buffer again. */
void pb_read_buffer_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

#endif

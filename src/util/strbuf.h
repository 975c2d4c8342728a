/*
 * strbuf.h - a growable, always NUL-terminated byte string for building
 * text (transcripts, command lines, answers read from a pipe).
 *
 * Out of memory is sticky: appends after a failed one do nothing and
 * `failed` stays true, so a builder appends freely and checks once.
 * Ownership: the buffer owns data until parley_strbuf_take() hands it over
 * or parley_strbuf_free() releases it. Threads: one thread at a time.
 */
#ifndef PARLEY_STRBUF_H
#define PARLEY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct parley_strbuf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    bool failed;
} parley_strbuf;

void parley_strbuf_add(parley_strbuf *b, const char *s, size_t n);
void parley_strbuf_puts(parley_strbuf *b, const char *s);
/* printf-style; a failed format counts as out of memory */
void parley_strbuf_printf(parley_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text (an empty string when nothing was added), or NULL when an
 * append failed; the buffer is empty afterwards. */
char *parley_strbuf_take(parley_strbuf *b, size_t *len_out);
void parley_strbuf_free(parley_strbuf *b);

#endif

/*
 * multipart.h - a small, strict multipart/form-data reader (RFC 7578,
 * RFC 2046 section 5.1) for uploads, and the Content-Disposition parameter
 * reader it shares with raw-body uploads (RFC 6266, RFC 5987 filename*).
 *
 * Why our own: Debian ships no C library for it (the candidates are
 * e-mail MIME stacks such as GMime, far more than this needs). It is
 * fuzzed by fuzz/fuzz_multipart.c.
 *
 * Strict means: the body starts with the first delimiter (no preamble),
 * every line ends in CRLF, part headers are "Name: value" lines of at most
 * PARLEY_MULTIPART_MAX_HEADERS bytes together, the close delimiter must be
 * there, there are at most PARLEY_MULTIPART_MAX_PARTS parts and exactly
 * one of them is a file (has a filename); other (text) fields are skipped.
 * Anything else is PARLEY_E_INVALID with a message saying what.
 *
 * Ownership: the file's bytes point into the caller's body (no copy); the
 * file name is a heap copy freed by parley_multipart_file_free().
 * Threads: pure functions, any thread.
 */
#ifndef PARLEY_MULTIPART_H
#define PARLEY_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define PARLEY_MULTIPART_BOUNDARY_MAX 70
#define PARLEY_MULTIPART_MAX_PARTS 16
#define PARLEY_MULTIPART_MAX_HEADERS 8192

/* Reads boundary= of a "multipart/form-data; boundary=..." Content-Type.
 * false when the type is not multipart/form-data at all (*is_multipart
 * false) or the boundary is missing or malformed (*is_multipart true). */
bool parley_multipart_boundary(const char *content_type, bool *is_multipart,
                               char out[PARLEY_MULTIPART_BOUNDARY_MAX + 1]);

typedef struct parley_multipart_file {
    const char *data; /* into the body */
    size_t len;
    char *filename; /* as sent (not yet sanitised); heap, NUL-terminated */
    size_t filename_len;
} parley_multipart_file;

parley_status parley_multipart_parse(const char *body, size_t len, const char *boundary,
                                     parley_multipart_file *out, parley_error *err);

void parley_multipart_file_free(parley_multipart_file *f);

/* The filename of a Content-Disposition value ("attachment; filename=..."
 * or a part's "form-data; name=...; filename=..."): filename* (RFC 5987,
 * UTF-8 only) wins over filename. *has_filename false when there is none.
 * false when the value is malformed. *disposition_type receives the first
 * token's length (the type is value[0..len)). */
bool parley_disposition_filename(const char *value, size_t len, size_t *disposition_type_len,
                                 char **filename, size_t *filename_len, bool *has_filename);

#endif

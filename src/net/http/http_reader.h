/*
 * http_reader.h - turns bytes into HTTP/1.1 requests (http-parser inside),
 * enforcing the header and body limits, with no I/O of its own.
 *
 * The reader stops after each complete request so the caller can answer it
 * before the next pipelined one is parsed; unconsumed bytes stay with the
 * caller. Resumable: feed it whatever arrived, as often as needed.
 *
 * Ownership: a ready request is handed to the caller, who frees it. The
 * reader owns its partial request until then, and scratch buffers for the
 * header being read, released as soon as a request is whole: between
 * requests the reader holds no heap memory. Threads: one reader per
 * connection, used by one thread (the loop).
 */
#ifndef PARLEY_HTTP_READER_H
#define PARLEY_HTTP_READER_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http/http_request.h"

typedef struct parley_http_reader {
    http_parser parser;
    int64_t max_header_bytes;
    int64_t max_body_bytes;
    parley_http_request *req; /* being parsed */
    char *field;
    size_t field_len;
    char *value;
    size_t value_len;
    bool in_value;
    size_t header_bytes;
    bool started; /* some bytes of a request have arrived */
    int reject_status;
    const char *reject_code;
    const char *reject_message;
    /* POST /api/v1/uploads may carry a file of up to this many bytes
     * (--max-upload-bytes); 0 until parley_http_reader_set_upload_limit */
    int64_t max_upload_bytes;
    int64_t body_limit; /* of the request being parsed */
} parley_http_reader;

#define PARLEY_HTTP_UPLOAD_PATH "/api/v1/uploads"
/* what a multipart body may add around the file (boundaries, part headers) */
#define PARLEY_HTTP_UPLOAD_ENVELOPE 65536

typedef enum parley_http_read_result {
    PARLEY_HTTP_NEED_MORE = 0, /* all input consumed, no complete request yet */
    PARLEY_HTTP_REQUEST_READY, /* *request holds one complete request */
    PARLEY_HTTP_BAD_REQUEST    /* *error holds the response; close afterwards */
} parley_http_read_result;

void parley_http_reader_init(parley_http_reader *r, int64_t max_header_bytes,
                             int64_t max_body_bytes);
void parley_http_reader_free(parley_http_reader *r);
/* Lets POST /api/v1/uploads bodies be as large as a file may be. */
void parley_http_reader_set_upload_limit(parley_http_reader *r, int64_t max_upload_bytes);

/* Parses from data; *consumed says how many bytes were used (the rest
 * belongs to the next request, or to the WebSocket after an upgrade). */
parley_http_read_result parley_http_reader_execute(parley_http_reader *r, const char *data,
                                                   size_t len, size_t *consumed,
                                                   parley_http_request **request,
                                                   parley_http_response *error);

#endif

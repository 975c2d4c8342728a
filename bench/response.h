/*
 * response.h - one HTTP response read with http_parser, shared by the two
 * clients (http_client.c: REST answers; ws_client.c: the WebSocket
 * handshake). Header fields arrive in pieces; each whole field is handed
 * to on_header(owner, name, value) once. The body is kept (up to body_max
 * bytes when body_max > 0, else all of it); complete is set when the
 * message ends, and the parser pauses there when pause_at_end is set (one
 * response per request on a keep-alive connection).
 *
 * Ownership: the owner embeds a pb_response and frees it with
 * pb_response_free(). Threads: the single libuv loop thread.
 */
#ifndef PB_RESPONSE_H
#define PB_RESPONSE_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

typedef void (*pb_header_fn)(void *owner, const char *name, const char *value);

typedef struct pb_response {
    http_parser parser;
    pb_buf field;
    pb_buf value;
    bool in_value;
    pb_buf body;
    size_t body_max; /* 0: keep it all */
    bool pause_at_end;
    bool complete;
    pb_header_fn on_header;
    void *owner;
} pb_response;

/* Ready for a new response; buffers keep their storage. */
void pb_response_start(pb_response *r, pb_header_fn on_header, void *owner, size_t body_max,
                       bool pause_at_end);
/* http_parser_execute over these bytes; returns how many it took. */
size_t pb_response_feed(pb_response *r, const char *data, size_t len);
/* The parser's error (HPE_OK, HPE_PAUSED, ...). */
enum http_errno pb_response_errno(const pb_response *r);
void pb_response_free(pb_response *r);

#endif

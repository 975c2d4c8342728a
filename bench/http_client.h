/*
 * http_client.h - one keep-alive HTTP/1.1 client connection to parleyd.
 *
 * A pb_http_conn carries one request at a time (no pipelining). It connects
 * lazily, reuses the connection while the server keeps it alive, reconnects
 * when the server closed it, and resends a request once if a reused
 * connection was found closed before any byte of the response came back (the
 * server cannot have acted on it). Responses are parsed with http_parser.
 *
 * Ownership: the caller owns the pb_http_conn memory. After
 * pb_http_conn_close() the memory must stay valid until the libuv loop has
 * run the close callback (parley-bench frees everything only after uv_run()
 * returns). The response passed to a callback is valid only during it.
 * Threads: everything runs on the single libuv loop thread.
 */
#ifndef PB_HTTP_CLIENT_H
#define PB_HTTP_CLIENT_H

#include <stdbool.h>
#include <uv.h>

#include "buf.h"
#include "response.h"

struct pb_options;
typedef struct pb_http_conn pb_http_conn;

typedef struct pb_http_response {
    int status;
    const char *body; /* NUL-terminated */
    size_t body_len;
    int retry_after_s; /* Retry-After seconds, -1 when absent */
} pb_http_response;

/* resp is NULL on a transport failure; error then says what went wrong. */
typedef void (*pb_http_cb)(pb_http_conn *c, const pb_http_response *resp, const char *error,
                           void *ud);

struct pb_http_conn {
    uv_loop_t *loop;
    const struct pb_options *opts;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    bool tcp_inited;  /* the handle exists (maybe closing) */
    bool tcp_closing; /* uv_close called, close callback pending */
    bool connected;
    bool shutting_down; /* pb_http_conn_close called */
    bool busy;          /* a request is outstanding */
    bool start_pending; /* start once the old handle has closed */
    bool got_bytes;
    bool reused;
    int resent;
    pb_buf request;
    pb_response response;
    int retry_after_s;
    pb_http_cb cb;
    void *ud;
};

void pb_http_conn_init(pb_http_conn *c, uv_loop_t *loop, const struct pb_options *opts);

/*
 * Sends one request. token (may be NULL) goes in Authorization: Bearer;
 * json_body (may be NULL) is sent as application/json. Returns false when
 * a request is already outstanding or memory runs out. cb runs exactly
 * once, later, on the loop thread.
 */
bool pb_http_request(pb_http_conn *c, const char *method, const char *path, const char *token,
                     const char *json_body, pb_http_cb cb, void *ud);

/* Closes the socket (an outstanding request gets no callback) and frees
 * the buffers once the loop has finished with the handle. */
void pb_http_conn_close(pb_http_conn *c);

#endif

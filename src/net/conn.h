/*
 * conn.h - one accepted TCP connection: HTTP/1.1 first, WebSocket after an
 * upgrade.
 *
 * HTTP requests are answered strictly in order: while one is being handled
 * (usually by a worker job) the parser is paused and later pipelined bytes
 * wait in the input buffer. Every limit of the config applies here: header
 * bytes (431), body bytes (413), request time (408), idle keep-alive time.
 *
 * Threads: loop thread only. Ownership: the server's list owns the
 * connection; jobs take a reference (parley_conn_ref) so the memory stays
 * valid until their completion even if the peer went away, and the last
 * unref after close frees it.
 */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <stdbool.h>
#include <uv.h>

#include "net/access_log.h"
#include "net/http_reader.h"
#include "net/http_request.h"
#include "net/server.h"

typedef struct parley_ws parley_ws;

struct parley_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    parley_server *server;
    parley_conn *prev;
    parley_conn *next;
    int refs;
    int open_handles;
    bool closing;
    bool draining; /* closing after queued writes: read nothing more */

    parley_http_reader reader;
    bool busy;            /* a request is being answered */
    bool processing;      /* inside process_input (guards re-entry) */
    bool last_keep_alive; /* the request being answered allows keep-alive */

    char *in; /* unparsed input */
    size_t in_len;
    size_t in_cap;

    parley_ws *ws;    /* after the upgrade */
    char peer_ip[64]; /* the TCP peer's address */
    /* the client's address, for limits and the audit log: the peer's, or
     * what a trusted proxy's headers say (core/client_addr.h); set by the
     * router for each request, kept by a WebSocket from its upgrade */
    char client_ip[64];
    bool metrics_only;    /* accepted on --metrics-listen: /metrics and nothing else */
    parley_access access; /* request id and access log of the current request */
};

/* Accepts one connection from listener (the main one or, metrics_only,
 * the --metrics-listen one). */
void parley_conn_accept(parley_server *srv, uv_stream_t *listener, bool metrics_only);

void parley_conn_ref(parley_conn *c);
void parley_conn_unref(parley_conn *c);

/* Sends the response to the request being answered, then goes on with any
 * pipelined request. Takes ownership of res's body. */
void parley_conn_respond(parley_conn *c, parley_http_response *res);

/* Queues raw bytes (the buffer is copied). */
void parley_conn_write(parley_conn *c, const char *data, size_t len);

/* Queues bytes whose ownership moves to the write. */
void parley_conn_write_owned(parley_conn *c, char *data, size_t len);

/* The router records the request's keep-alive choice before answering. */
void parley_conn_note_request(parley_conn *c, const parley_http_request *req);

/* Switches the connection to the WebSocket (after the 101 was queued). */
void parley_conn_upgraded(parley_conn *c, parley_ws *ws);

void parley_conn_resume_reading(parley_conn *c);

/* (Re)starts the connection's one timer: request/idle timeouts for HTTP,
 * the ping interval for a WebSocket. */
void parley_conn_arm_timer(parley_conn *c, int64_t ms);

/* Closes the connection after pending writes. */
void parley_conn_close(parley_conn *c);

/* Server shutdown: closes the connection at once if it is idle. */
void parley_conn_close_if_idle(parley_conn *c);

/* Bytes written but not yet flushed to the kernel. */
size_t parley_conn_pending_bytes(const parley_conn *c);

#endif

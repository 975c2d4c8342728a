/*
 * conn.h - one accepted TCP connection: HTTP/1.1 first, WebSocket after an
 * upgrade.
 *
 * HTTP requests are answered strictly in order: while one is being handled
 * (usually by a worker job) the parser is paused and later pipelined bytes
 * wait in the input buffer. Every limit of the config applies here: header
 * bytes (431), body bytes (413), request time (408), idle keep-alive time.
 *
 * Unsent output is counted here, in one place (parley_conn_reserve,
 * parley_conn_release and the write path below): every byte queued for a
 * client and not yet handed to the kernel - HTTP responses, WebSocket frames
 * written or still queued in wslay, events held for a catching-up
 * subscription - counts on its connection (unsent_bytes) and on the server
 * (srv->unsent_bytes_total). When the total would pass
 * --max-pending-bytes-total the connections with the most unsent output are
 * evicted (closing ones first): their bytes stop counting at once and they
 * are closed at the end of the loop iteration (parley_conn_reap_evicted),
 * never in the middle of a caller's walk over the hub's lists.
 *
 * Closing (parley_conn_close) waits for the queued writes, sends FIN, then
 * reads and drops what the client still sends until it closes its side (a
 * lingering close, so the kernel does not reset the connection and lose
 * the last output); --close-grace-ms without progress ends it either way.
 *
 * After an upgrade the connection hands its bytes, drained writes, timer
 * ticks and closing to the protocol's vtable (parley_conn_protocol below);
 * it calls no protocol by name.
 *
 * Threads: loop thread only. Ownership: the server's list owns the
 * connection; jobs take a reference (parley_conn_ref) so the memory stays
 * valid until their completion even if the peer went away, and the last
 * unref after close frees it.
 */
#ifndef PARLEY_CONN_H
#define PARLEY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/http/access_log.h"
#include "net/http/http_reader.h"
#include "net/http/http_request.h"
#include "net/server.h"

/* What a connection speaks after an upgrade (today the WebSocket,
 * net/ws/websocket.c, registers one). The connection calls these on the loop
 * thread with the protocol's own state (proto_data), so it knows nothing of
 * the protocol's code: loop/ does not include ws/. Until an upgrade
 * (proto == NULL) the connection speaks HTTP/1.1 with its reader and the
 * router. */
typedef struct parley_conn_protocol {
    /* bytes read from the socket, in order */
    void (*on_data)(void *data, const uint8_t *bytes, size_t len);
    /* a write completed and the connection is not closing */
    void (*on_drained)(void *data);
    /* the connection's timer fired (armed with parley_conn_arm_timer) */
    void (*on_tick)(void *data);
    /* the connection began closing: stop producing output */
    void (*on_close)(void *data);
    /* evicted by the node-wide output cap: queue nothing more */
    void (*on_evicted)(void *data);
    /* server shutdown: close politely */
    void (*going_away)(void *data);
    /* the connection is being freed: free data (called once, last) */
    void (*free_data)(void *data);
} parley_conn_protocol;

struct parley_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    parley_server *server;
    parley_conn *prev;
    parley_conn *next;
    int refs;
    int open_handles;
    bool closing;
    bool draining;     /* closing after queued writes: read nothing more */
    bool proto_paused; /* the protocol stopped reading (parley_conn_pause_reading) */

    parley_http_reader reader;
    bool busy;            /* a request is being answered */
    bool processing;      /* inside process_input (guards re-entry) */
    bool last_keep_alive; /* the request being answered allows keep-alive */

    char *in; /* unparsed input */
    size_t in_len;
    size_t in_cap;

    size_t unsent_bytes; /* counted output not yet handed to the kernel */
    bool released;       /* closing or evicted: its output no longer counts */
    bool evicted;        /* to be closed by parley_conn_reap_evicted */

    /* after an upgrade: the protocol and its state, owned by the connection
     * (freed with proto->free_data); NULL while the connection speaks HTTP */
    const parley_conn_protocol *proto;
    void *proto_data;
    char peer_ip[64]; /* the TCP peer's address */
    /* the client's address, for limits and the audit log: the peer's, or
     * what a trusted proxy's headers say (util/client_addr.h); set by the
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

/* Switches the connection to another protocol (after the 101 was queued):
 * from now on its bytes, writes, timer and closing go to proto, and the
 * connection owns data (proto->free_data frees it with the connection).
 * Bytes already read after the handshake are handed to proto->on_data. */
void parley_conn_upgraded(parley_conn *c, const parley_conn_protocol *proto, void *data);

void parley_conn_resume_reading(parley_conn *c);

/* Stops reading the socket until parley_conn_unpause_reading (a
 * protocol's backpressure: too many of its requests unanswered); until
 * then parley_conn_resume_reading does nothing. Loop thread. */
void parley_conn_pause_reading(parley_conn *c);
void parley_conn_unpause_reading(parley_conn *c);

/* (Re)starts the connection's one timer: request/idle timeouts for HTTP,
 * the ping interval for a WebSocket. */
void parley_conn_arm_timer(parley_conn *c, int64_t ms);

/* Closes the connection after pending writes. */
void parley_conn_close(parley_conn *c);

/* Server shutdown: closes the connection at once if it is idle. */
void parley_conn_close_if_idle(parley_conn *c);

/* Counts len more bytes of output for c that are not written yet (a frame
 * queued in wslay, an event held back). When the server's total would pass
 * --max-pending-bytes-total, evicts the connections with the most unsent
 * output until the total is 7/8 of it. Returns false, counting nothing, when
 * c is closing or was evicted itself: queue nothing then. */
bool parley_conn_reserve(parley_conn *c, size_t len);

/* Uncounts bytes counted by parley_conn_reserve (no-op once released). */
void parley_conn_release(parley_conn *c, size_t len);

/* Closes the connections evicted since the last call (the server calls it
 * from its check and prepare handles, where no list is being walked). */
void parley_conn_reap_evicted(parley_server *srv);

#endif

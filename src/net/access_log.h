/*
 * access_log.h - the request id and the access log of one connection.
 *
 * Each connection keeps one parley_access record about the request being
 * answered: when its first byte was read, how many bytes it took, its
 * method and path (never the query string: /api/v1/ws?token=... must not
 * reach a log), the route pattern that matched, the request id, and the
 * caller's role once a job has authenticated it. When the response has
 * been queued, one "request" line is logged at info and the record is
 * cleared for the next request; a WebSocket session logs one "websocket"
 * line when it closes (websocket.c). Nothing here ever sees a token, a
 * password or a message's text.
 *
 * X-Request-Id: a client's value is kept when parley_request_id_valid()
 * accepts it, otherwise (or when absent) a fresh random one is made; every
 * response carries it back.
 *
 * Threads: loop thread only (the record lives in the connection).
 */
#ifndef PARLEY_ACCESS_LOG_H
#define PARLEY_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/participant.h"
#include "net/http_cache.h"
#include "net/http_request.h"

typedef struct parley_conn parley_conn;

typedef struct parley_access {
    uint64_t read_start_ns; /* first byte of the request being read (uv_hrtime) */
    uint64_t read_bytes;    /* bytes of it consumed so far */
    uint64_t start_ns;      /* of the request being answered */
    uint64_t bytes_in;
    int method;        /* enum http_method; -1: none (a malformed request, a timeout) */
    const char *route; /* static route pattern, or NULL */
    const char *role;  /* static: customer, agent, admin, bot; NULL unknown */
    char participant_id[40];
    char path[200]; /* percent-decoded path, cut to fit */
    char request_id[PARLEY_REQUEST_ID_MAX + 1];
} parley_access;

/* The connection read `consumed` bytes; `was_started` says whether a
 * request was already under way before them. */
void parley_access_note_input(parley_access *a, bool was_started, size_t consumed);

/* A whole request was read: records method, path and its request id. */
void parley_access_begin(parley_access *a, const parley_http_request *req);

/* The bytes read so far were not a valid request (400/413/431, 408). */
void parley_access_begin_invalid(parley_access *a);

/* The caller a job authenticated (any thread's result, called on the loop). */
void parley_access_note_caller(parley_access *a, const parley_participant *caller);

/* Whether the request being answered is a HEAD (its response has no body). */
bool parley_access_is_head(const parley_access *a);

/* Adds X-Request-Id to the response's headers. */
void parley_access_add_header(parley_access *a, parley_http_response *res);

/* Logs the "request" line (when the access log is on) and clears the
 * record. bytes_out is the whole response on the wire. */
void parley_access_log_response(parley_conn *c, int status, size_t bytes_out);

/* A WebSocket session ended: its "websocket" line. */
typedef struct parley_ws_access {
    uint64_t opened_ns;
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t bytes_in;
    uint64_t bytes_out;
    int close_sent;           /* close code we sent, 0 none */
    int close_received;       /* close code the client sent, 0 none */
    const char *close_reason; /* static: why we closed, or NULL */
} parley_ws_access;

void parley_access_log_ws(parley_conn *c, const parley_ws_access *ws,
                          const parley_participant *caller);

#endif

#include "net/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/router.h"
#include "net/websocket.h"

/* Pipelined bytes buffered while a request is answered, at most; the socket
 * stops being read beyond this so a client cannot make us buffer forever. */
#define INPUT_HIGH_WATER (256 * 1024)

typedef struct write_req {
    uv_write_t req;
    parley_conn *conn;
    char *data;
} write_req;

static void process_input(parley_conn *c);
static void close_now(parley_conn *c);

void parley_conn_ref(parley_conn *c) {
    c->refs++;
}

static void conn_free(parley_conn *c) {
    parley_server *srv = c->server;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else if (srv->conns == c) {
        srv->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    srv->conn_count--;
    parley_ws_free(c->ws);
    parley_http_reader_free(&c->reader);
    free(c->in);
    free(c);
}

void parley_conn_unref(parley_conn *c) {
    if (--c->refs == 0) {
        conn_free(c);
    }
}

static void on_handle_closed(uv_handle_t *handle) {
    parley_conn *c = handle->data;
    if (--c->open_handles == 0) {
        parley_conn_unref(c); /* the reference of the open socket */
    }
}

static void close_now(parley_conn *c) {
    if (c->closing) {
        return;
    }
    c->closing = true;
    parley_ws_on_close(c->ws);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* Close once every queued write has been handed to the kernel. */
typedef struct shutdown_req {
    uv_shutdown_t req;
    parley_conn *conn;
} shutdown_req;

static void on_shutdown(uv_shutdown_t *req, int status) {
    (void)status;
    shutdown_req *s = (shutdown_req *)req;
    close_now(s->conn);
    parley_conn_unref(s->conn);
    free(s);
}

void parley_conn_close(parley_conn *c) {
    if (c->closing || c->draining) {
        return;
    }
    c->draining = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    shutdown_req *s = calloc(1, sizeof *s);
    /* uv_shutdown waits for queued writes, then half-closes */
    if (s == NULL || uv_shutdown(&s->req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(s);
        close_now(c);
        return;
    }
    s->conn = c;
    parley_conn_ref(c);
}

void parley_conn_close_if_idle(parley_conn *c) {
    if (c->ws != NULL) {
        parley_ws_going_away(c->ws);
    } else if (!c->busy && !c->reader.started) {
        parley_conn_close(c);
    }
}

size_t parley_conn_pending_bytes(const parley_conn *c) {
    return c->tcp.write_queue_size;
}

static void on_write(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    (void)status; /* a failed write is followed by a read error or EOF */
    free(w->data);
    if (w->conn->ws != NULL && !w->conn->closing) {
        parley_ws_on_drained(w->conn->ws);
    }
    parley_conn_unref(w->conn);
    free(w);
}

/* Queues data (ownership moves to the write). */
static void write_owned(parley_conn *c, char *data, size_t len) {
    if (c->closing || len == 0) {
        free(data);
        return;
    }
    write_req *w = malloc(sizeof *w);
    if (w == NULL) {
        free(data);
        close_now(c);
        return;
    }
    w->conn = c;
    w->data = data;
    uv_buf_t buf = uv_buf_init(data, (unsigned int)len);
    parley_conn_ref(c);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
        free(data);
        free(w);
        parley_conn_unref(c);
        close_now(c);
    }
}

void parley_conn_write(parley_conn *c, const char *data, size_t len) {
    char *copy = malloc(len);
    if (copy == NULL) {
        close_now(c);
        return;
    }
    memcpy(copy, data, len);
    write_owned(c, copy, len);
}

void parley_conn_write_owned(parley_conn *c, char *data, size_t len) {
    write_owned(c, data, len);
}

/* --- timers ----------------------------------------------------------- */

static void on_timer(uv_timer_t *timer) {
    parley_conn *c = timer->data;
    if (c->ws != NULL) {
        parley_ws_on_tick(c->ws);
        return;
    }
    if (c->busy) {
        return;
    }
    if (c->reader.started) {
        parley_http_response res = {0};
        parley_http_response_error_code(&res, 408, "request_timeout",
                                        "the request did not arrive in time");
        res.close = true;
        c->busy = true;
        parley_access_begin_invalid(&c->access);
        parley_conn_respond(c, &res);
        return;
    }
    parley_conn_close(c); /* idle keep-alive connection */
}

void parley_conn_arm_timer(parley_conn *c, int64_t ms) {
    if (!c->closing) {
        uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
    }
}

static void consume_input(parley_conn *c, size_t n) {
    if (n >= c->in_len) {
        c->in_len = 0;
        return;
    }
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* Answers every complete request in the input, one at a time. Re-entry
 * (an inline handler responding synchronously) is left to the running loop. */
static void process_input(parley_conn *c) {
    if (c->processing) {
        return;
    }
    c->processing = true;
    while (!c->busy && !c->closing && c->ws == NULL && c->in_len > 0) {
        size_t consumed = 0;
        parley_http_request *req = NULL;
        parley_http_response error = {0};
        bool was_started = c->reader.started;
        parley_http_read_result result =
            parley_http_reader_execute(&c->reader, c->in, c->in_len, &consumed, &req, &error);
        consume_input(c, consumed);
        parley_access_note_input(&c->access, was_started, consumed);
        if (!was_started && c->reader.started && result == PARLEY_HTTP_NEED_MORE) {
            /* the first bytes of a request: it must now arrive in time */
            parley_conn_arm_timer(c, c->server->config->request_timeout_ms);
        }
        if (result == PARLEY_HTTP_BAD_REQUEST) {
            c->busy = true;
            c->in_len = 0;
            c->last_keep_alive = false;
            parley_access_begin_invalid(&c->access);
            parley_conn_respond(c, &error);
            break;
        }
        if (result == PARLEY_HTTP_NEED_MORE) {
            break;
        }
        c->busy = true;
        uv_timer_stop(&c->timer);
        c->server->metrics.http_requests++;
        parley_access_begin(&c->access, req);
        parley_conn_ref(c);
        parley_router_dispatch(c, req);
        parley_conn_unref(c);
    }
    c->processing = false;
    if (!c->closing && c->in_len < INPUT_HIGH_WATER && c->ws == NULL) {
        /* resume reading if a full buffer had paused it */
        parley_conn_resume_reading(c);
    }
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    static char slab[65536]; /* loop thread only; data is copied out in on_read */
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    parley_conn *c = stream->data;
    if (nread < 0) {
        close_now(c);
        return;
    }
    if (nread == 0) {
        return;
    }
    if (c->ws != NULL) {
        parley_ws_feed(c->ws, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (c->in_len + (size_t)nread > c->in_cap) {
        size_t cap = c->in_cap == 0 ? 16384 : c->in_cap;
        while (cap < c->in_len + (size_t)nread) {
            cap *= 2;
        }
        char *grown = realloc(c->in, cap);
        if (grown == NULL) {
            close_now(c);
            return;
        }
        c->in = grown;
        c->in_cap = cap;
    }
    memcpy(c->in + c->in_len, buf->base, (size_t)nread);
    c->in_len += (size_t)nread;
    if (c->in_len >= INPUT_HIGH_WATER) {
        uv_read_stop(stream);
    }
    process_input(c);
}

void parley_conn_resume_reading(parley_conn *c) {
    if (!c->closing && !c->draining) {
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

void parley_conn_respond(parley_conn *c, parley_http_response *res) {
    parley_server *srv = c->server;
    int cls = res->status / 100;
    if (cls >= 1 && cls <= 5) {
        srv->metrics.http_responses_by_class[cls]++;
    }
    if (c->closing) {
        parley_http_response_free(res);
        parley_access_log_response(c, res->status, 0); /* the client went away */
        return;
    }
    bool keep_alive = !res->close && !srv->shutting_down && c->last_keep_alive;
    char *wire = NULL;
    size_t wire_len = 0;
    parley_access_add_header(&c->access, res);
    res->omit_body = res->omit_body || parley_access_is_head(&c->access);
    if (!parley_http_response_serialize(res, keep_alive, &wire, &wire_len)) {
        parley_http_response_free(res);
        close_now(c);
        return;
    }
    parley_http_response_free(res);
    write_owned(c, wire, wire_len);
    parley_access_log_response(c, res->status, wire_len);
    c->busy = false;
    if (!keep_alive) {
        parley_conn_close(c);
        return;
    }
    parley_conn_arm_timer(c, srv->config->idle_timeout_ms);
    process_input(c);
}

void parley_conn_note_request(parley_conn *c, const parley_http_request *req) {
    c->last_keep_alive = req->keep_alive;
}

void parley_conn_upgraded(parley_conn *c, parley_ws *ws) {
    c->ws = ws;
    c->busy = false;
    uv_timer_stop(&c->timer);
    if (c->in_len > 0) {
        /* bytes that followed the handshake already belong to the WebSocket */
        size_t n = c->in_len;
        c->in_len = 0;
        parley_ws_feed(ws, (const uint8_t *)c->in, n);
    }
    parley_conn_resume_reading(c);
}

/* Answers a connection that may not be served and closes it. */
static void reject_connection(parley_conn *c, const parley_error *err) {
    parley_http_response res = {0};
    parley_http_response_error(&res, err);
    res.close = true;
    char *wire = NULL;
    size_t wire_len = 0;
    if (parley_http_response_serialize(&res, false, &wire, &wire_len)) {
        write_owned(c, wire, wire_len);
    }
    parley_http_response_free(&res);
    parley_conn_close(c);
}

void parley_conn_accept(parley_server *srv, uv_stream_t *listener, bool metrics_only) {
    parley_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return;
    }
    c->server = srv;
    c->refs = 1;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    c->next = srv->conns;
    if (srv->conns != NULL) {
        srv->conns->prev = c;
    }
    srv->conns = c;
    srv->conn_count++;
    c->metrics_only = metrics_only;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        close_now(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage peer;
    int peer_len = sizeof peer;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &peer_len) == 0) {
        if (peer.ss_family == AF_INET6) {
            uv_ip6_name((const struct sockaddr_in6 *)&peer, c->peer_ip, sizeof c->peer_ip);
        } else {
            uv_ip4_name((const struct sockaddr_in *)&peer, c->peer_ip, sizeof c->peer_ip);
        }
    }
    memcpy(c->client_ip, c->peer_ip, sizeof c->client_ip);
    parley_http_reader_init(&c->reader, srv->config->max_header_bytes, srv->config->max_body_bytes);
    parley_http_reader_set_upload_limit(&c->reader, srv->config->max_upload_bytes);
    parley_error err = {0};
    if ((int64_t)srv->conn_count > srv->config->max_connections || srv->shutting_down) {
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable", "too many connections");
    } else if (!parley_trusted_proxies_contains(&srv->trusted_proxies, c->peer_ip)) {
        /* a trusted proxy carries many clients' connections: not limited
         * per address here (its clients' requests still are, by theirs) */
        (void)parley_limits_take(srv->limits.connections_by_ip, c->peer_ip, "new connections",
                                 &err);
    }
    if (err.status != PARLEY_OK) {
        srv->metrics.connections_rejected++;
        reject_connection(c, &err);
        return;
    }
    srv->metrics.connections_accepted++;
    parley_conn_arm_timer(c, srv->config->idle_timeout_ms);
    parley_conn_resume_reading(c);
}

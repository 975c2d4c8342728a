#include "net/loop/conn.h"

#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <string.h>
#include <strings.h>

#include "net/http/router.h"

/* Pipelined bytes buffered while a request is answered, at most; the socket
 * stops being read beyond this so a client cannot make us buffer forever. */
#define INPUT_HIGH_WATER (256 * 1024)

typedef struct write_req {
    uv_write_t req;
    parley_conn *conn;
    char *data;
    size_t len;
} write_req;

static void process_input(parley_conn *c);
static void close_now(parley_conn *c);
static void on_timer(uv_timer_t *timer);

/* --- unsent output accounting (see conn.h) ------------------------------ */

static void count_unsent(parley_conn *c, size_t len) {
    if (c->released) {
        return;
    }
    parley_server *srv = c->server;
    c->unsent_bytes += len;
    srv->unsent_bytes_total += len;
    if (srv->unsent_bytes_total > srv->metrics.unsent_bytes_peak) {
        srv->metrics.unsent_bytes_peak = srv->unsent_bytes_total;
    }
}

static void uncount_unsent(parley_conn *c, size_t len) {
    if (c->released) {
        return;
    }
    size_t n = len < c->unsent_bytes ? len : c->unsent_bytes;
    c->unsent_bytes -= n;
    c->server->unsent_bytes_total -= n;
}

/* The connection is going away: what it still holds is freed within this
 * loop iteration (uv_close cancels its writes), so it stops counting now. */
static void release_all(parley_conn *c) {
    if (!c->released) {
        c->server->unsent_bytes_total -= c->unsent_bytes;
        c->unsent_bytes = 0;
        c->released = true;
    }
}

/* The connection whose eviction frees the most: closing ones first (they
 * will not read what they hold anyway), then the most unsent output. */
static parley_conn *pick_victim(parley_server *srv) {
    parley_conn *best = NULL;
    for (parley_conn *c = srv->conns; c != NULL; c = c->next) {
        if (c->closing || c->released || c->unsent_bytes == 0) {
            continue;
        }
        if (best == NULL || (c->draining && !best->draining) ||
            (c->draining == best->draining && c->unsent_bytes > best->unsent_bytes)) {
            best = c;
        }
    }
    return best;
}

static void evict(parley_conn *c) {
    parley_server *srv = c->server;
    srv->metrics.output_evictions++;
    release_all(c);
    c->evicted = true;
    srv->evicted_pending++;
    if (c->proto != NULL) {
        c->proto->on_evicted(c->proto_data);
    }
}

/* Over the cap with len more bytes: evict down to 7/8 of the cap, so the
 * next frames find room without another walk over every connection. */
static void make_room(parley_server *srv, size_t len) {
    size_t cap = (size_t)srv->config->max_pending_bytes_total;
    if (srv->unsent_bytes_total + len <= cap) {
        return;
    }
    size_t target = cap - cap / 8;
    while (srv->unsent_bytes_total + len > target) {
        parley_conn *victim = pick_victim(srv);
        if (victim == NULL) {
            break;
        }
        evict(victim);
    }
}

bool parley_conn_reserve(parley_conn *c, size_t len) {
    if (c->closing || c->released) {
        return false;
    }
    make_room(c->server, len);
    if (c->released) {
        return false;
    }
    count_unsent(c, len);
    return true;
}

void parley_conn_release(parley_conn *c, size_t len) {
    uncount_unsent(c, len);
}

void parley_conn_reap_evicted(parley_server *srv) {
    if (srv->evicted_pending == 0) {
        return;
    }
    srv->evicted_pending = 0;
    parley_conn *c = srv->conns;
    while (c != NULL) {
        parley_conn *next = c->next; /* close_now does not unlink (conn_free does, later) */
        if (c->evicted && !c->closing) {
            close_now(c);
        }
        c = next;
    }
}

void parley_conn_ref(parley_conn *c) {
    c->refs++;
}

/* Connections freed since the heap was last trimmed; loop thread only. */
static unsigned freed_since_trim;

/* glibc keeps freed heap mapped (only the top of the main arena is given
 * back, and only past M_TRIM_THRESHOLD): after a wave of disconnects the
 * RSS of the peak would stay for good, and churn would fragment it
 * further. Every TRIM_EVERY freed connections, malloc_trim hands every
 * whole free page of every arena back to the kernel (issue 11). A few
 * milliseconds at most on a large heap, once per thousand disconnects. */
#define TRIM_EVERY 1024

static void trim_heap_now_and_then(void) {
    if (++freed_since_trim < TRIM_EVERY) {
        return;
    }
    freed_since_trim = 0;
#if defined(__GLIBC__)
    (void)malloc_trim(0);
#endif
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
    if (c->proto != NULL) {
        c->proto->free_data(c->proto_data);
    }
    parley_http_reader_free(&c->reader);
    free(c->in);
    free(c);
    trim_heap_now_and_then();
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
    release_all(c);
    if (c->proto != NULL) {
        c->proto->on_close(c->proto_data);
    }
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* Close once every queued write has been handed to the kernel. */
typedef struct shutdown_req {
    uv_shutdown_t req;
    parley_conn *conn;
} shutdown_req;

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);

/* Lingering close: what the client still sends is read and dropped until it
 * closes its side (or the grace timer fires). Closing the socket with unread
 * input would make the kernel send a reset and discard output the client
 * has not received yet - a WebSocket close frame, the end of a response. */
static void on_linger_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    if (nread < 0) {
        close_now(stream->data);
    }
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    shutdown_req *s = (shutdown_req *)req;
    parley_conn *c = s->conn;
    /* every write reached the kernel and our FIN follows it */
    if (status != 0 || c->closing ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_linger_read) != 0) {
        close_now(c);
    } else {
        uv_timer_start(&c->timer, on_timer, (uint64_t)c->server->config->close_grace_ms, 0);
    }
    parley_conn_unref(c);
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
    /* a client that reads nothing more is dropped after the grace period */
    uv_timer_start(&c->timer, on_timer, (uint64_t)c->server->config->close_grace_ms, 0);
}

void parley_conn_close_if_idle(parley_conn *c) {
    if (c->proto != NULL) {
        c->proto->going_away(c->proto_data);
    } else if (!c->busy && !c->reader.started) {
        parley_conn_close(c);
    }
}

static void on_write(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    parley_conn *c = w->conn;
    (void)status; /* a failed write is followed by a read error or EOF */
    free(w->data);
    uncount_unsent(c, w->len);
    if (c->draining && !c->closing) {
        /* the client is still reading: the grace period starts again */
        uv_timer_start(&c->timer, on_timer, (uint64_t)c->server->config->close_grace_ms, 0);
    } else if (c->proto != NULL && !c->closing) {
        c->proto->on_drained(c->proto_data);
    } else if (c->proto == NULL && !c->closing && !c->busy && c->in_len > 0) {
        process_input(c); /* pipelined requests waited for the output to drain */
    }
    parley_conn_unref(c);
    free(w);
}

/* Queues data (ownership moves to the write). */
static void write_owned(parley_conn *c, char *data, size_t len) {
    if (c->closing || c->released || len == 0) {
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
    w->len = len;
    uv_buf_t buf = uv_buf_init(data, (unsigned int)len);
    parley_conn_ref(c);
    count_unsent(c, len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
        uncount_unsent(c, len);
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
    if (c->draining) {
        /* closing, and the client read nothing for --close-grace-ms */
        c->server->metrics.grace_expired++;
        close_now(c);
        return;
    }
    if (c->proto != NULL) {
        c->proto->on_tick(c->proto_data);
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
    if (!c->closing && !c->draining) { /* a closing connection keeps its grace timer */
        uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
    }
}

/* The input buffer exists only while it holds bytes (issue 11): an idle
 * keep-alive connection or a WebSocket holds none. */
static void drop_input_buffer(parley_conn *c) {
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
}

static void consume_input(parley_conn *c, size_t n) {
    if (n >= c->in_len) {
        drop_input_buffer(c);
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
    /* a client that does not read its responses gets no more answered */
    size_t unsent_limit = (size_t)c->server->config->ws_max_pending_bytes;
    while (!c->busy && !c->closing && !c->released && c->proto == NULL && c->in_len > 0 &&
           c->unsent_bytes <= unsent_limit) {
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
            drop_input_buffer(c);
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
    if (!c->closing && c->in_len < INPUT_HIGH_WATER && c->proto == NULL) {
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
    if (c->proto != NULL) {
        c->proto->on_data(c->proto_data, (const uint8_t *)buf->base, (size_t)nread);
        return;
    }
    if (c->in_len + (size_t)nread > c->in_cap) {
        /* sized to what arrived (a typical request is well under 1 KiB),
         * doubled as more waits; freed once everything is consumed */
        size_t cap = c->in_cap == 0 ? 1024 : c->in_cap;
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
    if (!c->closing && !c->draining && !c->proto_paused) {
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

void parley_conn_pause_reading(parley_conn *c) {
    c->proto_paused = true;
    if (!c->closing) {
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
}

void parley_conn_unpause_reading(parley_conn *c) {
    c->proto_paused = false;
    parley_conn_resume_reading(c);
}

/* Makes room under --max-pending-bytes-total for a serialized response, or
 * swaps it for a 503 with Retry-After (and no keep-alive) when evicting the
 * slowest connections did not free enough. False: c itself was evicted. */
static bool room_for_response(parley_conn *c, char **wire, size_t *wire_len, bool *keep_alive) {
    parley_server *srv = c->server;
    make_room(srv, *wire_len);
    if (c->released) {
        free(*wire);
        c->busy = false;
        return false;
    }
    if (srv->unsent_bytes_total + *wire_len <= (size_t)srv->config->max_pending_bytes_total) {
        return true;
    }
    free(*wire);
    *wire = NULL;
    srv->metrics.responses_refused++;
    parley_http_response busy = {0};
    parley_http_response_error_code(&busy, 503, "unavailable",
                                    "the server's output buffers are full; retry shortly");
    /* (the 503 gets its Retry-After from parley_http_response_error_code) */
    *keep_alive = false;
    bool ok = parley_http_response_serialize(&busy, false, wire, wire_len);
    parley_http_response_free(&busy);
    if (!ok) {
        close_now(c);
        return false;
    }
    return true;
}

void parley_conn_respond(parley_conn *c, parley_http_response *res) {
    parley_server *srv = c->server;
    int cls = res->status / 100;
    if (cls >= 1 && cls <= 5) {
        srv->metrics.http_responses_by_class[cls]++;
    }
    if (c->closing || c->released) {
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
    if (!room_for_response(c, &wire, &wire_len, &keep_alive)) {
        return;
    }
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

void parley_conn_upgraded(parley_conn *c, const parley_conn_protocol *proto, void *data) {
    c->proto = proto;
    c->proto_data = data;
    c->busy = false;
    uv_timer_stop(&c->timer);
    /* the HTTP side is done with its reader and its input buffer: a
     * WebSocket reads straight from the loop's slab (issue 11) */
    parley_http_reader_free(&c->reader);
    char *in = c->in;
    size_t n = c->in_len;
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    if (n > 0) {
        /* bytes that followed the handshake already belong to the WebSocket */
        proto->on_data(data, (const uint8_t *)in, n);
    }
    free(in);
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

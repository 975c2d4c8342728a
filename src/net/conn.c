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
    parley_http_request_free(c->req);
    free(c->field);
    free(c->value);
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
    if (c->closing) {
        return;
    }
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
    } else if (!c->busy && !c->request_started) {
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
    if (c->request_started) {
        parley_http_response res = {0};
        parley_http_response_error_code(&res, 408, "request_timeout",
                                        "the request did not arrive in time");
        res.close = true;
        c->busy = true;
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

/* --- http-parser callbacks ------------------------------------------- */

static parley_conn *conn_of(http_parser *p) {
    return p->data;
}

static int reject(parley_conn *c, int status, const char *code, const char *message) {
    if (c->reject_status == 0) {
        c->reject_status = status;
        c->reject_code = code;
        c->reject_message = message;
    }
    return -1;
}

static int count_header_bytes(parley_conn *c, size_t len) {
    c->header_bytes += len;
    if ((int64_t)c->header_bytes > c->server->config->max_header_bytes) {
        return reject(c, 431, "headers_too_large", "the request headers are too large");
    }
    return 0;
}

static bool append(char **buf, size_t *len, const char *data, size_t n) {
    char *grown = realloc(*buf, *len + n + 1);
    if (grown == NULL) {
        return false;
    }
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
    return true;
}

static int on_message_begin(http_parser *p) {
    parley_conn *c = conn_of(p);
    c->req = calloc(1, sizeof *c->req);
    c->header_bytes = 0;
    c->in_value = false;
    c->field_len = c->value_len = 0;
    if (c->req == NULL) {
        return reject(c, 503, "unavailable", "out of memory");
    }
    if (!c->request_started) {
        c->request_started = true;
        parley_conn_arm_timer(c, c->server->config->request_timeout_ms);
    }
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
    parley_conn *c = conn_of(p);
    size_t url_len = c->req->url != NULL ? strlen(c->req->url) : 0;
    if (count_header_bytes(c, len) != 0) {
        return -1;
    }
    return append(&c->req->url, &url_len, at, len) ? 0
                                                   : reject(c, 503, "unavailable", "out of memory");
}

/* Keeps the headers the server acts on; the first occurrence wins. */
static void store_header(parley_conn *c) {
    static const struct {
        const char *name;
        size_t offset;
    } wanted[] = {
        {"authorization", offsetof(parley_http_request, authorization)},
        {"content-type", offsetof(parley_http_request, content_type)},
        {"upgrade", offsetof(parley_http_request, upgrade)},
        {"connection", offsetof(parley_http_request, connection)},
        {"origin", offsetof(parley_http_request, origin)},
        {"host", offsetof(parley_http_request, host)},
        {"sec-websocket-key", offsetof(parley_http_request, sec_websocket_key)},
        {"sec-websocket-version", offsetof(parley_http_request, sec_websocket_version)},
    };
    if (c->field == NULL || c->field_len == 0) {
        return;
    }
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        if (strcasecmp(c->field, wanted[i].name) == 0) {
            char **slot = (char **)(void *)((char *)c->req + wanted[i].offset);
            if (*slot == NULL) {
                *slot = strdup(c->value != NULL ? c->value : "");
            }
            break;
        }
    }
    c->field_len = c->value_len = 0;
    if (c->field != NULL) {
        c->field[0] = '\0';
    }
    if (c->value != NULL) {
        c->value[0] = '\0';
    }
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
    parley_conn *c = conn_of(p);
    if (count_header_bytes(c, len) != 0) {
        return -1;
    }
    if (c->in_value) {
        store_header(c);
        c->in_value = false;
    }
    return append(&c->field, &c->field_len, at, len)
               ? 0
               : reject(c, 503, "unavailable", "out of memory");
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
    parley_conn *c = conn_of(p);
    if (count_header_bytes(c, len) != 0) {
        return -1;
    }
    c->in_value = true;
    return append(&c->value, &c->value_len, at, len)
               ? 0
               : reject(c, 503, "unavailable", "out of memory");
}

static int on_headers_complete(http_parser *p) {
    parley_conn *c = conn_of(p);
    parley_http_request *req = c->req;
    if (c->in_value) {
        store_header(c);
        c->in_value = false;
    }
    req->method = p->method;
    req->keep_alive = http_should_keep_alive(p) != 0;
    req->is_upgrade = p->upgrade != 0;
    if (req->url == NULL || req->url[0] != '/') {
        return reject(c, 400, "bad_request", "the request target must be an absolute path");
    }
    const char *q = strchr(req->url, '?');
    size_t path_len = q != NULL ? (size_t)(q - req->url) : strlen(req->url);
    req->path = parley_percent_decode(req->url, path_len, false);
    if (req->path == NULL) {
        return reject(c, 400, "bad_request", "the request path is malformed");
    }
    if (q != NULL) {
        req->query = strdup(q + 1);
        if (req->query == NULL) {
            return reject(c, 503, "unavailable", "out of memory");
        }
    }
    if (p->content_length != ULLONG_MAX &&
        p->content_length > (uint64_t)c->server->config->max_body_bytes) {
        return reject(c, 413, "payload_too_large", "the request body is too large");
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
    parley_conn *c = conn_of(p);
    parley_http_request *req = c->req;
    if ((int64_t)(req->body_len + len) > c->server->config->max_body_bytes) {
        return reject(c, 413, "payload_too_large", "the request body is too large");
    }
    return append(&req->body, &req->body_len, at, len)
               ? 0
               : reject(c, 503, "unavailable", "out of memory");
}

static int on_message_complete(http_parser *p) {
    /* answer this request before parsing the next pipelined one */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* --- request flow ------------------------------------------------------ */

static void consume_input(parley_conn *c, size_t n) {
    if (n >= c->in_len) {
        c->in_len = 0;
        return;
    }
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void answer_parse_error(parley_conn *c, enum http_errno e) {
    parley_http_response res = {0};
    if (c->reject_status != 0) {
        parley_http_response_error_code(&res, c->reject_status, c->reject_code, c->reject_message);
    } else if (e == HPE_HEADER_OVERFLOW) {
        parley_http_response_error_code(&res, 431, "headers_too_large",
                                        "the request headers are too large");
    } else {
        char message[160];
        snprintf(message, sizeof message, "malformed HTTP request: %s", http_errno_description(e));
        parley_http_response_error_code(&res, 400, "bad_request", message);
    }
    res.close = true;
    c->busy = true;
    c->in_len = 0;
    parley_conn_respond(c, &res);
}

static bool processing_guard;

static void process_input(parley_conn *c) {
    while (!c->busy && !c->closing && c->ws == NULL && c->in_len > 0) {
        size_t n = http_parser_execute(&c->parser, &parser_settings, c->in, c->in_len);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_PAUSED) {
            consume_input(c, n);
            http_parser_pause(&c->parser, 0);
            parley_http_request *req = c->req;
            c->req = NULL;
            c->busy = true;
            c->request_started = false;
            uv_timer_stop(&c->timer);
            c->server->metrics.http_requests++;
            parley_conn_ref(c);
            parley_router_dispatch(c, req);
            parley_conn_unref(c);
            continue;
        }
        if (e != HPE_OK) {
            answer_parse_error(c, e);
            return;
        }
        consume_input(c, n);
        if (n == 0) {
            break;
        }
    }
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
    if (!processing_guard) {
        process_input(c);
    }
}

void parley_conn_resume_reading(parley_conn *c) {
    if (!c->closing) {
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
        return;
    }
    bool keep_alive =
        c->parser.http_major == 1 && !res->close && !srv->shutting_down && c->last_keep_alive;
    char *wire = NULL;
    size_t wire_len = 0;
    if (!parley_http_response_serialize(res, keep_alive, &wire, &wire_len)) {
        parley_http_response_free(res);
        close_now(c);
        return;
    }
    parley_http_response_free(res);
    write_owned(c, wire, wire_len);
    c->busy = false;
    if (!keep_alive) {
        parley_conn_close(c);
        return;
    }
    parley_conn_arm_timer(c, srv->config->idle_timeout_ms);
    if (!processing_guard) {
        processing_guard = true;
        process_input(c);
        processing_guard = false;
    }
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

static void reject_over_capacity(parley_conn *c) {
    parley_http_response res = {0};
    parley_http_response_error_code(&res, 503, "unavailable", "too many connections");
    res.close = true;
    char *wire = NULL;
    size_t wire_len = 0;
    if (parley_http_response_serialize(&res, false, &wire, &wire_len)) {
        write_owned(c, wire, wire_len);
    }
    parley_http_response_free(&res);
    parley_conn_close(c);
}

void parley_conn_accept(parley_server *srv) {
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
    if (uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&c->tcp) != 0) {
        close_now(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if ((int64_t)srv->conn_count > srv->config->max_connections || srv->shutting_down) {
        srv->metrics.connections_rejected++;
        reject_over_capacity(c);
        return;
    }
    srv->metrics.connections_accepted++;
    parley_conn_arm_timer(c, srv->config->idle_timeout_ms);
    parley_conn_resume_reading(c);
}

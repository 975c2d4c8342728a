/*
 * ws_client.c - client WebSocket over libuv + wslay (see ws_client.h).
 * Loop thread only.
 */
#include "ws_client.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "options.h"

#define PB_WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static void pb_ws_pump(pb_ws_conn *c);

static void pb_ws_on_tcp_closed(uv_handle_t *h) {
    pb_ws_conn *c = h->data;
    c->tcp_inited = false;
    c->tcp_closing = false;
    c->state = PB_WS_CLOSED;
    if (c->ctx) {
        wslay_event_context_free(c->ctx);
        c->ctx = NULL;
    }
    pb_buf_free(&c->out);
    pb_buf_free(&c->inflight);
    pb_response_free(&c->response);
    if (c->cbs.on_closed) {
        c->cbs.on_closed(c, c->by_us, c->reason, c->ud);
    }
}

/* Closes the socket, keeping the first reason given. */
static void pb_ws_shut(pb_ws_conn *c, const char *reason) {
    if (reason && !c->reason[0]) {
        snprintf(c->reason, sizeof c->reason, "%s", reason);
    }
    if (c->tcp_inited && !c->tcp_closing) {
        c->tcp_closing = true;
        if (c->state != PB_WS_CLOSED) {
            c->state = PB_WS_CLOSING;
        }
        uv_close((uv_handle_t *)&c->tcp, pb_ws_on_tcp_closed);
    }
}

/* ---- wslay callbacks ---------------------------------------------------- */

static ssize_t pb_ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                             void *ud) {
    (void)flags;
    pb_ws_conn *c = ud;
    if (c->rd_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < c->rd_len ? len : c->rd_len;
    memcpy(buf, c->rd, n);
    c->rd += n;
    c->rd_len -= n;
    return (ssize_t)n;
}

static ssize_t pb_ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
                             int flags, void *ud) {
    (void)flags;
    pb_ws_conn *c = ud;
    if (!pb_buf_append(&c->out, data, len)) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return (ssize_t)len;
}

static int pb_ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud) {
    (void)ctx;
    (void)ud;
    randombytes_buf(buf, len);
    return 0;
}

static void pb_ws_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                         void *ud) {
    (void)ctx;
    pb_ws_conn *c = ud;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        c->frames_received++;
        if (c->cbs.on_text && !c->tcp_closing) {
            c->cbs.on_text(c, (const char *)arg->msg, arg->msg_length, c->ud);
        }
    } else if (arg->opcode == WSLAY_BINARY_FRAME) {
        c->frames_received++;
    } else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        if (!c->reason[0]) {
            snprintf(c->reason, sizeof c->reason, "server sent close %u%s%.*s",
                     (unsigned)arg->status_code, arg->msg_length > 2 ? ": " : "",
                     arg->msg_length > 2 ? (int)(arg->msg_length - 2) : 0,
                     arg->msg_length > 2 ? (const char *)arg->msg + 2 : "");
        }
        if (c->state == PB_WS_OPEN) {
            c->state = PB_WS_CLOSING;
        }
    }
}

static const struct wslay_event_callbacks pb_ws_wslay_callbacks = {
    .recv_callback = pb_ws_recv_cb,
    .send_callback = pb_ws_send_cb,
    .genmask_callback = pb_ws_genmask_cb,
    .on_msg_recv_callback = pb_ws_msg_cb,
};

/* ---- socket output ------------------------------------------------------ */

/* A libuv request that failed (status < 0) shuts the connection, saying
 * what failed; true when it did. */
static bool pb_ws_failed(pb_ws_conn *c, const char *what, int status) {
    if (status >= 0) {
        return false;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "%s failed: %s", what, uv_strerror(status));
    pb_ws_shut(c, msg);
    return true;
}

static void pb_ws_on_write(uv_write_t *req, int status) {
    pb_ws_conn *c = req->data;
    c->writing = false;
    pb_buf_reset(&c->inflight);
    if (c->tcp_closing || pb_ws_failed(c, "write", status)) {
        return;
    }
    pb_ws_pump(c);
}

/* Moves wslay's queued frames into the output buffer and starts a write. */
static void pb_ws_pump(pb_ws_conn *c) {
    if (c->tcp_closing || c->in_recv) {
        return;
    }
    if (c->ctx && wslay_event_want_write(c->ctx)) {
        int rc = wslay_event_send(c->ctx);
        if (rc < 0) {
            pb_ws_shut(c, "wslay_event_send failed");
            return;
        }
    }
    size_t pending = c->out.len + c->inflight.len;
    if (pending > c->peak_pending) {
        c->peak_pending = pending;
    }
    if (!c->writing && c->out.len) {
        pb_buf tmp = c->inflight;
        c->inflight = c->out;
        c->out = tmp;
        pb_buf_reset(&c->out);
        uv_buf_t b = uv_buf_init(c->inflight.data, (unsigned)c->inflight.len);
        c->write_req.data = c;
        int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, pb_ws_on_write);
        if (rc < 0) {
            pb_ws_shut(c, uv_strerror(rc));
            return;
        }
        c->writing = true;
    }
    /* Both close frames exchanged and everything written: done. */
    if (c->ctx && wslay_event_get_close_sent(c->ctx) && wslay_event_get_close_received(c->ctx) &&
        !c->writing && c->out.len == 0) {
        pb_ws_shut(c, NULL);
    }
}

/* ---- handshake ---------------------------------------------------------- */

static void pb_ws_on_header(void *owner, const char *name, const char *value) {
    pb_ws_conn *c = owner;
    if (strcasecmp(name, "Sec-WebSocket-Accept") == 0) {
        const char *v = value;
        while (*v == ' ') {
            v++;
        }
        size_t n = strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
            n--;
        }
        c->accept_ok = n == strlen(c->accept_expected) && strncmp(v, c->accept_expected, n) == 0;
    }
}

/* Feeds bytes to wslay (after the handshake). */
static void pb_ws_feed(pb_ws_conn *c, const char *data, size_t len) {
    c->rd = (const uint8_t *)data;
    c->rd_len = len;
    c->in_recv = true;
    int rc = wslay_event_recv(c->ctx);
    c->in_recv = false;
    c->rd = NULL;
    c->rd_len = 0;
    if (rc < 0) {
        pb_ws_shut(c, rc == WSLAY_ERR_NOMEM ? "out of memory" : "WebSocket protocol error");
        return;
    }
    pb_ws_pump(c);
}

static void pb_ws_handshake_input(pb_ws_conn *c, const char *data, size_t len) {
    const http_parser *parser = &c->response.parser;
    size_t n = pb_response_feed(&c->response, data, len);
    enum http_errno err = pb_response_errno(&c->response);
    if (parser->upgrade) {
        if (parser->status_code != 101) {
            char msg[96];
            snprintf(msg, sizeof msg, "handshake refused: HTTP %u", parser->status_code);
            pb_ws_shut(c, msg);
            return;
        }
        if (!c->accept_ok) {
            pb_ws_shut(c, "handshake: missing or wrong Sec-WebSocket-Accept");
            return;
        }
        if (wslay_event_context_client_init(&c->ctx, &pb_ws_wslay_callbacks, c) != 0) {
            pb_ws_shut(c, "out of memory");
            return;
        }
        c->state = PB_WS_OPEN;
        if (c->cbs.on_open) {
            c->cbs.on_open(c, c->ud);
        }
        if (c->tcp_closing) {
            return;
        }
        pb_ws_pump(c);
        if (n < len && !c->tcp_closing) {
            pb_ws_feed(c, data + n, len - n);
        }
        return;
    }
    if (err != HPE_OK) {
        pb_ws_shut(c, http_errno_description(err));
        return;
    }
    if (c->response.complete) {
        char msg[sizeof c->reason];
        snprintf(msg, sizeof msg, "handshake refused: HTTP %u %.140s", parser->status_code,
                 c->response.body.data ? c->response.body.data : "");
        pb_ws_shut(c, msg);
    }
}

/* ---- socket input ------------------------------------------------------- */

static void pb_ws_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    pb_ws_conn *c = s->data;
    if (nread == 0 || c->tcp_closing) {
        return;
    }
    if (nread < 0) {
        char msg[96];
        if (c->state == PB_WS_HANDSHAKE) {
            snprintf(msg, sizeof msg, "connection closed during the handshake (%s)",
                     uv_err_name((int)nread));
        } else if (c->ctx && wslay_event_get_close_received(c->ctx)) {
            snprintf(msg, sizeof msg, "closed after close frame");
        } else {
            snprintf(msg, sizeof msg, "connection lost without a close frame (%s)",
                     uv_err_name((int)nread));
        }
        pb_ws_shut(c, msg);
        return;
    }
    if (c->state == PB_WS_HANDSHAKE) {
        pb_ws_handshake_input(c, buf->base, (size_t)nread);
    } else if (c->ctx) {
        pb_ws_feed(c, buf->base, (size_t)nread);
    }
}

static void pb_ws_on_connect(uv_connect_t *req, int status) {
    pb_ws_conn *c = req->data;
    if (c->tcp_closing || pb_ws_failed(c, "connect", status)) {
        return;
    }
    c->state = PB_WS_HANDSHAKE;
    if (pb_ws_failed(c, "read",
                     uv_read_start((uv_stream_t *)&c->tcp, pb_read_buffer_alloc, pb_ws_on_read))) {
        return;
    }
    pb_ws_pump(c); /* the handshake request is already in c->out */
}

/* ---- public ------------------------------------------------------------- */

void pb_ws_init(pb_ws_conn *c, uv_loop_t *loop, const pb_options *opts, const pb_ws_callbacks *cbs,
                void *ud) {
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->opts = opts;
    c->cbs = *cbs;
    c->ud = ud;
    c->state = PB_WS_IDLE;
}

bool pb_ws_connect(pb_ws_conn *c, const char *path) {
    if (c->state != PB_WS_IDLE) {
        return false;
    }
    uint8_t raw[16];
    randombytes_buf(raw, sizeof raw);
    char key[32];
    sodium_bin2base64(key, sizeof key, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
    char concat[96];
    int n = snprintf(concat, sizeof concat, "%s%s", key, PB_WS_GUID);
    /* RFC 6455 4.2.2: the server must answer base64(SHA-1(key + GUID)) */
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (n < 0 || (size_t)n >= sizeof concat ||
        EVP_Digest(concat, (size_t)n, digest, &digest_len, EVP_sha1(), NULL) != 1) {
        return false;
    }
    sodium_bin2base64(c->accept_expected, sizeof c->accept_expected, digest, digest_len,
                      sodium_base64_VARIANT_ORIGINAL);

    bool ok;
    if (strchr(c->opts->host, ':')) {
        ok = pb_buf_printf(&c->out, "GET %s HTTP/1.1\r\nHost: [%s]:%d\r\n", path, c->opts->host,
                           c->opts->port);
    } else {
        ok = pb_buf_printf(&c->out, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n", path, c->opts->host,
                           c->opts->port);
    }
    ok = ok && pb_buf_printf(&c->out,
                             "User-Agent: parley-bench\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n",
                             key);
    if (!ok) {
        pb_buf_free(&c->out);
        return false;
    }
    /* a refusal's body is kept for its message, at most 512 bytes of it */
    pb_response_start(&c->response, pb_ws_on_header, c, 512, false);
    if (uv_tcp_init(c->loop, &c->tcp) < 0) {
        pb_buf_free(&c->out);
        return false;
    }
    c->tcp_inited = true;
    c->tcp.data = c;
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = PB_WS_CONNECTING;
    c->connect_req.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&c->opts->addr,
                            pb_ws_on_connect);
    if (rc < 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "connect failed: %s", uv_strerror(rc));
        pb_ws_shut(c, msg); /* on_closed will run */
    }
    return true;
}

bool pb_ws_send_text(pb_ws_conn *c, const char *data, size_t len) {
    if (c->state != PB_WS_OPEN || c->tcp_closing || !c->ctx) {
        return false;
    }
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME,
        .msg = (const uint8_t *)data,
        .msg_length = len,
    };
    if (wslay_event_queue_msg(c->ctx, &msg) != 0) {
        return false;
    }
    c->frames_sent++;
    pb_ws_pump(c);
    return true;
}

void pb_ws_close(pb_ws_conn *c) {
    c->by_us = true;
    if (c->state == PB_WS_OPEN && c->ctx && !c->tcp_closing) {
        c->state = PB_WS_CLOSING;
        snprintf(c->reason, sizeof c->reason, "closed by parley-bench");
        wslay_event_queue_close(c->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
        pb_ws_pump(c);
        return;
    }
    if (c->state != PB_WS_CLOSING) {
        pb_ws_shut(c, "closed by parley-bench");
    }
}

void pb_ws_abort(pb_ws_conn *c) {
    c->by_us = true;
    pb_ws_shut(c, "aborted by parley-bench");
}

bool pb_ws_is_closed(const pb_ws_conn *c) {
    return c->state == PB_WS_IDLE || c->state == PB_WS_CLOSED;
}

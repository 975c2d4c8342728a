/*
 * http_client.c - keep-alive HTTP/1.1 client connection (see
 * http_client.h). Loop thread only.
 */
#include "http_client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

static void pb_http_start(pb_http_conn *c);
static void pb_http_drop_connection(pb_http_conn *c);

static void pb_http_finish(pb_http_conn *c, const pb_http_response *resp, const char *error) {
    c->busy = false;
    pb_http_cb cb = c->cb;
    void *ud = c->ud;
    c->cb = NULL;
    c->ud = NULL;
    if (cb) {
        cb(c, resp, error, ud);
    }
}

static void pb_http_on_header(void *owner, const char *name, const char *value) {
    pb_http_conn *c = owner;
    if (strcasecmp(name, "Retry-After") == 0 && value[0] != '\0') {
        c->retry_after_s = atoi(value);
    }
}

static void pb_http_deliver(pb_http_conn *c) {
    bool keep = http_should_keep_alive(&c->response.parser) != 0;
    pb_http_response resp = {
        .status = (int)c->response.parser.status_code,
        .body = c->response.body.data ? c->response.body.data : "",
        .body_len = c->response.body.len,
        .retry_after_s = c->retry_after_s,
    };
    if (!keep) {
        pb_http_drop_connection(c);
    }
    pb_http_finish(c, &resp, NULL);
}

static void pb_http_on_tcp_closed(uv_handle_t *h) {
    pb_http_conn *c = h->data;
    c->tcp_inited = false;
    c->tcp_closing = false;
    if (c->shutting_down) {
        pb_buf_free(&c->request);
        pb_response_free(&c->response);
        return;
    }
    if (c->start_pending) {
        c->start_pending = false;
        pb_http_start(c);
    }
}

static void pb_http_drop_connection(pb_http_conn *c) {
    c->connected = false;
    if (c->tcp_inited && !c->tcp_closing) {
        c->tcp_closing = true;
        uv_close((uv_handle_t *)&c->tcp, pb_http_on_tcp_closed);
    }
}

static void pb_http_fail(pb_http_conn *c, const char *error) {
    pb_http_drop_connection(c);
    pb_http_finish(c, NULL, error);
}

static void pb_http_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    pb_http_conn *c = s->data;
    if (nread == 0) {
        return;
    }
    if (nread < 0) {
        if (!c->busy) {
            pb_http_drop_connection(c); /* idle keep-alive closed by the server */
            return;
        }
        if (!c->got_bytes && c->reused && c->resent == 0) {
            /* The server closed a reused connection before answering:
             * the request was not processed; send it again once. */
            c->resent++;
            pb_http_drop_connection(c);
            c->start_pending = true;
            return;
        }
        if (nread == UV_EOF && c->got_bytes) {
            pb_response_feed(&c->response, NULL, 0);
            if (c->response.complete) {
                pb_http_deliver(c);
                return;
            }
        }
        pb_http_fail(c, nread == UV_EOF ? "connection closed by server before a full response"
                                        : uv_strerror((int)nread));
        return;
    }
    if (!c->busy) {
        pb_http_fail(c, "unexpected data on an idle connection");
        return;
    }
    c->got_bytes = true;
    size_t n = pb_response_feed(&c->response, buf->base, (size_t)nread);
    enum http_errno err = pb_response_errno(&c->response);
    if (c->response.complete) {
        if (n < (size_t)nread && err == HPE_PAUSED) {
            /* Bytes after a complete response: not ours to interpret. */
            pb_http_drop_connection(c);
        }
        http_parser_pause(&c->response.parser, 0);
        pb_http_deliver(c);
        return;
    }
    if (err != HPE_OK) {
        pb_http_fail(c, http_errno_description(err));
    }
}

static void pb_http_on_write(uv_write_t *req, int status) {
    pb_http_conn *c = req->data;
    if (status < 0 && c->busy && !c->tcp_closing) {
        pb_http_fail(c, uv_strerror(status));
    }
}

static void pb_http_send(pb_http_conn *c) {
    /* one response per request: the parser pauses at its end */
    pb_response_start(&c->response, pb_http_on_header, c, 0, true);
    c->got_bytes = false;
    c->retry_after_s = -1;
    uv_buf_t b = uv_buf_init(c->request.data, (unsigned)c->request.len);
    c->write_req.data = c;
    int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &b, 1, pb_http_on_write);
    if (rc < 0) {
        pb_http_fail(c, uv_strerror(rc));
    }
}

static void pb_http_on_connect(uv_connect_t *req, int status) {
    pb_http_conn *c = req->data;
    if (c->shutting_down || c->tcp_closing) {
        return;
    }
    if (status < 0) {
        pb_http_fail(c, uv_strerror(status));
        return;
    }
    c->connected = true;
    int rc = uv_read_start((uv_stream_t *)&c->tcp, pb_read_buffer_alloc, pb_http_on_read);
    if (rc < 0) {
        pb_http_fail(c, uv_strerror(rc));
        return;
    }
    pb_http_send(c);
}

static void pb_http_start(pb_http_conn *c) {
    if (c->tcp_closing) {
        c->start_pending = true;
        return;
    }
    if (c->connected) {
        c->reused = true;
        pb_http_send(c);
        return;
    }
    c->reused = false;
    int rc = uv_tcp_init(c->loop, &c->tcp);
    if (rc < 0) {
        pb_http_finish(c, NULL, uv_strerror(rc));
        return;
    }
    c->tcp_inited = true;
    c->tcp.data = c;
    uv_tcp_nodelay(&c->tcp, 1);
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&c->opts->addr,
                        pb_http_on_connect);
    if (rc < 0) {
        pb_http_fail(c, uv_strerror(rc));
    }
}

void pb_http_conn_init(pb_http_conn *c, uv_loop_t *loop, const pb_options *opts) {
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->opts = opts;
}

bool pb_http_request(pb_http_conn *c, const char *method, const char *path, const char *token,
                     const char *json_body, pb_http_cb cb, void *ud) {
    if (c->busy || c->shutting_down) {
        return false;
    }
    pb_buf_reset(&c->request);
    bool ok = true;
    if (strchr(c->opts->host, ':')) {
        ok = pb_buf_printf(&c->request, "%s %s HTTP/1.1\r\nHost: [%s]:%d\r\n", method, path,
                           c->opts->host, c->opts->port);
    } else {
        ok = pb_buf_printf(&c->request, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n", method, path,
                           c->opts->host, c->opts->port);
    }
    ok = ok &&
         pb_buf_printf(&c->request, "User-Agent: parley-bench\r\nAccept: application/json\r\n");
    if (ok && token) {
        ok = pb_buf_printf(&c->request, "Authorization: Bearer %s\r\n", token);
    }
    if (ok && json_body) {
        ok = pb_buf_printf(&c->request, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                           strlen(json_body));
    }
    ok = ok && pb_buf_append(&c->request, "\r\n", 2);
    if (ok && json_body) {
        ok = pb_buf_append(&c->request, json_body, strlen(json_body));
    }
    if (!ok) {
        return false;
    }
    c->busy = true;
    c->cb = cb;
    c->ud = ud;
    c->resent = 0;
    pb_http_start(c);
    return true;
}

void pb_http_conn_close(pb_http_conn *c) {
    if (c->shutting_down) {
        return;
    }
    c->shutting_down = true;
    c->busy = false;
    c->cb = NULL;
    c->start_pending = false;
    c->connected = false;
    if (c->tcp_inited) {
        if (!c->tcp_closing) {
            c->tcp_closing = true;
            uv_close((uv_handle_t *)&c->tcp, pb_http_on_tcp_closed);
        }
        return;
    }
    pb_buf_free(&c->request);
    pb_response_free(&c->response);
}

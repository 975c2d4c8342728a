/* The receiving side of a server WebSocket over wslay (net/ws/ws_endpoint.h). */
#include "net/ws/ws_endpoint.h"

#include <string.h>

#include "util/validate.h"

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data) {
    (void)flags;
    parley_ws_endpoint *e = user_data;
    if (e->feed_len == 0 || e->paused) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < e->feed_len ? len : e->feed_len;
    memcpy(buf, e->feed, n);
    e->feed += n;
    e->feed_len -= n;
    return (ssize_t)n;
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user_data) {
    (void)ctx;
    parley_ws_endpoint *e = user_data;
    e->idle_ticks = 0;
    e->last_frame_ms = e->now_ms;
    if (arg->payload_length > e->max_frame_bytes) {
        e->ops->fail(e, WSLAY_CODE_MESSAGE_TOO_BIG, "frame too large");
    }
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user_data) {
    (void)ctx;
    parley_ws_endpoint *e = user_data;
    e->idle_ticks = 0;
    e->last_frame_ms = e->now_ms;
    if (e->failed) {
        return;
    }
    if (e->ops->received != NULL) {
        e->ops->received(e, arg);
    }
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        if (!parley_utf8_valid((const char *)arg->msg, arg->msg_length)) {
            e->ops->fail(e, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8");
            return;
        }
        e->ops->text(e, (const char *)arg->msg, arg->msg_length);
        break;
    case WSLAY_BINARY_FRAME:
        e->ops->fail(e, WSLAY_CODE_UNSUPPORTED_DATA, "binary frames are not supported");
        break;
    default:
        break; /* ping, pong and close are handled by wslay */
    }
}

wslay_event_context_ptr parley_ws_endpoint_ctx(parley_ws_endpoint *e) {
    if (e->ctx != NULL) {
        return e->ctx;
    }
    const struct wslay_event_callbacks callbacks = {
        .recv_callback = recv_cb,
        .send_callback = e->send,
        .on_frame_recv_start_callback = on_frame_start,
        .on_msg_recv_callback = on_msg,
    };
    /* wslay copies the callbacks into its context */
    if (wslay_event_context_server_init(&e->ctx, &callbacks, e) != 0) {
        e->ctx = NULL;
        return NULL;
    }
    wslay_event_config_set_max_recv_msg_length(e->ctx, e->max_message_bytes);
    return e->ctx;
}

bool parley_ws_endpoint_init(parley_ws_endpoint *e, const parley_ws_endpoint_ops *ops,
                             wslay_event_send_callback send, uint64_t max_frame_bytes,
                             uint64_t max_message_bytes) {
    memset(e, 0, sizeof *e);
    e->ops = ops;
    e->send = send;
    e->max_frame_bytes = max_frame_bytes;
    e->max_message_bytes = max_message_bytes;
    return parley_ws_endpoint_ctx(e) != NULL;
}

void parley_ws_endpoint_rest(parley_ws_endpoint *e, bool at_frame_boundary) {
    wslay_event_context_ptr ctx = e->ctx;
    if (ctx == NULL || !at_frame_boundary || e->failed || e->paused || e->feed_len > 0 ||
        wslay_event_get_queued_msg_count(ctx) > 0 || wslay_event_want_write(ctx) ||
        !wslay_event_want_read(ctx) || wslay_event_get_close_sent(ctx) ||
        wslay_event_get_close_received(ctx)) {
        return;
    }
    wslay_event_context_free(ctx);
    e->ctx = NULL;
}

int parley_ws_endpoint_recv_some(parley_ws_endpoint *e, const uint8_t *data, size_t len,
                                 size_t *consumed) {
    *consumed = 0;
    if (parley_ws_endpoint_ctx(e) == NULL) {
        return WSLAY_ERR_NOMEM;
    }
    e->feed = data;
    e->feed_len = len;
    int rv = wslay_event_recv(e->ctx);
    *consumed = len - e->feed_len;
    e->feed_len = 0;
    return rv;
}

int parley_ws_endpoint_recv(parley_ws_endpoint *e, const uint8_t *data, size_t len) {
    size_t consumed = 0;
    return parley_ws_endpoint_recv_some(e, data, len, &consumed);
}

bool parley_ws_endpoint_over(const parley_ws_endpoint *e) {
    return e->ctx != NULL && (wslay_event_get_close_sent(e->ctx) ||
                              (!wslay_event_want_read(e->ctx) && !wslay_event_want_write(e->ctx)));
}

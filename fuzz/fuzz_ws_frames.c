/*
 * fuzz_ws_frames.c - WebSocket frames from a client, handled the way
 * net/ws/websocket.c handles them: a wslay server context whose recv callback
 * reads from the bytes that arrived, a frame-size limit checked when a frame
 * starts (close 1009), text messages checked with parley_utf8_valid (close
 * 1007) and decoded with parley_decode_ws_frame, binary messages refused
 * (close 1003), replies queued as text, and output flushed after every read
 * until a close has been sent or wslay wants neither to read nor to write.
 *
 * Input layout: byte 0 seeds the sizes of the reads (0 = one read), the rest
 * is what the client sends after the upgrade.
 *
 * Invariants checked (trap on violation):
 *  - parley_utf8_valid agrees with a reference validator written from the
 *    RFC 3629 grammar (fuzz_checks.h), on the raw input and on every text
 *    message; parley_utf8_length agrees on the code point count;
 *  - no message reaches on_msg_recv longer than the configured maximum;
 *  - the decoded frame's invariants (check_ws_frame in fuzz_checks.h).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "util/validate.h"
#include "fuzz_checks.h"
#include "net/http/json_request.h"

/* Small limits so they are hit; both within the config's allowed ranges
 * (125 or more, frame <= message). */
#define WS_MAX_FRAME_BYTES 1024
#define WS_MAX_MESSAGE_BYTES 4096

typedef struct fuzz_ws {
    wslay_event_context_ptr ctx;
    const uint8_t *feed;
    size_t feed_len;
    size_t sent_bytes; /* output is discarded, only counted */
    bool failed;       /* a close was queued: ignore further messages */
} fuzz_ws;

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

static void check_utf8(const uint8_t *s, size_t n) {
    size_t ref_count = 0;
    bool ref = ref_utf8_valid(s, n, &ref_count);
    bool got = parley_utf8_valid((const char *)s, n);
    CHECK(ref == got);
    if (ref) {
        CHECK(parley_utf8_length((const char *)s, n) == ref_count);
    }
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user_data) {
    (void)flags;
    fuzz_ws *ws = user_data;
    if (ws->feed_len == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    size_t n = len < ws->feed_len ? len : ws->feed_len;
    memcpy(buf, ws->feed, n);
    ws->feed += n;
    ws->feed_len -= n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data) {
    (void)ctx;
    (void)data;
    (void)flags;
    fuzz_ws *ws = user_data;
    ws->sent_bytes += len;
    return (ssize_t)len;
}

static void fail(fuzz_ws *ws, uint16_t code, const char *reason) {
    if (!ws->failed) {
        ws->failed = true;
        wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, strlen(reason));
    }
}

static void send_text(fuzz_ws *ws, json_t *frame) {
    char *text = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (text != NULL && !ws->failed) {
        struct wslay_event_msg msg = {
            .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = strlen(text)};
        wslay_event_queue_msg(ws->ctx, &msg); /* wslay copies the payload */
    }
    free(text);
}

static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *user_data) {
    (void)ctx;
    fuzz_ws *ws = user_data;
    if (arg->payload_length > WS_MAX_FRAME_BYTES) {
        fail(ws, WSLAY_CODE_MESSAGE_TOO_BIG, "frame too large");
    }
}

static void handle_text(fuzz_ws *ws, const char *text, size_t len) {
    json_t *root = NULL;
    parley_ws_frame frame;
    char client_msg_id[PARLEY_CLIENT_MSG_ID_COPY_SIZE];
    parley_error err = {0};
    memset(client_msg_id, 0x5A, sizeof client_msg_id);
    parley_status st = parley_decode_ws_frame(text, len, &root, &frame, client_msg_id, &err);
    check_ws_frame(st, root, &frame, client_msg_id, &err);
    if (st != PARLEY_OK) {
        json_t *reply = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code", err.code,
                                  "message", err.message);
        if (reply != NULL && client_msg_id[0] != '\0') {
            /* json_string refuses invalid UTF-8: the echo is then dropped */
            json_object_set_new(reply, "client_msg_id", json_string(client_msg_id));
        }
        send_text(ws, reply);
        return;
    }
    if (frame.type == PARLEY_WS_PING) {
        send_text(ws, json_pack("{s:s}", "type", "pong"));
    }
    json_decref(root);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user_data) {
    (void)ctx;
    fuzz_ws *ws = user_data;
    CHECK(arg->msg_length <= WS_MAX_MESSAGE_BYTES);
    if (ws->failed) {
        return;
    }
    switch (arg->opcode) {
    case WSLAY_TEXT_FRAME:
        check_utf8(arg->msg, arg->msg_length);
        if (!parley_utf8_valid((const char *)arg->msg, arg->msg_length)) {
            fail(ws, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8");
            return;
        }
        handle_text(ws, (const char *)arg->msg, arg->msg_length);
        break;
    case WSLAY_BINARY_FRAME:
        fail(ws, WSLAY_CODE_UNSUPPORTED_DATA, "binary frames are not supported");
        break;
    default:
        break; /* ping, pong and close are handled by wslay */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    check_utf8(data, size);

    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[0] * 0x01000193u);
    bool one_read = data[0] == 0;
    const uint8_t *stream = data + 1;
    size_t stream_len = size - 1;

    static const struct wslay_event_callbacks callbacks = {
        .recv_callback = recv_cb,
        .send_callback = send_cb,
        .on_frame_recv_start_callback = on_frame_start,
        .on_msg_recv_callback = on_msg,
    };
    fuzz_ws ws = {0};
    if (wslay_event_context_server_init(&ws.ctx, &callbacks, &ws) != 0) {
        return 0;
    }
    wslay_event_config_set_max_recv_msg_length(ws.ctx, WS_MAX_MESSAGE_BYTES);

    size_t offset = 0;
    while (offset < stream_len) {
        size_t chunk = stream_len - offset;
        if (!one_read) {
            uint32_t r = next_random(&rng);
            size_t want = (r & 7u) == 0 ? 1 + (r >> 3) % 8192 : 1 + (r >> 3) % 32;
            if (want < chunk) {
                chunk = want;
            }
        }
        /* parley_ws_feed */
        ws.feed = stream + offset;
        ws.feed_len = chunk;
        offset += chunk;
        if (wslay_event_recv(ws.ctx) != 0) {
            break; /* the server closes the connection */
        }
        ws.feed_len = 0;
        /* ws_flush */
        if (wslay_event_send(ws.ctx) != 0) {
            break;
        }
        if (wslay_event_get_close_sent(ws.ctx) ||
            (!wslay_event_want_read(ws.ctx) && !wslay_event_want_write(ws.ctx))) {
            break;
        }
    }

    wslay_event_context_free(ws.ctx);
    return 0;
}

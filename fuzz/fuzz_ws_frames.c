/*
 * fuzz_ws_frames.c - WebSocket frames from a client through the server's own
 * receiving side, net/ws/ws_endpoint.c (the code websocket.c uses): a wslay
 * server context whose recv callback reads from the bytes that arrived, a
 * frame-size limit checked when a frame starts (close 1009), text messages
 * checked with parley_utf8_valid (close 1007), binary messages refused
 * (close 1003). Valid text is decoded with parley_decode_ws_frame, replies
 * are queued as text, and output is flushed after every read until the
 * endpoint says the conversation is over.
 *
 * Input layout: byte 0 seeds the sizes of the reads (0 = one read), the rest
 * is what the client sends after the upgrade.
 *
 * Invariants checked (trap on violation):
 *  - parley_utf8_valid agrees with a reference validator written from the
 *    RFC 3629 grammar (fuzz_checks.h), on the raw input and on every text
 *    message; parley_utf8_length agrees on the code point count;
 *  - no message wslay completes is longer than the configured maximum;
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
#include "net/ws/ws_endpoint.h"

/* Small limits so they are hit; both within the config's allowed ranges
 * (125 or more, frame <= message). */
#define WS_MAX_FRAME_BYTES 1024
#define WS_MAX_MESSAGE_BYTES 4096

typedef struct fuzz_ws {
    parley_ws_endpoint ep; /* first: wslay's user_data (net/ws/ws_endpoint.h) */
    size_t sent_bytes;     /* output is discarded, only counted */
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

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data) {
    (void)ctx;
    (void)data;
    (void)flags;
    fuzz_ws *ws = user_data; /* its endpoint, the first member */
    ws->sent_bytes += len;
    return (ssize_t)len;
}

static void fail(parley_ws_endpoint *e, uint16_t code, const char *reason) {
    if (!e->failed) {
        e->failed = true;
        wslay_event_queue_close(e->ctx, code, (const uint8_t *)reason, strlen(reason));
    }
}

static void send_text(fuzz_ws *ws, json_t *frame) {
    char *text = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (text != NULL && !ws->ep.failed) {
        struct wslay_event_msg msg = {
            .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = strlen(text)};
        wslay_event_queue_msg(ws->ep.ctx, &msg); /* wslay copies the payload */
    }
    free(text);
}

/* Every message wslay completes, before the endpoint's rules. */
static void received(parley_ws_endpoint *e, const struct wslay_event_on_msg_recv_arg *arg) {
    (void)e;
    CHECK(arg->msg_length <= WS_MAX_MESSAGE_BYTES);
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        check_utf8(arg->msg, arg->msg_length);
    }
}

/* A text message of valid UTF-8, answered the way websocket.c's
 * handle_frame answers what needs no job: an error frame or a pong. */
static void handle_text(parley_ws_endpoint *e, const char *text, size_t len) {
    fuzz_ws *ws = (fuzz_ws *)e;
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

static const parley_ws_endpoint_ops fuzz_ops = {received, handle_text, fail};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    check_utf8(data, size);

    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[0] * 0x01000193u);
    bool one_read = data[0] == 0;
    const uint8_t *stream = data + 1;
    size_t stream_len = size - 1;

    fuzz_ws ws = {0};
    if (!parley_ws_endpoint_init(&ws.ep, &fuzz_ops, send_cb, WS_MAX_FRAME_BYTES,
                                 WS_MAX_MESSAGE_BYTES)) {
        return 0;
    }

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
        if (parley_ws_endpoint_recv(&ws.ep, stream + offset, chunk) != 0) {
            break; /* the server closes the connection */
        }
        offset += chunk;
        /* ws_flush */
        if (wslay_event_send(ws.ep.ctx) != 0 || parley_ws_endpoint_over(&ws.ep)) {
            break;
        }
    }

    wslay_event_context_free(ws.ep.ctx);
    return 0;
}

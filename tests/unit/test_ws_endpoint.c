/* net/ws/ws_endpoint.c with the frame guard, as websocket.c drives them
 * (issue 11): wslay's context is dropped whenever the stream is at rest and
 * made again for the next bytes, and that changes nothing a client sees -
 * the same messages arrive, whole and in order, wherever the stream is
 * split; a context is kept while a frame or a fragmented message is open
 * or output waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/ws/ws_endpoint.h"
#include "net/ws/ws_frame_guard.h"

typedef struct probe {
    parley_ws_endpoint ep; /* first: wslay's user_data */
    char got[1024];        /* the texts received, joined with '|' */
    size_t out_bytes;      /* what wslay sent (pongs) */
    int fails;
} probe;

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data) {
    (void)ctx;
    (void)data;
    (void)flags;
    ((probe *)user_data)->out_bytes += len;
    return (ssize_t)len;
}

static void on_text(parley_ws_endpoint *e, const char *text, size_t len) {
    probe *p = (probe *)e;
    size_t used = strlen(p->got);
    snprintf(p->got + used, sizeof p->got - used, "%.*s|", (int)len, text);
}

static void on_fail(parley_ws_endpoint *e, uint16_t code, const char *reason) {
    (void)code;
    (void)reason;
    ((probe *)e)->fails++;
    e->failed = true;
}

static const parley_ws_endpoint_ops ops = {NULL, on_text, on_fail};

/* A masked client frame carrying text (mask key 1,2,3,4). */
static size_t frame(uint8_t *out, bool fin, uint8_t opcode, const char *text) {
    static const uint8_t key[4] = {1, 2, 3, 4};
    size_t len = strlen(text), n = 0;
    out[n++] = (uint8_t)((fin ? 0x80u : 0) | opcode);
    out[n++] = (uint8_t)(0x80u | len);
    memcpy(out + n, key, 4);
    n += 4;
    for (size_t i = 0; i < len; i++) {
        out[n++] = (uint8_t)text[i] ^ key[i % 4];
    }
    return n;
}

/* What websocket.c does after handing bytes over and flushing. */
static void flush_and_rest(probe *p, const parley_ws_guard *g) {
    if (p->ep.ctx != NULL) {
        assert_int_equal(wslay_event_send(p->ep.ctx), 0);
    }
    parley_ws_endpoint_rest(&p->ep, parley_ws_guard_at_rest(g));
}

static void test_split_anywhere_with_rests_delivers_the_same_messages(void **state) {
    (void)state;
    uint8_t stream[512];
    size_t n = 0;
    n += frame(stream + n, true, WSLAY_TEXT_FRAME, "hello");
    n += frame(stream + n, false, WSLAY_TEXT_FRAME, "frag");
    n += frame(stream + n, true, WSLAY_PING, "p"); /* inside the fragmented message */
    n += frame(stream + n, true, WSLAY_CONTINUATION_FRAME, "mented");
    n += frame(stream + n, true, WSLAY_TEXT_FRAME, "bye");
    for (size_t chunk = 1; chunk <= n; chunk++) {
        probe p;
        parley_ws_guard g;
        assert_true(parley_ws_endpoint_init(&p.ep, &ops, send_cb, 1000, 1000));
        parley_ws_guard_init(&g, 1000, 1000);
        memset(p.got, 0, sizeof p.got);
        p.out_bytes = 0;
        p.fails = 0;
        flush_and_rest(&p, &g);
        assert_null(p.ep.ctx); /* a fresh connection is at rest */
        size_t rests = 0;
        for (size_t at = 0; at < n; at += chunk) {
            size_t len = at + chunk <= n ? chunk : n - at;
            size_t ok = 0;
            assert_int_equal(parley_ws_guard_scan(&g, stream + at, len, &ok), PARLEY_WS_GUARD_OK);
            assert_int_equal(parley_ws_endpoint_recv(&p.ep, stream + at, len), 0);
            flush_and_rest(&p, &g);
            rests += p.ep.ctx == NULL;
        }
        assert_string_equal(p.got, "hello|fragmented|bye|");
        assert_int_equal(p.fails, 0);
        assert_true(p.out_bytes > 0); /* the pong went out */
        assert_null(p.ep.ctx);        /* the stream ended at rest */
        assert_true(rests >= 1);
        if (p.ep.ctx != NULL) {
            wslay_event_context_free(p.ep.ctx);
        }
    }
}

static void test_context_is_kept_mid_frame_and_mid_message(void **state) {
    (void)state;
    uint8_t stream[128];
    size_t n = frame(stream, false, WSLAY_TEXT_FRAME, "half");
    size_t whole = n;
    n += frame(stream + n, true, WSLAY_CONTINUATION_FRAME, "done");
    probe p;
    parley_ws_guard g;
    assert_true(parley_ws_endpoint_init(&p.ep, &ops, send_cb, 1000, 1000));
    parley_ws_guard_init(&g, 1000, 1000);
    memset(p.got, 0, sizeof p.got);
    size_t ok = 0;
    /* part of the first frame: mid-frame */
    assert_int_equal(parley_ws_guard_scan(&g, stream, 3, &ok), PARLEY_WS_GUARD_OK);
    assert_int_equal(parley_ws_endpoint_recv(&p.ep, stream, 3), 0);
    flush_and_rest(&p, &g);
    assert_non_null(p.ep.ctx);
    /* the rest of the first frame: whole, but the message is open */
    assert_int_equal(parley_ws_guard_scan(&g, stream + 3, whole - 3, &ok), PARLEY_WS_GUARD_OK);
    assert_int_equal(parley_ws_endpoint_recv(&p.ep, stream + 3, whole - 3), 0);
    flush_and_rest(&p, &g);
    assert_non_null(p.ep.ctx);
    /* output waiting (a queued message) keeps it too */
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)"x", .msg_length = 1};
    assert_int_equal(wslay_event_queue_msg(p.ep.ctx, &msg), 0);
    parley_ws_endpoint_rest(&p.ep, true);
    assert_non_null(p.ep.ctx);
    /* the last frame ends the message: at rest once flushed */
    assert_int_equal(parley_ws_guard_scan(&g, stream + whole, n - whole, &ok), PARLEY_WS_GUARD_OK);
    assert_int_equal(parley_ws_endpoint_recv(&p.ep, stream + whole, n - whole), 0);
    flush_and_rest(&p, &g);
    assert_null(p.ep.ctx);
    assert_string_equal(p.got, "halfdone|");
}

static void test_a_close_keeps_the_context(void **state) {
    (void)state;
    probe p;
    assert_true(parley_ws_endpoint_init(&p.ep, &ops, send_cb, 1000, 1000));
    memset(p.got, 0, sizeof p.got);
    wslay_event_queue_close(p.ep.ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
    assert_int_equal(wslay_event_send(p.ep.ctx), 0);
    parley_ws_endpoint_rest(&p.ep, true);
    assert_non_null(p.ep.ctx); /* close sent: the conversation is over, not at rest */
    assert_true(parley_ws_endpoint_over(&p.ep));
    wslay_event_context_free(p.ep.ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_anywhere_with_rests_delivers_the_same_messages),
        cmocka_unit_test(test_context_is_kept_mid_frame_and_mid_message),
        cmocka_unit_test(test_a_close_keeps_the_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* net/ws/ws_frame_guard.c: a WebSocket frame or message that declares more
 * than the limits is refused from its header alone, wherever the stream is
 * split; frames within the limits pass, payloads are skipped, control
 * frames do not count towards a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/ws/ws_frame_guard.h"

#define MAX_FRAME 1000
#define MAX_MESSAGE 2500

/* Writes a masked client frame header (payload not included); returns its size. */
static size_t header(uint8_t *out, bool fin, uint8_t opcode, uint64_t len) {
    size_t n = 0;
    out[n++] = (uint8_t)((fin ? 0x80u : 0) | opcode);
    if (len < 126) {
        out[n++] = (uint8_t)(0x80u | len);
    } else if (len < 65536) {
        out[n++] = 0x80u | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = 0x80u | 127;
        for (int i = 7; i >= 0; i--) {
            out[n++] = (uint8_t)(len >> (8 * i));
        }
    }
    memcpy(out + n, "\x01\x02\x03\x04", 4); /* mask key */
    return n + 4;
}

/* A whole frame with a payload of len 'a's (unmasked content does not matter here). */
static size_t frame(uint8_t *out, bool fin, uint8_t opcode, uint64_t len) {
    size_t n = header(out, fin, opcode, len);
    memset(out + n, 'a', (size_t)len);
    return n + (size_t)len;
}

/* n bytes of buf through a fresh guard with the default limits, in one
 * call: the verdict, and how many bytes were let through. */
static void expect_scan(const uint8_t *buf, size_t n, parley_ws_guard_verdict verdict,
                        size_t passed) {
    parley_ws_guard g;
    parley_ws_guard_init(&g, MAX_FRAME, MAX_MESSAGE);
    size_t ok = 0;
    assert_int_equal(parley_ws_guard_scan(&g, buf, n, &ok), verdict);
    assert_int_equal(ok, passed);
}

static void test_header_declaring_2_pow_40_is_refused_without_payload(void **state) {
    (void)state;
    parley_ws_guard g;
    parley_ws_guard_init(&g, MAX_FRAME, MAX_MESSAGE);
    uint8_t buf[32];
    size_t n = header(buf, true, 1, (uint64_t)1 << 40);
    size_t ok = 99;
    assert_int_equal(parley_ws_guard_scan(&g, buf, n, &ok), PARLEY_WS_GUARD_FRAME_TOO_BIG);
    assert_int_equal(ok, 0);
    /* sticky: later bytes are refused too */
    assert_int_equal(parley_ws_guard_scan(&g, buf, 1, &ok), PARLEY_WS_GUARD_FRAME_TOO_BIG);
    assert_int_equal(ok, 0);
}

static void test_frames_within_limits_pass_and_payload_is_skipped(void **state) {
    (void)state;
    parley_ws_guard g;
    parley_ws_guard_init(&g, MAX_FRAME, MAX_MESSAGE);
    static uint8_t buf[8192];
    size_t n = frame(buf, true, 1, MAX_FRAME); /* exactly the frame limit */
    n += frame(buf + n, true, 9, 125);         /* a ping */
    n += frame(buf + n, true, 1, 0);           /* empty text */
    n += frame(buf + n, false, 1, 1000);       /* a fragmented message ... */
    n += frame(buf + n, true, 9, 10);          /* ... with a ping between ... */
    n += frame(buf + n, false, 0, 1000);       /* ... */
    n += frame(buf + n, true, 0, 500);         /* ... of exactly 2500 bytes */
    n += frame(buf + n, true, 2, 200);         /* a new message resets the count */
    size_t ok = 0;
    assert_int_equal(parley_ws_guard_scan(&g, buf, n, &ok), PARLEY_WS_GUARD_OK);
    assert_int_equal(ok, n);
    /* the payload bytes of the 'a' frames were skipped, not taken as headers:
     * the stream ends exactly on a frame boundary */
    assert_int_equal(g.payload_left, 0);
    assert_int_equal(g.head_len, 0);
}

static void test_split_anywhere_gives_the_same_verdict(void **state) {
    (void)state;
    static uint8_t buf[8192];
    size_t first = frame(buf, true, 1, 300);
    size_t n = first + header(buf + first, true, 1, 70000); /* 64-bit length */
    for (size_t step = 1; step <= 17; step++) {
        parley_ws_guard g;
        parley_ws_guard_init(&g, MAX_FRAME, MAX_MESSAGE);
        parley_ws_guard_verdict v = PARLEY_WS_GUARD_OK;
        size_t consumed_ok = 0;
        for (size_t pos = 0; pos < n && v == PARLEY_WS_GUARD_OK; pos += step) {
            size_t len = n - pos < step ? n - pos : step;
            size_t ok = 0;
            v = parley_ws_guard_scan(&g, buf + pos, len, &ok);
            consumed_ok += ok;
        }
        assert_int_equal(v, PARLEY_WS_GUARD_FRAME_TOO_BIG);
        /* the good frame was let through; at most the bad header's first
         * bytes went with it (they began in an earlier chunk) */
        assert_true(consumed_ok >= first && consumed_ok < n);
    }
}

static void test_bytes_before_the_bad_header_are_ok(void **state) {
    (void)state;
    static uint8_t buf[4096];
    size_t first = frame(buf, true, 1, 10);
    size_t n = first + header(buf + first, true, 2, 1001);
    expect_scan(buf, n, PARLEY_WS_GUARD_FRAME_TOO_BIG, first);
}

static void test_message_over_limit_across_fragments(void **state) {
    (void)state;
    static uint8_t buf[8192];
    size_t n = frame(buf, false, 1, 1000);
    n += frame(buf + n, false, 0, 1000);
    size_t before = n;
    n += header(buf + n, false, 0, 501); /* 2501 > 2500, declared, no payload sent */
    expect_scan(buf, n, PARLEY_WS_GUARD_MESSAGE_TOO_BIG, before);
}

static void test_control_frames_do_not_count_and_are_not_judged(void **state) {
    (void)state;
    parley_ws_guard g;
    parley_ws_guard_init(&g, 125, 125);
    static uint8_t buf[4096];
    size_t n = frame(buf, false, 1, 100);
    n += frame(buf + n, true, 10, 125); /* pong: not part of the message */
    n += frame(buf + n, true, 0, 25);   /* 100 + 25 = 125: fine */
    size_t ok = 0;
    assert_int_equal(parley_ws_guard_scan(&g, buf, n, &ok), PARLEY_WS_GUARD_OK);
    assert_int_equal(ok, n);
}

static void test_at_rest_only_between_whole_messages(void **state) {
    (void)state;
    parley_ws_guard g;
    parley_ws_guard_init(&g, MAX_FRAME, MAX_MESSAGE);
    assert_true(parley_ws_guard_at_rest(&g));
    uint8_t buf[512];
    size_t n = frame(buf, false, 1, 10); /* a text message begins, no FIN */
    n += frame(buf + n, true, 9, 3);     /* a ping inside it */
    n += frame(buf + n, true, 0, 5);     /* its last continuation */
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(parley_ws_guard_scan(&g, buf + i, 1, &ok), PARLEY_WS_GUARD_OK);
        /* mid-frame, or between frames of an open message: not at rest */
        assert_int_equal(parley_ws_guard_at_rest(&g), i + 1 == n);
    }
    /* a refusal is never at rest */
    n = header(buf, true, 1, MAX_FRAME + 1);
    assert_int_equal(parley_ws_guard_scan(&g, buf, n, &ok), PARLEY_WS_GUARD_FRAME_TOO_BIG);
    assert_false(parley_ws_guard_at_rest(&g));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_declaring_2_pow_40_is_refused_without_payload),
        cmocka_unit_test(test_frames_within_limits_pass_and_payload_is_skipped),
        cmocka_unit_test(test_split_anywhere_gives_the_same_verdict),
        cmocka_unit_test(test_bytes_before_the_bad_header_are_ok),
        cmocka_unit_test(test_message_over_limit_across_fragments),
        cmocka_unit_test(test_control_frames_do_not_count_and_are_not_judged),
        cmocka_unit_test(test_at_rest_only_between_whole_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

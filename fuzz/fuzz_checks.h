/*
 * fuzz_checks.h - helpers shared by the fuzz targets: the CHECK macro, the
 * input as a C string, a small deterministic random source, a reference
 * UTF-8 validator written straight from the RFC 3629 grammar, and the
 * invariants of a decoded WebSocket frame.
 *
 * Header-only (static inline) because CMake builds every fuzz/fuzz_*.c as a
 * program of its own.
 */
#ifndef PARLEY_FUZZ_CHECKS_H
#define PARLEY_FUZZ_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http/http_request.h"
#include "net/http/json_request.h"

/* A violated invariant is a crash libFuzzer reports (and keeps the input). */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

/* The input up to its first NUL byte as a malloc'd C string (the caller
 * frees it); *len gets its length. */
static inline char *fuzz_text(const uint8_t *data, size_t size, size_t *len) {
    size_t n = strnlen((const char *)data, size);
    char *text = malloc(n + 1);
    CHECK(text != NULL);
    memcpy(text, data, n);
    text[n] = '\0';
    *len = n;
    return text;
}

/* xorshift32 for choices derived from the input: the state lives on the
 * caller's stack (no global state, so a run depends on its input only). */
static inline uint32_t fuzz_next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* The length of the next read of a stream fed in pieces, at most left:
 * mostly small (1..small), now and then large (1..large). */
static inline size_t fuzz_chunk(uint32_t *rng, size_t left, size_t small, size_t large) {
    uint32_t r = fuzz_next_random(rng);
    size_t want = 1 + (r >> 3) % ((r & 7u) == 0 ? large : small);
    return want < left ? want : left;
}

/*
 * RFC 3629, section 4:
 *   UTF8-1 = %x00-7F
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *            %xF4 %x80-8F 2( UTF8-tail )
 *   UTF8-tail = %x80-BF
 * The second byte's range is what rules out overlong forms (E0, F0),
 * surrogates (ED) and code points above U+10FFFF (F4). Counts code points
 * into *count when valid.
 */
static inline bool ref_in(uint8_t b, uint8_t lo, uint8_t hi) {
    return b >= lo && b <= hi;
}

/* One alternative of the grammar above: lead bytes lead_lo..lead_hi start
 * a sequence of len bytes whose second byte is in lo..hi (the others in
 * 80..BF). */
typedef struct ref_utf8_form {
    uint8_t lead_lo, lead_hi, len, lo, hi;
} ref_utf8_form;

static const ref_utf8_form REF_UTF8_FORMS[] = {
    {0x00, 0x7F, 1, 0x00, 0x00}, /* UTF8-1 */
    {0xC2, 0xDF, 2, 0x80, 0xBF}, /* UTF8-2 */
    {0xE0, 0xE0, 3, 0xA0, 0xBF}, /* UTF8-3 */
    {0xE1, 0xEC, 3, 0x80, 0xBF}, {0xED, 0xED, 3, 0x80, 0x9F},
    {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF}, /* UTF8-4 */
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

static inline bool ref_utf8_valid(const uint8_t *s, size_t n, size_t *count) {
    size_t i = 0;
    size_t cps = 0;
    while (i < n) {
        const ref_utf8_form *form = NULL;
        for (size_t f = 0; f < sizeof REF_UTF8_FORMS / sizeof REF_UTF8_FORMS[0]; f++) {
            if (ref_in(s[i], REF_UTF8_FORMS[f].lead_lo, REF_UTF8_FORMS[f].lead_hi)) {
                form = &REF_UTF8_FORMS[f];
            }
        }
        if (form == NULL) {
            return false; /* 80-C1 (continuation, overlong lead), F5-FF */
        }
        if (n - i < form->len) {
            return false; /* truncated sequence */
        }
        if (form->len > 1 && !ref_in(s[i + 1], form->lo, form->hi)) {
            return false;
        }
        for (size_t k = 2; k < form->len; k++) {
            if (!ref_in(s[i + k], 0x80, 0xBF)) {
                return false;
            }
        }
        i += form->len;
        cps++;
    }
    if (count != NULL) {
        *count = cps;
    }
    return true;
}

/* A NUL-terminated string decoded by jansson: valid UTF-8 and no NUL. */
static inline void check_json_text(const char *s) {
    if (s != NULL) {
        CHECK(ref_utf8_valid((const uint8_t *)s, strlen(s), NULL));
    }
}

static inline bool is_json_error_code(const parley_error *err) {
    return strcmp(err->code, "invalid_json") == 0 || strcmp(err->code, "validation_failed") == 0;
}

/*
 * A decoding error must reach the client: as a REST response with the status
 * of err (net/api/api_common.c uses parley_http_response_error) and as a
 * WebSocket error frame (send_error in net/ws/websocket.c packs the same way).
 * Both go through json_pack, which refuses strings that are not valid UTF-8;
 * the HTTP path then falls back to 503 "out of memory" and the WebSocket
 * path sends nothing.
 */
static inline void check_error_reaches_client(const parley_error *err) {
    CHECK(err->status != PARLEY_OK);
    parley_http_response res = {0};
    parley_http_response_error(&res, err);
    CHECK(res.body != NULL);
    CHECK(res.status == parley_http_status_for(err->status));
    parley_http_response_free(&res);
    json_t *frame = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code",
                              err->code[0] ? err->code : parley_status_code(err->status), "message",
                              err->message);
    CHECK(frame != NULL);
    json_decref(frame);
}

/* Invariants of parley_decode_ws_frame's result. */
static inline void check_ws_frame(parley_status st, json_t *root, const parley_ws_frame *frame,
                                  const char *client_msg_id, const parley_error *err) {
    /* NUL-terminated within its buffer. Not checked: that it is valid UTF-8 -
     * the copy is cut at 128 bytes, which can split a multi-byte character
     * (see fuzz/README.md, known issues). */
    CHECK(memchr(client_msg_id, '\0', PARLEY_CLIENT_MSG_ID_COPY_SIZE) != NULL);
    if (st != PARLEY_OK) {
        CHECK(root == NULL);
        CHECK(err->status == st);
        CHECK(st == PARLEY_E_INVALID || st == PARLEY_E_NOMEM);
        CHECK(st != PARLEY_E_INVALID || is_json_error_code(err));
        CHECK(err->message[0] != '\0');
        if (st == PARLEY_E_INVALID) {
            check_error_reaches_client(err);
        }
        return;
    }
    CHECK(json_is_object(root));
    switch (frame->type) {
    case PARLEY_WS_SUBSCRIBE:
        CHECK(frame->session_id != NULL);
        CHECK(frame->after_seq >= 0);
        break;
    case PARLEY_WS_UNSUBSCRIBE:
    case PARLEY_WS_TYPING:
        CHECK(frame->session_id != NULL);
        break;
    case PARLEY_WS_MESSAGE_SEND:
        CHECK(frame->session_id != NULL);
        /* content may be absent when an attachment stands for it */
        check_json_text(frame->message.content);
        check_json_text(frame->message.type);
        check_json_text(frame->message.attachment_id);
        if (frame->message.client_msg_id != NULL) {
            /* the echo copy is a prefix of the real id */
            size_t copied = strlen(client_msg_id);
            CHECK(copied < PARLEY_CLIENT_MSG_ID_COPY_SIZE);
            CHECK(strncmp(client_msg_id, frame->message.client_msg_id, copied) == 0);
            CHECK(copied == PARLEY_CLIENT_MSG_ID_COPY_SIZE - 1 ||
                  frame->message.client_msg_id[copied] == '\0');
        }
        break;
    case PARLEY_WS_PING:
        break;
    default:
        CHECK(false);
    }
    check_json_text(frame->session_id);
}

#endif

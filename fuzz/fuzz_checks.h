/*
 * fuzz_checks.h - helpers shared by the fuzz targets: the CHECK macro, a
 * reference UTF-8 validator written straight from the RFC 3629 grammar, and
 * the invariants of a decoded WebSocket frame.
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

static inline bool ref_utf8_valid(const uint8_t *s, size_t n, size_t *count) {
    size_t i = 0;
    size_t cps = 0;
    while (i < n) {
        uint8_t b0 = s[i];
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF; /* range of the second byte */
        if (b0 <= 0x7F) {
            len = 1;
        } else if (ref_in(b0, 0xC2, 0xDF)) {
            len = 2;
        } else if (b0 == 0xE0) {
            len = 3;
            lo = 0xA0;
        } else if (ref_in(b0, 0xE1, 0xEC) || ref_in(b0, 0xEE, 0xEF)) {
            len = 3;
        } else if (b0 == 0xED) {
            len = 3;
            hi = 0x9F;
        } else if (b0 == 0xF0) {
            len = 4;
            lo = 0x90;
        } else if (ref_in(b0, 0xF1, 0xF3)) {
            len = 4;
        } else if (b0 == 0xF4) {
            len = 4;
            hi = 0x8F;
        } else {
            return false; /* 80-C1 (continuation, overlong lead), F5-FF */
        }
        if (n - i < len) {
            return false; /* truncated sequence */
        }
        if (len > 1 && !ref_in(s[i + 1], lo, hi)) {
            return false;
        }
        for (size_t k = 2; k < len; k++) {
            if (!ref_in(s[i + k], 0x80, 0xBF)) {
                return false;
            }
        }
        i += len;
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

/*
 * fuzz_ws_frame_guard.c - net/ws/ws_frame_guard.c, the scanner that refuses an
 * oversized WebSocket frame or message from its header.
 *
 * Input layout: byte 0 seeds the sizes of the reads (0 = one read) and picks
 * the limits; the rest is what the client sends after the upgrade.
 *
 * Invariants checked (trap on violation):
 *  - the verdict and the offset of the offending header agree with a
 *    reference walk over the whole buffer written here independently
 *    (RFC 6455 5.2, one frame after another);
 *  - the same bytes split into reads of any sizes give the same verdict, and
 *    the bytes let through (sum of ok_len) reach at most 13 bytes into the
 *    offending header (its first bytes may have come in an earlier read,
 *    before it could be judged);
 *  - after a refusal every further call refuses with ok_len 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "net/ws/ws_frame_guard.h"

/* The reference: whole buffer at once, no state carried between calls. */
static parley_ws_guard_verdict reference(const uint8_t *s, size_t n, uint64_t max_frame,
                                         uint64_t max_message, size_t *bad_at) {
    size_t pos = 0;
    uint64_t message = 0;
    while (pos < n) {
        size_t start = pos;
        if (n - pos < 2) {
            break;
        }
        uint8_t opcode = s[pos] & 0x0F;
        uint8_t len7 = s[pos + 1] & 0x7F;
        bool masked = (s[pos + 1] & 0x80) != 0;
        size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        size_t head = 2 + ext + (masked ? 4 : 0);
        if (n - pos < head) {
            break;
        }
        uint64_t len = len7;
        if (ext > 0) {
            len = 0;
            for (size_t i = 0; i < ext; i++) {
                len = len * 256 + s[pos + 2 + i];
            }
        }
        pos += head;
        if (!(opcode & 8)) {
            if (len > max_frame) {
                *bad_at = start;
                return PARLEY_WS_GUARD_FRAME_TOO_BIG;
            }
            message = opcode == 0 ? message + len : len;
            if (message > max_message) {
                *bad_at = start;
                return PARLEY_WS_GUARD_MESSAGE_TOO_BIG;
            }
        }
        if (len >= n - pos) {
            break;
        }
        pos += (size_t)len;
    }
    *bad_at = n;
    return PARLEY_WS_GUARD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    /* small limits (within the config's ranges: >= 125, frame <= message) */
    uint64_t max_frame = 125 + (uint64_t)(data[0] & 0x0F) * 100;
    uint64_t max_message = max_frame + (uint64_t)(data[0] >> 4) * 300;
    const uint8_t *stream = data + 1;
    size_t n = size - 1;

    size_t bad_at = 0;
    parley_ws_guard_verdict want = reference(stream, n, max_frame, max_message, &bad_at);

    parley_ws_guard g;
    parley_ws_guard_init(&g, max_frame, max_message);
    size_t ok = 0;
    parley_ws_guard_verdict got = parley_ws_guard_scan(&g, stream, n, &ok);
    CHECK(got == want);
    CHECK(ok == bad_at);

    parley_ws_guard_init(&g, max_frame, max_message);
    uint32_t rng = 0x9E3779B9u ^ ((uint32_t)data[0] * 0x01000193u);
    size_t offset = 0;
    size_t passed = 0;
    got = PARLEY_WS_GUARD_OK;
    while (offset < n && got == PARLEY_WS_GUARD_OK) {
        size_t chunk = fuzz_chunk(&rng, n - offset, 16, 4096);
        got = parley_ws_guard_scan(&g, stream + offset, chunk, &ok);
        CHECK(ok <= chunk);
        passed += ok;
        offset += chunk;
    }
    CHECK(got == want);
    if (want == PARLEY_WS_GUARD_OK) {
        CHECK(passed == n);
    } else {
        CHECK(passed >= bad_at && passed - bad_at < 14);
        CHECK(parley_ws_guard_scan(&g, stream, n, &ok) == want && ok == 0);
    }
    return 0;
}

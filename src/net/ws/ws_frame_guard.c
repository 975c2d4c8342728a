#include "net/ws/ws_frame_guard.h"

#include <string.h>

void parley_ws_guard_init(parley_ws_guard *g, uint64_t max_frame, uint64_t max_message) {
    memset(g, 0, sizeof *g);
    g->max_frame = max_frame;
    g->max_message = max_message;
}

/* Header bytes needed, judging by what is known so far (at least 2). */
static size_t header_size(const parley_ws_guard *g) {
    if (g->head_len < 2) {
        return 2;
    }
    size_t n = 2;
    uint8_t len7 = g->head[1] & 0x7Fu;
    n += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    n += (g->head[1] & 0x80u) ? 4 : 0;
    return n;
}

static uint64_t declared_length(const parley_ws_guard *g) {
    uint8_t len7 = g->head[1] & 0x7Fu;
    if (len7 < 126) {
        return len7;
    }
    size_t bytes = len7 == 126 ? 2 : 8;
    uint64_t n = 0;
    for (size_t i = 0; i < bytes; i++) {
        n = (n << 8) | g->head[2 + i];
    }
    return n;
}

/* A complete header: judge it and start skipping its payload. */
static parley_ws_guard_verdict judge(parley_ws_guard *g) {
    uint8_t opcode = g->head[0] & 0x0Fu;
    uint64_t len = declared_length(g);
    g->head_len = 0;
    g->payload_left = len;
    if (opcode & 0x08u) {
        return PARLEY_WS_GUARD_OK; /* control frame: wslay checks it */
    }
    if (len > g->max_frame) {
        return PARLEY_WS_GUARD_FRAME_TOO_BIG;
    }
    if (opcode != 0) {
        g->message_bytes = 0; /* a new message starts */
    }
    g->in_message = (g->head[0] & 0x80u) == 0; /* no FIN: continuations follow */
    g->message_bytes += len; /* no overflow: both terms are <= max_frame/max_message */
    if (g->message_bytes > g->max_message) {
        return PARLEY_WS_GUARD_MESSAGE_TOO_BIG;
    }
    return PARLEY_WS_GUARD_OK;
}

parley_ws_guard_verdict parley_ws_guard_scan(parley_ws_guard *g, const uint8_t *data, size_t len,
                                             size_t *ok_len) {
    if (g->verdict != PARLEY_WS_GUARD_OK) {
        *ok_len = 0;
        return g->verdict;
    }
    size_t pos = 0;
    while (pos < len) {
        if (g->payload_left > 0) {
            uint64_t skip = g->payload_left < (uint64_t)(len - pos) ? g->payload_left : len - pos;
            g->payload_left -= skip;
            pos += (size_t)skip;
            continue;
        }
        /* where this header began: here, or in an earlier chunk */
        size_t header_start = g->head_len > 0 ? 0 : pos;
        while (pos < len && g->head_len < header_size(g)) {
            g->head[g->head_len++] = data[pos++];
        }
        if (g->head_len < header_size(g)) {
            break; /* the header continues in the next chunk */
        }
        parley_ws_guard_verdict v = judge(g);
        if (v != PARLEY_WS_GUARD_OK) {
            g->verdict = v;
            *ok_len = header_start;
            return v;
        }
    }
    *ok_len = len;
    return PARLEY_WS_GUARD_OK;
}

bool parley_ws_guard_at_rest(const parley_ws_guard *g) {
    return g->verdict == PARLEY_WS_GUARD_OK && g->head_len == 0 && g->payload_left == 0 &&
           !g->in_message;
}

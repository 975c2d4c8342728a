/*
 * ws_frame_guard.h - refuses an oversized WebSocket frame or message from
 * its header, before any of its payload has arrived.
 *
 * wslay tells its callbacks about a frame only once some payload bytes are
 * there: a client that sends just a header declaring 2^40 bytes would sit
 * unnoticed until the ping timeout. This scanner walks the client's byte
 * stream alongside wslay, frame by frame (RFC 6455 5.2: 2 header bytes, 0/2/8
 * bytes of extended length, 0/4 bytes of mask key, then the payload it
 * skips), and judges each header as soon as it is complete:
 *
 *  - a data frame (any opcode without bit 3) declaring more than max_frame
 *    bytes -> PARLEY_WS_GUARD_FRAME_TOO_BIG;
 *  - a data frame that takes its message (a text/binary start plus its
 *    continuations, by declared lengths) over max_message bytes ->
 *    PARLEY_WS_GUARD_MESSAGE_TOO_BIG.
 *
 * Control frames are skipped: they are at most 125 bytes and wslay refuses
 * longer ones at the first header byte. Protocol errors (continuation without
 * a start, reserved bits) are left to wslay, which sees the same bytes.
 *
 * Threads: any; a guard is used by one connection at a time. No allocation.
 */
#ifndef PARLEY_WS_FRAME_GUARD_H
#define PARLEY_WS_FRAME_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum parley_ws_guard_verdict {
    PARLEY_WS_GUARD_OK = 0,
    PARLEY_WS_GUARD_FRAME_TOO_BIG,
    PARLEY_WS_GUARD_MESSAGE_TOO_BIG
} parley_ws_guard_verdict;

typedef struct parley_ws_guard {
    uint64_t max_frame;
    uint64_t max_message;
    uint64_t payload_left;  /* payload bytes of the current frame still to skip */
    uint64_t message_bytes; /* declared so far by the current data message */
    uint8_t head[14];
    size_t head_len;
    bool in_message;                 /* a data frame without FIN began a message not yet ended */
    parley_ws_guard_verdict verdict; /* sticky once not OK */
} parley_ws_guard;

void parley_ws_guard_init(parley_ws_guard *g, uint64_t max_frame, uint64_t max_message);

/*
 * Scans the next len bytes of the client's stream. Returns PARLEY_WS_GUARD_OK
 * with *ok_len = len when nothing is wrong; otherwise the verdict, with
 * *ok_len = how many bytes of this chunk come before the offending frame's
 * header (0 if that header began in an earlier chunk) - those may still be
 * handed to wslay. After a refusal every later call returns it again with
 * *ok_len = 0.
 */
parley_ws_guard_verdict parley_ws_guard_scan(parley_ws_guard *g, const uint8_t *data, size_t len,
                                             size_t *ok_len);

/* True when the bytes scanned so far end exactly at a frame's end, outside
 * any fragmented message, and nothing was refused: a receiver that took
 * them all holds no partial frame (ws_endpoint.h drops wslay's context
 * then). */
bool parley_ws_guard_at_rest(const parley_ws_guard *g);

#endif

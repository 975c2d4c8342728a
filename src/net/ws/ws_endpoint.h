/*
 * ws_endpoint.h - the receiving side of a server WebSocket over wslay, in
 * one place for the server's connections (net/ws/websocket.c) and the fuzz
 * target that drives the same callbacks (fuzz/fuzz_ws_frames.c).
 *
 * The endpoint owns wslay's receive callbacks and the frame rules they
 * apply: wslay reads the bytes handed to parley_ws_endpoint_recv; a frame
 * whose header declares more than max_frame_bytes is refused when it starts
 * (close 1009 "frame too large"); a text message must be valid UTF-8 (close
 * 1007); a binary message is refused (close 1003); ping, pong and close are
 * wslay's. Every frame from the peer resets idle_ticks and sets
 * last_frame_ms to now_ms (the owner's clock, set before it hands bytes
 * over: the endpoint reads no clock itself). What a valid text
 * message does, how a close is queued and where output goes are the
 * owner's (its ops and its send callback).
 *
 * Ownership: the owner embeds the endpoint (the first member of its struct:
 * wslay's user_data is the endpoint, and the owner's send callback gets it
 * too) and frees ctx with wslay_event_context_free (ctx may be NULL).
 * Threads: the thread that owns the connection (the loop thread in the
 * server). No allocation besides wslay's context.
 *
 * Memory (issue 11): wslay's context is ~8.8 KB (two 4 KiB buffers inside
 * its structs, not configurable), more than everything else an idle
 * WebSocket holds. The owner may drop it while the connection is at rest
 * (parley_ws_endpoint_rest: no partial frame, no fragmented message, no
 * queued output, no close) - a fresh context is then the same state - and
 * parley_ws_endpoint_ctx makes a new one when bytes or output come.
 */
#ifndef PARLEY_WS_ENDPOINT_H
#define PARLEY_WS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wslay/wslay.h>

typedef struct parley_ws_endpoint parley_ws_endpoint;

typedef struct parley_ws_endpoint_ops {
    /* a complete message arrived while no close is queued, before any rule
     * is applied (counters, checks); may be NULL */
    void (*received)(parley_ws_endpoint *e, const struct wslay_event_on_msg_recv_arg *arg);
    /* a text message of valid UTF-8 */
    void (*text)(parley_ws_endpoint *e, const char *text, size_t len);
    /* the peer broke a rule: queue a close with this code and reason, once
     * (it sets failed) */
    void (*fail)(parley_ws_endpoint *e, uint16_t code, const char *reason);
} parley_ws_endpoint_ops;

struct parley_ws_endpoint {
    const parley_ws_endpoint_ops *ops;
    wslay_event_context_ptr ctx; /* NULL while at rest: use parley_ws_endpoint_ctx */
    wslay_event_send_callback send;
    uint64_t max_message_bytes;
    const uint8_t *feed; /* what wslay's recv callback reads next */
    size_t feed_len;
    uint64_t max_frame_bytes;
    bool failed;            /* a close was queued: later messages are ignored */
    bool paused;            /* the owner stops taking frames: wslay reads no further */
    int idle_ticks;         /* the owner's timer counts up; any frame resets it */
    uint64_t now_ms;        /* the owner's clock when it hands bytes to recv */
    uint64_t last_frame_ms; /* now_ms when the peer's last frame started */
};

/* Makes the wslay server context with the endpoint's receive callbacks and
 * the owner's send callback (its user_data is e), and the limits: frames
 * over max_frame_bytes refused at their start, messages over
 * max_message_bytes by wslay. False when wslay has no memory. */
bool parley_ws_endpoint_init(parley_ws_endpoint *e, const parley_ws_endpoint_ops *ops,
                             wslay_event_send_callback send, uint64_t max_frame_bytes,
                             uint64_t max_message_bytes);

/* wslay's context, made again (same callbacks and limits) if it was
 * dropped at rest; NULL when there is no memory for it. */
wslay_event_context_ptr parley_ws_endpoint_ctx(parley_ws_endpoint *e);

/* Drops wslay's context if the connection is at rest. at_frame_boundary is
 * the owner's knowledge that every byte handed to recv ended a frame and
 * no fragmented message is open (its frame guard, ws_frame_guard.h) and
 * that it holds none back; the endpoint adds wslay's side: not failed or
 * paused, nothing queued to send, no close sent or received. */
void parley_ws_endpoint_rest(parley_ws_endpoint *e, bool at_frame_boundary);

/* Hands len bytes from the peer to wslay, which calls the ops for what they
 * complete. wslay_event_recv's result: non-zero means the connection is
 * beyond saving (close it; also when no context could be made). */
int parley_ws_endpoint_recv(parley_ws_endpoint *e, const uint8_t *data, size_t len);

/* Like parley_ws_endpoint_recv, but stops early once e->paused is set (by
 * an op, while wslay handles a message; frames wslay had already read
 * into its own buffer, at most a few KB, are still handled): *consumed is
 * how many of the len bytes wslay took; the rest are the owner's to hand
 * back after it clears paused (backpressure, issue 11). */
int parley_ws_endpoint_recv_some(parley_ws_endpoint *e, const uint8_t *data, size_t len,
                                 size_t *consumed);

/* After output was flushed: true once a close has been sent or wslay wants
 * neither to read nor to write - the conversation is over (never while the
 * context is dropped at rest). */
bool parley_ws_endpoint_over(const parley_ws_endpoint *e);

#endif

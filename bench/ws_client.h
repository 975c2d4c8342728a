/*
 * ws_client.h - one client WebSocket (RFC 6455) connection to parleyd.
 *
 * The opening handshake is written by hand and its answer parsed with
 * http_parser (status 101 and a correct Sec-WebSocket-Accept are required);
 * framing, masking (client frames are always masked, keys from libsodium's
 * randombytes), ping replies and the closing handshake are done by wslay's
 * client event API. libuv owns the socket: bytes read are handed to
 * wslay_event_recv() through the recv callback, and bytes wslay wants to send
 * are appended to an output buffer that is written with uv_write(); several
 * frames queued in one loop iteration therefore go out in one write.
 *
 * Ownership: the caller owns the pb_ws_conn memory, which must stay valid
 * until its on_closed callback has run (parley-bench frees every connection
 * only after uv_run() returns). The wslay context and buffers are owned by
 * the connection and released when its socket has closed. Text passed to
 * on_text is valid only during that callback.
 * Threads: everything runs on the single libuv loop thread.
 */
#ifndef PB_WS_CLIENT_H
#define PB_WS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <wslay/wslay.h>

#include "buf.h"
#include "response.h"

struct pb_options;
typedef struct pb_ws_conn pb_ws_conn;

typedef struct pb_ws_callbacks {
    /* The handshake succeeded; frames may be sent. */
    void (*on_open)(pb_ws_conn *c, void *ud);
    /* A complete text message arrived. */
    void (*on_text)(pb_ws_conn *c, const char *data, size_t len, void *ud);
    /* The socket is closed for good (after a failed connect or handshake,
     * a close handshake, an abort or a network error). Runs exactly once
     * per pb_ws_connect(). clean is true when the closing was started by
     * pb_ws_close()/pb_ws_abort(); reason describes what happened. */
    void (*on_closed)(pb_ws_conn *c, bool clean, const char *reason, void *ud);
} pb_ws_callbacks;

typedef enum pb_ws_state {
    PB_WS_IDLE,
    PB_WS_CONNECTING,
    PB_WS_HANDSHAKE,
    PB_WS_OPEN,
    PB_WS_CLOSING,
    PB_WS_CLOSED
} pb_ws_state;

struct pb_ws_conn {
    uv_loop_t *loop;
    const struct pb_options *opts;
    pb_ws_callbacks cbs;
    void *ud;
    pb_ws_state state;
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    bool tcp_inited;
    bool tcp_closing;
    bool writing;
    bool in_recv;
    bool by_us;
    /* handshake: the server's answer (its body only a sample, for the
     * message of a refusal) */
    pb_response response;
    char accept_expected[32];
    bool accept_ok;
    /* framing */
    wslay_event_context_ptr ctx;
    const uint8_t *rd;
    size_t rd_len;
    pb_buf out;      /* produced, not yet handed to uv_write */
    pb_buf inflight; /* being written */
    size_t peak_pending;
    uint64_t frames_sent;
    uint64_t frames_received;
    char reason[192];
};

void pb_ws_init(pb_ws_conn *c, uv_loop_t *loop, const struct pb_options *opts,
                const pb_ws_callbacks *cbs, void *ud);

/* Starts connecting; path includes the query (e.g. /api/v1/ws?token=...).
 * Returns false (and on_closed will not run) if it could not even start. */
bool pb_ws_connect(pb_ws_conn *c, const char *path);

/* Queues one text frame and starts writing it. False unless open. */
bool pb_ws_send_text(pb_ws_conn *c, const char *data, size_t len);

/* Starts the closing handshake (status 1000); the socket closes when the
 * server answers or when pb_ws_abort() is called. */
void pb_ws_close(pb_ws_conn *c);

/* Closes the socket now, whatever its state. */
void pb_ws_abort(pb_ws_conn *c);

/* True once the socket is gone (or was never opened). */
bool pb_ws_is_closed(const pb_ws_conn *c);

#endif

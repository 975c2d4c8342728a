/*
 * websocket.h - the realtime endpoint GET /api/v1/ws (RFC 6455 via wslay).
 *
 * After the HTTP upgrade a connection carries JSON text frames: subscribe,
 * unsubscribe, message.send, typing, ping. wslay does the framing, masking
 * checks, ping/pong, fragment reassembly and the close handshake; this file
 * adds the product rules: UTF-8 validation (1007) and binary refused (1003)
 * in wslay's receive callbacks (net/ws/ws_endpoint.h), frame and message
 * size limits judged from the frame header (1009, via
 * net/ws/ws_frame_guard.h), slow consumers closed (1008), keep-alive pings
 * (only to a socket silent for an interval).
 * Every byte queued for the client is counted by net/loop/conn.h (reserve before
 * queuing, release at flush), so the node-wide output cap sees it.
 *
 * Threads: loop thread only. Ownership: the connection (loop/conn.c) owns its
 * parley_ws as its protocol data and frees it through the vtable when the
 * connection is freed;
 * the ws owns its participant and subscriptions.
 */
#ifndef PARLEY_WEBSOCKET_H
#define PARLEY_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/participant.h"
#include "net/loop/conn.h"
#include "net/ws/hub.h"

typedef struct parley_ws parley_ws;
#include "net/http/origin_policy.h"

/* Handles GET /api/v1/ws: validates the handshake, authenticates (in a
 * job) and upgrades, or answers the HTTP error. Takes ownership of req. */
void parley_ws_handle_upgrade(parley_conn *c, parley_http_request *req);

/* After the upgrade the connection drives the WebSocket through the
 * parley_conn_protocol vtable websocket.c registers (parley_conn_upgraded):
 * bytes read, writes drained, the ping timer, closing, eviction, shutdown
 * (1001) and freeing. */

/* What the hub calls to reach a WebSocket (send a frame, hold and unhold
 * catch-up bytes, the participant, revocation): the server passes it to
 * parley_hub_init. A static table, valid for the whole run. */
const parley_hub_sink *parley_ws_hub_sink(void);

/* Flushes every WebSocket with queued frames (the server calls it once per
 * loop iteration, so many events become one write per socket). */
void parley_ws_flush_all(parley_server *srv);

/* The handshake check of parley_ws_handle_upgrade, without side effects:
 * 0 when req may upgrade; 400 when it is not a WebSocket upgrade (the
 * Upgrade header lacks the token "websocket", Connection lacks "upgrade",
 * or Sec-WebSocket-Key is not 24 characters); 403 when a browser Origin is
 * not allowed (net/http/origin_policy.h); 426 when Sec-WebSocket-Version is not
 * "13". Checked in that order. Exposed for fuzz/fuzz_ws_handshake.c. */
int parley_ws_upgrade_verdict(const parley_http_request *req, const parley_origin_policy *origins);

/* Is token one of the comma-separated elements of a header value
 * (case-insensitive, whitespace around elements ignored)? */
bool parley_ws_header_has_token(const char *value, const char *token);

/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)); out holds 29+ bytes. */
bool parley_ws_accept_key(const char *client_key, char out[32]);

#endif

/*
 * load.h - the WebSocket phases: open one socket per agent and per
 * customer, subscribe every agent to its round-robin share of the sessions
 * (session of customer c goes to agent c mod M), then drive the open-loop
 * sender and account every frame that comes back in the run's ledger.
 *
 * The sender is a 1 ms repeating libuv timer. At each tick it sends every
 * message whose intended time t0 + i/rate has passed, from customer
 * i mod N, with client_msg_id "pb-<run>-<i>" and content starting with the
 * same id; it never waits for replies, so a slow server cannot slow the
 * offered load down (it only grows the socket buffers and the latencies).
 *
 * Ownership: works on the pb_run's agents, customers, ledger and send
 * timer (see run.h); owns nothing itself. Threads: loop thread only.
 */
#ifndef PB_LOAD_H
#define PB_LOAD_H

#include "run.h"

/* Opens the sockets and subscribes; calls pb_run_connect_finished() once
 * every socket is open and every subscription confirmed, or pb_run_fail()
 * + pb_run_abort() on the first failure. */
void pb_load_connect_start(pb_run *run);

/* Fixes t0 = now and starts the sender; calls pb_run_sending_finished()
 * after the last message has been queued. */
void pb_load_start_sending(pb_run *run);

/* Stops the sender (idempotent). */
void pb_load_stop_sending(pb_run *run);

/* Starts the closing handshake on every open socket; abort=true closes
 * them at once instead. */
void pb_load_close_sockets(pb_run *run, bool abort);

#endif

/*
 * setup.h - the HTTP phase: log in as the admin, create and log in the
 * agents, create the customers and one session each.
 *
 * Requests run over --setup-concurrency keep-alive connections, each
 * working through a shared task list (one task = one agent or one
 * customer, two requests each). 429 answers are retried after Retry-After;
 * a connection failure is retried a few times; any other unexpected answer
 * fails the run with the status and body.
 *
 * Ownership: the pb_setup owns its connections and retry timers; the tokens
 * and ids it obtains are stored into the pb_run's agents and customers.
 * pb_setup_close() closes its handles; pb_setup_free() (after uv_run has
 * returned) frees the memory. Threads: the libuv loop thread only.
 */
#ifndef PB_SETUP_H
#define PB_SETUP_H

#include "run.h"

typedef struct pb_setup pb_setup;

/* Starts the phase; calls pb_run_setup_finished() or pb_run_fail() +
 * pb_run_abort() when done. Returns NULL when out of memory. */
pb_setup *pb_setup_start(pb_run *run);

void pb_setup_close(pb_setup *s);
void pb_setup_free(pb_setup *s);

#endif

/*
 * dispatcher.h - runs the routing dispatch (core/routing.h) as a batched
 * job on the writer: after every event that can free an agent or queue a
 * session (session.created, session.updated, presence.updated,
 * settings.updated), and, on the leading node only (net/server.h), once a
 * second as a safety net (it also finds assigned sessions to re-queue,
 * whose deadline passes with no event).
 * At most one dispatch job is in flight; requests meanwhile coalesce into
 * one more run after it.
 *
 * Threads: loop thread only (the job's run is on the writer).
 * Ownership: embedded in the server; parley_dispatcher_close() closes its
 * timer handle at shutdown.
 */
#ifndef PARLEY_DISPATCHER_H
#define PARLEY_DISPATCHER_H

#include <stdbool.h>
#include <uv.h>

#include "core/event.h"

struct parley_server;

typedef struct parley_dispatcher {
    struct parley_server *server;
    uv_timer_t tick;
    uv_timer_t retry; /* one-shot: a run found another writer dispatching */
    bool in_flight;
    bool again; /* a request arrived while a run was in flight */
    bool stopped;
    unsigned long long runs;
} parley_dispatcher;

void parley_dispatcher_start(parley_dispatcher *d, struct parley_server *srv);
/* Asks for a run soon (coalesced). */
void parley_dispatcher_request(parley_dispatcher *d);
/* Subscribes the dispatcher after commit (core/event.h) to the events that
 * call for a dispatch: each asks for a run (coalesced). */
bool parley_dispatcher_subscribe(parley_dispatcher *d, parley_event_registry *reg);
/* Stops the timer and further runs (shutdown begins). */
void parley_dispatcher_stop(parley_dispatcher *d);
/* Closes the timer handle (the loop is finishing). */
void parley_dispatcher_close(parley_dispatcher *d);

#endif

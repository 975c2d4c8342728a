/*
 * router.h - maps method + path to a handler.
 *
 * Most routes run in an executor job (authentication and the facade call
 * happen on a worker thread); a few cheap ones (/healthz, /metrics, the
 * WebSocket upgrade) run inline on the loop. Unknown paths answer 404 and
 * known paths with another method 405 with an Allow header.
 * Threads: loop thread. Ownership: dispatch takes the request.
 */
#ifndef PARLEY_ROUTER_H
#define PARLEY_ROUTER_H

#include "net/conn.h"

void parley_router_dispatch(parley_conn *c, parley_http_request *req);

#endif

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

#include <stdbool.h>

#include "net/api.h"
#include "net/conn.h"

void parley_router_dispatch(parley_conn *c, parley_http_request *req);

/* Matches a request's path (already percent-decoded by the reader, once)
 * against a route pattern: "{}" captures an id segment (at most
 * PARLEY_ID_SIZE - 1 bytes), "{w}" a word segment (at most
 * PARLEY_ROUTE_PARAM_SIZE - 1 bytes), at most two captures, each non-empty
 * and copied as it is into params. Exposed for fuzz/fuzz_path_decode.c. */
bool parley_router_match(const char *pattern, const char *path,
                         char params[2][PARLEY_ROUTE_PARAM_SIZE]);

#endif

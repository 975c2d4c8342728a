/* No-op parts of a fake hub sink (net/ws/hub.h) for unit tests that drive
 * the hub with fake connections: holding held events always succeeds and
 * costs nothing. Each test defines the rest of its sink. */
#ifndef PARLEY_TEST_HUB_SINK_STUBS_H
#define PARLEY_TEST_HUB_SINK_STUBS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/ws/hub.h"

static bool stub_hold(parley_ws *ws, size_t len) {
    (void)ws;
    (void)len;
    return true;
}

static void stub_unhold(parley_ws *ws, size_t len) {
    (void)ws;
    (void)len;
}

#endif

/*
 * translation_route.c - route selection between languages; see
 * translation_route.h.
 */
#include "strategies/translation_route.h"

#include <string.h>

parley_route parley_translation_route(const char *src, const char *dst,
                                      parley_route_has_pair_fn has_pair, const void *ctx,
                                      const char *const *candidates, size_t n) {
    parley_route r = {PARLEY_ROUTE_NONE, NULL};
    if (src == NULL || dst == NULL) {
        return r;
    }
    if (strcmp(src, dst) == 0 || has_pair(ctx, src, dst)) {
        r.kind = PARLEY_ROUTE_DIRECT;
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        const char *m = candidates[i];
        if (strcmp(m, src) != 0 && strcmp(m, dst) != 0 && has_pair(ctx, src, m) &&
            has_pair(ctx, m, dst)) {
            r.kind = PARLEY_ROUTE_PIVOT;
            r.via = m;
            return r;
        }
    }
    return r;
}

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

bool parley_language_primary(const char *tag, char *out, size_t size) {
    if (size > 0) {
        out[0] = '\0';
    }
    if (tag == NULL || size < 4) {
        return false;
    }
    size_t i = 0;
    while (tag[i] != '\0' && tag[i] != '-' && tag[i] != '_') {
        char c = tag[i];
        if (i >= 3 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            out[0] = '\0';
            return false;
        }
        out[i] = (char)(c | 0x20);
        i++;
    }
    if (i < 2) {
        out[0] = '\0';
        return false;
    }
    out[i] = '\0';
    return true;
}

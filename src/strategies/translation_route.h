/*
 * translation_route.h - how to get a text from one language into another
 * with the pairs a backend has: directly, through one pivot language
 * (English first, then the others in the order given), or not at all.
 *
 * Pure functions, no state: any thread. Used by the apertium backend
 * (translation_apertium.c, with its installed directions) and by the
 * translation strategy for LibreTranslate (whose pairs it learns from the
 * server's refusals, see translation.c).
 */
#ifndef PARLEY_TRANSLATION_ROUTE_H
#define PARLEY_TRANSLATION_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum parley_route_kind {
    PARLEY_ROUTE_NONE = 0, /* no way from src to dst */
    PARLEY_ROUTE_DIRECT,   /* one pair src -> dst */
    PARLEY_ROUTE_PIVOT     /* src -> via -> dst */
} parley_route_kind;

typedef struct parley_route {
    parley_route_kind kind;
    const char *via; /* PIVOT only: one of the candidates given; else NULL */
} parley_route;

/* Whether the backend has the direct pair src -> dst (ISO 639-1 codes). */
typedef bool (*parley_route_has_pair_fn)(const void *ctx, const char *src, const char *dst);

/* The route from src to dst: DIRECT when has_pair says so; else PIVOT
 * through the first of the n candidates (other than src and dst) with
 * both halves; else NONE. src == dst is DIRECT (nothing to do; callers
 * check it first). candidates are tried in order, so put "en" first. */
parley_route parley_translation_route(const char *src, const char *dst,
                                      parley_route_has_pair_fn has_pair, const void *ctx,
                                      const char *const *candidates, size_t n);

#endif

/*
 * histogram.c - log-linear histogram (see histogram.h). Loop thread only.
 */
#include "histogram.h"

#include <math.h>
#include <stdlib.h>

#define PB_HIST_SUB (1u << PB_HIST_SUB_BITS)
/* shift ranges over 0..(63 - PB_HIST_SUB_BITS); bucket = shift*SUB + sub. */
#define PB_HIST_BUCKETS ((size_t)(64 - PB_HIST_SUB_BITS + 1) * PB_HIST_SUB)

static size_t pb_hist_index(uint64_t v) {
    if (v < (uint64_t)PB_HIST_SUB * 2u) {
        return (size_t)v;
    }
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - PB_HIST_SUB_BITS;
    uint64_t sub = v >> shift; /* in [SUB, 2*SUB) */
    return (size_t)shift * PB_HIST_SUB + (size_t)sub;
}

/* Highest value that maps to bucket idx. */
static uint64_t pb_hist_upper(size_t idx) {
    if (idx < (size_t)PB_HIST_SUB * 2u) {
        return (uint64_t)idx;
    }
    size_t shift = idx / PB_HIST_SUB - 1u;
    uint64_t sub = (uint64_t)(idx - shift * PB_HIST_SUB);
    return ((sub + 1u) << shift) - 1u;
}

bool pb_histogram_init(pb_histogram *h) {
    h->counts = calloc(PB_HIST_BUCKETS, sizeof *h->counts);
    h->total = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = 0;
    return h->counts != NULL;
}

void pb_histogram_free(pb_histogram *h) {
    free(h->counts);
    h->counts = NULL;
}

void pb_histogram_record(pb_histogram *h, uint64_t value) {
    h->counts[pb_hist_index(value)]++;
    h->total++;
    h->sum += (long double)value;
    if (value < h->min) {
        h->min = value;
    }
    if (value > h->max) {
        h->max = value;
    }
}

/* The value of the rank-th smallest sample (1-based, rank <= total). */
static uint64_t pb_hist_at_rank(const pb_histogram *h, uint64_t rank) {
    uint64_t seen = 0;
    for (size_t i = 0; i < PB_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = pb_hist_upper(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

static uint64_t pb_hist_rank(double p, uint64_t n) {
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)n);
    return rank < 1 ? 1 : rank > n ? n : rank;
}

uint64_t pb_histogram_percentile(const pb_histogram *h, double p) {
    if (h->total == 0) {
        return 0;
    }
    if (p >= 100.0) {
        return h->max;
    }
    return pb_hist_at_rank(h, pb_hist_rank(p, h->total));
}

bool pb_histogram_percentile_with_missing(const pb_histogram *h, double p, uint64_t missing,
                                          uint64_t *value) {
    uint64_t all = h->total + missing;
    *value = 0;
    if (all == 0) {
        return true;
    }
    uint64_t rank = pb_hist_rank(p, all);
    if (rank > h->total) {
        return false;
    }
    *value = rank == h->total ? h->max : pb_hist_at_rank(h, rank);
    return true;
}

double pb_histogram_mean(const pb_histogram *h) {
    return h->total ? (double)(h->sum / (long double)h->total) : 0.0;
}

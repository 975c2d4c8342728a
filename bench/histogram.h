/*
 * histogram.h - an HDR-style log-linear latency histogram.
 *
 * Values (nanoseconds) below 2^(PB_HIST_SUB_BITS+1) are counted exactly;
 * above that each power of two is split into 2^PB_HIST_SUB_BITS linear
 * buckets, so any recorded value is reported within 1/2^PB_HIST_SUB_BITS
 * (about 0.1 %) of the truth. Memory is fixed (about 440 KiB) whatever the
 * number of samples; the exact minimum, maximum and mean are kept aside.
 *
 * Ownership: a pb_histogram owns its bucket array; pb_histogram_init()
 * allocates it and pb_histogram_free() releases it. Threads: the single
 * libuv loop thread of parley-bench records and reads it.
 */
#ifndef PB_HISTOGRAM_H
#define PB_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

#define PB_HIST_SUB_BITS 10

typedef struct pb_histogram {
    uint64_t *counts;
    uint64_t total;
    uint64_t min;
    uint64_t max;
    long double sum;
} pb_histogram;

/* Returns false when out of memory. */
bool pb_histogram_init(pb_histogram *h);
void pb_histogram_free(pb_histogram *h);

void pb_histogram_record(pb_histogram *h, uint64_t value);

/* The value at percentile p (0 < p <= 100): the highest value equivalent to
 * the bucket holding the ceil(p/100 * total)-th smallest sample, clamped to
 * the exact maximum. 0 when empty. */
uint64_t pb_histogram_percentile(const pb_histogram *h, double p);

/*
 * Like pb_histogram_percentile(), but over total + missing samples where the
 * missing ones (messages that never got an answer) count as larger than
 * anything recorded. Returns false when the percentile falls among the
 * missing samples: its value is then unknown (at least the wait we gave it).
 */
bool pb_histogram_percentile_with_missing(const pb_histogram *h, double p, uint64_t missing,
                                          uint64_t *value);

/* Mean of the recorded values (exact); 0 when empty. */
double pb_histogram_mean(const pb_histogram *h);

#endif

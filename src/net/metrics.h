/*
 * metrics.h - counters exported at GET /metrics in Prometheus text format.
 * Threads: updated on the loop thread (plain integers are enough: one
 * writer), read on the loop thread when /metrics is served.
 */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct parley_metrics {
    uint64_t http_requests;
    uint64_t http_responses_by_class[6]; /* index status/100 */
    uint64_t connections_accepted;
    uint64_t connections_rejected;
    uint64_t ws_connections_opened;
    uint64_t ws_frames_received;
    uint64_t ws_frames_sent;
    uint64_t events_published;
    uint64_t messages_created;
    uint64_t ws_slow_consumer_closes;
    /* retention passes and what they deleted (core/retention.h) */
    uint64_t retention_passes;
    uint64_t retention_tokens;
    uint64_t retention_customers;
    uint64_t retention_audit_entries;
    uint64_t retention_uploads;
    uint64_t retention_files;
    uint64_t retention_notifications;
    uint64_t retention_password_resets;
    uint64_t output_evictions;  /* dropped over --max-pending-bytes-total */
    uint64_t grace_expired;     /* closing connections dropped after --close-grace-ms */
    uint64_t responses_refused; /* HTTP responses answered 503 for lack of output room */
    uint64_t ws_frames_refused; /* frames or messages refused from their header (1009) */
    size_t unsent_bytes_peak;   /* highest unsent_bytes_total seen */
} parley_metrics;

#endif

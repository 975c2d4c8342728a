/*
 * report.c - text and JSON output (see report.h). Main thread, after the
 * loop has finished.
 */
#include "report.h"

#include <jansson.h>
#include <stdlib.h>

static double pb_ms(uint64_t ns) {
    return (double)ns / 1e6;
}

/* The measured window actually covered: the full --duration, or less when
 * the run was interrupted. */
static double pb_window_s(const pb_run *run) {
    const pb_ledger *l = &run->ledger;
    if (!run->interrupted) {
        return run->opts->duration_s;
    }
    uint64_t end = run->ended_at < l->window_end ? run->ended_at : l->window_end;
    return end > l->window_start ? (double)(end - l->window_start) / 1e9 : 0.0;
}

static double pb_per_s(const pb_run *run, uint64_t n) {
    double w = pb_window_s(run);
    return w > 0 ? (double)n / w : 0.0;
}

static double pb_load_cpu_s(const pb_run *run) {
    return run->t0 ? run->cpu_at_end - run->cpu_at_load_start : 0.0;
}

/* CPU used by parley-bench itself during load + drain, as a share of one
 * core: on a small machine the bench competes with the server. */
static double pb_load_cpu_share(const pb_run *run) {
    if (!run->t0 || run->ended_at <= run->t0) {
        return 0.0;
    }
    return pb_load_cpu_s(run) / ((double)(run->ended_at - run->t0) / 1e9);
}

/* Window messages without a sample in h: neither answered in time nor
 * refused with an error (they count as slower than every recorded one). */
/* The server's costs over load + drain per delivered message (--server-pid):
 * false when not asked for, unreadable, or nothing was delivered. */
static bool pb_server_costs(const pb_run *run, double *cpu_us, double *bytes) {
    const pb_server_sample *a = &run->server_at_load_start;
    const pb_server_sample *b = &run->server_at_end;
    uint64_t n = run->ledger.delivered;
    if (!a->valid || !b->valid || n == 0) {
        return false;
    }
    *cpu_us = (b->cpu_s - a->cpu_s) * 1e6 / (double)n;
    *bytes = (double)(b->write_bytes - a->write_bytes) / (double)n;
    return true;
}

static uint64_t pb_missing(const pb_ledger *l, const pb_histogram *h) {
    uint64_t have = h->total + l->window_errored;
    return l->window_sent > have ? l->window_sent - have : 0;
}

static const double pb_percentiles[] = {50.0, 90.0, 99.0, 99.9};

static void pb_text_latency_row(FILE *out, const char *name, const pb_histogram *h,
                                uint64_t missing) {
    if (h->total == 0 && missing == 0) {
        fprintf(out, "  %-15s %9s  (no samples)\n", name, "0");
        return;
    }
    fprintf(out, "  %-15s %9llu", name, (unsigned long long)h->total);
    for (size_t k = 0; k < sizeof pb_percentiles / sizeof pb_percentiles[0]; k++) {
        uint64_t v;
        if (pb_histogram_percentile_with_missing(h, pb_percentiles[k], missing, &v)) {
            fprintf(out, " %9.3f", pb_ms(v));
        } else {
            fprintf(out, " %9s", "missing");
        }
    }
    if (h->total) {
        fprintf(out, " %9.3f %9.3f", pb_ms(h->max), pb_histogram_mean(h) / 1e6);
    } else {
        fprintf(out, " %9s %9s", "-", "-");
    }
    if (missing) {
        fprintf(out, "  (+%llu missing)", (unsigned long long)missing);
    }
    fputc('\n', out);
}

void pb_report_text(FILE *out, const pb_run *run, const pb_ledger_summary *sum) {
    const pb_options *o = run->opts;
    const pb_ledger *l = &run->ledger;
    fprintf(out, "parley-bench run %s against %s (%s)%s\n", run->run_id, o->url, o->addr_text,
            run->interrupted ? "  ** INTERRUPTED **" : "");
    fprintf(out,
            "  %ld customers (one session each), %ld agents, target %.0f msgs/s, "
            "%.1f s warmup + %.1f s measured, %ld-byte messages\n",
            run->ncustomers, run->nagents, o->rate, o->warmup_s, o->duration_s, o->message_bytes);
    fprintf(out,
            "setup:      %.2f s (%llu rate-limited retries, %llu transport retries); "
            "connect+subscribe %.2f s\n",
            (double)(run->setup_done - run->setup_started) / 1e9,
            (unsigned long long)run->rate_limited_retries,
            (unsigned long long)run->transport_retries,
            (double)(run->connect_done - run->setup_done) / 1e9);
    fprintf(out,
            "messages:   scheduled %zu, sent %llu, acked %llu, errors %llu, delivered %llu"
            " (send failed %llu)\n",
            l->total, (unsigned long long)l->sent, (unsigned long long)l->acked,
            (unsigned long long)(l->errored + l->other_errors), (unsigned long long)l->delivered,
            (unsigned long long)l->send_failed);
    fprintf(out,
            "throughput: over the %.1f s window: offered %.1f/s, acked %.1f/s, "
            "delivered %.1f/s\n",
            pb_window_s(run), pb_per_s(run, l->window_sent),
            pb_per_s(run, l->window_acks_in_window), pb_per_s(run, l->window_deliveries_in_window));
    fprintf(out, "latency (ms from the intended send time; messages due in the window):\n");
    fprintf(out, "  %-15s %9s %9s %9s %9s %9s %9s %9s\n", "", "count", "p50", "p90", "p99", "p99.9",
            "max", "mean");
    uint64_t ack_missing = pb_missing(l, &l->ack_latency);
    uint64_t deliver_missing = pb_missing(l, &l->deliver_latency);
    pb_text_latency_row(out, "send->ack", &l->ack_latency, ack_missing);
    pb_text_latency_row(out, "send->deliver", &l->deliver_latency, deliver_missing);
    pb_text_latency_row(out, "schedule lag", &l->schedule_lag, 0);
    if (ack_missing || deliver_missing) {
        fprintf(out, "  missing = window messages with no ack (or no delivery) by the end of the "
                     "drain; they rank above every\n  recorded sample, so a percentile that falls "
                     "among them is unknown (max and mean cover recorded samples only)\n");
    }
    if (sum->ok) {
        fprintf(out, "integrity:  OK - every acked message delivered exactly once, seq order "
                     "without gaps in every session\n");
    } else {
        fprintf(out, "integrity:  FAILED\n");
    }
    fprintf(out,
            "  lost (acked, not delivered by the end of the drain) %llu; unanswered %llu; "
            "delivered without ack %llu;"
            " duplicate deliveries %llu; duplicate acks %llu\n"
            "  seq gaps %llu; seq regressions %llu; ack/delivery seq mismatches %llu; "
            "misrouted %llu; delivered after error %llu; unknown acks %llu\n"
            "  send-order inversions %llu (info); foreign messages %llu (info); "
            "deliveries on unsubscribed sessions %llu (info)\n",
            (unsigned long long)sum->lost, (unsigned long long)sum->unanswered,
            (unsigned long long)sum->unacked_but_delivered,
            (unsigned long long)l->duplicate_deliveries, (unsigned long long)l->duplicate_acks,
            (unsigned long long)l->seq_gaps, (unsigned long long)l->seq_regressions,
            (unsigned long long)l->seq_mismatch, (unsigned long long)l->misrouted,
            (unsigned long long)l->delivered_after_error, (unsigned long long)l->unknown_acks,
            (unsigned long long)l->order_inversions, (unsigned long long)l->foreign_messages,
            (unsigned long long)run->unsubscribed_deliveries);
    if (run->drain_expired && (sum->lost || sum->unanswered)) {
        fprintf(out,
                "  note: --drain (%.1f s) ran out with %llu messages outstanding; they are late or "
                "lost,\n"
                "  and a longer --drain tells which.\n",
                o->drain_s, (unsigned long long)(sum->lost + sum->unanswered));
    }
    if (l->ncodes || l->other_errors) {
        fprintf(out, "errors:    ");
        for (size_t k = 0; k < l->ncodes; k++) {
            fprintf(out, " %s=%llu", l->codes[k].code, (unsigned long long)l->codes[k].count);
        }
        if (l->codes_other) {
            fprintf(out, " (other codes)=%llu", (unsigned long long)l->codes_other);
        }
        fprintf(out, "; without our client_msg_id: %llu\n", (unsigned long long)l->other_errors);
    }
    if (run->disconnects) {
        fprintf(out, "disconnects: %llu socket(s) lost during the run:\n",
                (unsigned long long)run->disconnects);
        for (long k = 0; k < run->nreasons; k++) {
            fprintf(out, "  %s\n", run->reasons[k]);
        }
    }
    if (run->protocol_errors || run->agent_errors || run->stray_frames) {
        fprintf(out,
                "other:      unparseable frames %llu, agent error frames %llu, "
                "unexpected frame types %llu\n",
                (unsigned long long)run->protocol_errors, (unsigned long long)run->agent_errors,
                (unsigned long long)run->stray_frames);
    }
    double cpu_us = 0, bytes = 0;
    if (pb_server_costs(run, &cpu_us, &bytes)) {
        fprintf(out,
                "server:     %.1f us CPU and %.0f bytes written per delivered message "
                "(load+drain); RSS %.1f MB at the end, peak %.1f MB\n",
                cpu_us, bytes, (double)run->server_at_end.rss_kb / 1024.0,
                (double)run->server_at_end.hwm_kb / 1024.0);
    }
    fprintf(out,
            "bench:      %.2f CPU s during load+drain (%.0f%% of one core); peak unsent bytes on "
            "one socket %zu; longest gap between sender ticks %.2f ms\n",
            pb_load_cpu_s(run), pb_load_cpu_share(run) * 100.0, run->peak_pending,
            pb_ms(run->max_tick_gap));
}

static json_t *pb_json_latency(const pb_histogram *h, uint64_t missing) {
    static const char *const names[] = {"p50", "p90", "p99", "p999"};
    json_t *o =
        json_pack("{s:I, s:I}", "count", (json_int_t)h->total, "missing", (json_int_t)missing);
    if (!o) {
        return NULL;
    }
    json_object_set_new(o, "min", h->total ? json_real(pb_ms(h->min)) : json_null());
    for (size_t k = 0; k < sizeof pb_percentiles / sizeof pb_percentiles[0]; k++) {
        uint64_t v;
        bool known = pb_histogram_percentile_with_missing(h, pb_percentiles[k], missing, &v);
        json_object_set_new(o, names[k], known ? json_real(pb_ms(v)) : json_null());
    }
    json_object_set_new(o, "max", h->total ? json_real(pb_ms(h->max)) : json_null());
    json_object_set_new(o, "mean", h->total ? json_real(pb_histogram_mean(h) / 1e6) : json_null());
    return o;
}

static void pb_json_print(FILE *out, json_t *root) {
    char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (text) {
        fprintf(out, "%s\n", text);
        free(text);
    }
    json_decref(root);
}

void pb_report_json(FILE *out, const pb_run *run, const pb_ledger_summary *sum) {
    const pb_options *o = run->opts;
    const pb_ledger *l = &run->ledger;
    json_t *codes = json_object();
    for (size_t k = 0; k < l->ncodes; k++) {
        json_object_set_new(codes, l->codes[k].code, json_integer((json_int_t)l->codes[k].count));
    }
    if (l->codes_other) {
        json_object_set_new(codes, "(other)", json_integer((json_int_t)l->codes_other));
    }
    json_t *reasons = json_array();
    for (long k = 0; k < run->nreasons; k++) {
        json_array_append_new(reasons, json_string(run->reasons[k]));
    }
    json_t *root = json_pack(
        "{s:b, s:s, s:b, s:b, s:{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:I},"
        " s:{s:f, s:f, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:f, s:I, s:f, s:f, s:f},"
        " s:{s:o, s:o, s:o},"
        " s:{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:o, s:I},"
        " s:{s:I, s:o},"
        " s:{s:I, s:I, s:I},"
        " s:{s:I, s:f, s:f, s:f}}",
        "ok", sum->ok && !run->interrupted && run->disconnects == 0, "run_id", run->run_id,
        "interrupted", run->interrupted, "drain_expired", run->drain_expired, "config", "url",
        o->url, "address", o->addr_text, "customers", (json_int_t)run->ncustomers, "agents",
        (json_int_t)run->nagents, "rate", o->rate, "duration_s", o->duration_s, "warmup_s",
        o->warmup_s, "drain_s", o->drain_s, "message_bytes", (json_int_t)o->message_bytes, "setup",
        "setup_s", (double)(run->setup_done - run->setup_started) / 1e9, "connect_s",
        (double)(run->connect_done - run->setup_done) / 1e9, "rate_limited_retries",
        (json_int_t)run->rate_limited_retries, "transport_retries",
        (json_int_t)run->transport_retries, "messages", "scheduled", (json_int_t)l->total, "sent",
        (json_int_t)l->sent, "send_failed", (json_int_t)l->send_failed, "acked",
        (json_int_t)l->acked, "errored", (json_int_t)(l->errored + l->other_errors), "delivered",
        (json_int_t)l->delivered, "window_sent", (json_int_t)l->window_sent, "throughput",
        "window_s", pb_window_s(run), "window_delivered",
        (json_int_t)l->window_deliveries_in_window, "offered_per_s", pb_per_s(run, l->window_sent),
        "acked_per_s", pb_per_s(run, l->window_acks_in_window), "delivered_per_s",
        pb_per_s(run, l->window_deliveries_in_window), "latency_ms", "ack",
        pb_json_latency(&l->ack_latency, pb_missing(l, &l->ack_latency)), "deliver",
        pb_json_latency(&l->deliver_latency, pb_missing(l, &l->deliver_latency)), "schedule_lag",
        pb_json_latency(&l->schedule_lag, 0), "integrity", "ok", sum->ok, "lost",
        (json_int_t)sum->lost, "unanswered", (json_int_t)sum->unanswered, "delivered_without_ack",
        (json_int_t)sum->unacked_but_delivered, "duplicate_deliveries",
        (json_int_t)l->duplicate_deliveries, "duplicate_acks", (json_int_t)l->duplicate_acks,
        "seq_gaps", (json_int_t)l->seq_gaps, "seq_regressions", (json_int_t)l->seq_regressions,
        "seq_mismatches", (json_int_t)l->seq_mismatch, "misrouted", (json_int_t)l->misrouted,
        "delivered_after_error", (json_int_t)l->delivered_after_error, "unknown_acks",
        (json_int_t)l->unknown_acks, "send_order_inversions", (json_int_t)l->order_inversions,
        "foreign_messages", (json_int_t)l->foreign_messages, "unsubscribed_deliveries",
        (json_int_t)run->unsubscribed_deliveries, "errors", "by_code", codes,
        "without_client_msg_id", (json_int_t)l->other_errors, "disconnects", "count",
        (json_int_t)run->disconnects, "reasons", reasons, "frames", "unparseable",
        (json_int_t)run->protocol_errors, "agent_errors", (json_int_t)run->agent_errors,
        "unexpected_types", (json_int_t)run->stray_frames, "bench", "peak_unsent_bytes",
        (json_int_t)run->peak_pending, "max_tick_gap_ms", pb_ms(run->max_tick_gap), "cpu_s",
        pb_load_cpu_s(run), "cpu_share_of_one_core", pb_load_cpu_share(run));
    if (!root) {
        fprintf(out, "{\"ok\":false,\"error\":\"could not build the JSON report\"}\n");
        return;
    }
    double cpu_us = 0, bytes = 0;
    json_object_set_new(root, "server",
                        pb_server_costs(run, &cpu_us, &bytes)
                            ? json_pack("{s:f, s:f, s:I, s:I}", "cpu_us_per_message", cpu_us,
                                        "bytes_written_per_message", bytes, "rss_kb",
                                        (json_int_t)run->server_at_end.rss_kb, "peak_rss_kb",
                                        (json_int_t)run->server_at_end.hwm_kb)
                            : json_null());
    pb_json_print(out, root);
}

void pb_report_failure(FILE *out, const pb_run *run, bool json) {
    if (json) {
        json_t *root = json_pack("{s:b, s:s, s:s}", "ok", 0, "run_id", run->run_id, "error",
                                 run->failure[0] ? run->failure : "interrupted");
        if (root) {
            pb_json_print(out, root);
        }
        return;
    }
    fprintf(out, "parley-bench: %s\n", run->failure[0] ? run->failure : "interrupted");
}

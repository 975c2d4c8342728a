/*
 * ledger.h - the bookkeeping of one load run: what was sent when, what was
 * acknowledged and delivered, latency histograms and the exactly-once /
 * in-order checks. It does no I/O; load.c feeds it events stamped with
 * uv_hrtime() and report.c reads the totals.
 *
 * Message i (0-based) is due at t0 + i / rate (its intended send time); all
 * latencies are measured from that instant, so a sender or server that
 * falls behind shows up in the figures instead of hiding (no coordinated
 * omission). Messages whose intended time falls inside the measured window
 * [t0 + warmup, t0 + warmup + duration) feed the histograms.
 *
 * Ownership: a pb_ledger owns its arrays and histograms; pb_ledger_free()
 * releases them. Threads: the single libuv loop thread.
 */
#ifndef PB_LEDGER_H
#define PB_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

#define PB_LEDGER_MAX_CODES 16

typedef struct pb_msg_state {
    int64_t seq;         /* from the ack or the first delivery, 0 unknown */
    uint32_t deliveries; /* message.created seen for it on agent sockets */
    uint8_t sent;
    uint8_t acks;
    uint8_t errored;
} pb_msg_state;

typedef struct pb_session_track {
    int64_t last_seq;   /* highest seq delivered so far */
    int64_t last_index; /* highest send index delivered so far, -1 none */
    uint64_t delivered;
} pb_session_track;

typedef struct pb_code_count {
    char code[48];
    uint64_t count;
} pb_code_count;

typedef struct pb_ledger {
    size_t total; /* messages scheduled over warmup + duration */
    size_t sessions;
    double rate;
    uint64_t t0;
    uint64_t window_start;
    uint64_t window_end;
    pb_msg_state *msgs;
    pb_session_track *tracks;
    pb_histogram ack_latency;     /* intended -> ack, window messages */
    pb_histogram deliver_latency; /* intended -> first delivery, window messages */
    pb_histogram schedule_lag;    /* intended -> actually queued, window messages */

    uint64_t sent;
    uint64_t send_failed; /* due but its customer socket was gone */
    uint64_t acked;       /* distinct messages acknowledged */
    uint64_t errored;     /* distinct messages answered with an error */
    uint64_t delivered;   /* distinct messages delivered at least once */
    uint64_t window_sent;
    uint64_t window_errored;              /* window messages answered with an error */
    uint64_t window_acks_in_window;       /* acks received inside the window */
    uint64_t window_deliveries_in_window; /* deliveries received inside the window */

    /* anomalies */
    uint64_t duplicate_deliveries; /* a message delivered again */
    uint64_t duplicate_acks;
    uint64_t seq_gaps;         /* seqs skipped on a session's stream */
    uint64_t seq_regressions;  /* a seq not above the previous one */
    uint64_t seq_mismatch;     /* ack and delivery disagree on seq */
    uint64_t misrouted;        /* delivered under another session */
    uint64_t order_inversions; /* delivered before an earlier send of the same customer */
    uint64_t foreign_messages; /* message.created not sent by this run */
    uint64_t unknown_acks;     /* ack naming no message of this run */
    uint64_t delivered_after_error;
    uint64_t other_errors; /* error frames without our client_msg_id */
    pb_code_count codes[PB_LEDGER_MAX_CODES];
    size_t ncodes;
    uint64_t codes_other;
} pb_ledger;

/* Totals computed by pb_ledger_finish(). */
typedef struct pb_ledger_summary {
    uint64_t lost;                  /* acked (stored) but never delivered */
    uint64_t unanswered;            /* sent, neither acked nor errored, nor delivered */
    uint64_t unacked_but_delivered; /* delivered, but no ack or error came back */
    /* Nothing lost, unanswered, duplicated, skipped, out of seq order or
     * misrouted. order_inversions and foreign_messages are reported but do
     * not fail the run (the contract orders by seq, not by send order). */
    bool ok;
} pb_ledger_summary;

bool pb_ledger_init(pb_ledger *l, size_t total, size_t sessions, double rate);
void pb_ledger_free(pb_ledger *l);

/* Fixes t0 and the measured window. */
void pb_ledger_start(pb_ledger *l, uint64_t t0, uint64_t warmup_ns, uint64_t duration_ns);

/* Intended send time of message i. */
uint64_t pb_ledger_intended(const pb_ledger *l, size_t i);

void pb_ledger_on_sent(pb_ledger *l, size_t i, uint64_t now);
void pb_ledger_on_send_failed(pb_ledger *l, size_t i);
/* index < 0: the ack names no message of this run. */
void pb_ledger_on_ack(pb_ledger *l, long long index, int64_t seq, uint64_t now);
/* index < 0: an error frame without a client_msg_id of this run. */
void pb_ledger_on_error(pb_ledger *l, long long index, const char *code);
/*
 * A message.created for session `session` (index into the customers) on an
 * agent socket. index < 0 for messages not sent by this run; owner is the
 * session the message was sent to (-1 when unknown).
 */
void pb_ledger_on_delivered(pb_ledger *l, size_t session, long long index, long owner, int64_t seq,
                            uint64_t now);

/* True when every sent message has been answered and every acked one
 * delivered (nothing more to wait for). */
bool pb_ledger_settled(const pb_ledger *l);

void pb_ledger_finish(const pb_ledger *l, pb_ledger_summary *out);

#endif

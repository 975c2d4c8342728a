/*
 * ledger.c - per-message accounting and integrity checks (see ledger.h).
 * Loop thread only.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pb_ledger_init(pb_ledger *l, size_t total, size_t sessions, double rate) {
    memset(l, 0, sizeof *l);
    l->total = total;
    l->sessions = sessions;
    l->rate = rate;
    l->msgs = calloc(total ? total : 1, sizeof *l->msgs);
    l->tracks = calloc(sessions ? sessions : 1, sizeof *l->tracks);
    bool ok = l->msgs && l->tracks;
    ok = pb_histogram_init(&l->ack_latency) && ok;
    ok = pb_histogram_init(&l->deliver_latency) && ok;
    ok = pb_histogram_init(&l->schedule_lag) && ok;
    if (!ok) {
        pb_ledger_free(l);
        return false;
    }
    for (size_t s = 0; s < sessions; s++) {
        l->tracks[s].last_index = -1;
    }
    return true;
}

void pb_ledger_free(pb_ledger *l) {
    free(l->msgs);
    free(l->tracks);
    l->msgs = NULL;
    l->tracks = NULL;
    pb_histogram_free(&l->ack_latency);
    pb_histogram_free(&l->deliver_latency);
    pb_histogram_free(&l->schedule_lag);
}

void pb_ledger_start(pb_ledger *l, uint64_t t0, uint64_t warmup_ns, uint64_t duration_ns) {
    l->t0 = t0;
    l->window_start = t0 + warmup_ns;
    l->window_end = t0 + warmup_ns + duration_ns;
}

uint64_t pb_ledger_intended(const pb_ledger *l, size_t i) {
    return l->t0 + (uint64_t)((long double)i * 1e9L / (long double)l->rate);
}

static bool pb_in_window(const pb_ledger *l, uint64_t t) {
    return t >= l->window_start && t < l->window_end;
}

void pb_ledger_on_sent(pb_ledger *l, size_t i, uint64_t now) {
    l->msgs[i].sent = 1;
    l->sent++;
    uint64_t intended = pb_ledger_intended(l, i);
    if (pb_in_window(l, intended)) {
        l->window_sent++;
        pb_histogram_record(&l->schedule_lag, now > intended ? now - intended : 0);
    }
}

void pb_ledger_on_send_failed(pb_ledger *l, size_t i) {
    (void)i;
    l->send_failed++;
}

/* Whether index names a message that was sent. */
static bool pb_ledger_sent(const pb_ledger *l, long long index) {
    return index >= 0 && (size_t)index < l->total && l->msgs[index].sent;
}

/* The seq a message was stored with, as an ack or a delivery says: the
 * first one seen is kept, a different one later is a mismatch. */
static void pb_ledger_note_seq(pb_ledger *l, pb_msg_state *m, int64_t seq) {
    if (seq > 0) {
        if (m->seq == 0) {
            m->seq = seq;
        } else if (m->seq != seq) {
            l->seq_mismatch++;
        }
    }
}

/* Latency from when message index was meant to be sent, for messages meant
 * for the measured window. */
static void pb_ledger_record_latency(pb_ledger *l, pb_histogram *h, size_t index, uint64_t now) {
    uint64_t intended = pb_ledger_intended(l, index);
    if (pb_in_window(l, intended)) {
        pb_histogram_record(h, now > intended ? now - intended : 0);
    }
}

void pb_ledger_on_ack(pb_ledger *l, long long index, int64_t seq, uint64_t now) {
    if (!pb_ledger_sent(l, index)) {
        l->unknown_acks++;
        return;
    }
    pb_msg_state *m = &l->msgs[index];
    if (m->acks) {
        l->duplicate_acks++;
        return;
    }
    m->acks = 1;
    l->acked++;
    pb_ledger_note_seq(l, m, seq);
    if (pb_in_window(l, now)) {
        l->window_acks_in_window++;
    }
    pb_ledger_record_latency(l, &l->ack_latency, (size_t)index, now);
}

void pb_ledger_on_error(pb_ledger *l, long long index, const char *code) {
    if (!pb_ledger_sent(l, index)) {
        l->other_errors++;
    } else if (!l->msgs[index].errored) {
        l->msgs[index].errored = 1;
        if (pb_in_window(l, pb_ledger_intended(l, (size_t)index))) {
            l->window_errored++;
        }
        l->errored++;
    }
    const char *c = code && *code ? code : "(none)";
    for (size_t k = 0; k < l->ncodes; k++) {
        if (strcmp(l->codes[k].code, c) == 0) {
            l->codes[k].count++;
            return;
        }
    }
    if (l->ncodes < PB_LEDGER_MAX_CODES) {
        pb_code_count *e = &l->codes[l->ncodes++];
        snprintf(e->code, sizeof e->code, "%s", c);
        e->count = 1;
    } else {
        l->codes_other++;
    }
}

void pb_ledger_on_delivered(pb_ledger *l, size_t session, long long index, long owner, int64_t seq,
                            uint64_t now) {
    pb_session_track *t = &l->tracks[session];
    /* The session's stream: seqs must come 1, 2, 3, ... */
    if (seq <= t->last_seq) {
        l->seq_regressions++;
    } else {
        if (seq > t->last_seq + 1) {
            l->seq_gaps += (uint64_t)(seq - t->last_seq - 1);
        }
        t->last_seq = seq;
    }
    t->delivered++;
    if (!pb_ledger_sent(l, index)) {
        l->foreign_messages++;
        return;
    }
    if (owner >= 0 && (size_t)owner != session) {
        l->misrouted++;
    }
    pb_msg_state *m = &l->msgs[index];
    m->deliveries++;
    if (m->deliveries > 1) {
        l->duplicate_deliveries++;
        return;
    }
    l->delivered++;
    if (m->errored) {
        l->delivered_after_error++;
    }
    pb_ledger_note_seq(l, m, seq);
    if (index < t->last_index) {
        l->order_inversions++;
    } else {
        t->last_index = index;
    }
    if (pb_in_window(l, now)) {
        l->window_deliveries_in_window++;
    }
    pb_ledger_record_latency(l, &l->deliver_latency, (size_t)index, now);
}

bool pb_ledger_settled(const pb_ledger *l) {
    return l->acked + l->errored >= l->sent && l->delivered >= l->acked;
}

void pb_ledger_finish(const pb_ledger *l, pb_ledger_summary *out) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < l->total; i++) {
        const pb_msg_state *m = &l->msgs[i];
        if (!m->sent) {
            continue;
        }
        if (m->deliveries == 0) {
            if (m->acks) {
                out->lost++;
            } else if (!m->errored) {
                out->unanswered++;
            }
        } else if (!m->acks && !m->errored) {
            out->unacked_but_delivered++;
        }
    }
    out->ok = out->lost == 0 && out->unanswered == 0 && l->duplicate_deliveries == 0 &&
              l->duplicate_acks == 0 && l->seq_gaps == 0 && l->seq_regressions == 0 &&
              l->seq_mismatch == 0 && l->misrouted == 0 && l->delivered_after_error == 0 &&
              l->unknown_acks == 0 && out->unacked_but_delivered == 0;
}

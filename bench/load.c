/*
 * load.c - WebSocket connect/subscribe and the open-loop load (see
 * load.h). Loop thread only.
 */
#include "load.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Handshakes in flight at once while connecting. */
#define PB_LOAD_MAX_INFLIGHT 64

static void pb_load_agent_open(pb_ws_conn *c, void *ud);
static void pb_load_agent_text(pb_ws_conn *c, const char *data, size_t len, void *ud);
static void pb_load_agent_closed(pb_ws_conn *c, bool clean, const char *reason, void *ud);
static void pb_load_customer_open(pb_ws_conn *c, void *ud);
static void pb_load_customer_text(pb_ws_conn *c, const char *data, size_t len, void *ud);
static void pb_load_customer_closed(pb_ws_conn *c, bool clean, const char *reason, void *ud);

static const pb_ws_callbacks pb_load_agent_cbs = {
    .on_open = pb_load_agent_open,
    .on_text = pb_load_agent_text,
    .on_closed = pb_load_agent_closed,
};

static const pb_ws_callbacks pb_load_customer_cbs = {
    .on_open = pb_load_customer_open,
    .on_text = pb_load_customer_text,
    .on_closed = pb_load_customer_closed,
};

/* ---- message ids -------------------------------------------------------- */

/* "pb-<run>-<index>" (client_msg_id) or "pb-<run>-<index> xxx..." (content)
 * -> index; -1 when s is not one of ours. */
static long long pb_load_parse_index(const pb_run *run, const char *s) {
    if (!s || strncmp(s, "pb-", 3) != 0 || strncmp(s + 3, run->run_id, 8) != 0 || s[11] != '-') {
        return -1;
    }
    const char *p = s + 12;
    if (*p < '0' || *p > '9') {
        return -1;
    }
    long long v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        if (v > (long long)1e15) {
            return -1;
        }
        p++;
    }
    if (*p != '\0' && *p != ' ') {
        return -1;
    }
    return v;
}

/* ---- connecting --------------------------------------------------------- */

static void pb_load_maybe_connected(pb_run *run) {
    if (run->phase == PB_PHASE_CONNECT && run->ws_open == run->nagents + run->ncustomers &&
        run->subs_pending == 0) {
        pb_run_connect_finished(run);
    }
}

static bool pb_load_open_socket(pb_run *run, pb_ws_conn *ws, const char *token) {
    pb_buf path = {0};
    bool ok = pb_buf_printf(&path, "/api/v1/ws?token=") && pb_buf_append_urlencoded(&path, token);
    ok = ok && pb_ws_connect(ws, path.data);
    pb_buf_free(&path);
    if (ok) {
        run->ws_live++;
        run->ws_inflight++;
    }
    return ok;
}

static void pb_load_open_more(pb_run *run) {
    long total = run->nagents + run->ncustomers;
    while (run->phase == PB_PHASE_CONNECT && run->ws_inflight < PB_LOAD_MAX_INFLIGHT &&
           run->ws_next < total) {
        long k = run->ws_next++;
        bool ok;
        if (k < run->nagents) {
            pb_agent *a = &run->agents[k];
            a->ws_started = true;
            ok = pb_load_open_socket(run, &a->ws, a->token);
        } else {
            pb_customer *cu = &run->customers[k - run->nagents];
            cu->ws_started = true;
            ok = pb_load_open_socket(run, &cu->ws, cu->token);
        }
        if (!ok) {
            pb_run_fail(run, "connect: could not start WebSocket %ld (out of memory?)", k);
            pb_run_abort(run);
            return;
        }
    }
}

void pb_load_connect_start(pb_run *run) {
    size_t cap = (size_t)run->opts->message_bytes + 512;
    run->frame = malloc(cap);
    run->frame_cap = cap;
    run->padding = malloc((size_t)run->opts->message_bytes + 1);
    if (!run->frame || !run->padding) {
        pb_run_fail(run, "out of memory");
        pb_run_abort(run);
        return;
    }
    memset(run->padding, 'x', (size_t)run->opts->message_bytes);
    run->padding[run->opts->message_bytes] = '\0';

    for (long a = 0; a < run->nagents; a++) {
        pb_agent *ag = &run->agents[a];
        pb_ws_init(&ag->ws, run->loop, run->opts, &pb_load_agent_cbs, ag);
        ag->subs_expected = 0;
    }
    for (long c = 0; c < run->ncustomers; c++) {
        pb_customer *cu = &run->customers[c];
        cu->agent = c % run->nagents;
        run->agents[cu->agent].subs_expected++;
        pb_ws_init(&cu->ws, run->loop, run->opts, &pb_load_customer_cbs, cu);
    }
    run->subs_pending = run->ncustomers;
    pb_run_progress(run, "connect: opening %ld WebSockets (%ld agents, %ld customers)",
                    run->nagents + run->ncustomers, run->nagents, run->ncustomers);
    pb_load_open_more(run);
}

static void pb_load_socket_opened(pb_run *run) {
    run->ws_inflight--;
    run->ws_open++;
    pb_load_open_more(run);
}

static void pb_load_agent_open(pb_ws_conn *c, void *ud) {
    (void)c;
    pb_agent *a = ud;
    pb_run *run = a->run;
    a->ws_open = true;
    pb_load_socket_opened(run);
    for (long s = a->index; s < run->ncustomers; s += run->nagents) {
        int n = snprintf(run->frame, run->frame_cap,
                         "{\"type\":\"subscribe\",\"session_id\":\"%s\",\"after_seq\":0}",
                         run->customers[s].session_id);
        if (n < 0 || (size_t)n >= run->frame_cap ||
            !pb_ws_send_text(&a->ws, run->frame, (size_t)n)) {
            pb_run_fail(run, "connect: could not send subscribe on agent %ld's socket", a->index);
            pb_run_abort(run);
            return;
        }
    }
    pb_load_maybe_connected(run);
}

static void pb_load_customer_open(pb_ws_conn *c, void *ud) {
    (void)c;
    pb_customer *cu = ud;
    cu->ws_open = true;
    pb_load_socket_opened(cu->run);
    pb_load_maybe_connected(cu->run);
}

/* A socket of an agent or customer closed; *ws_open says (and is cleared)
 * whether it had opened. */
static void pb_load_socket_closed(pb_run *run, const char *who, long index, bool *ws_open,
                                  const char *reason) {
    bool was_open = *ws_open;
    *ws_open = false;
    run->ws_live--;
    if (!was_open) {
        run->ws_inflight--;
    } else {
        run->ws_open--;
    }
    if (run->phase == PB_PHASE_CONNECT) {
        pb_run_fail(run, "connect: %s %ld's WebSocket: %s", who, index, reason);
        pb_run_abort(run);
    } else if (run->phase == PB_PHASE_LOAD || run->phase == PB_PHASE_DRAIN) {
        pb_run_note_disconnect(run, who, index, reason);
    }
    pb_run_socket_closed(run);
}

static void pb_load_agent_closed(pb_ws_conn *c, bool clean, const char *reason, void *ud) {
    (void)c;
    (void)clean;
    pb_agent *a = ud;
    pb_load_socket_closed(a->run, "agent", a->index, &a->ws_open, reason);
}

static void pb_load_customer_closed(pb_ws_conn *c, bool clean, const char *reason, void *ud) {
    (void)c;
    (void)clean;
    pb_customer *cu = ud;
    pb_load_socket_closed(cu->run, "customer", cu->index, &cu->ws_open, reason);
}

/* ---- incoming frames ---------------------------------------------------- */

static void pb_load_check_settled(pb_run *run) {
    if (run->phase == PB_PHASE_DRAIN && pb_ledger_settled(&run->ledger)) {
        pb_run_settled(run);
    }
}

static bool pb_load_counting(const pb_run *run) {
    return run->phase == PB_PHASE_LOAD || run->phase == PB_PHASE_DRAIN;
}

/* Which customer's session (index) does this agent's sid name? -1 if none. */
static long pb_load_find_session(const pb_run *run, const pb_agent *a, long hint, const char *sid) {
    if (hint >= 0 && hint < run->ncustomers && run->customers[hint].agent == a->index &&
        strcmp(run->customers[hint].session_id, sid) == 0) {
        return hint;
    }
    for (long s = a->index; s < run->ncustomers; s += run->nagents) {
        if (strcmp(run->customers[s].session_id, sid) == 0) {
            return s;
        }
    }
    return -1;
}

/* What a text frame is handed to once it parsed: its JSON, its type and
 * when it arrived. */
typedef void (*pb_load_frame_fn)(void *who, pb_run *run, json_t *root, const char *type,
                                 uint64_t now);

/* Parses a text frame and hands it to handle; one without a type is a
 * protocol error. */
static void pb_load_frame(pb_run *run, const char *data, size_t len, pb_load_frame_fn handle,
                          void *who) {
    uint64_t now = uv_hrtime();
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type == NULL) {
        run->protocol_errors++;
    } else {
        handle(who, run, root, type, now);
    }
    json_decref(root);
}

/* Whether type is one of names (NULL-terminated). */
static bool pb_load_type_in(const char *type, const char *const *names) {
    for (; *names != NULL; names++) {
        if (strcmp(type, *names) == 0) {
            return true;
        }
    }
    return false;
}

static void pb_load_agent_frame(void *who, pb_run *run, json_t *root, const char *type,
                                uint64_t now) {
    pb_agent *a = who;
    if (strcmp(type, "message.created") == 0) {
        const char *sid = json_string_value(json_object_get(root, "session_id"));
        json_t *msg = json_object_get(root, "message");
        json_t *seqv = json_object_get(msg, "seq");
        if (!sid || !json_is_integer(seqv)) {
            run->protocol_errors++;
        } else if (pb_load_counting(run)) {
            long long index =
                pb_load_parse_index(run, json_string_value(json_object_get(msg, "client_msg_id")));
            if (index < 0) {
                index =
                    pb_load_parse_index(run, json_string_value(json_object_get(msg, "content")));
            }
            long owner = index >= 0 ? (long)(index % run->ncustomers) : -1;
            long session = pb_load_find_session(run, a, owner, sid);
            if (session < 0) {
                run->unsubscribed_deliveries++;
            } else {
                pb_ledger_on_delivered(&run->ledger, (size_t)session, index, owner,
                                       (int64_t)json_integer_value(seqv), now);
                pb_load_check_settled(run);
            }
        }
    } else if (strcmp(type, "subscribed") == 0) {
        if (run->phase == PB_PHASE_CONNECT) {
            a->subs_confirmed++;
            run->subs_pending--;
            pb_load_maybe_connected(run);
        }
    } else if (strcmp(type, "error") == 0) {
        run->agent_errors++;
        if (run->phase == PB_PHASE_CONNECT) {
            json_t *err = json_object_get(root, "error");
            const char *code = json_string_value(json_object_get(err, "code"));
            const char *text = json_string_value(json_object_get(err, "message"));
            pb_run_fail(run, "connect: agent %ld got an error frame: %s: %s", a->index,
                        code ? code : "?", text ? text : "?");
            pb_run_abort(run);
        }
    } else if (!pb_load_type_in(type,
                                (const char *const[]){"session.created", "session.updated",
                                                      "typing", "ticket.updated", "pong", NULL})) {
        run->stray_frames++;
    }
}

static void pb_load_agent_text(pb_ws_conn *c, const char *data, size_t len, void *ud) {
    (void)c;
    pb_load_frame(((pb_agent *)ud)->run, data, len, pb_load_agent_frame, ud);
}

static void pb_load_customer_frame(void *who, pb_run *run, json_t *root, const char *type,
                                   uint64_t now) {
    (void)who;
    if (!pb_load_counting(run)) {
        return;
    }
    if (strcmp(type, "ack") == 0) {
        long long index =
            pb_load_parse_index(run, json_string_value(json_object_get(root, "client_msg_id")));
        json_t *seqv = json_object_get(json_object_get(root, "message"), "seq");
        pb_ledger_on_ack(&run->ledger, index, json_is_integer(seqv) ? json_integer_value(seqv) : 0,
                         now);
        pb_load_check_settled(run);
    } else if (strcmp(type, "error") == 0) {
        long long index =
            pb_load_parse_index(run, json_string_value(json_object_get(root, "client_msg_id")));
        const char *code =
            json_string_value(json_object_get(json_object_get(root, "error"), "code"));
        pb_ledger_on_error(&run->ledger, index, code);
        pb_load_check_settled(run);
    } else if (!pb_load_type_in(type, (const char *const[]){"message.created", "session.updated",
                                                            "typing", "ticket.updated", "pong",
                                                            "subscribed", NULL})) {
        run->stray_frames++;
    }
}

static void pb_load_customer_text(pb_ws_conn *c, const char *data, size_t len, void *ud) {
    (void)c;
    pb_load_frame(((pb_customer *)ud)->run, data, len, pb_load_customer_frame, ud);
}

/* ---- the open-loop sender ----------------------------------------------- */

static void pb_load_send_one(pb_run *run, size_t i, uint64_t now) {
    pb_customer *cu = &run->customers[i % (size_t)run->ncustomers];
    if (!cu->ws_open) {
        pb_ledger_on_send_failed(&run->ledger, i);
        return;
    }
    char id[40];
    int idn = snprintf(id, sizeof id, "pb-%s-%zu", run->run_id, i);
    long pad = run->opts->message_bytes - idn - 1;
    if (pad < 0) {
        pad = 0;
    }
    int n = snprintf(run->frame, run->frame_cap,
                     "{\"type\":\"message.send\",\"session_id\":\"%s\",\"content\":\"%s %.*s\","
                     "\"client_msg_id\":\"%s\"}",
                     cu->session_id, id, (int)pad, run->padding, id);
    if (n < 0 || (size_t)n >= run->frame_cap || !pb_ws_send_text(&cu->ws, run->frame, (size_t)n)) {
        pb_ledger_on_send_failed(&run->ledger, i);
        return;
    }
    pb_ledger_on_sent(&run->ledger, i, now);
    size_t pending = cu->ws.out.len + cu->ws.inflight.len;
    if (pending > run->peak_pending) {
        run->peak_pending = pending;
    }
}

static void pb_load_progress(pb_run *run, uint64_t now) {
    if (now - run->last_progress < 1000000000u) {
        return;
    }
    run->last_progress = now;
    const pb_ledger *l = &run->ledger;
    pb_run_progress(run, "load: t=%5.1fs sent=%llu acked=%llu delivered=%llu errors=%llu%s",
                    (double)(now - run->t0) / 1e9, (unsigned long long)l->sent,
                    (unsigned long long)l->acked, (unsigned long long)l->delivered,
                    (unsigned long long)(l->errored + l->other_errors),
                    now < l->window_start ? " (warmup)" : "");
}

static void pb_load_tick(uv_timer_t *t) {
    pb_run *run = t->data;
    uint64_t now = uv_hrtime();
    if (run->last_tick && now - run->last_tick > run->max_tick_gap) {
        run->max_tick_gap = now - run->last_tick;
    }
    run->last_tick = now;
    if (run->phase != PB_PHASE_LOAD) {
        return;
    }
    size_t due;
    if (now >= run->load_end) {
        due = run->ledger.total;
    } else {
        long double elapsed = (long double)(now - run->t0) / 1e9L;
        due = (size_t)(elapsed * (long double)run->opts->rate) + 1u;
        if (due > run->ledger.total) {
            due = run->ledger.total;
        }
    }
    while (run->next_msg < due) {
        size_t i = run->next_msg++;
        pb_load_send_one(run, i, now);
    }
    pb_load_progress(run, now);
    if (run->next_msg >= run->ledger.total) {
        pb_load_stop_sending(run);
        pb_run_sending_finished(run);
    }
}

void pb_load_start_sending(pb_run *run) {
    uint64_t now = uv_hrtime();
    run->t0 = now;
    run->last_progress = now;
    uint64_t warm = (uint64_t)(run->opts->warmup_s * 1e9);
    uint64_t dur = (uint64_t)(run->opts->duration_s * 1e9);
    run->load_end = now + warm + dur;
    pb_ledger_start(&run->ledger, now, warm, dur);
    run->send_timer.data = run;
    pb_run_progress(run, "load: %.0f msgs/s for %.1fs warmup + %.1fs measured (%zu messages)",
                    run->opts->rate, run->opts->warmup_s, run->opts->duration_s, run->ledger.total);
    uv_timer_start(&run->send_timer, pb_load_tick, 1, 1);
    pb_load_tick(&run->send_timer);
}

void pb_load_stop_sending(pb_run *run) {
    uv_timer_stop(&run->send_timer);
}

/* Closes a socket that was started and is not closed yet: at once, or
 * with the close handshake. */
static void pb_load_close_one(pb_ws_conn *ws, bool started, bool abort) {
    if (!started || pb_ws_is_closed(ws)) {
        return;
    }
    if (abort) {
        pb_ws_abort(ws);
    } else {
        pb_ws_close(ws);
    }
}

void pb_load_close_sockets(pb_run *run, bool abort) {
    for (long a = 0; a < run->nagents; a++) {
        pb_load_close_one(&run->agents[a].ws, run->agents[a].ws_started, abort);
    }
    for (long c = 0; c < run->ncustomers; c++) {
        pb_load_close_one(&run->customers[c].ws, run->customers[c].ws_started, abort);
    }
}

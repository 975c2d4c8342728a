/*
 * websocket.c - one WebSocket connection: the upgrade, wslay's callbacks,
 * the client's frames (subscribe with catch-up, message.send through the
 * send pipeline, typing, read, ping), the read side's backpressure (a
 * window of message.send frames in flight, issue 11) and the hub's sink.
 *
 * Long (~1225 lines) on purpose: it is one state machine over one wslay
 * context, and its parts share the connection's private state (the
 * subscriptions being caught up, paced history, the failing/closing flags,
 * the access-log counters) that no other file should see. What has no such
 * state already lives apart: frame-header limits in ws_frame_guard.c, frame
 * rendering in event_frames.c, the send's states in api/send_pipeline.c.
 * The next split, when it grows: the handshake verdict and accept key
 * (pure, fuzzed) into ws_handshake.c.
 *
 * Threads: loop thread only (jobs it submits run on workers and complete
 * back on the loop). Ownership: the connection owns its parley_ws.
 */
#include "net/ws/websocket.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wslay/wslay.h>

#include "core/model_json.h"
#include "net/api/api.h"
#include "net/ws/event_frames.h"
#include "net/ws/hub.h"
#include "net/http/json_request.h"
#include "net/ws/ws_endpoint.h"
#include "net/ws/ws_frame_guard.h"
#include "net/api/send_pipeline.h"

#define HISTORY_PAGE 200

struct parley_ws {
    /* first: wslay's callbacks are handed the endpoint (net/ws/ws_endpoint.h),
     * which holds the wslay context, the failed flag and the idle ticks */
    parley_ws_endpoint ep;
    parley_conn *conn;
    parley_participant *caller;
    parley_subscription *subs;
    char *out; /* bytes wslay produced during one flush */
    size_t out_len;
    size_t out_cap;
    size_t queued_bytes;   /* payload queued in wslay since the last flush (counted) */
    parley_ws_guard guard; /* frame/message limits judged from headers */
    struct parley_ws *next_flush;
    bool flush_queued;
    bool detached;
    parley_ws_access access; /* counters of the session's access log line */
    /* backpressure (issue 11): message.send jobs not answered yet; past
     * WS_SEND_WINDOW the socket is not read, and bytes read but not yet
     * handed to wslay wait in held */
    unsigned sends_in_flight;
    uint8_t *held;
    size_t held_len;
};

/* message.send frames in flight per WebSocket before it is no longer read,
 * and the count at which reading resumes */
#define WS_SEND_WINDOW 32
#define WS_SEND_RESUME 16

static void ws_schedule_flush(parley_ws *ws);
static void ws_send_started(parley_ws *ws);
static void ws_send_answered(parley_ws *ws);
static bool ws_refuse_if_busy(parley_ws *ws, const char *client_msg_id, const char *session_id);
static void fail(parley_ws *ws, uint16_t code, const char *reason);
static void parley_ws_send_text(parley_ws *ws, const char *text, size_t len);

static const char *parley_ws_participant_id(const parley_ws *ws) {
    return ws->caller->id;
}

static const char *parley_ws_token_hash(const parley_ws *ws) {
    return ws->caller->token_hash;
}

static void parley_ws_revoke_if(parley_ws *ws, const char *token_hash, const char *owner_id,
                                const char *keep_token_hash) {
    bool by_token = token_hash[0] != '\0' && strcmp(ws->caller->token_hash, token_hash) == 0;
    bool by_owner = owner_id[0] != '\0' && strcmp(ws->caller->id, owner_id) == 0 &&
                    strcmp(ws->caller->token_hash, keep_token_hash) != 0;
    if (by_token || by_owner) {
        fail(ws, WSLAY_CODE_POLICY_VIOLATION, "token revoked");
    }
}

bool parley_ws_accept_key(const char *client_key, char out[32]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char joined[128];
    int n = snprintf(joined, sizeof joined, "%s%s", client_key, guid);
    if (n < 0 || (size_t)n >= sizeof joined) {
        return false;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (EVP_Digest(joined, (size_t)n, digest, &digest_len, EVP_sha1(), NULL) != 1) {
        return false;
    }
    sodium_bin2base64(out, 32, digest, digest_len, sodium_base64_VARIANT_ORIGINAL);
    return true;
}

/* --- wslay callbacks -------------------------------------------------------- */

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user_data) {
    (void)flags;
    parley_ws *ws = user_data; /* its endpoint, the first member */
    if (ws->out_len + len > ws->out_cap) {
        size_t cap = ws->out_cap == 0 ? 4096 : ws->out_cap;
        while (cap < ws->out_len + len) {
            cap *= 2;
        }
        char *grown = realloc(ws->out, cap);
        if (grown == NULL) {
            wslay_event_set_error(ctx, WSLAY_ERR_NOMEM);
            return -1;
        }
        ws->out = grown;
        ws->out_cap = cap;
    }
    memcpy(ws->out + ws->out_len, data, len);
    ws->out_len += len;
    return (ssize_t)len;
}

static void fail(parley_ws *ws, uint16_t code, const char *reason) {
    if (!ws->ep.failed) {
        ws->ep.failed = true;
        ws->access.close_reason = reason; /* a literal: safe to log */
        /* frames already queued go out before the close (wslay would send its
         * control queue first and then nothing more): answers to the frames
         * that preceded the offending one still arrive */
        wslay_event_context_ptr ctx = parley_ws_endpoint_ctx(&ws->ep);
        if (ctx == NULL) {
            parley_conn_close(ws->conn); /* no memory even for the close frame */
            return;
        }
        (void)wslay_event_send(ctx);
        wslay_event_queue_close(ctx, code, (const uint8_t *)reason, strlen(reason));
        ws_schedule_flush(ws);
    }
}

static void send_json(parley_ws *ws, json_t *frame) {
    char *text = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
    if (text != NULL) {
        parley_ws_send_text(ws, text, strlen(text));
        free(text);
    }
}

/* An error frame says what parley_error_public (util/error.h) lets a
 * client read, like an HTTP answer: no internal text, and retry_after on a
 * rate limit and on every "unavailable". */
static void send_error(parley_ws *ws, const parley_error *err, const char *client_msg_id,
                       const char *session_id) {
    parley_public_error pub;
    parley_error_public(err, &pub);
    json_t *frame = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code", pub.code,
                              "message", pub.message);
    if (frame != NULL && client_msg_id != NULL && client_msg_id[0] != '\0') {
        json_object_set_new(frame, "client_msg_id", json_string(client_msg_id));
    }
    if (frame != NULL && session_id != NULL) {
        json_object_set_new(frame, "session_id", json_string(session_id));
    }
    if (frame != NULL && pub.retry_after_seconds > 0) {
        json_object_set_new(json_object_get(frame, "error"), "retry_after",
                            json_integer(pub.retry_after_seconds));
    }
    send_json(ws, frame);
}

/* --- catching up a subscription -------------------------------------------- */

typedef struct catchup_job {
    parley_job job;
    parley_ws *ws;
    parley_subscription *sub;
    int64_t after_seq;
    size_t byte_budget; /* a page stops after this many bytes of frames */
    bool more;          /* history remains after this page */
    parley_error err;
    char **frames;
    int64_t *seqs;
    size_t count;
} catchup_job;

static void catchup_run(parley_job *job, parley_facade *facade) {
    catchup_job *cj = (catchup_job *)job;
    parley_facade_set_client_ip(facade, cj->ws->conn->client_ip);
    parley_message_list list = {0};
    parley_message_range range = {
        .after_seq = cj->after_seq, .before_seq = 0, .limit = HISTORY_PAGE};
    job->status = parley_chat_history(parley_facade_chat(facade), cj->ws->caller,
                                      cj->sub->session_id, &range, &list, &cj->err);
    if (job->status != PARLEY_OK) {
        return;
    }
    size_t bytes = 0;
    cj->frames = calloc(list.count + 1, sizeof *cj->frames);
    cj->seqs = calloc(list.count + 1, sizeof *cj->seqs);
    for (size_t i = 0; cj->frames != NULL && cj->seqs != NULL && i < list.count; i++) {
        /* the same frame as the live event (net/ws/event_frames.c) */
        json_t *frame =
            parley_event_frame_message_created(list.items[i].session_id, &list.items[i]);
        cj->frames[i] = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
        json_decref(frame);
        if (cj->frames[i] == NULL) {
            break;
        }
        cj->seqs[i] = list.items[i].seq;
        cj->count = i + 1;
        bytes += strlen(cj->frames[i]);
        if (bytes >= cj->byte_budget) {
            break; /* the rest comes in later pages, paced by the socket */
        }
    }
    if (cj->frames == NULL || cj->seqs == NULL ||
        (cj->count < list.count && bytes < cj->byte_budget)) {
        job->status = parley_error_set(&cj->err, PARLEY_E_NOMEM, NULL, "out of memory");
    }
    cj->more = cj->count < list.count || list.count == HISTORY_PAGE;
    parley_message_list_free(&list);
}

static void catchup_free(catchup_job *cj) {
    for (size_t i = 0; cj->frames != NULL && i < cj->count; i++) {
        free(cj->frames[i]);
    }
    free(cj->frames);
    free(cj->seqs);
    free(cj);
}

static void start_catchup(parley_ws *ws, parley_subscription *sub);

/* Bytes written or queued for this client but not yet handed to the kernel,
 * not counting events held back for catching-up subscriptions. */
static size_t unsent_bytes(const parley_ws *ws) {
    size_t held = parley_hub_held_bytes(ws->subs);
    size_t counted = ws->conn->unsent_bytes; /* conn.c counts everything */
    return counted > held ? counted - held : 0;
}

/* Replay pacing: the next page of history is fetched only while less than
 * half of --ws-max-pending-bytes is unsent, so a long absence can always be
 * resumed without tripping the slow-consumer limit. Held events are left
 * out: they wait for the catch-up to finish and cannot drain before. */
static void resume_paced_catchups(parley_ws *ws) {
    size_t low_water = (size_t)ws->conn->server->config->ws_max_pending_bytes / 2;
    for (parley_subscription *sub = ws->subs; sub != NULL; sub = sub->next_in_ws) {
        if (sub->paced && !sub->job_running && !sub->cancelled && unsent_bytes(ws) < low_water) {
            sub->paced = false;
            start_catchup(ws, sub);
        }
    }
}

static void parley_ws_on_drained(void *data) {
    parley_ws *ws = data;
    if (!ws->conn->closing && !ws->detached && !ws->ep.failed) {
        resume_paced_catchups(ws);
    }
}

static void catchup_done(parley_job *job) {
    catchup_job *cj = (catchup_job *)job;
    parley_ws *ws = cj->ws;
    parley_subscription *sub = cj->sub;
    parley_conn *conn = ws->conn;
    sub->job_running = false;
    if (conn->closing || ws->detached) {
        /* the connection frees its subscriptions */
    } else if (sub->cancelled) {
        parley_hub_unsubscribe(&conn->server->hub, &ws->subs, sub);
    } else if (job->status != PARLEY_OK) {
        send_error(ws, &cj->err, NULL, sub->session_id);
        parley_hub_unsubscribe(&conn->server->hub, &ws->subs, sub);
    } else {
        for (size_t i = 0; i < cj->count; i++) {
            parley_hub_deliver_caught_up(sub, cj->seqs[i], cj->frames[i], strlen(cj->frames[i]));
        }
        if (cj->more) {
            /* more history: fetch it now, or once the client has read enough */
            sub->paced = true;
            resume_paced_catchups(ws);
        } else if (sub->resync_again || !parley_hub_go_live_gapless(&conn->server->hub, sub)) {
            /* cluster only (hub.h): the bus reconnected during this read,
             * or a held event skips ahead of it: read once more */
            sub->resync_again = false;
            start_catchup(ws, sub);
        } else if (sub->resyncing) {
            sub->resyncing = false; /* a resync: the client was told "subscribed" already */
        } else {
            send_json(ws, json_pack("{s:s, s:s, s:I}", "type", "subscribed", "session_id",
                                    sub->session_id, "last_seq", (json_int_t)sub->last_seq));
        }
    }
    catchup_free(cj);
    parley_conn_unref(conn);
}

static void start_catchup(parley_ws *ws, parley_subscription *sub) {
    catchup_job *cj = parley_job_new(sizeof *cj, PARLEY_JOB_CONCURRENT, catchup_run, catchup_done);
    parley_error err = {0};
    if (cj == NULL) {
        parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
        send_error(ws, &err, NULL, sub->session_id);
        parley_hub_unsubscribe(&ws->conn->server->hub, &ws->subs, sub);
        return;
    }
    cj->ws = ws;
    cj->sub = sub;
    cj->after_seq = sub->last_seq;
    cj->byte_budget = (size_t)ws->conn->server->config->ws_max_pending_bytes / 4;
    parley_conn_ref(ws->conn);
    sub->job_running = true;
    if (parley_executor_submit(ws->conn->server->executor, &cj->job) != PARLEY_OK) {
        sub->job_running = false;
        parley_conn_unref(ws->conn);
        free(cj);
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
        send_error(ws, &err, NULL, sub->session_id);
        parley_hub_unsubscribe(&ws->conn->server->hub, &ws->subs, sub);
    }
}

static void drop_subscription(parley_ws *ws, parley_subscription *sub) {
    if (sub->job_running) {
        sub->cancelled = true; /* freed when its job completes */
    } else {
        parley_hub_unsubscribe(&ws->conn->server->hub, &ws->subs, sub);
    }
}

/* --- message.send ------------------------------------------------------------ */

/* The send pipeline (net/api/send_pipeline.h) with the frame decoded on the
 * loop and the answer as an ack or error frame. */
typedef struct send_job {
    parley_job job;
    parley_send send;
    parley_ws *ws;
    json_t *root; /* owns the decoded strings */
    char session_id[PARLEY_ID_SIZE];
    char client_msg_id[PARLEY_CLIENT_MSG_ID_COPY_SIZE];
    char *reply; /* the ack; NULL: send.err is the answer */
} send_job;

static void send_render(parley_send *s, parley_job *job, const parley_message *m, bool duplicate) {
    send_job *sj = (send_job *)job;
    (void)s;
    if (m == NULL) {
        return; /* send_done answers with send.err */
    }
    json_t *frame = json_pack("{s:s, s:o}", "type", "ack", "message", parley_message_to_json(m));
    if (frame != NULL && m->client_msg_id != NULL) {
        json_object_set_new(frame, "client_msg_id", json_string(m->client_msg_id));
    }
    if (frame != NULL && duplicate) {
        json_object_set_new(frame, "duplicate", json_true());
    }
    sj->reply = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
    json_decref(frame);
}

static const parley_send_ops ws_send_ops = {NULL, send_render};

static void send_prepare(parley_job *job, parley_facade *facade) {
    send_job *sj = (send_job *)job;
    parley_facade_set_client_ip(facade, sj->ws->conn->client_ip);
    parley_send_prepare(&sj->send, job, facade, sj->ws->caller);
}

static void send_run(parley_job *job, parley_facade *facade) {
    send_job *sj = (send_job *)job;
    parley_facade_set_client_ip(facade, sj->ws->conn->client_ip);
    parley_send_store(&sj->send, job, facade, sj->ws->caller);
}

static void send_done(parley_job *job) {
    send_job *sj = (send_job *)job;
    parley_ws *ws = sj->ws;
    parley_conn *conn = ws->conn;
    parley_error *err = &sj->send.err;
    if (!conn->closing) {
        if (job->commit_failed) {
            parley_error_set(err, PARLEY_E_UNAVAILABLE, NULL,
                             "the message could not be stored; retry with the same client_msg_id");
            err->retry_after_seconds = PARLEY_RETRY_AFTER_STORAGE_S;
        } else if (sj->reply == NULL && err->status == PARLEY_OK) {
            parley_error_set(err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
        if (!job->commit_failed && sj->reply != NULL) {
            parley_ws_send_text(ws, sj->reply, strlen(sj->reply));
        } else {
            send_error(ws, err, sj->client_msg_id, sj->session_id);
        }
    }
    parley_send_finish(&sj->send, &conn->server->chains);
    free(sj->reply);
    json_decref(sj->root);
    ws_send_answered(ws);
    free(sj);
    parley_conn_unref(conn);
}

/* --- presence ------------------------------------------------------------------ */

/* {type:"presence", status}: the agent's own presence, set on the writer
 * like PUT /api/v1/agents/me/presence; answered with the stored presence
 * (presence.updated goes to every agent when it changed). */
typedef struct presence_job {
    parley_job job;
    parley_ws *ws;
    char status[16];
    parley_error err;
    char *reply;
} presence_job;

static void presence_run(parley_job *job, parley_facade *facade) {
    presence_job *pj = (presence_job *)job;
    parley_agent a = {0};
    bool changed = false;
    parley_facade_set_client_ip(facade, pj->ws->conn->client_ip);
    job->status = parley_presence_set(parley_facade_chat(facade), pj->ws->caller, pj->status, &a,
                                      &changed, &pj->err);
    if (job->status == PARLEY_OK) {
        json_t *frame = json_pack("{s:s, s:s, s:s, s:o}", "type", "presence", "agent_id", a.id,
                                  "status", parley_agent_status_name(a.status), "since",
                                  parley_time_to_json(a.status_since));
        pj->reply = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
        json_decref(frame);
    }
    parley_agent_free(&a);
}

static void presence_done(parley_job *job) {
    presence_job *pj = (presence_job *)job;
    parley_conn *conn = pj->ws->conn;
    if (!conn->closing) {
        if (job->status == PARLEY_OK && !job->commit_failed && pj->reply != NULL) {
            parley_ws_send_text(pj->ws, pj->reply, strlen(pj->reply));
        } else {
            if (job->status == PARLEY_OK) {
                parley_error_set(&pj->err, PARLEY_E_UNAVAILABLE, NULL,
                                 "the presence could not be stored; retry");
            }
            send_error(pj->ws, &pj->err, NULL, NULL);
        }
    }
    free(pj->reply);
    free(pj);
    parley_conn_unref(conn);
}

static void start_presence(parley_ws *ws, const char *status) {
    presence_job *pj = parley_job_new(sizeof *pj, PARLEY_JOB_BATCHED, presence_run, presence_done);
    parley_error err = {0};
    if (pj == NULL) {
        parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
        send_error(ws, &err, NULL, NULL);
        return;
    }
    pj->ws = ws;
    /* longer than any status name: the service refuses it by name */
    snprintf(pj->status, sizeof pj->status, "%s", status);
    parley_conn_ref(ws->conn);
    if (parley_executor_submit(ws->conn->server->executor, &pj->job) != PARLEY_OK) {
        free(pj);
        parley_conn_unref(ws->conn);
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
        send_error(ws, &err, NULL, NULL);
    }
}

/* --- read receipts ------------------------------------------------------------ */

/* A batched job for a frame that names a session, or NULL once the frame is
 * answered with an error: out of memory, or an id too long to name any
 * session. */
static void *session_frame_job(parley_ws *ws, size_t size, const char *session_id,
                               const char *client_msg_id, parley_job_run_fn run,
                               parley_job_done_fn done) {
    parley_error err = {0};
    void *job = parley_job_new(size, PARLEY_JOB_BATCHED, run, done);
    if (job == NULL || strlen(session_id) >= PARLEY_ID_SIZE) {
        free(job);
        parley_error_set(&err, job == NULL ? PARLEY_E_NOMEM : PARLEY_E_NOT_FOUND,
                         job == NULL ? NULL : "not_found",
                         job == NULL ? "out of memory" : "no such session");
        send_error(ws, &err, client_msg_id, NULL);
        return NULL;
    }
    return job;
}

typedef struct read_job {
    parley_job job;
    parley_ws *ws;
    char session_id[PARLEY_ID_SIZE];
    int64_t seq;
    parley_error err;
    char *reply;
} read_job;

/* Writer thread: the same rule as POST /sessions/{id}/read. */
static void read_run(parley_job *job, parley_facade *facade) {
    read_job *rj = (read_job *)job;
    parley_facade_set_client_ip(facade, rj->ws->conn->client_ip);
    json_t *receipt = NULL;
    job->status = parley_tools_mark_read(parley_facade_chat(facade), rj->ws->caller, rj->session_id,
                                         rj->seq, &receipt, &rj->err);
    if (job->status == PARLEY_OK) {
        json_t *frame =
            json_pack("{s:s, s:s, s:O}", "type", "read.ack", "session_id", rj->session_id,
                      "last_read_seq", json_object_get(receipt, "last_read_seq"));
        rj->reply = frame != NULL ? json_dumps(frame, JSON_COMPACT) : NULL;
        json_decref(frame);
    }
    json_decref(receipt);
}

static void read_done(parley_job *job) {
    read_job *rj = (read_job *)job;
    parley_ws *ws = rj->ws;
    parley_conn *conn = ws->conn;
    if (!conn->closing) {
        if (job->commit_failed) {
            parley_error_set(&rj->err, PARLEY_E_UNAVAILABLE, NULL,
                             "the receipt could not be stored; retry");
        } else if (job->status == PARLEY_OK && rj->reply == NULL) {
            parley_error_set(&rj->err, PARLEY_E_NOMEM, NULL, "out of memory");
        }
        if (!job->commit_failed && job->status == PARLEY_OK && rj->reply != NULL) {
            parley_ws_send_text(ws, rj->reply, strlen(rj->reply));
        } else {
            send_error(ws, &rj->err, NULL, rj->session_id);
        }
    }
    free(rj->reply);
    free(rj);
    parley_conn_unref(conn);
}

static void submit_read(parley_ws *ws, const parley_ws_frame *frame) {
    parley_error err = {0};
    read_job *rj = session_frame_job(ws, sizeof *rj, frame->session_id, NULL, read_run, read_done);
    if (rj == NULL) {
        return;
    }
    rj->ws = ws;
    rj->seq = frame->seq;
    snprintf(rj->session_id, sizeof rj->session_id, "%s", frame->session_id);
    parley_conn_ref(ws->conn);
    if (parley_executor_submit(ws->conn->server->executor, &rj->job) != PARLEY_OK) {
        parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
        send_error(ws, &err, NULL, frame->session_id);
        free(rj);
        parley_conn_unref(ws->conn);
    }
}

/* --- frames -------------------------------------------------------------------- */

static void handle_frame(parley_ws *ws, const char *text, size_t len) {
    json_t *root = NULL;
    parley_ws_frame frame;
    char client_msg_id[PARLEY_CLIENT_MSG_ID_COPY_SIZE];
    parley_error err = {0};
    if (parley_decode_ws_frame(text, len, &root, &frame, client_msg_id, &err) != PARLEY_OK) {
        send_error(ws, &err, client_msg_id, NULL);
        return;
    }
    parley_server *srv = ws->conn->server;
    switch (frame.type) {
    case PARLEY_WS_PING:
        send_json(ws, json_pack("{s:s}", "type", "pong"));
        break;
    case PARLEY_WS_PRESENCE:
        start_presence(ws, frame.status);
        break;
    case PARLEY_WS_SUBSCRIBE: {
        if (strlen(frame.session_id) >= PARLEY_ID_SIZE) {
            parley_error_set(&err, PARLEY_E_NOT_FOUND, "not_found", "no such session");
            send_error(ws, &err, NULL, NULL);
            break;
        }
        parley_subscription *old = parley_hub_find_subscription(ws->subs, frame.session_id);
        if (old != NULL) {
            drop_subscription(ws, old); /* a new subscribe restarts from after_seq */
        }
        parley_subscription *sub =
            parley_hub_subscribe(&srv->hub, ws, &ws->subs, frame.session_id, frame.after_seq);
        if (sub == NULL) {
            parley_error_set(&err, PARLEY_E_NOMEM, NULL, "out of memory");
            send_error(ws, &err, NULL, frame.session_id);
            break;
        }
        start_catchup(ws, sub);
        break;
    }
    case PARLEY_WS_UNSUBSCRIBE: {
        parley_subscription *sub = parley_hub_find_subscription(ws->subs, frame.session_id);
        if (sub != NULL) {
            drop_subscription(ws, sub);
        }
        break;
    }
    case PARLEY_WS_TYPING: {
        parley_subscription *sub = parley_hub_find_subscription(ws->subs, frame.session_id);
        /* Only a live subscription has passed its catch-up job, which is
         * where the session's read rule is checked: a subscription still
         * catching up may yet be refused (another customer's session). */
        /* (a cluster resync, hub.h, put a live one back to catching up:
         * it had passed its catch-up, so typing stays allowed) */
        if (sub == NULL || (sub->state != PARLEY_SUB_LIVE && !sub->resyncing)) {
            parley_error_set(&err, PARLEY_E_INVALID, "validation_failed",
                             "subscribe to the session (wait for subscribed) before sending "
                             "typing");
            send_error(ws, &err, NULL, frame.session_id);
            break;
        }
        json_t *out = json_pack(
            "{s:s, s:s, s:{s:s, s:s}}", "type", "typing", "session_id", sub->session_id, "sender",
            "type", parley_participant_kind_name(parley_participant_kind_of(ws->caller)), "id",
            ws->caller->id);
        char *textout = out != NULL ? json_dumps(out, JSON_COMPACT) : NULL;
        json_decref(out);
        if (textout != NULL) {
            parley_hub_relay(&srv->hub, sub->session_id, ws, textout, strlen(textout));
            free(textout);
        }
        break;
    }
    case PARLEY_WS_READ:
        submit_read(ws, &frame);
        break;
    case PARLEY_WS_MESSAGE_SEND: {
        if (ws_refuse_if_busy(ws, client_msg_id, frame.session_id)) {
            break;
        }
        send_job *sj =
            session_frame_job(ws, sizeof *sj, frame.session_id, client_msg_id, send_run, send_done);
        if (sj == NULL) {
            break;
        }
        sj->job.prepare =
            parley_send_wants_prepare(&srv->chains, frame.session_id) ? send_prepare : NULL;
        sj->ws = ws;
        sj->root = root;
        root = NULL; /* the job owns the strings now */
        snprintf(sj->session_id, sizeof sj->session_id, "%s", frame.session_id);
        if (strlen(frame.session_id) < sizeof sj->job.lock_session_id) {
            /* the writer locks its batch's sessions up front */
            memcpy(sj->job.lock_session_id, frame.session_id, strlen(frame.session_id) + 1);
        }
        snprintf(sj->client_msg_id, sizeof sj->client_msg_id, "%s", client_msg_id);
        parley_send_init(&sj->send, &ws_send_ops);
        sj->send.session_id = sj->session_id;
        sj->send.input = frame.message;
        parley_conn_ref(ws->conn);
        if (parley_executor_submit(srv->executor, &sj->job) != PARLEY_OK) {
            parley_error_set(&err, PARLEY_E_UNAVAILABLE, NULL, "the server is shutting down");
            send_error(ws, &err, client_msg_id, frame.session_id);
            json_decref(sj->root);
            free(sj);
            parley_conn_unref(ws->conn);
        } else {
            ws_send_started(ws);
        }
        break;
    }
    }
    json_decref(root);
}

/* The endpoint's ops (net/ws/ws_endpoint.h): counters, frames, closes. */
static void ws_received(parley_ws_endpoint *e, const struct wslay_event_on_msg_recv_arg *arg) {
    parley_ws *ws = (parley_ws *)e;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        ws->conn->server->metrics.ws_frames_received++;
        ws->access.frames_in++;
    }
}

static void ws_text(parley_ws_endpoint *e, const char *text, size_t len) {
    handle_frame((parley_ws *)e, text, len);
}

static void ws_fail(parley_ws_endpoint *e, uint16_t code, const char *reason) {
    fail((parley_ws *)e, code, reason);
}

static const parley_ws_endpoint_ops ws_endpoint_ops = {ws_received, ws_text, ws_fail};

/* --- output ---------------------------------------------------------------------- */

/* Counts len more bytes for this client (a frame, or an event held back)
 * after checking its own limit: past --ws-max-pending-bytes it is closed
 * with 1008; past the node-wide cap the slowest connections are evicted,
 * possibly this one. False: queue nothing. */
static bool take_room(parley_ws *ws, size_t len) {
    parley_conn *conn = ws->conn;
    if (conn->closing || ws->ep.failed) {
        return false;
    }
    /* conn.c counts everything: written, queued in wslay, held back */
    if ((int64_t)(conn->unsent_bytes + len) > conn->server->config->ws_max_pending_bytes) {
        conn->server->metrics.ws_slow_consumer_closes++;
        fail(ws, WSLAY_CODE_POLICY_VIOLATION, "too slow: resume with after_seq");
        return false;
    }
    return parley_conn_reserve(conn, len);
}

static bool parley_ws_hold(parley_ws *ws, size_t len) {
    return take_room(ws, len);
}

static void parley_ws_unhold(parley_ws *ws, size_t len) {
    parley_conn_release(ws->conn, len);
}

static void parley_ws_evicted(void *data) {
    parley_ws *ws = data;
    ws->ep.failed = true; /* nothing more is queued; conn.c closes the socket */
    ws->queued_bytes = 0;
}

static void parley_ws_send_text(parley_ws *ws, const char *text, size_t len) {
    if (!take_room(ws, len)) {
        return;
    }
    parley_conn *conn = ws->conn;
    struct wslay_event_msg msg = {
        .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = len};
    wslay_event_context_ptr ctx = parley_ws_endpoint_ctx(&ws->ep);
    if (ctx != NULL && wslay_event_queue_msg(ctx, &msg) == 0) {
        ws->queued_bytes += len;
        conn->server->metrics.ws_frames_sent++;
        ws->access.frames_out++;
        ws_schedule_flush(ws);
    } else {
        parley_conn_release(conn, len);
    }
}

/* Cluster only (hub.h): the hub put a live subscription back to catching
 * up; read its history again unless a read is already under way (that one
 * reads once more, sub->resync_again). */
static void parley_ws_resync(parley_ws *ws, parley_subscription *sub) {
    if (ws->conn->closing || ws->detached || sub->cancelled) {
        return;
    }
    if (sub->job_running || sub->paced) {
        sub->resync_again = true;
        return;
    }
    start_catchup(ws, sub);
}

/* The hub's way out to a WebSocket (net/ws/hub.h). */
static const parley_hub_sink ws_hub_sink = {
    .send_text = parley_ws_send_text,
    .hold = parley_ws_hold,
    .unhold = parley_ws_unhold,
    .participant_id = parley_ws_participant_id,
    .token_hash = parley_ws_token_hash,
    .revoke_if = parley_ws_revoke_if,
    .resync = parley_ws_resync,
};

const parley_hub_sink *parley_ws_hub_sink(void) {
    return &ws_hub_sink;
}

static void ws_schedule_flush(parley_ws *ws) {
    if (!ws->flush_queued) {
        parley_server *srv = ws->conn->server;
        ws->flush_queued = true;
        ws->next_flush = srv->ws_flush_list;
        srv->ws_flush_list = ws;
        parley_conn_ref(ws->conn);
    }
}

static void ws_flush(parley_ws *ws) {
    parley_conn *conn = ws->conn;
    if (conn->closing || conn->released) {
        return;
    }
    /* no context: it was dropped at rest and nothing was queued since */
    int rv = ws->ep.ctx != NULL ? wslay_event_send(ws->ep.ctx) : 0;
    /* the queued frames are in ws->out now, counted again when written */
    parley_conn_release(conn, ws->queued_bytes);
    ws->queued_bytes = 0;
    if (rv != 0) {
        parley_conn_close(conn);
        return;
    }
    if (ws->out_len > 0) {
        char *data = ws->out;
        size_t len = ws->out_len;
        ws->out = NULL;
        ws->out_len = ws->out_cap = 0;
        ws->access.bytes_out += len;
        parley_conn_write_owned(conn, data, len);
    }
    /* a close was sent (ours or an answer to the peer's): the conversation is over */
    if (parley_ws_endpoint_over(&ws->ep)) {
        parley_conn_close(conn);
        return;
    }
    /* at rest (every byte read ended a frame, nothing waits to go out):
     * wslay's ~8.8 KB context is dropped until the next frame (issue 11) */
    parley_ws_endpoint_rest(&ws->ep, ws->held_len == 0 && parley_ws_guard_at_rest(&ws->guard));
}

void parley_ws_flush_all(parley_server *srv) {
    while (srv->ws_flush_list != NULL) {
        parley_ws *ws = srv->ws_flush_list;
        srv->ws_flush_list = ws->next_flush;
        ws->next_flush = NULL;
        ws->flush_queued = false;
        parley_conn *conn = ws->conn;
        ws_flush(ws);
        parley_conn_unref(conn);
    }
}

/* --- backpressure (issue 11) ---------------------------------------------- */

/* Hands bytes the frame guard has judged to wslay; when a message.send
 * paused the endpoint, keeps what wslay did not take in ws->held (read
 * again by ws_send_answered). False when the connection was closed. */
static bool ws_feed_judged(parley_ws *ws, const uint8_t *data, size_t len) {
    size_t consumed = 0;
    ws->ep.now_ms = uv_now(ws->conn->server->loop);
    if (parley_ws_endpoint_recv_some(&ws->ep, data, len, &consumed) != 0) {
        parley_conn_close(ws->conn);
        return false;
    }
    if (consumed < len) {
        uint8_t *grown = realloc(ws->held, ws->held_len + (len - consumed));
        if (grown == NULL) {
            parley_conn_close(ws->conn);
            return false;
        }
        memcpy(grown + ws->held_len, data + consumed, len - consumed);
        ws->held = grown;
        ws->held_len += len - consumed;
    }
    return true;
}

/* A message.send was submitted: at the window, stop taking frames (wslay
 * finishes the ones it buffered) and stop reading the socket. */
static void ws_send_started(parley_ws *ws) {
    if (++ws->sends_in_flight >= WS_SEND_WINDOW && !ws->ep.paused) {
        ws->ep.paused = true;
        parley_conn_pause_reading(ws->conn);
    }
}

/* A message.send was answered: below the resume mark, hand wslay the held
 * bytes (which may pause it again), then read the socket again. */
static void ws_send_answered(parley_ws *ws) {
    ws->sends_in_flight--;
    /* a socket we do not read is not idle: its pongs wait unread */
    ws->ep.idle_ticks = 0;
    if (!ws->ep.paused || ws->sends_in_flight > WS_SEND_RESUME || ws->conn->closing) {
        return;
    }
    ws->ep.paused = false;
    uint8_t *held = ws->held;
    size_t held_len = ws->held_len;
    ws->held = NULL;
    ws->held_len = 0;
    bool open = held_len == 0 || ws->ep.failed || ws_feed_judged(ws, held, held_len);
    free(held);
    if (!open) {
        return;
    }
    ws_schedule_flush(ws);
    if (!ws->ep.paused) {
        parley_conn_unpause_reading(ws->conn);
    }
}

/* The writer's queue is full (net/loop/executor.h): the send is refused
 * with a retry hint instead of queued. True when it was refused. */
static bool ws_refuse_if_busy(parley_ws *ws, const char *client_msg_id, const char *session_id) {
    if (!parley_executor_full(ws->conn->server->executor)) {
        return false;
    }
    parley_error err = {0};
    parley_error_set(&err, PARLEY_E_UNAVAILABLE, "unavailable",
                     "the server is busy; retry shortly");
    err.retry_after_seconds = 1;
    send_error(ws, &err, client_msg_id, session_id);
    return true;
}

static void parley_ws_feed(void *self, const uint8_t *data, size_t len) {
    parley_ws *ws = self;
    ws->access.bytes_in += len;
    if (ws->ep.failed) {
        return; /* our close frame is on its way: nothing more is read */
    }
    /* Frame headers are judged here, as they arrive: wslay reports a frame
     * only once some of its payload is there. What precedes an oversized
     * frame is still handled. */
    size_t ok = len;
    parley_ws_guard_verdict verdict = parley_ws_guard_scan(&ws->guard, data, len, &ok);
    if (!ws_feed_judged(ws, data, ok)) {
        return;
    }
    if (verdict != PARLEY_WS_GUARD_OK) {
        ws->conn->server->metrics.ws_frames_refused++;
        fail(ws, WSLAY_CODE_MESSAGE_TOO_BIG,
             verdict == PARLEY_WS_GUARD_FRAME_TOO_BIG ? "frame too large" : "message too large");
    }
    ws_schedule_flush(ws);
}

/* The timer runs from the client's last frame: while one arrived within the
 * interval, it is re-armed for the rest of the interval and nothing is sent
 * (an active socket is never pinged). A full interval without a frame sends
 * a ping; two pings left unanswered (a third silent interval) close the
 * connection. */
static void parley_ws_on_tick(void *data) {
    parley_ws *ws = data;
    parley_conn *conn = ws->conn;
    uint64_t interval = (uint64_t)conn->server->config->ws_ping_interval_ms;
    uint64_t quiet = uv_now(conn->server->loop) - ws->ep.last_frame_ms;
    if (quiet < interval) {
        parley_conn_arm_timer(conn, (int64_t)(interval - quiet));
        return;
    }
    if (++ws->ep.idle_ticks > 2) {
        fail(ws, WSLAY_CODE_POLICY_VIOLATION, "ping timeout");
        return;
    }
    struct wslay_event_msg ping = {.opcode = WSLAY_PING, .msg = NULL, .msg_length = 0};
    wslay_event_context_ptr ctx = parley_ws_endpoint_ctx(&ws->ep);
    if (ctx == NULL) {
        parley_conn_close(conn);
        return;
    }
    wslay_event_queue_msg(ctx, &ping);
    ws_schedule_flush(ws);
    parley_conn_arm_timer(conn, (int64_t)interval);
}

static void parley_ws_on_close(void *data) {
    parley_ws *ws = data;
    if (ws == NULL || ws->detached) {
        return;
    }
    ws->detached = true;
    /* no context: dropped at rest, so no close was sent or received */
    wslay_event_context_ptr ctx = ws->ep.ctx;
    if (ctx != NULL && wslay_event_get_close_sent(ctx)) {
        ws->access.close_sent = wslay_event_get_status_code_sent(ctx);
    }
    uint16_t received =
        ctx != NULL ? wslay_event_get_status_code_received(ctx) : WSLAY_CODE_ABNORMAL_CLOSURE;
    if (received != WSLAY_CODE_ABNORMAL_CLOSURE) {
        ws->access.close_received = received;
    }
    parley_access_log_ws(ws->conn, &ws->access, ws->caller);
    parley_server *srv = ws->conn->server;
    parley_hub_remove_connection(&srv->hub, ws);
    if (ws->caller->ops->is_staff(ws->caller)) {
        parley_presence_watch_disconnected(&srv->presence, ws->caller->id);
    }
    /* Stop every subscription from receiving events now; the memory of those
     * with a running job is freed when the connection is. */
    for (parley_subscription *sub = ws->subs; sub != NULL; sub = sub->next_in_ws) {
        parley_hub_detach(&srv->hub, sub);
    }
}

static void parley_ws_going_away(void *data) {
    parley_ws *ws = data;
    fail(ws, WSLAY_CODE_GOING_AWAY, "server shutting down");
}

static void parley_ws_free(void *data) {
    parley_ws *ws = data;
    if (ws == NULL) {
        return;
    }
    parley_subscription *sub = ws->subs;
    while (sub != NULL) {
        parley_subscription *next = sub->next_in_ws;
        parley_hub_subscription_free(sub);
        sub = next;
    }
    if (ws->ep.ctx != NULL) {
        wslay_event_context_free(ws->ep.ctx);
    }
    parley_participant_free(ws->caller);
    free(ws->out);
    free(ws->held);
    free(ws);
}

/* The connection's side of the WebSocket (net/loop/conn.h): conn.c calls
 * the functions above through this vtable, never by name. */
static const parley_conn_protocol ws_protocol = {
    .on_data = parley_ws_feed,
    .on_drained = parley_ws_on_drained,
    .on_tick = parley_ws_on_tick,
    .on_close = parley_ws_on_close,
    .on_evicted = parley_ws_evicted,
    .going_away = parley_ws_going_away,
    .free_data = parley_ws_free,
};

/* --- the upgrade ------------------------------------------------------------------ */

typedef struct upgrade_job {
    parley_job job;
    parley_conn *conn;
    parley_http_request *req;
    char *token;
    parley_participant *caller;
    parley_error err;
} upgrade_job;

static void upgrade_run(parley_job *job, parley_facade *facade) {
    upgrade_job *uj = (upgrade_job *)job;
    parley_facade_set_client_ip(facade, uj->conn->client_ip);
    job->status = parley_account_authenticate(parley_facade_accounts(facade), uj->token,
                                              &uj->caller, &uj->err);
}

static parley_ws *ws_create(parley_conn *c, parley_participant *caller) {
    parley_ws *ws = calloc(1, sizeof *ws);
    if (ws == NULL) {
        return NULL;
    }
    if (!parley_ws_endpoint_init(&ws->ep, &ws_endpoint_ops, send_cb,
                                 (uint64_t)c->server->config->ws_max_frame_bytes,
                                 (uint64_t)c->server->config->ws_max_message_bytes)) {
        free(ws);
        return NULL;
    }
    parley_ws_guard_init(&ws->guard, (uint64_t)c->server->config->ws_max_frame_bytes,
                         (uint64_t)c->server->config->ws_max_message_bytes);
    ws->conn = c;
    ws->caller = caller;
    ws->access.opened_ns = uv_hrtime();
    return ws;
}

static void upgrade_done(parley_job *job) {
    upgrade_job *uj = (upgrade_job *)job;
    parley_conn *c = uj->conn;
    parley_http_response res = {0};
    if (c->closing) {
        parley_participant_free(uj->caller);
    } else if (job->status != PARLEY_OK) {
        parley_http_response_error(&res, &uj->err);
        res.close = true;
        parley_conn_respond(c, &res);
    } else {
        char accept[32];
        parley_ws *ws = NULL;
        if (parley_ws_accept_key(uj->req->sec_websocket_key, accept)) {
            ws = ws_create(c, uj->caller);
        }
        if (ws == NULL) {
            parley_participant_free(uj->caller);
            parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
            res.close = true;
            parley_conn_respond(c, &res);
        } else {
            char head[512];
            int n = snprintf(head, sizeof head,
                             "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: %s\r\n"
                             "X-Request-Id: %s\r\n\r\n",
                             accept, c->access.request_id);
            c->server->metrics.http_responses_by_class[1]++;
            c->server->metrics.ws_connections_opened++;
            parley_conn_write(c, head, (size_t)n);
            parley_hub_add_connection(&c->server->hub, ws, uj->caller->ops->is_staff(uj->caller),
                                      uj->caller->id);
            if (uj->caller->ops->is_staff(uj->caller)) {
                parley_presence_watch_connected(&c->server->presence, uj->caller->id);
            }
            parley_conn_upgraded(c, &ws_protocol, ws);
            /* a flush even with nothing to send: an idle socket's wslay
             * context is dropped there, at rest (issue 11) */
            ws_schedule_flush(ws);
            ws->ep.last_frame_ms = uv_now(c->server->loop); /* the timer runs from here */
            parley_conn_arm_timer(c, c->server->config->ws_ping_interval_ms);
        }
    }
    parley_http_request_free(uj->req);
    if (uj->token != NULL) {
        sodium_memzero(uj->token, strlen(uj->token));
    }
    free(uj->token);
    free(uj);
    parley_conn_unref(c);
}

/* Is token one of the comma-separated elements of value (RFC 7230 7: a
 * list, optional whitespace around each element), case-insensitively?
 * "keep-alive, Upgrade" has "upgrade"; "upgrade-insecure" and
 * "notwebsocket" do not. */
bool parley_ws_header_has_token(const char *value, const char *token) {
    if (value == NULL) {
        return false;
    }
    size_t n = strlen(token);
    const char *p = value;
    for (;;) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
            len--;
        }
        if (len == n && strncasecmp(p, token, n) == 0) {
            return true;
        }
        if (end == NULL) {
            return false;
        }
        p = end + 1;
    }
}

int parley_ws_upgrade_verdict(const parley_http_request *req, const parley_origin_policy *origins) {
    if (!req->is_upgrade || !parley_ws_header_has_token(req->upgrade, "websocket") ||
        !parley_ws_header_has_token(req->connection, "upgrade") || req->sec_websocket_key == NULL ||
        strlen(req->sec_websocket_key) != 24) {
        return 400;
    }
    if (!parley_origin_allowed(origins, req->origin, req->host)) {
        return 403;
    }
    if (req->sec_websocket_version == NULL || strcmp(req->sec_websocket_version, "13") != 0) {
        return 426;
    }
    return 0;
}

void parley_ws_handle_upgrade(parley_conn *c, parley_http_request *req) {
    parley_http_response res = {0};
    switch (parley_ws_upgrade_verdict(req, &c->server->origins)) {
    case 0:
        break;
    case 403:
        /* a page of another site must not act with a visitor's token */
        parley_http_response_error_code(&res, 403, "forbidden",
                                        "this origin may not open WebSockets here");
        res.close = true;
        break;
    case 426:
        parley_http_response_error_code(&res, 426, "upgrade_required",
                                        "only WebSocket version 13 is supported");
        snprintf(res.extra_headers, sizeof res.extra_headers, "Sec-WebSocket-Version: 13\r\n");
        res.close = true;
        break;
    default:
        parley_http_response_error_code(&res, 400, "bad_request",
                                        "a WebSocket upgrade request is required");
        res.close = true;
        break;
    }
    if (res.status != 0) {
        parley_http_request_free(req);
        parley_conn_respond(c, &res);
        return;
    }
    upgrade_job *uj = parley_job_new(sizeof *uj, PARLEY_JOB_CONCURRENT, upgrade_run, upgrade_done);
    char token[256] = {0};
    const char *bearer = parley_http_bearer_token(req);
    if (bearer == NULL) {
        bool too_long = false;
        if (parley_http_query_param(req, "token", token, sizeof token, &too_long)) {
            bearer = token;
        }
    }
    if (uj == NULL) {
        parley_http_request_free(req);
        parley_http_response_error_code(&res, 503, "unavailable", "out of memory");
        parley_conn_respond(c, &res);
        return;
    }
    uj->conn = c;
    uj->req = req;
    uj->token = bearer != NULL ? strdup(bearer) : NULL;
    sodium_memzero(token, sizeof token);
    parley_conn_ref(c);
    if (parley_executor_submit(c->server->executor, &uj->job) != PARLEY_OK) {
        parley_http_request_free(req);
        free(uj->token);
        free(uj);
        parley_conn_unref(c);
        parley_http_response_error_code(&res, 503, "unavailable", "the server is shutting down");
        res.close = true;
        parley_conn_respond(c, &res);
    }
}

/*
 * send_pipeline.h - one message send, whichever door it came in by: the
 * REST route POST /api/v1/sessions/{id}/messages (api_sessions.c) and the
 * WebSocket frame message.send (websocket.c) both run this pipeline and
 * supply only what differs: how the request is decoded and how the answer
 * is rendered (HTTP 201/200 and a body, or an ack/error frame).
 *
 * The states of a send (docs/architecture.md, "The life of a chat
 * message"):
 *
 *   NEW ──prepare (pool thread: decode, access, client_msg_id, rate limit,
 *   │     strategy chain; parley_chat_prepare_send)──> PREPARED ──store
 *   │     (writer: re-check, seq, insert; parley_chat_store_prepared)──> ANSWERED
 *   ├──prepare ends the send (an error, or a retry of a stored message) ──> ANSWERED
 *   └──store on the writer with no prepare step (a session the loop knows has
 *        no chain: net/chain_cache.h): prepare and store in one unit ──> ANSWERED
 *
 * Whether a job gets a prepare step is decided on the loop thread at
 * submit (parley_send_wants_prepare); what the send learnt about its
 * session's chain is noted back on the loop thread when the job is done
 * (parley_send_finish).
 *
 * Threads: parley_send_prepare on a pool thread (the job's `prepare`),
 * parley_send_store on the writer (the job's `run`), the two loop-thread
 * functions in the submitting code and the job's `done`. A send is used by
 * one thread at a time, handed over by the executor.
 * Ownership: the front end embeds the parley_send in its job and owns it;
 * the send owns its draft (freed by parley_send_finish); session_id and
 * input's strings are borrowed from the front end's request.
 */
#ifndef PARLEY_SEND_PIPELINE_H
#define PARLEY_SEND_PIPELINE_H

#include <stdbool.h>

#include "core/chat_facade.h"
#include "net/chain_cache.h"
#include "net/executor.h"

typedef struct parley_send parley_send;

/* What a front end supplies. Both run on the worker thread that is running
 * the send. */
typedef struct parley_send_ops {
    /* Optional: fills s->session_id and s->input from the request (REST
     * decodes its body on the worker; a WebSocket frame was decoded on the
     * loop and sets them before submitting). */
    parley_status (*decode)(parley_send *s, parley_error *err);
    /* The send's answer: m is the stored message (duplicate: the earlier
     * one a retry named), or NULL and s->err says why not. The job's
     * status is already set (OK keeps the unit's writes: a stored message,
     * or a refused one kept for review); render may still fail it. */
    void (*render)(parley_send *s, parley_job *job, const parley_message *m, bool duplicate);
} parley_send_ops;

typedef enum parley_send_state {
    PARLEY_SEND_NEW = 0,  /* nothing run yet */
    PARLEY_SEND_PREPARED, /* a draft waits for the writer */
    PARLEY_SEND_ANSWERED  /* stored, a retry, or refused: render has run */
} parley_send_state;

struct parley_send {
    const parley_send_ops *ops;
    const char *session_id;
    parley_message_input input;
    parley_send_state state;
    parley_message_draft draft;
    parley_error err; /* why the send failed, when it did */
    /* the prepare step read the session: draft.has_chain is worth noting */
    bool chain_learnt;
};

/* Loop thread: a fresh send. */
void parley_send_init(parley_send *s, const parley_send_ops *ops);

/* Loop thread, at submit: does this send need the pool's prepare step?
 * No only for a session known to have no strategy chain. */
bool parley_send_wants_prepare(const parley_chain_cache *chains, const char *session_id);

/* Pool thread (job->prepare): NEW -> PREPARED, or ANSWERED with
 * job->answered set. The caller has been authenticated. */
void parley_send_prepare(parley_send *s, parley_job *job, parley_facade *f,
                         const parley_participant *caller);

/* Writer (job->run): stores a PREPARED send; a NEW one (no prepare step)
 * is prepared first, in the same unit. Ends ANSWERED. */
void parley_send_store(parley_send *s, parley_job *job, parley_facade *f,
                       const parley_participant *caller);

/* Loop thread, in the job's done: notes what was learnt about the
 * session's chain and frees the draft. */
void parley_send_finish(parley_send *s, parley_chain_cache *chains);

#endif

/* The one send pipeline of REST and WebSocket (send_pipeline.h). */
#include "net/send_pipeline.h"

#include <string.h>

void parley_send_init(parley_send *s, const parley_send_ops *ops) {
    memset(s, 0, sizeof *s);
    s->ops = ops;
}

bool parley_send_wants_prepare(const parley_chain_cache *chains, const char *session_id) {
    bool has_chain = true;
    bool known = parley_chain_cache_lookup(chains, session_id, &has_chain);
    return !known || has_chain;
}

/* Sets the job's status from the outcome, then lets the front end render. */
static void answer(parley_send *s, parley_job *job, const parley_message *m, bool duplicate) {
    s->state = PARLEY_SEND_ANSWERED;
    /* a refused message kept for review commits although the send failed */
    job->status = m != NULL || s->err.keep_writes ? PARLEY_OK
                  : s->err.status != PARLEY_OK    ? s->err.status
                                                  : PARLEY_E_INTERNAL;
    s->ops->render(s, job, m, duplicate);
}

void parley_send_prepare(parley_send *s, parley_job *job, parley_facade *f,
                         const parley_participant *caller) {
    parley_status st = s->ops->decode != NULL ? s->ops->decode(s, &s->err) : PARLEY_OK;
    if (st == PARLEY_OK) {
        st = parley_chat_prepare_send(parley_facade_chat(f), caller, s->session_id, &s->input,
                                      &s->draft, &s->err);
    }
    if (st == PARLEY_OK && !s->draft.duplicate) {
        s->state = PARLEY_SEND_PREPARED;
        s->chain_learnt = true;
        return;
    }
    /* the send ends here: an error, or a retry of a stored message, which
     * is answered without storing anything */
    job->answered = true;
    answer(s, job, st == PARLEY_OK ? &s->draft.message : NULL, true);
}

void parley_send_store(parley_send *s, parley_job *job, parley_facade *f,
                       const parley_participant *caller) {
    if (s->state == PARLEY_SEND_NEW) {
        parley_send_prepare(s, job, f, caller);
        if (s->state != PARLEY_SEND_PREPARED) {
            return;
        }
        s->draft.same_unit = true; /* the session read need not be repeated */
    }
    parley_message m = {0};
    bool duplicate = false;
    parley_status st = parley_chat_store_prepared(parley_facade_chat(f), caller, &s->draft, &m,
                                                  &duplicate, &s->err);
    answer(s, job, st == PARLEY_OK ? &m : NULL, duplicate);
    parley_message_free(&m);
}

void parley_send_finish(parley_send *s, parley_chain_cache *chains) {
    if (s->chain_learnt && s->session_id != NULL) {
        parley_chain_cache_note(chains, s->session_id, s->draft.has_chain);
    }
    parley_message_draft_free(&s->draft);
}
